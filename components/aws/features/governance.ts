import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { serviceRole, type AwsAccount, type Statement } from "../iam";
import { viaServiceStatement } from "../kms";
import { privateBucket, type AccessLogTarget } from "../storage";
import { archiveExpiry } from "./audit";
import type { AwsFeature } from "./types";

/** One EventBridge rule of the governance feature: what it matches, sent to the ops topic. */
export interface SecurityEventRule {
    /** Name suffix: the rule is `<prefix>-<role>` (its ARN is known before it exists). */
    readonly role: string;
    readonly description: string;
    /** The event pattern, as EventBridge reads it. */
    readonly pattern: Readonly<Record<string, unknown>>;
}

/** GuardDuty's severity scale: 4.0-6.9 medium, 7.0-8.9 high, 9.0+ critical. */
export const GUARDDUTY_MEDIUM = 4;

/** The security events that reach the ops topic. */
export const SECURITY_EVENT_RULES: readonly SecurityEventRule[] = [
    {
        role: "guardduty-findings",
        description: "GuardDuty findings of medium severity or higher",
        pattern: {
            source: ["aws.guardduty"],
            "detail-type": ["GuardDuty Finding"],
            detail: { severity: [{ numeric: [">=", GUARDDUTY_MEDIUM] }] },
        },
    },
    {
        role: "securityhub-findings",
        description: "New, active Security Hub findings of HIGH or CRITICAL severity",
        pattern: {
            source: ["aws.securityhub"],
            "detail-type": ["Security Hub Findings - Imported"],
            detail: {
                findings: {
                    Severity: { Label: ["HIGH", "CRITICAL"] },
                    Workflow: { Status: ["NEW"] },
                    RecordState: ["ACTIVE"],
                },
            },
        },
    },
    {
        role: "config-noncompliant",
        description: "AWS Config rule evaluations turning NON_COMPLIANT",
        pattern: {
            source: ["aws.config"],
            "detail-type": ["Config Rules Compliance Change"],
            detail: {
                messageType: ["ComplianceChangeNotification"],
                newEvaluationResult: { complianceType: ["NON_COMPLIANT"] },
            },
        },
    },
    {
        role: "backup-failures",
        description: "AWS Backup backup and copy jobs that failed, were aborted or expired",
        pattern: {
            source: ["aws.backup"],
            "detail-type": ["Backup Job State Change", "Copy Job State Change"],
            detail: { state: ["FAILED", "ABORTED", "EXPIRED"] },
        },
    },
    {
        role: "root-signin",
        description: "Console sign-in by the root user",
        pattern: {
            source: ["aws.signin"],
            "detail-type": ["AWS Console Sign In via CloudTrail"],
            detail: { userIdentity: { type: ["Root"] } },
        },
    },
];

/** The name of a security event rule: `<prefix>-<role>`, e.g. `webapp-prod-root-signin`. */
export function securityRuleName(prefix: string, rule: SecurityEventRule): string {
    return `${prefix}-${rule.role}`;
}

/** The ARNs of the security event rules, known before they exist (the ops topic's policies name them). */
export function securityRuleArns(account: AwsAccount, prefix: string): pulumi.Output<string>[] {
    return SECURITY_EVENT_RULES.map(
        (rule) =>
            pulumi.interpolate`arn:${account.partition}:events:${account.region}:${account.accountId}:rule/${securityRuleName(prefix, rule)}`,
    );
}

/** The AWS Config managed rules, matching the policy pack's own rules. */
export const CONFIG_RULES: ReadonlyArray<{
    readonly role: string;
    readonly identifier: string;
    readonly parameters?: Readonly<Record<string, string>>;
}> = [
    { role: "encrypted-volumes", identifier: "ENCRYPTED_VOLUMES" },
    { role: "rds-storage-encrypted", identifier: "RDS_STORAGE_ENCRYPTED" },
    { role: "rds-not-public", identifier: "RDS_INSTANCE_PUBLIC_ACCESS_CHECK" },
    { role: "s3-not-public", identifier: "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED" },
    { role: "s3-tls-only", identifier: "S3_BUCKET_SSL_REQUESTS_ONLY" },
    { role: "restricted-ssh", identifier: "INCOMING_SSH_DISABLED" },
    { role: "cloudtrail-enabled", identifier: "CLOUD_TRAIL_ENABLED" },
    { role: "root-mfa", identifier: "ROOT_ACCOUNT_MFA_ENABLED" },
    {
        role: "iam-password-policy",
        identifier: "IAM_PASSWORD_POLICY",
        // The CIS AWS Foundations figures.
        parameters: {
            RequireUppercaseCharacters: "true",
            RequireLowercaseCharacters: "true",
            RequireSymbols: "true",
            RequireNumbers: "true",
            MinimumPasswordLength: "14",
            PasswordReusePrevention: "24",
            MaxPasswordAge: "90",
        },
    },
];

/** The Security Hub standards subscribed to (ARNs without partition and region: see `standardsArn`). */
export const SECURITY_HUB_STANDARDS = [
    "aws-foundational-security-best-practices/v/1.0.0",
    "cis-aws-foundations-benchmark/v/1.4.0",
] as const;

/** A regional Security Hub standard's ARN. */
export function standardsArn(account: AwsAccount, standard: string): pulumi.Output<string> {
    return pulumi.interpolate`arn:${account.partition}:securityhub:${account.region}::standards/${standard}`;
}

/** The key prefix AWS Config writes under in its bucket (`AWSLogs/<account>/Config/`). */
export function configObjects(bucketArn: pulumi.Input<string>, account: AwsAccount): pulumi.Output<string> {
    return pulumi.interpolate`${bucketArn}/AWSLogs/${account.accountId}/Config/*`;
}

/** Bucket policy statements: AWS Config of this account (and no other) may check the bucket and deliver. */
export function configBucketStatements(account: AwsAccount, bucketArn: pulumi.Input<string>): Statement[] {
    const ownAccount = { StringEquals: { "aws:SourceAccount": account.accountId } };
    return [
        {
            Sid: "ConfigChecksTheBucket",
            Effect: "Allow",
            Principal: { Service: "config.amazonaws.com" },
            Action: ["s3:GetBucketAcl", "s3:ListBucket"],
            Resource: bucketArn,
            Condition: ownAccount,
        },
        {
            Sid: "ConfigDelivers",
            Effect: "Allow",
            Principal: { Service: "config.amazonaws.com" },
            Action: "s3:PutObject",
            Resource: configObjects(bucketArn, account),
            Condition: {
                StringEquals: { "aws:SourceAccount": account.accountId, "s3:x-amz-acl": "bucket-owner-full-control" },
            },
        },
    ];
}

/** The recorder role's own statements: deliver into the bucket, encrypted with its key through S3. */
export function configRoleStatements(
    account: AwsAccount,
    bucketArn: pulumi.Input<string>,
    keyArn: pulumi.Input<string>,
): Statement[] {
    return [
        { Sid: "CheckTheBucket", Effect: "Allow", Action: "s3:GetBucketAcl", Resource: bucketArn },
        { Sid: "Deliver", Effect: "Allow", Action: "s3:PutObject", Resource: configObjects(bucketArn, account) },
        {
            Sid: "EncryptDeliveries",
            ...viaServiceStatement(keyArn, "s3", account.region, ["kms:GenerateDataKey", "kms:Decrypt"]),
        },
    ];
}

/** Days AWS Config's snapshots and history files are kept in the bucket. */
export const CONFIG_HISTORY_DAYS = 365;

export interface GovernanceArgs {
    account: AwsAccount;
    /** `webapp-<environment>`: names the recorder, channel, analyzer and event rules. */
    prefix: string;
    /** The ops alert topic the security events go to (its policies admit exactly these rules). */
    alertTopicArn: pulumi.Input<string>;
    /** The stack's S3 key (`kms.keyArns.s3`): the Config bucket is encrypted with it. */
    bucketKeyArn: pulumi.Input<string>;
    /** Server access logs of the Config bucket (`Storage.accessLogTarget`). */
    accessLogs: AccessLogTarget;
    /** Let `pulumi destroy` delete the Config bucket with its objects. Default: only in dev. */
    forceDestroy: boolean;
}

/**
 * Account security services (`features.governance`): Security Hub with the AWS Foundational
 * Security Best Practices and CIS AWS Foundations standards; AWS Config recording every supported
 * resource (global ones here) into its own bucket, with managed rules matching the policy pack;
 * IAM Access Analyzer for the account; Inspector v2 for EC2 and ECR; and EventBridge rules sending
 * security events to the ops topic. Each service allows one per account and region: leave this off
 * where the organization runs them centrally.
 */
export class Governance extends pulumi.ComponentResource {
    public readonly configBucketName: pulumi.Output<string>;
    public readonly recorderName: pulumi.Output<string>;
    public readonly analyzerArn: pulumi.Output<string>;

    constructor(name: string, args: GovernanceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:Governance", name, {}, opts);
        const child = { parent: this };

        const hub = new aws.securityhub.Account(
            `${name}-securityhub`,
            { enableDefaultStandards: false, autoEnableControls: true, controlFindingGenerator: "SECURITY_CONTROL" },
            child,
        );
        SECURITY_HUB_STANDARDS.forEach((standard, i) => {
            new aws.securityhub.StandardsSubscription(
                `${name}-standard-${i}`,
                { standardsArn: standardsArn(args.account, standard) },
                { parent: this, dependsOn: [hub] },
            );
        });

        const { bucket, policy } = privateBucket(
            `${name}-config`,
            {
                kmsKeyArn: args.bucketKeyArn,
                accessLogs: args.accessLogs,
                forceDestroy: args.forceDestroy,
                versioning: true,
                lifecycleRules: [archiveExpiry("expire-config-history", CONFIG_HISTORY_DAYS)],
                policyStatements: (bucketArn) => configBucketStatements(args.account, bucketArn),
            },
            this,
        );
        const role = serviceRole(
            `${name}-config-role`,
            "config.amazonaws.com",
            args.account,
            configRoleStatements(args.account, bucket.arn, args.bucketKeyArn),
            {
                parent: this,
                description: "webapp: AWS Config records the account's resources",
                managedPolicyArns: [
                    pulumi.interpolate`arn:${args.account.partition}:iam::aws:policy/service-role/AWS_ConfigRole`,
                ],
            },
        );
        const recorder = new aws.cfg.Recorder(
            `${name}-recorder`,
            {
                name: args.prefix,
                roleArn: role.arn,
                recordingGroup: { allSupported: true, includeGlobalResourceTypes: true },
                recordingMode: { recordingFrequency: "CONTINUOUS" },
            },
            child,
        );
        const channel = new aws.cfg.DeliveryChannel(
            `${name}-delivery`,
            {
                name: args.prefix,
                s3BucketName: bucket.bucket,
                s3KmsKeyArn: args.bucketKeyArn,
                snapshotDeliveryProperties: { deliveryFrequency: "TwentyFour_Hours" },
            },
            { parent: this, dependsOn: [recorder, policy] },
        );
        const status = new aws.cfg.RecorderStatus(
            `${name}-recorder-status`,
            { name: recorder.name, isEnabled: true },
            { parent: this, dependsOn: [channel] },
        );
        for (const rule of CONFIG_RULES) {
            new aws.cfg.Rule(
                `${name}-rule-${rule.role}`,
                {
                    name: `${args.prefix}-${rule.role}`,
                    source: { owner: "AWS", sourceIdentifier: rule.identifier },
                    ...(rule.parameters === undefined ? {} : { inputParameters: JSON.stringify(rule.parameters) }),
                },
                { parent: this, dependsOn: [status] },
            );
        }

        const analyzer = new aws.accessanalyzer.Analyzer(
            `${name}-access-analyzer`,
            { analyzerName: args.prefix, type: "ACCOUNT" },
            child,
        );
        new aws.inspector2.Enabler(
            `${name}-inspector`,
            { accountIds: [args.account.accountId], resourceTypes: ["EC2", "ECR"] },
            child,
        );

        for (const rule of SECURITY_EVENT_RULES) {
            const eventRule = new aws.cloudwatch.EventRule(
                `${name}-${rule.role}`,
                {
                    name: securityRuleName(args.prefix, rule),
                    description: `webapp: ${rule.description}`,
                    eventPattern: JSON.stringify(rule.pattern),
                },
                child,
            );
            new aws.cloudwatch.EventTarget(
                `${name}-${rule.role}-target`,
                { rule: eventRule.name, arn: args.alertTopicArn },
                child,
            );
        }

        this.configBucketName = bucket.bucket;
        this.recorderName = recorder.name;
        this.analyzerArn = analyzer.arn;
        this.registerOutputs({
            configBucketName: this.configBucketName,
            recorderName: this.recorderName,
            analyzerArn: this.analyzerArn,
        });
    }
}

/** `features.governance` on AWS. */
export const AWS_GOVERNANCE: AwsFeature = {
    build: (ctx, platform) => {
        new Governance(
            ctx.name("governance"),
            {
                account: ctx.account,
                prefix: ctx.names.prefix,
                alertTopicArn: platform.alerts.topicArn,
                bucketKeyArn: platform.kms.keyArns.s3,
                accessLogs: platform.storage.accessLogTarget("config"),
                forceDestroy: ctx.behaviour.destroyWithData,
            },
            ctx.tierOpts,
        );
    },
};
