/**
 * Google Cloud Functions (2nd gen, Node.js 22) adapter: an HTTP function that a Pub/Sub push
 * subscription calls with each registration event, the Mailgun key from Secret Manager (read once
 * per instance) through its REST API with an access token from the metadata server. No Google SDK:
 * two HTTPS calls with built-in `fetch`. Bundled as `index.js` (with a `package.json`); the entry
 * point is `verifyEmail`.
 *
 * Why push and not an Eventarc trigger: the subscription Eventarc creates for a function belongs to
 * Eventarc and cannot be given a dead-letter topic, so a message that keeps failing would be retried
 * until it expires and then lost. The program owns the push subscription instead (retry back-off,
 * dead-letter topic, OIDC identity), and the function answers it like any push endpoint.
 *
 * Failures: the function answers 500 when the message could not be sent or is malformed (any
 * non-2xx answer is a negative acknowledgement). Pub/Sub redelivers with back-off and, after the
 * subscription's maximum delivery attempts, moves the message to the dead-letter topic; a
 * malformed message is logged and ends there too, never silently acknowledged.
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

/** The parts of the Functions Framework's (Express) request the push handler reads. */
export interface PushRequest {
    readonly method?: string;
    /** The parsed JSON body (the framework parses `application/json`), or its raw text. */
    readonly body?: unknown;
}

/** The parts of the Functions Framework's (Express) response the push handler uses. */
export interface PushResponse {
    status(code: number): PushResponse;
    send(body?: string): unknown;
}

export type PushHandler = (request: PushRequest, response: PushResponse) => Promise<void>;

/** The body Pub/Sub POSTs to a push endpoint (wrapped format): the same shape as a CloudEvent's data. */
export type PubSubPushBody = PubSubMessagePublished;

/** The push body as an object: parsed by the framework already, or parsed here from text. */
function pushBody(body: unknown): PubSubPushBody {
    if (typeof body === "string" || Buffer.isBuffer(body)) {
        try {
            return JSON.parse(body.toString()) as PubSubPushBody;
        } catch {
            return {};
        }
    }
    return (body ?? {}) as PubSubPushBody;
}

/**
 * An HTTP handler for a Pub/Sub push subscription: 204 once the e-mail is sent (the message is
 * acknowledged), 500 when it could not be (Pub/Sub redelivers it, then dead-letters it).
 */
export function createPushHandler(options: CloudEventHandlerOptions = {}): PushHandler {
    const handle = createCloudEventHandler(options);
    return async (request, response) => {
        if (request.method !== undefined && request.method !== "POST") {
            response.status(405).send("POST only");
            return;
        }
        const body = pushBody(request.body);
        const messageId = body.message?.messageId;
        try {
            await handle({ id: typeof messageId === "string" ? messageId : undefined, data: body });
        } catch {
            // Already logged with its reason (`invocation.failed`); the answer carries no detail.
            response.status(500).send("not delivered");
            return;
        }
        response.status(204).send();
    };
}

/** The Cloud Functions entry point (`verifyEmail`), an HTTP function behind the push subscription. */
export const verifyEmail: PushHandler = createPushHandler();
