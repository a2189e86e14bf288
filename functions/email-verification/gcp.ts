/**
 * Google Cloud Functions (2nd gen, Node.js 22) adapter: a Pub/Sub "message published" CloudEvent
 * in, the Mailgun key from Secret Manager (read once per instance) through its REST API with an
 * access token from the metadata server. No Google SDK: two HTTPS calls with built-in `fetch`.
 * Bundled as `index.js` (with a `package.json`); the entry point is `verifyEmail`.
 *
 * Failures: the function throws when the message could not be sent or is malformed. With the
 * trigger's retry policy set to retry (`RETRY_POLICY_RETRY`), Pub/Sub redelivers with back-off,
 * and a dead-letter topic on the trigger's subscription keeps the message after its maximum
 * delivery attempts; a malformed message is logged and ends there too, never silently acked.
 */
import { jsonLogger, type Logger } from "./log";
import type { Fetch } from "./mailgun";
import type { IncomingMessage } from "./message";
import { systemClock, type Clock } from "./retry";
import { ENV, settingsFromEnv, type Env } from "./settings";
import { EmailVerifier, type SecretReader } from "./verifier";

/**
 * Test-only overrides of the two Google endpoints (loopback fakes). `GCE_METADATA_HOST` is the
 * variable Google's own libraries read for the same purpose (`host:port`, plain HTTP).
 */
export const METADATA_HOST_ENV = "GCE_METADATA_HOST";
export const SECRET_MANAGER_URL_ENV = "SECRET_MANAGER_API_URL";

export const DEFAULT_METADATA_BASE_URL = "http://metadata.google.internal";
export const DEFAULT_SECRET_MANAGER_BASE_URL = "https://secretmanager.googleapis.com";

const SECRET_VERSION = /^projects\/[^/]+\/secrets\/[^/]+\/versions\/[^/]+$/;

/** The parts of a CloudEvent this function reads. */
export interface CloudEvent {
    readonly id?: string;
    readonly type?: string;
    readonly source?: string;
    readonly data?: unknown;
}

/** `google.cloud.pubsub.topic.v1.messagePublished` data. */
export interface PubSubMessagePublished {
    readonly message?: { readonly data?: string; readonly messageId?: string };
    readonly subscription?: string;
}

/**
 * The message of a Pub/Sub CloudEvent: its base64 `data` decoded as UTF-8. A missing payload
 * becomes an empty body, which fails validation like any malformed message.
 */
export function messageFromCloudEvent(event: unknown): IncomingMessage {
    const cloudEvent = (event ?? {}) as CloudEvent;
    const message = (cloudEvent.data as PubSubMessagePublished | undefined)?.message;
    const id =
        typeof message?.messageId === "string"
            ? message.messageId
            : typeof cloudEvent.id === "string"
              ? cloudEvent.id
              : "unknown";
    const body = typeof message?.data === "string" ? Buffer.from(message.data, "base64").toString("utf8") : "";
    return { id, body };
}

/**
 * Access tokens of the function's service account from the metadata server, cached until a minute
 * before they expire.
 */
export function metadataAccessToken(
    fetchFn: Fetch,
    baseUrl: string,
    clock: Clock = systemClock,
): () => Promise<string> {
    let cached: { token: string; expiresAt: number } | undefined;
    return async () => {
        if (cached && clock.now() < cached.expiresAt) {
            return cached.token;
        }
        const url = `${baseUrl.replace(/\/+$/, "")}/computeMetadata/v1/instance/service-accounts/default/token`;
        const response = await fetchFn(url, {
            headers: { "Metadata-Flavor": "Google" },
            signal: AbortSignal.timeout(5000),
        });
        if (!response.ok) {
            throw new Error(`the metadata server answered ${response.status} for an access token`);
        }
        const body = (await response.json()) as { access_token?: unknown; expires_in?: unknown };
        if (typeof body.access_token !== "string") {
            throw new Error("the metadata server returned no access token");
        }
        const lifetime = typeof body.expires_in === "number" ? body.expires_in : 300;
        cached = { token: body.access_token, expiresAt: clock.now() + Math.max(0, lifetime - 60) * 1000 };
        return cached.token;
    };
}

/** Reads a secret version's payload through the Secret Manager REST API (`versions/...:access`). */
export function secretManagerReader(options: {
    readonly versionName: string;
    readonly apiBaseUrl: string;
    readonly accessToken: () => Promise<string>;
    readonly fetch: Fetch;
}): SecretReader {
    return {
        async read() {
            const token = await options.accessToken();
            const url = `${options.apiBaseUrl.replace(/\/+$/, "")}/v1/${options.versionName}:access`;
            const response = await options.fetch(url, {
                headers: { authorization: `Bearer ${token}`, accept: "application/json" },
                signal: AbortSignal.timeout(10_000),
            });
            if (!response.ok) {
                throw new Error(`Secret Manager answered ${response.status} for ${options.versionName}`);
            }
            const body = (await response.json()) as { payload?: { data?: unknown } };
            if (typeof body.payload?.data !== "string") {
                throw new Error(`Secret Manager returned no payload for ${options.versionName}`);
            }
            return Buffer.from(body.payload.data, "base64").toString("utf8");
        },
    };
}

export interface CloudEventHandlerOptions {
    /** Default `process.env`, read at the first invocation. */
    readonly env?: Env;
    readonly fetch?: Fetch;
    readonly clock?: Clock;
    readonly logger?: Logger;
    readonly random?: () => number;
}

export type CloudEventHandler = (event: unknown) => Promise<void>;

/** A handler with its own per-instance state (the verifier and its cached key). */
export function createCloudEventHandler(options: CloudEventHandlerOptions = {}): CloudEventHandler {
    const logger = options.logger ?? jsonLogger();
    let verifier: EmailVerifier | undefined;

    const init = (): EmailVerifier => {
        const env = options.env ?? process.env;
        const settings = settingsFromEnv(env, [ENV.gcpSecretVersion]);
        const [versionName] = settings.extra;
        if (!SECRET_VERSION.test(versionName)) {
            throw new Error(
                `${ENV.gcpSecretVersion} must look like projects/<project>/secrets/<secret>/versions/<version>`,
            );
        }
        const fetchFn = options.fetch ?? fetch;
        const metadataHost = env[METADATA_HOST_ENV]?.trim();
        const metadataBaseUrl = metadataHost ? `http://${metadataHost}` : DEFAULT_METADATA_BASE_URL;
        return new EmailVerifier(settings, {
            secret: secretManagerReader({
                versionName,
                apiBaseUrl: env[SECRET_MANAGER_URL_ENV]?.trim() || DEFAULT_SECRET_MANAGER_BASE_URL,
                accessToken: metadataAccessToken(fetchFn, metadataBaseUrl, options.clock),
                fetch: fetchFn,
            }),
            clock: options.clock,
            fetch: fetchFn,
            logger,
            random: options.random,
        });
    };

    return async (event) => {
        const eventId = (event as CloudEvent | null)?.id;
        const log = logger.child(typeof eventId === "string" ? { eventId } : {});
        try {
            verifier ??= init();
            await verifier.sendAll([messageFromCloudEvent(event)], { logger: log });
        } catch (error) {
            log.error("invocation.failed", { error });
            throw error;
        }
    };
}

/** The Cloud Functions entry point (`verifyEmail`). */
export const verifyEmail: CloudEventHandler = createCloudEventHandler();
