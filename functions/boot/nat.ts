/**
 * The NAT instance's user data: a header with the private subnets' blocks, then `nat.sh`
 * (forwarding, masquerade, rules kept across reboots). It holds addresses only.
 */
import { fragment, shellQuote } from "./render";

const IPV4_CIDR = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;

/** The user data for a NAT instance that forwards and masquerades traffic from `privateCidrs`. */
export function renderNatUserData(privateCidrs: readonly string[]): string {
    if (privateCidrs.length === 0) {
        throw new Error("a NAT instance needs at least one private subnet block");
    }
    for (const cidr of privateCidrs) {
        if (!IPV4_CIDR.test(cidr)) {
            throw new Error(`NAT instance: ${JSON.stringify(cidr)} is not an IPv4 CIDR`);
        }
    }
    return [
        "#!/bin/bash",
        "# webapp NAT instance user data, rendered by the webapp-infra program.",
        "set -euo pipefail",
        `PRIVATE_CIDRS=(${privateCidrs.map(shellQuote).join(" ")})`,
        "",
        fragment("nat.sh"),
    ].join("\n");
}
