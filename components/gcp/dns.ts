import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { AliasTarget, Dns as AwsDns } from "../aws/dns";
import type { DnsAuthorizationRecord } from "./compute";

/** TTL of the records this tier writes. */
export const RECORD_TTL_SECONDS = 300;

/** The label of the GCP load balancer's own name when AWS owns the apex: `gcp.<domainName>`. */
export const GCP_SUBDOMAIN = "gcp";

/** A DNS name with exactly one trailing dot (Cloud DNS record and zone names). */
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
    /** The certificate's DNS authorization records (`Compute.dnsAuthorizationRecords`). */
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

export interface Route53Publication {
    /** The AWS stack's hosted zone of `domainName`. */
    zone: Pick<AwsDns, "record" | "failover">;
    /** The host names the GCP load balancer serves (`gcpHostnames`); the first gets an A record. */
    hostnames: readonly string[];
    /** The GCP load balancer's address. */
    loadBalancerIp: pulumi.Input<string>;
    /** The certificate's DNS authorization records (`Compute.dnsAuthorizationRecords`). */
    authorizationRecords: readonly DnsAuthorizationRecord[];
    /** With DNS failover: the apex's primary (the AWS load balancer) and what Route 53 checks on it. */
    failover?: { primary: AliasTarget; healthCheckPath: string };
}

/**
 * When both clouds run, the GCP load balancer is published in the AWS stack's Route 53 zone:
 * `gcp.<domainName>` as an A record, the certificate's DNS authorizations as CNAMEs, and, with DNS
 * failover, the apex as a failover pair (AWS primary while its health check passes, GCP secondary).
 */
export function publishInRoute53(p: Route53Publication): void {
    p.zone.record("gcp-lb-a", {
        name: p.hostnames[0],
        type: "A",
        values: [p.loadBalancerIp],
        ttl: RECORD_TTL_SECONDS,
    });
    p.authorizationRecords.forEach((record, i) => {
        p.zone.record(`gcp-cert-auth-${i}`, {
            name: record.name,
            type: "CNAME",
            values: [record.data],
            ttl: RECORD_TTL_SECONDS,
        });
    });
    if (p.failover !== undefined) {
        p.zone.failover("apex", {
            primary: p.failover.primary,
            healthCheck: { fqdn: p.failover.primary.dnsName, path: p.failover.healthCheckPath },
            secondaryAddresses: [p.loadBalancerIp],
        });
    }
}
