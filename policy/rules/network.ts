/**
 * Network exposure: only the load balancer takes traffic from the internet, and only on 80/443;
 * plain HTTP only redirects to HTTPS; every network records flow logs.
 */
import { enforcement } from "./enforcement";
import { AWS, GCP } from "./tokens";
import type { Props, ResourceRule, StackResource, StackRule, StackViolation } from "./types";
import { byType, isOn, isUnknown, isWholeInternet, list, num, obj, problems, strings } from "./values";

/** The only ports the internet may reach: HTTP (redirected) and HTTPS on the load balancer. */
export const WEB_PORTS: readonly number[] = [80, 443];

/** An ingress permission open to the whole internet. */
export interface OpenIngress {
    /** Where in the properties, e.g. `ingress[0]` (empty for a rule resource). */
    readonly where: string;
    readonly protocol: string;
    readonly fromPort?: number;
    readonly toPort?: number;
}

function isTcp(protocol: string): boolean {
    return protocol === "tcp" || protocol === "6";
}

/** TCP on exactly port 80 or exactly port 443. */
export function isWebPort(entry: OpenIngress): boolean {
    return (
        isTcp(entry.protocol) &&
        entry.fromPort !== undefined &&
        entry.fromPort === entry.toPort &&
        WEB_PORTS.includes(entry.fromPort)
    );
}

/** The AWS ingress permissions of a resource that admit 0.0.0.0/0 or ::/0. */
export function openAwsIngress(type: string, p: Props): OpenIngress[] {
    const entry = (where: string, e: Props, protocol: unknown): OpenIngress => ({
        where,
        protocol: String(protocol ?? "-1").toLowerCase(),
        fromPort: num(e.fromPort),
        toPort: num(e.toPort),
    });
    switch (type) {
        case AWS.securityGroup:
            return list(p.ingress).flatMap((raw, i) => {
                const e = obj(raw) ?? {};
                const open = [...strings(e.cidrBlocks), ...strings(e.ipv6CidrBlocks)].some(isWholeInternet);
                return open ? [entry(`ingress[${i}]`, e, e.protocol)] : [];
            });
        case AWS.ingressRule:
            return isWholeInternet(p.cidrIpv4) || isWholeInternet(p.cidrIpv6) ? [entry("", p, p.ipProtocol)] : [];
        case AWS.securityGroupRule:
            return p.type === "ingress" &&
                [...strings(p.cidrBlocks), ...strings(p.ipv6CidrBlocks)].some(isWholeInternet)
                ? [entry("", p, p.protocol)]
                : [];
        default:
            return [];
    }
}

function describe(e: OpenIngress): string {
    const ports =
        e.protocol === "-1" || e.protocol === "all"
            ? "all traffic"
            : e.fromPort === e.toPort
              ? `${e.protocol} ${e.fromPort}`
              : `${e.protocol} ${e.fromPort}-${e.toPort}`;
    return `${e.where ? `${e.where} ` : ""}opens ${ports} to the internet`;
}

export const internetIngressWebPortsOnly: ResourceRule = {
    kind: "resource",
    name: "internet-ingress-web-ports-only",
    description: "Ingress from 0.0.0.0/0 (or ::/0) is allowed only for TCP 80 and 443.",
    enforcementLevel: "mandatory",
    remediation:
        "Admit other ports only from security groups (AWS) or from the load balancer / IAP ranges (GCP), never from the internet.",
    check: (type, props) => {
        if (type === GCP.firewall) {
            return gcpFirewall(props);
        }
        return openAwsIngress(type, props)
            .filter((e) => !isWebPort(e))
            .map((e) => `${describe(e)}: only TCP 80/443 may be open to the internet`);
    },
};

function gcpFirewall(p: Props): string[] {
    const ingress = p.direction === undefined || p.direction === "INGRESS";
    const open = strings(p.sourceRanges).some(isWholeInternet);
    if (!ingress || !open || isOn(p.disabled)) {
        return [];
    }
    return list(p.allows).flatMap((raw, i) => {
        const allow = obj(raw) ?? {};
        const ports = strings(allow.ports);
        const web =
            allow.protocol === "tcp" && ports.length > 0 && ports.every((port) => WEB_PORTS.map(String).includes(port));
        return problems(
            !web &&
                `allows[${i}] (${String(allow.protocol)} ${ports.length > 0 ? ports.join(",") : "all ports"}) is open to 0.0.0.0/0: ` +
                    "only TCP 80/443 may be",
        );
    });
}

/** URNs (and ids) of the security groups attached to a load balancer. */
function loadBalancerGroups(resources: readonly StackResource[]): { urns: Set<string>; ids: Set<string> } {
    const urns = new Set<string>();
    const ids = new Set<string>();
    for (const lb of resources.filter((r) => r.type === AWS.loadBalancer || r.type === AWS.albLoadBalancer)) {
        (lb.propertyDependencies.securityGroups ?? []).forEach((u) => urns.add(u));
        strings(lb.props.securityGroups).forEach((id) => ids.add(id));
    }
    return { urns, ids };
}

export const internetIngressOnlyOnLoadBalancer: StackRule = {
    kind: "stack",
    name: "internet-ingress-only-on-load-balancer",
    description: "Only security groups attached to a load balancer admit traffic from the internet.",
    enforcementLevel: "mandatory",
    remediation: "Instances, databases and functions take traffic only from the load balancer's security group.",
    check: (resources) => {
        const lb = loadBalancerGroups(resources);
        const isLbGroup = (urns: readonly string[], id: unknown) =>
            urns.some((u) => lb.urns.has(u)) || (typeof id === "string" && lb.ids.has(id));
        return resources.flatMap((r): StackViolation[] => {
            const open = openAwsIngress(r.type, r.props);
            if (open.length === 0) {
                return [];
            }
            const attached =
                r.type === AWS.securityGroup
                    ? isLbGroup([r.urn], r.props.id)
                    : isLbGroup(r.propertyDependencies.securityGroupId ?? [], r.props.securityGroupId);
            return attached
                ? []
                : open.map((e) => ({
                      urn: r.urn,
                      message: `${r.name}: ${describe(e)}, but its security group is not attached to a load balancer`,
                  }));
        });
    },
};

export const httpListenerRedirectsToHttps: ResourceRule = {
    kind: "resource",
    name: "http-listener-redirects-to-https",
    description: "Plain-HTTP listeners only redirect to HTTPS; they never forward to targets.",
    enforcementLevel: "mandatory",
    remediation:
        'defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }].',
    check: byType({ [AWS.listener]: (p) => httpListener(p), [AWS.albListener]: (p) => httpListener(p) }),
};

/** A listener's protocol: ALB listeners default to HTTP, or HTTPS when they carry a certificate. */
function listenerProtocol(p: Props): string {
    return typeof p.protocol === "string" ? p.protocol : p.certificateArn !== undefined ? "HTTPS" : "HTTP";
}

function httpListener(p: Props): string[] {
    if (listenerProtocol(p) !== "HTTP") {
        return [];
    }
    const actions = list(p.defaultActions).map((a) => obj(a) ?? {});
    if (actions.length === 0) {
        return ["has no default action"];
    }
    return actions.flatMap((a, i) =>
        a.type !== "redirect"
            ? [`defaultActions[${i}] is ${JSON.stringify(a.type)}: an HTTP listener may only redirect to HTTPS`]
            : problems(
                  obj(a.redirect)?.protocol !== "HTTPS" &&
                      `defaultActions[${i}].redirect.protocol is ${JSON.stringify(obj(a.redirect)?.protocol ?? "#{protocol}")}, not "HTTPS"`,
              ),
    );
}

export const httpsListenerModernTls: ResourceRule = {
    kind: "resource",
    name: "https-listener-modern-tls",
    description: "HTTPS listeners use a TLS 1.3 security policy (TLS 1.2 minimum).",
    enforcementLevel: "advisory",
    remediation: 'sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" (or a newer TLS13 policy).',
    check: byType({ [AWS.listener]: (p) => tlsPolicy(p), [AWS.albListener]: (p) => tlsPolicy(p) }),
};

function tlsPolicy(p: Props): string[] {
    if (listenerProtocol(p) !== "HTTPS") {
        return [];
    }
    return problems(
        !(typeof p.sslPolicy === "string" && p.sslPolicy.startsWith("ELBSecurityPolicy-TLS13-")) &&
            `sslPolicy is ${JSON.stringify(p.sslPolicy ?? "ELBSecurityPolicy-2016-08 (default, allows TLS 1.0)")}`,
    );
}

/**
 * The resources among `candidates` whose `vpcId` is this VPC (by dependency or by value). An awsx
 * VPC component and the aws VPC inside it are the same network.
 */
export function inNetwork(
    candidates: readonly StackResource[],
    vpc: StackResource,
    vpcs: readonly StackResource[],
): StackResource[] {
    const same = new Set([vpc.urn]);
    vpcs.filter((other) => other.parent === vpc.urn || other.urn === vpc.parent).forEach((o) => same.add(o.urn));
    const values = [...same].flatMap((urn) => {
        const r = vpcs.find((v) => v.urn === urn);
        return r ? [r.props.id, r.props.vpcId] : [];
    });
    return candidates.filter(
        (c) =>
            (c.propertyDependencies.vpcId ?? []).some((u) => same.has(u)) ||
            (typeof c.props.vpcId === "string" && values.includes(c.props.vpcId)),
    );
}

export const vpcFlowLogs: StackRule = {
    kind: "stack",
    name: "vpc-flow-logs",
    description: "Every AWS VPC records flow logs of all traffic.",
    enforcementLevel: "mandatory",
    remediation: 'An aws.ec2.FlowLog with vpcId = the VPC and trafficType "ALL".',
    check: (resources) => {
        const flowLogs = resources.filter((r) => r.type === AWS.flowLog);
        const vpcs = resources.filter((r) => r.type === AWS.vpc || r.type === AWS.awsxVpc);
        return vpcs.flatMap((vpc): StackViolation[] => {
            const logs = inNetwork(flowLogs, vpc, vpcs);
            if (logs.length === 0) {
                return [{ urn: vpc.urn, message: `VPC ${vpc.name} has no flow log` }];
            }
            return logs.some((f) => f.props.trafficType === "ALL" || isUnknown(f.props.trafficType))
                ? []
                : [
                      {
                          urn: vpc.urn,
                          message: `VPC ${vpc.name} logs only ${String(logs[0].props.trafficType)} traffic, not ALL`,
                      },
                  ];
        });
    },
};

/** Subnetworks for proxies and Private Service Connect cannot log flows. */
const NO_FLOW_LOG_PURPOSES = new Set([
    "REGIONAL_MANAGED_PROXY",
    "GLOBAL_MANAGED_PROXY",
    "INTERNAL_HTTPS_LOAD_BALANCER",
    "PRIVATE_SERVICE_CONNECT",
]);

export const subnetworkFlowLogs: ResourceRule = {
    kind: "resource",
    name: "subnetwork-flow-logs",
    description: "Every GCP subnetwork records VPC flow logs.",
    enforcementLevel: "mandatory",
    remediation:
        'logConfig: { aggregationInterval: "INTERVAL_5_SEC", flowSampling: 1, metadata: "INCLUDE_ALL_METADATA" }.',
    check: byType({
        [GCP.subnetwork]: (p) =>
            typeof p.purpose === "string" && NO_FLOW_LOG_PURPOSES.has(p.purpose)
                ? []
                : problems(
                      obj(p.logConfig) === undefined && "logConfig is not set: the subnetwork records no flow logs",
                  ),
    }),
};

const RULE_RESOURCES: readonly string[] = [AWS.securityGroupRule, AWS.ingressRule, AWS.egressRule];

export const defaultSecurityGroupClosed: StackRule = {
    kind: "stack",
    name: "default-security-group-closed",
    description:
        "Every VPC's default security group is managed and has no rules, so nothing that lands in it " +
        "(a resource created without a group) can talk to anything.",
    enforcementLevel: enforcement("default-security-group-closed"),
    remediation:
        "An aws.ec2.DefaultSecurityGroup with vpcId = the VPC and no ingress or egress, and no rule resources on it.",
    check: (resources) => {
        const vpcs = resources.filter((r) => r.type === AWS.vpc || r.type === AWS.awsxVpc);
        const groups = resources.filter((r) => r.type === AWS.defaultSecurityGroup);
        // An awsx VPC and the aws VPC inside it are one network: report the outermost once.
        const outermost = vpcs.filter((v) => !vpcs.some((o) => o.urn === v.parent));
        const missing = outermost.flatMap((vpc): StackViolation[] =>
            inNetwork(groups, vpc, vpcs).length > 0
                ? []
                : [
                      {
                          urn: vpc.urn,
                          message:
                              `VPC ${vpc.name} has no aws.ec2.DefaultSecurityGroup: its default group keeps AWS's ` +
                              "rules (all traffic between members, all egress)",
                      },
                  ],
        );
        const open = groups.flatMap((group): StackViolation[] => {
            const inline = [
                ...list(group.props.ingress).map((_, i) => `ingress[${i}]`),
                ...list(group.props.egress).map((_, i) => `egress[${i}]`),
            ];
            const attached = resources.filter(
                (r) =>
                    RULE_RESOURCES.includes(r.type) &&
                    ((r.propertyDependencies.securityGroupId ?? []).includes(group.urn) ||
                        (typeof r.props.securityGroupId === "string" && r.props.securityGroupId === group.props.id)),
            );
            return [
                ...inline.map((where) => ({
                    urn: group.urn,
                    message: `${group.name}: ${where} is a rule on the default group`,
                })),
                ...attached.map((r) => ({
                    urn: r.urn,
                    message: `${r.name} adds a rule to the default group ${group.name}`,
                })),
            ];
        });
        return [...missing, ...open];
    },
};
