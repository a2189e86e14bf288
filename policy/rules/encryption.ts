/**
 * Encryption at rest with customer-managed keys (AWS KMS CMKs, Cloud KMS keys) and key rotation.
 * AWS-managed or Google-managed keys cannot be rotated, revoked or audited by the platform team,
 * so every data store names one of the stack's own keys.
 */
import { enforcement } from "./enforcement";
import { sseS3LogBuckets } from "./logging";
import { AWS, GCP } from "./tokens";
import type { Props, ResourceRule, StackResource, StackRule, StackViolation } from "./types";
import { byType, isSet, isTrue, isUnknown, list, num, obj, problems, referrers } from "./values";

const AWS_MANAGED_ALIAS = /^alias\/aws\//;

/** A KMS key reference that is one of the account's own keys (not `alias/aws/...`). */
function isCustomerKey(value: unknown): boolean {
    return isSet(value) && !(typeof value === "string" && AWS_MANAGED_ALIAS.test(value));
}

function s3DefaultEncryption(rule: unknown, where: string): string[] {
    const byDefault = obj(obj(rule)?.applyServerSideEncryptionByDefault);
    const algorithm = byDefault?.sseAlgorithm;
    return problems(
        !(algorithm === "aws:kms" || algorithm === "aws:kms:dsse" || isUnknown(algorithm)) &&
            `${where}.sseAlgorithm is ${JSON.stringify(algorithm)}: use aws:kms with the stack's S3 key`,
        !isCustomerKey(byDefault?.kmsMasterKeyId) && `${where}.kmsMasterKeyId must name a customer-managed key`,
    );
}

export const databaseEncryptedWithCmk: ResourceRule = {
    kind: "resource",
    name: "database-encrypted-with-cmk",
    description: "Databases are encrypted at rest with a customer-managed key.",
    enforcementLevel: "mandatory",
    remediation:
        "RDS: storageEncrypted true and kmsKeyId = the RDS key. Cloud SQL: encryptionKeyName = a Cloud KMS key.",
    check: byType({
        [AWS.rdsInstance]: (p) =>
            problems(
                !isTrue(p.storageEncrypted) && "storageEncrypted is not true",
                !isCustomerKey(p.kmsKeyId) && "kmsKeyId is not set: storage would use the AWS-managed key",
            ),
        [GCP.sqlInstance]: (p) =>
            problems(
                !isSet(p.encryptionKeyName) && "encryptionKeyName is not set: storage would use a Google-managed key",
            ),
    }),
};

const storageChecks = byType({
    [AWS.s3Encryption]: (p) => encryptionRules(p),
    [AWS.s3EncryptionV2]: (p) => encryptionRules(p),
    [AWS.s3Bucket]: (p) => inlineEncryption(p),
    [AWS.s3BucketV2]: (p) => inlineEncryption(p),
    [GCP.bucket]: (p) =>
        problems(
            !isSet(obj(p.encryption)?.defaultKmsKeyName) &&
                "encryption.defaultKmsKeyName is not set: objects would use a Google-managed key",
        ),
});

const S3_ENCRYPTION: readonly string[] = [AWS.s3Encryption, AWS.s3EncryptionV2];

/** Every rule of an S3 encryption configuration is SSE-S3 (`AES256`). */
function onlySseS3(p: Props): boolean {
    const rules = list(p.rules);
    return (
        rules.length > 0 &&
        rules.every((r) => obj(obj(r)?.applyServerSideEncryptionByDefault)?.sseAlgorithm === "AES256")
    );
}

/** The encryption configuration is SSE-S3 on a bucket that a load balancer or S3 delivers access logs to. */
function loadBalancerLogEncryption(
    r: StackResource,
    resources: readonly StackResource[],
    logBuckets: Set<string>,
): boolean {
    if (!S3_ENCRYPTION.includes(r.type) || !onlySseS3(r.props)) {
        return false;
    }
    return resources.some(
        (b) =>
            logBuckets.has(b.urn) &&
            referrers([r], S3_ENCRYPTION, "bucket", b, [b.props.id, b.props.bucket]).length > 0,
    );
}

export const storageEncryptedWithCmk: StackRule = {
    kind: "stack",
    name: "storage-encrypted-with-cmk",
    description:
        "Object storage encrypts by default with a customer-managed key; a bucket that load balancers or S3 " +
        "deliver access logs to may use SSE-S3, the only encryption those deliveries support.",
    enforcementLevel: "mandatory",
    remediation:
        "S3: a BucketServerSideEncryptionConfiguration with sseAlgorithm aws:kms and kmsMasterKeyId = the S3 key. " +
        "GCS: encryption.defaultKmsKeyName = a Cloud KMS key.",
    check: (resources, options) => {
        const logBuckets = sseS3LogBuckets(resources);
        return resources.flatMap((r): StackViolation[] =>
            loadBalancerLogEncryption(r, resources, logBuckets)
                ? []
                : storageChecks(r.type, r.props, options).map((message) => ({ urn: r.urn, message })),
        );
    },
};

function encryptionRules(p: Props): string[] {
    const rules = list(p.rules);
    if (rules.length === 0) {
        return ["has no rules"];
    }
    return rules.flatMap((rule, i) => s3DefaultEncryption(rule, `rules[${i}].applyServerSideEncryptionByDefault`));
}

/**
 * The deprecated inline block, when present (a separate configuration is checked on its own).
 * After an update it also holds what AWS applies by default (SSE-S3), which is not a customer key.
 */
export function inlineEncryption(p: Props): string[] {
    const inline = obj(p.serverSideEncryptionConfiguration);
    if (!inline) {
        return [];
    }
    return s3DefaultEncryption(
        obj(inline.rule) ?? list(inline.rule)[0],
        "serverSideEncryptionConfiguration.rule.applyServerSideEncryptionByDefault",
    );
}

export const disksEncryptedWithCmk: ResourceRule = {
    kind: "resource",
    name: "disks-encrypted-with-cmk",
    description: "Instance disks (EBS volumes, Compute Engine disks) are encrypted with a customer-managed key.",
    enforcementLevel: "mandatory",
    remediation:
        "Launch templates: a blockDeviceMappings entry for the root volume with ebs.encrypted true and ebs.kmsKeyId = the EBS key. " +
        "GCE: disks[].diskEncryptionKey.kmsKeySelfLink = a Cloud KMS key.",
    check: byType({
        [AWS.launchTemplate]: (p) => launchTemplateDisks(p),
        [AWS.instance]: (p) => [
            ...ebsDisk(obj(p.rootBlockDevice) ?? {}, "rootBlockDevice"),
            ...list(p.ebsBlockDevices).flatMap((d, i) => ebsDisk(obj(d) ?? {}, `ebsBlockDevices[${i}]`)),
        ],
        [AWS.ebsVolume]: (p) => ebsDisk(p, "volume"),
        [GCP.instanceTemplate]: (p) => templateDisks(p),
        [GCP.regionInstanceTemplate]: (p) => templateDisks(p),
        [GCP.instance]: (p) => [
            ...problems(!isSet(obj(p.bootDisk)?.kmsKeySelfLink) && "bootDisk.kmsKeySelfLink is not set"),
            ...list(p.attachedDisks).flatMap((d, i) =>
                problems(!isSet(obj(d)?.kmsKeySelfLink) && `attachedDisks[${i}].kmsKeySelfLink is not set`),
            ),
        ],
        [GCP.disk]: (p) =>
            problems(!isSet(obj(p.diskEncryptionKey)?.kmsKeySelfLink) && "diskEncryptionKey.kmsKeySelfLink is not set"),
    }),
};

function ebsDisk(disk: Props, where: string): string[] {
    return problems(
        !isTrue(disk.encrypted) && `${where}: encrypted is not true`,
        !isCustomerKey(disk.kmsKeyId) && `${where}: kmsKeyId is not set (the AWS-managed EBS key would be used)`,
    );
}

function launchTemplateDisks(p: Props): string[] {
    const ebsMappings = list(p.blockDeviceMappings)
        .map((m) => obj(m) ?? {})
        .filter((m) => !isSet(m.noDevice) && !isSet(m.virtualName));
    if (ebsMappings.length === 0) {
        return [
            "blockDeviceMappings declares no EBS volume: the root volume would keep the image's (unencrypted) settings",
        ];
    }
    return ebsMappings.flatMap((m, i) => ebsDisk(obj(m.ebs) ?? {}, `blockDeviceMappings[${i}].ebs`));
}

function templateDisks(p: Props): string[] {
    return list(p.disks).flatMap((d, i) => {
        const disk = obj(d) ?? {};
        if (disk.diskType === "local-ssd" || disk.type === "SCRATCH") {
            return []; // local SSDs cannot use customer-managed keys
        }
        return problems(
            !isSet(obj(disk.diskEncryptionKey)?.kmsKeySelfLink) &&
                `disks[${i}].diskEncryptionKey.kmsKeySelfLink is not set`,
        );
    });
}

export const secretsEncryptedWithCmk: ResourceRule = {
    kind: "resource",
    name: "secrets-encrypted-with-cmk",
    description: "Secrets (Secrets Manager, Secret Manager) are encrypted with a customer-managed key.",
    enforcementLevel: "mandatory",
    remediation:
        "Secrets Manager: kmsKeyId = the Secrets key. Secret Manager: replication.auto.customerManagedEncryption.kmsKeyName " +
        "(or customerManagedEncryption on every user-managed replica).",
    check: byType({
        [AWS.secret]: (p) =>
            problems(!isCustomerKey(p.kmsKeyId) && "kmsKeyId is not set: the secret would use aws/secretsmanager"),
        [GCP.secret]: (p) => {
            const replication = obj(p.replication) ?? {};
            const auto = obj(replication.auto);
            if (auto) {
                return problems(
                    !isSet(obj(auto.customerManagedEncryption)?.kmsKeyName) &&
                        "replication.auto.customerManagedEncryption.kmsKeyName is not set",
                );
            }
            const replicas = list(obj(replication.userManaged)?.replicas);
            if (replicas.length === 0) {
                return ["replication names neither auto nor user-managed replicas with a customer-managed key"];
            }
            return replicas.flatMap((r, i) =>
                problems(
                    !isSet(obj(obj(r)?.customerManagedEncryption)?.kmsKeyName) &&
                        `replication.userManaged.replicas[${i}].customerManagedEncryption.kmsKeyName is not set`,
                ),
            );
        },
    }),
};

export const topicsEncryptedWithCmk: ResourceRule = {
    kind: "resource",
    name: "topics-encrypted-with-cmk",
    description: "Message topics and queues (SNS, SQS, Pub/Sub) are encrypted with a customer-managed key.",
    enforcementLevel: "mandatory",
    remediation:
        "SNS/SQS: kmsMasterKeyId = a customer-managed key (not alias/aws/...). Pub/Sub: kmsKeyName = a Cloud KMS key.",
    check: byType({
        [AWS.snsTopic]: (p) =>
            problems(!isCustomerKey(p.kmsMasterKeyId) && "kmsMasterKeyId must name a customer-managed key"),
        [AWS.sqsQueue]: (p) =>
            problems(
                !isCustomerKey(p.kmsMasterKeyId) &&
                    "kmsMasterKeyId must name a customer-managed key (SSE-SQS and alias/aws/sqs are not customer-managed)",
            ),
        [GCP.topic]: (p) =>
            problems(!isSet(p.kmsKeyName) && "kmsKeyName is not set: messages would use a Google-managed key"),
    }),
};

export const logGroupsEncryptedWithCmk: ResourceRule = {
    kind: "resource",
    name: "log-groups-encrypted-with-cmk",
    description: "CloudWatch log groups are encrypted with a customer-managed key (they may hold request data).",
    enforcementLevel: enforcement("log-groups-encrypted-with-cmk"),
    remediation:
        "Set kmsKeyId to a logs key whose policy lets logs.<region>.amazonaws.com use it for this account's " +
        "log groups only (kms:EncryptionContext:aws:logs:arn).",
    check: byType({
        [AWS.logGroup]: (p) =>
            problems(!isCustomerKey(p.kmsKeyId) && "kmsKeyId is not set: logs use CloudWatch's own encryption"),
    }),
};

/** Cloud KMS rotation periods are durations in seconds, e.g. `7776000s`. */
export function durationSeconds(value: unknown): number | undefined {
    const match = typeof value === "string" ? /^(\d+(?:\.\d+)?)s$/.exec(value) : null;
    return match ? Number(match[1]) : undefined;
}

/** AWS rotates every 365 days when rotation is on and no period is given. */
export const AWS_DEFAULT_ROTATION_DAYS = 365;

export const keyRotation: ResourceRule = {
    kind: "resource",
    name: "key-rotation",
    description: "Customer-managed keys rotate automatically, at least as often as the stack's kmsRotationDays.",
    enforcementLevel: "mandatory",
    remediation:
        "AWS: enableKeyRotation true and rotationPeriodInDays <= aws.kmsRotationDays. " +
        "GCP: rotationPeriod (e.g. 7776000s) <= gcp.kmsRotationDays.",
    check: byType({
        [AWS.kmsKey]: (p, o) => {
            const symmetric =
                (p.keyUsage === undefined || p.keyUsage === "ENCRYPT_DECRYPT") &&
                (p.customerMasterKeySpec === undefined || p.customerMasterKeySpec === "SYMMETRIC_DEFAULT");
            if (!symmetric) {
                return []; // AWS rotates only symmetric encryption keys automatically
            }
            if (!isTrue(p.enableKeyRotation)) {
                return ["enableKeyRotation is not true"];
            }
            const days = p.rotationPeriodInDays === undefined ? AWS_DEFAULT_ROTATION_DAYS : num(p.rotationPeriodInDays);
            return problems(
                days !== undefined &&
                    days > o.awsKmsRotationDays &&
                    `rotates every ${days} days, more than aws.kmsRotationDays (${o.awsKmsRotationDays})` +
                        (p.rotationPeriodInDays === undefined ? ": set rotationPeriodInDays (AWS default 365)" : ""),
            );
        },
        [GCP.cryptoKey]: (p, o) => {
            if (p.purpose !== undefined && p.purpose !== "ENCRYPT_DECRYPT") {
                return []; // only symmetric keys rotate automatically
            }
            if (!isSet(p.rotationPeriod)) {
                return ["rotationPeriod is not set: the key never rotates"];
            }
            const seconds = durationSeconds(p.rotationPeriod);
            const limit = o.gcpKmsRotationDays * 86400;
            return problems(
                seconds !== undefined &&
                    seconds > limit &&
                    `rotationPeriod ${String(p.rotationPeriod)} is longer than gcp.kmsRotationDays (${o.gcpKmsRotationDays} days = ${limit}s)`,
            );
        },
    }),
};
