import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { fqdn } from "../shared/hostnames";
import type { DnsAuthorizationRecord } from "./compute/loadBalancer";

/** TTL of the records this tier writes. */
export const RECORD_TTL_SECONDS = 300;

/** Which public zone of a project holds `domainName` (its `name`), from `getManagedZones`. */
export function findZone(
    zones: ReadonlyArray<{ name?: string; dnsName: string; visibility: string }>,
    domainName: string,
): string {
    const match = zones.find((z) => z.dnsName === fqdn(domainName) && z.visibility === "public");
    if (match?.name === undefined) {
        throw new Error(
            `no public Cloud DNS zone for ${fqdn(domainName)} in the project: create it, or set gcp.dns.createZone`,
        );
    }
    return match.name;
}

export interface DnsArgs {
    /** The apex of the public zone and the API's host name (`domainName`). */
    domainName: string;
    /**
     * Create the zone (`gcp.dns.createZone`). Default false: the public zone whose DNS name is
     * `domainName` already exists in the project and is looked up. A created zone is signed
     * (DNSSEC) and must be delegated to its name servers (an output).
     */
    createZone: boolean;
    /** The load balancer's address: the A record of `domainName`. */
    loadBalancerIp: pulumi.Input<string>;
    /** The certificate's DNS authorization records (`LoadBalancer.dnsAuthorizationRecords`). */
    authorizationRecords: readonly DnsAuthorizationRecord[];
}

/**
 * Cloud DNS for a stack on GCP alone: the public zone of `domainName` (looked up, or created),
 * an A record pointing the domain at the load balancer, and the CNAMEs that let Certificate
 * Manager issue and renew its certificate.
 */
export class Dns extends pulumi.ComponentResource {
    public readonly zoneName: pulumi.Output<string>;
    /** The zone's name servers when this stack created it (to delegate the domain); else undefined. */
    public readonly nameServers?: pulumi.Output<string[]>;

    constructor(name: string, args: DnsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:gcp:Dns", name, {}, opts);
        const child = { parent: this };
        if (args.createZone) {
            const zone = new gcp.dns.ManagedZone(
                `${name}-zone`,
                {
                    dnsName: fqdn(args.domainName),
                    description: `webapp: ${args.domainName}`,
                    visibility: "public",
                    dnssecConfig: { state: "on" },
                },
                child,
            );
            this.zoneName = zone.name;
            this.nameServers = zone.nameServers;
        } else {
            this.zoneName = gcp.dns
                .getManagedZonesOutput({}, { parent: this })
                .managedZones.apply((zones) => findZone(zones, args.domainName));
        }

        new gcp.dns.RecordSet(
            `${name}-a`,
            {
                managedZone: this.zoneName,
                name: fqdn(args.domainName),
                type: "A",
                ttl: RECORD_TTL_SECONDS,
                rrdatas: [args.loadBalancerIp],
            },
            child,
        );
        args.authorizationRecords.forEach((record, i) => {
            new gcp.dns.RecordSet(
                `${name}-cert-auth-${i}`,
                {
                    managedZone: this.zoneName,
                    name: record.name,
                    type: record.type,
                    ttl: RECORD_TTL_SECONDS,
                    rrdatas: [record.data],
                },
                child,
            );
        });
        this.registerOutputs({ zoneName: this.zoneName, nameServers: this.nameServers });
    }
}
