/**
 * Mailgun's sending API on a loopback port. There is no public implementation of Mailgun to run,
 * so this fake answers as Mailgun documents (and, where the documentation is silent, as the API is
 * known to answer):
 *
 * - Messages API reference, "Send an email" (`POST /v3/{domain_name}/messages`, HTTP basic auth
 *   with the user `api`; `from`, `to`, `subject` required and one of `text`, `html`, `amp-html`,
 *   `template`; the answer `{"id": "<...>", "message": "Queued. Thank you."}`):
 *   https://documentation.mailgun.com/docs/mailgun/api-reference/openapi-final/tag/Messages/
 * - API response codes (400 with a JSON `message`, 404 for an unknown resource, 429 rate limiting,
 *   "retry as defined in the response", 500 to be retried with back-off):
 *   https://documentation.mailgun.com/docs/mailgun/quickstart-guide/responses
 * - Sending messages ("parameter is not a valid address" for an address that fails RFC 5321/5322
 *   syntax): https://documentation.mailgun.com/docs/mailgun/user-manual/sending-messages
 * - A wrong or revoked key: status 401 with the plain-text body `Forbidden` (what the API answers,
 *   e.g. mailgun/mailgun.js issue 393, `{ status: 401, details: 'Forbidden' }`).
 * - `Retry-After` on 429 and 503: seconds or an HTTP date (RFC 9110 section 10.2.3, RFC 6585
 *   section 4).
 */
import { FakeServer, type RecordedRequest, type Reply } from "./server";

export const MAILGUN_DOMAIN = "mg.example.com";

/** Documented failure answers, for scripting a fake's n-th reply. */
export const mailgunReplies = {
    /** 429: the account's sending rate is exceeded; `retryAfter` in seconds when given. */
    rateLimited(retryAfter?: number): Reply {
        return {
            status: 429,
            body: { message: "Too many requests" },
            headers: retryAfter === undefined ? {} : { "retry-after": String(retryAfter) },
        };
    },
    /** 500: an internal error on Mailgun's side. */
    internalError(): Reply {
        return { status: 500, body: { message: "Internal Server Error" } };
    },
    /** 503 from Mailgun's front end while it is unavailable (no JSON body). */
    unavailable(retryAfter?: number): Reply {
        return {
            status: 503,
            body: "Service Unavailable",
            headers: retryAfter === undefined ? {} : { "retry-after": String(retryAfter) },
        };
    },
    /** 400 with Mailgun's human-readable message. */
    badRequest(message: string): Reply {
        return { status: 400, body: { message } };
    },
} as const;

export interface FakeMailgunOptions {
    /** The sending domain the account has. Default `MAILGUN_DOMAIN`. */
    readonly domain?: string;
    /** Overrides the answer to the i-th request (0-based); the request is still recorded. */
    readonly script?: ReadonlyArray<Reply | undefined>;
}

/** The basic auth header Mailgun expects for `key`. */
export function basicAuth(key: string): string {
    return `Basic ${Buffer.from(`api:${key}`).toString("base64")}`;
}

/** The form fields of a recorded Mailgun request. */
export function formOf(request: RecordedRequest): Record<string, string> {
    return Object.fromEntries(new URLSearchParams(request.body));
}

/** A simple address, or a list of them, as Mailgun's syntax check accepts it (no display names here). */
const ADDRESS = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

/**
 * Mailgun for one account: `acceptedKeys` are the keys it takes (any other gets 401); messages to
 * other domains get 404; a request without the required fields gets Mailgun's 400.
 */
export function fakeMailgun(acceptedKeys: readonly string[], options: FakeMailgunOptions = {}) {
    const domain = options.domain ?? MAILGUN_DOMAIN;
    return FakeServer.start((request, index) => {
        const scripted = options.script?.[index];
        if (scripted) {
            return scripted;
        }
        const auth = String(request.headers.authorization ?? "");
        if (!acceptedKeys.some((key) => auth === basicAuth(key))) {
            return { status: 401, body: "Forbidden" };
        }
        const match = /^\/v3\/([^/?]+)\/messages$/.exec(request.path);
        if (request.method !== "POST" || !match) {
            return { status: 404, body: "404 page not found" };
        }
        if (decodeURIComponent(match[1]) !== domain) {
            return { status: 404, body: { message: `Domain not found: ${decodeURIComponent(match[1])}` } };
        }
        if (!String(request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
            return mailgunReplies.badRequest("from parameter is missing");
        }
        const form = formOf(request);
        for (const field of ["from", "to", "subject"]) {
            if (!form[field]) {
                return mailgunReplies.badRequest(`${field} parameter is missing`);
            }
        }
        if (!form.text && !form.html && !form["amp-html"] && !form.template) {
            return mailgunReplies.badRequest(
                "Need at least one of 'text', 'html', 'amp-html' or 'template' parameters specified",
            );
        }
        for (const field of ["from", "to"]) {
            if (!ADDRESS.test(form[field])) {
                return mailgunReplies.badRequest(
                    `'${field}' parameter is not a valid address. please check documentation`,
                );
            }
        }
        return {
            status: 200,
            body: { id: `<20260101000000.${index}.fake@${domain}>`, message: "Queued. Thank you." },
        };
    });
}
