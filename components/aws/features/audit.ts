import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyJson, serviceRole, type AwsAccount, type Statement } from "../iam";
import { customerKey } from "../kms";
import { cisAlarms } from "./cis";
import { ABORT_MULTIPART_AFTER_DAYS, privateBucket, type AccessLogTarget } from "../storage";
import type { AwsFeature } from "./types";

/** Days the trail's log files are kept. */
export const TRAIL_LOG_RETENTION_DAYS = 365;

export interface AuditArgs {
    account: AwsAccount;
    /** The trail's name, e.g. `webapp-dev`: fixed so the bucket and key policies can name the trail. */
    trailName: string;
    /** Key rotation period in days. Default from `aws.kmsRotationDays`: 90. */
    rotationDays: number;
    /** Alias of the trail's key (`alias/<value>`). */
    keyAlias: string;
    /** Let `pulumi destroy` delete the log bucket with its logs. Default: only in dev. */
    forceDestroy: boolean;
    /** Server access logs of the trail's bucket (the stack's access-log bucket, `Storage.accessLogTarget`). */
    accessLogs: AccessLogTarget;
    /** The logs key (`kms.keyArns.logs`): the trail's CloudWatch log group is encrypted with it. */
    logsKeyArn: pulumi.Input<string>;
    /** Days the trail's CloudWatch log group keeps events (`aws.logRetentionDays`: 30 in dev, 365 elsewhere). */
    logRetentionDays: number;
    /**
     * The CIS AWS Foundations metric filters and alarms on the trail's log group, each alarm
     * notifying this topic (the ops alert topic; `features.governance`). Default: none.
     */
    cisAlarmTopicArn?: pulumi.Input<string>;
    /** The CIS metrics' CloudWatch namespace, e.g. `webapp/prod/CIS`. Default: `<trailName>/CIS`. */
    cisNamespace?: string;
}

/** Days a replaced or deleted trail log file stays recoverable in the versioned bucket. */
export const TRAIL_NONCURRENT_DAYS = 30;

/**
 * The lifecycle rule of a versioned log archive (the trail's bucket, AWS Config's): objects expire
 * after `days`, replaced versions `TRAIL_NONCURRENT_DAYS` later, incomplete uploads are aborted.
 */
export function archiveExpiry(id: string, days: number): aws.types.input.s3.BucketLifecycleConfigurationRule {
    return {
        id,
        status: "Enabled",
        filter: { prefix: "" },
        expiration: { days },
        noncurrentVersionExpiration: { noncurrentDays: TRAIL_NONCURRENT_DAYS },
        abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_MULTIPART_AFTER_DAYS },
    };
}

/** The trail's ARN, known before the trail exists (the policies that must precede it name it). */
export function trailArn(account: AwsAccount, trailName: string): pulumi.Output<string> {
    return pulumi.interpolate`arn:${account.partition}:cloudtrail:${account.region}:${account.accountId}:trail/${trailName}`;
}

/** Key policy statements that let CloudTrail encrypt this trail's logs (and nothing else). */
export function trailKeyStatements(account: AwsAccount, trail: pulumi.Input<string>): Statement[] {
    return [
        {
            Sid: "CloudTrailEncryptsThisTrail",
            Effect: "Allow",
            Principal: { Service: "cloudtrail.amazonaws.com" },
            Action: "kms:GenerateDataKey*",
            Resource: "*",
            Condition: {
                StringEquals: { "aws:SourceArn": trail },
                StringLike: {
                    "kms:EncryptionContext:aws:cloudtrail:arn": pulumi.interpolate`arn:${account.partition}:cloudtrail:*:${account.accountId}:trail/*`,
                },
            },
        },
        {
            Sid: "CloudTrailDescribesTheKey",
            Effect: "Allow",
            Principal: { Service: "cloudtrail.amazonaws.com" },
            Action: "kms:DescribeKey",
            Resource: "*",
        },
    ];
}

/**
 * Key policy statement that lets CloudTrail publish this trail's delivery notifications to the
 * trail's encrypted topic (SNS asks for a data key on CloudTrail's behalf).
 */
export function trailTopicKeyStatements(account: AwsAccount, trail: pulumi.Input<string>): Statement[] {
    return [
        {
            Sid: "CloudTrailPublishesToTheEncryptedTopic",
            Effect: "Allow",
            Principal: { Service: "cloudtrail.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
            Resource: "*",
            Condition: {
                StringEquals: {
                    "aws:SourceArn": trail,
                    "kms:ViaService": `sns.${account.region}.amazonaws.com`,
                },
            },
        },
    ];
}

/** Topic policy: this trail (and nothing else) may publish its log-delivery notifications. */
export function trailTopicStatements(topicArn: pulumi.Input<string>, trail: pulumi.Input<string>): Statement[] {
    return [
        {
            Sid: "CloudTrailPublishesDeliveries",
            Effect: "Allow",
            Principal: { Service: "cloudtrail.amazonaws.com" },
            Action: "sns:Publish",
            Resource: topicArn,
            Condition: { StringEquals: { "aws:SourceArn": trail } },
        },
    ];
}

/** The role CloudTrail assumes to write the trail's events into its log group: that group's streams only. */
export function trailLogsStatements(logGroupArn: pulumi.Input<string>): Statement[] {
    return [
        {
            Sid: "WriteTheTrailLogGroup",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: pulumi.interpolate`${logGroupArn}:log-stream:*`,
        },
    ];
}

/** Bucket policy statements that let CloudTrail deliver this trail's logs. */
export function trailBucketStatements(
    account: AwsAccount,
    bucketArn: pulumi.Input<string>,
    trail: pulumi.Input<string>,
): Statement[] {
    return [
        {
            Sid: "CloudTrailChecksTheBucketAcl",
            Effect: "Allow",
            Principal: { Service: "cloudtrail.amazonaws.com" },
            Action: "s3:GetBucketAcl",
            Resource: bucketArn,
            Condition: { StringEquals: { "aws:SourceArn": trail } },
        },
        {
            Sid: "CloudTrailWritesLogs",
            Effect: "Allow",
            Principal: { Service: "cloudtrail.amazonaws.com" },
            Action: "s3:PutObject",
            Resource: pulumi.interpolate`${bucketArn}/AWSLogs/${account.accountId}/*`,
            Condition: {
                StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail },
            },
        },
    ];
}

/**
 * Opt-in audit (`features.auditLogs`): a multi-region CloudTrail trail with log-file validation,
 * delivered to a private bucket encrypted with its own key, and GuardDuty threat detection.
 * GuardDuty allows one detector per account and region: leave this off where the organization
 * already runs GuardDuty centrally.
 */
export class Audit extends pulumi.ComponentResource {
    public readonly trailArn: pulumi.Output<string>;
    public readonly logBucketName: pulumi.Output<string>;
    public readonly detectorId: pulumi.Output<string>;
    /** The CloudWatch log group the trail also delivers to. */
    public readonly logGroupName: pulumi.Output<string>;
    /** The topic announcing each log file delivered. */
    public readonly deliveryTopicArn: pulumi.Output<string>;

    constructor(name: string, args: AuditArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:Audit", name, {}, opts);
        const child = { parent: this };
        const arn = trailArn(args.account, args.trailName);

        const { key } = customerKey(
            `${name}-key`,
            {
                account: args.account,
                description: "webapp: CloudTrail log files",
                rotationDays: args.rotationDays,
                alias: args.keyAlias,
                extraStatements: [
                    ...trailKeyStatements(args.account, arn),
                    ...trailTopicKeyStatements(args.account, arn),
                ],
            },
            child,
        );

        const { bucket, policy: bucketPolicy } = privateBucket(
            `${name}-logs`,
            {
                kmsKeyArn: key.arn,
                accessLogs: args.accessLogs,
                forceDestroy: args.forceDestroy,
                versioning: true,
                lifecycleRules: [archiveExpiry("expire-trail-logs", TRAIL_LOG_RETENTION_DAYS)],
                policyStatements: (bucketArn) => trailBucketStatements(args.account, bucketArn, arn),
            },
            this,
        );

        // Each log file delivered is announced on the trail's own topic (for a consumer that reads
        // the files as they arrive); it has no subscription of its own, and is not the ops topic,
        // which would mail every delivery.
        const topic = new aws.sns.Topic(
            `${name}-deliveries`,
            { displayName: "webapp: CloudTrail log deliveries", kmsMasterKeyId: key.arn },
            child,
        );
        const topicPolicy = new aws.sns.TopicPolicy(
            `${name}-deliveries-policy`,
            { arn: topic.arn, policy: policyJson(trailTopicStatements(topic.arn, arn)) },
            child,
        );

        // The trail's events also go to CloudWatch Logs (the CIS metric filters read them there).
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-trail-logs`,
            { retentionInDays: args.logRetentionDays, kmsKeyId: args.logsKeyArn },
            child,
        );
        const logsRole = serviceRole(
            `${name}-trail-logs-role`,
            "cloudtrail.amazonaws.com",
            args.account,
            trailLogsStatements(logGroup.arn),
            {
                parent: this,
                description: "webapp: CloudTrail writes the trail's events into its log group",
            },
        );

        const trail = new aws.cloudtrail.Trail(
            `${name}-trail`,
            {
                name: args.trailName,
                s3BucketName: bucket.bucket,
                kmsKeyId: key.arn,
                isMultiRegionTrail: true,
                includeGlobalServiceEvents: true,
                enableLogFileValidation: true,
                enableLogging: true,
                snsTopicName: topic.name,
                cloudWatchLogsGroupArn: pulumi.interpolate`${logGroup.arn}:*`,
                cloudWatchLogsRoleArn: logsRole.arn,
            },
            { parent: this, dependsOn: [bucketPolicy, topicPolicy] },
        );

        if (args.cisAlarmTopicArn !== undefined) {
            cisAlarms(`${name}-cis`, {
                logGroupName: logGroup.name,
                namespace: args.cisNamespace ?? `${args.trailName}/CIS`,
                alarmTopicArn: args.cisAlarmTopicArn,
                parent: this,
            });
        }

        const detector = new aws.guardduty.Detector(
            `${name}-guardduty`,
            { enable: true, findingPublishingFrequency: "FIFTEEN_MINUTES" },
            child,
        );

        this.trailArn = trail.arn;
        this.logBucketName = bucket.bucket;
        this.detectorId = detector.id;
        this.logGroupName = logGroup.name;
        this.deliveryTopicArn = topic.arn;
        this.registerOutputs({
            logGroupName: this.logGroupName,
            deliveryTopicArn: this.deliveryTopicArn,
            trailArn: this.trailArn,
            logBucketName: this.logBucketName,
            detectorId: this.detectorId,
        });
    }
}

/**
 * `features.auditLogs` on AWS: the trail `webapp-<environment>` (also into a log group) and
 * GuardDuty; with `features.governance`, the CIS metric filters and alarms on the trail's log group.
 */
export const AWS_AUDIT: AwsFeature = {
    build: (ctx, platform) => {
        new Audit(
            ctx.name("audit"),
            {
                account: ctx.account,
                trailName: ctx.names.prefix,
                rotationDays: ctx.config.aws.kmsRotationDays,
                keyAlias: ctx.names.scoped("trail"),
                forceDestroy: ctx.behaviour.destroyWithData,
                accessLogs: platform.storage.accessLogTarget("audit"),
                logsKeyArn: platform.kms.keyArns.logs,
                logRetentionDays: ctx.config.aws.logRetentionDays,
                cisNamespace: `${ctx.names.metricsNamespace}/CIS`,
                ...(ctx.config.features.governance ? { cisAlarmTopicArn: platform.alerts.topicArn } : {}),
            },
            ctx.tierOpts,
        );
    },
};
