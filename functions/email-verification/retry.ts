/** The retry policy: exponential back-off with jitter, bounded by attempts and by a deadline. */

/** Time, as a port: tests pass a fake that records sleeps and returns at once. */
export interface Clock {
    /** Milliseconds since the epoch. */
    now(): number;
    sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface RetryPolicy {
    /** Attempts in total, the first one included. */
    readonly maxAttempts: number;
    /** Delay ceiling after the first failure; it doubles after each further failure. */
    readonly baseDelayMs: number;
    /** No delay is longer than this, whatever the attempt or a server's Retry-After. */
    readonly maxDelayMs: number;
}

/**
 * Four attempts with delays of about 0.5, 1 and 2 seconds between them: enough to ride out a
 * short Mailgun hiccup inside the function's timeout; longer outages are the broker's to retry.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 8000 };

/**
 * The delay before the next attempt after attempt `failedAttempt` (1-based) failed: "equal jitter"
 * (half the exponential ceiling plus a random part of the other half), so concurrent functions do
 * not retry in lockstep yet each waits a little. A server's Retry-After raises it, up to the cap.
 */
export function backoffDelay(
    policy: RetryPolicy,
    failedAttempt: number,
    random: () => number = Math.random,
    retryAfterMs?: number,
): number {
    const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failedAttempt - 1));
    const jittered = ceiling / 2 + random() * (ceiling / 2);
    const wanted = retryAfterMs === undefined ? jittered : Math.max(jittered, retryAfterMs);
    return Math.round(Math.min(wanted, policy.maxDelayMs));
}

/** A Retry-After header (seconds or an HTTP date) in milliseconds from `now`; undefined if absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, now: number): number | undefined {
    if (!header) {
        return undefined;
    }
    const value = header.trim();
    if (/^\d+$/.test(value)) {
        return Number(value) * 1000;
    }
    const date = Date.parse(value);
    return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface RetryOptions {
    readonly policy: RetryPolicy;
    readonly clock: Clock;
    readonly random?: () => number;
    /** Epoch milliseconds after which no new attempt starts (the invocation's own deadline). */
    readonly deadline?: number;
    /** Whether a failure is worth another attempt. Anything else is thrown at once. */
    isRetryable(error: unknown): boolean;
    /** A server's requested wait for this failure, if any. */
    retryAfterMs?(error: unknown): number | undefined;
    /** Told before each wait, for logging. */
    onRetry?(info: { attempt: number; delayMs: number; error: unknown }): void;
}

/**
 * Runs `operation` until it succeeds, fails with a non-retryable error, runs out of attempts, or
 * the next wait would pass the deadline; then throws the last error.
 */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
    for (let attempt = 1; ; attempt++) {
        try {
            return await operation(attempt);
        } catch (error) {
            if (!options.isRetryable(error) || attempt >= options.policy.maxAttempts) {
                throw error;
            }
            const delayMs = backoffDelay(options.policy, attempt, options.random, options.retryAfterMs?.(error));
            if (options.deadline !== undefined && options.clock.now() + delayMs >= options.deadline) {
                throw error;
            }
            options.onRetry?.({ attempt, delayMs, error });
            await options.clock.sleep(delayMs);
        }
    }
}
