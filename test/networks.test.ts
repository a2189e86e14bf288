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
import type { OfflineRun, RecordedResource } from "../tools/offline/run";
import { expectShellcheckClean } from "./boot/harness";
import { build, buildStack, json, stackConfig, statements, TEST_MAILGUN_KEY } from "./support";
import * as pulumi from "@pulumi/pulumi";

const T = {
    vpc: "aws:ec2/vpc:Vpc",
    vpcComponent: "webapp:aws:Vpc",
    subnet: "aws:ec2/subnet:Subnet",
    routeTable: "aws:ec2/routeTable:RouteTable",
    association: "aws:ec2/routeTableAssociation:RouteTableAssociation",
    igw: "aws:ec2/internetGateway:InternetGateway",
    eip: "aws:ec2/eip:Eip",
    natGateway: "aws:ec2/natGateway:NatGateway",
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

/** Each route as `<name> -> <target type>` (igw, nat, nat-instance), sorted. */
function routeTargets(run: OfflineRun): string[] {
    return run
        .ofType(T.route)
        .map((r) => {
            const p = run.plain(r);
            const target = p.gatewayId ? "igw" : p.natGatewayId ? "nat" : p.networkInterfaceId ? "nat-instance" : "?";
            return `${r.name} -> ${target}`;
        })
        .sort();
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

    it("make NAT gateways with an Elastic IP each: none, none (the instance), one, one per AZ", async () => {
        const counts: Array<[number, number]> = [];
        expect(NAT_MODES).to.have.length(4);
        for (const mode of NAT_MODES) {
            const run = await runOf(mode);
            counts.push([run.ofType(T.natGateway).length, run.ofType(T.eip).length]);
        }
        expect(counts).to.deep.equal([
            [0, 0],
            [0, 0],
            [1, 1],
            [2, 2],
        ]);
    });

    it("onePerAz: one gateway in each AZ's public subnet, each private subnet routed to its own AZ's", async () => {
        const run = await runOf("onePerAz");
        const gateways = run.ofType(T.natGateway);
        expect(gateways.map((g) => `${g.name} in ${sources(run, g, "subnetId")[0].name}`)).to.deep.equal([
            "dev-network-vpc-1 in dev-network-vpc-public-1",
            "dev-network-vpc-2 in dev-network-vpc-public-2",
        ]);
        expect(gateways.map((g) => sources(run, g, "allocationId")[0].name)).to.deep.equal([
            "dev-network-vpc-1",
            "dev-network-vpc-2",
        ]);
        expect(run.ofType(T.eip).map((e) => run.plain(e).domain)).to.deep.equal(["vpc", "vpc"]);
        const privateRoutes = run
            .ofType(T.route)
            .filter((r) => r.name.includes("-private-"))
            .sort((a, b) => a.name.localeCompare(b.name));
        expect(privateRoutes.map((r) => `${r.name} -> ${sources(run, r, "natGatewayId")[0].name}`)).to.deep.equal([
            "dev-network-vpc-private-1 -> dev-network-vpc-1",
            "dev-network-vpc-private-2 -> dev-network-vpc-2",
        ]);
    });

    it("single: the first AZ's gateway serves both private subnets", async () => {
        const run = await runOf("single");
        expect(routeTargets(run)).to.deep.equal([
            "dev-network-vpc-private-1 -> nat",
            "dev-network-vpc-private-2 -> nat",
            "dev-network-vpc-public-1 -> igw",
            "dev-network-vpc-public-2 -> igw",
        ]);
        const privateRoutes = run.ofType(T.route).filter((r) => r.name.includes("-private-"));
        expect(privateRoutes.map((r) => sources(run, r, "natGatewayId").map((g) => g.name))).to.deep.equal([
            ["dev-network-vpc-1"],
            ["dev-network-vpc-1"],
        ]);
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

        it("routes each private subnet's default route to the instance's interface, in that subnet's table", () => {
            const routes = run.ofType(T.route).filter((r) => r.name.startsWith("dev-network-nat-route-"));
            expect(routes).to.have.length(2);
            for (const route of routes) {
                expect(run.plain(route).destinationCidrBlock).to.equal("0.0.0.0/0");
                expect(sources(run, route, "networkInterfaceId").map((r) => r.urn)).to.deep.equal([natResource.urn]);
            }
            // Route i takes the i-th of the private tables' IDs: one route per table.
            for (const route of routes) {
                expect(sources(run, route, "routeTableId").map((r) => r.name)).to.have.members([
                    "dev-network-vpc-private-1",
                    "dev-network-vpc-private-2",
                ]);
            }
            const tables = routes.map((r) => String(run.plain(r).routeTableId));
            expect(new Set(tables).size).to.equal(2);
            expect(tables.every((id) => id.startsWith("rtb-"))).to.equal(true);
            expect(run.ofType(T.natGateway)).to.have.length(0);
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
            expect(run.ofType(T.natGateway)).to.have.length(0);
            expect(routeTargets(run)).to.deep.equal([
                "dev-network-vpc-public-1 -> igw",
                "dev-network-vpc-public-2 -> igw",
            ]);
        });

        it("puts the S3 gateway endpoint on the private subnets' route tables", () => {
            const s3 = run.ofType(T.endpoint).find((e) => run.plain(e).vpcEndpointType === "Gateway")!;
            expect(sources(run, s3, "routeTableIds").map((r) => r.name)).to.deep.equal([
                "dev-network-vpc-private-1",
                "dev-network-vpc-private-2",
            ]);
            expect(run.invokes.filter((i) => i.token.startsWith("aws:ec2/getRouteTable"))).to.deep.equal([]);
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
        const subnets = run.ofType(T.subnet).map((r) => {
            const p = run.plain(r);
            return `${r.name} ${p.availabilityZone} ${p.cidrBlock} ${p.tags.SubnetType}`;
        });
        expect(subnets).to.deep.equal([
            "staging-network-vpc-public-1 us-east-1a 10.2.64.0/19 Public",
            "staging-network-vpc-private-1 us-east-1a 10.2.0.0/18 Private",
            "staging-network-vpc-isolated-1 us-east-1a 10.2.96.0/19 Isolated",
            "staging-network-vpc-public-2 us-east-1b 10.2.192.0/19 Public",
            "staging-network-vpc-private-2 us-east-1b 10.2.128.0/18 Private",
            "staging-network-vpc-isolated-2 us-east-1b 10.2.224.0/19 Isolated",
        ]);
        expect(run.ofType(T.subnet).map((r) => run.plain(r).mapPublicIpOnLaunch)).to.deep.equal([
            false,
            false,
            false,
            false,
            false,
            false,
        ]);
    });

    it("routes the public tier to the internet gateway, the private tier to NAT and the isolated tier nowhere", () => {
        expect(routeTargets(run)).to.deep.equal([
            "staging-network-vpc-private-1 -> nat",
            "staging-network-vpc-private-2 -> nat",
            "staging-network-vpc-public-1 -> igw",
            "staging-network-vpc-public-2 -> igw",
        ]);
        const associations = run.ofType(T.association).map((a) => {
            const table = sources(run, a, "routeTableId")[0].name;
            const subnet = sources(run, a, "subnetId")[0].name;
            return table === subnet ? table : `${table} != ${subnet}`;
        });
        expect(associations).to.deep.equal([
            "staging-network-vpc-public-1",
            "staging-network-vpc-private-1",
            "staging-network-vpc-isolated-1",
            "staging-network-vpc-public-2",
            "staging-network-vpc-private-2",
            "staging-network-vpc-isolated-2",
        ]);
    });

    it("names and nests the VPC's resources as awsx did, under a component aliased to awsx's type", () => {
        const chain = (r: RecordedResource): string => {
            const names: string[] = [];
            for (let at: RecordedResource | undefined = r; at; at = at.parent ? run.byUrn(at.parent) : undefined) {
                names.push(`${at.type.split(":").pop()}(${at.name})`);
                if (at.type === T.vpcComponent) {
                    break;
                }
            }
            return names.join(" < ");
        };
        expect(chain(run.one(T.igw))).to.equal(
            "InternetGateway(staging-network-vpc) < Vpc(staging-network-vpc) < Vpc(staging-network-vpc)",
        );
        expect(chain(run.one(T.route, "-private-1"))).to.equal(
            "Route(staging-network-vpc-private-1) < RouteTable(staging-network-vpc-private-1) < " +
                "Subnet(staging-network-vpc-private-1) < Vpc(staging-network-vpc) < Vpc(staging-network-vpc)",
        );
        expect(chain(run.one(T.association, "-isolated-2"))).to.equal(
            "RouteTableAssociation(staging-network-vpc-isolated-2) < RouteTable(staging-network-vpc-isolated-2) < " +
                "Subnet(staging-network-vpc-isolated-2) < Vpc(staging-network-vpc) < Vpc(staging-network-vpc)",
        );
        expect(chain(run.one(T.natGateway))).to.equal(
            "NatGateway(staging-network-vpc-1) < Subnet(staging-network-vpc-public-1) < " +
                "Vpc(staging-network-vpc) < Vpc(staging-network-vpc)",
        );
        const component = run.one(T.vpcComponent);
        expect(component.aliases.map((a) => a.type)).to.deep.equal(["awsx:ec2:Vpc"]);
    });

    it("lets the database's subnet group wait for the isolated subnets only, not the NAT gateway", () => {
        const group = run.one(T.subnetGroup);
        expect(sources(run, group, "subnetIds").map((r) => r.name)).to.deep.equal([
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
