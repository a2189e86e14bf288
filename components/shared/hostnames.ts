/** The DNS names the platform serves, on one cloud or on both. */

/** The label of the GCP load balancer's own name when AWS owns the apex: `gcp.<domainName>`. */
export const GCP_SUBDOMAIN = "gcp";

/** A DNS name with exactly one trailing dot (zone and record names). */
export function fqdn(name: string): string {
    return `${name.replace(/\.+$/, "")}.`;
}

/**
 * The host names the GCP load balancer serves and its certificate covers; the first is its own
 * address. On GCP alone it serves `domainName`. Next to AWS the apex belongs to the AWS load
 * balancer, so GCP serves `gcp.<domainName>`, and with DNS failover the apex too (it answers for
 * the apex whenever AWS is down).
 */
export function gcpHostnames(args: { domainName: string; withAws: boolean; dnsFailover: boolean }): string[] {
    if (!args.withAws) {
        return [args.domainName];
    }
    const own = `${GCP_SUBDOMAIN}.${args.domainName}`;
    return args.dnsFailover ? [own, args.domainName] : [own];
}
