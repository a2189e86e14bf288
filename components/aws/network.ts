import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsSubnetPrefixes, parseCidr, subdivide, bitsFor } from "../../config/cidr";
import type { NatMode } from "../../config/profiles";
import { renderNatUserData } from "../../functions/boot/nat";
import { DATA_PORTS } from "../shared/dataPorts";
import type { NetworkOutputs } from "../shared/types";
import { serviceRole, type AwsAccount } from "./iam";
import { ALARM_THRESHOLDS } from "./thresholds";
import { Vpc, type NatGatewayLayout } from "./vpc";

/** The NAT instance's size: Graviton, the smallest that sustains a dev stack's egress. */
export const NAT_INSTANCE_TYPE = "t4g.nano";

/** The SSM public parameter holding the newest Amazon Linux 2023 image for arm64. */
export const NAT_INSTANCE_IMAGE_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64";

/** The NAT instance's alarms: a failed status check for this many consecutive minutes (`ALARM_THRESHOLDS`). */
export const NAT_ALARM_THRESHOLDS = {
    systemCheckMinutes: ALARM_THRESHOLDS.natSystemCheckMinutes,
    instanceCheckMinutes: ALARM_THRESHOLDS.natInstanceCheckMinutes,
} as const;

export interface NetworkArgs {
    account: AwsAccount;
    /** The VPC's IPv4 block. Default from `aws.vpcCidr`: dev 10.0.0.0/16, demo 10.1.0.0/16. */
    cidrBlock: string;
    /** Availability zones to spread subnets over (2-6). Default from `aws.azCount`: 2 (prod 3). */
    azCount: number;
    /**
     * How the private subnets reach the internet (`aws.natGateways`): `none` (no route out: AWS APIs
     * through VPC endpoints only), `instance` (one NAT instance), `single` (one NAT gateway) or
     * `onePerAz` (a NAT gateway per AZ). Default dev `instance`, staging `single`, others `onePerAz`.
     */
    natGateways: NatMode;
    /**
     * A third subnet tier per AZ without any route out, for the database (`aws.subnets.isolated`),
     * and network ACLs on every tier. Default true outside dev.
     */
    isolatedSubnets: boolean;
    /** The ports the isolated tier admits from the private subnets (`DATA_PORTS`). Default `[3306]` (MySQL). */
    dataPorts?: number[];
    /** Retention of the VPC flow log group in days. Default from `aws.logRetentionDays`: 30 in dev, else 365. */
    flowLogRetentionDays: number;
    /** The logs key (`Kms.keyArns.logs`): the flow log group is encrypted with it. */
    logsKeyArn: pulumi.Input<string>;
}

/** The subnet blocks per AZ, in AZ order. */
export interface SubnetPlan {
    readonly private: string[];
    readonly public: string[];
    /** The last quarter of each AZ's block (free unless the isolated tier is on). */
    readonly isolated: string[];
}

/**
 * Carves the VPC into one equal block per AZ; each block's first half is the private subnet, its
 * third quarter the public subnet and its last quarter the isolated subnet. 10.0.0.0/16 over 2 AZs
 * gives private 10.0.0.0/18 and 10.0.128.0/18, public 10.0.64.0/19 and 10.0.192.0/19, isolated
 * 10.0.96.0/19 and 10.0.224.0/19.
 */
export function subnetPlan(vpcCidr: string, azCount: number): SubnetPlan {
    const vpc = parseCidr(vpcCidr);
    if (!vpc) {
        throw new Error(`subnetPlan: ${vpcCidr} is not an IPv4 CIDR`);
    }
    const azBits = bitsFor(azCount);
    const prefixes = awsSubnetPrefixes(vpc.prefix, azCount);
    const azBlocks = Array.from({ length: azCount }, (_, i) => parseCidr(subdivide(vpc, azBits, i))!);
    return {
        private: azBlocks.map((block) => subdivide(block, prefixes.private - block.prefix, 0)),
        public: azBlocks.map((block) => subdivide(block, prefixes.public - block.prefix, 2)),
        isolated: azBlocks.map((block) => subdivide(block, prefixes.public - block.prefix, 3)),
    };
}

/** The NAT gateways of a mode: a NAT instance (`instance`) is not a gateway, so it has none. */
export function natGatewayLayout(mode: NatMode): NatGatewayLayout {
    return mode === "single" || mode === "onePerAz" ? mode : "none";
}

/** One network ACL entry (the fields of `aws.ec2.NetworkAcl`'s `ingress` / `egress`). */
export interface AclEntry {
    readonly ruleNo: number;
    readonly action: "allow";
    /** `tcp`, or `-1` for every protocol (ports 0). */
    readonly protocol: "tcp" | "-1";
    readonly fromPort: number;
    readonly toPort: number;
    readonly cidrBlock: string;
}

export interface TierAcl {
    readonly ingress: AclEntry[];
    readonly egress: AclEntry[];
}

const ANYWHERE = "0.0.0.0/0";

/**
 * Return traffic from the internet (to the load balancer, the NAT and the S3 gateway endpoint's
 * clients): the ephemeral ports, leaving out 3389 (RDP), which nothing here serves.
 */
const EPHEMERAL_FROM_ANYWHERE: ReadonlyArray<readonly [number, number]> = [
    [1024, 3388],
    [3390, 65535],
];

/**
 * The network ACL of each tier (stateless, so return traffic is allowed explicitly). Public: HTTP
 * and HTTPS from anywhere, return traffic from anywhere, everything from the private subnets (the
 * targets' replies, traffic through the NAT). Private: everything from the public and private
 * subnets, replies from the isolated tier, return traffic from the internet (through NAT, or S3's
 * gateway endpoint in `none`). Isolated: the data ports from the private subnets only, its own
 * tier (replication), replies to the private subnets. Egress is open on the public and private
 * tiers (security groups decide what leaves), closed on the isolated tier but for the replies.
 */
export function networkAcls(
    plan: SubnetPlan,
    dataPorts: readonly number[],
): Record<"public" | "private" | "isolated", TierAcl> {
    const entry = (ruleNo: number, protocol: "tcp" | "-1", cidrBlock: string, from = 0, to = from): AclEntry => ({
        ruleNo,
        action: "allow",
        protocol,
        fromPort: protocol === "-1" ? 0 : from,
        toPort: protocol === "-1" ? 0 : to,
        cidrBlock,
    });
    const ephemeral = (base: number) =>
        EPHEMERAL_FROM_ANYWHERE.map(([from, to], i) => entry(base + i, "tcp", ANYWHERE, from, to));
    const each = (cidrs: readonly string[], base: number, make: (ruleNo: number, cidr: string) => AclEntry) =>
        cidrs.map((cidr, i) => make(base + i, cidr));
    return {
        public: {
            ingress: [
                entry(100, "tcp", ANYWHERE, 443),
                entry(110, "tcp", ANYWHERE, 80),
                ...ephemeral(120),
                ...each(plan.private, 200, (n, cidr) => entry(n, "-1", cidr)),
            ],
            egress: [entry(100, "-1", ANYWHERE)],
        },
        private: {
            ingress: [
                ...each(plan.public, 100, (n, cidr) => entry(n, "-1", cidr)),
                ...each(plan.private, 200, (n, cidr) => entry(n, "-1", cidr)),
                ...each(plan.isolated, 300, (n, cidr) => entry(n, "tcp", cidr, 1024, 65535)),
                ...ephemeral(400),
            ],
            egress: [entry(100, "-1", ANYWHERE)],
        },
        isolated: {
            ingress: [
                ...dataPorts.flatMap((port, p) =>
                    each(plan.private, 100 + 10 * p, (n, cidr) => entry(n, "tcp", cidr, port)),
                ),
                ...each(plan.isolated, 300, (n, cidr) => entry(n, "-1", cidr)),
            ],
            egress: [
                ...each(plan.private, 100, (n, cidr) => entry(n, "tcp", cidr, 1024, 65535)),
                ...each(plan.isolated, 300, (n, cidr) => entry(n, "-1", cidr)),
            ],
        },
    };
}

/**
 * The VPC: public subnets (load balancer, NAT), private subnets (instances, function) and, with
 * `isolatedSubnets`, isolated subnets without any route out (database) across `azCount` AZs, with
 * a network ACL per tier; NAT for private egress as `natGateways` says (a NAT gateway, one per AZ,
 * a NAT instance, or none); flow logs of all traffic into an encrypted log group, and the VPC's
 * default security group closed (no rules: whatever lands in it is cut off).
 */
export class Network extends pulumi.ComponentResource implements NetworkOutputs {
    public readonly networkId: pulumi.Output<string>;
    public readonly publicSubnetIds: pulumi.Output<string[]>;
    public readonly privateSubnetIds: pulumi.Output<string[]>;
    /** The private subnets' route tables, in AZ order. */
    public readonly privateRouteTableIds: pulumi.Output<string[]>;
    /** The isolated tier's subnets (empty without it). */
    public readonly isolatedSubnetIds: pulumi.Output<string[]>;
    /** Where the database (and a cache) go: the isolated subnets if the tier is on, else the private ones. */
    public readonly dataSubnetIds: pulumi.Output<string[]>;
    public readonly cidrBlock: string;
    public readonly natMode: NatMode;
    public readonly flowLogGroupName: pulumi.Output<string>;
    /** The NAT instance (`instance` mode only). */
    public readonly natInstance?: aws.ec2.Instance;
    private readonly name: string;
    private readonly region: string;

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:Network", name, {}, opts);
        this.name = name;
        this.region = args.account.region;
        const plan = subnetPlan(args.cidrBlock, args.azCount);

        const vpc = new Vpc(
            `${name}-vpc`,
            {
                cidrBlock: args.cidrBlock,
                subnets: {
                    public: plan.public,
                    private: plan.private,
                    ...(args.isolatedSubnets ? { isolated: plan.isolated } : {}),
                },
                natGateways: natGatewayLayout(args.natGateways),
            },
            { parent: this },
        );
        // Taking over the default group removes AWS's rules from it (members to members, all egress).
        new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: vpc.vpcId }, { parent: this });

        const logGroup = vpcFlowLog(
            name,
            {
                vpcId: vpc.vpcId,
                account: args.account,
                retentionDays: args.flowLogRetentionDays,
                logsKeyArn: args.logsKeyArn,
            },
            this,
        );

        if (args.isolatedSubnets) {
            const acls = networkAcls(plan, args.dataPorts ?? [DATA_PORTS.mysql.port]);
            const tiers = [
                ["public", vpc.publicSubnetIds],
                ["private", vpc.privateSubnetIds],
                ["isolated", vpc.isolatedSubnetIds],
            ] as const;
            for (const [tier, subnetIds] of tiers) {
                new aws.ec2.NetworkAcl(
                    `${name}-${tier}-acl`,
                    { vpcId: vpc.vpcId, subnetIds, ingress: acls[tier].ingress, egress: acls[tier].egress },
                    { parent: this },
                );
            }
        }

        if (args.natGateways === "instance") {
            this.natInstance = this.natInstanceFor(args, plan, vpc);
        }

        this.networkId = vpc.vpcId;
        this.publicSubnetIds = vpc.publicSubnetIds;
        this.privateSubnetIds = vpc.privateSubnetIds;
        this.privateRouteTableIds = vpc.privateRouteTableIds;
        this.isolatedSubnetIds = args.isolatedSubnets ? vpc.isolatedSubnetIds : pulumi.output([]);
        this.dataSubnetIds = args.isolatedSubnets ? vpc.isolatedSubnetIds : vpc.privateSubnetIds;
        this.cidrBlock = args.cidrBlock;
        this.natMode = args.natGateways;
        this.flowLogGroupName = logGroup.name;
        this.registerOutputs({
            networkId: this.networkId,
            publicSubnetIds: this.publicSubnetIds,
            privateSubnetIds: this.privateSubnetIds,
            isolatedSubnetIds: this.isolatedSubnetIds,
        });
    }

    /**
     * One NAT instance in the first public subnet: Graviton `t4g.nano` from the newest Amazon
     * Linux 2023 image (read from SSM's public parameter when the instance is created; a newer
     * image is taken on replacement, not on every run), source/destination check off, iptables
     * masquerade from its user data, IMDSv2 only, no key pair (Session Manager only), an encrypted
     * root volume, and a default route to it in every private route table. Its security group
     * takes everything from the private subnets and sends HTTPS only.
     */
    private natInstanceFor(args: NetworkArgs, plan: SubnetPlan, vpc: Vpc): aws.ec2.Instance {
        const name = this.name;
        const child = { parent: this };
        const group = new aws.ec2.SecurityGroup(
            `${name}-nat-sg`,
            {
                vpcId: vpc.vpcId,
                description: "NAT instance: traffic from the private subnets in, HTTPS out",
                revokeRulesOnDelete: true,
            },
            child,
        );
        plan.private.forEach((cidr, i) => {
            new aws.vpc.SecurityGroupIngressRule(
                `${name}-nat-in-${i + 1}`,
                {
                    securityGroupId: group.id,
                    cidrIpv4: cidr,
                    ipProtocol: "-1",
                    description: `Everything from private subnet ${i + 1} (to be forwarded)`,
                },
                child,
            );
        });
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-nat-out-https`,
            {
                securityGroupId: group.id,
                cidrIpv4: "0.0.0.0/0",
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
                description: "HTTPS to the internet (forwarded traffic and the instance's own updates)",
            },
            child,
        );
        const role = serviceRole(`${name}-nat`, "ec2.amazonaws.com", args.account, [], {
            ...child,
            description: "NAT instance: Session Manager only",
            managedPolicyArns: [
                pulumi.interpolate`arn:${args.account.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`,
            ],
            sourceAccount: false,
        });
        const profile = new aws.iam.InstanceProfile(`${name}-nat`, { role: role.name }, child);
        const image = aws.ssm.getParameterOutput({ name: NAT_INSTANCE_IMAGE_PARAMETER }, child);
        const instance = new aws.ec2.Instance(
            `${name}-nat`,
            {
                ami: image.value,
                instanceType: NAT_INSTANCE_TYPE,
                subnetId: vpc.publicSubnetIds.apply((ids) => ids[0]),
                vpcSecurityGroupIds: [group.id],
                associatePublicIpAddress: true,
                sourceDestCheck: false,
                iamInstanceProfile: profile.name,
                userData: renderNatUserData(plan.private),
                userDataReplaceOnChange: true,
                metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
                rootBlockDevice: { encrypted: true, volumeType: "gp3", volumeSize: 8, deleteOnTermination: true },
                ebsOptimized: true,
                // Status checks are one-minute metrics without detailed monitoring ($2.10 a month more).
                monitoring: false,
            },
            { ...child, ignoreChanges: ["ami"] },
        );
        plan.private.forEach((_, i) => {
            new aws.ec2.Route(
                `${name}-nat-route-${i + 1}`,
                {
                    routeTableId: vpc.privateRouteTableIds.apply((ids) => ids[i]),
                    destinationCidrBlock: "0.0.0.0/0",
                    networkInterfaceId: instance.primaryNetworkInterfaceId,
                },
                child,
            );
        });
        return instance;
    }

    /**
     * The NAT instance's alarms (`instance` mode; none otherwise): a failed system status check
     * recovers the instance onto other hardware, a failed instance status check reboots it; both
     * notify `alarmActions`.
     */
    public watchNatInstance(alarmActions: pulumi.Input<string>[]): void {
        const instance = this.natInstance;
        if (instance === undefined) {
            return;
        }
        const region = this.region;
        const alarm = (role: string, metricName: string, minutes: number, action: pulumi.Input<string>, what: string) =>
            new aws.cloudwatch.MetricAlarm(
                `${this.name}-nat-${role}`,
                {
                    alarmDescription: `NAT instance: ${what}`,
                    namespace: "AWS/EC2",
                    metricName,
                    dimensions: { InstanceId: instance.id },
                    statistic: "Maximum",
                    period: 60,
                    evaluationPeriods: minutes,
                    threshold: 0,
                    comparisonOperator: "GreaterThanThreshold",
                    treatMissingData: "breaching",
                    alarmActions: [action, ...alarmActions],
                    okActions: alarmActions,
                },
                { parent: this },
            );
        alarm(
            "recovery",
            "StatusCheckFailed_System",
            NAT_ALARM_THRESHOLDS.systemCheckMinutes,
            `arn:aws:automate:${region}:ec2:recover`,
            "the system status check failed; recovering it onto healthy hardware",
        );
        alarm(
            "health",
            "StatusCheckFailed_Instance",
            NAT_ALARM_THRESHOLDS.instanceCheckMinutes,
            `arn:aws:automate:${region}:ec2:reboot`,
            "the instance status check failed (the private subnets have no egress); rebooting it",
        );
    }
}

/**
 * Flow logs of all of a VPC's traffic into a log group (`${name}-flow-logs`) through a role that
 * may write there only. Returns the log group.
 */
export function vpcFlowLog(
    name: string,
    args: {
        vpcId: pulumi.Input<string>;
        account: AwsAccount;
        retentionDays: number;
        /** The region's logs key (`Kms.keyArns.logs`): the log group is encrypted with it. */
        logsKeyArn: pulumi.Input<string>;
    },
    parent: pulumi.Resource,
): aws.cloudwatch.LogGroup {
    const logGroup = new aws.cloudwatch.LogGroup(
        `${name}-flow-logs`,
        { retentionInDays: args.retentionDays, kmsKeyId: args.logsKeyArn },
        { parent },
    );
    const role = serviceRole(
        `${name}-flow-logs`,
        "vpc-flow-logs.amazonaws.com",
        args.account,
        [
            {
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                Resource: [logGroup.arn, pulumi.interpolate`${logGroup.arn}:*`],
            },
        ],
        { parent, description: "Lets VPC Flow Logs write to its log group" },
    );
    new aws.ec2.FlowLog(
        `${name}-flow-log`,
        {
            vpcId: args.vpcId,
            trafficType: "ALL",
            logDestinationType: "cloud-watch-logs",
            logDestination: logGroup.arn,
            iamRoleArn: role.arn,
            maxAggregationInterval: 60,
        },
        { parent },
    );

    return logGroup;
}
