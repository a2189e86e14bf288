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
