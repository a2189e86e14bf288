import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StorageOutputs } from "../shared/types";
import { policyJson, type AwsAccount, type Statement } from "./iam";
import type { Kms } from "./kms";

/** Days after which incomplete multipart uploads are aborted (their parts cost storage). */
export const ABORT_MULTIPART_AFTER_DAYS = 7;

export interface StorageArgs {
    /** The account: the log bucket's policy admits log delivery for it only. */
    account: AwsAccount;
    /** The platform keys: objects are encrypted with the S3 key. */
    kms: Kms;
    /** Days the access logs are kept (`aws.logRetentionDays`: 30 in dev, else 365). */
    accessLogDays: number;
    /** Days before current objects move to STANDARD_IA (S3 requires >= 30). Default 30. */
    infrequentAccessAfterDays: number;
    /** Days after which replaced or deleted object versions are removed. Default 90. */
    noncurrentVersionExpirationDays: number;
    /** Let `pulumi destroy` delete a bucket that still holds objects. Default: only in dev. */
    forceDestroy: boolean;
    /**
     * The log bucket also receives the CDN's access logs under `cdn/` (`features.cdn`), delivered
     * by CloudWatch Logs from this account's us-east-1 delivery sources. Default false.
     */
    cdnAccessLogs?: boolean;
}

/** The lifecycle rules: tiering, expiry of old versions, cleanup of abandoned uploads. */
export function lifecycleRules(
    args: Pick<StorageArgs, "infrequentAccessAfterDays" | "noncurrentVersionExpirationDays">,
) {
    return [
        {
            id: "tier-to-standard-ia",
            status: "Enabled",
            filter: { prefix: "" },
            transitions: [{ days: args.infrequentAccessAfterDays, storageClass: "STANDARD_IA" }],
            noncurrentVersionTransitions: [{ noncurrentDays: 30, storageClass: "STANDARD_IA" }],
            noncurrentVersionExpiration: { noncurrentDays: args.noncurrentVersionExpirationDays },
        },
        {
            id: "abort-incomplete-multipart-uploads",
            status: "Enabled",
            filter: { prefix: "" },
            abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_MULTIPART_AFTER_DAYS },
        },
    ];
}

/** The bucket policy: refuse any request that is not over TLS 1.2 or later. */
export function tlsOnlyPolicy(bucketArn: pulumi.Input<string>): Statement[] {
    const everything = [bucketArn, pulumi.interpolate`${bucketArn}/*`];
    return [
        {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: everything,
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
        {
            Sid: "DenyOutdatedTls",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: everything,
            Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } },
        },
    ];
}

/** Where a bucket's server access logs go: the log bucket and a key prefix ending in `/`. */
export interface AccessLogTarget {
    bucket: pulumi.Input<string>;
    prefix: string;
    /** What must exist first: the log bucket's policy, which admits the delivery. */
    after: pulumi.Resource[];
}

export interface PrivateBucketArgs {
    /**
     * The customer-managed key for default encryption (SSE-KMS with bucket keys). Absent: SSE-S3,
     * only for a bucket that AWS services deliver logs to (ELB access logs support no other).
     */
    kmsKeyArn?: pulumi.Input<string>;
    /** Server access logs of the bucket into a log bucket. Default: none (the log bucket itself). */
    accessLogs?: AccessLogTarget;
    /** Let `pulumi destroy` delete the bucket while it still holds objects. */
    forceDestroy: boolean;
    /** Keep every version of every object. */
    versioning: boolean;
    /** Lifecycle rules (S3 `BucketLifecycleConfiguration` rules). */
    lifecycleRules: aws.types.input.s3.BucketLifecycleConfigurationRule[];
    /** Bucket policy statements besides the TLS-only ones; they may reference the bucket's ARN. */
    policyStatements?: (bucketArn: pulumi.Output<string>) => Statement[];
}

/**
 * A bucket nobody outside the account can reach: all four public-access blocks, bucket-owner
 * ownership (no ACLs), SSE-KMS with the given key and bucket keys (SSE-C blocked), lifecycle
 * rules, and a policy refusing anything but TLS 1.2+. Children are named `${name}-<role>`.
 */
export function privateBucket(
    name: string,
    args: PrivateBucketArgs,
    parent: pulumi.Resource,
): { bucket: aws.s3.Bucket; policy: aws.s3.BucketPolicy; versioning?: aws.s3.BucketVersioning } {
    const child = { parent };
    const bucket = new aws.s3.Bucket(`${name}-bucket`, { forceDestroy: args.forceDestroy }, child);
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
        `${name}-public-access`,
        {
            bucket: bucket.id,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        },
        child,
    );
    new aws.s3.BucketOwnershipControls(
        `${name}-ownership`,
        { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
        child,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-encryption`,
        {
            bucket: bucket.id,
            rules: [
                args.kmsKeyArn === undefined
                    ? {
                          applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" },
                          blockedEncryptionTypes: ["SSE-C"],
                      }
                    : {
                          applyServerSideEncryptionByDefault: {
                              sseAlgorithm: "aws:kms",
                              kmsMasterKeyId: args.kmsKeyArn,
                          },
                          bucketKeyEnabled: true,
                          blockedEncryptionTypes: ["SSE-C"],
                      },
            ],
        },
        child,
    );
    const versioning = args.versioning
        ? new aws.s3.BucketVersioning(
              `${name}-versioning`,
              { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
              child,
          )
        : undefined;
    const lifecycleDependsOn: pulumi.Resource[] = versioning === undefined ? [] : [versioning];
    new aws.s3.BucketLifecycleConfiguration(
        `${name}-lifecycle`,
        { bucket: bucket.id, rules: args.lifecycleRules },
        { parent, dependsOn: lifecycleDependsOn },
    );
    const policy = new aws.s3.BucketPolicy(
        `${name}-policy`,
        {
            bucket: bucket.id,
            policy: policyJson([...(args.policyStatements?.(bucket.arn) ?? []), ...tlsOnlyPolicy(bucket.arn)]),
        },
        { parent, dependsOn: [publicAccess] },
    );
    if (args.accessLogs !== undefined) {
        new aws.s3.BucketLogging(
            `${name}-access-logging`,
            { bucket: bucket.id, targetBucket: args.accessLogs.bucket, targetPrefix: args.accessLogs.prefix },
            { parent, dependsOn: args.accessLogs.after },
        );
    }
    return { bucket, policy, ...(versioning === undefined ? {} : { versioning }) };
}

/** Key prefixes in the log bucket, one per source. */
export const ACCESS_LOG_PREFIXES = { loadBalancer: "alb", s3: "s3/", cdn: "cdn" } as const;

/** The region of CloudFront's log delivery sources (a global service, configured in us-east-1). */
export const CDN_LOG_REGION = "us-east-1";

/** The log bucket's statement for the CDN's access logs: CloudWatch Logs delivery for this account only. */
export function cdnLogBucketStatement(account: AwsAccount, bucketArn: pulumi.Input<string>): Statement {
    return {
        Sid: "CdnAccessLogsFromThisAccount",
        Effect: "Allow",
        Principal: { Service: "delivery.logs.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: pulumi.interpolate`${bucketArn}/${ACCESS_LOG_PREFIXES.cdn}/*`,
        Condition: {
            StringEquals: { "aws:SourceAccount": account.accountId },
            ArnLike: {
                "aws:SourceArn": pulumi.interpolate`arn:${account.partition}:logs:${CDN_LOG_REGION}:${account.accountId}:delivery-source:*`,
            },
        },
    };
}

/**
 * The accounts Elastic Load Balancing delivers access logs from, in the regions that opened before
 * August 2022 (AWS's "Enable access logs for your Application Load Balancer" page). Regions opened
 * since deliver through the `logdelivery.elasticloadbalancing.amazonaws.com` service principal.
 */
export const ELB_LOG_ACCOUNTS: Readonly<Record<string, string>> = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-southeast-3": "589379963580",
    "ap-south-1": "718504428378",
    "ap-northeast-3": "383597477331",
    "ap-northeast-2": "600734575887",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-south-1": "635631232127",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
};

/** Who writes a region's load balancer access logs: its ELB account, or the log-delivery service. */
export function elbLogDeliveryPrincipal(account: AwsAccount): Statement["Principal"] {
    const elbAccount = ELB_LOG_ACCOUNTS[account.region];
    return elbAccount === undefined
        ? { Service: "logdelivery.elasticloadbalancing.amazonaws.com" }
        : { AWS: pulumi.interpolate`arn:${account.partition}:iam::${elbAccount}:root` };
}

/**
 * The log bucket's policy: S3 server access logging (for this account's buckets) under `s3/`, and
 * the load balancers' access logs under `alb/AWSLogs/<account>/`; nobody else may write.
 */
export function logBucketStatements(account: AwsAccount, bucketArn: pulumi.Input<string>): Statement[] {
    return [
        {
            Sid: "S3ServerAccessLogsFromThisAccount",
            Effect: "Allow",
            Principal: { Service: "logging.s3.amazonaws.com" },
            Action: "s3:PutObject",
            Resource: pulumi.interpolate`${bucketArn}/${ACCESS_LOG_PREFIXES.s3}*`,
            Condition: { StringEquals: { "aws:SourceAccount": account.accountId } },
        },
        {
            Sid: "LoadBalancerAccessLogs",
            Effect: "Allow",
            Principal: elbLogDeliveryPrincipal(account),
            Action: "s3:PutObject",
            Resource: pulumi.interpolate`${bucketArn}/${ACCESS_LOG_PREFIXES.loadBalancer}/AWSLogs/${account.accountId}/*`,
        },
    ];
}

/** The log bucket's lifecycle: logs expire after `days`, replaced versions a week later. */
export function logBucketLifecycle(days: number): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
    return [
        {
            id: "expire-access-logs",
            status: "Enabled",
            filter: { prefix: "" },
            expiration: { days },
            noncurrentVersionExpiration: { noncurrentDays: 7 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_MULTIPART_AFTER_DAYS },
        },
    ];
}

/**
 * The application's private bucket (course syllabi): a `privateBucket` with the S3 key, versioning
 * and lifecycle tiering to STANDARD_IA, its server access logs in the stack's log bucket. The log
 * bucket (`<name>-access-logs-bucket`) receives the S3 and load balancer access logs: private,
 * SSE-S3 (what ELB log delivery requires), versioned, expiring, writable by the log-delivery
 * principals only, and not itself logged.
 */
export class Storage extends pulumi.ComponentResource implements StorageOutputs {
    public readonly bucketName: pulumi.Output<string>;
    public readonly bucketArn: pulumi.Output<string>;
    /** The bucket's versioning (replication to another region needs it in place first). */
    public readonly versioning: pulumi.Resource;
    /** The log bucket's name. */
    public readonly accessLogBucketName: pulumi.Output<string>;
    public readonly accessLogBucketArn: pulumi.Output<string>;
    /** The log bucket's policy: a load balancer that logs there must be created after it. */
    public readonly accessLogPolicy: aws.s3.BucketPolicy;
    private readonly kms: Kms;

    constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:Storage", name, {}, opts);
        this.kms = args.kms;
        const logs = privateBucket(
            `${name}-access-logs`,
            {
                forceDestroy: args.forceDestroy,
                versioning: true,
                lifecycleRules: logBucketLifecycle(args.accessLogDays),
                policyStatements: (arn) => [
                    ...logBucketStatements(args.account, arn),
                    ...(args.cdnAccessLogs === true ? [cdnLogBucketStatement(args.account, arn)] : []),
                ],
            },
            this,
        );
        this.accessLogBucketName = logs.bucket.bucket;
        this.accessLogBucketArn = logs.bucket.arn;
        this.accessLogPolicy = logs.policy;
        const { bucket, versioning } = privateBucket(
            name,
            {
                kmsKeyArn: args.kms.keyArns.s3,
                forceDestroy: args.forceDestroy,
                versioning: true,
                lifecycleRules: lifecycleRules(args),
                accessLogs: this.accessLogTarget("storage"),
            },
            this,
        );
        this.bucketName = bucket.bucket;
        this.bucketArn = bucket.arn;
        this.versioning = versioning ?? bucket;
        this.registerOutputs({
            bucketName: this.bucketName,
            bucketArn: this.bucketArn,
            accessLogBucketName: this.accessLogBucketName,
        });
    }

    /** Where a bucket's server access logs go: `s3/<source>/` in the log bucket. */
    accessLogTarget(source: string): AccessLogTarget {
        return {
            bucket: this.accessLogBucketName,
            prefix: `${ACCESS_LOG_PREFIXES.s3}${source}/`,
            after: [this.accessLogPolicy],
        };
    }

    /** The load balancer's access logs: the log bucket under `alb/`. */
    loadBalancerAccessLogs(): AccessLogTarget {
        return {
            bucket: this.accessLogBucketName,
            prefix: ACCESS_LOG_PREFIXES.loadBalancer,
            after: [this.accessLogPolicy],
        };
    }

    /**
     * Where the CDN's access logs go (with `cdnAccessLogs`): the log bucket under `cdn/`, as a
     * CloudWatch Logs delivery destination ARN.
     */
    cdnAccessLogs(): { destinationArn: pulumi.Output<string>; after: pulumi.Resource[] } {
        return {
            destinationArn: pulumi.interpolate`${this.accessLogBucketArn}/${ACCESS_LOG_PREFIXES.cdn}`,
            after: [this.accessLogPolicy],
        };
    }

    /** IAM statements to read, write and delete objects (the application's use) with the S3 key. */
    readWriteStatements(): Statement[] {
        return [
            {
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                Resource: pulumi.interpolate`${this.bucketArn}/*`,
            },
            { Effect: "Allow", Action: "s3:ListBucket", Resource: this.bucketArn },
            ...this.kms.useStatements("s3", ["kms:GenerateDataKey", "kms:Decrypt"]),
        ];
    }
}
