/**
 * The registration event the API publishes, and its validation. Cloud-neutral: the adapters hand
 * over the message body as text, whatever envelope it came in.
 */

/** A valid registration event. */
export interface Registration {
    /** The address to verify. */
    readonly email: string;
    /** The verification token the API stored for this user; it goes into the link only. */
    readonly token: string;
    /** Used in the greeting when present. */
    readonly firstName?: string;
}

/** One message as an adapter received it: an id for the logs and the raw body. */
export interface IncomingMessage {
    /** The broker's message id (SNS MessageId, Pub/Sub messageId). */
    readonly id: string;
    readonly body: string;
}

/** Longest address SMTP allows (RFC 5321 path limit less the angle brackets). */
export const MAX_EMAIL_LENGTH = 254;
export const MAX_TOKEN_LENGTH = 512;
export const MAX_FIRST_NAME_LENGTH = 100;

/**
 * The HTML standard's "valid e-mail address": no spaces, quotes, commas or angle brackets, so an
 * address can never smuggle a second recipient into the Mailgun `to` field.
 */
const EMAIL =
    /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$/;

/** Printable ASCII without spaces: what URL-safe or hex tokens are made of. */
const TOKEN = /^[\x21-\x7e]+$/;

/** Control characters (C0, DEL, C1) have no place in a name. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * A message that can never be delivered, whatever the number of retries. Its text lists the
 * problems by field and never repeats the values (the token must not reach the logs).
 */
export class InvalidMessageError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`invalid registration message: ${problems.join("; ")}`);
        this.name = "InvalidMessageError";
    }
}

/**
 * Parses and validates a registration message: a JSON object with `email`, `token` and an optional
 * `firstName`. Other fields are ignored, so the API can add fields without breaking the function.
 * Throws `InvalidMessageError` listing every problem.
 */
export function parseRegistration(body: string): Registration {
    let value: unknown;
    try {
        value = JSON.parse(body);
    } catch {
        throw new InvalidMessageError(["the body is not JSON"]);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
        throw new InvalidMessageError(["the body must be a JSON object with email and token"]);
    }
    const fields = value as Record<string, unknown>;
    const problems: string[] = [];

    const email = fields.email;
    if (email === undefined || email === null || email === "") {
        problems.push("email is required");
    } else if (typeof email !== "string") {
        problems.push("email must be a string");
    } else if (email.length > MAX_EMAIL_LENGTH || !EMAIL.test(email)) {
        problems.push(`email is not a valid e-mail address (at most ${MAX_EMAIL_LENGTH} characters)`);
    }

    const token = fields.token;
    if (token === undefined || token === null || token === "") {
        problems.push("token is required");
    } else if (typeof token !== "string") {
        problems.push("token must be a string");
    } else if (token.length > MAX_TOKEN_LENGTH || !TOKEN.test(token)) {
        problems.push(`token must be printable ASCII without spaces, at most ${MAX_TOKEN_LENGTH} characters`);
    }

    let firstName: string | undefined;
    const rawName = fields.firstName;
    if (rawName !== undefined && rawName !== null) {
        if (typeof rawName !== "string") {
            problems.push("firstName must be a string when present");
        } else if (rawName.length > MAX_FIRST_NAME_LENGTH || CONTROL.test(rawName)) {
            problems.push(`firstName must be at most ${MAX_FIRST_NAME_LENGTH} characters without control characters`);
        } else {
            firstName = rawName.trim() || undefined;
        }
    }

    if (problems.length > 0) {
        throw new InvalidMessageError(problems);
    }
    return { email: email as string, token: token as string, ...(firstName ? { firstName } : {}) };
}

/** `jane.doe@example.com` -> `j***@example.com`: enough to find a user's log lines, not the address. */
export function maskEmail(email: string): string {
    const at = email.lastIndexOf("@");
    return at <= 0 ? "***" : `${email[0]}***${email.slice(at)}`;
}
