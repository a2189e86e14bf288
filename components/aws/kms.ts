import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accountRoot, policyJson, type AwsAccount, type Statement } from "./iam";

/** What each of the platform's customer-managed keys protects. */
export const KEY_PURPOSES = ["ebs", "rds", "s3", "secrets", "logs"] as const;
export type KeyPurpose = (typeof KEY_PURPOSES)[number];

const DESCRIPTIONS: Record<KeyPurpose, string> = {
    ebs: "EC2 instance volumes (EBS)",
    rds: "RDS storage, snapshots and Performance Insights",
    s3: "S3 objects in the application bucket",
    secrets: "Secrets Manager secrets",
    logs: "CloudWatch log groups",
};

/** The service each key is used through, for `kms:ViaService` conditions. */
export const VIA_SERVICE: Record<KeyPurpose, string> = {
    ebs: "ec2",
    rds: "rds",
    s3: "s3",
    secrets: "secretsmanager",
    logs: "logs",
};

/** Days a scheduled key deletion waits (the AWS maximum): time to notice and cancel a mistake. */
export const KEY_DELETION_WINDOW_DAYS = 30;

export interface KmsArgs {
    /** The account the keys live in; the key policies name it. */
    account: AwsAccount;
    /** Automatic rotation period in days (AWS allows 90-2560). Default from `aws.kmsRotationDays`: 90. */
    rotationDays: number;
    /** Alias prefix, e.g. `webapp-dev`: aliases become `alias/<prefix>-<purpose>`. */
    aliasPrefix: string;
    /**
     * Statements added to a key's policy for a service that uses the key with its own identity, by
     * key: what the compute backend needs (`AwsComputeImplementation.keyPolicyStatements`, e.g. the
     * Auto Scaling service-linked role on the EBS key). Default: none.
     */
    keyStatements?: Partial<Record<KeyPurpose, Statement[]>>;
}

/**
 * A key policy: the account administers the key through IAM (so every other use needs an IAM grant
 * such as `Kms.useStatements`), plus any statements a service needs directly on the key.
 */
export function keyPolicy(account: AwsAccount, extra: Statement[] = []): pulumi.Output<string> {
    return policyJson([
        {
            Sid: "AccountAdministersTheKeyThroughIam",
            Effect: "Allow",
            Principal: { AWS: accountRoot(account) },
            Action: "kms:*",
            Resource: "*",
        },
        ...extra,
    ]);
}

/**
 * An IAM statement that lets a role use a key only through one service (`kms:ViaService`), e.g.
 * `viaServiceStatement(keyArn, "sns", "us-east-1", ["kms:GenerateDataKey*", "kms:Decrypt"])`.
 */
export function viaServiceStatement(
    keyArn: pulumi.Input<string>,
    service: string,
    region: string,
    actions: string[],
): Statement {
    return {
        Effect: "Allow",
        Action: actions,
        Resource: keyArn,
        Condition: { StringEquals: { "kms:ViaService": `${service}.${region}.amazonaws.com` } },
    };
}

/**
 * The logs key's own statement: CloudWatch Logs in the key's region may use it, for this account's
 * log groups only (`kms:EncryptionContext:aws:logs:arn`), as log-group encryption requires.
 */
export function logsKeyStatements(account: AwsAccount): Statement[] {
    return [
        {
            Sid: "CloudWatchLogsEncryptsThisAccountsLogGroups",
            Effect: "Allow",
            Principal: { Service: `logs.${account.region}.amazonaws.com` },
            Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            Resource: "*",
            Condition: {
                ArnLike: {
                    "kms:EncryptionContext:aws:logs:arn": pulumi.interpolate`arn:${account.partition}:logs:${account.region}:${account.accountId}:log-group:*`,
                },
            },
        },
    ];
}

export interface CustomerKeyArgs {
    account: AwsAccount;
    description: string;
    rotationDays: number;
    alias: string;
    /** Statements added to the key policy, e.g. for a service principal that uses the key directly. */
    extraStatements?: Statement[];
}

/**
 * One customer-managed key with rotation, the maximum deletion window and an alias. Used by `Kms`
 * for the four platform keys and by tiers that own a key of their own (messaging).
 */
export function customerKey(
    name: string,
    args: CustomerKeyArgs,
    opts: pulumi.CustomResourceOptions,
): { key: aws.kms.Key; alias: aws.kms.Alias } {
    const key = new aws.kms.Key(
        name,
        {
            description: args.description,
            keyUsage: "ENCRYPT_DECRYPT",
            customerMasterKeySpec: "SYMMETRIC_DEFAULT",
            enableKeyRotation: true,
            rotationPeriodInDays: args.rotationDays,
            deletionWindowInDays: KEY_DELETION_WINDOW_DAYS,
            policy: keyPolicy(args.account, args.extraStatements),
        },
        opts,
    );
    const alias = new aws.kms.Alias(`${name}-alias`, { name: `alias/${args.alias}`, targetKeyId: key.keyId }, opts);
    return { key, alias };
}

/**
 * The platform's customer-managed keys (EBS, RDS, S3, Secrets Manager, CloudWatch Logs): a separate
 * key per service limits the blast radius and lets each be rotated or revoked on its own.
 */
export class Kms extends pulumi.ComponentResource {
    /** The keys by purpose. */
    public readonly keys: Readonly<Record<KeyPurpose, aws.kms.Key>>;
    /** Key ARNs by purpose. */
    public readonly keyArns: Readonly<Record<KeyPurpose, pulumi.Output<string>>>;
    private readonly region: string;

    constructor(name: string, args: KmsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:Kms", name, {}, opts);
        this.region = args.account.region;
        const make = (purpose: KeyPurpose) =>
            customerKey(
                `${name}-${purpose}`,
                {
                    account: args.account,
                    description: `webapp: ${DESCRIPTIONS[purpose]}`,
                    rotationDays: args.rotationDays,
                    alias: `${args.aliasPrefix}-${purpose}`,
                    extraStatements: [
                        ...(purpose === "logs" ? logsKeyStatements(args.account) : []),
                        ...(args.keyStatements?.[purpose] ?? []),
                    ],
                },
                { parent: this },
            ).key;
        this.keys = {
            ebs: make("ebs"),
            rds: make("rds"),
            s3: make("s3"),
            secrets: make("secrets"),
            logs: make("logs"),
        };
        this.keyArns = {
            ebs: this.keys.ebs.arn,
            rds: this.keys.rds.arn,
            s3: this.keys.s3.arn,
            secrets: this.keys.secrets.arn,
            logs: this.keys.logs.arn,
        };
        this.registerOutputs({ keyArns: this.keyArns });
    }

    /**
     * IAM statements that let a role use a key through its service only (`kms:ViaService`), e.g.
     * `useStatements("secrets", ["kms:Decrypt"])` for reading secrets.
     */
    useStatements(purpose: KeyPurpose, actions: string[]): Statement[] {
        return [viaServiceStatement(this.keyArns[purpose], VIA_SERVICE[purpose], this.region, actions)];
    }
}
