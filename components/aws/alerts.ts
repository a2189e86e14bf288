import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyJson, type AwsAccount, type Statement } from "./iam";
import { customerKey } from "./kms";

/**
 * The conditions under which CloudWatch may act for this stack: only for alarms of this account
 * in this region (no confused deputy).
 */
function fromOwnAlarms(account: AwsAccount) {
    return {
        StringEquals: { "aws:SourceAccount": account.accountId },
        ArnLike: {
            "aws:SourceArn": pulumi.interpolate`arn:${account.partition}:cloudwatch:${account.region}:${account.accountId}:alarm:*`,
        },
    };
}

/** Key-policy statement: CloudWatch alarms may encrypt messages for the encrypted ops topic. */
export function alarmKeyStatements(account: AwsAccount): Statement[] {
    return [
        {
            Sid: "CloudWatchAlarmsPublishToTheEncryptedTopic",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
            Resource: "*",
            Condition: fromOwnAlarms(account),
        },
    ];
}

/** Topic policy: CloudWatch alarms of this account may publish. */
export function alarmTopicStatements(topicArn: pulumi.Input<string>, account: AwsAccount): Statement[] {
    return [
        {
            Sid: "CloudWatchAlarmsPublish",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish",
            Resource: topicArn,
            Condition: fromOwnAlarms(account),
        },
    ];
}

/**
 * Key-policy statement: these EventBridge rules (and no others) may encrypt what they send to the
 * encrypted ops topic. None without rules.
 */
export function eventRuleKeyStatements(ruleArns: readonly pulumi.Input<string>[]): Statement[] {
    return ruleArns.length === 0
        ? []
        : [
              {
                  Sid: "SecurityEventRulesPublishToTheEncryptedTopic",
                  Effect: "Allow",
                  Principal: { Service: "events.amazonaws.com" },
                  Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                  Resource: "*",
                  Condition: { ArnEquals: { "aws:SourceArn": [...ruleArns] } },
              },
          ];
}

/** Topic policy statement: these EventBridge rules (and no others) may publish. None without rules. */
export function eventRuleTopicStatements(
    topicArn: pulumi.Input<string>,
    ruleArns: readonly pulumi.Input<string>[],
): Statement[] {
    return ruleArns.length === 0
        ? []
        : [
              {
                  Sid: "SecurityEventRulesPublish",
                  Effect: "Allow",
                  Principal: { Service: "events.amazonaws.com" },
                  Action: "sns:Publish",
                  Resource: topicArn,
                  Condition: { ArnEquals: { "aws:SourceArn": [...ruleArns] } },
              },
          ];
}

export interface AlertsArgs {
    /** The account and region deployed into (the key and topic trust only its alarms). */
    account: AwsAccount;
    /** Alias of the topic's key, e.g. `webapp-dev-ops-alerts`. */
    keyAlias: string;
    /** Rotation period of the topic's key (`aws.kmsRotationDays`). Default 90. */
    rotationDays: number;
    /** Address subscribed to the topic (`monitoring.alarmEmail`). Default: no subscription. */
    alarmEmail?: string;
    /**
     * EventBridge rules that may publish to the topic (the security events of
     * `features.governance`), by ARN. Default: none.
     */
    eventRuleArns?: pulumi.Input<string>[];
}

/**
 * The ops alert topic every alarm of the platform notifies: encrypted with its own key, writable
 * only by this account's CloudWatch alarms, optionally with an e-mail subscription.
 */
export class Alerts extends pulumi.ComponentResource {
    public readonly topicArn: pulumi.Output<string>;
    /** The topic's key: publishers need data-key use of it through SNS. */
    public readonly keyArn: pulumi.Output<string>;

    constructor(name: string, args: AlertsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:Alerts", name, {}, opts);
        const child = { parent: this };
        const { key } = customerKey(
            `${name}-key`,
            {
                account: args.account,
                description: "webapp: ops alert topic",
                rotationDays: args.rotationDays,
                alias: args.keyAlias,
                extraStatements: [
                    ...alarmKeyStatements(args.account),
                    ...eventRuleKeyStatements(args.eventRuleArns ?? []),
                ],
            },
            child,
        );
        const topic = new aws.sns.Topic(
            `${name}-topic`,
            { displayName: "webapp alerts", kmsMasterKeyId: key.arn },
            child,
        );
        new aws.sns.TopicPolicy(
            `${name}-topic-policy`,
            {
                arn: topic.arn,
                policy: policyJson([
                    ...alarmTopicStatements(topic.arn, args.account),
                    ...eventRuleTopicStatements(topic.arn, args.eventRuleArns ?? []),
                ]),
            },
            child,
        );
        if (args.alarmEmail !== undefined) {
            new aws.sns.TopicSubscription(
                `${name}-email`,
                { topic: topic.arn, protocol: "email", endpoint: args.alarmEmail },
                child,
            );
        }
        this.topicArn = topic.arn;
        this.keyArn = key.arn;
        this.registerOutputs({ topicArn: this.topicArn });
    }
}
