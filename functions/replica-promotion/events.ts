/**
 * What the function is invoked with, and which of it asks for a promotion. Four shapes:
 *
 * - an EventBridge event from Amazon RDS about the primary (shape: the "RDS DB Instance Event"
 *   examples in the RDS User Guide, "Overview of events for Amazon RDS");
 * - an SNS delivery (shape: the Lambda Developer Guide's "Using Lambda with Amazon SNS" example
 *   event) whose message is a CloudWatch alarm notification (shape: the alarm notification
 *   CloudWatch publishes to SNS, as in the `cloudwatch-alarm-sns-payload` test events of AWS's
 *   aws-lambda-go library);
 * - a CloudWatch alarm invoking the function directly as its action (shape: the payload example in
 *   the CloudWatch User Guide, "Invoke a Lambda function from an alarm");
 * - a hand-made invocation by an operator: `{"source": "manual", "reason": "..."}`.
 *
 * Parsing is pure: it says what triggered, or why the event is ignored. It never decides whether to
 * promote (that needs the replica's and the primary's state).
 */
import type { PromotionSettings } from "./settings";
import { ALARM_STATE, PROMOTION_EVENTS, RDS_INSTANCE_EVENT } from "./triggers";

/** An EventBridge event from RDS about a DB instance. */
export interface RdsInstanceEvent {
    readonly version?: string;
    readonly id?: string;
    readonly "detail-type": string;
    readonly source: "aws.rds";
    readonly account?: string;
    /** ISO 8601, e.g. `2021-03-19T19:34:09Z`. */
    readonly time?: string;
    /** The region the event happened in (the primary's, also after forwarding to another bus). */
    readonly region?: string;
    readonly resources?: readonly string[];
    readonly detail: {
        readonly EventCategories?: readonly string[];
        /** `DB_INSTANCE`. */
        readonly SourceType?: string;
        readonly SourceArn?: string;
        /** ISO 8601 with milliseconds, e.g. `2021-03-19T19:34:09.293Z`. */
        readonly Date?: string;
        readonly Message?: string;
        /** The DB instance identifier. */
        readonly SourceIdentifier?: string;
        /** E.g. `RDS-EVENT-0004`. */
        readonly EventID?: string;
    };
}

/** The notification CloudWatch publishes to SNS when an alarm changes state (the SNS message, as JSON). */
export interface AlarmNotification {
    readonly AlarmName: string;
    readonly AlarmDescription?: string | null;
    readonly AWSAccountId?: string;
    /** `ALARM`, `OK` or `INSUFFICIENT_DATA`. */
    readonly NewStateValue: string;
    readonly NewStateReason?: string;
    /** E.g. `2015-06-03T17:43:27.123+0000`. */
    readonly StateChangeTime?: string;
    /** The region's long name, e.g. `US East (N. Virginia)`. */
    readonly Region?: string;
    readonly AlarmArn?: string;
    readonly OldStateValue?: string;
    readonly Trigger?: {
        readonly MetricName?: string;
        readonly Namespace?: string;
        readonly Dimensions?: ReadonlyArray<{ readonly name: string; readonly value: string }>;
    };
}

/** An SNS delivery to Lambda. */
export interface SnsEvent {
    readonly Records: ReadonlyArray<{
        readonly EventSource?: string;
        readonly EventSubscriptionArn?: string;
        readonly Sns?: {
            readonly Type?: string;
            readonly MessageId?: string;
            readonly TopicArn?: string;
            readonly Subject?: string | null;
            /** The alarm notification as JSON text. */
            readonly Message?: string;
            readonly Timestamp?: string;
        };
    }>;
}

/** A CloudWatch alarm's direct Lambda action. */
export interface AlarmActionEvent {
    readonly source: "aws.cloudwatch";
    readonly alarmArn: string;
    readonly accountId?: string;
    readonly time?: string;
    readonly region?: string;
    readonly alarmData: {
        readonly alarmName: string;
        readonly state: { readonly value: string; readonly reason?: string; readonly timestamp?: string };
        readonly previousState?: { readonly value: string };
    };
}

/** An operator's invocation (`aws lambda invoke --payload '{"source":"manual","reason":"..."}'`). */
export interface ManualEvent {
    readonly source: "manual";
    /** Why the operator promotes: recorded in the tags, the message and the logs. Required. */
    readonly reason: string;
    /** Who asked, for the record. */
    readonly operator?: string;
    /** `true`: record what would be done, change nothing (whatever `DRY_RUN` says). */
    readonly dryRun?: boolean;
}

/** What asked for a promotion. `time` (epoch ms) starts the grace period. */
export type Trigger =
    | {
          readonly kind: "rds-event";
          readonly eventId: string;
          readonly message: string;
          readonly sourceArn: string;
          readonly time: number;
      }
    | {
          readonly kind: "alarm";
          readonly alarmName: string;
          readonly alarmArn: string;
          readonly reason: string;
          readonly time: number;
      }
    | {
          readonly kind: "manual";
          readonly reason: string;
          readonly operator?: string;
          readonly dryRun: boolean;
          readonly time: number;
      };

export type ParsedEvent = { readonly trigger: Trigger } | { readonly ignored: string };

/** The input is none of the four shapes (someone invoked the function with something else). */
export class InvalidEventError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "InvalidEventError";
    }
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
    return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/** Epoch ms of an ISO time, or `fallback` when absent or unreadable. */
function timeOf(value: unknown, fallback: number): number {
    const parsed = typeof value === "string" ? Date.parse(value) : NaN;
    return Number.isNaN(parsed) ? fallback : parsed;
}

/** A short one-line text for tags and subjects: no control characters, at most `max` characters. */
export function oneLine(value: string, max: number): string {
    const flat = value.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim();
    return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

function fromRdsEvent(event: RdsInstanceEvent, settings: PromotionSettings, now: number): ParsedEvent {
    const detail = event.detail;
    if (event["detail-type"] !== RDS_INSTANCE_EVENT) {
        return { ignored: `an RDS "${event["detail-type"]}" event is not about a DB instance` };
    }
    const sourceArn = text(detail.SourceArn);
    const aboutPrimary =
        sourceArn !== undefined
            ? sourceArn === settings.primary.arn
            : detail.SourceIdentifier === settings.primary.identifier && event.region === settings.primary.region;
    if (!aboutPrimary) {
        return {
            ignored: `the event is about ${sourceArn ?? detail.SourceIdentifier ?? "an unnamed source"}, not the primary`,
        };
    }
    const eventId = text(detail.EventID);
    if (eventId === undefined || !(eventId in PROMOTION_EVENTS)) {
        return { ignored: `${eventId ?? "an event without an EventID"} is not a failure of the primary` };
    }
    return {
        trigger: {
            kind: "rds-event",
            eventId,
            message: text(detail.Message) ?? PROMOTION_EVENTS[eventId].meaning,
            sourceArn: settings.primary.arn,
            time: timeOf(detail.Date ?? event.time, now),
        },
    };
}

function fromAlarm(
    alarm: { arn: string | undefined; name: string; state: string; reason: string | undefined; time: unknown },
    settings: PromotionSettings,
    now: number,
): ParsedEvent {
    if (alarm.arn === undefined || !settings.alarmArns.includes(alarm.arn)) {
        return { ignored: `alarm "${alarm.name}" is not one that asks for a promotion` };
    }
    if (alarm.state !== ALARM_STATE) {
        return { ignored: `alarm "${alarm.name}" changed to ${alarm.state}, not ${ALARM_STATE}` };
    }
    return {
        trigger: {
            kind: "alarm",
            alarmName: alarm.name,
            alarmArn: alarm.arn,
            reason: alarm.reason ?? "",
            time: timeOf(alarm.time, now),
        },
    };
}

function fromSns(event: SnsEvent, settings: PromotionSettings, now: number): ParsedEvent {
    const reasons: string[] = [];
    for (const record of event.Records) {
        let message: unknown;
        try {
            message = JSON.parse(record?.Sns?.Message ?? "");
        } catch {
            reasons.push(`SNS message ${record?.Sns?.MessageId ?? "?"} is not JSON`);
            continue;
        }
        if (!isObject(message) || typeof message.AlarmName !== "string" || typeof message.NewStateValue !== "string") {
            reasons.push(`SNS message ${record?.Sns?.MessageId ?? "?"} is not a CloudWatch alarm notification`);
            continue;
        }
        const notification = message as unknown as AlarmNotification;
        const parsed = fromAlarm(
            {
                arn: text(notification.AlarmArn),
                name: notification.AlarmName,
                state: notification.NewStateValue,
                reason: text(notification.NewStateReason),
                time: notification.StateChangeTime,
            },
            settings,
            now,
        );
        if ("trigger" in parsed) {
            return parsed;
        }
        reasons.push(parsed.ignored);
    }
    return { ignored: reasons.join("; ") || "the SNS event has no records" };
}

/**
 * What an invocation's event asks for. Throws `InvalidEventError` for an input of no known shape,
 * or a manual invocation without a reason.
 */
export function parseEvent(event: unknown, settings: PromotionSettings, now: number): ParsedEvent {
    if (!isObject(event)) {
        throw new InvalidEventError("the event is not a JSON object");
    }
    if (Array.isArray(event.Records)) {
        return fromSns(event as unknown as SnsEvent, settings, now);
    }
    if (event.source === "aws.rds" && isObject(event.detail)) {
        return fromRdsEvent(event as unknown as RdsInstanceEvent, settings, now);
    }
    if (event.source === "aws.cloudwatch" && isObject(event.alarmData) && isObject(event.alarmData.state)) {
        const action = event as unknown as AlarmActionEvent;
        return fromAlarm(
            {
                arn: text(action.alarmArn),
                name: text(action.alarmData.alarmName) ?? "(unnamed)",
                state: String(action.alarmData.state.value),
                reason: text(action.alarmData.state.reason),
                time: action.alarmData.state.timestamp ?? action.time,
            },
            settings,
            now,
        );
    }
    if (event.source === "manual") {
        const reason = text(event.reason);
        if (reason === undefined) {
            throw new InvalidEventError('a manual invocation needs a "reason" (it goes into the record)');
        }
        if (event.dryRun !== undefined && typeof event.dryRun !== "boolean") {
            throw new InvalidEventError('"dryRun" must be true or false');
        }
        const operator = text(event.operator);
        return {
            trigger: {
                kind: "manual",
                reason: oneLine(reason, 500),
                ...(operator !== undefined ? { operator: oneLine(operator, 100) } : {}),
                dryRun: event.dryRun === true,
                time: now,
            },
        };
    }
    throw new InvalidEventError(
        "unknown event: expected an RDS EventBridge event, an SNS delivery, a CloudWatch alarm action or " +
            '{"source": "manual", "reason": "..."}',
    );
}

/** One line naming the trigger, for tags, subjects and logs. */
export function describeTrigger(trigger: Trigger): string {
    switch (trigger.kind) {
        case "rds-event":
            return `${trigger.eventId} (${trigger.message})`;
        case "alarm":
            return `alarm ${trigger.alarmName}`;
        case "manual":
            return `manual${trigger.operator ? ` by ${trigger.operator}` : ""}: ${trigger.reason}`;
    }
}
