/**
 * What the program does for the independent scanner's findings: the closed default security
 * group, the logs key on every log group, a year of logs outside dev, the access-log bucket, the
 * e-mail function's environment key, tracing and code signing, and the VPC's subnets and Elastic IPs.
 */
import { expect } from "chai";
import { signingProfileNamePrefix } from "../components/aws/codeSigning";
import { elbLogDeliveryPrincipal, logBucketStatements } from "../components/aws/storage";
import * as pulumi from "@pulumi/pulumi";
import { autoName, shortHash } from "../tools/offline/mocks";
import type { OfflineRun, RecordedResource } from "../tools/offline/run";
import { buildStack, inside, json, referenced, statements } from "./support";

const T = {
    vpc: "aws:ec2/vpc:Vpc",
    subnet: "aws:ec2/subnet:Subnet",
    eip: "aws:ec2/eip:Eip",
    defaultSg: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    key: "aws:kms/key:Key",
    bucket: "aws:s3/bucket:Bucket",
    encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    logging: "aws:s3/bucketLogging:BucketLogging",
    object: "aws:s3/bucketObjectv2:BucketObjectv2",
    lb: "aws:lb/loadBalancer:LoadBalancer",
    fn: "aws:lambda/function:Function",
    codeSigning: "aws:lambda/codeSigningConfig:CodeSigningConfig",
    profile: "aws:signer/signingProfile:SigningProfile",
    job: "aws:signer/signingJob:SigningJob",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    storage: "webapp:aws:Storage",
    messaging: "webapp:aws:Messaging",
};

const ACCOUNT = { accountId: "123456789012", partition: "aws", region: "us-east-1" };

/** The bucket a bucket-configuration resource (`bucket` input) belongs to. */
function configOf(run: OfflineRun, type: string, bucket: RecordedResource): RecordedResource[] {
    return run.ofType(type).filter((c) => (c.propertyDependencies.bucket ?? []).includes(bucket.urn));
}

describe("AWS hardening for the IaC scanner's checks", () => {
    let dev: OfflineRun;
    let demo: OfflineRun;
    before(async () => {
        dev = await buildStack("dev");
        demo = await buildStack("demo");
    });

    describe("the VPC", () => {
        it("takes over the default security group of the VPC, with no rules", () => {
            for (const run of [dev, demo]) {
                const groups = run.ofType(T.defaultSg);
                expect(groups).to.have.length(1);
                const group = run.plain(groups[0]);
                expect(group.ingress).to.equal(undefined);
                expect(group.egress).to.equal(undefined);
                expect(referenced(run, groups[0], "vpcId", T.vpc).type).to.equal(T.vpc);
            }
        });

        it("gives no public IP on launch in any subnet and puts the NAT gateways' Elastic IPs in the VPC domain", () => {
            for (const run of [dev, demo]) {
                const subnets = run.ofType(T.subnet);
                expect(subnets.length).to.be.greaterThan(3);
                expect(
                    subnets.filter((r) => run.plain(r).mapPublicIpOnLaunch !== false).map((r) => r.name),
                ).to.deep.equal([]);
            }
            expect(demo.ofType(T.eip).map((r) => demo.plain(r).domain)).to.deep.equal(["vpc", "vpc"]);
        });
    });

    describe("log groups", () => {
        it("encrypts every log group with the logs key, whose policy admits CloudWatch Logs for this account's groups only", () => {
            for (const [run, env] of [
                [dev, "dev"],
                [demo, "demo"],
            ] as const) {
                const key = run.one(T.key, `${env}-kms-logs`);
                const groups = run.ofType(T.logGroup);
                expect(groups.length, env).to.be.at.least(5);
                for (const group of groups) {
                    expect(referenced(run, group, "kmsKeyId", T.key).urn, group.name).to.equal(key.urn);
                }
                const logs = statements(json(run, key, "policy")).find(
                    (s) => s.Sid === "CloudWatchLogsEncryptsThisAccountsLogGroups",
                )!;
                expect(logs.Principal).to.deep.equal({ Service: "logs.us-east-1.amazonaws.com" });
                expect(logs.Condition).to.deep.equal({
                    ArnLike: {
                        "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:*",
                    },
                });
            }
            // demo turns WAF on by default: its log group is among them.
            expect(demo.ofType(T.logGroup).map((g) => g.name)).to.include("demo-waf-logs");
        });

        it("keeps logs a year outside dev and 30 days in dev (aws.logRetentionDays)", () => {
            expect([...new Set(dev.ofType(T.logGroup).map((g) => dev.plain(g).retentionInDays))]).to.deep.equal([30]);
            expect([...new Set(demo.ofType(T.logGroup).map((g) => demo.plain(g).retentionInDays))]).to.deep.equal([
                365,
            ]);
        });
    });

    describe("the access-log bucket", () => {
        const logBucket = (run: OfflineRun, env: string) => run.one(T.bucket, `${env}-storage-access-logs-bucket`);

        it("is SSE-S3 (what ELB log delivery takes), versioned, expiring, and not itself logged", () => {
            const bucket = logBucket(demo, "demo");
            const [encryption] = configOf(demo, T.encryption, bucket);
            expect(demo.plain(encryption).rules).to.deep.equal([
                { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, blockedEncryptionTypes: ["SSE-C"] },
            ]);
            expect(demo.plain(configOf(demo, T.versioning, bucket)[0]).versioningConfiguration).to.deep.equal({
                status: "Enabled",
            });
            const [rule] = demo.plain(configOf(demo, T.lifecycle, bucket)[0]).rules;
            expect(rule.expiration).to.deep.equal({ days: 365 });
            expect(rule.noncurrentVersionExpiration).to.deep.equal({ noncurrentDays: 7 });
            expect(dev.plain(configOf(dev, T.lifecycle, logBucket(dev, "dev"))[0]).rules[0].expiration).to.deep.equal({
                days: 30,
            });
            expect(configOf(demo, T.logging, bucket)).to.deep.equal([]);
        });

        it("admits S3 log delivery for this account and the region's ELB account, and nobody else", () => {
            const policy = statements(json(demo, configOf(demo, T.bucketPolicy, logBucket(demo, "demo"))[0], "policy"));
            const allows = policy.filter((s) => s.Effect === "Allow");
            expect(allows).to.have.length(2);
            // The bucket's auto-name, as the mocks give it.
            const arn = `arn:aws:s3:::${autoName("demo-storage-access-logs-bucket", 63)}`;
            expect(allows[0]).to.deep.equal({
                Sid: "S3ServerAccessLogsFromThisAccount",
                Effect: "Allow",
                Principal: { Service: "logging.s3.amazonaws.com" },
                Action: ["s3:PutObject"],
                Resource: [`${arn}/s3/*`],
                Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
            });
            expect(allows[1]).to.deep.equal({
                Sid: "LoadBalancerAccessLogs",
                Effect: "Allow",
                Principal: { AWS: "arn:aws:iam::127311923021:root" },
                Action: ["s3:PutObject"],
                Resource: [`${arn}/alb/AWSLogs/123456789012/*`],
            });
            expect(policy.filter((s) => s.Effect === "Deny").map((s) => s.Sid)).to.deep.equal([
                "DenyInsecureTransport",
                "DenyOutdatedTls",
            ]);
        });

        it("names the ELB account in older regions and the log-delivery service in newer ones", async () => {
            const arnOf = (region: string, partition = "aws") =>
                new Promise((resolve) => {
                    const principal = elbLogDeliveryPrincipal({ ...ACCOUNT, partition, region }) as {
                        AWS: pulumi.Output<string>;
                    };
                    principal.AWS.apply(resolve);
                });
            expect(await arnOf("eu-west-1")).to.equal("arn:aws:iam::156460612806:root");
            expect(await arnOf("us-gov-west-1", "aws-us-gov")).to.equal("arn:aws-us-gov:iam::048591011584:root");
            expect(elbLogDeliveryPrincipal({ ...ACCOUNT, region: "ap-southeast-5" })).to.deep.equal({
                Service: "logdelivery.elasticloadbalancing.amazonaws.com",
            });
            expect(logBucketStatements(ACCOUNT, "arn:aws:s3:::b")[1].Principal).to.have.property("AWS");
        });

        it("receives the application bucket's, the artifacts bucket's and the load balancer's access logs", () => {
            const bucket = logBucket(dev, "dev");
            const name = autoName(bucket.name, 63);
            const logged = dev.ofType(T.logging).map((l) => {
                const source = referenced(dev, l, "bucket", T.bucket);
                return [source.name, dev.plain(l).targetBucket, dev.plain(l).targetPrefix, l.dependencies.length > 0];
            });
            expect(logged).to.deep.equal([
                ["dev-storage-bucket", name, "s3/storage/", true],
                ["dev-messaging-artifacts-bucket", name, "s3/artifacts/", true],
            ]);
            const lb = dev.one(T.lb);
            expect(dev.plain(lb).accessLogs).to.deep.equal({ bucket: name, prefix: "alb", enabled: true });
            // ELB checks its write permission when logging is turned on: the bucket policy comes first.
            const policy = configOf(dev, T.bucketPolicy, bucket)[0];
            expect(lb.dependencies).to.include(policy.urn);
        });
    });

    describe("the e-mail function", () => {
        it("encrypts its environment with the messaging key and traces to X-Ray, with the permissions for both", () => {
            const fn = dev.one(T.fn);
            const inputs = dev.plain(fn);
            expect(referenced(dev, fn, "kmsKeyArn", T.key).name).to.equal("dev-messaging-key");
            expect(inputs.tracingConfig).to.deep.equal({ mode: "Active" });
            const role = inside(dev, dev.one(T.messaging), T.rolePolicy)[0];
            const policy = statements(json(dev, role, "policy"));
            expect(policy.find((s) => s.Sid === "SendTraces")).to.deep.equal({
                Sid: "SendTraces",
                Effect: "Allow",
                Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                Resource: ["*"],
            });
            const viaLambda = policy.filter(
                (s) => s.Condition?.StringEquals?.["kms:ViaService"] === "lambda.us-east-1.amazonaws.com",
            );
            expect(viaLambda).to.have.length(1);
            expect(viaLambda[0].Action).to.deep.equal(["kms:Decrypt"]);
            expect(viaLambda[0].Resource).to.have.length(1);
            expect(viaLambda[0].Resource[0]).to.match(/^arn:aws:kms:us-east-1:123456789012:key\/mrk-[0-9a-f]{32}$/);
            expect(role.propertyDependencies.policy).to.include(dev.one(T.key, "dev-messaging-key").urn);
        });

        it("deploys only code signed by its profile: bundle -> signing job -> signed object, under an enforcing config", () => {
            const fn = dev.one(T.fn);
            const inputs = dev.plain(fn);
            const job = dev.one(T.job);
            const jobInputs = dev.plain(job);
            const bundle = dev.one(T.object);
            const artifacts = dev.one(T.bucket, "dev-messaging-artifacts-bucket");
            expect(referenced(dev, bundle, "bucket", T.bucket).urn).to.equal(artifacts.urn);
            // The bundle's version id, as the mocks give it: a new upload is a new version, hence a new job.
            expect(jobInputs.source.s3.version).to.equal(shortHash(`v${bundle.name}`, 32));
            expect(job.propertyDependencies.source).to.include(bundle.urn);
            expect(jobInputs.source.s3.key).to.equal("email-function/unsigned/bundle.zip");
            expect(jobInputs.destination.s3.prefix).to.equal("email-function/signed/");
            expect(jobInputs.ignoreSigningJobFailure).to.equal(false);
            expect(referenced(dev, job, "profileName", T.profile).type).to.equal(T.profile);
            // The function's code is the job's signed object.
            expect(fn.propertyDependencies.s3Bucket).to.deep.equal([job.urn]);
            expect(fn.propertyDependencies.s3Key).to.deep.equal([job.urn]);
            expect(inputs.s3Key).to.match(/^email-function\/signed\/.+\.zip$/);
            const config = referenced(dev, fn, "codeSigningConfigArn", T.codeSigning);
            const profile = dev.plain(dev.one(T.profile));
            expect(profile.platformId).to.equal("AWSLambda-SHA384-ECDSA");
            expect(profile.namePrefix).to.equal("dev_messaging_");
            const [versionArn] = dev.plain(config).allowedPublishers.signingProfileVersionArns;
            expect(versionArn).to.match(
                /^arn:aws:signer:us-east-1:123456789012:\/signing-profiles\/dev_messaging_[0-9a-f]{26}\/[0-9a-f]{10}$/,
            );
            expect(config.propertyDependencies.allowedPublishers).to.include(dev.one(T.profile).urn);
            expect(dev.plain(config).policies).to.deep.equal({ untrustedArtifactOnDeployment: "Enforce" });
            expect(dev.plain(configOf(dev, T.versioning, artifacts)[0]).versioningConfiguration).to.deep.equal({
                status: "Enabled",
            });
            expect(referenced(dev, configOf(dev, T.encryption, artifacts)[0], "rules", T.key).name).to.equal(
                "dev-kms-s3",
            );
        });

        it("names the signing profile within Signer's charset and length", () => {
            expect(signingProfileNamePrefix("dev-messaging")).to.equal("dev_messaging_");
            const long = signingProfileNamePrefix(`${"a".repeat(60)}-messaging`);
            // 38 characters and the provider's 26-character suffix: Signer's maximum of 64.
            expect(long).to.have.length(38);
            expect(long).to.match(/^[A-Za-z0-9_]+$/);
        });
    });
});
