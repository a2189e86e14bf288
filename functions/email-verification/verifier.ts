/**
 * The cloud-neutral core of the e-mail verification function: validate a registration message,
 * build the link and the e-mail, send it through Mailgun with retries. The cloud adapters supply
 * the ports (where the Mailgun key comes from, time) and map failures onto their platform's retry
 * and dead-letter machinery.
 *
 * Failure semantics, the same on every cloud:
 * - Mailgun 429, 408, 5xx and network errors are retried here with back-off; when the attempts (or
 *   the invocation's time) run out, the message fails, so the platform retries the invocation and
 *   finally dead-letters it.
 * - Other Mailgun 4xx answers fail the message at once (no retry loop here). A 401 first re-reads
 *   the key once, in case it was rotated while this instance kept the old one cached.
 * - A malformed message fails too (it is never acknowledged as done), so it ends in the
 *   dead-letter queue where someone can look at it, rather than disappearing.
 */
import { verificationEmail, verificationLink } from "./email";
import { jsonLogger, mask, type Logger } from "./log";
import { MailgunError, sendEmail, type Fetch, type MailgunSettings } from "./mailgun";
import { maskEmail, parseRegistration, type IncomingMessage } from "./message";
import { DEFAULT_RETRY_POLICY, systemClock, withRetry, type Clock, type RetryPolicy } from "./retry";

/** Where the Mailgun key comes from (Secrets Manager, Secret Manager, a test double). */
export interface SecretReader {
    /** The current key, read from the store (no caching here: the verifier caches). */
    read(): Promise<string>;
}

export interface VerifierSettings {
    /** The API's public domain: links point to `https://<domainName>/v1/user/verify`. */
    readonly domainName: string;
    readonly mailgun: MailgunSettings;
    /** Default `DEFAULT_RETRY_POLICY` (4 attempts, about 0.5 s, 1 s, 2 s apart). */
    readonly retry?: RetryPolicy;
    /** Upper bound of one Mailgun request. Default 10 000 ms. */
    readonly requestTimeoutMs?: number;
}

export interface VerifierPorts {
    readonly secret: SecretReader;
    /** Default: the system clock (real sleeps). */
    readonly clock?: Clock;
    /** Default: the built-in `fetch`. */
    readonly fetch?: Fetch;
    /** Default: JSON lines on stdout. */
    readonly logger?: Logger;
    /** Jitter source. Default `Math.random`. */
    readonly random?: () => number;
}

export interface SendOptions {
    /** Epoch ms by which the invocation must be done: no request or wait is started past it. */
    readonly deadline?: number;
    /** The invocation's logger (adds e.g. the request id). */
    readonly logger?: Logger;
}

/** Some messages of a batch failed. The message lists ids and reasons, never a key or token. */
export class BatchError extends Error {
    constructor(
        readonly failures: ReadonlyArray<{ id: string; error: unknown }>,
        readonly total: number,
        secrets: readonly string[],
    ) {
        const reasons = failures.map(({ id, error }) => `${id}: ${error instanceof Error ? error.message : error}`);
        super(mask(`${failures.length} of ${total} message(s) failed: ${reasons.join("; ")}`, secrets));
        this.name = "BatchError";
    }
}

/** Time a request needs at least; a request that cannot get this much is not started. */
const MIN_REQUEST_MS = 1000;
/** Kept free before the deadline for logging and returning. */
const DEADLINE_MARGIN_MS = 500;

export class EmailVerifier {
    private readonly clock: Clock;
    private readonly fetchFn: Fetch;
    private readonly logger: Logger;
    private readonly retry: RetryPolicy;
    private readonly requestTimeoutMs: number;
    /** The cached key: read once per instance (cold start), re-read only after a 401. */
    private key: Promise<string> | undefined;

    constructor(
        readonly settings: VerifierSettings,
        private readonly ports: VerifierPorts,
    ) {
        this.clock = ports.clock ?? systemClock;
        this.fetchFn = ports.fetch ?? fetch;
        this.logger = ports.logger ?? jsonLogger();
        this.retry = settings.retry ?? DEFAULT_RETRY_POLICY;
        this.requestTimeoutMs = settings.requestTimeoutMs ?? 10_000;
    }

    /** The Mailgun key, read on first use and then cached; a failed read is not cached. */
    apiKey(): Promise<string> {
        if (!this.key) {
            const reading = this.ports.secret.read().then((value) => {
                const key = value.trim();
                if (!key) {
                    throw new Error("the Mailgun key secret is empty");
                }
                return key;
            });
            reading.catch(() => {
                if (this.key === reading) {
                    this.key = undefined;
                }
            });
            this.key = reading;
        }
        return this.key;
    }

    /** Forgets the cached key and reads it again. */
    private reloadKey(): Promise<string> {
        this.key = undefined;
        return this.apiKey();
    }

    /**
     * Handles every message of a delivery, one after another, and throws a `BatchError` naming the
     * failed ones if any failed (after the others were sent). Resolves with the number sent.
     */
    async sendAll(messages: readonly IncomingMessage[], options: SendOptions = {}): Promise<{ sent: number }> {
        const logger = options.logger ?? this.logger;
        const failures: Array<{ id: string; error: unknown }> = [];
        const secrets: string[] = [];
        for (const message of messages) {
            try {
                await this.send(message, { ...options, logger });
            } catch (error) {
                failures.push({ id: message.id, error });
            }
            secrets.push(tokenOf(message.body));
        }
        const sent = messages.length - failures.length;
        logger.info("delivery.done", { messages: messages.length, sent, failed: failures.length });
        if (failures.length > 0) {
            const key = await this.key?.catch(() => undefined);
            throw new BatchError(failures, messages.length, [...secrets, ...(key ? [key] : [])]);
        }
        return { sent };
    }

    /** Validates one message and sends its e-mail; throws when it could not be sent. */
    async send(message: IncomingMessage, options: SendOptions = {}): Promise<void> {
        const base = (options.logger ?? this.logger).child({ messageId: message.id });
        let registration;
        try {
            registration = parseRegistration(message.body);
        } catch (error) {
            // Logged here with the reasons; the platform dead-letters it after its retries.
            base.error("message.invalid", { error });
            throw error;
        }
        const log = base.child({ recipient: maskEmail(registration.email) }, [registration.token]);
        const link = verificationLink(this.settings.domainName, registration.email, registration.token);
        const content = verificationEmail(registration, link);
        const email = { to: registration.email, ...content };

        let key: string;
        try {
            key = await this.apiKey();
        } catch (error) {
            log.error("secret.read_failed", { error });
            throw error;
        }

        // From here on, the key (and a rotated one) is masked in every line, should any text quote it.
        let keyLog = log.child({}, [key]);
        const attempt = (apiKey: string) => this.sendWithRetry(apiKey, email, options.deadline, keyLog);
        let id: string | undefined;
        try {
            id = await attempt(key);
        } catch (error) {
            if (!(error instanceof MailgunError && error.status === 401)) {
                keyLog.error("email.failed", { error });
                throw error;
            }
            // The key may have been rotated since this instance cached it: read it once more.
            const fresh = await this.reloadKey().catch((readError: unknown) => {
                keyLog.error("secret.read_failed", { error: readError });
                throw error;
            });
            if (fresh === key) {
                keyLog.error("email.failed", { error, hint: "Mailgun rejected the key stored in the secret" });
                throw error;
            }
            keyLog = keyLog.child({}, [fresh]);
            keyLog.warn("mailgun.key_rotated", { action: "retrying once with the key just read" });
            try {
                id = await attempt(fresh);
            } catch (retryError) {
                keyLog.error("email.failed", { error: retryError });
                throw retryError;
            }
        }
        keyLog.info("email.sent", { mailgunId: id });
    }

    private sendWithRetry(
        apiKey: string,
        email: Parameters<typeof sendEmail>[3],
        deadline: number | undefined,
        log: Logger,
    ): Promise<string | undefined> {
        return withRetry(
            () => {
                const left = deadline === undefined ? Infinity : deadline - this.clock.now() - DEADLINE_MARGIN_MS;
                if (left < MIN_REQUEST_MS) {
                    throw new MailgunError("no time left in this invocation for a Mailgun request", undefined, false);
                }
                return sendEmail(this.fetchFn, this.settings.mailgun, apiKey, email, {
                    timeoutMs: Math.min(this.requestTimeoutMs, left),
                    now: () => this.clock.now(),
                });
            },
            {
                policy: this.retry,
                clock: this.clock,
                random: this.ports.random,
                deadline,
                isRetryable: (error) => error instanceof MailgunError && error.retryable,
                retryAfterMs: (error) => (error instanceof MailgunError ? error.retryAfterMs : undefined),
                onRetry: ({ attempt, delayMs, error }) => log.warn("mailgun.retry", { attempt, delayMs, error }),
            },
        );
    }
}

/** The token of a message body if it has one (to mask it in error texts), else "". */
function tokenOf(body: string): string {
    try {
        const token = (JSON.parse(body) as { token?: unknown }).token;
        return typeof token === "string" ? token : "";
    } catch {
        return "";
    }
}
