/**
 * The rules of the DR standby (`aws.dr.standby.*`) that span more than one value: it needs the DR
 * region, a load balancer name that names a region names the DR region, and the apex has room for
 * one secondary record only (`features.dnsFailover` on both clouds takes it for GCP).
 */

/** A Route 53 hosted-zone ID, e.g. an ALB's canonical zone `Z1H1FL5HABSF5`. */
export const HOSTED_ZONE_ID = /^Z[A-Z0-9]{4,31}$/;

/** The region in a load balancer's DNS name (`*.us-west-2.elb.amazonaws.com`, NLB `*.elb.us-west-2.amazonaws.com`). */
export function loadBalancerRegion(dnsName: string): string | undefined {
    const match =
        /\.([a-z]{2}(?:-[a-z]+)+-\d+)\.elb\.amazonaws\.com$|\.elb\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com$/.exec(
            dnsName,
        );
    return match?.[1] ?? match?.[2];
}

export interface DrStandbyProblem {
    readonly path: ReadonlyArray<string | number>;
    readonly message: string;
    readonly input: unknown;
}

interface StandbyDraft {
    readonly clouds?: unknown;
    readonly aws?: { readonly dr?: { readonly region?: unknown; readonly standby?: { readonly dnsName?: unknown } } };
    readonly features?: { readonly dnsFailover?: unknown };
}

export function drStandbyProblems(cfg: StandbyDraft): DrStandbyProblem[] {
    const dr = cfg.aws?.dr;
    const dnsName = dr?.standby?.dnsName;
    if (typeof dnsName !== "string") {
        return [];
    }
    const path = ["aws", "dr", "standby", "dnsName"];
    const problems: DrStandbyProblem[] = [];
    if (typeof dr?.region !== "string") {
        problems.push({
            path,
            message:
                "needs aws.dr.region: the standby is the DR region's load balancer; set aws.dr.region or remove aws.dr.standby",
            input: dnsName,
        });
    } else {
        const region = loadBalancerRegion(dnsName);
        if (region !== undefined && region !== dr.region) {
            problems.push({
                path,
                message: `is a load balancer in ${region}, not in aws.dr.region (${dr.region})`,
                input: dnsName,
            });
        }
    }
    const clouds = Array.isArray(cfg.clouds) ? cfg.clouds : [];
    if (cfg.features?.dnsFailover === true && clouds.includes("gcp") && clouds.includes("aws")) {
        problems.push({
            path,
            message:
                "cannot be combined with features.dnsFailover: the apex has one secondary record, which " +
                "features.dnsFailover gives to the GCP load balancer; turn one of them off",
            input: dnsName,
        });
    }
    return problems;
}
