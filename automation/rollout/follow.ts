/**
 * Following a rollout: each follower watches one cloud resource (an instance refresh, an ECS
 * service, a managed instance group, a Cloud Run service) and reports what it sees; `follow` polls
 * them all until each has ended or the deadline passes. Errors the cloud marks as transient
 * (throttling, 5xx, a dropped connection) are retried on the next poll; others end that follower.
 */
import { systemClock, type Clock } from "../../functions/email-verification/retry";

/** What the platform itself did about a failed rollout. */
export interface PlatformRollback {
    /** `rolled-back`: the previous version serves again; `failed`: the platform's rollback failed too; `none`: nothing was undone. */
    readonly outcome: "rolled-back" | "failed" | "none";
    /** e.g. `instance refresh auto-rollback: RollbackSuccessful`, `circuit breaker rolled back to webapp:6`. */
    readonly detail: string;
}

/** One look at a resource. */
export interface Observation {
    readonly state: "in-progress" | "succeeded" | "failed";
    /** One line: `refresh 08b9…: InProgress, 50 % done, 1 instance to update`. */
    readonly summary: string;
    /** Percent done, when the API says. */
    readonly percent?: number;
    /** On failure: why, in the platform's words. */
    readonly reason?: string;
    /** On failure: what the platform undid. */
    readonly platformRollback?: PlatformRollback;
}

export interface Follower {
    /** e.g. `aws asg webapp-asg-1a2b`, `gcp cloudRun webapp-api`. */
    readonly label: string;
    /** Looks once. Throws on an API error (transient ones are retried by `follow`). */
    observe(): Promise<Observation>;
}

/** How a follower ended. */
export interface FollowerResult {
    readonly label: string;
    /**
     * `error`: the API refused in a way that retrying does not fix; `timeout`: still in progress at
     * the deadline; `stopped`: no longer followed because another follower failed.
     */
    readonly outcome: "succeeded" | "failed" | "timeout" | "error" | "stopped";
    /** The last observation, if any. */
    readonly last?: Observation;
    /** For `error`: the message. */
    readonly error?: string;
}

export interface FollowResult {
    /**
     * `succeeded` when every follower succeeded; `failed` as soon as one failed (the others are
     * `stopped`); else `error` when one could not be followed, or `timeout`.
     */
    readonly outcome: "succeeded" | "failed" | "timeout" | "error";
    readonly results: readonly FollowerResult[];
}

/** Time, injectable so tests run without waiting: the same port as the functions' retries. */
export { systemClock, type Clock };

export interface FollowOptions {
    /** Give up (outcome `timeout`) when the followers have not ended this long after the start. */
    readonly timeoutMs: number;
    /** Time between two looks. Default 15 s. */
    readonly intervalMs?: number;
    readonly clock?: Clock;
    /** Each observation, as it comes. */
    readonly onObservation?: (label: string, observation: Observation) => void;
    /** A transient error that the next look retries. */
    readonly onRetry?: (label: string, error: unknown) => void;
}

export const DEFAULT_INTERVAL_MS = 15_000;

const TRANSIENT_CODES = new Set([
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalFailure",
    "InternalError",
    "ServerException",
    "RequestTimeout",
    "RequestTimeoutException",
    "ECONNREFUSED",
    "ECONNRESET",
    "ETIMEDOUT",
    "EPIPE",
    "ENOTFOUND",
    "EAI_AGAIN",
    "UND_ERR_SOCKET",
    "UND_ERR_CONNECT_TIMEOUT",
]);

/**
 * Whether an error is worth retrying: throttling, a server error or a network failure, as the AWS
 * SDK (`name`, `$metadata.httpStatusCode`, `$retryable`), Node (`code`) and Google APIs (`status`) report them.
 */
export function isTransient(error: unknown): boolean {
    if (error === null || typeof error !== "object") {
        return false;
    }
    const e = error as {
        name?: string;
        code?: string;
        status?: number;
        cause?: unknown;
        $retryable?: unknown;
        $metadata?: { httpStatusCode?: number };
        transient?: boolean;
    };
    if (e.transient === true || e.$retryable !== undefined) {
        return true;
    }
    if ((e.name && TRANSIENT_CODES.has(e.name)) || (e.code && TRANSIENT_CODES.has(e.code))) {
        return true;
    }
    const status = e.$metadata?.httpStatusCode ?? e.status;
    if (status === 429 || (status !== undefined && status >= 500)) {
        return true;
    }
    return e.cause !== undefined && e.cause !== error && isTransient(e.cause);
}

function message(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}

/** Polls every follower until each succeeds, one fails, or the deadline passes. */
export async function follow(followers: readonly Follower[], options: FollowOptions): Promise<FollowResult> {
    const clock = options.clock ?? systemClock;
    const interval = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    const deadline = clock.now() + options.timeoutMs;
    const results = new Map<string, FollowerResult>();
    const last = new Map<string, Observation>();

    for (;;) {
        const open = followers.filter((f) => !results.has(f.label));
        await Promise.all(
            open.map(async (follower) => {
                try {
                    const observation = await follower.observe();
                    last.set(follower.label, observation);
                    options.onObservation?.(follower.label, observation);
                    if (observation.state !== "in-progress") {
                        results.set(follower.label, {
                            label: follower.label,
                            outcome: observation.state,
                            last: observation,
                        });
                    }
                } catch (error) {
                    if (isTransient(error)) {
                        options.onRetry?.(follower.label, error);
                    } else {
                        results.set(follower.label, {
                            label: follower.label,
                            outcome: "error",
                            last: last.get(follower.label),
                            error: message(error),
                        });
                    }
                }
            }),
        );
        const ended = [...results.values()];
        const failed = ended.some((r) => r.outcome === "failed");
        if (failed || results.size === followers.length || clock.now() + interval > deadline) {
            const unfinished = failed ? ("stopped" as const) : ("timeout" as const);
            const all = followers.map(
                (f) => results.get(f.label) ?? { label: f.label, outcome: unfinished, last: last.get(f.label) },
            );
            const outcome = failed
                ? "failed"
                : ended.some((r) => r.outcome === "error")
                  ? "error"
                  : all.every((r) => r.outcome === "succeeded")
                    ? "succeeded"
                    : "timeout";
            return { outcome, results: all };
        }
        await clock.sleep(interval);
    }
}
