/**
 * What the function records about each invocation, in three places:
 *
 * - a structured record (one JSON log line `promotion.record`, and the invocation's return value);
 * - an SNS message to the ops topic whenever the function promoted, would have promoted (dry run)
 *   or could not promote: a readable summary for the people on call, then the record as JSON;
 * - tags on the promoted instance (`failover:promoted-at`, `failover:trigger`,
 *   `failover:request-id`), which stay with the database, show in the console, and tell a later
 *   invocation that the promotion was already asked for.
 */
import { describeTrigger, type Trigger } from "./events";

/** Every outcome of an invocation. */
export type Outcome =
    /** The event does not ask for a promotion (another instance, another event, an OK alarm). */
    | "ignored"
    /** A promotion was asked for but is not needed (already promoted, in progress, primary back). */
    | "skipped"
    /** The function would have promoted; `DRY_RUN` (or the manual `dryRun`) kept it from acting. */
    | "dry-run"
    /** The replica was promoted and is now a standalone, available instance. */
    | "promoted"
    /** RDS accepted the promotion; it was not finished when the function stopped waiting. */
    | "promotion-pending"
    /** The promotion was needed but could not be done (replica missing, refused, API failing). */
    | "failed";

export interface PromotionRecord {
    readonly outcome: Outcome;
    /** A stable code, e.g. `already-promoted`, `primary-recovered`, `refused`. */
    readonly reason: string;
    /** One sentence for people. */
    readonly detail: string;
    readonly trigger?: Trigger & { readonly summary: string };
    readonly replica: {
        readonly arn: string;
        readonly statusBefore?: string;
        readonly statusAfter?: string;
        /** `host:port` of the promoted instance, once known. */
        readonly endpoint?: string;
        /** Whether the `failover:*` tags were written. */
        readonly tagged?: boolean;
    };
    readonly primary: {
        readonly arn: string;
        /** Its last observed status, `not-found`, or `unreachable` when its region did not answer. */
        readonly status?: string;
    };
    readonly dryRun: boolean;
    readonly requestId?: string;
    readonly startedAt: string;
    readonly finishedAt: string;
}

/** The tag keys written on the promoted instance. */
export const TAGS = {
    promotedAt: "failover:promoted-at",
    trigger: "failover:trigger",
    requestId: "failover:request-id",
} as const;

/** RDS tag values: letters, digits, spaces and `_ . : / = + - @`, at most 256 characters. */
export function tagValue(value: string): string {
    const cleaned = value
        .replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]+/gu, " ")
        .replace(/\s+/g, " ")
        .trim();
    return cleaned.slice(0, 256).trim();
}

/** The tags recording a promotion asked for at `at` (epoch ms). */
export function promotionTags(trigger: Trigger, at: number, requestId?: string): Record<string, string> {
    return {
        [TAGS.promotedAt]: new Date(at).toISOString(),
        [TAGS.trigger]: tagValue(describeTrigger(trigger)) || trigger.kind,
        ...(requestId ? { [TAGS.requestId]: tagValue(requestId) } : {}),
    };
}

/** Whether an outcome is worth a message to the people on call. */
export function notifies(outcome: Outcome): boolean {
    return outcome === "dry-run" || outcome === "promoted" || outcome === "promotion-pending" || outcome === "failed";
}

const HEADLINE: Record<Outcome, string> = {
    ignored: "event ignored",
    skipped: "promotion not needed",
    "dry-run": "DRY RUN: replica would be promoted",
    promoted: "replica promoted",
    "promotion-pending": "replica promotion started",
    failed: "replica promotion FAILED",
};

function identifierOf(arn: string): string {
    return arn.slice(arn.lastIndexOf(":") + 1);
}

/** The SNS subject: at most 100 printable ASCII characters, as SNS requires. */
export function messageSubject(record: PromotionRecord): string {
    const subject = `webapp failover: ${HEADLINE[record.outcome]} (${identifierOf(record.replica.arn)})`;
    return subject.replace(/[^\x20-\x7e]/g, "?").slice(0, 100);
}

/** The SNS message: what happened and what to do next, then the full record as JSON. */
export function messageBody(record: PromotionRecord): string {
    const lines = [
        `${HEADLINE[record.outcome]}: ${record.detail}`,
        "",
        `Replica: ${record.replica.arn} (status ${record.replica.statusAfter ?? record.replica.statusBefore ?? "unknown"})`,
        `Primary: ${record.primary.arn} (status ${record.primary.status ?? "not checked"})`,
        `Trigger: ${record.trigger?.summary ?? "none"}`,
        ...(record.replica.endpoint ? [`New primary endpoint: ${record.replica.endpoint}`] : []),
        ...(record.requestId ? [`Invocation: ${record.requestId}`] : []),
        "",
    ];
    switch (record.outcome) {
        case "promoted":
        case "promotion-pending":
            lines.push(
                "Next: point the application at the new primary and fail DNS over as the runbook says",
                "(README, Disaster recovery). The old primary no longer replicates to this instance.",
            );
            break;
        case "failed":
            lines.push("Next: promote by hand if the primary is really lost (README, Disaster recovery).");
            break;
        case "dry-run":
            lines.push("Nothing was changed. Set DRY_RUN=false on the function to let it promote.");
            break;
        default:
            break;
    }
    lines.push("", "Record:", JSON.stringify(record, null, 2));
    return lines.join("\n");
}
