/**
 * The DNS step: once every cloud's platform exists, the records that make the API reachable under
 * `domainName`: the apex (an alias to the AWS edge, or a failover pair from AWS to GCP or to the
 * DR region's standby, or Cloud DNS on GCP alone), the GCP load balancer's own name and its certificate's DNS authorizations.
 * Only this step writes records that join the clouds; the platforms expose what to point at.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { AwsPlatform } from "./aws";
import type { AliasTarget, FailoverSecondary } from "./aws/dns";
import { Dns as GcpDns, RECORD_TTL_SECONDS } from "./gcp/dns";
import type { GcpPlatform } from "./gcp";
import type { DnsAuthorizationRecord } from "./gcp/compute/loadBalancer";
import type { StackContext } from "./shared/context";

/** What the AWS side answers the apex with: `edge.apex` of the AWS platform. */
export interface AwsApex {
    /** Names the apex records: `<dns>-<role>-a` (`alb`: the load balancer). */
    readonly role: string;
    /** The alias target: the load balancer, or whatever a feature puts in front of it. */
    readonly target: AliasTarget;
}

/** What the GCP side offers the DNS step. */
export interface GcpEndpoint {
    /** The names the GCP load balancer serves; the first is its own address. */
    readonly hostnames: readonly string[];
    readonly address: pulumi.Input<string>;
    readonly authorizationRecords: readonly DnsAuthorizationRecord[];
}

/** How the apex is answered. */
export type ApexPlan =
    /** An alias record to the AWS edge (it follows the target's health). */
    | { readonly kind: "alias"; readonly apex: AwsApex }
    /**
     * Route 53 failover: the AWS edge while its health check passes, else the secondary: the GCP
     * address (`features.dnsFailover`) or the DR region's standby (`aws.dr.standby`).
     */
    | { readonly kind: "failover"; readonly primary: AliasTarget; readonly secondary: FailoverSecondary }
    /** GCP alone: an A record in the Cloud DNS zone. */
    | { readonly kind: "cloudDns"; readonly address: pulumi.Input<string> };

/** The DR region's standby load balancer (`aws.dr.standby`): its DNS name and hosted-zone ID. */
export interface DrStandby {
    readonly dnsName: string;
    readonly zoneId: string;
}

/** Decides how the apex is answered from what the stack runs (pure). */
export function apexPlan(args: {
    aws?: AwsApex;
    gcp?: GcpEndpoint;
    dnsFailover: boolean;
    drStandby?: DrStandby;
}): ApexPlan {
    if (args.aws === undefined) {
        if (args.gcp === undefined) {
            throw new Error("apexPlan: the stack runs on no cloud");
        }
        return { kind: "cloudDns", address: args.gcp.address };
    }
    // The schema refuses a standby together with the failover to GCP (one secondary per record set).
    if (args.drStandby !== undefined) {
        return { kind: "failover", primary: args.aws.target, secondary: { alias: args.drStandby } };
    }
    if (args.dnsFailover && args.gcp !== undefined) {
        return { kind: "failover", primary: args.aws.target, secondary: { addresses: [args.gcp.address] } };
    }
    return { kind: "alias", apex: args.aws };
}

/** What the DNS step created that the stack exports. */
export interface DnsResult {
    /** The Cloud DNS zone's name servers, when a stack on GCP alone created the zone. */
    readonly gcpNameServers?: pulumi.Output<string[]>;
}

/** Writes the stack's records (see the module comment). */
export function publishDns(ctx: StackContext, platforms: { aws?: AwsPlatform; gcp?: GcpPlatform }): DnsResult {
    const { aws, gcp } = platforms;
    const gcpEndpoint: GcpEndpoint | undefined = gcp && {
        hostnames: gcp.hostnames,
        address: gcp.compute.loadBalancer.ipAddress,
        authorizationRecords: gcp.compute.loadBalancer.dnsAuthorizationRecords,
    };
    const plan = apexPlan({
        aws: aws?.edge.apex,
        gcp: gcpEndpoint,
        dnsFailover: ctx.config.features.dnsFailover,
        // The schema admits a standby only with aws.dr.region.
        drStandby: ctx.config.aws.dr.standby,
    });

    if (plan.kind === "cloudDns" && gcp !== undefined && gcpEndpoint !== undefined) {
        const dns = new GcpDns(
            gcp.ctx.name("dns"),
            {
                domainName: ctx.config.domainName,
                createZone: ctx.config.gcp.dns.createZone,
                loadBalancerIp: plan.address,
                authorizationRecords: gcpEndpoint.authorizationRecords,
            },
            gcp.ctx.tierOpts,
        );
        return dns.nameServers === undefined ? {} : { gcpNameServers: dns.nameServers };
    }
    if (aws === undefined) {
        return {};
    }
    // Next to AWS, the GCP load balancer's name and its certificate's authorizations go into Route 53.
    if (gcpEndpoint !== undefined) {
        aws.dns.record("gcp-lb-a", {
            name: gcpEndpoint.hostnames[0],
            type: "A",
            values: [gcpEndpoint.address],
            ttl: RECORD_TTL_SECONDS,
        });
        gcpEndpoint.authorizationRecords.forEach((record, i) => {
            aws.dns.record(`gcp-cert-auth-${i}`, {
                name: record.name,
                type: "CNAME",
                values: [record.data],
                ttl: RECORD_TTL_SECONDS,
            });
        });
    }
    if (plan.kind === "failover") {
        aws.dns.failover("apex", {
            primary: plan.primary,
            healthCheck: { fqdn: plan.primary.dnsName, path: ctx.config.app.healthCheckPath },
            secondary: plan.secondary,
        });
    } else if (plan.kind === "alias") {
        aws.dns.aliasTo(plan.apex.role, plan.apex.target);
    }
    return {};
}
