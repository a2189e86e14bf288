/** A minimal Mailgun client: one `POST /v3/<domain>/messages` with built-in `fetch`. */
import { parseRetryAfter } from "./retry";

export interface MailgunSettings {
    /** `https://api.mailgun.net` (US) or `https://api.eu.mailgun.net` (EU); no trailing path. */
    readonly apiBaseUrl: string;
    /** The sending domain configured in Mailgun, e.g. `mg.example.com`. */
    readonly domain: string;
    /** The sender, e.g. `noreply@mg.example.com`. */
    readonly from: string;
}

export interface OutgoingEmail {
    readonly to: string;
    readonly subject: string;
    readonly text: string;
    readonly html: string;
}

export type Fetch = typeof fetch;

/** Statuses worth retrying: rate limiting, a request timeout and server-side failures. */
export function isRetryableStatus(status: number): boolean {
    return status === 429 || status === 408 || status >= 500;
}

/**
 * A failed send. `status` is the HTTP status (undefined for network errors and timeouts);
 * `retryable` says whether trying again may help. The message never holds the key.
 */
export class MailgunError extends Error {
    constructor(
        message: string,
        readonly status: number | undefined,
        readonly retryable: boolean,
        readonly retryAfterMs?: number,
    ) {
        super(message);
        this.name = "MailgunError";
    }
}

/**
 * The request for one message: form-encoded fields, HTTP basic auth `api:<key>`. Click tracking is
 * off for this message: Mailgun would otherwise rewrite the verification link through its
 * tracking host, and the token would travel through a third party's redirect.
 */
export function mailgunRequest(
    settings: MailgunSettings,
    apiKey: string,
    email: OutgoingEmail,
): { url: string; init: RequestInit } {
    const base = settings.apiBaseUrl.replace(/\/+$/, "");
    const body = new URLSearchParams({
        from: settings.from,
        to: email.to,
        subject: email.subject,
        text: email.text,
        html: email.html,
        "o:tracking-clicks": "no",
    });
    return {
        url: `${base}/v3/${encodeURIComponent(settings.domain)}/messages`,
        init: {
            method: "POST",
            headers: {
                authorization: `Basic ${Buffer.from(`api:${apiKey}`).toString("base64")}`,
                accept: "application/json",
            },
            body,
        },
    };
}

/**
 * Sends one message. Resolves with Mailgun's message id; rejects with a `MailgunError` that says
 * whether a retry may help. Each request is bounded by `timeoutMs`.
 */
export async function sendEmail(
    fetchFn: Fetch,
    settings: MailgunSettings,
    apiKey: string,
    email: OutgoingEmail,
    options: { timeoutMs: number; now: () => number },
): Promise<string | undefined> {
    const { url, init } = mailgunRequest(settings, apiKey, email);
    let response: Response;
    try {
        response = await fetchFn(url, { ...init, signal: AbortSignal.timeout(options.timeoutMs) });
    } catch (error) {
        throw new MailgunError(`Mailgun request failed: ${describeNetworkError(error)}`, undefined, true);
    }
    const text = await response.text().catch(() => "");
    if (response.ok) {
        return readField(text, "id");
    }
    const detail = readField(text, "message") ?? text.slice(0, 200);
    throw new MailgunError(
        `Mailgun answered ${response.status}${detail ? `: ${detail}` : ""}`,
        response.status,
        isRetryableStatus(response.status),
        parseRetryAfter(response.headers.get("retry-after"), options.now()),
    );
}

function readField(text: string, field: string): string | undefined {
    try {
        const value = (JSON.parse(text) as Record<string, unknown>)[field];
        return typeof value === "string" ? value : undefined;
    } catch {
        return undefined;
    }
}

/** "timeout", "ECONNREFUSED", ...: the cause's code or name, never a URL or header. */
function describeNetworkError(error: unknown): string {
    if (error instanceof Error) {
        if (error.name === "TimeoutError" || error.name === "AbortError") {
            return "timed out";
        }
        const cause = (error as { cause?: { code?: unknown; name?: unknown } }).cause;
        const code = cause?.code ?? cause?.name;
        return typeof code === "string" ? code : error.name;
    }
    return "unknown error";
}
