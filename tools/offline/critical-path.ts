/**
 * The modeled critical path of a stack's first deploy: every resource takes its type's typical
 * create time (`CREATE_SECONDS`) and starts once everything it depends on exists, as the Pulumi
 * engine schedules it (in parallel otherwise). The longest chain is the least a first `pulumi up`
 * can take; compared with the slowest single resource it shows how much waiting the dependency
 * graph adds. Read from a plan's `resources.json`.
 */

/** A typical create time and where the figure comes from. */
export interface CreateTime {
    readonly seconds: number;
    readonly basis: string;
}

/**
 * Typical create times in us-east-1 / us-east1 for the slow types; every other type is an API
 * call that completes in a few seconds (`DEFAULT_CREATE`). The figures are what the provider's
 * create waits for (its `Create` polls until the resource is available), as typically observed;
 * change them here.
 */
export const CREATE_SECONDS: Readonly<Record<string, CreateTime>> = {
    "aws:ec2/natGateway:NatGateway": {
        seconds: 120,
        basis: "NAT gateway: pending until available, typically 1-2 minutes",
    },
    "aws:rds/instance:Instance": {
        seconds: 540,
        basis: "RDS MySQL/PostgreSQL single-AZ: creating, backing up and modifying until available, typically 7-10 minutes (Multi-AZ longer)",
    },
    "aws:lb/loadBalancer:LoadBalancer": {
        seconds: 180,
        basis: "ALB: provisioning until active, typically 2-3 minutes",
    },
    "aws:acm/certificateValidation:CertificateValidation": {
        seconds: 60,
        basis: "ACM DNS validation once the record exists in a delegated zone: usually under a few minutes",
    },
    "aws:autoscaling/group:Group": {
        seconds: 240,
        basis: "Auto Scaling group: without min_elb_capacity the provider waits for its minimum capacity to be InService in the group (launched and past Pending), not for ELB health checks (the grace period covers the boot's wait for the database secret); typically 1-2 minutes, counted with margin for a failed launch",
    },
    "aws:lambda/function:Function": {
        seconds: 45,
        basis: "Lambda in a VPC: the function becomes Active once its Hyperplane network interfaces exist",
    },
    "aws:route53/record:Record": { seconds: 45, basis: "Route 53 change until INSYNC, typically under a minute" },
    "aws:route53/zone:Zone": { seconds: 45, basis: "Route 53 hosted zone creation until INSYNC" },
    "aws:iam/instanceProfile:InstanceProfile": {
        seconds: 10,
        basis: "the provider waits for the profile to propagate through IAM",
    },
    "aws:kms/key:Key": { seconds: 10, basis: "the provider waits for the key to be enabled and its policy visible" },
    "aws:cloudtrail/trail:Trail": { seconds: 10, basis: "API call with a delivery check" },
    "aws:wafv2/webAclAssociation:WebAclAssociation": { seconds: 30, basis: "association with the load balancer" },
    "aws:ec2/vpcEndpoint:VpcEndpoint": {
        seconds: 120,
        basis: "interface endpoints take 1-3 minutes until available",
    },
    "gcp:sql/databaseInstance:DatabaseInstance": {
        seconds: 600,
        basis: "Cloud SQL instance creation with a private IP: typically 8-12 minutes",
    },
    "gcp:servicenetworking/connection:Connection": {
        seconds: 60,
        basis: "private services access peering: about a minute",
    },
    "gcp:projects/service:Service": { seconds: 40, basis: "enabling an API: the operation takes up to a minute" },
    "gcp:cloudfunctionsv2/function:Function": {
        seconds: 180,
        basis: "2nd gen function: Cloud Build builds the source, then the Cloud Run service deploys: about 3 minutes",
    },
    "gcp:cloudrunv2/service:Service": {
        seconds: 60,
        basis: "a Cloud Run revision deploys and passes its startup probe: under a minute for a pulled image",
    },
    "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager": {
        seconds: 60,
        basis: "the group is created and starts its instances (the provider does not wait for them to be healthy)",
    },
    "gcp:compute/globalForwardingRule:GlobalForwardingRule": {
        seconds: 30,
        basis: "global load balancer operations take tens of seconds",
    },
    "gcp:compute/backendService:BackendService": { seconds: 30, basis: "global load balancer operation" },
    "gcp:compute/uRLMap:URLMap": { seconds: 20, basis: "global load balancer operation" },
    "gcp:compute/targetHttpsProxy:TargetHttpsProxy": { seconds: 20, basis: "global load balancer operation" },
    "gcp:compute/targetHttpProxy:TargetHttpProxy": { seconds: 20, basis: "global load balancer operation" },
    "gcp:compute/network:Network": { seconds: 25, basis: "VPC network operation" },
    "gcp:compute/subnetwork:Subnetwork": { seconds: 25, basis: "subnetwork operation" },
    "gcp:compute/routerNat:RouterNat": { seconds: 30, basis: "router update operation" },
    "gcp:compute/router:Router": { seconds: 20, basis: "router operation" },
    "gcp:compute/instanceTemplate:InstanceTemplate": { seconds: 10, basis: "global operation" },
    "gcp:compute/healthCheck:HealthCheck": { seconds: 15, basis: "global operation" },
    "gcp:compute/globalAddress:GlobalAddress": { seconds: 15, basis: "global operation" },
    "gcp:compute/firewall:Firewall": { seconds: 15, basis: "global operation" },
    "gcp:certificatemanager/certificate:Certificate": {
        seconds: 15,
        basis: "creation returns before issuance (issuance follows the DNS authorization asynchronously)",
    },
    "gcp:dns/managedZone:ManagedZone": { seconds: 15, basis: "Cloud DNS zone creation" },
};

/** Any type not listed: an API call that completes in seconds. */
export const DEFAULT_CREATE: CreateTime = { seconds: 3, basis: "an API call" };

interface PathResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly kind: string;
    readonly parent?: string | null;
    readonly dependencies?: readonly string[];
}

export interface CriticalPathStep {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly seconds: number;
    /** When it is created, counted from the start of the deploy. */
    readonly doneAt: number;
}

export interface CriticalPath {
    /** The longest chain, first to last. */
    readonly steps: readonly CriticalPathStep[];
    readonly seconds: number;
    /** The slowest single resource. */
    readonly slowest: { readonly type: string; readonly name: string; readonly seconds: number };
    /** `seconds / slowest.seconds`: 1 when nothing waits for anything slow. */
    readonly ratio: number;
}

export function createTime(type: string): CreateTime {
    return CREATE_SECONDS[type] ?? DEFAULT_CREATE;
}

/** The critical path over the resources of a `resources.json` document. */
export function criticalPath(resources: readonly PathResource[]): CriticalPath {
    const counted = resources.filter((r) => r.kind === "resource" || r.kind === "remote");
    const byUrn = new Map(counted.map((r) => [r.urn, r]));
    // A dependency on a component means every resource inside it.
    const children = new Map<string, string[]>();
    resources.forEach((r) => r.parent && children.set(r.parent, [...(children.get(r.parent) ?? []), r.urn]));
    const expand = (urn: string, seen = new Set<string>()): string[] => {
        if (byUrn.has(urn)) {
            return [urn];
        }
        if (seen.has(urn)) {
            return [];
        }
        seen.add(urn);
        return (children.get(urn) ?? []).flatMap((c) => expand(c, seen));
    };
    const done = new Map<string, { at: number; via?: string }>();
    const visiting = new Set<string>();
    const finish = (urn: string): number => {
        const known = done.get(urn);
        if (known) {
            return known.at;
        }
        if (visiting.has(urn)) {
            return 0; // A cycle cannot be deployed; do not loop on it.
        }
        visiting.add(urn);
        const r = byUrn.get(urn);
        let start = 0;
        let via: string | undefined;
        for (const dep of new Set((r?.dependencies ?? []).flatMap((d) => expand(d)))) {
            if (dep === urn) {
                continue;
            }
            const at = finish(dep);
            if (at > start) {
                start = at;
                via = dep;
            }
        }
        visiting.delete(urn);
        const at = start + createTime(r?.type ?? "").seconds;
        done.set(urn, { at, via });
        return at;
    };
    counted.forEach((r) => finish(r.urn));
    let last: string | undefined;
    for (const [urn, d] of done) {
        if (!last || d.at > (done.get(last)?.at ?? 0) || (d.at === done.get(last)?.at && urn < last)) {
            last = urn;
        }
    }
    const steps: CriticalPathStep[] = [];
    for (let urn = last; urn; urn = done.get(urn)?.via) {
        const r = byUrn.get(urn);
        if (!r) {
            break;
        }
        steps.unshift({
            urn,
            type: r.type,
            name: r.name,
            seconds: createTime(r.type).seconds,
            doneAt: done.get(urn)?.at ?? 0,
        });
    }
    const slowest = counted.reduce<PathResource | undefined>(
        (best, r) => (!best || createTime(r.type).seconds > createTime(best.type).seconds ? r : best),
        undefined,
    );
    const total = steps.at(-1)?.doneAt ?? 0;
    const slowestSeconds = slowest ? createTime(slowest.type).seconds : 0;
    return {
        steps,
        seconds: total,
        slowest: { type: slowest?.type ?? "", name: slowest?.name ?? "", seconds: slowestSeconds },
        ratio: slowestSeconds > 0 ? total / slowestSeconds : 0,
    };
}
