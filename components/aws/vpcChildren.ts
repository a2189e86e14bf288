/**
 * What the program changes on the resources the awsx VPC creates, as a pure function of a child's
 * type and inputs. The network applies it through a `transforms` resource option on the
 * `awsx:ec2:Vpc`; the IaC scan's derivation of the VPC's children (`tools/scan/awsx.ts`) applies
 * the same function, so the scanned resources are the deployed ones. No imports: both load it.
 */

/** The children's Pulumi types the function changes. */
export const SUBNET_TYPE = "aws:ec2/subnet:Subnet";
export const EIP_TYPE = "aws:ec2/eip:Eip";

/**
 * A child's inputs with the program's settings, or `undefined` when the type is left as awsx makes it:
 * - subnets: `mapPublicIpOnLaunch: false`; only the load balancer and the NAT gateways live in the
 *   public subnets, and neither takes an address from the subnet (the ALB and the Elastic IPs bring theirs);
 * - Elastic IPs (the NAT gateways'): `domain: "vpc"`, what AWS gives them anyway, stated so the
 *   scanner and the plan see it.
 */
export function vpcChildInputs(
    type: string,
    inputs: Readonly<Record<string, unknown>>,
): Record<string, unknown> | undefined {
    if (type === SUBNET_TYPE) {
        return { ...inputs, mapPublicIpOnLaunch: false };
    }
    if (type === EIP_TYPE) {
        return { ...inputs, domain: "vpc" };
    }
    return undefined;
}
