import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { StorageOutputs } from "../shared/types";
import type { DualRegionPlacement } from "./dr";
import type { Kms } from "./kms";

/** The predefined role to read, write, list and delete objects, without bucket administration. */
export const OBJECT_READ_WRITE_ROLE = "roles/storage.objectUser";

/** Days after which replaced or deleted object versions are removed (the AWS default). */
export const NONCURRENT_VERSION_EXPIRATION_DAYS = 90;

/** Days after which incomplete multipart uploads are aborted (their parts cost storage). */
export const ABORT_MULTIPART_AFTER_DAYS = 7;

/** Days the usage logs are kept in the log bucket. */
export const USAGE_LOG_DAYS = 365;

/** The group Cloud Storage delivers usage logs as; it needs to create objects in the log bucket. */
export const USAGE_LOG_WRITER = "group:cloud-storage-analytics@google.com";

/** Where a bucket's usage logs go: the log bucket and an object prefix. */
export interface UsageLogTarget {
    bucket: pulumi.Input<string>;
    prefix: string;
}

/** The log bucket's lifecycle: logs deleted after `USAGE_LOG_DAYS`, replaced versions a week later. */
export function logBucketLifecycle(): gcp.types.input.storage.BucketLifecycleRule[] {
    return [
        { action: { type: "Delete" }, condition: { age: USAGE_LOG_DAYS } },
        { action: { type: "Delete" }, condition: { daysSinceNoncurrentTime: 7, withState: "ARCHIVED" } },
        { action: { type: "AbortIncompleteMultipartUpload" }, condition: { age: ABORT_MULTIPART_AFTER_DAYS } },
    ];
}

export interface LifecyclePlanArgs {
    /** Days before objects move from STANDARD to NEARLINE. */
    nearlineAfterDays: number;
    /** Days a version stays after it stops being current. */
    noncurrentVersionExpirationDays: number;
}

/** The lifecycle rules: tiering to NEARLINE, expiry of old versions, cleanup of abandoned uploads. */
export function lifecycleRules(args: LifecyclePlanArgs): gcp.types.input.storage.BucketLifecycleRule[] {
    return [
        {
            action: { type: "SetStorageClass", storageClass: "NEARLINE" },
            condition: { age: args.nearlineAfterDays, matchesStorageClasses: ["STANDARD"] },
        },
        {
            action: { type: "Delete" },
            condition: { daysSinceNoncurrentTime: args.noncurrentVersionExpirationDays, withState: "ARCHIVED" },
        },
        {
            action: { type: "AbortIncompleteMultipartUpload" },
            condition: { age: ABORT_MULTIPART_AFTER_DAYS },
        },
    ];
}

export interface PrivateBucketArgs {
    /** The bucket's (single-region) location, the key's region, e.g. `us-east1`. */
    location: string;
    /** The platform keys: objects are encrypted with the Cloud Storage key by default. */
    kms: Pick<Kms, "keyIds" | "agentGrants">;
    /** Let `pulumi destroy` delete the bucket while it still holds objects. */
    forceDestroy: boolean;
    /** Keep every version of every object. Default false. */
    versioning?: boolean;
    /** Lifecycle rules. Default none. */
    lifecycleRules?: gcp.types.input.storage.BucketLifecycleRule[];
    /** Usage logs of the bucket into a log bucket (`Storage.usageLogTarget`). Default: none (the log bucket itself). */
    usageLogs?: UsageLogTarget;
    /** A dual-region instead of `location`, with its own key (`DrKms.placement`). Default: single-region. */
    placement?: DualRegionPlacement;
}

/**
 * A bucket nobody outside the project's IAM can reach: uniform bucket-level access (no ACLs),
 * public access prevention enforced, objects encrypted with the Cloud Storage key by default
 * (Google-managed and customer-supplied keys refused). It waits for the Cloud Storage agent's
 * grant on the key, which Cloud Storage checks when the bucket is created.
 */
export function privateBucket(
    name: string,
    args: PrivateBucketArgs,
    opts: pulumi.CustomResourceOptions,
): gcp.storage.Bucket {
    const placement = args.placement;
    return new gcp.storage.Bucket(
        name,
        {
            location: (placement?.location ?? args.location).toUpperCase(),
            ...(placement === undefined
                ? {}
                : { customPlacementConfig: { dataLocations: [...placement.dataLocations] }, rpo: placement.rpo }),
            storageClass: "STANDARD",
            uniformBucketLevelAccess: true,
            publicAccessPrevention: "enforced",
            ...(args.versioning === true ? { versioning: { enabled: true } } : {}),
            encryption: {
                defaultKmsKeyName: placement?.keyId ?? args.kms.keyIds.storage,
                googleManagedEncryptionEnforcementConfig: { restrictionMode: "FullyRestricted" },
                customerSuppliedEncryptionEnforcementConfig: { restrictionMode: "FullyRestricted" },
            },
            lifecycleRules: args.lifecycleRules,
            ...(args.usageLogs === undefined
                ? {}
                : { logging: { logBucket: args.usageLogs.bucket, logObjectPrefix: args.usageLogs.prefix } }),
            forceDestroy: args.forceDestroy,
        },
        { ...opts, dependsOn: [placement?.keyGrant ?? args.kms.agentGrants.storage] },
    );
}

export interface StorageArgs {
    /** The platform keys: objects are encrypted with the Cloud Storage key by default. */
    kms: Pick<Kms, "keyIds" | "agentGrants">;
    /** The bucket's (single-region) location, the key's region. Default from `gcp.region`: us-east1. */
    location: string;
    /** Days before objects move to NEARLINE. Default from `gcp.storage.nearlineAfterDays`: 30. */
    nearlineAfterDays: number;
    /** Let `pulumi destroy` delete a bucket that still holds objects. Default: only in dev. */
    forceDestroy: boolean;
    /**
     * The application bucket as a dual-region of `location` and the DR region (`gcp.dr.region`),
     * with turbo replication and its key in the pair's multi-region. Default: single-region.
     * The log bucket stays in `location`.
     */
    placement?: DualRegionPlacement;
}

/**
 * The application's private bucket: a `privateBucket` with versioning and lifecycle tiering, its
 * usage logs in the stack's log bucket (`<name>-logs`: private, encrypted with the storage key,
 * versioned, logs deleted after a year, written by Cloud Storage's analytics group only, not
 * itself logged).
 */
export class Storage extends pulumi.ComponentResource implements StorageOutputs {
    public readonly bucketName: pulumi.Output<string>;
    /** `gs://<bucket>`. */
    public readonly bucketUrl: pulumi.Output<string>;
    /** The log bucket's name. */
    public readonly logBucketName: pulumi.Output<string>;
    private readonly baseName: string;

    constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:gcp:Storage", name, {}, opts);
        this.baseName = name;

        const logs = privateBucket(
            `${name}-logs`,
            {
                location: args.location,
                kms: args.kms,
                forceDestroy: args.forceDestroy,
                versioning: true,
                lifecycleRules: logBucketLifecycle(),
            },
            { parent: this },
        );
        new gcp.storage.BucketIAMMember(
            `${name}-logs-writer`,
            { bucket: logs.name, role: "roles/storage.objectCreator", member: USAGE_LOG_WRITER },
            { parent: this },
        );
        this.logBucketName = logs.name;

        const bucket = privateBucket(
            `${name}-bucket`,
            {
                location: args.location,
                kms: args.kms,
                forceDestroy: args.forceDestroy,
                versioning: true,
                lifecycleRules: lifecycleRules({
                    nearlineAfterDays: args.nearlineAfterDays,
                    noncurrentVersionExpirationDays: NONCURRENT_VERSION_EXPIRATION_DAYS,
                }),
                usageLogs: this.usageLogTarget("storage"),
                placement: args.placement,
            },
            { parent: this },
        );

        this.bucketName = bucket.name;
        this.bucketUrl = bucket.url;
        this.registerOutputs({
            bucketName: this.bucketName,
            bucketUrl: this.bucketUrl,
            logBucketName: this.logBucketName,
        });
    }

    /** Where a bucket's usage logs go: objects `<source>_usage_...` in the log bucket. */
    usageLogTarget(source: string): UsageLogTarget {
        return { bucket: this.logBucketName, prefix: source };
    }

    /**
     * Lets `member` (an IAM member string such as a service account's `member`) read, write, list
     * and delete objects in the bucket. It needs no key permission: Cloud Storage's agent encrypts.
     * `role` names the binding: `${name}-read-write-<role>`.
     */
    grantReadWrite(role: string, member: pulumi.Input<string>): gcp.storage.BucketIAMMember {
        return new gcp.storage.BucketIAMMember(
            `${this.baseName}-read-write-${role}`,
            { bucket: this.bucketName, role: OBJECT_READ_WRITE_ROLE, member },
            { parent: this },
        );
    }
}
