import { expect } from "chai";
import {
    defaultEventBusArn,
    promotedReplicaIgnoreChanges,
    promotionEnvironment,
    replicationStatements,
} from "../components/aws/dr";
import type { OfflineRun, RecordedResource } from "../tools/offline/run";
import { build, buildStack, inside, json, mandatoryViolations, referenced, stackConfig, statements } from "./support";

const T = {
    dr: "webapp:aws:DisasterRecovery",
    kms: "webapp:aws:Kms",
    provider: "pulumi:providers:aws",
    key: "aws:kms/key:Key",
    alias: "aws:kms/alias:Alias",
    db: "aws:rds/instance:Instance",
    subnetGroup: "aws:rds/subnetGroup:SubnetGroup",
    vpc: "aws:ec2/vpc:Vpc",
    subnet: "aws:ec2/subnet:Subnet",
    bucket: "aws:s3/bucket:Bucket",
    encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    replication: "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    fn: "aws:lambda/function:Function",
    invokeConfig: "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
    permission: "aws:lambda/permission:Permission",
    rule: "aws:cloudwatch/eventRule:EventRule",
    target: "aws:cloudwatch/eventTarget:EventTarget",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    subscription: "aws:sns/topicSubscription:TopicSubscription",
    topic: "aws:sns/topic:Topic",
    secret: "aws:secretsmanager/secret:Secret",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    plan: "aws:backup/plan:Plan",
    vault: "aws:backup/vault:Vault",
    logging: "aws:s3/bucketLogging:BucketLogging",
    object: "aws:s3/bucketObjectv2:BucketObjectv2",
    codeSigning: "aws:lambda/codeSigningConfig:CodeSigningConfig",
    profile: "aws:signer/signingProfile:SigningProfile",
    job: "aws:signer/signingJob:SigningJob",
    defaultSg: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
};

const ACCOUNT = "123456789012";
const DR_BUS = `arn:aws:events:us-west-2:${ACCOUNT}:event-bus/default`;
const PROMOTION_EVENTS = ["RDS-EVENT-0004", "RDS-EVENT-0022", "RDS-EVENT-0031", "RDS-EVENT-0036"];

describe("AWS DR region (aws.dr.region)", () => {
    let run: OfflineRun;
    let drProvider: RecordedResource;
    let primaryProvider: RecordedResource;
    let component: RecordedResource;
    /** Whether a resource is registered with the DR region's provider. */
    const onDr = (r: RecordedResource) => r.provider.startsWith(`${drProvider.urn}::`);
    const onPrimary = (r: RecordedResource) => r.provider.startsWith(`${primaryProvider.urn}::`);
    const drKeys = () => inside(run, run.one(T.kms, "dr-kms"), T.key);
    const primaryDb = () => run.ofType(T.db).find((r) => !onDr(r))!;
    const replica = () => run.ofType(T.db).find(onDr)!;
    const promotion = () => inside(run, component, T.fn)[0];
    const drBucket = () => referenced(run, run.one(T.replication), "rules", T.bucket);

    before(async () => {
        run = await build(
            stackConfig("demo", {
                aws: { dr: { region: "us-west-2" } },
                monitoring: { alarmEmail: "ops@example.com" },
                features: { backup: true },
            }),
        );
        const providers = run.ofType(T.provider);
        expect(providers.map((p) => p.name).sort()).to.deep.equal(["demo-aws", "demo-aws-dr"]);
        drProvider = providers.find((p) => p.name === "demo-aws-dr")!;
        primaryProvider = providers.find((p) => p.name === "demo-aws")!;
        component = run.one(T.dr);
    });

    it("adds a second AWS provider in the DR region with the primary's tags and account guard", () => {
        const dr = run.plain(drProvider);
        const primary = run.plain(primaryProvider);
        expect(dr.region).to.equal("us-west-2");
        expect(primary.region).to.equal("us-east-1");
        expect(JSON.parse(dr.defaultTags)).to.deep.equal(JSON.parse(primary.defaultTags));
    });

    it("is off unless aws.dr.region is set: dev and demo have one provider and no DR component", async () => {
        for (const stack of ["dev", "demo"]) {
            const plain = await buildStack(stack);
            expect(plain.ofType(T.provider).map((p) => p.name)).to.deep.equal([`${stack}-aws`]);
            expect(plain.ofType(T.dr)).to.have.length(0);
            expect(plain.ofType(T.replication)).to.have.length(0);
        }
    });

    it("creates the five platform keys' counterparts in the DR region, rotated, with the same aliases", () => {
        const keys = drKeys();
        expect(keys).to.have.length(5);
        for (const key of keys) {
            expect(onDr(key), key.name).to.equal(true);
            expect(run.plain(key).enableKeyRotation).to.equal(true);
            expect(run.plain(key).rotationPeriodInDays).to.equal(90);
        }
        const aliases = inside(run, run.one(T.kms, "dr-kms"), T.alias).map((a) => run.plain(a).name);
        expect(aliases.sort()).to.deep.equal([
            "alias/webapp-demo-ebs",
            "alias/webapp-demo-logs",
            "alias/webapp-demo-rds",
            "alias/webapp-demo-s3",
            "alias/webapp-demo-secrets",
        ]);
    });

    it("puts every resource of the DR component in the DR region except the five that watch the primary", () => {
        // Every AWS resource (the random suffix has no region).
        const custom = inside(run, component).filter((r) => r.custom && r.type.startsWith("aws:"));
        const inPrimary = custom.filter((r) => !onDr(r));
        expect(inPrimary.every(onPrimary)).to.equal(true);
        expect(inPrimary.map((r) => r.type).sort()).to.deep.equal(
            [
                T.alarm, // the primary's unavailability
                T.replication, // on the application bucket
                T.rule, // forwards the primary's events
                T.target,
                T.subscription, // the primary's ops topic
                T.role, // IAM is global: the replication and forwarding roles
                T.role,
                T.rolePolicy,
                T.rolePolicy,
            ].sort(),
        );
        expect(custom.filter(onDr).length).to.be.greaterThan(20);
    });

    it("encrypts every DR resource that holds data with a DR-region key", () => {
        const rep = run.plain(replica());
        expect(rep.storageEncrypted).to.equal(true);
        expect(rep.kmsKeyId).to.match(/^arn:aws:kms:us-west-2:123456789012:key\//);
        expect(referenced(run, replica(), "kmsKeyId", T.key).urn).to.be.oneOf(drKeys().map((k) => k.urn));
        // The DR bucket's; the DR access-log bucket's is SSE-S3 (the only encryption S3 log delivery supports).
        const encryption = inside(run, component, T.encryption).filter(
            (e) => referenced(run, e, "bucket", T.bucket).urn === drBucket().urn,
        );
        expect(encryption).to.have.length(1);
        const rule = run.plain(encryption[0]).rules[0];
        expect(rule.applyServerSideEncryptionByDefault.sseAlgorithm).to.equal("aws:kms");
        expect(rule.applyServerSideEncryptionByDefault.kmsMasterKeyId).to.match(/^arn:aws:kms:us-west-2:/);
        const topics = inside(run, component, T.topic);
        expect(topics).to.have.length(1);
        expect(run.plain(topics[0]).kmsMasterKeyId).to.match(/^arn:aws:kms:us-west-2:/);
        const vaults = inside(run, component, T.vault);
        expect(vaults).to.have.length(1);
        expect(run.plain(vaults[0]).kmsKeyArn).to.match(/^arn:aws:kms:us-west-2:/);
    });

    it("replicates the primary database into the DR VPC's isolated subnets, private and protected", () => {
        const rep = run.plain(replica());
        expect(onDr(replica())).to.equal(true);
        expect(rep.replicateSourceDb).to.match(/^arn:aws:rds:us-east-1:123456789012:db:webapp-demo-[a-z0-9]{6}$/);
        expect(referenced(run, replica(), "replicateSourceDb", T.db).urn).to.equal(primaryDb().urn);
        expect(rep.identifier).to.match(/^webapp-demo-dr-[a-z0-9]{6}$/);
        expect(rep.publiclyAccessible).to.equal(false);
        expect(rep.deletionProtection).to.equal(true);
        expect(rep.instanceClass).to.equal("db.t3.micro");
        expect(rep.backupRetentionPeriod).to.equal(7);
        expect(rep.password).to.equal(undefined);
        expect(rep.username).to.equal(undefined);
        const subnets = referenced(run, replica(), "dbSubnetGroupName", T.subnetGroup);
        expect(onDr(subnets)).to.equal(true);
        // The VPC's resources take the DR provider from the DR component.
        const drSubnets = (subnets.propertyDependencies.subnetIds ?? []).map((u) => run.byUrn(u));
        expect(
            drSubnets.map((r) => `${r.name} ${run.plain(r).availabilityZone} ${run.plain(r).cidrBlock} ${onDr(r)}`),
        ).to.deep.equal([
            "demo-dr-vpc-isolated-1 us-west-2a 10.100.0.0/18 true",
            "demo-dr-vpc-isolated-2 us-west-2b 10.100.128.0/18 true",
        ]);
        const vpc = referenced(run, drSubnets[0], "vpcId", T.vpc);
        expect(run.byUrn(vpc.parent).parent).to.equal(component.urn);
        expect(onDr(vpc)).to.equal(true);
        expect(run.plain(vpc).cidrBlock).to.equal("10.100.0.0/16");
        expect(inside(run, component, "aws:ec2/natGateway:NatGateway")).to.deep.equal([]);
        expect(inside(run, component, "aws:ec2/route:Route")).to.deep.equal([]);
    });

    it("logs the DR bucket's access into a DR-region log bucket and closes the DR VPC's default group", () => {
        // The DR bucket's and the promotion function's artifacts bucket's, into the same log bucket.
        const loggings = inside(run, component, T.logging);
        expect(loggings).to.have.length(2);
        const ofBucket = (l: RecordedResource) => referenced(run, l, "bucket", T.bucket).name;
        expect(loggings.map(ofBucket).sort()).to.deep.equal([
            "demo-dr-bucket-bucket",
            "demo-dr-promotion-artifacts-bucket",
        ]);
        const logging = loggings.find((l) => referenced(run, l, "bucket", T.bucket).urn === drBucket().urn)!;
        const target = referenced(run, logging, "targetBucket", T.bucket);
        expect(target.name).to.equal("demo-dr-access-logs-bucket");
        expect(onDr(target) && onDr(logging)).to.equal(true);
        expect(run.plain(logging).targetPrefix).to.equal("s3/dr/");
        const artifacts = loggings.find((l) => l !== logging)!;
        expect(referenced(run, artifacts, "targetBucket", T.bucket).urn).to.equal(target.urn);
        expect(run.plain(artifacts).targetPrefix).to.equal("s3/dr-artifacts/");
        const defaults = inside(run, component, T.defaultSg);
        expect(defaults).to.have.length(1);
        expect(onDr(defaults[0])).to.equal(true);
        expect(run.plain(defaults[0]).ingress ?? []).to.deep.equal([]);
        expect(run.plain(defaults[0]).egress ?? []).to.deep.equal([]);
        expect(run.plain(replica()).engine).to.equal("mysql");
    });

    it("builds prod, whose DR region is set, without a mandatory policy violation", async () => {
        const prod = await buildStack("prod");
        expect(prod.ofType(T.dr)).to.have.length(1);
        expect(mandatoryViolations(prod, "prod")).to.deep.equal([]);
    });

    it("leaves the promotion's changes alone on the next update: replication ended, failover tags", () => {
        expect(promotedReplicaIgnoreChanges()).to.deep.equal([
            "replicateSourceDb",
            'tags["failover:promoted-at"]',
            'tags["failover:trigger"]',
            'tags["failover:request-id"]',
        ]);
    });

    it("replicates the application bucket to a versioned DR bucket, re-encrypted with the DR S3 key", () => {
        const configs = run.ofType(T.replication);
        expect(configs).to.have.length(1);
        const config = run.plain(configs[0]);
        const appBucket = run.ofType(T.bucket).find((b) => b.name === "demo-storage-bucket")!;
        expect(referenced(run, configs[0], "bucket", T.bucket).urn).to.equal(appBucket.urn);
        expect(configs[0].dependencies).to.include(
            run.ofType(T.versioning).find((v) => v.name === "demo-storage-versioning")!.urn,
        );
        const drBucket = referenced(run, configs[0], "rules", T.bucket);
        expect(onDr(drBucket)).to.equal(true);
        // The DR bucket's versioning, the DR access-log bucket's and the promotion artifacts bucket's.
        expect(inside(run, component, T.versioning)).to.have.length(3);
        expect(config.rules).to.have.length(1);
        const [rule] = config.rules;
        expect(rule.status).to.equal("Enabled");
        expect(rule.deleteMarkerReplication).to.deep.equal({ status: "Enabled" });
        expect(rule.sourceSelectionCriteria).to.deep.equal({ sseKmsEncryptedObjects: { status: "Enabled" } });
        expect(rule.destination.encryptionConfiguration.replicaKmsKeyId).to.match(/^arn:aws:kms:us-west-2:/);
        expect(rule.destination.bucket).to.match(/^arn:aws:s3:::/);
    });

    it("scopes the replication role to the two buckets and each key to S3 in its own region", () => {
        const st = replicationStatements({
            sourceBucketArn: "arn:aws:s3:::src",
            destinationBucketArn: "arn:aws:s3:::dst",
            sourceKey: { arn: "arn:aws:kms:us-east-1:1:key/a", region: "us-east-1" },
            destinationKey: { arn: "arn:aws:kms:us-west-2:1:key/b", region: "us-west-2" },
        });
        expect(st).to.have.length(5);
        const resources = JSON.parse(JSON.stringify(st.map((s) => s.Resource)));
        expect(resources.slice(0, 3)).to.have.length(3);
        const role = inside(run, component, T.role).find((r) =>
            run.plain(r).description?.startsWith("S3 replication"),
        )!;
        const policy = run.ofType(T.rolePolicy).find((p) => referenced(run, p, "role", T.role).urn === role.urn)!;
        const doc = statements(json(run, policy, "policy"));
        expect(doc.map((s) => s.Sid)).to.deep.equal([
            "ReadTheReplicationConfiguration",
            "ReadSourceVersions",
            "WriteReplicas",
            "DecryptSourceObjects",
            "EncryptReplicas",
        ]);
        const resourcesOf = (sid: string) => doc.find((s) => s.Sid === sid)!.Resource;
        expect(resourcesOf("ReadSourceVersions")[0]).to.match(/^arn:aws:s3:::demo-storage-bucket-[0-9a-f]+\/\*$/);
        expect(resourcesOf("WriteReplicas")[0]).to.match(/^arn:aws:s3:::demo-dr-bucket-bucket-[0-9a-f]+\/\*$/);
        expect(doc.find((s) => s.Sid === "DecryptSourceObjects")!.Condition).to.deep.equal({
            StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" },
        });
        expect(doc.find((s) => s.Sid === "EncryptReplicas")!.Condition).to.deep.equal({
            StringEquals: { "kms:ViaService": "s3.us-west-2.amazonaws.com" },
        });
        expect(resourcesOf("EncryptReplicas")[0]).to.match(/^arn:aws:kms:us-west-2:/);
    });

    it("replicates every secret to the DR region under the DR Secrets Manager key", () => {
        const secrets = run.ofType(T.secret);
        expect(secrets).to.have.length(2);
        const drSecretsKey = drKeys().find((k) => run.plain(k).description === "webapp: Secrets Manager secrets")!;
        for (const secret of secrets) {
            expect(onPrimary(secret)).to.equal(true);
            const replicas = run.plain(secret).replicas;
            expect(replicas).to.have.length(1);
            expect(replicas[0].region).to.equal("us-west-2");
            expect(replicas[0].kmsKeyId).to.match(/^arn:aws:kms:us-west-2:123456789012:key\//);
            expect(referenced(run, secret, "replicas", T.key).urn).to.equal(drSecretsKey.urn);
        }
    });

    it("runs the promotion function in the DR region as its contract says", () => {
        const fn = promotion();
        const f = run.plain(fn);
        expect(onDr(fn)).to.equal(true);
        expect(f.handler).to.equal("index.handler");
        expect(f.runtime).to.equal("nodejs22.x");
        expect(f.timeout).to.equal(900);
        expect(f.reservedConcurrentExecutions).to.equal(1);
        expect(f.vpcConfig).to.equal(undefined);
        const logGroup = referenced(run, fn, "loggingConfig", T.logGroup);
        expect(onDr(logGroup)).to.equal(true);
        // demo keeps logs a year (aws.logRetentionDays), in the DR region's logs key.
        expect(run.plain(logGroup).retentionInDays).to.equal(365);
        expect(onDr(referenced(run, logGroup, "kmsKeyId", "aws:kms/key:Key"))).to.equal(true);
        const alarm = run.ofType(T.alarm).find((a) => run.plain(a).name === "webapp-demo-db-unavailable")!;
        const topic = inside(run, component, T.topic)[0];
        expect(f.environment.variables).to.deep.equal({
            REPLICA_ARN: f.environment.variables.REPLICA_ARN,
            PRIMARY_ARN: f.environment.variables.PRIMARY_ARN,
            TOPIC_ARN: f.environment.variables.TOPIC_ARN,
            ALARM_ARNS: `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:webapp-demo-db-unavailable`,
            DRY_RUN: "false",
            GRACE_SECONDS: "300",
            BACKUP_RETENTION_DAYS: "7",
            BACKUP_WINDOW: "03:00-04:00",
        });
        expect(f.environment.variables.REPLICA_ARN).to.match(/^arn:aws:rds:us-west-2:123456789012:db:webapp-demo-dr-/);
        expect(f.environment.variables.PRIMARY_ARN).to.match(/^arn:aws:rds:us-east-1:123456789012:db:webapp-demo-/);
        expect(f.environment.variables.TOPIC_ARN).to.match(/^arn:aws:sns:us-west-2:123456789012:/);
        expect(referenced(run, fn, "environment", T.topic).urn).to.equal(topic.urn);
        expect(referenced(run, fn, "environment", T.alarm).urn).to.equal(alarm.urn);

        const invokeConfig = inside(run, component, T.invokeConfig);
        expect(invokeConfig).to.have.length(1);
        const ic = run.plain(invokeConfig[0]);
        expect(ic.maximumRetryAttempts).to.equal(2);
        expect(ic.destinationConfig.onFailure.destination).to.equal(f.environment.variables.TOPIC_ARN);
    });

    it("encrypts the function's environment with a DR-region key of its own and traces it with X-Ray", () => {
        const fn = promotion();
        const f = run.plain(fn);
        expect(f.kmsKeyArn).to.match(/^arn:aws:kms:us-west-2:123456789012:key\//);
        const key = referenced(run, fn, "kmsKeyArn", T.key);
        expect(key.name).to.equal("demo-dr-promotion-key");
        expect(onDr(key)).to.equal(true);
        expect(key.parent).to.equal(component.urn);
        expect(run.plain(key).enableKeyRotation).to.equal(true);
        expect(run.plain(key).description).to.equal("webapp: the DR replica promotion function's environment (Lambda)");
        const alias = inside(run, component, T.alias).find(
            (a) => run.plain(a).name === "alias/webapp-demo-dr-promotion",
        );
        expect(alias && onDr(alias)).to.equal(true);
        expect(f.tracingConfig).to.deep.equal({ mode: "Active" });
    });

    it("deploys the function from a signed bundle in the DR region, under an enforcing code signing config", () => {
        const fn = promotion();
        const f = run.plain(fn);
        const artifacts = run.one(T.bucket, "demo-dr-promotion-artifacts-bucket");
        const bundle = run.one(T.object, "demo-dr-promotion-bundle");
        const job = run.one(T.job, "demo-dr-promotion-signing");
        const profile = run.one(T.profile, "demo-dr-promotion-signing-profile");
        const config = referenced(run, fn, "codeSigningConfigArn", T.codeSigning);
        expect(config.name).to.equal("demo-dr-promotion-code-signing");
        for (const r of [artifacts, bundle, job, profile, config]) {
            expect(onDr(r), r.name).to.equal(true);
            expect(r.parent, r.name).to.equal(component.urn);
        }
        expect(referenced(run, bundle, "bucket", T.bucket).urn).to.equal(artifacts.urn);
        const j = run.plain(job);
        expect(j.source.s3.key).to.equal("replica-promotion/unsigned/bundle.zip");
        expect(j.destination.s3.prefix).to.equal("replica-promotion/signed/");
        expect(j.ignoreSigningJobFailure).to.equal(false);
        expect(job.propertyDependencies.source).to.include(bundle.urn);
        expect(referenced(run, job, "profileName", T.profile).urn).to.equal(profile.urn);
        expect(run.plain(profile).platformId).to.equal("AWSLambda-SHA384-ECDSA");
        expect(run.plain(profile).namePrefix).to.equal("demo_dr_promotion_");
        // The function's code is the job's signed object, not the archive itself.
        expect(f.code).to.equal(undefined);
        expect(fn.propertyDependencies.s3Bucket).to.deep.equal([job.urn]);
        expect(f.s3Key).to.match(/^replica-promotion\/signed\/.+\.zip$/);
        const c = run.plain(config);
        expect(c.policies).to.deep.equal({ untrustedArtifactOnDeployment: "Enforce" });
        expect(c.allowedPublishers.signingProfileVersionArns[0]).to.match(
            /^arn:aws:signer:us-west-2:123456789012:\/signing-profiles\/demo_dr_promotion_[0-9a-f]{26}\/[0-9a-f]{10}$/,
        );
        expect(config.propertyDependencies.allowedPublishers).to.include(profile.urn);
        // The artifacts bucket is encrypted with the DR region's S3 key.
        const encryption = inside(run, component, T.encryption).find(
            (e) => referenced(run, e, "bucket", T.bucket).urn === artifacts.urn,
        )!;
        const s3Key = referenced(run, encryption, "rules", T.key);
        expect(s3Key.urn).to.equal(run.one(T.key, "demo-dr-kms-s3").urn);
        expect(run.plain(encryption).rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId).to.match(
            /^arn:aws:kms:us-west-2:/,
        );
    });

    it("limits the function's role to promoting and tagging that one replica", () => {
        const policy = inside(run, component, T.rolePolicy).find(
            (p) => referenced(run, p, "role", T.role).name === "demo-dr-promotion-role",
        )!;
        const doc = statements(json(run, policy, "policy"));
        const replicaArn = run.plain(promotion()).environment.variables.REPLICA_ARN;
        const primaryArn = run.plain(promotion()).environment.variables.PRIMARY_ARN;
        const bySid = Object.fromEntries(doc.map((s) => [s.Sid, s]));
        expect(Object.keys(bySid)).to.deep.equal([
            "ReadReplicaAndPrimaryState",
            "PromoteTheReplica",
            "RecordThePromotionInTags",
            "PublishTheRecord",
            "EncryptTheRecordForTheTopic",
            "WriteOwnLogs",
            "DecryptOwnEnvironment",
            "SendTraces",
        ]);
        expect(bySid.PromoteTheReplica.Resource).to.deep.equal([replicaArn]);
        // Its environment's key through Lambda in the DR region only; X-Ray has no resource-level permissions.
        expect(bySid.DecryptOwnEnvironment).to.deep.equal({
            Sid: "DecryptOwnEnvironment",
            Effect: "Allow",
            Action: ["kms:Decrypt"],
            Resource: [run.plain(promotion()).kmsKeyArn],
            Condition: { StringEquals: { "kms:ViaService": "lambda.us-west-2.amazonaws.com" } },
        });
        expect(policy.propertyDependencies.policy).to.include(referenced(run, promotion(), "kmsKeyArn", T.key).urn);
        expect(bySid.SendTraces).to.deep.equal({
            Sid: "SendTraces",
            Effect: "Allow",
            Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            Resource: ["*"],
        });
        expect(bySid.RecordThePromotionInTags.Resource).to.deep.equal([replicaArn]);
        expect(bySid.ReadReplicaAndPrimaryState.Resource).to.deep.equal([replicaArn, primaryArn]);
        expect(bySid.EncryptTheRecordForTheTopic.Condition).to.deep.equal({
            StringEquals: { "kms:ViaService": "sns.us-west-2.amazonaws.com" },
        });
        const actions = doc.flatMap((s) => s.Action);
        expect(actions.filter((a: string) => a.startsWith("rds:")).sort()).to.deep.equal([
            "rds:AddTagsToResource",
            "rds:DescribeDBInstances",
            "rds:PromoteReadReplica",
        ]);
    });

    it("forwards the primary's failure events to the DR bus, and a rule there invokes the function", () => {
        const rules = inside(run, component, T.rule);
        expect(rules).to.have.length(2);
        const forward = rules.find(onPrimary)!;
        const local = rules.find(onDr)!;
        const primaryArn = run.plain(promotion()).environment.variables.PRIMARY_ARN;
        const expected = {
            source: ["aws.rds"],
            "detail-type": ["RDS DB Instance Event"],
            detail: { SourceArn: [primaryArn], EventID: PROMOTION_EVENTS },
        };
        expect(json(run, forward, "eventPattern")).to.deep.equal(expected);
        expect(json(run, local, "eventPattern")).to.deep.equal(expected);

        const targets = inside(run, component, T.target);
        expect(targets).to.have.length(2);
        const forwardTarget = targets.find(onPrimary)!;
        expect(run.plain(forwardTarget).arn).to.equal(DR_BUS);
        expect(referenced(run, forwardTarget, "rule", T.rule).urn).to.equal(forward.urn);
        const role = referenced(run, forwardTarget, "roleArn", T.role);
        const rolePolicy = run.ofType(T.rolePolicy).find((p) => referenced(run, p, "role", T.role).urn === role.urn)!;
        expect(statements(json(run, rolePolicy, "policy"))).to.deep.equal([
            { Sid: "ForwardToTheDrBus", Effect: "Allow", Action: ["events:PutEvents"], Resource: [DR_BUS] },
        ]);
        const localTarget = targets.find(onDr)!;
        expect(referenced(run, localTarget, "arn", T.fn).urn).to.equal(promotion().urn);
        const permissions = inside(run, component, T.permission).map((p) => run.plain(p));
        expect(permissions.map((p) => p.principal).sort()).to.deep.equal(["events.amazonaws.com", "sns.amazonaws.com"]);
        expect(permissions.find((p) => p.principal === "events.amazonaws.com")!.sourceArn).to.match(
            /^arn:aws:events:us-west-2:123456789012:rule\//,
        );
    });

    it("alarms when the primary sends no metrics, and the function gets only that alarm from the ops topic", () => {
        const alarm = run.ofType(T.alarm).find((a) => run.plain(a).name === "webapp-demo-db-unavailable")!;
        expect(onPrimary(alarm)).to.equal(true);
        const a = run.plain(alarm);
        expect(a.namespace).to.equal("AWS/RDS");
        expect(a.treatMissingData).to.equal("breaching");
        expect(a.dimensions.DBInstanceIdentifier).to.match(/^webapp-demo-[a-z0-9]{6}$/);
        const opsTopic = run.ofType(T.topic).find((t) => t.name === "demo-alerts-topic")!;
        expect(referenced(run, alarm, "alarmActions", T.topic).urn).to.equal(opsTopic.urn);

        const subscription = inside(run, component, T.subscription).filter((x) => run.plain(x).protocol === "lambda");
        expect(subscription).to.have.length(1);
        const s = run.plain(subscription[0]);
        expect(onPrimary(subscription[0])).to.equal(true);
        expect(referenced(run, subscription[0], "topic", T.topic).urn).to.equal(opsTopic.urn);
        expect(s.protocol).to.equal("lambda");
        expect(s.filterPolicyScope).to.equal("MessageBody");
        expect(JSON.parse(s.filterPolicy)).to.deep.equal({
            AlarmArn: [`arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:webapp-demo-db-unavailable`],
            NewStateValue: ["ALARM"],
        });
        expect(referenced(run, subscription[0], "endpoint", T.fn).urn).to.equal(promotion().urn);
    });

    it("copies every backup into a vault in the DR region (features.backup) and alarms on failed jobs", () => {
        const plan = run.plain(run.one(T.plan));
        const vault = inside(run, component, T.vault)[0];
        expect(plan.rules).to.have.length(2);
        for (const rule of plan.rules) {
            expect(rule.copyActions).to.have.length(1);
            expect(rule.copyActions[0].lifecycle.deleteAfter).to.equal(rule.lifecycle.deleteAfter);
            expect(rule.copyActions[0].destinationVaultArn).to.match(/^arn:aws:backup:us-west-2:/);
        }
        expect(run.one(T.plan).propertyDependencies.rules).to.include(vault.urn);
        const failed = inside(run, run.one("webapp:aws:Backup"), T.alarm).map((x) => run.plain(x).metricName);
        expect(failed.sort()).to.deep.equal(["NumberOfBackupJobsFailed", "NumberOfCopyJobsFailed"]);
    });

    it("builds the function's environment from names and ARNs only", () => {
        expect(
            promotionEnvironment({
                replicaArn: "r",
                primaryArn: "p",
                topicArn: "t",
                alarmArns: [],
                dryRun: true,
                graceSeconds: 0,
                backupRetentionDays: 35,
                backupWindow: "01:00-02:00",
            }),
        ).to.include({
            DRY_RUN: "true",
            GRACE_SECONDS: "0",
            BACKUP_RETENTION_DAYS: "35",
            BACKUP_WINDOW: "01:00-02:00",
        });
        expect(defaultEventBusArn).to.be.a("function");
    });
});
