/**
 * The AWS application tier under mocks: the security-group chain, the load balancer and its
 * listeners, the certificate, the launch template and Auto Scaling group, and the instance role.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import {
    AWS_COMPUTE,
    AsgBackend,
    type AsgBackendArgs,
    HEALTH_CHECK_GRACE_SECONDS,
    imageSelector,
    instancePolicyStatements,
    type InstancePolicyArgs,
    TLS_POLICY,
    amiQuery,
} from "../components/aws/compute";
import { isSecretValue } from "../tools/offline/values";
import { runOffline, type OfflineRun, type RecordedResource } from "../tools/offline/run";
import { parseConfig } from "../config";
import { RDS_ENGINES } from "../components/aws/database";
import {
    build,
    buildStack,
    childrenOf,
    inside,
    json,
    oneInside,
    rawStackConfig,
    referenced,
    stackConfig,
    statements,
    waitsFor,
} from "./support";

const SG = "aws:ec2/securityGroup:SecurityGroup";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const LISTENER = "aws:lb/listener:Listener";
const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
const ASG = "aws:autoscaling/group:Group";
const CERTIFICATE = "aws:acm/certificate:Certificate";
const VALIDATION = "aws:acm/certificateValidation:CertificateValidation";
const RECORD = "aws:route53/record:Record";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const TIER = "webapp:aws:Compute";
const DATABASE = "webapp:aws:Database";

/** The load balancer's security group: the one the ALB is in. */
const lbGroup = (run: OfflineRun) => referenced(run, run.one("aws:lb/loadBalancer:LoadBalancer"), "securityGroups", SG);
/** The instances' security group: the one the launch template's interface is in. */
const instanceGroup = (run: OfflineRun) => referenced(run, run.one(LAUNCH_TEMPLATE), "networkInterfaces", SG);
/** The instance role: the one in the launch template's instance profile. */
function instanceRole(run: OfflineRun): RecordedResource {
    const profile = referenced(
        run,
        run.one(LAUNCH_TEMPLATE),
        "iamInstanceProfile",
        "aws:iam/instanceProfile:InstanceProfile",
    );
    return referenced(run, profile, "role", "aws:iam/role:Role");
}
/** The resources of `type` attached to the instance role. */
const onInstanceRole = (run: OfflineRun, type: string) =>
    run.ofType(type).filter((r) => (r.propertyDependencies.role ?? []).includes(instanceRole(run).urn));

/** What a security group is, from what uses it: `load-balancer`, `instances`, `database`, `function`. */
function groupRole(run: OfflineRun, urn: string): string {
    const users: Array<[string, string, string]> = [
        ["load-balancer", "aws:lb/loadBalancer:LoadBalancer", "securityGroups"],
        ["instances", LAUNCH_TEMPLATE, "networkInterfaces"],
        ["database", "aws:rds/instance:Instance", "vpcSecurityGroupIds"],
        ["function", "aws:lambda/function:Function", "vpcConfig"],
    ];
    const role = users.find(([, type, property]) =>
        run.ofType(type).some((r) => (r.propertyDependencies[property] ?? []).includes(urn)),
    );
    return role ? role[0] : `unknown ${run.byUrn(urn).name}`;
}

interface Rule {
    readonly kind: "ingress" | "egress";
    readonly name: string;
    readonly port: string;
    /** `cidr:<block>` or `sg:<what the referenced group is for>`. */
    readonly peer: string;
}

/** Every rule attached to a security group, in a form that reads like a firewall table. */
function rulesOf(run: OfflineRun, group: RecordedResource): Rule[] {
    return [...run.ofType(INGRESS), ...run.ofType(EGRESS)]
        .filter((r) => (r.propertyDependencies.securityGroupId ?? []).includes(group.urn))
        .map((r) => {
            const inputs = run.plain(r);
            const referenced = r.propertyDependencies.referencedSecurityGroupId ?? [];
            return {
                kind: r.type === INGRESS ? "ingress" : "egress",
                name: r.name,
                port: `${inputs.ipProtocol}/${inputs.fromPort}-${inputs.toPort}`,
                peer:
                    referenced.length > 0
                        ? `sg:${groupRole(run, referenced[0])}`
                        : `cidr:${inputs.cidrIpv4 ?? inputs.cidrIpv6}`,
            } satisfies Rule;
        })
        .sort((a, b) => a.name.localeCompare(b.name));
}

function table(rules: Rule[]): string[] {
    return rules.map((r) => `${r.kind} ${r.port} ${r.peer}`).sort();
}

/** The listener of one protocol. */
function listener(run: OfflineRun, protocol: "HTTP" | "HTTPS"): RecordedResource {
    const found = run.ofType(LISTENER).filter((l) => run.plain(l).protocol === protocol);
    expect(found, `${protocol} listeners`).to.have.length(1);
    return found[0];
}

function userDataOf(run: OfflineRun): string {
    return Buffer.from(run.plain(run.one(LAUNCH_TEMPLATE)).userData, "base64").toString("utf8");
}

describe("AWS application tier (Compute)", () => {
    let run: OfflineRun;
    before(async () => {
        run = await buildStack("dev");
    });

    describe("security groups", () => {
        it("declare no inline rules (each rule is its own resource)", () => {
            for (const group of run.ofType(SG)) {
                const inputs = run.plain(group);
                expect(inputs.ingress ?? [], group.name).to.deep.equal([]);
                expect(inputs.egress ?? [], group.name).to.deep.equal([]);
            }
        });

        it("let the internet reach the load balancer on 80 and 443 only, and it only the instances", () => {
            expect(table(rulesOf(run, lbGroup(run)))).to.deep.equal([
                "egress tcp/80-80 sg:instances",
                "ingress tcp/443-443 cidr:0.0.0.0/0",
                "ingress tcp/80-80 cidr:0.0.0.0/0",
            ]);
        });

        it("let the instances take the app port from the load balancer only; out: HTTPS and MySQL", () => {
            expect(table(rulesOf(run, instanceGroup(run)))).to.deep.equal([
                "egress tcp/3306-3306 sg:database",
                "egress tcp/443-443 cidr:0.0.0.0/0",
                "ingress tcp/80-80 sg:load-balancer",
            ]);
        });

        it("let the database take MySQL from the instances only (not the e-mail function), and send nothing", () => {
            expect(table(rulesOf(run, oneInside(run, DATABASE, SG)))).to.deep.equal([
                "ingress tcp/3306-3306 sg:instances",
            ]);
        });

        it("follow app.port", async () => {
            const other = await build(stackConfig("dev", { app: { port: 8080 } }));
            expect(table(rulesOf(other, instanceGroup(other)))).to.include("ingress tcp/8080-8080 sg:load-balancer");
            expect(table(rulesOf(other, lbGroup(other)))).to.include("egress tcp/8080-8080 sg:instances");
            expect(other.plain(other.one("aws:lb/targetGroup:TargetGroup")).port).to.equal(8080);
        });
    });

    describe("the compute seam", () => {
        it("builds the load balancer and the Auto Scaling group as parts of the Compute tier, under the names they always had", () => {
            const tier = run.one(TIER);
            // Every resource is the tier's own child, as before the split, so no identity changed.
            expect(inside(run, tier).every((r) => r.parent === tier.urn)).to.equal(true);
            expect(childrenOf(run, tier)).to.deep.equal(
                [
                    "Certificate dev-compute-certificate",
                    "CertificateValidation dev-compute-certificate-validation",
                    "Group dev-compute-asg",
                    "InstanceProfile dev-compute-instance",
                    "LaunchTemplate dev-compute-lt",
                    "Listener dev-compute-http",
                    "Listener dev-compute-https",
                    "LoadBalancer dev-compute-alb",
                    "Policy dev-compute-cpu-target",
                    "Record dev-compute-certificate-validation-record",
                    "Role dev-compute-instance",
                    "RolePolicy dev-compute-instance-policy",
                    "RolePolicyAttachment dev-compute-instance-managed-0",
                    "SecurityGroup dev-compute-alb-sg",
                    "SecurityGroup dev-compute-instance-sg",
                    "SecurityGroupEgressRule dev-compute-alb-out-app",
                    "SecurityGroupEgressRule dev-compute-instance-out-https",
                    "SecurityGroupEgressRule dev-compute-instance-out-mysql",
                    "SecurityGroupIngressRule dev-compute-alb-in-443",
                    "SecurityGroupIngressRule dev-compute-alb-in-80",
                    "SecurityGroupIngressRule dev-compute-instance-in-app",
                    "TargetGroup dev-compute-tg",
                    "LogGroup dev-compute-app-logs",
                ].sort(),
            );
        });

        it("builds the backend aws.compute names, asg by default, registered by instance id", () => {
            expect(stackConfig("dev").aws.compute).to.equal("asg");
            expect(Object.keys(AWS_COMPUTE)).to.deep.equal(["asg", "fargate"]);
            expect(AWS_COMPUTE.asg).to.include({ targetType: "instance", label: "instances" });
            expect(run.plain(run.one("aws:lb/targetGroup:TargetGroup")).targetType).to.equal("instance");
            expect(() => stackConfig("dev", { aws: { compute: "ecs" } })).to.throw(
                'aws.compute: "ecs" must be one of "asg", "fargate"',
            );
        });

        it("exports what the backend exports: the group's name", () => {
            const outputs = run.outputs.aws as Record<string, unknown>;
            expect(outputs.autoScalingGroupName).to.match(/^dev-compute-asg-[0-9a-f]{7}$/);
        });
    });

    describe("load balancer", () => {
        it("is internet-facing in the public subnets, drops invalid headers, no deletion protection in dev", () => {
            const alb = run.one("aws:lb/loadBalancer:LoadBalancer");
            const inputs = run.plain(alb);
            expect(inputs).to.include({
                loadBalancerType: "application",
                internal: false,
                dropInvalidHeaderFields: true,
                enableDeletionProtection: false,
            });
            expect(inputs.subnets).to.deep.equal((run.outputs.aws as Record<string, unknown>).publicSubnetIds);
            expect(alb.propertyDependencies.securityGroups).to.deep.equal([lbGroup(run).urn]);
            expect(table(rulesOf(run, lbGroup(run)))).to.include("ingress tcp/443-443 cidr:0.0.0.0/0");
        });

        it("is protected from deletion outside dev", async () => {
            const demo = await buildStack("demo");
            expect(demo.plain(demo.one("aws:lb/loadBalancer:LoadBalancer")).enableDeletionProtection).to.equal(true);
        });

        it("serves HTTPS with a modern TLS policy and HSTS, forwarding to the target group", () => {
            const https = listener(run, "HTTPS");
            const inputs = run.plain(https);
            expect(inputs).to.include({ port: 443, protocol: "HTTPS", sslPolicy: TLS_POLICY });
            expect(TLS_POLICY).to.match(/^ELBSecurityPolicy-TLS13-1-2-/);
            expect(inputs.routingHttpResponseStrictTransportSecurityHeaderValue).to.match(/^max-age=\d{8}/);
            expect(inputs.defaultActions).to.have.length(1);
            expect(inputs.defaultActions[0].type).to.equal("forward");
            expect(https.propertyDependencies.defaultActions).to.include(run.one("aws:lb/targetGroup:TargetGroup").urn);
        });

        it("answers HTTP with a permanent redirect to HTTPS", () => {
            const inputs = run.plain(listener(run, "HTTP"));
            expect(inputs).to.include({ port: 80, protocol: "HTTP" });
            expect(inputs.defaultActions).to.deep.equal([
                { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
            ]);
        });

        it("health-checks the app on app.healthCheckPath with short thresholds and a short drain", () => {
            const inputs = run.plain(run.one("aws:lb/targetGroup:TargetGroup"));
            expect(inputs).to.include({ port: 80, protocol: "HTTP", targetType: "instance", deregistrationDelay: 30 });
            expect(inputs.healthCheck).to.include({ path: "/healthz", matcher: "200", port: "traffic-port" });
            expect(inputs.healthCheck).to.include({
                interval: 15,
                timeout: 5,
                healthyThreshold: 2,
                unhealthyThreshold: 3,
            });
        });
    });

    describe("certificate", () => {
        it("is issued for the domain and validated by a DNS record before the listener uses it", () => {
            expect(run.plain(run.one(CERTIFICATE))).to.include({
                domainName: "dev.example.com",
                validationMethod: "DNS",
            });
            const record = referenced(run, run.one(VALIDATION), "validationRecordFqdns", RECORD);
            expect(run.plain(record)).to.include({ type: "CNAME", ttl: 300 });
            expect(run.plain(record).name).to.match(/^_[0-9a-f]+\.dev\.example\.com\.$/);
            const validation = run.one(VALIDATION);
            expect(validation.propertyDependencies.validationRecordFqdns).to.deep.equal([record.urn]);
            expect(listener(run, "HTTPS").propertyDependencies.certificateArn).to.deep.equal([validation.urn]);
        });

        it("puts the validation record in the domain's hosted zone", () => {
            const zoneLookup = run.invokes.find((i) => i.token === "aws:route53/getZone:getZone");
            expect(zoneLookup?.inputs).to.include({ name: "dev.example.com", privateZone: false });
            const record = referenced(run, run.one(VALIDATION), "validationRecordFqdns", RECORD);
            expect(run.plain(record).zoneId).to.match(/^Z[0-9A-F]{20}$/);
        });

        it("is the configured one when aws.certificateArn is set (nothing issued)", async () => {
            const arn = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555";
            const other = await build(stackConfig("dev", { aws: { certificateArn: arn } }));
            expect(other.ofType(CERTIFICATE)).to.have.length(0);
            expect(other.ofType(VALIDATION)).to.have.length(0);
            expect(other.plain(listener(other, "HTTPS")).certificateArn).to.equal(arn);
        });
    });

    describe("launch template", () => {
        it("requires IMDSv2 with a hop limit of 1", () => {
            expect(run.plain(run.one(LAUNCH_TEMPLATE)).metadataOptions).to.deep.equal({
                httpEndpoint: "enabled",
                httpTokens: "required",
                httpPutResponseHopLimit: 1,
                instanceMetadataTags: "disabled",
            });
        });

        it("encrypts the root volume (gp3) with the EBS key", () => {
            const ebsKeyArn = (run.outputs.aws as { kmsKeyArns: Record<string, string> }).kmsKeyArns.ebs;
            const [mapping] = run.plain(run.one(LAUNCH_TEMPLATE)).blockDeviceMappings;
            expect(mapping.deviceName).to.equal("/dev/sda1");
            expect(mapping.ebs).to.deep.equal({
                volumeType: "gp3",
                encrypted: "true",
                kmsKeyId: ebsKeyArn,
                deleteOnTermination: "true",
            });
        });

        it("gives instances no public address, the instance group and the instance profile", () => {
            const lt = run.one(LAUNCH_TEMPLATE);
            const [nic] = run.plain(lt).networkInterfaces;
            expect(nic).to.include({ associatePublicIpAddress: "false", deviceIndex: 0 });
            expect(run.plain(instanceGroup(run)).description).to.match(/^webapp instances:/);
            expect(lt.propertyDependencies.iamInstanceProfile).to.deep.equal([
                run.one("aws:iam/instanceProfile:InstanceProfile").urn,
            ]);
            expect(run.plain(lt).instanceType).to.equal("t2.micro");
        });

        it("uses the newest own image named by aws.imageFilter", () => {
            const lookup = run.invokes.find((i) => i.token === "aws:ec2/getAmi:getAmi");
            expect(lookup?.inputs).to.deep.include({ mostRecent: true, owners: ["self"] });
            expect(lookup?.inputs.filters).to.deep.include({ name: "name", values: ["webapp-*"] });
            expect(run.plain(run.one(LAUNCH_TEMPLATE)).imageId).to.equal("ami-0123456789abcdef0");
        });

        it("looks up a fixed aws.imageId (for its root device) instead", async () => {
            const raw = rawStackConfig("dev", { aws: { imageId: "ami-0fedcba9876543210" } });
            delete (raw.aws as Record<string, unknown>).imageFilter;
            const other = await build(parseConfig(raw, "dev"));
            const lookup = other.invokes.find((i) => i.token === "aws:ec2/getAmi:getAmi");
            expect(lookup?.inputs.filters).to.deep.equal([{ name: "image-id", values: ["ami-0fedcba9876543210"] }]);
            expect(other.plain(other.one(LAUNCH_TEMPLATE)).imageId).to.equal("ami-0fedcba9876543210");
            expect(amiQuery(imageSelector({ imageId: "ami-1" }))).to.deep.equal({
                filters: [{ name: "image-id", values: ["ami-1"] }],
            });
        });

        it("tags instances and volumes (the provider's default tags do not reach them)", () => {
            const specs = run.plain(run.one(LAUNCH_TEMPLATE)).tagSpecifications;
            expect(specs.map((s: { resourceType: string }) => s.resourceType)).to.deep.equal(["instance", "volume"]);
            for (const spec of specs) {
                expect(spec.tags).to.include({ project: "webapp-infra", environment: "dev", "managed-by": "pulumi" });
            }
        });

        it("boots from user data that names the secret but holds no secret value", () => {
            const script = userDataOf(run);
            const outputs = run.outputs.aws as Record<string, string>;
            expect(script).to.match(/^#!\/bin\/bash\n/);
            expect(script).to.include(`DB_SECRET_ID='${outputs.databaseSecretArn}'`);
            expect(script).to.include(`S3_BUCKET_NAME='${outputs.bucketName}'`);
            expect(script).to.include("REGION='us-east-1'");
            expect(script).to.include(`SNS_TOPIC_ARN='${outputs.registrationTopicArn}'`);
            expect(script).to.include("CREDENTIALS_FIELD='credentialsSecretArn'");
            expect(script).not.to.include("MockPw-");
            expect(script).not.to.match(/^DB_PASSWORD=/m);
            expect(
                isSecretValue(run.one(LAUNCH_TEMPLATE).inputs.userData),
                "user data is not derived from a secret",
            ).to.equal(false);
        });

        it("does not wait for the database: the user data names the document's secret, not its version", () => {
            const lt = run.one(LAUNCH_TEMPLATE);
            const database = inside(run, run.one(DATABASE)).map((r) => r.urn);
            expect(database.length).to.be.greaterThan(5);
            for (const urn of database) {
                expect(lt.dependencies, urn).not.to.include(urn);
            }
            expect(userDataOf(run)).not.to.match(/secret version/i);
        });

        it("starts instances in parallel with the database: the group waits for nothing of it", () => {
            const group = run.one(ASG);
            const waited = waitsFor(run, group);
            expect(waited.has(run.one(LAUNCH_TEMPLATE).urn), "the launch template").to.equal(true);
            const document = oneInside(run, DATABASE, "aws:secretsmanager/secretVersion:SecretVersion");
            expect(group.dependencies).not.to.include(document.urn);
            for (const r of [run.one(DATABASE), ...inside(run, run.one(DATABASE))]) {
                expect(waited.has(r.urn), r.name).to.equal(false);
            }
            // Only the role's policy, which names the RDS-managed secret, waits for the instance.
            const policy = run.one("aws:iam/rolePolicy:RolePolicy", "compute-instance-policy");
            expect(policy.dependencies).to.include(oneInside(run, DATABASE, "aws:rds/instance:Instance").urn);
            expect(waited.has(policy.urn), "the role's policy").to.equal(false);
        });

        it("gives an instance 20 minutes before the ELB health check counts (the boot's wait for the document)", () => {
            expect(HEALTH_CHECK_GRACE_SECONDS).to.equal(1200);
            expect(run.plain(run.one(ASG))).to.include({
                healthCheckGracePeriod: 1200,
                waitForCapacityTimeout: "15m",
            });
            expect(run.plain(run.one(ASG)).minElbCapacity, "waits for InService, not ELB health").to.equal(undefined);
        });
    });

    describe("Auto Scaling group", () => {
        it("runs config's min/max in the private subnets behind the target group, with ELB health checks", () => {
            const group = run.one(ASG);
            const inputs = run.plain(group);
            expect(inputs).to.include({ minSize: 1, maxSize: 2, healthCheckType: "ELB" });
            expect(inputs.desiredCapacity, "scaling owns the desired capacity").to.equal(undefined);
            expect(inputs.vpcZoneIdentifiers).to.deep.equal(
                (run.outputs.aws as Record<string, unknown>).privateSubnetIds,
            );
            expect(group.propertyDependencies.targetGroupArns).to.deep.equal([
                run.one("aws:lb/targetGroup:TargetGroup").urn,
            ]);
        });

        it("pins the launch template's latest version, so a new version rolls the group", () => {
            const group = run.one(ASG);
            expect(run.plain(group).launchTemplate.version).to.equal("1");
            expect(group.propertyDependencies.launchTemplate).to.deep.equal([run.one(LAUNCH_TEMPLATE).urn]);
        });

        it("replaces instances by rolling instance refresh keeping at least 50% healthy", () => {
            const refresh = run.plain(run.one(ASG)).instanceRefresh;
            expect(refresh.strategy).to.equal("Rolling");
            expect(refresh.preferences).to.include({ minHealthyPercentage: 50, autoRollback: true });
            expect(refresh.preferences).to.include({ minHealthyPercentage: 50, maxHealthyPercentage: 150 });
            expect(refresh.preferences.maxHealthyPercentage - refresh.preferences.minHealthyPercentage).to.be.at.most(
                100,
            );
        });

        it("tracks the configured average CPU", async () => {
            const policy = run.plain(run.one("aws:autoscaling/policy:Policy"));
            expect(policy.policyType).to.equal("TargetTrackingScaling");
            expect(policy.targetTrackingConfiguration).to.deep.equal({
                predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
                targetValue: 50,
            });
            const other = await build(stackConfig("dev", { aws: { asg: { min: 2, max: 4, cpuTarget: 70 } } }));
            expect(
                other.plain(other.one("aws:autoscaling/policy:Policy")).targetTrackingConfiguration.targetValue,
            ).to.equal(70);
            expect(other.plain(other.one(ASG))).to.include({ minSize: 2, maxSize: 4 });
        });
    });

    describe("instance role", () => {
        let policy: Array<Record<string, any>>;
        let outputs: Record<string, any>;
        before(() => {
            const [rolePolicy] = onInstanceRole(run, ROLE_POLICY);
            policy = statements(json(run, rolePolicy, "policy"));
            outputs = run.outputs.aws as Record<string, any>;
        });

        const grants = (action: string) => policy.filter((s) => s.Effect === "Allow" && s.Action.includes(action));

        it("is assumed by EC2 only", () => {
            const trust = json(run, instanceRole(run), "assumeRolePolicy");
            expect(trust.Statement).to.deep.equal([
                { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
            ]);
        });

        it("reads exactly the connection document and the RDS-managed credentials, decrypting through Secrets Manager only", () => {
            const read = grants("secretsmanager:GetSecretValue");
            const managed = run.plain(run.one("aws:secretsmanager/secretRotation:SecretRotation")).secretId;
            expect(managed).to.match(/:secret:rds!db-[0-9a-f-]{36}-AbCdEf$/);
            expect(read.map((s) => s.Resource)).to.deep.equal([[outputs.databaseSecretArn], [managed]]);
            const decrypt = grants("kms:Decrypt").filter((s) => s.Resource.includes(outputs.kmsKeyArns.secrets));
            expect(decrypt).to.have.length(2);
            for (const statement of decrypt) {
                expect(statement.Condition).to.deep.equal({
                    StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" },
                });
            }
        });

        it("reads, writes and deletes objects in the bucket only, with the S3 key through S3", () => {
            const objects = policy.find((s) => s.Action.includes("s3:PutObject"));
            expect(objects?.Action).to.have.members(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]);
            expect(objects?.Resource).to.deep.equal([`arn:aws:s3:::${outputs.bucketName}/*`]);
            const key = grants("kms:GenerateDataKey").find((s) => s.Resource.includes(outputs.kmsKeyArns.s3));
            expect(key?.Condition).to.deep.equal({ StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } });
        });

        it("writes its own log group and metrics in its own namespace", () => {
            const logs = grants("logs:PutLogEvents");
            expect(logs).to.have.length(1);
            expect(logs[0].Resource).to.have.length(2);
            expect(logs[0].Resource[0]).to.match(
                /^arn:aws:logs:us-east-1:123456789012:log-group:dev-compute-app-logs-/,
            );
            expect(logs[0].Resource[1]).to.equal(`${logs[0].Resource[0]}:*`);
            expect(grants("cloudwatch:PutMetricData")[0].Condition).to.deep.equal({
                StringEquals: { "cloudwatch:namespace": "webapp/dev" },
            });
        });

        it("uses '*' only for actions without resource-level permissions, and no wildcard actions", () => {
            const unscoped = policy.filter((s) => s.Resource.includes("*")).flatMap((s) => s.Action);
            expect(unscoped.sort()).to.deep.equal(["cloudwatch:PutMetricData", "ec2:DescribeTags"]);
            for (const statement of policy) {
                for (const action of statement.Action) {
                    expect(action, "no service-wide wildcard").not.to.match(/:\*$|^\*$/);
                }
            }
        });

        it("publishes to the registration topic only, with its key through SNS only", () => {
            const outputs = run.outputs.aws as Record<string, any>;
            expect(grants("sns:Publish").map((s) => s.Resource)).to.deep.equal([[outputs.registrationTopicArn]]);
            const topicKey = grants("kms:GenerateDataKey*").filter((s) =>
                s.Resource.includes(outputs.kmsKeyArns.messaging),
            );
            expect(topicKey).to.have.length(1);
            expect(topicKey[0].Condition).to.deep.equal({
                StringEquals: { "kms:ViaService": "sns.us-east-1.amazonaws.com" },
            });
        });

        it("is manageable through Session Manager (SSM)", () => {
            const attachments = onInstanceRole(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment");
            expect(attachments.map((a) => run.plain(a).policyArn)).to.deep.equal([
                "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
            ]);
        });
    });

    describe("instance policy statements", () => {
        const base: InstancePolicyArgs = {
            secretStatements: [{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "arn:secret" }],
            storageStatements: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }],
            logGroupArn: "arn:aws:logs:us-east-1:123456789012:log-group:app",
            metricsNamespace: "webapp/test",
        };
        const actions = (list: ReturnType<typeof instancePolicyStatements>) => list.flatMap((s) => s.Action);

        it("compose the tiers' grants with the agent's own, adding the topic only when there is one", () => {
            expect(actions(instancePolicyStatements(base))).to.deep.equal([
                "secretsmanager:GetSecretValue",
                "s3:GetObject",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogStreams",
                "cloudwatch:PutMetricData",
                "ec2:DescribeTags",
            ]);
            const withTopic = instancePolicyStatements({
                ...base,
                topicStatements: [{ Effect: "Allow", Action: "sns:Publish", Resource: "arn:aws:sns:us-east-1:1:t" }],
            });
            expect(actions(withTopic)).to.include("sns:Publish");
        });
    });

    describe("with a registration topic", () => {
        const topicArn = "arn:aws:sns:us-east-1:123456789012:registrations";
        let withTopic: OfflineRun;
        before(async () => {
            withTopic = await runOffline(() => {
                new AsgBackend(
                    "test-compute",
                    asgBackendArgs({
                        topicArn: pulumi.output(topicArn),
                        publishStatements: () => [{ Effect: "Allow", Action: "sns:Publish", Resource: topicArn }],
                    }),
                    new pulumi.ComponentResource("webapp:test:Tier", "test-compute", {}),
                );
            });
        });

        it("may publish to the topic", () => {
            const policy = statements(json(withTopic, withTopic.one(ROLE_POLICY), "policy"));
            expect(policy.filter((s) => s.Action.includes("sns:Publish")).map((s) => s.Resource)).to.deep.equal([
                [topicArn],
            ]);
        });

        it("writes the topic into the env file", () => {
            expect(userDataOf(withTopic)).to.include(`SNS_TOPIC_ARN='${topicArn}'`);
        });
    });
});

/** The Auto Scaling group's arguments with stand-ins for the other tiers. */
function asgBackendArgs(registrationTopic?: AsgBackendArgs["registrationTopic"]): AsgBackendArgs {
    const account = { accountId: "123456789012", partition: "aws", region: "us-east-1" };
    return {
        account,
        network: {
            networkId: pulumi.output("vpc-1"),
            privateSubnetIds: pulumi.output(["subnet-prv1", "subnet-prv2"]),
        },
        loadBalancer: {
            securityGroupId: "sg-lb",
            targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/1",
        },
        app: { user: "webapp", directory: "/opt/webapp", serviceName: "webapp", port: 80 },
        instanceType: "t3.micro",
        image: { id: "ami-0123456789abcdef0" },
        minSize: 1,
        maxSize: 2,
        cpuTarget: 50,
        ebsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/ebs",
        logsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/logs",
        internetEgress: true,
        databaseSecurityGroupId: "sg-db",
        databaseEngine: RDS_ENGINES.mysql,
        secrets: {
            databaseSecretId: pulumi.output("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"),
            readStatements: () => [],
        },
        database: { credentialsReadStatements: () => [] },
        storage: { bucketName: pulumi.output("bucket-1"), readWriteStatements: () => [] },
        registrationTopic,
        metricsNamespace: "webapp/test",
        logRetentionDays: 30,
        instanceTags: {},
    };
}
