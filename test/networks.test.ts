/**
 * Network variants: the environment profiles, the NAT modes (none, instance, single, onePerAz), the
 * isolated tier with its network ACLs, and what each mode lets reach the internet.
 */
import { expect } from "chai";
import { networkAcls, subnetPlan } from "../components/aws/network";
import { INTERFACE_ENDPOINT_SERVICES } from "../components/aws/features/endpoints";
import { stackBehaviour } from "../components/shared/context";
import { ENVIRONMENT_PROFILES, ENVIRONMENTS, NAT_MODES, parseConfig } from "../config";
import { renderNatUserData } from "../functions/boot/nat";
import { expandAwsxVpc } from "../tools/scan/awsx";
import type { OfflineRun, RecordedResource } from "../tools/offline/run";
import { expectShellcheckClean } from "./boot/harness";
import { build, buildStack, json, stackConfig, statements, TEST_MAILGUN_KEY } from "./support";
import * as pulumi from "@pulumi/pulumi";

const T = {
    vpc: "awsx:ec2:Vpc",
    instance: "aws:ec2/instance:Instance",
    route: "aws:ec2/route:Route",
    acl: "aws:ec2/networkAcl:NetworkAcl",
    sg: "aws:ec2/securityGroup:SecurityGroup",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    fn: "aws:lambda/function:Function",
    endpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
    subnetGroup: "aws:rds/subnetGroup:SubnetGroup",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
};

/** The resources `r` takes `property` from. */
function sources(run: OfflineRun, r: RecordedResource, property: string): RecordedResource[] {
    return (r.propertyDependencies[property] ?? []).map((urn) => run.byUrn(urn));
}

/** The egress rules of the instances' security group. */
function instanceEgress(run: OfflineRun): Array<Record<string, any>> {
    const group = run.one(T.sg, "-instance-sg");
    return run
        .ofType(T.egress)
        .filter((r) => (r.propertyDependencies.securityGroupId ?? []).includes(group.urn))
        .map((r) => {
            const { description: _d, securityGroupId: _s, ...rest } = run.plain(r);
            return rest;
        });
}

describe("environment profiles", () => {
    const minimal = (extra: Record<string, unknown> = {}) => ({
        domainName: "api.example.org",
        mailgun: { apiKey: pulumi.secret(TEST_MAILGUN_KEY) },
        ...extra,
    });

    it("are dev, demo, staging and prod, from one table", () => {
        expect(ENVIRONMENTS).to.deep.equal(["dev", "demo", "staging", "prod"]);
        expect(Object.keys(ENVIRONMENT_PROFILES)).to.deep.equal(["dev", "demo", "staging", "prod"]);
    });

    it("give prod three AZs, a NAT gateway per AZ, isolated subnets, a standby and longer retention", () => {
        const cfg = parseConfig(minimal(), "prod");
        expect(cfg.aws).to.include({
            vpcCidr: "10.3.0.0/16",
            azCount: 3,
            natGateways: "onePerAz",
            logRetentionDays: 365,
        });
        expect(cfg.aws.subnets).to.deep.equal({ isolated: true });
        expect(cfg.aws.db).to.include({ multiAz: true, backupRetentionDays: 30, deletionProtection: true });
        expect(cfg.gcp).to.include({ subnetCidr: "10.13.0.0/20" });
        expect(cfg.gcp.db).to.include({ highAvailability: true, backupRetentionDays: 30, deletionProtection: true });
    });

    it("give staging its own address plan, one NAT gateway, isolated subnets and no standby", () => {
        const cfg = parseConfig(minimal(), "staging");
        expect(cfg.aws).to.include({
            vpcCidr: "10.2.0.0/16",
            azCount: 2,
            natGateways: "single",
            logRetentionDays: 365,
        });
        expect(cfg.aws.subnets).to.deep.equal({ isolated: true });
        expect(cfg.aws.db).to.include({ multiAz: false, deletionProtection: true });
        expect(cfg.gcp.subnetCidr).to.equal("10.12.0.0/20");
    });

    it("give dev a NAT instance and two subnet tiers", () => {
        const cfg = parseConfig(minimal(), "dev");
        expect(cfg.aws.natGateways).to.equal("instance");
        expect(cfg.aws.subnets).to.deep.equal({ isolated: false });
    });

    it("make every profile but dev production-like", () => {
        expect(ENVIRONMENTS.filter((e) => stackBehaviour(e).deletionProtection)).to.deep.equal([
            "demo",
            "staging",
            "prod",
        ]);
        expect(stackBehaviour("staging")).to.include({
            finalSnapshot: true,
            destroyWithData: false,
            secretRecoveryDays: 30,
        });
    });

    it("refuse a stack whose environment is not a profile, naming the key", () => {
        expect(() => parseConfig(minimal(), "feature-x")).to.throw(
            'environment: "feature-x" is not an environment profile: use one of dev, demo, staging, prod',
        );
        expect(parseConfig(minimal({ environment: "staging" }), "feature-x").environment).to.equal("staging");
    });
});

describe("network ACLs", () => {
    const acls = networkAcls(subnetPlan("10.0.0.0/16", 2), [3306]);
    const text = (
        entries: ReadonlyArray<{
            ruleNo: number;
            protocol: string;
            fromPort: number;
            toPort: number;
            cidrBlock: string;
        }>,
    ) =>
        entries.map(
            (e) => `${e.ruleNo} ${e.protocol === "-1" ? "all" : `tcp/${e.fromPort}-${e.toPort}`} ${e.cidrBlock}`,
        );

    it("public: HTTP(S) and replies from anywhere (not 3389), everything from the private subnets", () => {
        expect(text(acls.public.ingress)).to.deep.equal([
            "100 tcp/443-443 0.0.0.0/0",
            "110 tcp/80-80 0.0.0.0/0",
            "120 tcp/1024-3388 0.0.0.0/0",
            "121 tcp/3390-65535 0.0.0.0/0",
            "200 all 10.0.0.0/18",
            "201 all 10.0.128.0/18",
        ]);
        expect(text(acls.public.egress)).to.deep.equal(["100 all 0.0.0.0/0"]);
    });

    it("private: everything from the public and private subnets, replies from the isolated tier and the internet", () => {
        expect(text(acls.private.ingress)).to.deep.equal([
            "100 all 10.0.64.0/19",
            "101 all 10.0.192.0/19",
            "200 all 10.0.0.0/18",
            "201 all 10.0.128.0/18",
            "300 tcp/1024-65535 10.0.96.0/19",
            "301 tcp/1024-65535 10.0.224.0/19",
            "400 tcp/1024-3388 0.0.0.0/0",
            "401 tcp/3390-65535 0.0.0.0/0",
        ]);
        expect(text(acls.private.egress)).to.deep.equal(["100 all 0.0.0.0/0"]);
    });

    it("isolated: the data ports from the private subnets only, replies back to them, its own tier", () => {
        expect(text(acls.isolated.ingress)).to.deep.equal([
            "100 tcp/3306-3306 10.0.0.0/18",
            "101 tcp/3306-3306 10.0.128.0/18",
            "300 all 10.0.96.0/19",
            "301 all 10.0.224.0/19",
        ]);
        expect(text(acls.isolated.egress)).to.deep.equal([
            "100 tcp/1024-65535 10.0.0.0/18",
            "101 tcp/1024-65535 10.0.128.0/18",
            "300 all 10.0.96.0/19",
            "301 all 10.0.224.0/19",
        ]);
    });

    it("admit every data port given, each from every private subnet", () => {
        const two = networkAcls(subnetPlan("10.0.0.0/16", 2), [3306, 6379]);
        expect(text(two.isolated.ingress).slice(0, 4)).to.deep.equal([
            "100 tcp/3306-3306 10.0.0.0/18",
            "101 tcp/3306-3306 10.0.128.0/18",
            "110 tcp/6379-6379 10.0.0.0/18",
            "111 tcp/6379-6379 10.0.128.0/18",
        ]);
    });
});

describe("NAT instance user data", () => {
    const script = renderNatUserData(["10.0.0.0/18", "10.0.128.0/18"]);

    it("forwards and masquerades the private blocks and keeps the rules", () => {
        expect(script).to.include("PRIVATE_CIDRS=('10.0.0.0/18' '10.0.128.0/18')");
        expect(script).to.include("net.ipv4.ip_forward = 1");
        expect(script).to.include('iptables -t nat -A POSTROUTING -o "$iface" -s "$cidr" -j MASQUERADE');
        expect(script).to.include("iptables-save > /etc/sysconfig/iptables");
    });

    it("passes shellcheck", function () {
        expectShellcheckClean(this, script);
    });

    it("refuses what is not a block", () => {
        expect(() => renderNatUserData([])).to.throw("at least one private subnet block");
        expect(() => renderNatUserData(["10.0.0.0/18; rm -rf /"])).to.throw("is not an IPv4 CIDR");
    });
});

describe("NAT modes", () => {
    const runs = new Map<string, Promise<OfflineRun>>();
    const runOf = (mode: string) => {
        if (!runs.has(mode)) {
            runs.set(
                mode,
                build(
                    stackConfig("dev", {
                        aws: { natGateways: mode },
                        features: { vpcEndpoints: mode === "none" },
                    }),
                ),
            );
        }
        return runs.get(mode)!;
    };

    it("map to the VPC's NAT gateway strategy", async () => {
        const strategies: string[] = [];
        expect(NAT_MODES).to.have.length(4);
        for (const mode of NAT_MODES) {
            const run = await runOf(mode);
            strategies.push(run.plain(run.one(T.vpc)).natGateways.strategy);
        }
        expect(strategies).to.deep.equal(["None", "None", "Single", "OnePerAz"]);
    });

    it("never let the e-mail function reach the database, in any mode", async () => {
        expect(NAT_MODES).to.have.length(4);
        for (const mode of NAT_MODES) {
            const run = await runOf(mode);
            const dbGroup = run.one(T.sg, "-database-sg");
            const admitted = run
                .ofType(T.ingress)
                .filter((r) => (r.propertyDependencies.securityGroupId ?? []).includes(dbGroup.urn))
                .flatMap((r) => sources(run, r, "referencedSecurityGroupId").map((s) => s.name));
            expect(admitted, mode).to.deep.equal(["dev-compute-instance-sg"]);
        }
    });

    describe("instance", () => {
        let run: OfflineRun;
        let nat: Record<string, any>;
        let natResource: RecordedResource;
        before(async () => {
            run = await runOf("instance");
            natResource = run.one(T.instance);
            nat = run.plain(natResource);
        });

        it("runs one t4g.nano from the SSM Amazon Linux 2023 parameter, in the first public subnet", () => {
            expect(run.ofType(T.instance)).to.have.length(1);
            expect(nat).to.include({
                instanceType: "t4g.nano",
                ami: "ami-0fedcba9876543210",
                sourceDestCheck: false,
                associatePublicIpAddress: true,
                userDataReplaceOnChange: true,
                ebsOptimized: true,
            });
            expect(nat.subnetId).to.match(/^subnet-pub/);
            expect(nat.keyName).to.equal(undefined);
            expect(nat.metadataOptions).to.deep.equal({
                httpTokens: "required",
                httpEndpoint: "enabled",
                httpPutResponseHopLimit: 1,
            });
            expect(nat.rootBlockDevice).to.include({ encrypted: true, volumeType: "gp3" });
            expect(nat.userData).to.include("PRIVATE_CIDRS=('10.0.0.0/18' '10.0.128.0/18')");
        });

        it("is reached through Session Manager only (its role has the SSM core policy and nothing else)", () => {
            const profile = sources(run, natResource, "iamInstanceProfile")[0];
            const role = sources(run, profile, "role")[0];
            const attached = run
                .ofType(T.attachment)
                .filter((a) => (a.propertyDependencies.role ?? []).includes(role.urn))
                .map((a) => run.plain(a).policyArn);
            expect(attached).to.deep.equal(["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]);
            expect(run.ofType(T.rolePolicy).filter((p) => (p.propertyDependencies.role ?? []).includes(role.urn))).to.be
                .empty;
        });

        it("routes each private subnet's default route to the instance's interface", () => {
            const routes = run.ofType(T.route);
            expect(routes).to.have.length(2);
            for (const route of routes) {
                expect(run.plain(route).destinationCidrBlock).to.equal("0.0.0.0/0");
                expect(sources(run, route, "networkInterfaceId").map((r) => r.urn)).to.deep.equal([natResource.urn]);
            }
            const tables = new Set(routes.map((r) => run.plain(r).routeTableId));
            expect(tables.size).to.equal(2);
        });

        it("takes everything from the private subnets and sends HTTPS only", () => {
            const group = sources(run, natResource, "vpcSecurityGroupIds")[0];
            const rulesOf = (type: string) =>
                run
                    .ofType(type)
                    .filter((r) => (r.propertyDependencies.securityGroupId ?? []).includes(group.urn))
                    .map((r) => {
                        const p = run.plain(r);
                        return `${p.ipProtocol}/${p.fromPort ?? "*"} ${p.cidrIpv4}`;
                    });
            expect(rulesOf(T.ingress)).to.deep.equal(["-1/* 10.0.0.0/18", "-1/* 10.0.128.0/18"]);
            expect(rulesOf(T.egress)).to.deep.equal(["tcp/443 0.0.0.0/0"]);
        });

        it("is recovered on a failed system check and rebooted on a failed instance check, notifying the ops topic", () => {
            const alarms = run
                .ofType(T.alarm)
                .filter((a) => (a.propertyDependencies.dimensions ?? []).includes(natResource.urn))
                .map((a) => run.plain(a));
            expect(alarms.map((a) => [a.metricName, a.evaluationPeriods, a.alarmActions[0]])).to.deep.equal([
                ["StatusCheckFailed_System", 2, "arn:aws:automate:us-east-1:ec2:recover"],
                ["StatusCheckFailed_Instance", 3, "arn:aws:automate:us-east-1:ec2:reboot"],
            ]);
            const topic = run.one("aws:sns/topic:Topic", "-alerts-topic");
            for (const alarm of run
                .ofType(T.alarm)
                .filter((a) => (a.propertyDependencies.dimensions ?? []).includes(natResource.urn))) {
                expect(sources(run, alarm, "alarmActions").map((r) => r.urn)).to.include(topic.urn);
            }
        });

        it("leaves the instances' HTTPS egress to anywhere, through the instance", () => {
            expect(instanceEgress(run)).to.deep.include({
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
                cidrIpv4: "0.0.0.0/0",
            });
        });
    });

    describe("none", () => {
        let run: OfflineRun;
        before(async () => {
            run = await runOf("none");
        });

        it("builds no NAT and no route out of the private subnets", () => {
            expect(run.ofType(T.instance)).to.have.length(0);
            expect(run.ofType(T.route)).to.have.length(0);
            const vpc = run.plain(run.one(T.vpc));
            const derived = expandAwsxVpc(
                { urn: "urn:vpc", name: "dev-network-vpc", inputs: vpc, provider: "" },
                {
                    vpcId: "vpc-1",
                    publicSubnetIds: ["p1", "p2"],
                    privateSubnetIds: ["q1", "q2"],
                    isolatedSubnetIds: [],
                },
                "us-east-1",
            );
            expect(derived.filter((r) => r.type === "aws:ec2/natGateway:NatGateway")).to.have.length(0);
            const routes = derived.filter((r) => r.type === "aws:ec2/route:Route").map((r) => r.name);
            expect(routes).to.deep.equal(["dev-network-vpc-public-1", "dev-network-vpc-public-2"]);
        });

        it("puts the e-mail function outside the VPC, without network-interface permissions", () => {
            const fn = run.plain(run.one(T.fn));
            expect(fn.vpcConfig).to.equal(undefined);
            expect(run.ofType(T.sg).map((g) => g.name)).not.to.include("dev-messaging-function-sg");
            const policy = run.ofType(T.rolePolicy).find((p) => p.name === "dev-messaging-role-policy")!;
            const actions = statements(json(run, policy, "policy")).flatMap((s) => [s.Action].flat());
            expect(actions).not.to.include("ec2:CreateNetworkInterface");
            expect(actions).to.include("secretsmanager:GetSecretValue");
        });

        it("replaces the instances' egress to 0.0.0.0/0:443 by HTTPS to the endpoints and S3 only", () => {
            const egress = instanceEgress(run);
            expect(egress.filter((e) => e.cidrIpv4 === "0.0.0.0/0")).to.deep.equal([]);
            const endpointsGroup = run.one(T.sg, "-endpoints-sg");
            const s3 = run.ofType(T.endpoint).find((e) => run.plain(e).vpcEndpointType === "Gateway")!;
            const toEndpoints = run
                .ofType(T.egress)
                .filter((r) => r.name === "dev-endpoints-instances-to-endpoints")[0];
            const toS3 = run.ofType(T.egress).filter((r) => r.name === "dev-endpoints-instances-to-s3")[0];
            expect(sources(run, toEndpoints, "referencedSecurityGroupId").map((r) => r.urn)).to.deep.equal([
                endpointsGroup.urn,
            ]);
            expect(sources(run, toS3, "prefixListId").map((r) => r.urn)).to.deep.equal([s3.urn]);
            expect(egress.map((e) => [e.ipProtocol, e.fromPort, e.toPort])).to.deep.include.members([
                ["tcp", 443, 443],
                ["tcp", 3306, 3306],
            ]);
        });

        it("has an endpoint for every AWS API the tiers call", () => {
            const services = run.ofType(T.endpoint).map((e) => run.plain(e).serviceName);
            expect(services).to.have.members([
                ...INTERFACE_ENDPOINT_SERVICES.map((s) => `com.amazonaws.us-east-1.${s}`),
                "com.amazonaws.us-east-1.s3",
            ]);
            expect(INTERFACE_ENDPOINT_SERVICES).to.deep.equal([
                "secretsmanager",
                "ssm",
                "ssmmessages",
                "ec2messages",
                "logs",
                "monitoring",
                "kms",
                "sns",
                "sts",
            ]);
        });
    });

    it("single and onePerAz keep the function in the VPC with HTTPS egress only", async () => {
        for (const mode of ["single", "onePerAz"]) {
            const run = await runOf(mode);
            expect(run.plain(run.one(T.fn)).vpcConfig.subnetIds, mode).to.have.length(2);
            expect(run.ofType(T.instance), mode).to.have.length(0);
        }
    });
});

describe("isolated subnets (the staging stack)", () => {
    let run: OfflineRun;
    before(async () => {
        run = await buildStack("staging");
    });

    it("adds a third subnet tier per AZ", () => {
        const vpc = run.plain(run.one(T.vpc));
        expect(vpc.subnetSpecs.map((s: any) => [s.type, s.cidrBlocks])).to.deep.equal([
            ["Private", ["10.2.0.0/18", "10.2.128.0/18"]],
            ["Public", ["10.2.64.0/19", "10.2.192.0/19"]],
            ["Isolated", ["10.2.96.0/19", "10.2.224.0/19"]],
        ]);
    });

    it("routes the public tier to the internet gateway, the private tier to NAT and the isolated tier nowhere", () => {
        const vpc = run.plain(run.one(T.vpc));
        const derived = expandAwsxVpc(
            { urn: "urn:vpc", name: "staging-network-vpc", inputs: vpc, provider: "" },
            {
                vpcId: "vpc-1",
                publicSubnetIds: ["p1", "p2"],
                privateSubnetIds: ["q1", "q2"],
                isolatedSubnetIds: ["i1", "i2"],
            },
            "us-east-1",
        );
        const routes = derived
            .filter((r) => r.type === "aws:ec2/route:Route")
            .map((r) => `${r.name} ${r.inputs.gatewayId ? "igw" : r.inputs.natGatewayId ? "nat" : "?"}`);
        expect(routes).to.deep.equal([
            "staging-network-vpc-public-1 igw",
            "staging-network-vpc-private-1 nat",
            "staging-network-vpc-public-2 igw",
            "staging-network-vpc-private-2 nat",
        ]);
        expect(derived.filter((r) => r.type === "aws:ec2/subnet:Subnet").map((r) => r.name)).to.include.members([
            "staging-network-vpc-isolated-1",
            "staging-network-vpc-isolated-2",
        ]);
    });

    it("puts the database's subnet group in the isolated subnets", () => {
        const group = run.plain(run.one(T.subnetGroup));
        expect(group.subnetIds).to.have.length(2);
        expect(group.subnetIds.every((id: string) => id.startsWith("subnet-iso"))).to.equal(true);
    });

    it("gives each tier its network ACL, on that tier's subnets", () => {
        const acls = run.ofType(T.acl);
        expect(acls).to.have.length(3);
        const byName = Object.fromEntries(acls.map((a) => [a.name, run.plain(a)]));
        expect(
            Object.fromEntries(
                Object.entries(byName).map(([n, a]) => [n, a.subnetIds.map((id: string) => id.slice(0, 10))]),
            ),
        ).to.deep.equal({
            "staging-network-public-acl": ["subnet-pub", "subnet-pub"],
            "staging-network-private-acl": ["subnet-prv", "subnet-prv"],
            "staging-network-isolated-acl": ["subnet-iso", "subnet-iso"],
        });
        const isolated = byName["staging-network-isolated-acl"];
        expect(isolated.ingress.map((e: any) => `${e.protocol}/${e.fromPort} ${e.cidrBlock}`)).to.deep.equal([
            "tcp/3306 10.2.0.0/18",
            "tcp/3306 10.2.128.0/18",
            "-1/0 10.2.96.0/19",
            "-1/0 10.2.224.0/19",
        ]);
    });
});
