/**
 * The disaster-recovery region (`aws.dr.region`): a second copy of what the platform cannot rebuild
 * (the database and the bucket) and the automation that turns it into the primary.
 *
 * In the DR region: a small VPC (private subnets only, no NAT) holding a cross-region read replica
 * of the database, a versioned bucket the application bucket replicates into, an ops topic, and
 * the promotion function (`functions/replica-promotion/`: signed code from an artifacts bucket of
 * its own, as the e-mail function, its environment under a key of its own, X-Ray tracing). In the primary region: the replication
 * rule on the application bucket, an alarm on the primary database, the EventBridge rule that
 * forwards the primary's failure events to the DR region's bus, and the alarm topic's subscription
 * for the function. Everything in the DR region is encrypted with the DR region's keys.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { promotionStatements } from "../../functions/replica-promotion/iam";
import { TAGS } from "../../functions/replica-promotion/record";
import { ENV } from "../../functions/replica-promotion/settings";
import { alarmFilterPolicy, promotionEventPattern } from "../../functions/replica-promotion/triggers";
import { Alerts } from "./alerts";
import { artifactKeys, signedCode } from "./codeSigning";
import { dbInstanceParts, sharedInstanceArgs, type RdsEngineSpec } from "./database";
import { policyJson, sendTracesStatement, serviceRole, type AwsAccount, type Statement } from "./iam";
import { customerKey, viaServiceStatement, type Kms } from "./kms";
import { subnetPlan, vpcFlowLog } from "./network";
import { Vpc } from "./vpc";
import {
    ACCESS_LOG_PREFIXES,
    lifecycleRules,
    logBucketLifecycle,
    logBucketStatements,
    privateBucket,
    type AccessLogTarget,
} from "./storage";

/** Lambda's own retries of a failed promotion (the maximum): a busy replica often accepts on a retry. */
export const PROMOTION_RETRY_ATTEMPTS = 2;
/** A failure event older than an hour is not acted on any more: someone must decide by hand. */
export const PROMOTION_MAX_EVENT_AGE_SECONDS = 60 * 60;
/** The function decides within one Lambda invocation (the maximum, 15 minutes). */
export const PROMOTION_TIMEOUT_SECONDS = 900;
/** The primary's daily backup window; the promoted instance keeps it. */
export const BACKUP_WINDOW = "03:00-04:00";
/** Minutes without a single database metric before the primary counts as unavailable. */
export const UNAVAILABLE_AFTER_MINUTES = 5;

/** Where the promotion function's bundle and its signed copy live in its artifacts bucket. */
export const PROMOTION_ARTIFACT_KEYS = artifactKeys("replica-promotion");

/** The replica's tags the promotion function writes; the program leaves them alone. */
export const FAILOVER_TAG_KEYS: readonly string[] = Object.values(TAGS);

export interface DisasterRecoveryArgs {
    /** The primary region's account and provider: the pieces that watch the primary live there. */
    primary: { account: AwsAccount; provider: aws.Provider };
    /** The DR region's account (the same account, the DR region). */
    account: AwsAccount;
    /** The DR region's keys (`Kms` built with the DR provider): replica, bucket, secrets. */
    kms: Kms;
    /** The primary region's keys: replication decrypts the application bucket's objects with its S3 key. */
    primaryKms: Pick<Kms, "keyArns">;
    /** The primary database (the replica's source, the promotion function's primary). */
    /** The primary: the replica follows its engine (`Database.engine`). */
    database: { arn: pulumi.Input<string>; instanceIdentifier: pulumi.Input<string>; engine: RdsEngineSpec };
    /** The application bucket and its versioning (replication needs it first). */
    storage: { bucketArn: pulumi.Input<string>; bucketName: pulumi.Input<string>; versioning: pulumi.Resource };
    /** The primary region's ops topic: the unavailability alarm notifies it, the function subscribes. */
    primaryAlertTopicArn: pulumi.Input<string>;
    /** `webapp-<environment>`: identifiers, alias and alarm names. */
    prefix: string;
    /** The DR VPC's block (`aws.dr.vpcCidr`, default 10.100.0.0/16). */
    vpcCidr: string;
    /** AZs of the DR VPC. Default from `aws.azCount`: 2. */
    azCount: number;
    /** The replica mirrors the primary: `aws.db.engineVersion`, `instanceClass`, `maxAllocatedStorage`. */
    engineVersion: string;
    instanceClass: string;
    maxAllocatedStorage: number;
    /** Automated backups of the replica, and of the promoted instance (`aws.db.backupRetentionDays`: 7). */
    backupRetentionDays: number;
    /** From `aws.db.deletionProtection`: off in dev, on elsewhere. */
    deletionProtection: boolean;
    /** Retention of the replica's and the function's log groups and the DR access logs (`aws.logRetentionDays`: 30). */
    logRetentionDays: number;
    /** Key rotation of the DR ops topic's key (`aws.kmsRotationDays`: 90). */
    rotationDays: number;
    /** The DR bucket's lifecycle, as the application bucket's (`aws.storage.*`). */
    infrequentAccessAfterDays: number;
    noncurrentVersionExpirationDays: number;
    /** Let `pulumi destroy` delete the DR bucket and vault with their contents. Default: only in dev. */
    forceDestroy: boolean;
    /** Address subscribed to the DR ops topic (`monitoring.alarmEmail`). Default: none. */
    alarmEmail?: string;
    /** The promotion function's bundle (`replicaPromotionArchive()`) and handler (`index.handler`). */
    code: pulumi.asset.Archive;
    handler: string;
    /** `aws.dr.promotion.dryRun` (default false): decide and report, never promote. */
    dryRun: boolean;
    /** `aws.dr.promotion.graceSeconds` (default 300): how long a primary may come back. */
    graceSeconds: number;
    /** Build a backup vault in the DR region for the backup plan's copies (`features.backup`). Default false. */
    backupVault: boolean;
}

/** The promotion function's environment (names and ARNs only; it needs no secret). */
export function promotionEnvironment(args: {
    replicaArn: pulumi.Input<string>;
    primaryArn: pulumi.Input<string>;
    topicArn: pulumi.Input<string>;
    alarmArns: pulumi.Input<string>[];
    dryRun: boolean;
    graceSeconds: number;
    backupRetentionDays: number;
    backupWindow: string;
}): Record<string, pulumi.Input<string>> {
    return {
        [ENV.replicaArn]: args.replicaArn,
        [ENV.primaryArn]: args.primaryArn,
        [ENV.topicArn]: args.topicArn,
        [ENV.alarmArns]: pulumi.all(args.alarmArns).apply((arns) => arns.join(",")),
        [ENV.dryRun]: String(args.dryRun),
        [ENV.graceSeconds]: String(args.graceSeconds),
        [ENV.backupRetentionDays]: String(args.backupRetentionDays),
        [ENV.backupWindow]: args.backupWindow,
    };
}

/**
 * What the promotion function's runtime needs besides its work (`promotionStatements`): decrypt its
 * environment, encrypted with its own DR-region key, through Lambda in that region only; and send
 * its X-Ray traces (actions without resource-level permissions).
 */
export function promotionRuntimeStatements(environmentKey: { arn: pulumi.Input<string>; region: string }): Statement[] {
    return [
        {
            Sid: "DecryptOwnEnvironment",
            ...viaServiceStatement(environmentKey.arn, "lambda", environmentKey.region, ["kms:Decrypt"]),
        },
        sendTracesStatement(),
    ];
}

/** The default event bus of a region, the target of the forwarding rule. */
export function defaultEventBusArn(account: AwsAccount): pulumi.Output<string> {
    return pulumi.interpolate`arn:${account.partition}:events:${account.region}:${account.accountId}:event-bus/default`;
}

/**
 * The S3 replication role's statements: read the source bucket's versions, write replicas into the
 * DR bucket only, decrypt with the source key through S3 in the primary region and encrypt with
 * the DR key through S3 in the DR region.
 */
export function replicationStatements(args: {
    sourceBucketArn: pulumi.Input<string>;
    destinationBucketArn: pulumi.Input<string>;
    sourceKey: { arn: pulumi.Input<string>; region: string };
    destinationKey: { arn: pulumi.Input<string>; region: string };
}): Statement[] {
    return [
        {
            Sid: "ReadTheReplicationConfiguration",
            Effect: "Allow",
            Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
            Resource: args.sourceBucketArn,
        },
        {
            Sid: "ReadSourceVersions",
            Effect: "Allow",
            Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
            Resource: pulumi.interpolate`${args.sourceBucketArn}/*`,
        },
        {
            Sid: "WriteReplicas",
            Effect: "Allow",
            Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
            Resource: pulumi.interpolate`${args.destinationBucketArn}/*`,
        },
        {
            Sid: "DecryptSourceObjects",
            ...viaServiceStatement(args.sourceKey.arn, "s3", args.sourceKey.region, ["kms:Decrypt"]),
        },
        {
            Sid: "EncryptReplicas",
            ...viaServiceStatement(args.destinationKey.arn, "s3", args.destinationKey.region, [
                "kms:Encrypt",
                "kms:GenerateDataKey",
            ]),
        },
    ];
}

/** The replication rule: every object, delete markers too, SSE-KMS objects re-encrypted with the DR key. */
export function replicationRule(args: {
    destinationBucketArn: pulumi.Input<string>;
    destinationKeyArn: pulumi.Input<string>;
}): aws.types.input.s3.BucketReplicationConfigRule {
    return {
        id: "to-dr-region",
        status: "Enabled",
        filter: { prefix: "" },
        deleteMarkerReplication: { status: "Enabled" },
        sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
        destination: {
            bucket: args.destinationBucketArn,
            storageClass: "STANDARD",
            encryptionConfiguration: { replicaKmsKeyId: args.destinationKeyArn },
        },
    };
}

/** The replica's properties the promotion function changes (tags) or ends (replication). */
export function promotedReplicaIgnoreChanges(): string[] {
    return ["replicateSourceDb", ...FAILOVER_TAG_KEYS.map((key) => `tags["${key}"]`)];
}

/**
 * The DR region of the platform (see the module comment). Its own resources use the DR provider
 * (pass `ctx.dr.tierOpts`); the few in the primary region name `args.primary.provider`.
 */
export class DisasterRecovery extends pulumi.ComponentResource {
    public readonly region: string;
    public readonly replicaArn: pulumi.Output<string>;
    public readonly replicaIdentifier: pulumi.Output<string>;
    public readonly replicaAddress: pulumi.Output<string>;
    public readonly bucketName: pulumi.Output<string>;
    public readonly bucketArn: pulumi.Output<string>;
    public readonly topicArn: pulumi.Output<string>;
    public readonly functionName: pulumi.Output<string>;
    public readonly functionArn: pulumi.Output<string>;
    /** The alarm on the primary database that asks for a promotion. */
    public readonly unavailableAlarmArn: pulumi.Output<string>;
    /** The DR region's backup vault, when `backupVault` is on. */
    public readonly backupVaultArn?: pulumi.Output<string>;

    constructor(name: string, args: DisasterRecoveryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:DisasterRecovery", name, {}, opts);
        const child = { parent: this };
        const inPrimary = { parent: this, provider: args.primary.provider };
        this.region = args.account.region;

        // The DR network: isolated subnets for the replica (no route out, no NAT), flow logs.
        const vpc = new Vpc(
            `${name}-vpc`,
            {
                cidrBlock: args.vpcCidr,
                subnets: { isolated: subnetPlan(args.vpcCidr, args.azCount).private },
                natGateways: "none",
            },
            child,
        );
        vpcFlowLog(
            `${name}-vpc`,
            {
                vpcId: vpc.vpcId,
                account: args.account,
                retentionDays: args.logRetentionDays,
                logsKeyArn: args.kms.keyArns.logs,
            },
            this,
        );
        // Taking over the default group removes AWS's rules from it (members to members, all egress).
        new aws.ec2.DefaultSecurityGroup(`${name}-vpc-default-sg`, { vpcId: vpc.vpcId }, child);
        const network = { networkId: vpc.vpcId, subnetIds: vpc.isolatedSubnetIds };

        const replica = this.replica(name, args, network);
        this.replicaArn = replica.arn;
        this.replicaIdentifier = replica.identifier;
        this.replicaAddress = replica.address;

        const { bucket, accessLogs } = this.replicatedBucket(name, args, inPrimary);
        this.bucketName = bucket.bucket;
        this.bucketArn = bucket.arn;

        const alerts = new Alerts(
            `${name}-alerts`,
            {
                account: args.account,
                keyAlias: `${args.prefix}-dr-ops-alerts`,
                rotationDays: args.rotationDays,
                alarmEmail: args.alarmEmail,
            },
            child,
        );
        this.topicArn = alerts.topicArn;

        // The primary's unavailability: no metric at all for five minutes (down, or its region is).
        const alarm = new aws.cloudwatch.MetricAlarm(
            `${name}-primary-unavailable`,
            {
                name: `${args.prefix}-db-unavailable`,
                alarmDescription:
                    "The primary database has sent no metric for 5 minutes: it is down or unreachable. " +
                    `The promotion function in ${this.region} decides whether to promote the replica.`,
                namespace: "AWS/RDS",
                metricName: "CPUUtilization",
                dimensions: { DBInstanceIdentifier: args.database.instanceIdentifier },
                statistic: "SampleCount",
                period: 60,
                evaluationPeriods: UNAVAILABLE_AFTER_MINUTES,
                threshold: 1,
                comparisonOperator: "LessThanThreshold",
                treatMissingData: "breaching",
                alarmActions: [args.primaryAlertTopicArn],
                okActions: [args.primaryAlertTopicArn],
            },
            inPrimary,
        );
        this.unavailableAlarmArn = alarm.arn;

        const fn = this.promotionFunction(name, args, { replica, alerts, alarm, accessLogs });
        this.functionName = fn.name;
        this.functionArn = fn.arn;

        if (args.backupVault) {
            const { key } = customerKey(
                `${name}-backup-key`,
                {
                    account: args.account,
                    description: "webapp: AWS Backup copies in the DR region",
                    rotationDays: args.rotationDays,
                    alias: `${args.prefix}-dr-backup`,
                },
                child,
            );
            const vault = new aws.backup.Vault(
                `${name}-backup-vault`,
                { kmsKeyArn: key.arn, forceDestroy: args.forceDestroy },
                child,
            );
            this.backupVaultArn = vault.arn;
        }

        this.registerOutputs({
            replicaArn: this.replicaArn,
            bucketName: this.bucketName,
            topicArn: this.topicArn,
            functionName: this.functionName,
        });
    }

    /** The cross-region read replica, in the DR VPC, encrypted with the DR region's RDS key. */
    private replica(
        name: string,
        args: DisasterRecoveryArgs,
        network: { networkId: pulumi.Input<string>; subnetIds: pulumi.Input<string[]> },
    ): aws.rds.Instance {
        const child = { parent: this };
        const suffix = new random.RandomString(
            `${name}-replica-id`,
            { length: 6, special: false, upper: false },
            child,
        );
        const identifier = pulumi.interpolate`${args.prefix}-dr-${suffix.result}`;
        const securityGroup = new aws.ec2.SecurityGroup(
            `${name}-replica-sg`,
            {
                vpcId: network.networkId,
                description: `${args.database.engine.label} replica: no ingress until a standby is granted, no egress`,
                revokeRulesOnDelete: true,
            },
            child,
        );
        const subnetGroup = new aws.rds.SubnetGroup(
            `${name}-replica-subnets`,
            { subnetIds: network.subnetIds, description: "Isolated subnets of the webapp DR VPC" },
            child,
        );
        const parts = dbInstanceParts(
            `${name}-replica`,
            {
                account: args.account,
                engine: args.database.engine,
                engineVersion: args.engineVersion,
                identifier,
                logRetentionDays: args.logRetentionDays,
                logsKeyArn: args.kms.keyArns.logs,
                monitoringDescription: "RDS enhanced monitoring of the DR replica",
            },
            this,
        );
        return new aws.rds.Instance(
            `${name}-replica`,
            {
                ...sharedInstanceArgs({
                    engine: args.database.engine,
                    kmsKeyArn: args.kms.keyArns.rds,
                    instanceClass: args.instanceClass,
                    maxAllocatedStorage: args.maxAllocatedStorage,
                    subnetGroupName: subnetGroup.name,
                    securityGroupId: securityGroup.id,
                    parts,
                }),
                identifier,
                // Cross-region: the source is named by its ARN; storage size, user and database come
                // from it. The engine is the source's too, stated so the parameter group's TLS rule applies.
                engine: args.database.engine.engine,
                replicateSourceDb: args.database.arn,
                multiAz: false,
                backupRetentionPeriod: args.backupRetentionDays,
                backupWindow: BACKUP_WINDOW,
                deletionProtection: args.deletionProtection,
                // RDS takes no final snapshot of a read replica (DeleteDBInstance refuses one).
                skipFinalSnapshot: true,
                applyImmediately: true,
            },
            {
                parent: this,
                dependsOn: parts.logGroups,
                // After a promotion the instance is standalone and carries the function's tags:
                // the next `pulumi up` must not try to undo either.
                ignoreChanges: promotedReplicaIgnoreChanges(),
            },
        );
    }

    /** The DR bucket and the replication of the application bucket into it. */
    private replicatedBucket(
        name: string,
        args: DisasterRecoveryArgs,
        inPrimary: pulumi.CustomResourceOptions,
    ): { bucket: aws.s3.Bucket; accessLogs: (source: string) => AccessLogTarget } {
        // S3 delivers access logs only to a bucket in the same region: the DR region has its own.
        const logs = privateBucket(
            `${name}-access-logs`,
            {
                forceDestroy: args.forceDestroy,
                versioning: true,
                lifecycleRules: logBucketLifecycle(args.logRetentionDays),
                policyStatements: (arn) => logBucketStatements(args.account, arn),
            },
            this,
        );
        const { bucket, versioning } = privateBucket(
            `${name}-bucket`,
            {
                kmsKeyArn: args.kms.keyArns.s3,
                forceDestroy: args.forceDestroy,
                versioning: true,
                lifecycleRules: lifecycleRules(args),
                accessLogs: {
                    bucket: logs.bucket.bucket,
                    prefix: `${ACCESS_LOG_PREFIXES.s3}dr/`,
                    after: [logs.policy],
                },
            },
            this,
        );
        const role = serviceRole(
            `${name}-replication`,
            "s3.amazonaws.com",
            args.primary.account,
            replicationStatements({
                sourceBucketArn: args.storage.bucketArn,
                destinationBucketArn: bucket.arn,
                sourceKey: { arn: args.primaryKms.keyArns.s3, region: args.primary.account.region },
                destinationKey: { arn: args.kms.keyArns.s3, region: args.account.region },
            }),
            { ...inPrimary, description: "S3 replication of the application bucket to the DR region" },
        );
        new aws.s3.BucketReplicationConfig(
            `${name}-replication`,
            {
                bucket: args.storage.bucketName,
                role: role.arn,
                rules: [replicationRule({ destinationBucketArn: bucket.arn, destinationKeyArn: args.kms.keyArns.s3 })],
            },
            { ...inPrimary, dependsOn: [args.storage.versioning, ...(versioning ? [versioning] : [])] },
        );
        const accessLogs = (source: string): AccessLogTarget => ({
            bucket: logs.bucket.bucket,
            prefix: `${ACCESS_LOG_PREFIXES.s3}${source}/`,
            after: [logs.policy],
        });
        return { bucket, accessLogs };
    }

    /**
     * The promotion function in the DR region and its three triggers: the primary's RDS failure
     * events (forwarded from the primary region's bus), the unavailability alarm (through the
     * primary's ops topic, filtered to that alarm), and a manual invocation.
     */
    private promotionFunction(
        name: string,
        args: DisasterRecoveryArgs,
        parts: {
            replica: aws.rds.Instance;
            alerts: Alerts;
            alarm: aws.cloudwatch.MetricAlarm;
            accessLogs: (source: string) => AccessLogTarget;
        },
    ): aws.lambda.Function {
        const child = { parent: this };
        const inPrimary = { parent: this, provider: args.primary.provider };
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-promotion-logs`,
            {
                namePrefix: `/aws/lambda/${name}-replica-promotion-`,
                retentionInDays: args.logRetentionDays,
                kmsKeyId: args.kms.keyArns.logs,
            },
            child,
        );
        // The environment's own key, in the DR region (it names the replica, the primary and the topic).
        const { key } = customerKey(
            `${name}-promotion-key`,
            {
                account: args.account,
                description: "webapp: the DR replica promotion function's environment (Lambda)",
                rotationDays: args.rotationDays,
                alias: `${args.prefix}-dr-promotion`,
            },
            child,
        );
        const role = serviceRole(`${name}-promotion-role`, "lambda.amazonaws.com", args.account, [], {
            parent: this,
            description: "Replica promotion: promote and tag the DR replica only, publish to the DR ops topic",
        });
        const rolePolicy = new aws.iam.RolePolicy(
            `${name}-promotion-role-policy`,
            {
                role: role.name,
                policy: policyJson([
                    ...promotionStatements({
                        replicaArn: parts.replica.arn,
                        primaryArn: args.database.arn,
                        topicArn: parts.alerts.topicArn,
                        topicKey: { arn: parts.alerts.keyArn, region: args.account.region },
                        logGroupArn: logGroup.arn,
                    }),
                    ...promotionRuntimeStatements({ arn: key.arn, region: args.account.region }),
                ]),
            },
            child,
        );
        // Signed code only, as the e-mail function: bucket, profile, job and config in the DR region.
        const signed = signedCode(
            `${name}-promotion`,
            {
                code: args.code,
                keys: PROMOTION_ARTIFACT_KEYS,
                kmsKeyArn: args.kms.keyArns.s3,
                accessLogs: parts.accessLogs("dr-artifacts"),
                forceDestroy: args.forceDestroy,
                description: "webapp DR replica promotion function: only code signed by its own profile",
            },
            this,
        );
        const fn = new aws.lambda.Function(
            `${name}-promotion`,
            {
                description: "Promotes the DR read replica when the primary database fails, and records what it did",
                runtime: "nodejs22.x",
                architectures: ["arm64"],
                handler: args.handler,
                s3Bucket: signed.s3Bucket,
                s3Key: signed.s3Key,
                codeSigningConfigArn: signed.codeSigningConfigArn,
                kmsKeyArn: key.arn,
                tracingConfig: { mode: "Active" },
                role: role.arn,
                timeout: PROMOTION_TIMEOUT_SECONDS,
                memorySize: 256,
                // One promotion decision at a time: a second trigger waits and then sees the first's tags.
                reservedConcurrentExecutions: 1,
                environment: {
                    variables: promotionEnvironment({
                        replicaArn: parts.replica.arn,
                        primaryArn: args.database.arn,
                        topicArn: parts.alerts.topicArn,
                        alarmArns: [parts.alarm.arn],
                        dryRun: args.dryRun,
                        graceSeconds: args.graceSeconds,
                        backupRetentionDays: args.backupRetentionDays,
                        backupWindow: BACKUP_WINDOW,
                    }),
                },
                loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
            },
            { parent: this, dependsOn: [rolePolicy, logGroup] },
        );
        // A promotion that fails after Lambda's retries reaches the DR ops topic, with the error.
        new aws.lambda.FunctionEventInvokeConfig(
            `${name}-promotion-async`,
            {
                functionName: fn.name,
                maximumRetryAttempts: PROMOTION_RETRY_ATTEMPTS,
                maximumEventAgeInSeconds: PROMOTION_MAX_EVENT_AGE_SECONDS,
                destinationConfig: { onFailure: { destination: parts.alerts.topicArn } },
            },
            { parent: this, dependsOn: [rolePolicy] },
        );

        // RDS events of the primary: primary region's default bus -> DR region's default bus -> function.
        const pattern = pulumi.output(args.database.arn).apply((arn) => JSON.stringify(promotionEventPattern(arn)));
        const drBus = defaultEventBusArn(args.account);
        const forwardRole = serviceRole(
            `${name}-forward-events`,
            "events.amazonaws.com",
            args.primary.account,
            [{ Sid: "ForwardToTheDrBus", Effect: "Allow", Action: "events:PutEvents", Resource: drBus }],
            {
                ...inPrimary,
                description: "EventBridge: forward the primary database's failure events to the DR region",
            },
        );
        const forwardRule = new aws.cloudwatch.EventRule(
            `${name}-forward-db-events`,
            {
                description: "The primary database's failure events, to the DR region's event bus",
                eventPattern: pattern,
            },
            inPrimary,
        );
        new aws.cloudwatch.EventTarget(
            `${name}-forward-db-events`,
            { rule: forwardRule.name, arn: drBus, roleArn: forwardRole.arn },
            inPrimary,
        );
        const drRule = new aws.cloudwatch.EventRule(
            `${name}-db-events`,
            {
                description: "The primary database's failure events: invoke the promotion function",
                eventPattern: pattern,
            },
            child,
        );
        const fromEvents = new aws.lambda.Permission(
            `${name}-promotion-from-events`,
            {
                function: fn.name,
                action: "lambda:InvokeFunction",
                principal: "events.amazonaws.com",
                sourceArn: drRule.arn,
            },
            child,
        );
        new aws.cloudwatch.EventTarget(
            `${name}-db-events`,
            {
                rule: drRule.name,
                arn: fn.arn,
                retryPolicy: { maximumRetryAttempts: 20, maximumEventAgeInSeconds: 3600 },
            },
            { parent: this, dependsOn: [fromEvents] },
        );

        // The unavailability alarm, through the primary's ops topic (which also pages the people on call).
        const fromTopic = new aws.lambda.Permission(
            `${name}-promotion-from-alarm-topic`,
            {
                function: fn.name,
                action: "lambda:InvokeFunction",
                principal: "sns.amazonaws.com",
                sourceArn: args.primaryAlertTopicArn,
            },
            child,
        );
        new aws.sns.TopicSubscription(
            `${name}-promotion-alarm-subscription`,
            {
                topic: args.primaryAlertTopicArn,
                protocol: "lambda",
                endpoint: fn.arn,
                filterPolicyScope: "MessageBody",
                filterPolicy: parts.alarm.arn.apply((arn) => JSON.stringify(alarmFilterPolicy([arn]))),
            },
            { ...inPrimary, dependsOn: [fromTopic] },
        );
        return fn;
    }
}
