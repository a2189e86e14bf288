import * as aws from "@pulumi/aws";
// The ec2 module only: the package index also loads its ECS, ECR and Docker modules (about a second).
import * as awsxEc2 from "@pulumi/awsx/ec2";
import * as pulumi from "@pulumi/pulumi";
import { awsSubnetPrefixes, parseCidr, subdivide, bitsFor } from "../../config/cidr";
import type { NetworkOutputs } from "../shared/types";
import { serviceRole, type AwsAccount } from "./iam";
import { vpcChildInputs } from "./vpcChildren";

export interface NetworkArgs {
    account: AwsAccount;
    /** The VPC's IPv4 block. Default from `aws.vpcCidr`: dev 10.0.0.0/16, demo 10.1.0.0/16. */
    cidrBlock: string;
    /** Availability zones to spread subnets over (2-6). Default 2. */
    azCount: number;
    /** `single` (one shared NAT gateway, cheaper) or `onePerAz` (no cross-AZ dependency). */
    natGateways: "single" | "onePerAz";
    /** Retention of the VPC flow log group in days. Default from `aws.logRetentionDays`: 30 in dev, else 365. */
    flowLogRetentionDays: number;
    /** The logs key (`Kms.keyArns.logs`): the flow log group is encrypted with it. */
    logsKeyArn: pulumi.Input<string>;
}

/**
 * The `transforms` option of the awsx VPC: its subnets and Elastic IPs get the inputs
 * `vpcChildInputs` gives them; other children are left as awsx makes them.
 */
export const vpcChildrenTransform: pulumi.ResourceTransform = (args) => {
    const props = vpcChildInputs(args.type, args.props);
    return props === undefined ? undefined : { props, opts: args.opts };
};

/** The subnet blocks per AZ, in AZ order. */
export interface SubnetPlan {
    readonly private: string[];
    readonly public: string[];
}

/**
 * Carves the VPC into one equal block per AZ; each block's first half is the private subnet and its
 * third quarter the public subnet; the last quarter is left free. 10.0.0.0/16 over 2 AZs gives
 * private 10.0.0.0/18 and 10.0.128.0/18, public 10.0.64.0/19 and 10.0.192.0/19.
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
    };
}

/**
 * The VPC: public subnets (load balancer, NAT gateways) and private subnets (instances, database,
 * function) across `azCount` AZs, NAT for private egress, flow logs of all traffic into an encrypted
 * log group, and the VPC's default security group closed (no rules: whatever lands in it is cut off).
 */
export class Network extends pulumi.ComponentResource implements NetworkOutputs {
    public readonly networkId: pulumi.Output<string>;
    public readonly publicSubnetIds: pulumi.Output<string[]>;
    public readonly privateSubnetIds: pulumi.Output<string[]>;
    public readonly cidrBlock: string;
    public readonly flowLogGroupName: pulumi.Output<string>;

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:Network", name, {}, opts);
        const plan = subnetPlan(args.cidrBlock, args.azCount);

        const vpc = new awsxEc2.Vpc(
            `${name}-vpc`,
            {
                cidrBlock: args.cidrBlock,
                numberOfAvailabilityZones: args.azCount,
                enableDnsHostnames: true,
                enableDnsSupport: true,
                subnetStrategy: "Auto",
                subnetSpecs: [
                    { type: "Private", name: "private", cidrBlocks: plan.private },
                    { type: "Public", name: "public", cidrBlocks: plan.public },
                ],
                natGateways: { strategy: args.natGateways === "single" ? "Single" : "OnePerAz" },
            },
            { parent: this, transforms: [vpcChildrenTransform] },
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

        this.networkId = vpc.vpcId;
        this.publicSubnetIds = vpc.publicSubnetIds;
        this.privateSubnetIds = vpc.privateSubnetIds;
        this.cidrBlock = args.cidrBlock;
        this.flowLogGroupName = logGroup.name;
        this.registerOutputs({
            networkId: this.networkId,
            publicSubnetIds: this.publicSubnetIds,
            privateSubnetIds: this.privateSubnetIds,
        });
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
