/**
 * Which events of the primary ask for a promotion, in one table that both the handler and the
 * deploying program read: the EventBridge rule matches exactly these event IDs of exactly the
 * primary, and the SNS subscription lets through exactly the configured alarms, so the function is
 * not invoked for anything it would ignore. The handler checks again (a hand-made or replayed event
 * must not promote either).
 *
 * The IDs and their meaning are from "Amazon RDS event categories and event messages" (RDS User
 * Guide), DB instance events.
 */

/** The RDS events of the primary that start the failover path (the grace period still applies). */
export const PROMOTION_EVENTS: Readonly<Record<string, { readonly category: string; readonly meaning: string }>> = {
    "RDS-EVENT-0004": { category: "availability", meaning: "DB instance shutdown" },
    "RDS-EVENT-0022": { category: "availability", meaning: "an error has occurred while restarting the database" },
    "RDS-EVENT-0031": {
        category: "failure",
        meaning: "the DB instance has failed due to an incompatible configuration or an underlying storage issue",
    },
    "RDS-EVENT-0036": { category: "failure", meaning: "the DB instance is in an incompatible network" },
};

/*
 * Deliberately not triggers: RDS-EVENT-0006 (restarted: it is back), Multi-AZ failover events
 * (RDS-EVENT-0013/0015/0049: RDS recovers in-region by itself), RDS-EVENT-0221 (storage full: the fix
 * is more storage in place, and the replica has the same size), RDS-EVENT-0035 (invalid parameters:
 * fixed in place), RDS-EVENT-0087 (stopped by someone), maintenance events, and the failure events
 * about a feature rather than the instance (Enhanced Monitoring, storage autoscaling, option groups),
 * which leave the database serving.
 */

/** The EventBridge detail type of DB instance events. */
export const RDS_INSTANCE_EVENT = "RDS DB Instance Event";

/** The CloudWatch alarm state that asks for a promotion. */
export const ALARM_STATE = "ALARM";

/** The EventBridge event pattern for the primary's trigger events (same on the DR region's bus). */
export function promotionEventPattern(primaryArn: string): {
    source: string[];
    "detail-type": string[];
    detail: { SourceArn: string[]; EventID: string[] };
} {
    return {
        source: ["aws.rds"],
        "detail-type": [RDS_INSTANCE_EVENT],
        detail: { SourceArn: [primaryArn], EventID: Object.keys(PROMOTION_EVENTS) },
    };
}

/**
 * The SNS subscription filter policy (scope `MessageBody`) that delivers only the named alarms'
 * ALARM notifications to the function, when it subscribes to a topic other alarms notify too.
 */
export function alarmFilterPolicy(alarmArns: readonly string[]): { AlarmArn: string[]; NewStateValue: string[] } {
    if (alarmArns.length === 0) {
        throw new Error("an alarm filter policy needs at least one alarm ARN");
    }
    return { AlarmArn: [...alarmArns], NewStateValue: [ALARM_STATE] };
}
