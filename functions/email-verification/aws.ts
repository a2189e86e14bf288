/**
 * AWS Lambda adapter: SNS event in, Mailgun key from Secrets Manager (read once per cold start).
 * Bundled as `index.js` with the handler `index.handler` (Node.js 22 runtime).
 *
 * Failures: SNS invokes the function asynchronously. When any message of the event fails (Mailgun
 * still failing after the retries here, a permanent Mailgun error, or a malformed message), the
 * handler throws. Lambda then retries the event (twice, with growing delays) and finally sends it
 * to the function's on-failure destination, the dead-letter queue, with the error. A malformed
 * message is therefore never dropped: it is logged with its problems and kept in the queue, at the
 * cost of two retries that cannot succeed (SNS delivers one message per event, so no valid message
 * is sent twice because of an invalid neighbour).
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { jsonLogger, type Logger } from "./log";
import type { Fetch } from "./mailgun";
import type { IncomingMessage } from "./message";
import type { Clock } from "./retry";
import { ENV, settingsFromEnv, type Env } from "./settings";
import { EmailVerifier, type SecretReader } from "./verifier";

/** The parts of an SNS event this function reads. */
export interface SnsEvent {
    readonly Records: ReadonlyArray<{
        readonly EventSource?: string;
        readonly Sns?: { readonly MessageId?: string; readonly Message?: string };
    }>;
}

/** The parts of the Lambda context this function reads. */
export interface LambdaContext {
    readonly awsRequestId?: string;
    getRemainingTimeInMillis?(): number;
}

/** The event is not an SNS event at all (someone invoked the function by hand with something else). */
export class InvalidEventError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "InvalidEventError";
    }
}

/**
 * The messages of an SNS event. A record without a message becomes a message with an empty body,
 * which fails validation like any other malformed message (and is dead-lettered, not skipped).
 */
export function messagesFromSnsEvent(event: unknown): IncomingMessage[] {
    const records = (event as Partial<SnsEvent> | null)?.Records;
    if (!Array.isArray(records)) {
        throw new InvalidEventError("not an SNS event: no Records array");
    }
    return records.map((record: SnsEvent["Records"][number], i) => ({
        id: typeof record?.Sns?.MessageId === "string" ? record.Sns.MessageId : `record-${i}`,
        body: typeof record?.Sns?.Message === "string" ? record.Sns.Message : "",
    }));
}

/** Reads the key from a Secrets Manager secret holding it as plain text. */
export function secretsManagerReader(client: SecretsManagerClient, secretId: string): SecretReader {
    return {
        async read() {
            const result = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
            if (typeof result.SecretString !== "string") {
                throw new Error("the Mailgun key secret has no string value");
            }
            return result.SecretString;
        },
    };
}

export interface LambdaHandlerOptions {
    /** Default `process.env`, read at the first invocation. */
    readonly env?: Env;
    /** Default: a client for the function's region, with the runtime's credentials. */
    readonly client?: SecretsManagerClient;
    readonly clock?: Clock;
    readonly fetch?: Fetch;
    readonly logger?: Logger;
    readonly random?: () => number;
}

export type LambdaHandler = (event: unknown, context?: LambdaContext) => Promise<{ sent: number }>;

/**
 * A handler with its own cold-start state: the verifier (and the cached key) is created at the
 * first invocation and reused by every later one in the same execution environment.
 */
export function createLambdaHandler(options: LambdaHandlerOptions = {}): LambdaHandler {
    const logger = options.logger ?? jsonLogger();
    let verifier: EmailVerifier | undefined;

    const init = (): EmailVerifier => {
        const settings = settingsFromEnv(options.env ?? process.env, [ENV.awsSecretArn]);
        const [secretArn] = settings.extra;
        const client = options.client ?? new SecretsManagerClient({});
        return new EmailVerifier(settings, {
            secret: secretsManagerReader(client, secretArn),
            clock: options.clock,
            fetch: options.fetch,
            logger,
            random: options.random,
        });
    };

    return async (event, context) => {
        const log = logger.child(context?.awsRequestId ? { requestId: context.awsRequestId } : {});
        try {
            verifier ??= init();
            const messages = messagesFromSnsEvent(event);
            const remaining = context?.getRemainingTimeInMillis?.();
            const now = options.clock?.now() ?? Date.now();
            return await verifier.sendAll(messages, {
                logger: log,
                deadline: remaining === undefined ? undefined : now + remaining,
            });
        } catch (error) {
            // Message-level failures are already logged; this line marks the invocation failed.
            log.error("invocation.failed", { error });
            throw error;
        }
    };
}

/** The Lambda entry point (`index.handler`). */
export const handler: LambdaHandler = createLambdaHandler();
