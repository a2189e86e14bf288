import { expect } from "chai";
import { managedSecretArn, performanceInsightsSupported, RDS_ENGINES } from "../components/aws/database";
import type { OfflineRun, RecordedResource } from "../tools/offline/run";
import { build, buildStack, json, stackConfig, statements } from "./support";

const T = {
    vpc: "aws:ec2/vpc:Vpc",
    subnet: "aws:ec2/subnet:Subnet",
    natGateway: "aws:ec2/natGateway:NatGateway",
    flowLog: "aws:ec2/flowLog:FlowLog",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    key: "aws:kms/key:Key",
    alias: "aws:kms/alias:Alias",
    secret: "aws:secretsmanager/secret:Secret",
    secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
    password: "random:index/randomPassword:RandomPassword",
    rotation: "aws:secretsmanager/secretRotation:SecretRotation",
    db: "aws:rds/instance:Instance",
    subnetGroup: "aws:rds/subnetGroup:SubnetGroup",
    paramGroup: "aws:rds/parameterGroup:ParameterGroup",
    sg: "aws:ec2/securityGroup:SecurityGroup",
    bucket: "aws:s3/bucket:Bucket",
    publicAccess: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
};

const ACCOUNT_ROOT = "arn:aws:iam::123456789012:root";

describe("AWS data tiers (dev stack)", () => {
    let run: OfflineRun;
    let demo: OfflineRun;
    before(async () => {
        run = await buildStack("dev");
        demo = await buildStack("demo");
    });

    /** The resource a property refers to, by the URN its property dependency points at. */
    const dependencyOf = (r: RecordedResource, property: string, type: string) =>
        (r.propertyDependencies[property] ?? []).map((urn) => run.byUrn(urn)).find((d) => d.type === type);

    describe("Network", () => {
        it("builds a VPC with public and private subnets in every AZ and the configured NAT strategy", () => {
            const vpc = run.plain(run.one(T.vpc));
            expect(vpc).to.deep.equal({
                cidrBlock: "10.0.0.0/16",
                enableDnsHostnames: true,
                enableDnsSupport: true,
                tags: { Name: "dev-network-vpc" },
            });
            const subnets = run.ofType(T.subnet).map((r) => {
                const p = run.plain(r);
                return `${p.tags.SubnetType} ${p.availabilityZone} ${p.cidrBlock}`;
            });
            expect(subnets.sort()).to.deep.equal([
                "Private us-east-1a 10.0.0.0/18",
                "Private us-east-1b 10.0.128.0/18",
                "Public us-east-1a 10.0.64.0/19",
                "Public us-east-1b 10.0.192.0/19",
            ]);
            expect(run.ofType(T.natGateway)).to.have.length(1);
            expect(demo.ofType(T.natGateway)).to.have.length(2);
        });

        it("logs all VPC traffic to a log group with retention, through a role scoped to that group", () => {
            const flowLog = run.plain(run.one(T.flowLog));
            expect(flowLog).to.include({ trafficType: "ALL", logDestinationType: "cloud-watch-logs" });
            const group = run.one(T.logGroup, "-network-flow-logs");
            expect(run.plain(group).retentionInDays).to.equal(30);
            expect(dependencyOf(run.one(T.flowLog), "logDestination", T.logGroup)?.urn).to.equal(group.urn);

            const trust = statements(json(run, run.one(T.role, "-network-flow-logs"), "assumeRolePolicy"));
            expect(trust[0].Principal).to.deep.equal({ Service: "vpc-flow-logs.amazonaws.com" });
            expect(trust[0].Condition).to.deep.equal({ StringEquals: { "aws:SourceAccount": "123456789012" } });
            const policy = statements(json(run, run.one(T.rolePolicy, "-network-flow-logs-policy"), "policy"));
            expect(policy).to.have.length(1);
            expect(policy[0].Action).to.have.members([
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogStreams",
            ]);
            for (const resource of policy[0].Resource!) {
                expect(resource).to.match(/^arn:aws:logs:us-east-1:123456789012:log-group:dev-network-flow-logs-/);
            }
        });
    });

    describe("Kms", () => {
        it("creates five rotating customer-managed keys with aliases and a 30-day deletion window", () => {
            const keys = run.ofType(T.key).filter((k) => k.name.startsWith("dev-kms-"));
            expect(keys.map((k) => k.name)).to.have.members([
                "dev-kms-ebs",
                "dev-kms-rds",
                "dev-kms-s3",
                "dev-kms-secrets",
                "dev-kms-logs",
            ]);
            for (const key of keys) {
                expect(run.plain(key)).to.include({
                    enableKeyRotation: true,
                    rotationPeriodInDays: 90,
                    deletionWindowInDays: 30,
                    keyUsage: "ENCRYPT_DECRYPT",
                });
            }
            const aliases = run.ofType(T.alias).map((a) => run.plain(a).name);
            expect(aliases).to.include.members([
                "alias/webapp-dev-ebs",
                "alias/webapp-dev-rds",
                "alias/webapp-dev-s3",
                "alias/webapp-dev-secrets",
                "alias/webapp-dev-logs",
            ]);
        });

        it("rotates on the configured period", async () => {
            const custom = await build(stackConfig("dev", { aws: { kmsRotationDays: 365 } }));
            const key = custom.one(T.key, "-kms-rds");
            expect(custom.plain(key).rotationPeriodInDays).to.equal(365);
        });

        it("lets the account administer every key through IAM", () => {
            const purposes = ["ebs", "rds", "s3", "secrets", "logs"];
            expect(run.ofType(T.key).filter((k) => k.name.startsWith("dev-kms-"))).to.have.length(purposes.length);
            for (const purpose of purposes) {
                const policy = statements(json(run, run.one(T.key, `-kms-${purpose}`), "policy"));
                expect(policy[0]).to.deep.include({
                    Effect: "Allow",
                    Principal: { AWS: ACCOUNT_ROOT },
                    Action: ["kms:*"],
                });
            }
        });

        it("lets the Auto Scaling service-linked role use the EBS key (or encrypted instances never launch)", () => {
            const policy = statements(json(run, run.one(T.key, "-kms-ebs"), "policy"));
            const slr =
                "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling";
            const use = policy.find((s) => s.Sid === "AutoScalingUseOfTheKey")!;
            expect(use.Action).to.include.members([
                "kms:Decrypt",
                "kms:GenerateDataKey*",
                "kms:ReEncrypt*",
                "kms:DescribeKey",
            ]);
            expect(use.Condition.StringEquals["aws:PrincipalArn"]).to.equal(slr);
            const grant = policy.find((s) => s.Sid === "AutoScalingAttachmentOfPersistentResources")!;
            expect(grant.Action).to.deep.equal(["kms:CreateGrant"]);
            expect(grant.Condition.Bool).to.deep.equal({ "kms:GrantIsForAWSResource": "true" });
            expect(grant.Condition.StringEquals["aws:PrincipalArn"]).to.equal(slr);
            for (const other of ["rds", "s3", "secrets"]) {
                expect(statements(json(run, run.one(T.key, `-kms-${other}`), "policy"))).to.have.length(1);
            }
        });
    });

    describe("Secrets", () => {
        it("generates no database password: RDS generates and keeps its own", () => {
            expect(run.ofType(T.password)).to.deep.equal([]);
            // demo's one generated password is Cloud SQL's.
            expect(demo.ofType(T.password).map((p) => p.name)).to.deep.equal(["demo-gcp-secrets-db-password"]);
        });

        it("encrypts both secrets with the Secrets Manager key", () => {
            const secretsKey = run.one(T.key, "-kms-secrets");
            for (const secret of run.ofType(T.secret)) {
                expect(dependencyOf(secret, "kmsKeyId", T.key)?.urn, secret.name).to.equal(secretsKey.urn);
                expect(run.plain(secret).recoveryWindowInDays).to.equal(7);
            }
            expect(run.ofType(T.secret).map((s) => s.name)).to.have.members([
                "dev-secrets-db-credentials",
                "dev-secrets-mailgun-api-key",
            ]);
            for (const secret of demo.ofType(T.secret)) {
                expect(demo.plain(secret).recoveryWindowInDays).to.equal(30);
            }
        });

        it("stores the database connection document as JSON with every field the instances need", () => {
            const version = run.one(T.secretVersion, "-database-credentials");
            const doc = json(run, version, "secretString");
            expect(Object.keys(doc)).to.have.members([
                "engine",
                "host",
                "port",
                "dbname",
                "credentialsSecretArn",
                "dbInstanceIdentifier",
            ]);
            expect(doc).to.include({ engine: "mysql", port: 3306, dbname: "webapp" });
            expect(doc.host).to.match(/\.rds\.amazonaws\.com$/);
            expect(doc.credentialsSecretArn).to.match(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-/);
            expect(doc.credentialsSecretArn).to.equal(run.plain(run.one(T.rotation)).secretId);
            expect(version.propertyDependencies.secretString).to.include(run.one(T.db).urn);
            expect(dependencyOf(version, "secretId", T.secret)?.name).to.equal("dev-secrets-db-credentials");
        });
    });

    describe("Database", () => {
        it("runs MySQL privately, encrypted with the RDS key, with backups and monitoring", () => {
            const db = run.one(T.db);
            expect(run.plain(db)).to.include({
                engine: "mysql",
                engineVersion: "8.4.8",
                instanceClass: "db.t3.micro",
                allocatedStorage: 20,
                storageType: "gp3",
                storageEncrypted: true,
                publiclyAccessible: false,
                multiAz: false,
                backupRetentionPeriod: 7,
                dbName: "webapp",
                username: "webapp",
                monitoringInterval: 60,
                autoMinorVersionUpgrade: false,
            });
            expect(dependencyOf(db, "kmsKeyId", T.key)?.name).to.equal("dev-kms-rds");
            expect(run.plain(db).enabledCloudwatchLogsExports).to.deep.equal(["error", "slowquery"]);
        });

        it("lets RDS manage the master password in a secret encrypted with the Secrets Manager key", () => {
            for (const stack of [run, demo]) {
                const db = stack.one(T.db);
                expect(stack.plain(db).manageMasterUserPassword).to.equal(true);
                expect(db.inputs).not.to.have.property("password");
                const key = (db.propertyDependencies.masterUserSecretKmsKeyId ?? []).map((urn) => stack.byUrn(urn));
                expect(key.map((k) => k.name)).to.deep.equal([`${stack === run ? "dev" : "demo"}-kms-secrets`]);
            }
        });

        it("rotates the RDS-managed secret every aws.db.passwordRotationDays (dev 30, elsewhere 7), not at once", async () => {
            const rotation = (stack: OfflineRun) => {
                const rotations = stack.ofType(T.rotation);
                expect(rotations).to.have.length(1);
                expect(rotations[0].propertyDependencies.secretId).to.deep.equal([stack.one(T.db).urn]);
                return stack.plain(rotations[0]);
            };
            expect(rotation(run).secretId).to.match(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-/);
            expect(rotation(run)).to.deep.include({
                rotationRules: { automaticallyAfterDays: 30 },
                rotateImmediately: false,
            });
            expect(rotation(demo).rotationRules).to.deep.equal({ automaticallyAfterDays: 7 });
            const custom = await build(stackConfig("dev", { aws: { db: { passwordRotationDays: 14 } } }));
            expect(rotation(custom).rotationRules).to.deep.equal({ automaticallyAfterDays: 14 });
        });

        it("fails clearly when RDS reports no managed secret", () => {
            expect(managedSecretArn([{ secretArn: "arn:aws:secretsmanager:us-east-1:1:secret:rds!db-1" }])).to.equal(
                "arn:aws:secretsmanager:us-east-1:1:secret:rds!db-1",
            );
            expect(() => managedSecretArn([])).to.throw(
                "the database reported no RDS-managed master user secret (manageMasterUserPassword)",
            );
        });

        it("sits in a subnet group of the private subnets and its own security group", async () => {
            const db = run.one(T.db);
            const subnets = run.plain(run.one(T.subnetGroup)).subnetIds as string[];
            expect(subnets).to.have.length(2);
            expect(subnets.every((id) => id.startsWith("subnet-prv"))).to.equal(true);
            const sg = dependencyOf(db, "vpcSecurityGroupIds", T.sg)!;
            expect(sg.name).to.equal("dev-database-sg");
            expect(run.plain(sg).ingress ?? []).to.deep.equal([]);
            expect(run.plain(sg).egress ?? []).to.deep.equal([]);
        });

        it("requires TLS and uses utf8mb4 through its parameter group", () => {
            const params = run.plain(run.one(T.paramGroup));
            expect(params.family).to.equal("mysql8.4");
            const byName = Object.fromEntries(params.parameters.map((p: any) => [p.name, p.value]));
            expect(byName).to.include({
                require_secure_transport: "1",
                character_set_server: "utf8mb4",
                collation_server: "utf8mb4_0900_ai_ci",
            });
            expect(dependencyOf(run.one(T.db), "parameterGroupName", T.paramGroup)).to.not.equal(undefined);
        });

        it("dev: deletable without a final snapshot; demo: deletion protection and a final snapshot", () => {
            expect(run.plain(run.one(T.db))).to.include({
                deletionProtection: false,
                skipFinalSnapshot: true,
                deleteAutomatedBackups: true,
                applyImmediately: true,
            });
            const prod = demo.plain(demo.one(T.db));
            expect(prod).to.include({
                deletionProtection: true,
                skipFinalSnapshot: false,
                applyImmediately: false,
                // The automated backups outlive the instance outside dev.
                deleteAutomatedBackups: false,
            });
            expect(prod.finalSnapshotIdentifier).to.match(/^webapp-demo-[a-z0-9]{6}-final$/);
        });

        it("turns Performance Insights on where the instance class supports it", async () => {
            expect(run.plain(run.one(T.db)).performanceInsightsEnabled).to.equal(false);
            const large = await build(stackConfig("dev", { aws: { db: { instanceClass: "db.t3.medium" } } }));
            const db = large.one(T.db);
            expect(large.plain(db)).to.include({
                performanceInsightsEnabled: true,
                performanceInsightsRetentionPeriod: 7,
            });
            expect(
                (db.propertyDependencies.performanceInsightsKmsKeyId ?? []).map((u) => large.byUrn(u).name),
            ).to.deep.equal(["dev-kms-rds"]);
            expect(performanceInsightsSupported(RDS_ENGINES.mysql, "db.t4g.small")).to.equal(false);
            expect(performanceInsightsSupported(RDS_ENGINES.mysql, "db.r6g.large")).to.equal(true);
            expect(performanceInsightsSupported(RDS_ENGINES.postgres, "db.t3.micro")).to.equal(true);
            expect(RDS_ENGINES.mysql.family("8.0.39")).to.equal("mysql8.0");
            expect(RDS_ENGINES.postgres.family("16.9")).to.equal("postgres16");
        });

        it("creates the exported log groups with retention before the instance", () => {
            const db = run.one(T.db);
            const groups = run.ofType(T.logGroup).filter((g) => g.name.startsWith("dev-database-log-"));
            expect(groups).to.have.length(2);
            for (const group of groups) {
                expect(run.plain(group).name).to.match(
                    /^\/aws\/rds\/instance\/webapp-dev-[a-z0-9]{6}\/(error|slowquery)$/,
                );
                expect(run.plain(group).retentionInDays).to.equal(30);
                expect(db.dependencies).to.include(group.urn);
            }
        });
    });

    describe("Storage", () => {
        it("blocks every kind of public access and disables ACLs", () => {
            expect(run.plain(run.one(T.publicAccess, "dev-storage-public-access"))).to.include({
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            });
            expect(run.plain(run.one(T.ownership, "dev-storage-ownership")).rule).to.deep.equal({
                objectOwnership: "BucketOwnerEnforced",
            });
        });

        it("encrypts objects with the S3 key and bucket keys", () => {
            const encryption = run.one(T.encryption, "dev-storage-encryption");
            const [rule] = run.plain(encryption).rules;
            expect(rule.applyServerSideEncryptionByDefault.sseAlgorithm).to.equal("aws:kms");
            expect(rule.bucketKeyEnabled).to.equal(true);
            // Uploads with customer-provided keys (SSE-C) are refused: objects stay under the S3 key.
            expect(rule.blockedEncryptionTypes).to.deep.equal(["SSE-C"]);
            expect(dependencyOf(encryption, "rules", T.key)?.name).to.equal("dev-kms-s3");
        });

        it("versions objects and tiers them to STANDARD_IA after the configured days", async () => {
            expect(run.plain(run.one(T.versioning, "dev-storage-versioning")).versioningConfiguration).to.deep.equal({
                status: "Enabled",
            });
            const rules = run.plain(run.one(T.lifecycle, "dev-storage-lifecycle")).rules as any[];
            const tier = rules.find((r) => r.id === "tier-to-standard-ia");
            expect(tier.transitions).to.deep.equal([{ days: 30, storageClass: "STANDARD_IA" }]);
            expect(tier.noncurrentVersionExpiration).to.deep.equal({ noncurrentDays: 90 });
            const abort = rules.find((r) => r.id === "abort-incomplete-multipart-uploads");
            expect(abort.abortIncompleteMultipartUpload).to.deep.equal({ daysAfterInitiation: 7 });

            const later = await build(stackConfig("dev", { aws: { storage: { infrequentAccessAfterDays: 60 } } }));
            const laterRules = later.plain(later.one(T.lifecycle, "dev-storage-lifecycle")).rules as any[];
            expect(laterRules[0].transitions[0].days).to.equal(60);
        });

        it("refuses requests without TLS 1.2+", () => {
            const policy = statements(json(run, run.one(T.bucketPolicy, "dev-storage-policy"), "policy"));
            expect(policy.map((s) => s.Effect)).to.deep.equal(["Deny", "Deny"]);
            expect(policy[0].Condition).to.deep.equal({ Bool: { "aws:SecureTransport": "false" } });
            expect(policy[1].Condition).to.deep.equal({ NumericLessThan: { "s3:TlsVersion": "1.2" } });
            for (const statement of policy) {
                expect(statement.Principal).to.equal("*");
                expect(statement.Resource).to.have.length(2);
                expect(statement.Resource![0]).to.match(/^arn:aws:s3:::dev-storage-bucket-[0-9a-f]{7}$/);
                expect(statement.Resource![1]).to.equal(`${statement.Resource![0]}/*`);
            }
        });

        it("force-destroys only dev buckets", () => {
            expect(run.plain(run.one(T.bucket, "dev-storage-bucket")).forceDestroy).to.equal(true);
            expect(demo.plain(demo.one(T.bucket, "demo-storage-bucket")).forceDestroy).to.equal(false);
        });
    });

    describe("stack outputs", () => {
        it("export the VPC, subnets, database endpoint, bucket and secret ARNs", () => {
            const aws = (run.outputs as any).aws;
            expect(aws.vpcId).to.match(/^vpc-/);
            expect(aws.publicSubnetIds).to.have.length(2);
            expect(aws.privateSubnetIds).to.have.length(2);
            expect(aws.databaseHost).to.match(/\.rds\.amazonaws\.com$/);
            expect(aws.databasePort).to.equal(3306);
            expect(aws.bucketName).to.match(/^dev-storage-bucket-/);
            expect(aws.databaseSecretArn).to.match(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:/);
            expect(aws.mailgunSecretArn).to.match(/^arn:aws:secretsmanager:/);
        });
    });
});
