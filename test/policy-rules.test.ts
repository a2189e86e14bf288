/** Each resource rule on hand-built compliant and non-compliant properties (AWS and GCP). */
import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import { expect } from "chai";
import {
    AWS,
    bucketsPrivate,
    cacheEncryptedWithAuth,
    databaseEncryptedWithCmk,
    DEFAULT_RULE_OPTIONS,
    deletionProtectionOutsideDev,
    disksEncryptedWithCmk,
    durationSeconds,
    GCP,
    httpListenerRedirectsToHttps,
    httpsListenerModernTls,
    iamLeastPrivilege,
    identityPolicyProblems,
    imdsv2Required,
    internetIngressWebPortsOnly,
    keyRotation,
    logGroupsEncryptedWithCmk,
    noPublicDatabase,
    noPublicIpOnInstances,
    noWildcardPrincipals,
    RULES,
    secretsEncryptedWithCmk,
    storageEncryptedWithCmk,
    subnetworkFlowLogs,
    topicsEncryptedWithCmk,
    type Props,
    type ResourceRule,
    type RuleOptions,
    type StackRule,
} from "../policy/rules";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const KEY = "arn:aws:kms:us-east-1:123456789012:key/mrk-1";
const GKEY = "projects/p/locations/us-east1/keyRings/r/cryptoKeys/k";
const DEMO: RuleOptions = { ...DEFAULT_RULE_OPTIONS, environment: "demo" };
const DEV: RuleOptions = { ...DEFAULT_RULE_OPTIONS, environment: "dev" };

/** A resource rule on one resource; a stack rule on a stack of that one resource. */
function check(rule: ResourceRule | StackRule, type: string, props: Props, options: RuleOptions = DEMO): string[] {
    if (rule.kind === "resource") {
        return rule.check(type, props, options);
    }
    const urn = `urn:pulumi:demo::webapp-infra::${type}::r`;
    return rule
        .check([{ type, name: "r", urn, props, dependencies: [], propertyDependencies: {} }], options)
        .map((v) => v.message);
}

/** Asserts the compliant props pass and each variant fails with a message matching its pattern. */
function compliantAndNot(
    rule: ResourceRule | StackRule,
    type: string,
    good: Props,
    bad: Array<[Props, RegExp]>,
    options: RuleOptions = DEMO,
): void {
    expect(check(rule, type, good, options), `${type} compliant`).to.deep.equal([]);
    for (const [props, pattern] of bad) {
        const found = check(rule, type, props, options);
        expect(found.join("; "), `${type} ${JSON.stringify(props)}`).to.match(pattern);
    }
}

const rds = {
    engine: "mysql",
    publiclyAccessible: false,
    storageEncrypted: true,
    kmsKeyId: KEY,
    deletionProtection: true,
    skipFinalSnapshot: false,
    password: "secret-value",
};
const cloudSql = {
    databaseVersion: "MYSQL_8_4",
    encryptionKeyName: GKEY,
    deletionProtection: true,
    settings: {
        tier: "db-g1-small",
        deletionProtectionEnabled: true,
        ipConfiguration: { ipv4Enabled: false, privateNetwork: "n" },
    },
};

describe("policy rules: resources", () => {
    it("the rule catalogue has unique names and only mandatory or advisory levels", () => {
        const names = RULES.map((r) => r.name);
        expect(new Set(names).size).to.equal(names.length);
        expect(names).to.include.members([
            "no-public-database",
            "key-rotation",
            "buckets-private",
            "imdsv2-required",
            "vpc-flow-logs",
            "no-plaintext-secrets",
        ]);
        for (const rule of RULES) {
            expect(rule.name).to.match(/^[a-z0-9]+(-[a-z0-9]+)*$/);
            expect(["mandatory", "advisory"]).to.include(rule.enforcementLevel);
        }
        // Advisory: the TLS policy, by choice (nothing waits in policy/rules/enforcement.ts any more).
        expect(RULES.filter((r) => r.enforcementLevel === "advisory").map((r) => r.name)).to.deep.equal([
            "https-listener-modern-tls",
        ]);
    });

    it("type tokens are the provider SDKs' own", () => {
        const sdk: Record<string, { __pulumiType: string }> = {
            [AWS.rdsInstance]: aws.rds.Instance as never,
            [AWS.s3Bucket]: aws.s3.Bucket as never,
            [AWS.s3PublicAccessBlock]: aws.s3.BucketPublicAccessBlock as never,
            [AWS.s3Encryption]: aws.s3.BucketServerSideEncryptionConfiguration as never,
            [AWS.kmsKey]: aws.kms.Key as never,
            [AWS.secret]: aws.secretsmanager.Secret as never,
            [AWS.secretVersion]: aws.secretsmanager.SecretVersion as never,
            [AWS.snsTopic]: aws.sns.Topic as never,
            [AWS.sqsQueue]: aws.sqs.Queue as never,
            [AWS.logGroup]: aws.cloudwatch.LogGroup as never,
            [AWS.launchTemplate]: aws.ec2.LaunchTemplate as never,
            [AWS.instance]: aws.ec2.Instance as never,
            [AWS.ebsVolume]: aws.ebs.Volume as never,
            [AWS.securityGroup]: aws.ec2.SecurityGroup as never,
            [AWS.securityGroupRule]: aws.ec2.SecurityGroupRule as never,
            [AWS.ingressRule]: aws.vpc.SecurityGroupIngressRule as never,
            [AWS.loadBalancer]: aws.lb.LoadBalancer as never,
            [AWS.listener]: aws.lb.Listener as never,
            [AWS.albListener]: aws.alb.Listener as never,
            [AWS.vpc]: aws.ec2.Vpc as never,
            [AWS.flowLog]: aws.ec2.FlowLog as never,
            [AWS.defaultSecurityGroup]: aws.ec2.DefaultSecurityGroup as never,
            [AWS.egressRule]: aws.vpc.SecurityGroupEgressRule as never,
            [AWS.s3BucketPolicy]: aws.s3.BucketPolicy as never,
            [AWS.s3Logging]: aws.s3.BucketLogging as never,
            [AWS.s3LoggingV2]: aws.s3.BucketLoggingV2 as never,
            [AWS.snsTopicPolicy]: aws.sns.TopicPolicy as never,
            [AWS.sqsQueuePolicy]: aws.sqs.QueuePolicy as never,
            [AWS.kmsKeyPolicy]: aws.kms.KeyPolicy as never,
            [AWS.secretPolicy]: aws.secretsmanager.SecretPolicy as never,
            [AWS.ecrRepositoryPolicy]: aws.ecr.RepositoryPolicy as never,
            [AWS.logResourcePolicy]: aws.cloudwatch.LogResourcePolicy as never,
            [AWS.eventBusPolicy]: aws.cloudwatch.EventBusPolicy as never,
            [AWS.backupVaultPolicy]: aws.backup.VaultPolicy as never,
            [AWS.lambdaPermission]: aws.lambda.Permission as never,
            [AWS.iamRole]: aws.iam.Role as never,
            [AWS.iamPolicy]: aws.iam.Policy as never,
            [AWS.iamRolePolicy]: aws.iam.RolePolicy as never,
            [AWS.iamUserPolicy]: aws.iam.UserPolicy as never,
            [AWS.iamGroupPolicy]: aws.iam.GroupPolicy as never,
            [AWS.iamRolePolicyAttachment]: aws.iam.RolePolicyAttachment as never,
            [AWS.iamUserPolicyAttachment]: aws.iam.UserPolicyAttachment as never,
            [AWS.iamGroupPolicyAttachment]: aws.iam.GroupPolicyAttachment as never,
            [AWS.iamPolicyAttachment]: aws.iam.PolicyAttachment as never,
            [GCP.sqlInstance]: gcp.sql.DatabaseInstance as never,
            [GCP.sqlUser]: gcp.sql.User as never,
            [GCP.bucket]: gcp.storage.Bucket as never,
            [GCP.bucketIamMember]: gcp.storage.BucketIAMMember as never,
            [GCP.cryptoKey]: gcp.kms.CryptoKey as never,
            [GCP.secret]: gcp.secretmanager.Secret as never,
            [GCP.secretVersion]: gcp.secretmanager.SecretVersion as never,
            [GCP.topic]: gcp.pubsub.Topic as never,
            [GCP.instanceTemplate]: gcp.compute.InstanceTemplate as never,
            [GCP.regionInstanceTemplate]: gcp.compute.RegionInstanceTemplate as never,
            [GCP.instance]: gcp.compute.Instance as never,
            [GCP.disk]: gcp.compute.Disk as never,
            [GCP.firewall]: gcp.compute.Firewall as never,
            [GCP.subnetwork]: gcp.compute.Subnetwork as never,
        };
        for (const [token, cls] of Object.entries(sdk)) {
            expect(cls.__pulumiType, token).to.equal(token);
        }
    });

    it("no-public-database: RDS publiclyAccessible, Cloud SQL public IPv4 and open authorized networks", () => {
        compliantAndNot(noPublicDatabase, AWS.rdsInstance, rds, [
            [{ ...rds, publiclyAccessible: true }, /publiclyAccessible is true/],
        ]);
        const ip = cloudSql.settings.ipConfiguration;
        compliantAndNot(noPublicDatabase, GCP.sqlInstance, cloudSql, [
            [{ ...cloudSql, settings: { tier: "t" } }, /ipv4Enabled is not false/],
            [
                { ...cloudSql, settings: { ...cloudSql.settings, ipConfiguration: { ...ip, ipv4Enabled: true } } },
                /ipv4Enabled/,
            ],
            [
                {
                    ...cloudSql,
                    settings: {
                        ...cloudSql.settings,
                        ipConfiguration: { ...ip, authorizedNetworks: [{ name: "all", value: "0.0.0.0/0" }] },
                    },
                },
                /admits 0.0.0.0\/0/,
            ],
        ]);
    });

    it("database-encrypted-with-cmk: RDS storage and key, Cloud SQL CMEK", () => {
        compliantAndNot(databaseEncryptedWithCmk, AWS.rdsInstance, rds, [
            [{ ...rds, storageEncrypted: false }, /storageEncrypted is not true/],
            [{ ...rds, kmsKeyId: undefined }, /kmsKeyId is not set/],
            [{ ...rds, kmsKeyId: "alias/aws/rds" }, /kmsKeyId is not set/],
        ]);
        compliantAndNot(databaseEncryptedWithCmk, GCP.sqlInstance, cloudSql, [
            [{ ...cloudSql, encryptionKeyName: undefined }, /encryptionKeyName is not set/],
        ]);
        // During preview a key ARN from another resource is unknown: it still counts as set.
        expect(check(databaseEncryptedWithCmk, AWS.rdsInstance, { ...rds, kmsKeyId: UNKNOWN })).to.deep.equal([]);
    });

    it("cache-encrypted-with-auth: ElastiCache at rest with a key, TLS required, AUTH; Memorystore likewise", () => {
        const group = {
            atRestEncryptionEnabled: true,
            kmsKeyId: KEY,
            transitEncryptionEnabled: true,
            transitEncryptionMode: "required",
            authToken: "t0ken-t0ken-t0ken-t0ken",
        };
        compliantAndNot(cacheEncryptedWithAuth, AWS.cacheReplicationGroup, group, [
            [{ ...group, atRestEncryptionEnabled: false }, /atRestEncryptionEnabled is not true/],
            [{ ...group, kmsKeyId: undefined }, /kmsKeyId is not set/],
            [{ ...group, transitEncryptionEnabled: false }, /transitEncryptionEnabled is not true/],
            [{ ...group, transitEncryptionMode: "preferred" }, /transitEncryptionMode is "preferred"/],
            [{ ...group, authToken: undefined }, /neither authToken nor userGroupIds is set/],
        ]);
        // RBAC user groups instead of a token, and a token not known during preview, both count.
        expect(
            check(cacheEncryptedWithAuth, AWS.cacheReplicationGroup, {
                ...group,
                authToken: undefined,
                userGroupIds: ["g"],
            }),
        ).to.deep.equal([]);
        expect(
            check(cacheEncryptedWithAuth, AWS.cacheReplicationGroup, { ...group, authToken: UNKNOWN }),
        ).to.deep.equal([]);
        const memorystore = {
            authEnabled: true,
            transitEncryptionMode: "SERVER_AUTHENTICATION",
            customerManagedKey: "projects/p/locations/l/keyRings/r/cryptoKeys/k",
        };
        compliantAndNot(cacheEncryptedWithAuth, GCP.redisInstance, memorystore, [
            [{ ...memorystore, authEnabled: false }, /authEnabled is not true/],
            [{ ...memorystore, transitEncryptionMode: "DISABLED" }, /transitEncryptionMode is "DISABLED"/],
            [{ ...memorystore, customerManagedKey: undefined }, /customerManagedKey is not set/],
        ]);
    });

    it("storage-encrypted-with-cmk: S3 default encryption with a CMK, GCS default KMS key", () => {
        const sse = {
            bucket: "b",
            rules: [
                {
                    applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY },
                    bucketKeyEnabled: true,
                },
            ],
        };
        compliantAndNot(storageEncryptedWithCmk, AWS.s3Encryption, sse, [
            [
                { bucket: "b", rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
                /sseAlgorithm is "AES256"/,
            ],
            [
                { bucket: "b", rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }] },
                /kmsMasterKeyId/,
            ],
            [{ bucket: "b", rules: [] }, /has no rules/],
        ]);
        compliantAndNot(storageEncryptedWithCmk, AWS.s3Bucket, { forceDestroy: false }, [
            [
                {
                    serverSideEncryptionConfiguration: {
                        rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
                    },
                },
                /serverSideEncryptionConfiguration/,
            ],
        ]);
        const gcs = { location: "US-EAST1", encryption: { defaultKmsKeyName: GKEY } };
        compliantAndNot(storageEncryptedWithCmk, GCP.bucket, gcs, [
            [{ location: "US-EAST1" }, /defaultKmsKeyName is not set/],
        ]);
    });

    it("disks-encrypted-with-cmk: launch template EBS volumes, EC2, EBS, GCE templates and disks", () => {
        const lt = {
            imageId: "ami-1",
            blockDeviceMappings: [
                { deviceName: "/dev/sda1", ebs: { encrypted: "true", kmsKeyId: KEY, volumeSize: 25 } },
            ],
        };
        compliantAndNot(disksEncryptedWithCmk, AWS.launchTemplate, lt, [
            [{ imageId: "ami-1" }, /declares no EBS volume/],
            [
                { blockDeviceMappings: [{ deviceName: "/dev/sda1", ebs: { encrypted: "false", kmsKeyId: KEY } }] },
                /encrypted is not true/,
            ],
            [{ blockDeviceMappings: [{ deviceName: "/dev/sda1", ebs: { encrypted: "true" } }] }, /kmsKeyId is not set/],
        ]);
        compliantAndNot(disksEncryptedWithCmk, AWS.instance, { rootBlockDevice: { encrypted: true, kmsKeyId: KEY } }, [
            [{ rootBlockDevice: { encrypted: true } }, /rootBlockDevice: kmsKeyId/],
            [
                {
                    rootBlockDevice: { encrypted: true, kmsKeyId: KEY },
                    ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: false }],
                },
                /ebsBlockDevices\[0\]: encrypted/,
            ],
        ]);
        compliantAndNot(disksEncryptedWithCmk, AWS.ebsVolume, { encrypted: true, kmsKeyId: KEY }, [
            [{ encrypted: true }, /kmsKeyId/],
        ]);
        const template = {
            machineType: "e2-micro",
            disks: [
                { boot: true, sourceImage: "img", diskEncryptionKey: { kmsKeySelfLink: GKEY } },
                { type: "SCRATCH", diskType: "local-ssd" },
            ],
        };
        compliantAndNot(disksEncryptedWithCmk, GCP.instanceTemplate, template, [
            [{ machineType: "e2-micro", disks: [{ boot: true, sourceImage: "img" }] }, /disks\[0\]\.diskEncryptionKey/],
        ]);
        compliantAndNot(disksEncryptedWithCmk, GCP.regionInstanceTemplate, template, [
            [{ disks: [{ boot: true }] }, /disks\[0\]/],
        ]);
        compliantAndNot(disksEncryptedWithCmk, GCP.disk, { diskEncryptionKey: { kmsKeySelfLink: GKEY } }, [
            [{ size: 10 }, /kmsKeySelfLink/],
        ]);
    });

    it("secrets-encrypted-with-cmk: Secrets Manager key, Secret Manager CMEK (auto and user-managed)", () => {
        compliantAndNot(secretsEncryptedWithCmk, AWS.secret, { kmsKeyId: KEY }, [
            [{ description: "x" }, /kmsKeyId is not set/],
            [{ kmsKeyId: "alias/aws/secretsmanager" }, /kmsKeyId/],
        ]);
        compliantAndNot(
            secretsEncryptedWithCmk,
            GCP.secret,
            { replication: { auto: { customerManagedEncryption: { kmsKeyName: GKEY } } } },
            [
                [{ replication: { auto: {} } }, /replication\.auto\.customerManagedEncryption/],
                [{ replication: { userManaged: { replicas: [{ location: "us-east1" }] } } }, /replicas\[0\]/],
                [{ replication: {} }, /neither auto nor user-managed/],
            ],
        );
        expect(
            check(secretsEncryptedWithCmk, GCP.secret, {
                replication: {
                    userManaged: {
                        replicas: [{ location: "us-east1", customerManagedEncryption: { kmsKeyName: GKEY } }],
                    },
                },
            }),
        ).to.deep.equal([]);
    });

    it("topics-encrypted-with-cmk: SNS, SQS and Pub/Sub", () => {
        compliantAndNot(topicsEncryptedWithCmk, AWS.snsTopic, { kmsMasterKeyId: KEY }, [
            [{}, /kmsMasterKeyId/],
            [{ kmsMasterKeyId: "alias/aws/sns" }, /kmsMasterKeyId/],
        ]);
        compliantAndNot(topicsEncryptedWithCmk, AWS.sqsQueue, { kmsMasterKeyId: KEY }, [
            [{ sqsManagedSseEnabled: true }, /SSE-SQS/],
        ]);
        compliantAndNot(topicsEncryptedWithCmk, GCP.topic, { kmsKeyName: GKEY }, [
            [{ name: "t" }, /kmsKeyName is not set/],
        ]);
    });

    it("key-rotation: on, and no longer than the stack's rotation days", () => {
        const key = { enableKeyRotation: true, rotationPeriodInDays: 90, keyUsage: "ENCRYPT_DECRYPT" };
        compliantAndNot(keyRotation, AWS.kmsKey, key, [
            [{ ...key, enableKeyRotation: false }, /enableKeyRotation is not true/],
            [{ ...key, rotationPeriodInDays: 180 }, /180 days, more than aws.kmsRotationDays \(90\)/],
            [{ enableKeyRotation: true }, /365 days.*rotationPeriodInDays/],
        ]);
        // The limit is the stack's own setting.
        expect(
            check(keyRotation, AWS.kmsKey, { ...key, rotationPeriodInDays: 180 }, { ...DEMO, awsKmsRotationDays: 365 }),
        ).to.deep.equal([]);
        // Asymmetric keys cannot rotate automatically: not applicable.
        expect(
            check(keyRotation, AWS.kmsKey, { keyUsage: "SIGN_VERIFY", customerMasterKeySpec: "RSA_2048" }),
        ).to.deep.equal([]);

        compliantAndNot(keyRotation, GCP.cryptoKey, { keyRing: "r", rotationPeriod: "7776000s" }, [
            [{ keyRing: "r" }, /rotationPeriod is not set/],
            [{ keyRing: "r", rotationPeriod: "31536000s" }, /longer than gcp.kmsRotationDays \(90 days = 7776000s\)/],
        ]);
        expect(check(keyRotation, GCP.cryptoKey, { keyRing: "r", purpose: "ASYMMETRIC_SIGN" })).to.deep.equal([]);
        expect(durationSeconds("86400.5s")).to.equal(86400.5);
        expect(durationSeconds("90d")).to.equal(undefined);
    });

    it("buckets-private: all four S3 blocks, no public ACL, GCS prevention enforced and no public members", () => {
        const block = {
            bucket: "b",
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        };
        compliantAndNot(bucketsPrivate, AWS.s3PublicAccessBlock, block, [
            [{ ...block, restrictPublicBuckets: false }, /^restrictPublicBuckets is not true$/],
            [
                { bucket: "b" },
                /blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets are not true/,
            ],
        ]);
        compliantAndNot(bucketsPrivate, AWS.s3Bucket, { forceDestroy: false }, [
            [{ acl: "public-read" }, /acl is public-read/],
        ]);
        compliantAndNot(bucketsPrivate, AWS.s3AclV2, { acl: "private" }, [
            [{ acl: "public-read-write" }, /public-read-write/],
        ]);
        const gcs = { publicAccessPrevention: "enforced", uniformBucketLevelAccess: true };
        compliantAndNot(bucketsPrivate, GCP.bucket, gcs, [
            [{ uniformBucketLevelAccess: true }, /publicAccessPrevention is "inherited"/],
            [{ publicAccessPrevention: "enforced" }, /uniformBucketLevelAccess/],
        ]);
        compliantAndNot(bucketsPrivate, GCP.bucketIamMember, { member: "serviceAccount:a@p.iam.gserviceaccount.com" }, [
            [{ member: "allUsers" }, /grants allUsers/],
        ]);
        compliantAndNot(bucketsPrivate, GCP.bucketIamBinding, { members: ["group:x@example.com"] }, [
            [{ members: ["allAuthenticatedUsers"] }, /grants allAuthenticatedUsers/],
        ]);
    });

    it("internet-ingress-web-ports-only: 0.0.0.0/0 and ::/0 only for TCP 80/443 (AWS and GCP)", () => {
        const web = { ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }] };
        compliantAndNot(internetIngressWebPortsOnly, AWS.securityGroup, web, [
            [
                { ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }] },
                /ingress\[0\] opens tcp 22/,
            ],
            [{ ingress: [{ protocol: "tcp", fromPort: 80, toPort: 443, ipv6CidrBlocks: ["::/0"] }] }, /tcp 80-443/],
            [{ ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] }, /all traffic/],
        ]);
        // Internal sources are not this rule's business.
        expect(
            check(internetIngressWebPortsOnly, AWS.securityGroup, {
                ingress: [{ protocol: "tcp", fromPort: 3306, toPort: 3306, cidrBlocks: ["10.0.0.0/16"] }],
            }),
        ).to.deep.equal([]);
        const rule = { securityGroupId: "sg-1", ipProtocol: "tcp", fromPort: 80, toPort: 80, cidrIpv4: "0.0.0.0/0" };
        compliantAndNot(internetIngressWebPortsOnly, AWS.ingressRule, rule, [
            [{ ...rule, fromPort: 8080, toPort: 8080 }, /tcp 8080/],
            [{ securityGroupId: "sg-1", ipProtocol: "-1", cidrIpv6: "::/0" }, /all traffic/],
        ]);
        compliantAndNot(
            internetIngressWebPortsOnly,
            AWS.securityGroupRule,
            {
                type: "ingress",
                protocol: "tcp",
                fromPort: 443,
                toPort: 443,
                cidrBlocks: ["0.0.0.0/0"],
                securityGroupId: "sg",
            },
            [
                [
                    {
                        type: "ingress",
                        protocol: "tcp",
                        fromPort: 22,
                        toPort: 22,
                        cidrBlocks: ["0.0.0.0/0"],
                        securityGroupId: "sg",
                    },
                    /tcp 22/,
                ],
            ],
        );
        const fw = { network: "n", sourceRanges: ["0.0.0.0/0"], allows: [{ protocol: "tcp", ports: ["80", "443"] }] };
        compliantAndNot(internetIngressWebPortsOnly, GCP.firewall, fw, [
            [{ ...fw, allows: [{ protocol: "tcp", ports: ["22"] }] }, /allows\[0\] \(tcp 22\)/],
            [{ ...fw, allows: [{ protocol: "tcp" }] }, /all ports/],
            [{ ...fw, allows: [{ protocol: "all" }] }, /all all ports/],
        ]);
        // SSH through IAP only, or egress rules, are fine.
        expect(
            check(internetIngressWebPortsOnly, GCP.firewall, {
                ...fw,
                sourceRanges: ["35.235.240.0/20"],
                allows: [{ protocol: "tcp", ports: ["22"] }],
            }),
        ).to.deep.equal([]);
        expect(
            check(internetIngressWebPortsOnly, GCP.firewall, {
                ...fw,
                direction: "EGRESS",
                allows: [{ protocol: "all" }],
            }),
        ).to.deep.equal([]);
    });

    it("http-listener-redirects-to-https: HTTP listeners only redirect, to HTTPS", () => {
        const redirect = {
            loadBalancerArn: "arn",
            port: 80,
            protocol: "HTTP",
            defaultActions: [
                { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
            ],
        };
        compliantAndNot(httpListenerRedirectsToHttps, AWS.listener, redirect, [
            [
                { ...redirect, defaultActions: [{ type: "forward", targetGroupArn: "tg" }] },
                /defaultActions\[0\] is "forward"/,
            ],
            [
                { ...redirect, defaultActions: [{ type: "redirect", redirect: { port: "8080" } }] },
                /redirect.protocol is "#\{protocol\}"/,
            ],
            [{ loadBalancerArn: "arn", port: 80, defaultActions: [{ type: "forward" }] }, /forward/],
            [{ ...redirect, defaultActions: [] }, /no default action/],
        ]);
        const https = {
            loadBalancerArn: "arn",
            port: 443,
            protocol: "HTTPS",
            certificateArn: "c",
            defaultActions: [{ type: "forward" }],
        };
        expect(check(httpListenerRedirectsToHttps, AWS.listener, https)).to.deep.equal([]);
        compliantAndNot(
            httpsListenerModernTls,
            AWS.listener,
            { ...https, sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" },
            [
                [https, /ELBSecurityPolicy-2016-08/],
                [{ ...https, sslPolicy: "ELBSecurityPolicy-2016-08" }, /sslPolicy/],
            ],
        );
    });

    it("imdsv2-required: launch templates and instances require session tokens", () => {
        const lt = { metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 } };
        compliantAndNot(imdsv2Required, AWS.launchTemplate, lt, [
            [{ imageId: "ami" }, /httpTokens is "optional"/],
            [{ metadataOptions: { httpTokens: "optional" } }, /"optional", not "required"/],
        ]);
        compliantAndNot(imdsv2Required, AWS.instance, lt, [[{ metadataOptions: {} }, /httpTokens/]]);
        expect(
            check(imdsv2Required, AWS.launchTemplate, { metadataOptions: { httpEndpoint: "disabled" } }),
        ).to.deep.equal([]);
    });

    it("no-public-ip-on-instances: no GCE access configs, no EC2 public addresses", () => {
        const tpl = { networkInterfaces: [{ subnetwork: "s" }] };
        compliantAndNot(noPublicIpOnInstances, GCP.instanceTemplate, tpl, [
            [
                { networkInterfaces: [{ subnetwork: "s", accessConfigs: [{}] }] },
                /accessConfigs gives the instance an external IP/,
            ],
            [
                { networkInterfaces: [{ subnetwork: "s", ipv6AccessConfigs: [{ networkTier: "PREMIUM" }] }] },
                /ipv6AccessConfigs/,
            ],
        ]);
        compliantAndNot(noPublicIpOnInstances, GCP.instance, tpl, [
            [{ networkInterfaces: [{ accessConfigs: [{}] }] }, /external IP/],
        ]);
        compliantAndNot(
            noPublicIpOnInstances,
            AWS.launchTemplate,
            { networkInterfaces: [{ associatePublicIpAddress: "false" }] },
            [[{ networkInterfaces: [{ associatePublicIpAddress: "true" }] }, /associatePublicIpAddress is true/]],
        );
        compliantAndNot(noPublicIpOnInstances, AWS.instance, { associatePublicIpAddress: false }, [
            [{ associatePublicIpAddress: true }, /associatePublicIpAddress/],
        ]);
    });

    it("subnetwork-flow-logs: every GCP subnetwork logs flows, except proxy-only subnets", () => {
        const subnet = {
            ipCidrRange: "10.11.0.0/20",
            network: "n",
            logConfig: { aggregationInterval: "INTERVAL_5_SEC", flowSampling: 0.5 },
        };
        compliantAndNot(subnetworkFlowLogs, GCP.subnetwork, subnet, [
            [{ ipCidrRange: "10.11.0.0/20", network: "n" }, /logConfig is not set/],
        ]);
        expect(
            check(subnetworkFlowLogs, GCP.subnetwork, {
                ipCidrRange: "10.12.0.0/23",
                purpose: "REGIONAL_MANAGED_PROXY",
            }),
        ).to.deep.equal([]);
    });

    it("deletion-protection-outside-dev: databases and buckets outside dev, nothing in dev", () => {
        compliantAndNot(deletionProtectionOutsideDev, AWS.rdsInstance, rds, [
            [{ ...rds, deletionProtection: false }, /deletionProtection is not true in demo/],
            [{ ...rds, skipFinalSnapshot: true }, /skipFinalSnapshot is true in demo/],
            [
                { ...rds, replicateSourceDb: "arn:aws:rds:us-east-1:123456789012:db:src", deletionProtection: false },
                /deletionProtection is not true in demo/,
            ],
        ]);
        // A read replica takes no final snapshot (RDS refuses one); its deletion protection still counts.
        expect(
            check(
                deletionProtectionOutsideDev,
                AWS.rdsInstance,
                { ...rds, replicateSourceDb: "arn:aws:rds:us-east-1:123456789012:db:src", skipFinalSnapshot: true },
                DEMO,
            ),
        ).to.deep.equal([]);
        compliantAndNot(deletionProtectionOutsideDev, GCP.sqlInstance, cloudSql, [
            [{ ...cloudSql, deletionProtection: false }, /deletionProtection is false/],
            [
                { ...cloudSql, settings: { ...cloudSql.settings, deletionProtectionEnabled: false } },
                /deletionProtectionEnabled/,
            ],
        ]);
        compliantAndNot(deletionProtectionOutsideDev, AWS.s3Bucket, { forceDestroy: false }, [
            [{ forceDestroy: true }, /forceDestroy is true in demo/],
        ]);
        compliantAndNot(deletionProtectionOutsideDev, GCP.bucket, {}, [[{ forceDestroy: true }, /forceDestroy/]]);
        // Any environment other than dev is production-like.
        expect(
            check(
                deletionProtectionOutsideDev,
                AWS.s3Bucket,
                { forceDestroy: true },
                { ...DEMO, environment: "staging" },
            ),
        ).to.have.length(1);
        for (const [type, props] of [
            [AWS.rdsInstance, { ...rds, deletionProtection: false, skipFinalSnapshot: true }],
            [GCP.sqlInstance, { ...cloudSql, deletionProtection: false, settings: {} }],
            [AWS.s3Bucket, { forceDestroy: true }],
        ] as const) {
            expect(check(deletionProtectionOutsideDev, type, props, DEV), type).to.deep.equal([]);
        }
    });

    it("log-groups-encrypted-with-cmk: a log group names a key", () => {
        compliantAndNot(logGroupsEncryptedWithCmk, AWS.logGroup, { retentionInDays: 30, kmsKeyId: KEY }, [
            [{ retentionInDays: 30 }, /kmsKeyId is not set/],
        ]);
    });

    it("rules ignore resource types they do not know", () => {
        for (const rule of RULES) {
            if (rule.kind === "resource") {
                expect(
                    rule.check("aws:iam/role:Role", { name: "x", assumeRolePolicy: "{}" }, DEMO),
                    rule.name,
                ).to.deep.equal([]);
            }
        }
    });
});

describe("policy rules: IAM", () => {
    const doc = (...statements: Array<Record<string, unknown>>) =>
        JSON.stringify({ Version: "2012-10-17", Statement: statements });

    it('iam-least-privilege: named actions on named resources; "*" only for actions without resource-level permissions', () => {
        const good = doc(
            { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: "arn:aws:s3:::b/*" },
            {
                Sid: "Metrics",
                Effect: "Allow",
                Action: ["cloudwatch:PutMetricData", "ec2:DescribeTags"],
                Resource: "*",
            },
            { Effect: "Deny", Action: "*", Resource: "*" },
        );
        compliantAndNot(iamLeastPrivilege, AWS.iamRolePolicy, { role: "r", policy: good }, [
            [
                { policy: doc({ Effect: "Allow", Action: "*", Resource: "arn:aws:s3:::b" }) },
                /^policy Statement\[0\] allows every action \(Action "\*"\)$/,
            ],
            [
                {
                    policy: doc({
                        Sid: "Read",
                        Effect: "Allow",
                        Action: ["s3:GetObject", "xray:PutTraceSegments"],
                        Resource: "*",
                    }),
                },
                /^policy Statement\[0\] \(Read\) grants s3:GetObject on every resource \("\*"\)/,
            ],
            [
                { policy: doc({ Effect: "Allow", Action: "s3:*", Resource: ["arn:aws:s3:::b", "*"] }) },
                /grants s3:\* on every resource/,
            ],
            [
                { policy: doc({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }) },
                /allows every action but its NotAction/,
            ],
            [
                { policy: doc({ Effect: "Allow", Action: "s3:GetObject", NotResource: "arn:aws:s3:::secret/*" }) },
                /applies to every resource but its NotResource/,
            ],
        ]);
        // The same document as an object, in every identity-policy type.
        for (const type of [AWS.iamPolicy, AWS.iamUserPolicy, AWS.iamGroupPolicy]) {
            expect(
                check(iamLeastPrivilege, type, {
                    policy: JSON.parse(doc({ Effect: "Allow", Action: "*", Resource: "*" })),
                }),
                type,
            ).to.deep.equal(['policy Statement[0] allows every action (Action "*")']);
        }
        expect(
            check(iamLeastPrivilege, AWS.iamRole, {
                assumeRolePolicy: "{}",
                inlinePolicies: [{ name: "x", policy: doc({ Effect: "Allow", Action: "*", Resource: "*" }) }],
                managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
            }),
        ).to.deep.equal([
            'inlinePolicies[0] Statement[0] allows every action (Action "*")',
            "attaches AdministratorAccess, which allows (nearly) every action on every resource",
        ]);
        compliantAndNot(
            iamLeastPrivilege,
            AWS.iamRolePolicyAttachment,
            { role: "r", policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" },
            [[{ role: "r", policyArn: "arn:aws:iam::aws:policy/PowerUserAccess" }, /attaches PowerUserAccess/]],
        );
    });

    it("iam-least-privilege: a document not known yet (preview) or not a policy is not judged", () => {
        expect(check(iamLeastPrivilege, AWS.iamRolePolicy, { policy: UNKNOWN })).to.deep.equal([]);
        expect(check(iamLeastPrivilege, AWS.iamRolePolicy, { policy: "not json" })).to.deep.equal([]);
        // An unknown action or resource inside a known document counts as named.
        expect(identityPolicyProblems(doc({ Effect: "Allow", Action: UNKNOWN, Resource: "*" }))).to.deep.equal([]);
        expect(
            identityPolicyProblems(doc({ Effect: "Allow", Action: "s3:GetObject", Resource: UNKNOWN })),
        ).to.deep.equal([]);
    });

    it('no-wildcard-principals: resource and trust policies name the principal or narrow "*" with a condition', () => {
        const narrowed = doc(
            {
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: "sns:Publish",
                Resource: "*",
            },
            {
                Effect: "Allow",
                Principal: { AWS: "*" },
                Action: "kms:Decrypt",
                Resource: "*",
                Condition: { StringEquals: { "kms:CallerAccount": "123456789012" } },
            },
            {
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: "*",
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        );
        for (const [type, property] of [
            [AWS.s3BucketPolicy, "policy"],
            [AWS.snsTopicPolicy, "policy"],
            [AWS.sqsQueuePolicy, "policy"],
            [AWS.kmsKey, "policy"],
            [AWS.secretPolicy, "policy"],
            [AWS.iamRole, "assumeRolePolicy"],
        ] as const) {
            compliantAndNot(noWildcardPrincipals, type, { [property]: narrowed }, [
                [
                    { [property]: doc({ Sid: "Open", Effect: "Allow", Principal: "*", Action: "x:Y", Resource: "*" }) },
                    new RegExp(
                        `^${property} Statement\\[0\\] \\(Open\\) allows any principal \\("\\*"\\) without a condition$`,
                    ),
                ],
                [
                    {
                        [property]: doc({
                            Effect: "Allow",
                            Principal: { AWS: ["arn:aws:iam::1:root", "*"] },
                            Action: "x:Y",
                            Resource: "*",
                            Condition: {},
                        }),
                    },
                    /allows any principal/,
                ],
                [
                    {
                        [property]: doc({
                            Effect: "Allow",
                            NotPrincipal: { AWS: "arn:aws:iam::1:root" },
                            Action: "x:Y",
                            Resource: "*",
                        }),
                    },
                    /allows everyone but its NotPrincipal list/,
                ],
            ]);
        }
    });

    it('no-wildcard-principals: Lambda permissions for "*" name the caller; GCP grants no public members', () => {
        compliantAndNot(
            noWildcardPrincipals,
            AWS.lambdaPermission,
            {
                action: "lambda:InvokeFunction",
                function: "f",
                principal: "sns.amazonaws.com",
                sourceArn: "arn:aws:sns:us-east-1:1:t",
            },
            [
                [
                    { action: "lambda:InvokeFunction", function: "f", principal: "*" },
                    /principal is "\*" with no sourceArn/,
                ],
            ],
        );
        expect(
            check(noWildcardPrincipals, AWS.lambdaPermission, { principal: "*", sourceAccount: "123456789012" }),
        ).to.deep.equal([]);
        compliantAndNot(
            noWildcardPrincipals,
            "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
            { name: "svc", role: "roles/run.invoker", member: "serviceAccount:push@p.iam.gserviceaccount.com" },
            [
                [
                    { name: "svc", role: "roles/run.invoker", member: "allUsers" },
                    /^grants roles\/run.invoker to allUsers$/,
                ],
            ],
        );
        compliantAndNot(
            noWildcardPrincipals,
            "gcp:projects/iAMBinding:IAMBinding",
            { role: "roles/viewer", members: ["group:ops@example.com"] },
            [
                [
                    { role: "roles/viewer", members: ["group:ops@example.com", "allAuthenticatedUsers"] },
                    /to allAuthenticatedUsers/,
                ],
            ],
        );
        // Buckets are buckets-private's: one finding, not two.
        expect(
            check(noWildcardPrincipals, GCP.bucketIamMember, {
                role: "roles/storage.objectViewer",
                member: "allUsers",
            }),
        ).to.deep.equal([]);
    });
});
