import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { NetworkOutputs } from "../shared/types";

/** The network tag instances must carry for the load-balancer, health-check and SSH rules to reach them. */
export const INSTANCE_TAG = "webapp";

/** Where Google's health-check probes come from (every Google Cloud load balancer). */
export const GOOGLE_HEALTH_CHECK_RANGES: readonly string[] = ["35.191.0.0/16", "130.211.0.0/22"];

/**
 * Where the global external Application Load Balancer's proxies (Google Front Ends) connect to
 * instance-group backends from: the same blocks as the health checks.
 */
export const GOOGLE_LB_PROXY_RANGES: readonly string[] = [...GOOGLE_HEALTH_CHECK_RANGES];

/** Firewall priorities (lower wins). The deny-all sits just above the implied rules (65535). */
export const FIREWALL_PRIORITY = {
    allowInternal: 1000,
    allowLoadBalancer: 1000,
    allowHealthChecks: 1000,
    allowSsh: 1000,
    denyAllIngress: 65534,
} as const;

/**
 * VPC flow logs of the private subnet: one record per flow per minute (as the AWS flow log's
 * 60-second aggregation), half of the flows sampled (Google's default: statistically representative
 * at half the log volume and cost), and every metadata field (instance, VPC and geographic
 * annotations) so records can be read without a lookup.
 */
export const FLOW_LOGS = {
    aggregationInterval: "INTERVAL_1_MIN",
    flowSampling: 0.5,
    metadata: "INCLUDE_ALL_METADATA",
} as const;

/**
 * Cloud NAT logs errors only: the subnet's flow logs already record every connection, so
 * translation logs would repeat them; errors (dropped packets, port exhaustion) are what only NAT
 * can report.
 */
export const NAT_LOG_FILTER = "ERRORS_ONLY";

/**
 * Size of the block reserved for Google-managed services (Cloud SQL) over private services access.
 * Cloud SQL carves a /24 per region out of it; a /20 leaves room for replicas and other services.
 */
export const PRIVATE_SERVICES_PREFIX_LENGTH = 20;

/** The producer network Cloud SQL peers with. */
export const SERVICE_NETWORKING = "servicenetworking.googleapis.com";

/** One ingress firewall rule of the network, before it becomes a resource. */
export interface FirewallRuleSpec {
    /** Role in the resource name: `${name}-<role>`. */
    readonly role: string;
    readonly description: string;
    readonly priority: number;
    readonly action: "allow" | "deny";
    readonly rules: ReadonlyArray<{ protocol: string; ports?: string[] }>;
    readonly sourceRanges: readonly string[];
    /** Instances the rule applies to; absent: every instance in the network. */
    readonly targetTags?: readonly string[];
    /** Record matches in Cloud Logging (rules that are rare and matter for audit). */
    readonly logged: boolean;
}

export interface FirewallPlanArgs {
    /** The private subnet's block: instances may talk to each other inside it. */
    subnetCidr: string;
    /** The port the application listens on. */
    appPort: number;
    /** Who may reach SSH. */
    sshSourceRanges: readonly string[];
}

/**
 * The network's ingress rules: HTTP/HTTPS from the load balancer's proxies, the application port
 * from the health checks and proxies, SSH from `sshSourceRanges` only, anything inside the subnet,
 * and an explicit deny-all that wins over nothing but the implied rules.
 */
export function firewallPlan(args: FirewallPlanArgs): FirewallRuleSpec[] {
    const lbAndHealthChecks = [...new Set([...GOOGLE_HEALTH_CHECK_RANGES, ...GOOGLE_LB_PROXY_RANGES])];
    return [
        {
            role: "allow-internal",
            description: "Any traffic between instances inside the private subnet",
            priority: FIREWALL_PRIORITY.allowInternal,
            action: "allow",
            rules: [{ protocol: "tcp" }, { protocol: "udp" }, { protocol: "icmp" }],
            sourceRanges: [args.subnetCidr],
            logged: false,
        },
        {
            role: "allow-lb-http",
            description: "HTTP and HTTPS from the Google load balancer proxies to tagged instances",
            priority: FIREWALL_PRIORITY.allowLoadBalancer,
            action: "allow",
            rules: [{ protocol: "tcp", ports: ["80", "443"] }],
            sourceRanges: [...GOOGLE_LB_PROXY_RANGES],
            targetTags: [INSTANCE_TAG],
            logged: false,
        },
        {
            role: "allow-app-port",
            description: `The application port (${args.appPort}) from Google health checks and load balancer proxies only`,
            priority: FIREWALL_PRIORITY.allowHealthChecks,
            action: "allow",
            rules: [{ protocol: "tcp", ports: [String(args.appPort)] }],
            sourceRanges: lbAndHealthChecks,
            targetTags: [INSTANCE_TAG],
            logged: false,
        },
        {
            role: "allow-ssh",
            description: "SSH from the configured ranges only (IAP TCP forwarding by default)",
            priority: FIREWALL_PRIORITY.allowSsh,
            action: "allow",
            rules: [{ protocol: "tcp", ports: ["22"] }],
            sourceRanges: [...args.sshSourceRanges],
            targetTags: [INSTANCE_TAG],
            logged: true,
        },
        {
            role: "deny-all-ingress",
            description: "Deny every other ingress, explicitly and logged",
            priority: FIREWALL_PRIORITY.denyAllIngress,
            action: "deny",
            rules: [{ protocol: "all" }],
            sourceRanges: ["0.0.0.0/0"],
            logged: true,
        },
    ];
}

export interface NetworkArgs {
    /** Region of the subnet, router and NAT. Default from `gcp.region`: us-east1. */
    region: string;
    /** The private subnet's block. Default from `gcp.subnetCidr`: dev 10.10.0.0/20, demo 10.11.0.0/20. */
    subnetCidr: string;
    /** The application port opened to health checks and proxies. Default from `app.port`: 80. */
    appPort: number;
    /** Who may reach SSH (22). Default from `gcp.sshSourceRanges`: the IAP range 35.235.240.0/20. */
    sshSourceRanges: readonly string[];
}

/**
 * The VPC: custom mode with regional routing, one private subnet (flow logs, Private Google Access),
 * Cloud Router + Cloud NAT for egress without external addresses, the ingress firewall of
 * `firewallPlan`, and private services access (a reserved range peered with Google's service
 * network) so Cloud SQL gets a private address in the VPC.
 */
export class Network extends pulumi.ComponentResource implements NetworkOutputs {
    /** The network's self link. */
    public readonly networkId: pulumi.Output<string>;
    /** The private subnet's self link (one subnet: GCP subnets span every zone of the region). */
    public readonly privateSubnetIds: pulumi.Output<string[]>;
    public readonly networkName: pulumi.Output<string>;
    public readonly subnetSelfLink: pulumi.Output<string>;
    public readonly subnetName: pulumi.Output<string>;
    public readonly subnetCidr: string;
    public readonly region: string;
    /** The tag instances must carry to be reached by the load balancer, health checks and SSH. */
    public readonly instanceTag: string;
    /** Name of the range reserved for Google-managed services (Cloud SQL's `allocatedIpRange`). */
    public readonly privateServicesRangeName: pulumi.Output<string>;
    /** The peering with Google's service network: Cloud SQL instances must be created after it. */
    public readonly privateServicesConnection: gcp.servicenetworking.Connection;

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:gcp:Network", name, {}, opts);
        const child = { parent: this };

        const network = new gcp.compute.Network(
            `${name}-vpc`,
            {
                description: "webapp VPC: custom subnets, regional routing",
                autoCreateSubnetworks: false,
                routingMode: "REGIONAL",
            },
            child,
        );

        const subnet = new gcp.compute.Subnetwork(
            `${name}-private`,
            {
                description: "Instances and functions: no external addresses, egress through Cloud NAT",
                network: network.id,
                region: args.region,
                ipCidrRange: args.subnetCidr,
                stackType: "IPV4_ONLY",
                privateIpGoogleAccess: true,
                logConfig: { ...FLOW_LOGS },
            },
            child,
        );

        const router = new gcp.compute.Router(
            `${name}-router`,
            { description: "Carries Cloud NAT for the private subnet", network: network.id, region: args.region },
            child,
        );
        new gcp.compute.RouterNat(
            `${name}-nat`,
            {
                router: router.name,
                region: args.region,
                natIpAllocateOption: "AUTO_ONLY",
                sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
                subnetworks: [{ name: subnet.id, sourceIpRangesToNats: ["ALL_IP_RANGES"] }],
                logConfig: { enable: true, filter: NAT_LOG_FILTER },
            },
            child,
        );

        for (const rule of firewallPlan(args)) {
            const protocols = rule.rules.map((r) => ({ protocol: r.protocol, ports: r.ports }));
            new gcp.compute.Firewall(
                `${name}-${rule.role}`,
                {
                    network: network.id,
                    description: rule.description,
                    direction: "INGRESS",
                    priority: rule.priority,
                    allows: rule.action === "allow" ? protocols : undefined,
                    denies: rule.action === "deny" ? protocols : undefined,
                    sourceRanges: [...rule.sourceRanges],
                    targetTags: rule.targetTags ? [...rule.targetTags] : undefined,
                    logConfig: rule.logged ? { metadata: "INCLUDE_ALL_METADATA" } : undefined,
                },
                child,
            );
        }

        const servicesRange = new gcp.compute.GlobalAddress(
            `${name}-private-services`,
            {
                description: "Reserved for Google-managed services (Cloud SQL) over private services access",
                network: network.id,
                purpose: "VPC_PEERING",
                addressType: "INTERNAL",
                prefixLength: PRIVATE_SERVICES_PREFIX_LENGTH,
            },
            child,
        );
        this.privateServicesConnection = new gcp.servicenetworking.Connection(
            `${name}-private-services`,
            {
                network: network.id,
                service: SERVICE_NETWORKING,
                reservedPeeringRanges: [servicesRange.name],
                // Deleting the connection fails while Cloud SQL still holds producer resources
                // (it keeps them for a while after the instance is gone): let destroy drop it.
                deletionPolicy: "ABANDON",
            },
            child,
        );

        this.networkId = network.selfLink;
        this.networkName = network.name;
        this.subnetSelfLink = subnet.selfLink;
        this.subnetName = subnet.name;
        this.privateSubnetIds = subnet.selfLink.apply((link) => [link]);
        this.subnetCidr = args.subnetCidr;
        this.region = args.region;
        this.instanceTag = INSTANCE_TAG;
        this.privateServicesRangeName = servicesRange.name;
        this.registerOutputs({
            networkId: this.networkId,
            privateSubnetIds: this.privateSubnetIds,
            privateServicesRangeName: this.privateServicesRangeName,
        });
    }
}
