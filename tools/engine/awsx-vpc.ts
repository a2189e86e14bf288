/**
 * awsx's `ec2.Vpc` as the engine stand-in constructs it, for a base revision that still declares
 * it (the identity proof deploys such a revision): its children, as awsx 3 creates them from the
 * component's arguments, under the component. Those are the resources `components/aws/vpc.ts`
 * builds, with awsx's own settings: public subnets map public IPs on launch and the Elastic IPs
 * state no domain (the base program's `transforms` option changes both through the engine, as it
 * does for the real awsx provider).
 */
import type * as pulumi from "@pulumi/pulumi";
import { buildVpc, type NatGatewayLayout, type SubnetTier, type VpcLayout } from "../../components/aws/vpc";

type Props = Record<string, unknown>;

interface SubnetSpecArgs {
    readonly type?: string;
    readonly cidrBlocks?: readonly string[];
}

const NAT_STRATEGIES: Readonly<Record<string, NatGatewayLayout>> = {
    None: "none",
    Single: "single",
    OnePerAz: "onePerAz",
};

/** The layout of an `awsx:ec2:Vpc`'s arguments: explicit subnet blocks per spec, the NAT strategy. */
export function awsxLayout(name: string, inputs: Props): VpcLayout {
    const specs = (Array.isArray(inputs.subnetSpecs) ? inputs.subnetSpecs : []) as SubnetSpecArgs[];
    const subnets: Partial<Record<SubnetTier, readonly string[]>> = {};
    for (const spec of specs) {
        const tier = String(spec.type ?? "").toLowerCase();
        if (tier === "unused") {
            continue;
        }
        if ((tier !== "public" && tier !== "private" && tier !== "isolated") || !Array.isArray(spec.cidrBlocks)) {
            throw new Error(`${name}: the stand-in builds awsx:ec2:Vpc subnet specs with explicit cidrBlocks only`);
        }
        subnets[tier] = spec.cidrBlocks;
    }
    const strategy = String((inputs.natGateways as { strategy?: string } | undefined)?.strategy ?? "OnePerAz");
    const natGateways = NAT_STRATEGIES[strategy];
    if (natGateways === undefined) {
        throw new Error(`${name}: unknown awsx NAT gateway strategy ${strategy}`);
    }
    return { cidrBlock: String(inputs.cidrBlock), subnets, natGateways };
}

/** Builds the children under `component` and returns the component's outputs (awsx's four). */
export function constructAwsxVpc(name: string, inputs: Props, component: pulumi.Resource): Props {
    const { vpcId, publicSubnetIds, privateSubnetIds, isolatedSubnetIds } = buildVpc(
        name,
        awsxLayout(name, inputs),
        { mapPublicIpOnLaunch: true },
        component,
    );
    return { vpcId, publicSubnetIds, privateSubnetIds, isolatedSubnetIds };
}
