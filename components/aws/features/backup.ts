import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { serviceRole, type AwsAccount } from "../iam";
import { customerKey } from "../kms";
import type { AwsFeature } from "./types";

/** The backup schedule: daily copies kept five weeks, weekly copies kept a quarter (times UTC). */
export const BACKUP_RULES = [
    { ruleName: "daily", schedule: "cron(0 5 ? * * *)", deleteAfterDays: 35 },
    { ruleName: "weekly", schedule: "cron(0 6 ? * SUN *)", deleteAfterDays: 90 },
] as const;

/** AWS-managed policies the AWS Backup role needs for RDS and S3 backups and restores. */
export const BACKUP_MANAGED_POLICIES = [
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
    "AWSBackupServiceRolePolicyForS3Backup",
    "AWSBackupServiceRolePolicyForS3Restore",
] as const;

export interface BackupArgs {
    account: AwsAccount;
    /** ARNs of what to back up: the database instance and the bucket (S3 backup needs versioning). */
    resourceArns: pulumi.Input<string>[];
    /** Key rotation period in days. Default from `aws.kmsRotationDays`: 90. */
    rotationDays: number;
    /** Alias of the vault key (`alias/<value>`). */
    keyAlias: string;
    /** Let `pulumi destroy` delete the vault with its recovery points. Default: only in dev. */
    forceDestroy: boolean;
    /** A vault in the DR region every recovery point is copied into, kept as long. Default: no copy. */
    copyToVaultArn?: pulumi.Input<string>;
    /** Where the failed-job alarms notify (the ops topic). Default none (the alarms are still visible). */
    alarmActions?: pulumi.Input<string>[];
}

/** The backup and copy job failures that raise an alarm (AWS/Backup metrics of the vault). */
export const FAILED_JOB_METRICS = ["NumberOfBackupJobsFailed", "NumberOfCopyJobsFailed"] as const;

/**
 * Opt-in AWS Backup (`features.backup`): a vault encrypted with its own key, a daily and a weekly
 * rule, and a selection of the database and the bucket. It keeps copies independent of the RDS
 * automated backups and S3 versions, which go away with the resource.
 */
export class Backup extends pulumi.ComponentResource {
    public readonly vaultName: pulumi.Output<string>;
    public readonly planId: pulumi.Output<string>;

    constructor(name: string, args: BackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:Backup", name, {}, opts);
        const child = { parent: this };

        const { key } = customerKey(
            `${name}-key`,
            {
                account: args.account,
                description: "webapp: AWS Backup recovery points",
                rotationDays: args.rotationDays,
                alias: args.keyAlias,
            },
            child,
        );
        const vault = new aws.backup.Vault(
            `${name}-vault`,
            { kmsKeyArn: key.arn, forceDestroy: args.forceDestroy },
            child,
        );
        const plan = new aws.backup.Plan(
            `${name}-plan`,
            {
                rules: BACKUP_RULES.map((rule) => ({
                    ruleName: rule.ruleName,
                    targetVaultName: vault.name,
                    schedule: rule.schedule,
                    startWindow: 60,
                    completionWindow: 240,
                    lifecycle: { deleteAfter: rule.deleteAfterDays },
                    ...(args.copyToVaultArn === undefined
                        ? {}
                        : {
                              copyActions: [
                                  {
                                      destinationVaultArn: args.copyToVaultArn,
                                      lifecycle: { deleteAfter: rule.deleteAfterDays },
                                  },
                              ],
                          }),
                })),
            },
            child,
        );
        const role = serviceRole(`${name}-role`, "backup.amazonaws.com", args.account, [], {
            parent: this,
            description: "AWS Backup: back up and restore the webapp database and bucket",
            managedPolicyArns: BACKUP_MANAGED_POLICIES.map(
                (policy) => pulumi.interpolate`arn:${args.account.partition}:iam::aws:policy/${policy}`,
            ),
        });
        new aws.backup.Selection(
            `${name}-selection`,
            { planId: plan.id, iamRoleArn: role.arn, resources: args.resourceArns },
            child,
        );

        for (const metric of FAILED_JOB_METRICS) {
            new aws.cloudwatch.MetricAlarm(
                `${name}-${metric === "NumberOfBackupJobsFailed" ? "backup" : "copy"}-jobs-failed`,
                {
                    alarmDescription: `An AWS Backup ${metric === "NumberOfBackupJobsFailed" ? "backup" : "copy"} job of the webapp vault failed: a recovery point is missing`,
                    namespace: "AWS/Backup",
                    metricName: metric,
                    dimensions: { BackupVaultName: vault.name },
                    statistic: "Sum",
                    period: 3600,
                    evaluationPeriods: 1,
                    threshold: 0,
                    comparisonOperator: "GreaterThanThreshold",
                    treatMissingData: "notBreaching",
                    alarmActions: args.alarmActions ?? [],
                },
                child,
            );
        }

        this.vaultName = vault.name;
        this.planId = plan.id;
        this.registerOutputs({ vaultName: this.vaultName, planId: this.planId });
    }
}

/** `features.backup`: AWS Backup of the database and the application bucket. */
export const AWS_BACKUP: AwsFeature = {
    build: (ctx, { database, storage, alerts, dr }) => {
        new Backup(
            ctx.name("backup"),
            {
                account: ctx.account,
                resourceArns: [database.arn, storage.bucketArn],
                rotationDays: ctx.config.aws.kmsRotationDays,
                keyAlias: ctx.names.scoped("backup"),
                forceDestroy: ctx.behaviour.destroyWithData,
                alarmActions: [alerts.topicArn],
                ...(dr?.region.backupVaultArn === undefined ? {} : { copyToVaultArn: dr.region.backupVaultArn }),
            },
            ctx.tierOpts,
        );
    },
};
