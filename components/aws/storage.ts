import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StorageOutputs } from "../shared/types";
import { policyJson, type Statement } from "./iam";
import type { Kms } from "./kms";

/** Days after which incomplete multipart uploads are aborted (their parts cost storage). */
export const ABORT_MULTIPART_AFTER_DAYS = 7;

export interface StorageArgs {
    /** The platform keys: objects are encrypted with the S3 key. */
    kms: Kms;
    /** Days before current objects move to STANDARD_IA (S3 requires >= 30). Default 30. */
    infrequentAccessAfterDays: number;
    /** Days after which replaced or deleted object versions are removed. Default 90. */
    noncurrentVersionExpirationDays: number;
    /** Let `pulumi destroy` delete a bucket that still holds objects. Default: only in dev. */
    forceDestroy: boolean;
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

export interface PrivateBucketArgs {
    /** The customer-managed key for default encryption (SSE-KMS with bucket keys). */
    kmsKeyArn: pulumi.Input<string>;
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
                {
                    applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn },
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
    return { bucket, policy, ...(versioning === undefined ? {} : { versioning }) };
}

/**
 * The application's private bucket (course syllabi): a `privateBucket` with the S3 key, versioning
 * and lifecycle tiering to STANDARD_IA.
 */
export class Storage extends pulumi.ComponentResource implements StorageOutputs {
    public readonly bucketName: pulumi.Output<string>;
    public readonly bucketArn: pulumi.Output<string>;
    /** The bucket's versioning (replication to another region needs it in place first). */
    public readonly versioning: pulumi.Resource;
    private readonly kms: Kms;

    constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:Storage", name, {}, opts);
        this.kms = args.kms;
        const { bucket, versioning } = privateBucket(
            name,
            {
                kmsKeyArn: args.kms.keyArns.s3,
                forceDestroy: args.forceDestroy,
                versioning: true,
                lifecycleRules: lifecycleRules(args),
            },
            this,
        );
        this.bucketName = bucket.bucket;
        this.bucketArn = bucket.arn;
        this.versioning = versioning ?? bucket;
        this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
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
