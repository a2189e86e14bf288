import * as ipaddr from "ipaddr.js";

/** An IPv4 block as a network address and a prefix length. */
export interface Ipv4Cidr {
    readonly address: ipaddr.IPv4;
    readonly prefix: number;
}

/** Parses `a.b.c.d/n`; undefined when the text is not an IPv4 CIDR. */
export function parseCidr(text: string): Ipv4Cidr | undefined {
    if (!ipaddr.IPv4.isValidCIDR(text)) {
        return undefined;
    }
    const [address, prefix] = ipaddr.IPv4.parseCIDR(text);
    return { address, prefix };
}

/** The network address of the block (host bits cleared), e.g. `10.0.0.0/16` for `10.0.1.0/16`. */
export function canonicalCidr(cidr: Ipv4Cidr): string {
    return `${ipaddr.IPv4.networkAddressFromCIDR(`${cidr.address.toString()}/${cidr.prefix}`).toString()}/${cidr.prefix}`;
}

/** True when two blocks share at least one address. */
export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
    return a.address.match(b.address, b.prefix) || b.address.match(a.address, a.prefix);
}

/** The `index`-th block of `newBits` more prefix bits inside `cidr`, e.g. (10.0.0.0/16, 2, 1) -> 10.0.64.0/18. */
export function subdivide(cidr: Ipv4Cidr, newBits: number, index: number): string {
    const prefix = cidr.prefix + newBits;
    if (prefix > 32 || index < 0 || index >= 2 ** newBits) {
        throw new RangeError(`cannot take block ${index} of /${prefix} from /${cidr.prefix}`);
    }
    const base = cidr.address.toByteArray().reduce((acc, byte) => acc * 256 + byte, 0);
    const start = base + index * 2 ** (32 - prefix);
    const bytes = [24, 16, 8, 0].map((shift) => Math.floor(start / 2 ** shift) % 256);
    return `${bytes.join(".")}/${prefix}`;
}

/** Bits needed to number `count` equal blocks. */
export function bitsFor(count: number): number {
    return Math.ceil(Math.log2(Math.max(1, count)));
}

/**
 * How the AWS VPC is carved up: each AZ gets an equal block; its first half is the private subnet,
 * its third quarter the public subnet, and the last quarter stays free for later use.
 */
export function awsSubnetPrefixes(vpcPrefix: number, azCount: number): { private: number; public: number } {
    const azPrefix = vpcPrefix + bitsFor(azCount);
    return { private: azPrefix + 1, public: azPrefix + 2 };
}

/** An application load balancer needs subnets of at least /27. */
export const ALB_MIN_SUBNET_PREFIX = 27;
