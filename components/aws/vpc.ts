/**
 * The VPC as plain resources: the VPC, an internet gateway, a subnet per tier and AZ with its own
 * route table, NAT gateways with their Elastic IPs, and the routes out. Each output depends only on
 * the resources it names: the subnet IDs resolve once the subnets exist, without waiting for the NAT
 * gateways (1-2 minutes), so the database, the load balancer and the instances start in parallel
 * with them. awsx's `ec2.Vpc` builds the same resources, but as a remote component whose outputs
 * resolve only when all its children exist, and whose children a plan or scan cannot see.
 *
 * Names and nesting are those awsx 3 gives the same layout, so a stack first deployed with it keeps
 * every resource: the VPC `<name>` under the component, the internet gateway `<name>` and the
 * subnets `<name>-<tier>-<AZ number>` under the VPC (public, private, isolated per AZ), each route
 * table under its subnet, its association and routes under the table, and the Elastic IP and NAT
 * gateway `<name>-<AZ number>` under their public subnet. The component takes the awsx type as an
 * alias; its children follow through their parents.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export const SUBNET_TIERS = ["public", "private", "isolated"] as const;
export type SubnetTier = (typeof SUBNET_TIERS)[number];

/** The `SubnetType` tag of each tier (awsx's spelling). */
export const SUBNET_TYPE_TAG: Readonly<Record<SubnetTier, string>> = {
    public: "Public",
    private: "Private",
    isolated: "Isolated",
};

/** NAT gateways: none, one in the first AZ's public subnet for every private subnet, or one per AZ. */
export type NatGatewayLayout = "none" | "single" | "onePerAz";

export interface VpcLayout {
    readonly cidrBlock: string;
    /** The subnet blocks of each tier, one per AZ in AZ order; a tier left out has no subnets. */
    readonly subnets: Readonly<Partial<Record<SubnetTier, readonly string[]>>>;
    readonly natGateways: NatGatewayLayout;
}

/** What differs between the program's VPC and awsx's (the engine stand-in builds the latter). */
export interface VpcChildSettings {
    /** Public subnets give instances a public IP on launch. The program: false (only the ALB and NAT live there, with their own addresses). */
    readonly mapPublicIpOnLaunch: boolean;
    /** The Elastic IPs' `domain`. The program: `vpc`, what AWS gives them anyway, stated so the plan and scan see it. */
    readonly eipDomain?: "vpc";
}

export const PROGRAM_VPC_SETTINGS: VpcChildSettings = { mapPublicIpOnLaunch: false, eipDomain: "vpc" };

/** The number of AZs a layout spans: every tier it has must list the same number of blocks. */
export function layoutZoneCount(layout: VpcLayout): number {
    const counts = [...new Set(Object.values(layout.subnets).map((blocks) => blocks.length))];
    if (counts.length !== 1 || counts[0] === 0) {
        throw new Error(
            `the VPC layout needs the same number (at least 1) of subnet blocks in every tier, got ${counts.join(", ")}`,
        );
    }
    return counts[0];
}

/** The outputs of a VPC component: its ID, each tier's subnet IDs and the private route tables' IDs. */
export interface VpcOutputs {
    readonly vpcId: pulumi.Output<string>;
    readonly publicSubnetIds: pulumi.Output<string[]>;
    readonly privateSubnetIds: pulumi.Output<string[]>;
    readonly isolatedSubnetIds: pulumi.Output<string[]>;
    readonly privateRouteTableIds: pulumi.Output<string[]>;
}

/**
 * The VPC's resources under `parent` (a component), over the region's first AZs as
 * `aws.getAvailabilityZones` lists them for `parent`'s provider, read on each run (as awsx does).
 * Each output depends on the resources it names only.
 */
export function buildVpc(
    name: string,
    layout: VpcLayout,
    settings: VpcChildSettings,
    parent: pulumi.Resource,
): VpcOutputs {
    const azCount = layoutZoneCount(layout);
    const zones = aws.getAvailabilityZonesOutput(undefined, { parent }).names;
    const zoneNames = zones.apply((names) => {
        if (names.length < azCount) {
            throw new Error(`${name}: the region has ${names.length} availability zones, the VPC needs ${azCount}`);
        }
        return names.slice(0, azCount);
    });
    const sharedTags = { Name: name };
    const vpc = new aws.ec2.Vpc(
        name,
        { cidrBlock: layout.cidrBlock, enableDnsHostnames: true, enableDnsSupport: true, tags: sharedTags },
        { parent },
    );
    const igw = new aws.ec2.InternetGateway(
        name,
        { vpcId: vpc.id, tags: sharedTags },
        { parent: vpc, dependsOn: [vpc] },
    );
    const subnets: Record<SubnetTier, aws.ec2.Subnet[]> = { public: [], private: [], isolated: [] };
    const privateRouteTables: aws.ec2.RouteTable[] = [];
    const natGateways: aws.ec2.NatGateway[] = [];
    for (let i = 0; i < azCount; i++) {
        for (const tier of SUBNET_TIERS) {
            const cidrBlock = layout.subnets[tier]?.[i];
            if (cidrBlock === undefined) {
                continue;
            }
            const subnetName = `${name}-${tier}-${i + 1}`;
            const tags = { Name: subnetName, SubnetType: SUBNET_TYPE_TAG[tier] };
            const subnet = new aws.ec2.Subnet(
                subnetName,
                {
                    vpcId: vpc.id,
                    availabilityZone: zoneNames.apply((names) => names[i]),
                    mapPublicIpOnLaunch: tier === "public" && settings.mapPublicIpOnLaunch,
                    cidrBlock,
                    assignIpv6AddressOnCreation: false,
                    tags,
                },
                { parent: vpc, dependsOn: [vpc] },
            );
            subnets[tier].push(subnet);
            const table = new aws.ec2.RouteTable(
                subnetName,
                { vpcId: vpc.id, tags },
                { parent: subnet, dependsOn: [subnet] },
            );
            new aws.ec2.RouteTableAssociation(
                subnetName,
                { routeTableId: table.id, subnetId: subnet.id },
                { parent: table, dependsOn: [table] },
            );
            const underTable = { parent: table, dependsOn: [table] };
            if (tier === "public") {
                const wantsNat =
                    layout.natGateways === "onePerAz" || (layout.natGateways === "single" && natGateways.length === 0);
                if (wantsNat) {
                    const natName = `${name}-${i + 1}`;
                    const natTags = { Name: natName };
                    const underSubnet = { parent: subnet, dependsOn: [subnet] };
                    const eip = new aws.ec2.Eip(
                        natName,
                        settings.eipDomain === undefined
                            ? { tags: natTags }
                            : { domain: settings.eipDomain, tags: natTags },
                        underSubnet,
                    );
                    natGateways.push(
                        new aws.ec2.NatGateway(
                            natName,
                            { subnetId: subnet.id, allocationId: eip.allocationId, tags: natTags },
                            underSubnet,
                        ),
                    );
                }
                new aws.ec2.Route(
                    subnetName,
                    { routeTableId: table.id, gatewayId: igw.id, destinationCidrBlock: "0.0.0.0/0" },
                    underTable,
                );
            } else if (tier === "private") {
                privateRouteTables.push(table);
                // No gateway (`none`): no route out.
                const nat = layout.natGateways === "single" ? natGateways[0] : natGateways[i];
                if (nat !== undefined) {
                    new aws.ec2.Route(
                        subnetName,
                        { routeTableId: table.id, natGatewayId: nat.id, destinationCidrBlock: "0.0.0.0/0" },
                        underTable,
                    );
                }
            }
            // Isolated subnets have no route out.
        }
    }
    const ids = (resources: readonly pulumi.CustomResource[]) => pulumi.all(resources.map((r) => r.id));
    return {
        vpcId: vpc.id,
        publicSubnetIds: ids(subnets.public),
        privateSubnetIds: ids(subnets.private),
        isolatedSubnetIds: ids(subnets.isolated),
        privateRouteTableIds: ids(privateRouteTables),
    };
}

export type VpcArgs = VpcLayout;

/** The VPC component: `buildVpc` with the program's settings. */
export class Vpc extends pulumi.ComponentResource implements VpcOutputs {
    public readonly vpcId: pulumi.Output<string>;
    public readonly publicSubnetIds: pulumi.Output<string[]>;
    public readonly privateSubnetIds: pulumi.Output<string[]>;
    public readonly isolatedSubnetIds: pulumi.Output<string[]>;
    /** The private subnets' route tables, in AZ order (a NAT instance adds its routes to these). */
    public readonly privateRouteTableIds: pulumi.Output<string[]>;

    constructor(name: string, args: VpcArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:Vpc", name, {}, { ...opts, aliases: [...(opts?.aliases ?? []), { type: "awsx:ec2:Vpc" }] });
        const built = buildVpc(name, args, PROGRAM_VPC_SETTINGS, this);
        this.vpcId = built.vpcId;
        this.publicSubnetIds = built.publicSubnetIds;
        this.privateSubnetIds = built.privateSubnetIds;
        this.isolatedSubnetIds = built.isolatedSubnetIds;
        this.privateRouteTableIds = built.privateRouteTableIds;
        this.registerOutputs({
            vpcId: this.vpcId,
            publicSubnetIds: this.publicSubnetIds,
            privateSubnetIds: this.privateSubnetIds,
            isolatedSubnetIds: this.isolatedSubnetIds,
        });
    }
}
