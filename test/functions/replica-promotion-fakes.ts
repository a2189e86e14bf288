/**
 * Test doubles for the promotion function's core: an in-memory RDS (the replica and the primary,
 * with scripted status changes and failures) and a notifier that keeps its messages. Events in the
 * shapes AWS documents (see functions/replica-promotion/events.ts for the sources).
 */
import { expect } from "chai";
import {
    PromotionFailedError,
    PromotionRefusedError,
    type InstanceState,
    type NotifierPort,
    type RdsPort,
} from "../../functions/replica-promotion/promoter";
import {
    settingsFromEnv,
    type PromotionSettings,
    type RdsInstanceArn,
} from "../../functions/replica-promotion/settings";

export const ACCOUNT = "123456789012";
export const PRIMARY_ARN = `arn:aws:rds:us-east-1:${ACCOUNT}:db:webapp-prod-db`;
export const REPLICA_ARN = `arn:aws:rds:us-west-2:${ACCOUNT}:db:webapp-prod-db-replica`;
export const TOPIC_ARN = `arn:aws:sns:us-west-2:${ACCOUNT}:webapp-prod-dr-alerts`;
export const ALARM_ARN = `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:webapp-prod-db-unavailable`;

/** The environment the deploying program sets, with overrides. */
export function promotionEnv(overrides: Record<string, string> = {}): Record<string, string> {
    return {
        REPLICA_ARN,
        PRIMARY_ARN,
        TOPIC_ARN,
        ALARM_ARNS: ALARM_ARN,
        GRACE_SECONDS: "0",
        POLL_SECONDS: "15",
        VERIFY_SECONDS: "600",
        ...overrides,
    };
}

export function promotionSettings(overrides: Record<string, string> = {}): PromotionSettings {
    return settingsFromEnv(promotionEnv(overrides));
}

/** An EventBridge RDS event about `sourceArn` (as in the RDS User Guide's examples). */
export function rdsEvent(
    eventId: string,
    options: { sourceArn?: string; date?: string; message?: string; category?: string } = {},
) {
    const sourceArn = options.sourceArn ?? PRIMARY_ARN;
    const date = options.date ?? "2026-01-01T00:00:00.000Z";
    return {
        version: "0",
        id: "68f6e973-1a0c-d37b-f2f2-94a7f62ffd4e",
        "detail-type": "RDS DB Instance Event",
        source: "aws.rds",
        account: ACCOUNT,
        time: date.replace(/\.\d+Z$/, "Z"),
        region: sourceArn.split(":")[3],
        resources: [sourceArn],
        detail: {
            EventCategories: [options.category ?? "availability"],
            SourceType: "DB_INSTANCE",
            SourceArn: sourceArn,
            Date: date,
            Message: options.message ?? "DB instance shutdown",
            SourceIdentifier: sourceArn.slice(sourceArn.lastIndexOf(":") + 1),
            EventID: eventId,
        },
    };
}

/** A CloudWatch alarm notification as SNS delivers it to Lambda. */
export function alarmSnsEvent(options: { alarmArn?: string; state?: string; time?: string } = {}) {
    const alarmArn = options.alarmArn ?? ALARM_ARN;
    const name = alarmArn.slice(alarmArn.lastIndexOf(":") + 1);
    const notification = {
        AlarmName: name,
        AlarmDescription: "The primary database answers no connections",
        AWSAccountId: ACCOUNT,
        NewStateValue: options.state ?? "ALARM",
        NewStateReason:
            "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching].",
        StateChangeTime: options.time ?? "2026-01-01T00:00:00.000+0000",
        Region: "US East (N. Virginia)",
        AlarmArn: alarmArn,
        OldStateValue: "OK",
        Trigger: {
            MetricName: "DatabaseConnections",
            Namespace: "AWS/RDS",
            StatisticType: "Statistic",
            Statistic: "SAMPLE_COUNT",
            Unit: null,
            Dimensions: [{ value: "webapp-prod-db", name: "DBInstanceIdentifier" }],
            Period: 60,
            EvaluationPeriods: 3,
            ComparisonOperator: "LessThanThreshold",
            Threshold: 1.0,
            TreatMissingData: "breaching",
            EvaluateLowSampleCountPercentile: "",
        },
    };
    const topicArn = `arn:aws:sns:us-east-1:${ACCOUNT}:webapp-prod-alerts`;
    return {
        Records: [
            {
                EventSource: "aws:sns",
                EventVersion: "1.0",
                EventSubscriptionArn: `${topicArn}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55`,
                Sns: {
                    Type: "Notification",
                    MessageId: "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                    TopicArn: topicArn,
                    Subject: `ALARM: "${name}" in US East (N. Virginia)`,
                    Message: JSON.stringify(notification),
                    Timestamp: "2026-01-01T00:00:00.123Z",
                    SignatureVersion: "1",
                    Signature: "EXAMPLE",
                    SigningCertUrl: "EXAMPLE",
                    UnsubscribeUrl: "EXAMPLE",
                    MessageAttributes: {},
                },
            },
        ],
    };
}

/** A CloudWatch alarm's direct Lambda action payload (CloudWatch User Guide example shape). */
export function alarmActionEvent(options: { alarmArn?: string; state?: string } = {}) {
    const alarmArn = options.alarmArn ?? ALARM_ARN;
    return {
        source: "aws.cloudwatch",
        alarmArn,
        accountId: ACCOUNT,
        time: "2026-01-01T00:00:00.000+0000",
        region: "us-east-1",
        alarmData: {
            alarmName: alarmArn.slice(alarmArn.lastIndexOf(":") + 1),
            state: {
                value: options.state ?? "ALARM",
                reason: "Threshold Crossed",
                timestamp: "2026-01-01T00:00:00.000+0000",
            },
            previousState: { value: "OK", reason: "", timestamp: "2025-12-31T00:00:00.000+0000" },
            configuration: { description: "", metrics: [] },
        },
    };
}

type Step = Partial<InstanceState> | "missing" | Error;

/**
 * An in-memory RDS with the two instances. `primaryStates` and `replicaStates` script what each
 * describe returns in turn (the last one repeats); `promote` marks the replica as promoting, and
 * `promotionTakes` describes later show it standalone.
 */
export class FakeRds implements RdsPort {
    readonly calls: string[] = [];
    readonly tags: Record<string, string> = {};
    promoteOptions: Parameters<RdsPort["promote"]>[1] | undefined;
    promoted = false;
    /** Describes of the replica after the promotion before it is standalone and available. */
    promotionTakes = 1;
    private describesSincePromotion = 0;
    promoteError: Error | undefined;
    tagError: Error | undefined;

    constructor(
        private readonly primaryStates: Step[] = [{ status: "failed" }],
        private readonly replicaStates: Step[] = [{}],
    ) {}

    private next(steps: Step[]): Step {
        return steps.length > 1 ? steps.shift()! : steps[0];
    }

    async describe(instance: RdsInstanceArn): Promise<InstanceState | undefined> {
        this.calls.push(`describe ${instance.identifier}`);
        if (instance.arn === PRIMARY_ARN) {
            const step = this.next(this.primaryStates);
            if (step instanceof Error) throw step;
            if (step === "missing") return undefined;
            return { arn: PRIMARY_ARN, status: "available", tags: {}, ...step };
        }
        const step = this.next(this.replicaStates);
        if (step instanceof Error) throw step;
        if (step === "missing") return undefined;
        const base: InstanceState = {
            arn: REPLICA_ARN,
            status: "available",
            replicationSource: PRIMARY_ARN,
            tags: { ...this.tags },
            endpoint: "webapp-prod-db-replica.abc.us-west-2.rds.amazonaws.com:3306",
        };
        if (this.promoted) {
            this.describesSincePromotion++;
            const done = this.describesSincePromotion >= this.promotionTakes;
            return done
                ? { ...base, replicationSource: undefined, ...step, tags: { ...this.tags } }
                : { ...base, status: "modifying", ...step, tags: { ...this.tags } };
        }
        return { ...base, ...step, tags: { ...this.tags, ...step.tags } };
    }

    async promote(replica: RdsInstanceArn, options: Parameters<RdsPort["promote"]>[1]): Promise<InstanceState> {
        this.calls.push(`promote ${replica.identifier}`);
        if (this.promoteError) throw this.promoteError;
        this.promoted = true;
        this.promoteOptions = options;
        return { arn: REPLICA_ARN, status: "modifying", replicationSource: PRIMARY_ARN, tags: { ...this.tags } };
    }

    async addTags(instance: RdsInstanceArn, tags: Readonly<Record<string, string>>): Promise<void> {
        this.calls.push(`tag ${instance.identifier}`);
        if (this.tagError) throw this.tagError;
        Object.assign(this.tags, tags);
    }
}

export function refused(message = "DB Instance is not a read replica."): PromotionRefusedError {
    return new PromotionRefusedError("InvalidDBInstanceState", message);
}

export class FakeNotifier implements NotifierPort {
    readonly messages: Array<{ subject: string; message: string }> = [];
    failWith: Error | undefined;
    async publish(subject: string, message: string): Promise<void> {
        if (this.failWith) throw this.failWith;
        this.messages.push({ subject, message });
    }
    /** The JSON record at the end of each message. */
    records(): Array<Record<string, any>> {
        return this.messages.map(({ message }) =>
            JSON.parse(message.slice(message.indexOf("Record:\n") + "Record:\n".length)),
        );
    }
}

/** The `PromotionFailedError` an invocation fails with (the test fails if it succeeds). */
export async function promotionFailure(run: Promise<unknown>): Promise<PromotionFailedError> {
    try {
        await run;
    } catch (error) {
        expect(error).to.be.instanceOf(PromotionFailedError);
        return error as PromotionFailedError;
    }
    throw new Error("expected the invocation to fail");
}
