/**
 * Who can reach what: no public database, private buckets, no public addresses on instances,
 * IMDSv2 only, and deletion protection on stateful resources outside dev.
 */
import { inlineEncryption } from "./encryption";
import { AWS, GCP } from "./tokens";
import type { Props, ResourceRule, StackResource, StackRule, StackViolation } from "./types";
import {
    byType,
    isFalse,
    isOn,
    isSet,
    isTrue,
    isWholeInternet,
    list,
    obj,
    problems,
    referrers,
    strings,
} from "./values";

export const noPublicDatabase: ResourceRule = {
    kind: "resource",
    name: "no-public-database",
    description: "Databases have no public address and accept no connections from the internet.",
    enforcementLevel: "mandatory",
    remediation:
        "RDS: publiclyAccessible false (private subnets only). Cloud SQL: settings.ipConfiguration.ipv4Enabled false " +
        "with a privateNetwork, and no 0.0.0.0/0 authorized network.",
    check: byType({
        [AWS.rdsInstance]: (p) => problems(isOn(p.publiclyAccessible) && "publiclyAccessible is true"),
        [GCP.sqlInstance]: (p) => {
            const ip = obj(obj(p.settings)?.ipConfiguration) ?? {};
            return problems(
                !isFalse(ip.ipv4Enabled) &&
                    "settings.ipConfiguration.ipv4Enabled is not false: the instance would get a public IPv4 address",
                list(ip.authorizedNetworks).some((n) => isWholeInternet(obj(n)?.value)) &&
                    "settings.ipConfiguration.authorizedNetworks admits 0.0.0.0/0",
            );
        },
    }),
};

const PUBLIC_ACLS = new Set(["public-read", "public-read-write", "authenticated-read"]);
const PUBLIC_MEMBERS = new Set(["allUsers", "allAuthenticatedUsers"]);
const BLOCK_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

export const bucketsPrivate: ResourceRule = {
    kind: "resource",
    name: "buckets-private",
    description: "Buckets block every form of public access.",
    enforcementLevel: "mandatory",
    remediation:
        "S3: a BucketPublicAccessBlock with all four flags true, no public canned ACL. " +
        "GCS: publicAccessPrevention enforced, uniformBucketLevelAccess true, no allUsers/allAuthenticatedUsers members.",
    check: byType({
        [AWS.s3PublicAccessBlock]: (p) => {
            const off = BLOCK_FLAGS.filter((flag) => !isTrue(p[flag]));
            return problems(off.length > 0 && `${off.join(", ")} ${off.length === 1 ? "is" : "are"} not true`);
        },
        [AWS.s3Bucket]: (p) => publicAcl(p.acl),
        [AWS.s3BucketV2]: (p) => publicAcl(p.acl),
        [AWS.s3Acl]: (p) => publicAcl(p.acl),
        [AWS.s3AclV2]: (p) => publicAcl(p.acl),
        [GCP.bucket]: (p) =>
            problems(
                p.publicAccessPrevention !== "enforced" &&
                    `publicAccessPrevention is ${JSON.stringify(p.publicAccessPrevention ?? "inherited")}, not "enforced"`,
                !isTrue(p.uniformBucketLevelAccess) &&
                    "uniformBucketLevelAccess is not true (object ACLs stay possible)",
            ),
        [GCP.bucketIamMember]: (p) => problems(PUBLIC_MEMBERS.has(String(p.member)) && `grants ${String(p.member)}`),
        [GCP.bucketIamBinding]: (p) =>
            strings(p.members)
                .filter((m) => PUBLIC_MEMBERS.has(m))
                .map((m) => `grants ${m}`),
    }),
};

function publicAcl(acl: unknown): string[] {
    return problems(typeof acl === "string" && PUBLIC_ACLS.has(acl) && `acl is ${acl}`);
}

function bucketValues(bucket: StackResource): unknown[] {
    return [bucket.props.id, bucket.props.bucket];
}

export const s3BucketGuardsPresent: StackRule = {
    kind: "stack",
    name: "s3-bucket-guards-present",
    description:
        "Every S3 bucket has a public access block and a default-encryption configuration with a customer-managed key.",
    enforcementLevel: "mandatory",
    remediation: "Create a BucketPublicAccessBlock and a BucketServerSideEncryptionConfiguration for the bucket.",
    check: (resources) =>
        resources
            .filter((r) => r.type === AWS.s3Bucket || r.type === AWS.s3BucketV2)
            .flatMap((bucket): StackViolation[] => {
                const values = bucketValues(bucket);
                const block = referrers(resources, [AWS.s3PublicAccessBlock], "bucket", bucket, values);
                // An inline block counts only with a customer key: after an update it reports AWS's default SSE-S3.
                const inline =
                    obj(bucket.props.serverSideEncryptionConfiguration) !== undefined &&
                    inlineEncryption(bucket.props).length === 0;
                const encryption =
                    inline ||
                    referrers(resources, [AWS.s3Encryption, AWS.s3EncryptionV2], "bucket", bucket, values).length > 0;
                return [
                    ...(block.length === 0
                        ? [{ urn: bucket.urn, message: `bucket ${bucket.name} has no public access block` }]
                        : []),
                    ...(!encryption
                        ? [
                              {
                                  urn: bucket.urn,
                                  message: `bucket ${bucket.name} has no server-side encryption configuration`,
                              },
                          ]
                        : []),
                ];
            }),
};

export const noPublicIpOnInstances: ResourceRule = {
    kind: "resource",
    name: "no-public-ip-on-instances",
    description: "Instances get no public IP address: traffic arrives through the load balancer, egress through NAT.",
    enforcementLevel: "mandatory",
    remediation:
        "GCE: no accessConfigs / ipv6AccessConfigs on network interfaces (Cloud NAT gives egress). " +
        "EC2: associatePublicIpAddress false, private subnets.",
    check: byType({
        [GCP.instanceTemplate]: (p) => gceInterfaces(p),
        [GCP.regionInstanceTemplate]: (p) => gceInterfaces(p),
        [GCP.instance]: (p) => gceInterfaces(p),
        [AWS.launchTemplate]: (p) =>
            list(p.networkInterfaces).flatMap((n, i) =>
                problems(
                    isOn(obj(n)?.associatePublicIpAddress) &&
                        `networkInterfaces[${i}].associatePublicIpAddress is true`,
                ),
            ),
        [AWS.instance]: (p) => problems(isOn(p.associatePublicIpAddress) && "associatePublicIpAddress is true"),
    }),
};

function gceInterfaces(p: Props): string[] {
    return list(p.networkInterfaces).flatMap((n, i) => {
        const nic = obj(n) ?? {};
        return problems(
            list(nic.accessConfigs).length > 0 &&
                `networkInterfaces[${i}].accessConfigs gives the instance an external IP`,
            list(nic.ipv6AccessConfigs).length > 0 &&
                `networkInterfaces[${i}].ipv6AccessConfigs gives the instance an external IPv6 address`,
        );
    });
}

export const imdsv2Required: ResourceRule = {
    kind: "resource",
    name: "imdsv2-required",
    description: "EC2 instances accept only session-token (IMDSv2) metadata requests.",
    enforcementLevel: "mandatory",
    remediation: 'metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 }.',
    check: byType({
        [AWS.launchTemplate]: (p) => metadataOptions(p),
        [AWS.instance]: (p) => metadataOptions(p),
    }),
};

function metadataOptions(p: Props): string[] {
    const options = obj(p.metadataOptions) ?? {};
    if (options.httpEndpoint === "disabled") {
        return [];
    }
    return problems(
        options.httpTokens !== "required" &&
            `metadataOptions.httpTokens is ${JSON.stringify(options.httpTokens ?? "optional")}, not "required"`,
    );
}

export const deletionProtectionOutsideDev: ResourceRule = {
    kind: "resource",
    name: "deletion-protection-outside-dev",
    description: "Outside dev, stateful resources are protected from deletion and keep a final backup.",
    enforcementLevel: "mandatory",
    remediation:
        "RDS: deletionProtection true, skipFinalSnapshot false. Cloud SQL: settings.deletionProtectionEnabled true " +
        "(and deletionProtection not false). Buckets: forceDestroy false.",
    check: (type, props, options) => (options.environment === "dev" ? [] : protectedOutsideDev(type, props, options)),
};

const protectedOutsideDev = byType({
    [AWS.rdsInstance]: (p, o) =>
        problems(
            !isTrue(p.deletionProtection) && `deletionProtection is not true in ${o.environment}`,
            // RDS refuses a final snapshot of a read replica (its source keeps the data).
            isOn(p.skipFinalSnapshot) && !isSet(p.replicateSourceDb) && `skipFinalSnapshot is true in ${o.environment}`,
        ),
    [GCP.sqlInstance]: (p, o) =>
        problems(
            isFalse(p.deletionProtection) && `deletionProtection is false in ${o.environment}`,
            !isTrue(obj(p.settings)?.deletionProtectionEnabled) &&
                `settings.deletionProtectionEnabled is not true in ${o.environment}`,
        ),
    [AWS.s3Bucket]: (p, o) => forceDestroy(p, o.environment),
    [AWS.s3BucketV2]: (p, o) => forceDestroy(p, o.environment),
    [GCP.bucket]: (p, o) => forceDestroy(p, o.environment),
});

function forceDestroy(p: Props, environment: string): string[] {
    return problems(
        isOn(p.forceDestroy) && `forceDestroy is true in ${environment}: destroy would delete every object`,
    );
}
