import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsFeature } from "./types";

/**
 * Interface endpoints for the AWS APIs the instances and the function call: secrets, Systems
 * Manager (Session Manager needs all three), logs and metrics, KMS, SNS and STS.
 */
export const INTERFACE_ENDPOINT_SERVICES = [
    "secretsmanager",
    "ssm",
    "ssmmessages",
    "ec2messages",
    "logs",
    "monitoring",
    "kms",
    "sns",
    "sts",
] as const;

/** The registry endpoints that image pulls from the private subnets need (`aws.compute: fargate`). */
export const REGISTRY_ENDPOINT_SERVICES = ["ecr.api", "ecr.dkr"] as const;

export interface VpcEndpointsArgs {
    region: string;
    vpcId: pulumi.Input<string>;
    /** The VPC's block: endpoints accept HTTPS from anywhere inside it. */
    vpcCidr: string;
    /** The private subnets (one endpoint network interface per subnet). */
    privateSubnetIds: pulumi.Input<string[]>;
    /** The private subnets' route tables: the S3 gateway endpoint adds its route to each. */
    privateRouteTableIds: pulumi.Input<string[]>;
    /** Add the ECR API and registry endpoints (containers pull their image). Default false. */
    registry?: boolean;
}

/**
 * Opt-in VPC endpoints (`features.vpcEndpoints`): AWS API traffic from the private subnets stays on
 * the AWS network instead of crossing the NAT gateways (cheaper data processing, no internet path
 * for secrets). S3 gets a free gateway endpoint on the private route tables.
 */
export class VpcEndpoints extends pulumi.ComponentResource {
    public readonly securityGroupId: pulumi.Output<string>;
    /** The S3 gateway endpoint's prefix list (S3's addresses, for security-group rules). */
    public readonly s3PrefixListId: pulumi.Output<string>;
    private readonly name: string;

    constructor(name: string, args: VpcEndpointsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:VpcEndpoints", name, {}, opts);
        this.name = name;
        const child = { parent: this };

        const securityGroup = new aws.ec2.SecurityGroup(
            `${name}-sg`,
            {
                vpcId: args.vpcId,
                description: "AWS API endpoints: HTTPS from inside the VPC",
                ingress: [
                    {
                        protocol: "tcp",
                        fromPort: 443,
                        toPort: 443,
                        cidrBlocks: [args.vpcCidr],
                        description: "HTTPS from the VPC",
                    },
                ],
                revokeRulesOnDelete: true,
            },
            child,
        );
        const services = [...INTERFACE_ENDPOINT_SERVICES, ...(args.registry ? REGISTRY_ENDPOINT_SERVICES : [])];
        for (const service of services) {
            new aws.ec2.VpcEndpoint(
                `${name}-${service}`,
                {
                    vpcId: args.vpcId,
                    serviceName: `com.amazonaws.${args.region}.${service}`,
                    vpcEndpointType: "Interface",
                    privateDnsEnabled: true,
                    subnetIds: args.privateSubnetIds,
                    securityGroupIds: [securityGroup.id],
                },
                child,
            );
        }

        const s3 = new aws.ec2.VpcEndpoint(
            `${name}-s3`,
            {
                vpcId: args.vpcId,
                serviceName: `com.amazonaws.${args.region}.s3`,
                vpcEndpointType: "Gateway",
                routeTableIds: args.privateRouteTableIds,
            },
            child,
        );

        this.securityGroupId = securityGroup.id;
        this.s3PrefixListId = s3.prefixListId;
        this.registerOutputs({ securityGroupId: this.securityGroupId });
    }

    /**
     * HTTPS egress from `securityGroupId` to the endpoints and to S3 (through its gateway
     * endpoint) only: the egress of a workload in a VPC without NAT.
     */
    public allowFrom(role: string, securityGroupId: pulumi.Input<string>): void {
        const peers = [
            ["endpoints", { referencedSecurityGroupId: this.securityGroupId }, "the AWS API endpoints"],
            ["s3", { prefixListId: this.s3PrefixListId }, "S3 through its gateway endpoint"],
        ] as const;
        for (const [peer, target, what] of peers) {
            new aws.vpc.SecurityGroupEgressRule(
                `${this.name}-${role}-to-${peer}`,
                {
                    securityGroupId,
                    ipProtocol: "tcp",
                    fromPort: 443,
                    toPort: 443,
                    ...target,
                    description: `HTTPS to ${what}`,
                },
                { parent: this },
            );
        }
    }
}

/** `features.vpcEndpoints`: the endpoints in the platform's VPC. */
export const AWS_VPC_ENDPOINTS: AwsFeature = {
    build: (ctx, { network, compute }) => {
        const endpoints = new VpcEndpoints(
            ctx.name("endpoints"),
            {
                region: ctx.config.aws.region,
                vpcId: network.networkId,
                vpcCidr: network.cidrBlock,
                privateSubnetIds: network.privateSubnetIds,
                privateRouteTableIds: network.privateRouteTableIds,
                registry: ctx.config.aws.compute === "fargate",
            },
            ctx.tierOpts,
        );
        // Without NAT the endpoints are the backend's only way out.
        if (ctx.config.aws.natGateways === "none") {
            endpoints.allowFrom(compute.label, compute.backend.securityGroupId);
        }
    },
};
