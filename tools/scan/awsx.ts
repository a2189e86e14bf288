/**
 * `awsx:ec2:Vpc` is a remote component: the offline plan sees one node and its arguments, while at
 * deploy time its plugin creates the VPC, the subnets, route tables, routes, the internet gateway,
 * NAT gateways with their Elastic IPs and any VPC endpoints. A scanner must see those resources, so
 * this module derives them from the component's arguments the way awsx 3 lays them out (explicit
 * `cidrBlocks` per subnet spec; subnets named `<vpc>-<spec>-<az number>`; public subnets with
 * `mapPublicIpOnLaunch`; a NAT gateway in the first public subnet (`Single`) or in each AZ's
 * (`OnePerAz`); private subnets routed to their NAT gateway, public ones to the internet gateway).
 * The IDs are the ones the mocks give the component's outputs, so the resources that use the VPC
 * resolve to these children. The program's `transforms` option on the VPC changes some children's
 * inputs (`vpcChildInputs`: no public IPs on launch, Elastic IPs in the VPC domain); the same
 * function is applied here, so the derived children are the deployed ones.
 */
import { vpcChildInputs } from "../../components/aws/vpcChildren";
import { shortHash } from "../offline/mocks";

/** One resource, as the scan renders it: Pulumi type, logical name, plain inputs and its computed state. */
export interface ScanResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** Inputs, secrets already replaced by a placeholder. */
    readonly inputs: Readonly<Record<string, unknown>>;
    /** Input property -> URNs of the resources its value comes from. */
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
    /** The provider resource's URN ("" for the stack's default provider). */
    readonly provider: string;
    /** What the resource would report once created (inputs echoed, plus IDs, ARNs and names). */
    readonly state: Readonly<Record<string, unknown>>;
    /** The remote component this resource was derived from, for resources a component's plugin creates. */
    readonly derivedFrom?: string;
}

interface SubnetSpecArgs {
    readonly type: "Public" | "Private" | "Isolated" | "Unused";
    readonly name?: string;
    readonly cidrBlocks?: readonly string[];
    readonly tags?: Readonly<Record<string, string>>;
}

interface VpcEndpointSpecArgs {
    readonly serviceName: string;
    readonly [key: string]: unknown;
}

/** The outputs the mocks give an `awsx:ec2:Vpc` (see tools/offline/mocks.ts). */
export interface AwsxVpcState {
    readonly vpcId: string;
    readonly publicSubnetIds: readonly string[];
    readonly privateSubnetIds: readonly string[];
    readonly isolatedSubnetIds: readonly string[];
}

const TYPE_ORDER: Record<string, number> = { Public: 0, Private: 1, Isolated: 2 };

/** The resources an `awsx:ec2:Vpc` with these arguments creates. */
export function expandAwsxVpc(
    component: { urn: string; name: string; inputs: Readonly<Record<string, unknown>>; provider: string },
    outputs: AwsxVpcState,
    region: string,
): ScanResource[] {
    const { urn, name, inputs, provider } = component;
    const azCount = Number(inputs.numberOfAvailabilityZones ?? 3);
    const azs = Array.isArray(inputs.availabilityZoneNames)
        ? (inputs.availabilityZoneNames as string[])
        : ["a", "b", "c", "d", "e", "f"].slice(0, azCount).map((s) => `${region}${s}`);
    const specs = (inputs.subnetSpecs ?? []) as readonly SubnetSpecArgs[];
    if (specs.length === 0 || specs.some((s) => s.type !== "Unused" && !Array.isArray(s.cidrBlocks))) {
        throw new Error(
            `${name}: the scan derives an awsx:ec2:Vpc's subnets from explicit subnetSpecs[].cidrBlocks; ` +
                "this VPC lets awsx allocate them",
        );
    }
    const strategy = String((inputs.natGateways as { strategy?: string } | undefined)?.strategy ?? "OnePerAz");
    const tags = (inputs.tags ?? {}) as Record<string, string>;
    const sharedTags = { Name: name, ...tags };
    const out: ScanResource[] = [];
    const child = (
        type: string,
        childName: string,
        awsxInputs: Record<string, unknown>,
        state: Record<string, unknown>,
        deps: Record<string, readonly string[]> = {},
    ): ScanResource => {
        const childInputs = vpcChildInputs(type, awsxInputs) ?? awsxInputs;
        const resource: ScanResource = {
            urn: `${urn}$${type}::${childName}`,
            type,
            name: childName,
            inputs: childInputs,
            propertyDependencies: deps,
            provider,
            state: { ...childInputs, ...state },
            derivedFrom: urn,
        };
        out.push(resource);
        return resource;
    };
    const vpcArgs = Object.fromEntries(
        Object.entries(inputs).filter(
            ([k]) =>
                ![
                    "subnetSpecs",
                    "subnetStrategy",
                    "natGateways",
                    "numberOfAvailabilityZones",
                    "availabilityZoneNames",
                    "vpcEndpointSpecs",
                    "availabilityZoneCidrMask",
                    "assignGeneratedIpv6CidrBlock",
                ].includes(k),
        ),
    );
    const vpc = child(
        "aws:ec2/vpc:Vpc",
        name,
        { ...vpcArgs, cidrBlock: inputs.cidrBlock ?? "10.0.0.0/16", tags: sharedTags },
        { id: outputs.vpcId, arn: `arn:aws:ec2:${region}::vpc/${outputs.vpcId}` },
    );
    const vpcRef = { vpcId: [vpc.urn] };
    const igw = child(
        "aws:ec2/internetGateway:InternetGateway",
        name,
        { vpcId: outputs.vpcId, tags: sharedTags },
        { id: `igw-${shortHash(`igw${name}`, 17)}` },
        vpcRef,
    );
    for (const spec of (inputs.vpcEndpointSpecs ?? []) as readonly VpcEndpointSpecArgs[]) {
        child(
            "aws:ec2/vpcEndpoint:VpcEndpoint",
            spec.serviceName,
            { ...spec, vpcId: outputs.vpcId },
            { id: `vpce-${shortHash(spec.serviceName, 17)}` },
            vpcRef,
        );
    }
    const ids: Record<string, readonly string[]> = {
        Public: outputs.publicSubnetIds,
        Private: outputs.privateSubnetIds,
        Isolated: outputs.isolatedSubnetIds,
    };
    const nats: ScanResource[] = [];
    azs.forEach((az, i) => {
        const inAz = specs.filter((s) => s.type !== "Unused").sort((a, b) => TYPE_ORDER[a.type] - TYPE_ORDER[b.type]);
        for (const spec of inAz) {
            const subnetName = `${name}-${spec.name ?? spec.type.toLowerCase()}-${i + 1}`;
            const subnetId = ids[spec.type][i] ?? `subnet-${shortHash(subnetName, 17)}`;
            const subnet = child(
                "aws:ec2/subnet:Subnet",
                subnetName,
                {
                    vpcId: outputs.vpcId,
                    availabilityZone: az,
                    mapPublicIpOnLaunch: spec.type === "Public",
                    cidrBlock: spec.cidrBlocks?.[i],
                    tags: { ...sharedTags, ...spec.tags, Name: subnetName, SubnetType: spec.type },
                },
                { id: subnetId },
                vpcRef,
            );
            const routeTableId = `rtb-${shortHash(`rtb${subnetName}`, 17)}`;
            const routeTable = child(
                "aws:ec2/routeTable:RouteTable",
                subnetName,
                { vpcId: outputs.vpcId, tags: { ...sharedTags, Name: subnetName, SubnetType: spec.type } },
                { id: routeTableId },
                vpcRef,
            );
            child(
                "aws:ec2/routeTableAssociation:RouteTableAssociation",
                subnetName,
                { routeTableId, subnetId },
                { id: `rtbassoc-${shortHash(subnetName, 17)}` },
                { routeTableId: [routeTable.urn], subnetId: [subnet.urn] },
            );
            const wantsNat =
                spec.type === "Public" && ((strategy === "Single" && nats.length === 0) || strategy === "OnePerAz");
            if (wantsNat) {
                const natName = `${name}-${i + 1}`;
                const allocationId = `eipalloc-${shortHash(natName, 17)}`;
                const eip = child(
                    "aws:ec2/eip:Eip",
                    natName,
                    { tags: { ...tags, Name: natName } },
                    { id: allocationId, allocationId, domain: "vpc" },
                );
                nats.push(
                    child(
                        "aws:ec2/natGateway:NatGateway",
                        natName,
                        { subnetId, allocationId, tags: { ...tags, Name: natName } },
                        { id: `nat-${shortHash(natName, 17)}` },
                        { subnetId: [subnet.urn], allocationId: [eip.urn] },
                    ),
                );
            }
            if (spec.type === "Public") {
                child(
                    "aws:ec2/route:Route",
                    subnetName,
                    { routeTableId, gatewayId: igw.state.id, destinationCidrBlock: "0.0.0.0/0" },
                    { id: `r-${routeTableId}1080289494` },
                    { routeTableId: [routeTable.urn], gatewayId: [igw.urn] },
                );
            } else if (spec.type === "Private" && strategy !== "None") {
                const nat = strategy === "Single" ? nats[0] : nats[i];
                if (nat) {
                    child(
                        "aws:ec2/route:Route",
                        subnetName,
                        { routeTableId, natGatewayId: nat.state.id, destinationCidrBlock: "0.0.0.0/0" },
                        { id: `r-${routeTableId}1080289494` },
                        { routeTableId: [routeTable.urn], natGatewayId: [nat.urn] },
                    );
                }
            }
        }
    });
    return out;
}
