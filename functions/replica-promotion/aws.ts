/**
 * AWS Lambda adapter of the promotion function: the RDS and SNS ports through the AWS SDK v3, with
 * retries, and the Lambda entry point. Bundled as `index.js` with the handler `index.handler`
 * (Node.js 22 runtime), deployed in the replica's region, outside any VPC (it calls AWS APIs only,
 * so it does not depend on the network of the region that failed).
 *
 * Retries: the SDK's own retries are off (`maxAttempts: 1`); every call goes through `withRetry`,
 * which retries throttling (`Throttling`, 429), server errors (5xx) and network failures with
 * back-off, logs each retry, and never waits past the invocation's deadline. Other errors are not
 * retried: RDS refusing the promotion becomes `PromotionRefusedError`.
 *
 * Failures: the invocation fails (throws) when the event is of no known shape or when a needed
 * promotion could not be done; Lambda then retries the event twice and hands it to the function's
 * on-failure destination. Everything else (ignored events, skipped promotions) returns the record.
 */
import {
    AddTagsToResourceCommand,
    DescribeDBInstancesCommand,
    PromoteReadReplicaCommand,
    RDSClient,
    type DBInstance,
} from "@aws-sdk/client-rds";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { jsonLogger, type Logger } from "../email-verification/log";
import { systemClock, withRetry, type Clock, type RetryPolicy } from "../email-verification/retry";
import type { Env } from "../email-verification/settings";
import { InvalidEventError } from "./events";
import {
    PromotionRefusedError,
    ReplicaPromoter,
    type InstanceState,
    type NotifierPort,
    type RdsPort,
} from "./promoter";
import type { PromotionRecord } from "./record";
import { settingsFromEnv, type RdsInstanceArn } from "./settings";

/** Five attempts, about 0.5, 1, 2 and 4 s apart: rides out API throttling inside the invocation. */
export const AWS_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 8000 };

/** One request's bounds: a region that does not answer must not eat the invocation. */
export const REQUEST_TIMEOUTS = { connectionTimeout: 3000, requestTimeout: 10_000 } as const;

/** Error codes AWS services use for throttling (AWS SDK and service documentation). */
const THROTTLING_CODES = new Set([
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
]);

/** Error codes of transient server-side and network failures. */
const TRANSIENT_CODES = new Set([
    "InternalFailure",
    "InternalError",
    "ServiceUnavailable",
    "RequestTimeout",
    "RequestTimeoutException",
    "TimeoutError",
    "ECONNRESET",
    "ECONNREFUSED",
    "EPIPE",
    "ETIMEDOUT",
    "ENOTFOUND",
    "EAI_AGAIN",
]);

interface AwsErrorLike {
    name?: string;
    code?: string;
    $fault?: string;
    $metadata?: { httpStatusCode?: number };
}

/** Whether an SDK error is worth another attempt (throttling, 5xx, network). */
export function isRetryableAwsError(error: unknown): boolean {
    if (typeof error !== "object" || error === null) {
        return false;
    }
    const e = error as AwsErrorLike;
    const status = e.$metadata?.httpStatusCode;
    return (
        THROTTLING_CODES.has(e.name ?? "") ||
        TRANSIENT_CODES.has(e.name ?? "") ||
        TRANSIENT_CODES.has(e.code ?? "") ||
        status === 429 ||
        (status !== undefined && status >= 500)
    );
}

/** The error's AWS code (`InvalidDBInstanceStateFault` is reported as sent: `InvalidDBInstanceState`). */
function awsCode(error: unknown): string {
    const name = (error as AwsErrorLike | null)?.name ?? "Error";
    return name.replace(/Fault$/, "");
}

function isNotFound(error: unknown): boolean {
    return awsCode(error) === "DBInstanceNotFound";
}

/** The function's view of an SDK `DBInstance`. */
export function instanceState(instance: DBInstance, fallbackArn: string): InstanceState {
    const source = instance.ReadReplicaSourceDBInstanceIdentifier?.trim();
    const address = instance.Endpoint?.Address;
    return {
        arn: instance.DBInstanceArn ?? fallbackArn,
        status: instance.DBInstanceStatus ?? "unknown",
        ...(source ? { replicationSource: source } : {}),
        tags: Object.fromEntries(
            (instance.TagList ?? [])
                .filter((tag) => tag.Key !== undefined)
                .map((tag) => [tag.Key as string, tag.Value ?? ""]),
        ),
        ...(address ? { endpoint: `${address}:${instance.Endpoint?.Port ?? ""}`.replace(/:$/, "") } : {}),
    };
}

export interface RetryContext {
    readonly clock: Clock;
    readonly logger: Logger;
    /** Epoch ms after which no retry starts. */
    readonly deadline?: number;
    readonly random?: () => number;
}

function retrying<T>(operation: string, context: RetryContext, call: () => Promise<T>): Promise<T> {
    return withRetry(call, {
        policy: AWS_RETRY_POLICY,
        clock: context.clock,
        random: context.random,
        deadline: context.deadline,
        isRetryable: isRetryableAwsError,
        onRetry: ({ attempt, delayMs, error }) =>
            context.logger.warn("aws.retry", { operation, attempt, delayMs, error }),
    });
}

/** The RDS port over one client per region (the replica's and the primary's). */
export function sdkRds(clientFor: (region: string) => RDSClient, context: () => RetryContext): RdsPort {
    return {
        async describe(instance: RdsInstanceArn) {
            try {
                const result = await retrying("rds:DescribeDBInstances", context(), () =>
                    clientFor(instance.region).send(
                        new DescribeDBInstancesCommand({ DBInstanceIdentifier: instance.identifier }),
                    ),
                );
                const found = result.DBInstances?.[0];
                return found ? instanceState(found, instance.arn) : undefined;
            } catch (error) {
                if (isNotFound(error)) {
                    return undefined;
                }
                throw error;
            }
        },
        async promote(replica, options) {
            try {
                const result = await retrying("rds:PromoteReadReplica", context(), () =>
                    clientFor(replica.region).send(
                        new PromoteReadReplicaCommand({
                            DBInstanceIdentifier: replica.identifier,
                            BackupRetentionPeriod: options.backupRetentionDays,
                            ...(options.backupWindow !== undefined
                                ? { PreferredBackupWindow: options.backupWindow }
                                : {}),
                        }),
                    ),
                );
                return instanceState(result.DBInstance ?? {}, replica.arn);
            } catch (error) {
                // A client fault other than throttling is RDS saying no (state, parameters, access).
                if ((error as AwsErrorLike | null)?.$fault === "client" && !isRetryableAwsError(error)) {
                    throw new PromotionRefusedError(awsCode(error), (error as Error).message);
                }
                throw error;
            }
        },
        async addTags(instance, tags) {
            await retrying("rds:AddTagsToResource", context(), () =>
                clientFor(instance.region).send(
                    new AddTagsToResourceCommand({
                        ResourceName: instance.arn,
                        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
                    }),
                ),
            );
        },
    };
}

/** The notifier port: one SNS message per record. */
export function snsNotifier(client: SNSClient, topicArn: string, context: () => RetryContext): NotifierPort {
    return {
        async publish(subject, message) {
            await retrying("sns:Publish", context(), () =>
                client.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message })),
            );
        },
    };
}

/** The parts of the Lambda context this function reads. */
export interface LambdaContext {
    readonly awsRequestId?: string;
    getRemainingTimeInMillis?(): number;
}

export interface LambdaHandlerOptions {
    /** Default `process.env`, read at the first invocation. */
    readonly env?: Env;
    /** Default: an SDK client per region, with the runtime's credentials and the endpoint from the environment. */
    readonly rdsClient?: (region: string) => RDSClient;
    /** Default: a client for the topic's region. */
    readonly snsClient?: (region: string) => SNSClient;
    readonly clock?: Clock;
    readonly logger?: Logger;
    readonly random?: () => number;
}

export type LambdaHandler = (event: unknown, context?: LambdaContext) => Promise<PromotionRecord>;

/** The region of an ARN (`arn:partition:service:region:...`). */
function regionOf(arn: string): string {
    return arn.split(":")[3] ?? "";
}

/**
 * A handler with its own cold-start state: settings and clients are made at the first invocation
 * and reused by later ones in the same execution environment.
 */
export function createLambdaHandler(options: LambdaHandlerOptions = {}): LambdaHandler {
    const logger = options.logger ?? jsonLogger();
    const clock = options.clock ?? systemClock;
    let promoter: ReplicaPromoter | undefined;
    // The current invocation's deadline and logger, read by the ports (one invocation at a time runs
    // in an execution environment).
    let retryContext: RetryContext = { clock, logger, random: options.random };

    const init = (): ReplicaPromoter => {
        const settings = settingsFromEnv(options.env ?? process.env);
        const rdsClients = new Map<string, RDSClient>();
        const rdsFor =
            options.rdsClient ??
            ((region: string) => {
                let client = rdsClients.get(region);
                if (!client) {
                    client = new RDSClient({ region, maxAttempts: 1, requestHandler: REQUEST_TIMEOUTS });
                    rdsClients.set(region, client);
                }
                return client;
            });
        const topicRegion = regionOf(settings.topicArn);
        const sns =
            options.snsClient?.(topicRegion) ??
            new SNSClient({ region: topicRegion, maxAttempts: 1, requestHandler: REQUEST_TIMEOUTS });
        const context = () => retryContext;
        return new ReplicaPromoter(settings, {
            rds: sdkRds(rdsFor, context),
            notifier: snsNotifier(sns, settings.topicArn, context),
            logger,
            clock,
        });
    };

    return async (event, context) => {
        const log = logger.child(context?.awsRequestId ? { requestId: context.awsRequestId } : {});
        const remaining = context?.getRemainingTimeInMillis?.();
        const deadline = remaining === undefined ? undefined : clock.now() + remaining;
        retryContext = { clock, logger: log, random: options.random, deadline };
        try {
            promoter ??= init();
            return await promoter.handle(event, { deadline, requestId: context?.awsRequestId, logger: log });
        } catch (error) {
            if (error instanceof InvalidEventError) {
                log.error("event.invalid", { error });
            }
            // The record (if any) is already logged and sent; this line marks the invocation failed.
            log.error("invocation.failed", { error });
            throw error;
        }
    };
}

/** The Lambda entry point (`index.handler`). */
export const handler: LambdaHandler = createLambdaHandler();
