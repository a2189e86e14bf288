import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface DnsArgs {
    /** The apex of the public hosted zone, e.g. `dev.example.com` (`domainName`). */
    domainName: string;
    /**
     * Create the hosted zone (`aws.dns.createZone`). Default false: the zone already exists and is
     * looked up by name. A created zone must be delegated (its name servers are an output) before
     * the certificate can validate.
     */
    createZone: boolean;
}

/** What an alias record points at: a load balancer's DNS name and hosted zone. */
export interface AliasTarget {
    readonly dnsName: pulumi.Input<string>;
    readonly zoneId: pulumi.Input<string>;
    /** The target answers on IPv6 too (a dual-stack load balancer): add an AAAA record. */
    readonly ipv6: boolean;
}

/** A plain record set: a name in the zone, its type, values and TTL. */
export interface PlainRecord {
    /** Fully qualified name, with or without the trailing dot. */
    readonly name: pulumi.Input<string>;
    readonly type: "A" | "AAAA" | "CNAME" | "TXT";
    readonly values: pulumi.Input<pulumi.Input<string>[]>;
    /** Seconds. Default 300. */
    readonly ttl?: number;
}

/** How Route 53 checks the primary endpoint of a failover pair. */
export interface EndpointHealthCheck {
    /** Host name the checkers connect to (the load balancer's own DNS name, not the failover name). */
    readonly fqdn: pulumi.Input<string>;
    /** Path requested over HTTPS (443); a 2xx or 3xx answer is healthy. */
    readonly path: string;
}

/**
 * The secondary of a failover pair: plain A records with fixed addresses (the GCP load balancer),
 * or an alias to a standby that Route 53 follows the health of (the DR region's load balancer).
 */
export type FailoverSecondary =
    | { readonly addresses: pulumi.Input<pulumi.Input<string>[]> }
    | { readonly alias: Pick<AliasTarget, "dnsName" | "zoneId"> };

/** Route 53 health checkers: every 30 s, unhealthy after 3 failed checks in a row. */
export const FAILOVER_HEALTH_CHECK = { requestInterval: 30, failureThreshold: 3 } as const;
/** TTL of the secondary record: resolvers return to the primary within a minute of its recovery. */
export const FAILOVER_SECONDARY_TTL = 60;

/** The record types an alias to `target` needs: A, plus AAAA for a dual-stack target. */
export function aliasRecordTypes(target: Pick<AliasTarget, "ipv6">): Array<"A" | "AAAA"> {
    return target.ipv6 ? ["A", "AAAA"] : ["A"];
}

/**
 * The Route 53 public hosted zone of the domain (looked up, or created when configured) and the
 * apex alias records that point the domain at the load balancer.
 */
export class Dns extends pulumi.ComponentResource {
    public readonly domainName: string;
    public readonly zoneId: pulumi.Output<string>;
    /** The zone's name servers when this stack created it (to delegate the domain); else undefined. */
    public readonly nameServers?: pulumi.Output<string[]>;
    private readonly baseName: string;

    constructor(name: string, args: DnsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:Dns", name, {}, opts);
        this.baseName = name;
        this.domainName = args.domainName;
        if (args.createZone) {
            const zone = new aws.route53.Zone(
                `${name}-zone`,
                { name: args.domainName, comment: `webapp: ${args.domainName}` },
                { parent: this },
            );
            this.zoneId = zone.zoneId;
            this.nameServers = zone.nameServers;
        } else {
            this.zoneId = aws.route53.getZoneOutput(
                { name: args.domainName, privateZone: false },
                { parent: this },
            ).zoneId;
        }
        this.registerOutputs({ zoneId: this.zoneId, nameServers: this.nameServers });
    }

    /** A plain record in the zone (e.g. another load balancer's address, a certificate's DNS authorization). */
    record(role: string, record: PlainRecord): aws.route53.Record {
        return new aws.route53.Record(
            `${this.baseName}-${role}`,
            {
                zoneId: this.zoneId,
                name: record.name,
                type: record.type,
                records: record.values,
                ttl: record.ttl ?? 300,
                allowOverwrite: false,
            },
            { parent: this },
        );
    }

    /**
     * Failover routing for the apex: the primary alias record answers while Route 53's HTTPS
     * health check of `primary` passes (and the alias target is healthy); otherwise the secondary
     * answers: an A record with fixed addresses (TTL 60 s), or alias records of the primary's types
     * at a standby, with `evaluateTargetHealth`. Replaces `aliasTo` for the apex.
     */
    failover(
        role: string,
        args: {
            primary: AliasTarget;
            healthCheck: EndpointHealthCheck;
            secondary: FailoverSecondary;
        },
    ): { healthCheck: aws.route53.HealthCheck; records: aws.route53.Record[] } {
        const healthCheck = new aws.route53.HealthCheck(
            `${this.baseName}-${role}-primary-health`,
            {
                type: "HTTPS",
                fqdn: args.healthCheck.fqdn,
                port: 443,
                resourcePath: args.healthCheck.path,
                enableSni: true,
                ...FAILOVER_HEALTH_CHECK,
            },
            { parent: this },
        );
        const primary = aliasRecordTypes(args.primary).map(
            (type) =>
                new aws.route53.Record(
                    `${this.baseName}-${role}-primary-${type.toLowerCase()}`,
                    {
                        zoneId: this.zoneId,
                        name: this.domainName,
                        type,
                        setIdentifier: `${role}-primary`,
                        failoverRoutingPolicies: [{ type: "PRIMARY" }],
                        healthCheckId: healthCheck.id,
                        aliases: [
                            { name: args.primary.dnsName, zoneId: args.primary.zoneId, evaluateTargetHealth: true },
                        ],
                    },
                    { parent: this },
                ),
        );
        const secondaryArgs = {
            zoneId: this.zoneId,
            name: this.domainName,
            setIdentifier: `${role}-secondary`,
            failoverRoutingPolicies: [{ type: "SECONDARY" }],
        };
        const secondary: aws.route53.Record[] = [];
        if ("alias" in args.secondary) {
            const standby = args.secondary.alias;
            // Each type the primary answers, so that no client stays on the primary (an AAAA alias
            // to an IPv4-only standby answers with no address, and the client uses the A record).
            for (const type of aliasRecordTypes(args.primary)) {
                secondary.push(
                    new aws.route53.Record(
                        `${this.baseName}-${role}-secondary-${type.toLowerCase()}`,
                        {
                            ...secondaryArgs,
                            type,
                            aliases: [{ name: standby.dnsName, zoneId: standby.zoneId, evaluateTargetHealth: true }],
                        },
                        { parent: this },
                    ),
                );
            }
        } else {
            secondary.push(
                new aws.route53.Record(
                    `${this.baseName}-${role}-secondary-a`,
                    {
                        ...secondaryArgs,
                        type: "A",
                        records: args.secondary.addresses,
                        ttl: FAILOVER_SECONDARY_TTL,
                    },
                    { parent: this },
                ),
            );
        }
        return { healthCheck, records: [...primary, ...secondary] };
    }

    /** Points the apex of the domain at `target` with alias records that follow its health. */
    aliasTo(role: string, target: AliasTarget): aws.route53.Record[] {
        return aliasRecordTypes(target).map(
            (type) =>
                new aws.route53.Record(
                    `${this.baseName}-${role}-${type.toLowerCase()}`,
                    {
                        zoneId: this.zoneId,
                        name: this.domainName,
                        type,
                        aliases: [{ name: target.dnsName, zoneId: target.zoneId, evaluateTargetHealth: true }],
                    },
                    { parent: this },
                ),
        );
    }
}
