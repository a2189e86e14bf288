/**
 * The cache (`features.cache`): the replication group's encryption, AUTH and topology per
 * environment, its token secret, logs and alarms, the port through the security groups and the
 * isolated tier's ACL, and how the backends get the endpoint and the token.
 */
import { expect } from "chai";
import { cacheTopology, memberClusterIds } from "../components/aws/cache";
import { mockPassword } from "../tools/offline/mocks";
import type { OfflineRun } from "../tools/offline/run";
import { build, buildStack, inside, json, referenced, stackConfig, statements } from "./support";

const T = {
    cache: "webapp:aws:Cache",
    group: "aws:elasticache/replicationGroup:ReplicationGroup",
    params: "aws:elasticache/parameterGroup:ParameterGroup",
    subnets: "aws:elasticache/subnetGroup:SubnetGroup",
    key: "aws:kms/key:Key",
    secret: "aws:secretsmanager/secret:Secret",
    version: "aws:secretsmanager/secretVersion:SecretVersion",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    sg: "aws:ec2/securityGroup:SecurityGroup",
    acl: "aws:ec2/networkAcl:NetworkAcl",
    taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    kmsPlatformKey: "webapp:aws:Kms",
};

describe("AWS cache (features.cache)", () => {
    let prod: OfflineRun;
    let dev: OfflineRun;
    before(async () => {
        prod = await buildStack("prod");
        dev = await build(stackConfig("dev", { features: { cache: true } }));
    });

    it("is off unless turned on: the dev and demo stacks have no cache", async () => {
        const plain = await buildStack("dev");
        expect(plain.ofType(T.cache)).to.have.length(0);
        expect(plain.ofType(T.group)).to.have.length(0);
    });

    it("requires TLS, encrypts at rest with its own key, and sets the generated AUTH token", () => {
        const group = prod.plain(prod.one(T.group));
        expect(group).to.include({
            engine: "valkey",
            engineVersion: "8.0",
            autoMinorVersionUpgrade: false,
            nodeType: "cache.t4g.small",
            port: 6379,
            atRestEncryptionEnabled: true,
            transitEncryptionEnabled: true,
            transitEncryptionMode: "required",
            authTokenUpdateStrategy: "ROTATE",
        });
        expect(group.authToken).to.equal(mockPassword("prod-cache-auth-token"));
        expect(prod.plain(prod.one("random:index/randomPassword:RandomPassword", "-cache-auth-token"))).to.include({
            length: 64,
            special: false,
        });
        const key = referenced(prod, prod.one(T.group), "kmsKeyId", T.key);
        expect(key.parent).to.equal(prod.one(T.cache).urn);
        expect(prod.plain(key)).to.include({ enableKeyRotation: true, rotationPeriodInDays: 90 });
        expect(
            referenced(prod, prod.one(T.group), "authToken", "random:index/randomPassword:RandomPassword").name,
        ).to.equal("prod-cache-auth-token");
    });

    it("has a replica with automatic failover and snapshots outside dev, a single node without in dev", () => {
        expect(prod.plain(prod.one(T.group))).to.include({
            numCacheClusters: 2,
            automaticFailoverEnabled: true,
            multiAzEnabled: true,
            snapshotRetentionLimit: 7,
            applyImmediately: false,
        });
        expect(dev.plain(dev.one(T.group))).to.include({
            numCacheClusters: 1,
            automaticFailoverEnabled: false,
            multiAzEnabled: false,
            snapshotRetentionLimit: 0,
            applyImmediately: true,
        });
        expect(cacheTopology(true)).to.deep.equal({
            numCacheClusters: 2,
            automaticFailoverEnabled: true,
            multiAzEnabled: true,
        });
    });

    it("lives in the isolated subnets where they exist, else in the private ones", () => {
        expect(prod.plain(prod.one(T.subnets)).description).to.equal(
            "Isolated subnets of the webapp VPC (no route out)",
        );
        expect(dev.plain(dev.one(T.subnets)).description).to.equal("Private subnets of the webapp VPC");
        expect(prod.plain(prod.one(T.params))).to.deep.include({
            family: "valkey8",
            parameters: [{ name: "maxmemory-policy", value: "volatile-lru" }],
        });
    });

    it("keeps the token in a secret encrypted with the Secrets Manager key, as JSON", () => {
        const cache = prod.one(T.cache);
        const [secret] = inside(prod, cache, T.secret);
        expect(inside(prod, cache, T.secret)).to.have.length(1);
        expect(prod.plain(secret).recoveryWindowInDays).to.equal(30);
        const secretsKey = referenced(prod, secret, "kmsKeyId", T.key);
        expect(secretsKey.name).to.equal("prod-kms-secrets");
        const [version] = inside(prod, cache, T.version);
        const document = JSON.parse(String(prod.plain(version).secretString));
        expect(Object.keys(document)).to.deep.equal(["cacheAuthToken"]);
        expect(document.cacheAuthToken).to.equal(prod.plain(prod.one(T.group)).authToken);
    });

    it("delivers its slow and engine logs to log groups encrypted with the logs key", () => {
        const delivery = prod.plain(prod.one(T.group)).logDeliveryConfigurations;
        expect(delivery.map((d: Record<string, string>) => [d.logType, d.destinationType, d.logFormat])).to.deep.equal([
            ["slow-log", "cloudwatch-logs", "json"],
            ["engine-log", "cloudwatch-logs", "json"],
        ]);
        const groups = inside(prod, prod.one(T.cache), T.logGroup);
        expect(groups).to.have.length(2);
        for (const group of groups) {
            expect(prod.plain(group).retentionInDays).to.equal(365);
            expect(referenced(prod, group, "kmsKeyId", T.key).name).to.equal("prod-kms-logs");
        }
    });

    it("alarms on CPU, memory, evictions and connections of each node, to the ops topic", () => {
        const alarms = inside(prod, prod.one(T.cache), T.alarm).map((a) => prod.plain(a));
        expect(alarms).to.have.length(8);
        expect(alarms.map((a) => `${a.metricName} ${a.statistic} > ${a.threshold}`).sort()).to.deep.equal([
            "CurrConnections Maximum > 1000",
            "CurrConnections Maximum > 1000",
            "DatabaseMemoryUsagePercentage Average > 80",
            "DatabaseMemoryUsagePercentage Average > 80",
            "EngineCPUUtilization Average > 80",
            "EngineCPUUtilization Average > 80",
            "Evictions Sum > 0",
            "Evictions Sum > 0",
        ]);
        // Each metric once per node: the primary (-001) and the replica (-002) of the group.
        const nodes = [...new Set(alarms.map((a) => String(a.dimensions.CacheClusterId)))].sort();
        const groupId = nodes[0].replace(/-001$/, "");
        expect(nodes).to.deep.equal(memberClusterIds(groupId, 2));
        expect(groupId).to.match(/^prod-cache-valkey/);
        for (const alarm of alarms) {
            expect(alarm.alarmActions).to.have.length(1);
            expect(alarm.alarmActions[0]).to.match(/^arn:aws:sns:us-east-1:123456789012:/);
        }
        expect(memberClusterIds("g", 2)).to.deep.equal(["g-001", "g-002"]);
    });

    it("admits 6379 from the backend's group only, which gets the matching egress", () => {
        for (const run of [prod, dev]) {
            const cacheGroup = referenced(run, run.one(T.group), "securityGroupIds", T.sg);
            const ingress = run
                .ofType(T.ingress)
                .filter((r) => referenced(run, r, "securityGroupId", T.sg).urn === cacheGroup.urn);
            expect(ingress).to.have.length(1);
            expect(run.plain(ingress[0])).to.include({ ipProtocol: "tcp", fromPort: 6379, toPort: 6379 });
            const backendGroup = referenced(run, ingress[0], "referencedSecurityGroupId", T.sg);
            expect(backendGroup.name).to.match(/^(prod|dev)-compute-(task|instance)-sg$/);
            const egress = run
                .ofType(T.egress)
                .filter((r) => (r.propertyDependencies.referencedSecurityGroupId ?? []).includes(cacheGroup.urn));
            expect(egress).to.have.length(1);
            expect(referenced(run, egress[0], "securityGroupId", T.sg).urn).to.equal(backendGroup.urn);
            expect(run.plain(egress[0])).to.include({ fromPort: 6379, toPort: 6379 });
        }
    });

    it("opens 6379 in the isolated tier's ACL from the private subnets (prod)", () => {
        const isolated = prod.plain(prod.one(T.acl, "-isolated-acl"));
        const cachePorts = isolated.ingress.filter((e: Record<string, unknown>) => e.fromPort === 6379);
        expect(cachePorts.map((e: Record<string, unknown>) => e.cidrBlock)).to.have.length(3);
    });

    it("puts the endpoint and the token secret's ARN into the connection document, never the token", () => {
        const doc = prod.ofType(T.version).find((v) => /-database-credentials$/.test(v.name))!;
        const fields = JSON.parse(String(prod.plain(doc).secretString));
        expect(fields.cacheHost).to.match(/^master\..+\.us-east-1\.cache\.amazonaws\.com$/);
        expect(fields.cachePort).to.equal(6379);
        expect(fields.cacheAuthSecretArn).to.match(
            /^arn:aws:secretsmanager:us-east-1:123456789012:secret:prod-cache-auth-token/,
        );
    });

    it("Fargate: injects the endpoint from the document and the token from its secret, by reference", () => {
        const web = prod.ofType(T.taskDefinition).find((t) => /-web-task$/.test(t.name))!;
        const [container] = JSON.parse(String(prod.plain(web).containerDefinitions));
        const secrets = Object.fromEntries(
            container.secrets.map((s: { name: string; valueFrom: string }) => [s.name, s.valueFrom]),
        );
        expect(secrets.CACHE_HOST).to.match(/secret:prod-secrets-db-credentials-.*:cacheHost::$/);
        expect(secrets.CACHE_PORT).to.match(/secret:prod-secrets-db-credentials-.*:cachePort::$/);
        expect(secrets.CACHE_AUTH_TOKEN).to.match(/secret:prod-cache-auth-token-.*:cacheAuthToken::$/);
        const execution = statements(json(prod, prod.one(T.rolePolicy, "-task-execution-policy"), "policy"));
        expect(
            execution.flatMap((s) => s.Resource).filter((r) => /prod-cache-auth-token/.test(String(r))),
        ).to.have.length(1);
    });

    it("EC2: the instances' role may read the token secret; the user data names no token", () => {
        const policy = statements(json(dev, dev.one(T.rolePolicy, "-instance-policy"), "policy"));
        expect(policy.flatMap((s) => s.Resource).filter((r) => /dev-cache-auth-token/.test(String(r)))).to.have.length(
            1,
        );
        const template = dev.plain(dev.one("aws:ec2/launchTemplate:LaunchTemplate"));
        const script = Buffer.from(String(template.userData), "base64").toString("utf8");
        expect(script.split("\n")).to.include("CACHE_SECRET_FIELD='cacheAuthSecretArn'");
        expect(script).not.to.include(dev.plain(dev.one(T.group)).authToken);
    });
});
