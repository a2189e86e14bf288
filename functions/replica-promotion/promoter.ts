/**
 * The cloud-API-neutral core of the promotion function: given what triggered, look at the replica
 * and the primary, decide, promote through the RDS port, wait for the result as long as the
 * invocation allows, and record what was done. The AWS adapter supplies the ports (RDS and SNS
 * through the SDK, with retries) and maps failures onto Lambda's retry machinery.
 *
 * The decision, in order:
 * 1. The event must ask for a promotion (see `parseEvent`); anything else is ignored.
 * 2. The replica must exist (else: failed, reported) and still replicate (else: already promoted,
 *    skipped). A replica that carries the `failover:promoted-at` tag is being promoted (skipped), so
 *    a second event, or Lambda's retry of the first, never promotes twice.
 * 3. It must replicate from the configured primary (else: failed, the deployment is wrong).
 * 4. Grace: until `GRACE_SECONDS` after the trigger, the primary is watched. A primary in a state it
 *    does not leave by itself (`failed`, `incompatible-*`, deleted...) ends the wait at once; one that
 *    is `available` again (after having been seen down, or at the end of the grace) cancels the
 *    promotion, and so does one that someone stopped (`stopping`, `stopped`). A primary whose region
 *    does not answer counts as down. An operator's manual invocation skips the grace: the operator
 *    has decided.
 * 5. Dry run (`DRY_RUN=true` or the manual `dryRun`): record what would be done and stop.
 * 6. `PromoteReadReplica` with the backup retention (and window) the new primary needs; RDS refusing
 *    (e.g. `InvalidDBInstanceState`) is a failure, reported. Then the tags, then the wait until the
 *    instance is standalone and available, within `VERIFY_SECONDS` and the invocation's time.
 */
import { describeTrigger, parseEvent, type Trigger } from "./events";
import type { Logger } from "../email-verification/log";
import { systemClock, type Clock } from "../email-verification/retry";
import {
    messageBody,
    messageSubject,
    notifies,
    promotionTags,
    TAGS,
    type Outcome,
    type PromotionRecord,
} from "./record";
import type { PromotionSettings, RdsInstanceArn } from "./settings";

/** An RDS DB instance as the function needs to see it. */
export interface InstanceState {
    readonly arn: string;
    /** `DBInstanceStatus`, e.g. `available`, `modifying`, `failed`. */
    readonly status: string;
    /** `ReadReplicaSourceDBInstanceIdentifier`: the source (an identifier, or an ARN across regions) while a replica. */
    readonly replicationSource?: string;
    readonly tags: Readonly<Record<string, string>>;
    /** `host:port`. */
    readonly endpoint?: string;
}

/** The RDS operations the function uses. Implementations retry throttling and transient errors. */
export interface RdsPort {
    /** The instance, or undefined when it does not exist. */
    describe(instance: RdsInstanceArn): Promise<InstanceState | undefined>;
    /** Asks RDS to promote the replica; throws `PromotionRefusedError` when RDS refuses. */
    promote(
        replica: RdsInstanceArn,
        options: { readonly backupRetentionDays: number; readonly backupWindow?: string },
    ): Promise<InstanceState>;
    addTags(instance: RdsInstanceArn, tags: Readonly<Record<string, string>>): Promise<void>;
}

/** Where the record goes for people (the ops topic). */
export interface NotifierPort {
    publish(subject: string, message: string): Promise<void>;
}

/** RDS refused the promotion (the replica is not in a state that allows it, or not a replica). */
export class PromotionRefusedError extends Error {
    constructor(
        readonly code: string,
        message: string,
    ) {
        super(message);
        this.name = "PromotionRefusedError";
    }
}

/**
 * The promotion was needed but not done. The handler rethrows it, so the invocation fails: Lambda
 * retries the event twice (a refusal may pass once the replica is available again) and then hands
 * it to the function's on-failure destination; each attempt is reported to the ops topic.
 */
export class PromotionFailedError extends Error {
    constructor(readonly record: PromotionRecord) {
        super(`${record.reason}: ${record.detail}`);
        this.name = "PromotionFailedError";
    }
}

/**
 * Statuses a primary does not leave without someone acting (RDS User Guide, "Viewing Amazon RDS
 * DB instance status"): waiting out the grace period for it would only lengthen the outage.
 */
export const LOST_PRIMARY_STATUSES: readonly string[] = [
    "failed",
    "inaccessible-encryption-credentials",
    "incompatible-network",
    "incompatible-option-group",
    "incompatible-parameters",
    "incompatible-restore",
    "restore-error",
    "deleting",
    "not-found",
];

/** A primary someone stopped on purpose is not a failure: stopping it never promotes the replica. */
export const STOPPED_PRIMARY_STATUSES: readonly string[] = ["stopping", "stopped"];

/** Time kept free before the invocation's deadline for the last requests and messages. */
export const DEADLINE_RESERVE_MS = 15_000;

export interface PromoterPorts {
    readonly rds: RdsPort;
    readonly notifier: NotifierPort;
    readonly logger: Logger;
    /** Default: the system clock (real sleeps). */
    readonly clock?: Clock;
}

export interface RunOptions {
    /** Epoch ms by which the invocation must have returned (Lambda's remaining time). */
    readonly deadline?: number;
    readonly requestId?: string;
    /** The invocation's logger (adds e.g. the request id). */
    readonly logger?: Logger;
}

/** Whether `source` (an identifier or an ARN, as RDS reports it) names `primary`. */
export function isSourceOf(source: string, primary: RdsInstanceArn, replica: RdsInstanceArn): boolean {
    if (source.startsWith("arn:")) {
        return source === primary.arn;
    }
    return source === primary.identifier && primary.region === replica.region;
}

/** What the grace period concluded about the primary. */
interface PrimaryVerdict {
    /** Its last observed status. */
    readonly status: string;
    /** `recovered`: serving (no promotion); `stopped`: stopped by someone (no promotion); `down`: promote. */
    readonly verdict: "recovered" | "stopped" | "down";
}

export class ReplicaPromoter {
    private readonly clock: Clock;

    constructor(
        readonly settings: PromotionSettings,
        private readonly ports: PromoterPorts,
    ) {
        this.clock = ports.clock ?? systemClock;
    }

    /**
     * Handles one invocation's event and returns its record. Throws `InvalidEventError` for an input
     * of no known shape and `PromotionFailedError` when a needed promotion could not be done (both
     * after logging, the latter after reporting it to the ops topic).
     */
    async handle(event: unknown, options: RunOptions = {}): Promise<PromotionRecord> {
        const log = options.logger ?? this.ports.logger;
        const startedAt = new Date(this.clock.now()).toISOString();
        const parsed = parseEvent(event, this.settings, this.clock.now());
        const { replica: replicaArn, primary: primaryArn } = this.settings;
        const common = { requestId: options.requestId, startedAt };
        if ("ignored" in parsed) {
            return this.done(log, {
                ...common,
                outcome: "ignored",
                reason: "not-a-trigger",
                detail: parsed.ignored,
                replica: { arn: replicaArn.arn },
                primary: { arn: primaryArn.arn },
                dryRun: this.settings.dryRun,
                finishedAt: this.now(),
            });
        }
        const trigger = parsed.trigger;
        const dryRun = this.settings.dryRun || (trigger.kind === "manual" && trigger.dryRun);
        log.info("trigger.received", { trigger, dryRun });

        // What is known so far, completed step by step.
        let replicaView: PromotionRecord["replica"] = { arn: replicaArn.arn };
        let primaryView: PromotionRecord["primary"] = { arn: primaryArn.arn };
        const make = (outcome: Outcome, reason: string, detail: string): PromotionRecord => ({
            ...common,
            outcome,
            reason,
            detail,
            trigger: { ...trigger, summary: describeTrigger(trigger) },
            replica: replicaView,
            primary: primaryView,
            dryRun,
            finishedAt: this.now(),
        });

        let replica: InstanceState | undefined;
        try {
            replica = await this.ports.rds.describe(replicaArn);
        } catch (error) {
            log.error("replica.describe_failed", { error });
            return this.fail(
                log,
                make("failed", "replica-unreadable", `the replica could not be read: ${messageOf(error)}`),
            );
        }
        if (replica === undefined) {
            return this.fail(
                log,
                make(
                    "failed",
                    "replica-not-found",
                    `the replica ${replicaArn.identifier} does not exist in ${replicaArn.region}`,
                ),
            );
        }
        replicaView = { ...replicaView, statusBefore: replica.status };
        const askedAt = replica.tags[TAGS.promotedAt];
        if (replica.replicationSource === undefined) {
            const since = askedAt ? ` (promotion asked for at ${askedAt})` : "";
            return this.done(
                log,
                make(
                    "skipped",
                    "already-promoted",
                    `${replicaArn.identifier} is already a standalone instance${since}`,
                ),
            );
        }
        if (askedAt !== undefined) {
            return this.done(
                log,
                make(
                    "skipped",
                    "promotion-in-progress",
                    `the promotion of ${replicaArn.identifier} was asked for at ${askedAt} and is under way`,
                ),
            );
        }
        if (!isSourceOf(replica.replicationSource, primaryArn, replicaArn)) {
            const detail = `${replicaArn.identifier} replicates from ${replica.replicationSource}, not from the configured primary`;
            return this.fail(log, make("failed", "replica-of-another-source", detail));
        }

        const deadline = options.deadline ?? Infinity;
        const primary =
            trigger.kind === "manual"
                ? { status: await this.observePrimary(log), verdict: "down" as const }
                : await this.watchPrimary(trigger, deadline, log);
        primaryView = { ...primaryView, status: primary.status };
        if (primary.verdict === "recovered") {
            return this.done(
                log,
                make("skipped", "primary-recovered", `the primary is ${primary.status}; no promotion`),
            );
        }
        if (primary.verdict === "stopped") {
            return this.done(
                log,
                make(
                    "skipped",
                    "primary-stopped",
                    `the primary was stopped deliberately (${primary.status}); no promotion`,
                ),
            );
        }

        if (dryRun) {
            const detail = `${replicaArn.identifier} would be promoted (backup retention ${this.settings.backupRetentionDays} days); nothing was changed`;
            return this.done(log, make("dry-run", "dry-run", detail));
        }

        const requestedAt = this.clock.now();
        let state: InstanceState;
        try {
            state = await this.ports.rds.promote(replicaArn, {
                backupRetentionDays: this.settings.backupRetentionDays,
                ...(this.settings.backupWindow !== undefined ? { backupWindow: this.settings.backupWindow } : {}),
            });
        } catch (error) {
            // An attempt that timed out may have been accepted all the same: look before reporting.
            const after = await this.ports.rds.describe(replicaArn).catch(() => undefined);
            if (after !== undefined && after.replicationSource === undefined) {
                log.warn("promotion.accepted_earlier", { error });
                state = after;
            } else {
                replicaView = { ...replicaView, ...(after ? { statusAfter: after.status } : {}) };
                if (error instanceof PromotionRefusedError) {
                    log.error("promotion.refused", { error, code: error.code });
                    const detail = `RDS refused to promote ${replicaArn.identifier} (${error.code}): ${error.message}`;
                    return this.fail(log, make("failed", "refused", detail));
                }
                log.error("promotion.request_failed", { error });
                const detail = `the promotion request failed: ${messageOf(error)}`;
                return this.fail(log, make("failed", "promote-request-failed", detail));
            }
        }

        let tagged = true;
        try {
            await this.ports.rds.addTags(replicaArn, promotionTags(trigger, requestedAt, options.requestId));
        } catch (error) {
            // The promotion is under way; the message and the logs still record it.
            tagged = false;
            log.error("promotion.tag_failed", { error });
        }
        replicaView = { ...replicaView, statusAfter: state.status, endpoint: state.endpoint, tagged };

        // Tell the people on call now: the wait below can take minutes.
        const started = make(
            "promotion-pending",
            "promotion-started",
            `RDS accepted the promotion of ${replicaArn.identifier}`,
        );
        log.info("promotion.started", { record: started });
        await this.publish(log, started);

        const final = await this.waitForPromotion(replicaArn, state, deadline, log);
        replicaView = {
            ...replicaView,
            statusAfter: final.state.status,
            endpoint: final.state.endpoint ?? state.endpoint,
        };
        if (final.complete) {
            return this.done(log, make("promoted", "promoted", `${replicaArn.identifier} is now a standalone primary`));
        }
        const detail = `${replicaArn.identifier} was still ${final.state.status} when the function stopped waiting; RDS goes on promoting it`;
        return this.done(log, make("promotion-pending", "still-promoting", detail));
    }

    /** The primary's status: its DBInstanceStatus, `not-found`, or `unreachable`. */
    private async observePrimary(log: Logger): Promise<string> {
        try {
            const primary = await this.ports.rds.describe(this.settings.primary);
            return primary?.status ?? "not-found";
        } catch (error) {
            log.warn("primary.unreachable", { error });
            return "unreachable";
        }
    }

    /** Watches the primary through the grace period (see the module comment). */
    private async watchPrimary(trigger: Trigger, deadline: number, log: Logger): Promise<PrimaryVerdict> {
        // The grace never eats the time the promotion request itself needs.
        const graceEnd = Math.min(trigger.time + this.settings.graceMs, deadline - 2 * DEADLINE_RESERVE_MS);
        let seenDown = false;
        for (;;) {
            const status = await this.observePrimary(log);
            const lastLook = this.clock.now() + this.settings.pollMs > graceEnd;
            log.info("primary.observed", { status, graceLeftMs: Math.max(0, graceEnd - this.clock.now()) });
            if (STOPPED_PRIMARY_STATUSES.includes(status)) {
                return { status, verdict: "stopped" };
            }
            if (LOST_PRIMARY_STATUSES.includes(status)) {
                return { status, verdict: "down" };
            }
            if (status === "available") {
                if (seenDown || lastLook) {
                    return { status, verdict: "recovered" };
                }
            } else {
                seenDown = true;
                if (lastLook) {
                    return { status, verdict: "down" };
                }
            }
            await this.clock.sleep(this.settings.pollMs);
        }
    }

    /** Waits until the instance is standalone and available, or the time allowed is up. */
    private async waitForPromotion(
        replica: RdsInstanceArn,
        accepted: InstanceState,
        deadline: number,
        log: Logger,
    ): Promise<{ complete: boolean; state: InstanceState }> {
        const until = Math.min(this.clock.now() + this.settings.verifyMs, deadline - DEADLINE_RESERVE_MS);
        let state = accepted;
        for (;;) {
            if (this.clock.now() + this.settings.pollMs > until) {
                return { complete: false, state };
            }
            await this.clock.sleep(this.settings.pollMs);
            try {
                state = (await this.ports.rds.describe(replica)) ?? state;
            } catch (error) {
                log.warn("promotion.check_failed", { error });
                continue;
            }
            log.info("promotion.observed", {
                status: state.status,
                replicating: state.replicationSource !== undefined,
            });
            if (state.replicationSource === undefined && state.status === "available") {
                return { complete: true, state };
            }
        }
    }

    private now(): string {
        return new Date(this.clock.now()).toISOString();
    }

    /** Logs the final record and sends it to the ops topic when it is worth a message. */
    private async done(log: Logger, record: PromotionRecord): Promise<PromotionRecord> {
        log[record.outcome === "failed" ? "error" : "info"]("promotion.record", { record });
        if (notifies(record.outcome)) {
            await this.publish(log, record);
        }
        return record;
    }

    /** A failed send is logged, not thrown: the promotion matters more than its message. */
    private async publish(log: Logger, record: PromotionRecord): Promise<void> {
        try {
            await this.ports.notifier.publish(messageSubject(record), messageBody(record));
            log.info("record.published", {
                topicArn: this.settings.topicArn,
                outcome: record.outcome,
                reason: record.reason,
            });
        } catch (error) {
            log.error("record.publish_failed", { error, topicArn: this.settings.topicArn });
        }
    }

    private async fail(log: Logger, record: PromotionRecord): Promise<never> {
        await this.done(log, record);
        throw new PromotionFailedError(record);
    }
}

function messageOf(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}
