/** Stack rules (resources related to each other), the secret-leak check and `evaluate`. */
import { expect } from "chai";
import { gzipSync } from "node:zlib";
import {
    accessLoggingOutsideDev,
    AWS,
    databaseCredentialsManaged,
    databaseTlsRequired,
    base64Text,
    defaultSecurityGroupClosed,
    DEFAULT_RULE_OPTIONS,
    evaluate,
    GCP,
    internetIngressOnlyOnLoadBalancer,
    isSinkPath,
    noPlaintextSecrets,
    RANDOM,
    s3BucketGuardsPresent,
    secretLeaks,
    storageEncryptedWithCmk,
    stringLeaves,
    vpcFlowLogs,
    type StackResource,
} from "../policy/rules";

/** Stands in for a secret marker in the unwrapper test. */
class Box {
    constructor(readonly inner: unknown) {}
}

const DEMO = { ...DEFAULT_RULE_OPTIONS, environment: "demo" };

function res(
    type: string,
    name: string,
    props: Record<string, unknown> = {},
    propertyDependencies: Record<string, string[]> = {},
    parent?: string,
): StackResource {
    return {
        type,
        name,
        urn: `urn:pulumi:demo::webapp-infra::${type}::${name}`,
        parent,
        props,
        dependencies: Object.values(propertyDependencies).flat(),
        propertyDependencies,
    };
}

describe("policy rules: stack", () => {
    describe("vpc-flow-logs", () => {
        const vpc = res(AWS.vpc, "vpc", { cidrBlock: "10.1.0.0/16" });

        it("passes when a flow log of all traffic refers to the VPC", () => {
            const log = res(AWS.flowLog, "log", { vpcId: "vpc-1", trafficType: "ALL" }, { vpcId: [vpc.urn] });
            expect(vpcFlowLogs.check([vpc, log], DEMO)).to.deep.equal([]);
        });

        it("flags a VPC without a flow log, or one that logs only rejected traffic", () => {
            expect(vpcFlowLogs.check([vpc], DEMO)).to.deep.equal([
                { urn: vpc.urn, message: "VPC vpc has no flow log" },
            ]);
            const other = res(AWS.vpc, "other");
            const log = res(AWS.flowLog, "log", { vpcId: "vpc-2", trafficType: "ALL" }, { vpcId: [other.urn] });
            expect(vpcFlowLogs.check([vpc, other, log], DEMO).map((v) => v.urn)).to.deep.equal([vpc.urn]);
            const rejects = res(AWS.flowLog, "log", { vpcId: "vpc-1", trafficType: "REJECT" }, { vpcId: [vpc.urn] });
            expect(vpcFlowLogs.check([vpc, rejects], DEMO)[0].message).to.match(/only REJECT traffic/);
        });

        it("treats an awsx VPC and the aws VPC inside it as one network", () => {
            const awsx = res(AWS.awsxVpc, "net-vpc", { cidrBlock: "10.1.0.0/16" });
            const inner = res(AWS.vpc, "net-vpc", { cidrBlock: "10.1.0.0/16" }, {}, awsx.urn);
            // The program reads vpcId from the awsx component, so the flow log depends on the component.
            const log = res(AWS.flowLog, "log", { vpcId: "vpc-1", trafficType: "ALL" }, { vpcId: [awsx.urn] });
            expect(vpcFlowLogs.check([awsx, inner, log], DEMO)).to.deep.equal([]);
            expect(vpcFlowLogs.check([awsx, inner], DEMO)).to.have.length(2);
        });

        it("matches by value when the VPC id is known (an existing VPC)", () => {
            const known = res(AWS.vpc, "vpc", { id: "vpc-123" });
            const log = res(AWS.flowLog, "log", { vpcId: "vpc-123", trafficType: "ALL" });
            expect(vpcFlowLogs.check([known, log], DEMO)).to.deep.equal([]);
        });
    });

    describe("s3-bucket-guards-present", () => {
        const bucket = res(AWS.s3Bucket, "bucket", { forceDestroy: false });
        const block = res(AWS.s3PublicAccessBlock, "block", { bucket: "b-1" }, { bucket: [bucket.urn] });
        const sse = res(AWS.s3Encryption, "sse", { bucket: "b-1" }, { bucket: [bucket.urn] });

        it("passes when the bucket has both a public access block and an encryption configuration", () => {
            expect(s3BucketGuardsPresent.check([bucket, block, sse], DEMO)).to.deep.equal([]);
        });

        it("flags each missing guard", () => {
            expect(s3BucketGuardsPresent.check([bucket, sse], DEMO).map((v) => v.message)).to.deep.equal([
                "bucket bucket has no public access block",
            ]);
            expect(s3BucketGuardsPresent.check([bucket, block], DEMO).map((v) => v.message)).to.deep.equal([
                "bucket bucket has no server-side encryption configuration",
            ]);
            // After an update the bucket's own encryption block reports AWS's default (SSE-S3): not enough.
            const defaulted = res(AWS.s3Bucket, "bucket", {
                serverSideEncryptionConfiguration: {
                    rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
                },
            });
            expect(s3BucketGuardsPresent.check([defaulted, block], DEMO).map((v) => v.message)).to.deep.equal([
                "bucket bucket has no server-side encryption configuration",
            ]);
            const kmsInline = res(AWS.s3Bucket, "bucket", {
                serverSideEncryptionConfiguration: {
                    rule: {
                        applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:key" },
                    },
                },
            });
            expect(s3BucketGuardsPresent.check([kmsInline, block], DEMO)).to.deep.equal([]);
            const otherBucket = res(AWS.s3Bucket, "other");
            expect(s3BucketGuardsPresent.check([bucket, otherBucket, block, sse], DEMO)).to.have.length(2);
        });
    });

    describe("internet-ingress-only-on-load-balancer", () => {
        const lbSg = res(AWS.securityGroup, "lb-sg", { vpcId: "vpc-1" });
        const appSg = res(AWS.securityGroup, "app-sg", { vpcId: "vpc-1" });
        const lb = res(AWS.loadBalancer, "lb", { loadBalancerType: "application" }, { securityGroups: [lbSg.urn] });
        const https = (sg: StackResource, name: string) =>
            res(
                AWS.ingressRule,
                name,
                { securityGroupId: "sg-x", ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" },
                { securityGroupId: [sg.urn] },
            );

        it("allows 443 from the internet on the load balancer's group", () => {
            expect(
                internetIngressOnlyOnLoadBalancer.check([lbSg, appSg, lb, https(lbSg, "lb-https")], DEMO),
            ).to.deep.equal([]);
        });

        it("flags the same rule on any other group, inline or separate", () => {
            const onApp = https(appSg, "app-https");
            expect(internetIngressOnlyOnLoadBalancer.check([lbSg, appSg, lb, onApp], DEMO)).to.deep.equal([
                {
                    urn: onApp.urn,
                    message:
                        "app-https: opens tcp 443 to the internet, but its security group is not attached to a load balancer",
                },
            ]);
            const inline = res(AWS.securityGroup, "open-sg", {
                ingress: [{ protocol: "tcp", fromPort: 80, toPort: 80, cidrBlocks: ["0.0.0.0/0"] }],
            });
            expect(internetIngressOnlyOnLoadBalancer.check([lb, lbSg, inline], DEMO)[0].urn).to.equal(inline.urn);
        });

        it("recognises the load balancer's group by id when ids are known", () => {
            const known = res(AWS.securityGroup, "lb-sg", {
                id: "sg-123",
                ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }],
            });
            const byId = res(AWS.loadBalancer, "lb", { securityGroups: ["sg-123"] });
            expect(internetIngressOnlyOnLoadBalancer.check([known, byId], DEMO)).to.deep.equal([]);
        });
    });

    describe("no-plaintext-secrets", () => {
        const apiKey = "key-0123456789abcdef";
        const version = res(AWS.secretVersion, "mailgun", { secretId: "arn", secretString: apiKey });

        it("passes when secrets appear only at secret-bearing properties", () => {
            const db = res(AWS.rdsInstance, "db", { password: "pw-0123456789", username: "webapp" });
            const pw = res(RANDOM.password, "pw", { length: 32, result: "pw-0123456789" });
            expect(noPlaintextSecrets.check([version, db, pw], DEMO)).to.deep.equal([]);
        });

        it("flags a secret value anywhere else (user data, environment, tags), naming the place not the value", () => {
            const fn = res("aws:lambda/function:Function", "fn", {
                environment: { variables: { MAILGUN_API_KEY: apiKey } },
            });
            const lt = res(AWS.launchTemplate, "lt", {
                userData: `#!/bin/sh\nexport KEY=${apiKey}\n`,
                tags: { [apiKey]: "x" },
            });
            const found = noPlaintextSecrets.check([version, fn, lt], DEMO);
            expect(found.map((v) => v.message)).to.deep.equal([
                "fn: environment.variables.MAILGUN_API_KEY holds a secret value in plain text",
                "lt: userData holds a secret value in plain text",
                "lt: tags.<key> holds a secret value in plain text",
            ]);
            // The report itself never repeats the value.
            for (const v of found) {
                expect(v.message).to.not.include(apiKey);
            }
        });

        it("ignores short values and the preview's unknown placeholders", () => {
            const shortSecret = res(AWS.secretVersion, "s", { secretString: "abc" });
            const user = res(AWS.launchTemplate, "lt", { userData: "abc" });
            expect(noPlaintextSecrets.check([shortSecret, user], DEMO)).to.deep.equal([]);
            const unknown = res(AWS.secretVersion, "u", { secretString: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" });
            const other = res(AWS.launchTemplate, "lt2", { imageId: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" });
            expect(noPlaintextSecrets.check([unknown, other], DEMO)).to.deep.equal([]);
        });

        it("secretLeaks uses the secret markers it is given (the offline plan's view)", () => {
            const leaves = [
                {
                    urn: "u1",
                    type: "t",
                    name: "marked",
                    leaves: [{ path: "password", value: "s3cret-value", secret: true }],
                },
                {
                    urn: "u2",
                    type: "t",
                    name: "plain",
                    leaves: [{ path: "password", value: "s3cret-value", secret: false }],
                },
            ];
            expect(secretLeaks(leaves, ["s3cret-value"])).to.deep.equal([
                { urn: "u2", message: "plain: password holds a secret value in plain text" },
            ]);
            expect(isSinkPath(AWS.secretVersion, "secretString")).to.equal(true);
            expect(isSinkPath(AWS.secretVersion, "secretStringX")).to.equal(false);
            // The CDN's origin header: its value in every origin and rule, never the header's name.
            expect(isSinkPath(AWS.cloudFrontDistribution, "origins[0].customHeaders[1].value")).to.equal(true);
            expect(isSinkPath(AWS.cloudFrontDistribution, "origins[0].customHeaders[0].name")).to.equal(false);
            expect(isSinkPath(AWS.cloudFrontDistribution, "origins[0].domainName")).to.equal(false);
            expect(isSinkPath(AWS.listenerRule, "conditions[0].httpHeader.values[0]")).to.equal(true);
            expect(isSinkPath(AWS.listenerRule, "conditions[0].httpHeader.httpHeaderName")).to.equal(false);
            expect(stringLeaves({ a: [{ b: "x" }] })).to.deep.equal([
                { path: "<key>", value: "a", secret: false },
                { path: "a[0].<key>", value: "b", secret: false },
                { path: "a[0].b", value: "x", secret: false },
            ]);
            const unwrap = (v: unknown) => (v instanceof Box ? { value: v.inner } : undefined);
            expect(stringLeaves({ a: new Box({ b: "x" }), c: "y" }, unwrap)).to.deep.equal([
                { path: "<key>", value: "a", secret: false },
                { path: "a.<key>", value: "b", secret: true },
                { path: "a.b", value: "x", secret: true },
                { path: "<key>", value: "c", secret: false },
                { path: "c", value: "y", secret: false },
            ]);
        });
    });

    describe("evaluate", () => {
        it("runs resource and stack rules and labels each finding with its policy, level and resource", () => {
            const key = res(AWS.kmsKey, "key", { enableKeyRotation: false });
            const group = res(AWS.logGroup, "logs", { retentionInDays: 30 });
            const vpc = res(AWS.vpc, "vpc");
            const found = evaluate([key, group, vpc], DEMO);
            expect(found).to.deep.include({
                policy: "key-rotation",
                enforcementLevel: "mandatory",
                message: "enableKeyRotation is not true",
                urn: key.urn,
                type: AWS.kmsKey,
                name: "key",
            });
            expect(found).to.deep.include({
                policy: "vpc-flow-logs",
                enforcementLevel: "mandatory",
                message: "VPC vpc has no flow log",
                urn: vpc.urn,
                type: AWS.vpc,
                name: "vpc",
            });
            expect(found.find((v) => v.policy === "log-groups-encrypted-with-cmk")?.enforcementLevel).to.equal(
                "mandatory",
            );
            expect(found.find((v) => v.policy === "default-security-group-closed")?.urn).to.equal(vpc.urn);
            expect(found).to.have.length(4);
        });
    });
});

describe("policy rules: stack (governance)", () => {
    const DEV = { ...DEFAULT_RULE_OPTIONS, environment: "dev" };

    describe("default-security-group-closed", () => {
        const vpc = res(AWS.vpc, "vpc", { cidrBlock: "10.1.0.0/16" });
        const closed = res(AWS.defaultSecurityGroup, "default", { vpcId: "vpc-1" }, { vpcId: [vpc.urn] });

        it("passes when the VPC's default group is managed without rules", () => {
            expect(defaultSecurityGroupClosed.check([vpc, closed], DEMO)).to.deep.equal([]);
            // By value, for a VPC whose id is known.
            const known = res(AWS.vpc, "known", { id: "vpc-9" });
            const byValue = res(AWS.defaultSecurityGroup, "d9", { vpcId: "vpc-9" });
            expect(defaultSecurityGroupClosed.check([known, byValue], DEMO)).to.deep.equal([]);
        });

        it("flags a VPC whose default group is not managed, once for an awsx VPC and the VPC inside it", () => {
            expect(defaultSecurityGroupClosed.check([vpc], DEMO)).to.deep.equal([
                {
                    urn: vpc.urn,
                    message:
                        "VPC vpc has no aws.ec2.DefaultSecurityGroup: its default group keeps AWS's rules " +
                        "(all traffic between members, all egress)",
                },
            ]);
            const awsx = res(AWS.awsxVpc, "net", { cidrBlock: "10.2.0.0/16" });
            const inner = res(AWS.vpc, "net", { cidrBlock: "10.2.0.0/16" }, {}, awsx.urn);
            expect(defaultSecurityGroupClosed.check([awsx, inner], DEMO).map((v) => v.urn)).to.deep.equal([awsx.urn]);
            const forInner = res(AWS.defaultSecurityGroup, "d", { vpcId: "vpc-2" }, { vpcId: [inner.urn] });
            expect(defaultSecurityGroupClosed.check([awsx, inner, forInner], DEMO)).to.deep.equal([]);
        });

        it("flags rules on the default group, inline or as rule resources", () => {
            const open = res(
                AWS.defaultSecurityGroup,
                "default",
                {
                    vpcId: "vpc-1",
                    ingress: [{ protocol: "-1", self: true, fromPort: 0, toPort: 0 }],
                    egress: [{ protocol: "-1" }],
                },
                { vpcId: [vpc.urn] },
            );
            expect(defaultSecurityGroupClosed.check([vpc, open], DEMO).map((v) => v.message)).to.deep.equal([
                "default: ingress[0] is a rule on the default group",
                "default: egress[0] is a rule on the default group",
            ]);
            const rule = res(
                AWS.egressRule,
                "out",
                { ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" },
                { securityGroupId: [closed.urn] },
            );
            expect(defaultSecurityGroupClosed.check([vpc, closed, rule], DEMO)).to.deep.equal([
                { urn: rule.urn, message: "out adds a rule to the default group default" },
            ]);
        });
    });

    describe("storage-encrypted-with-cmk (SSE-S3 only for access-log buckets)", () => {
        const sseS3 = { bucket: "l", rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] };
        const logs = res(AWS.s3Bucket, "logs", { forceDestroy: false });
        const logsEncryption = res(AWS.s3Encryption, "logs-encryption", sseS3, { bucket: [logs.urn] });
        const alb = (enabled: boolean) =>
            res(
                AWS.loadBalancer,
                "alb",
                { loadBalancerType: "application", accessLogs: { bucket: "l", enabled, prefix: "alb" } },
                { accessLogs: [logs.urn] },
            );

        it("accepts SSE-S3 on the bucket a load balancer delivers access logs to", () => {
            expect(storageEncryptedWithCmk.check([logs, logsEncryption, alb(true)], DEMO)).to.deep.equal([]);
        });

        it("accepts SSE-S3 on the bucket S3 delivers server access logs to, not on the logged bucket", () => {
            const app = res(AWS.s3Bucket, "app", {});
            const appEncryption = res(AWS.s3Encryption, "app-encryption", sseS3, { bucket: [app.urn] });
            const logging = res(
                AWS.s3Logging,
                "app-logging",
                { bucket: "b", targetBucket: "l", targetPrefix: "s3/dr/" },
                { bucket: [app.urn], targetBucket: [logs.urn] },
            );
            const found = storageEncryptedWithCmk.check([logs, logsEncryption, app, appEncryption, logging], DEMO);
            expect(found.map((v) => v.urn)).to.deep.equal([appEncryption.urn, appEncryption.urn]);
        });

        it("flags SSE-S3 on any other bucket, and on a log bucket whose load balancer does not log", () => {
            const expected = [
                {
                    urn: logsEncryption.urn,
                    message:
                        'rules[0].applyServerSideEncryptionByDefault.sseAlgorithm is "AES256": use aws:kms with the stack\'s S3 key',
                },
                {
                    urn: logsEncryption.urn,
                    message:
                        "rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId must name a customer-managed key",
                },
            ];
            expect(storageEncryptedWithCmk.check([logs, logsEncryption], DEMO)).to.deep.equal(expected);
            expect(storageEncryptedWithCmk.check([logs, logsEncryption, alb(false)], DEMO)).to.deep.equal(expected);
        });
    });

    describe("access-logging-outside-dev", () => {
        const logs = res(AWS.s3Bucket, "logs", { forceDestroy: false });
        const app = res(AWS.s3Bucket, "app", {});
        const appLogging = res(
            AWS.s3Logging,
            "app-logging",
            { bucket: "b", targetBucket: "l", targetPrefix: "s3/" },
            {
                bucket: [app.urn],
                targetBucket: [logs.urn],
            },
        );
        const alb = res(
            AWS.loadBalancer,
            "alb",
            { loadBalancerType: "application", accessLogs: { bucket: "l", enabled: true, prefix: "alb" } },
            { accessLogs: [logs.urn] },
        );
        const gcsLogs = res(GCP.bucket, "gcs-logs", { location: "US-EAST1" });
        const gcsApp = res(GCP.bucket, "gcs-app", { logging: { logBucket: "gcs-logs-1" } }, { logging: [gcsLogs.urn] });
        const backend = res(GCP.backendService, "backend", {
            loadBalancingScheme: "EXTERNAL_MANAGED",
            logConfig: { enable: true, sampleRate: 1 },
        });

        it("passes when buckets and load balancers log into a log bucket that is not itself logged", () => {
            expect(
                accessLoggingOutsideDev.check([logs, app, appLogging, alb, gcsLogs, gcsApp, backend], DEMO),
            ).to.deep.equal([]);
        });

        it("flags each bucket and load balancer without logs outside dev, and nothing in dev", () => {
            const bare = [
                logs,
                app,
                res(AWS.loadBalancer, "alb", { loadBalancerType: "application" }),
                res(AWS.loadBalancer, "nlb", {
                    loadBalancerType: "network",
                    accessLogs: { bucket: "l", enabled: false },
                }),
                res(AWS.loadBalancer, "gwlb", { loadBalancerType: "gateway" }),
                res(GCP.bucket, "gcs-app", {}),
                res(GCP.backendService, "backend", { loadBalancingScheme: "EXTERNAL_MANAGED" }),
                res(GCP.backendService, "internal", { loadBalancingScheme: "INTERNAL_MANAGED" }),
            ];
            expect(accessLoggingOutsideDev.check(bare, DEMO).map((v) => v.message)).to.deep.equal([
                "bucket logs has no server access logging in demo",
                "bucket app has no server access logging in demo",
                "load balancer alb has no access logs in demo",
                "load balancer nlb has no access logs in demo",
                "bucket gcs-app has no usage logs (logging.logBucket) in demo",
                "backend service backend does not log requests in demo",
            ]);
            expect(accessLoggingOutsideDev.check(bare, DEV)).to.deep.equal([]);
        });
    });

    describe("no-plaintext-secrets in base64 user data", () => {
        const password = "Db-Passw0rd-0123456789";
        // The database's password property is where the rule learns the secret value.
        const secret = res(AWS.rdsInstance, "db", { engine: "mysql", password });
        const script = `#!/bin/bash\nexport DB_PASSWORD='${password}'\n`;

        it("decodes base64 (and gzip inside it) and finds the secret there", () => {
            const plain = res(AWS.launchTemplate, "lt", { userData: Buffer.from(script).toString("base64") });
            const gzipped = res(AWS.launchTemplate, "lt-gz", {
                userData: gzipSync(Buffer.from(script)).toString("base64"),
            });
            expect(noPlaintextSecrets.check([secret, plain, gzipped], DEMO)).to.deep.equal([
                { urn: plain.urn, message: "lt: userData.<base64> holds a secret value in plain text" },
                { urn: gzipped.urn, message: "lt-gz: userData.<base64+gzip> holds a secret value in plain text" },
            ]);
        });

        it("passes base64 user data that holds no secret, and leaves binary base64 alone", () => {
            const clean = res(AWS.launchTemplate, "lt", {
                userData: Buffer.from("#!/bin/bash\naws secretsmanager get-secret-value --secret-id db\n").toString(
                    "base64",
                ),
            });
            expect(noPlaintextSecrets.check([secret, clean], DEMO)).to.deep.equal([]);
            expect(base64Text(Buffer.from("echo hello, world").toString("base64"))).to.deep.equal({
                text: "echo hello, world",
                gzip: false,
            });
            expect(
                base64Text(Buffer.from([0, 159, 146, 150, 1, 2, 3, 250, 251, 252, 253, 254]).toString("base64")),
            ).to.equal(undefined);
            // Not base64 at all: too short, wrong alphabet, wrong length.
            expect(base64Text("abcd")).to.equal(undefined);
            expect(base64Text("arn:aws:kms:us-east-1:1:key/k")).to.equal(undefined);
            expect(base64Text("QUJDREVGR0hJSktMTU5PUA=")).to.equal(undefined);
        });
    });
});

const OPTIONS = DEMO;
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const group = (name: string, parameters: Array<{ name: string; value: string }>) =>
    res(AWS.rdsParameterGroup, name, { name: `${name}-1a2b3c4`, family: "x", parameters });
const rds = (engine: string, pg: StackResource, extra: Record<string, unknown> = {}) =>
    res(
        AWS.rdsInstance,
        `${engine}-db`,
        { engine, parameterGroupName: pg.props.name, manageMasterUserPassword: true, ...extra },
        { parameterGroupName: [pg.urn] },
    );

describe("policy rules: databases", () => {
    describe("database-tls-required", () => {
        const mysqlGroup = group("mysql-params", [{ name: "require_secure_transport", value: "1" }]);
        const postgresGroup = group("pg-params", [{ name: "rds.force_ssl", value: "1" }]);

        it("passes MySQL with require_secure_transport=1 and PostgreSQL with rds.force_ssl=1", () => {
            const stack = [mysqlGroup, rds("mysql", mysqlGroup), postgresGroup, rds("postgres", postgresGroup)];
            expect(databaseTlsRequired.check(stack, OPTIONS)).to.deep.equal([]);
        });

        it("flags each engine's group without its own TLS parameter (the other engine's does not count)", () => {
            const mysql = rds("mysql", postgresGroup);
            const postgres = rds("postgres", mysqlGroup);
            expect(databaseTlsRequired.check([mysqlGroup, postgresGroup, mysql, postgres], OPTIONS)).to.deep.equal([
                {
                    urn: mysql.urn,
                    message: "mysql-db: its parameter group pg-params does not set require_secure_transport=1",
                },
                {
                    urn: postgres.urn,
                    message: "postgres-db: its parameter group mysql-params does not set rds.force_ssl=1",
                },
            ]);
            const off = group("off", [{ name: "require_secure_transport", value: "0" }]);
            expect(databaseTlsRequired.check([off, rds("mysql", off)], OPTIONS)).to.have.length(1);
        });

        it("flags an instance on the default parameter group, and accepts values not known during preview", () => {
            const db = res(AWS.rdsInstance, "db", { engine: "mysql", manageMasterUserPassword: true });
            expect(databaseTlsRequired.check([db], OPTIONS)).to.deep.equal([
                {
                    urn: db.urn,
                    message:
                        "db: no parameter group of the stack with require_secure_transport=1: the default group lets clients connect without TLS",
                },
            ]);
            const pending = res(AWS.rdsInstance, "db", { engine: "mysql", parameterGroupName: UNKNOWN });
            expect(databaseTlsRequired.check([pending], OPTIONS)).to.deep.equal([]);
        });

        it("requires Cloud SQL's ENCRYPTED_ONLY (or client certificates)", () => {
            const sql = (sslMode: unknown) =>
                res(GCP.sqlInstance, "sql", { settings: { ipConfiguration: { ipv4Enabled: false, sslMode } } });
            expect(databaseTlsRequired.check([sql("ENCRYPTED_ONLY")], OPTIONS)).to.deep.equal([]);
            expect(databaseTlsRequired.check([sql("TRUSTED_CLIENT_CERTIFICATE_REQUIRED")], OPTIONS)).to.deep.equal([]);
            expect(databaseTlsRequired.check([sql("ALLOW_UNENCRYPTED_AND_ENCRYPTED")], OPTIONS)).to.deep.equal([
                {
                    urn: sql("x").urn,
                    message:
                        'sql: settings.ipConfiguration.sslMode is "ALLOW_UNENCRYPTED_AND_ENCRYPTED": use ENCRYPTED_ONLY',
                },
            ]);
        });
    });

    describe("database-credentials-managed", () => {
        const pg = group("params", []);
        const version = (type: string, value: string) =>
            res(type, "credentials", type === AWS.secretVersion ? { secretString: value } : { secretData: value });

        it("passes RDS-managed credentials without a password", () => {
            expect(databaseCredentialsManaged.check([rds("mysql", pg)], OPTIONS)).to.deep.equal([]);
        });

        it("flags a password set next to RDS-managed credentials, and an instance with neither", () => {
            const both = rds("mysql", pg, { password: "Generated-Pw-0123" });
            const neither = rds("postgres", pg, { manageMasterUserPassword: false });
            expect(databaseCredentialsManaged.check([both, neither], OPTIONS)).to.deep.equal([
                { urn: both.urn, message: "mysql-db: sets a password although RDS manages the master password" },
                {
                    urn: neither.urn,
                    message: "postgres-db: neither manageMasterUserPassword nor a password from the secret store",
                },
            ]);
        });

        it("accepts a password only when the stack's secret store holds it too (RDS and Cloud SQL users)", () => {
            const password = "Generated-Pw-0123";
            const db = rds("mysql", pg, { manageMasterUserPassword: false, password });
            const user = res(GCP.sqlUser, "user", { name: "webapp", password });
            const stored = JSON.stringify({ username: "webapp", password });
            expect(
                databaseCredentialsManaged.check([db, user, version(AWS.secretVersion, stored)], OPTIONS),
            ).to.deep.equal([]);
            expect(databaseCredentialsManaged.check([user, version(GCP.secretVersion, stored)], OPTIONS)).to.deep.equal(
                [],
            );
            expect(databaseCredentialsManaged.check([db, user], OPTIONS)).to.deep.equal([
                { urn: db.urn, message: "mysql-db: its password is in none of the stack's secret versions" },
                { urn: user.urn, message: "user: its password is in none of the stack's secret versions" },
            ]);
            // A generated password is not known during preview: nothing to compare yet.
            const pending = rds("mysql", pg, { manageMasterUserPassword: false, password: UNKNOWN });
            expect(databaseCredentialsManaged.check([pending], OPTIONS)).to.deep.equal([]);
        });
    });
});
