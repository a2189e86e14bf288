import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { HSTS_HEADER, httpsUrl } from "../../shared/web";
import type { Network } from "../network";
import type { AccessLogTarget } from "../storage";

/** TLS 1.3 and 1.2 with forward-secret AEAD ciphers only, plus hybrid post-quantum key exchange. */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09";

/** What the listener answers a request without the origin header (one that did not come through the CDN). */
export const FORBIDDEN_RESPONSE = {
    type: "fixed-response",
    fixedResponse: { contentType: "text/plain", messageBody: "Forbidden", statusCode: "403" },
};

/** Target-group health check: a target is healthy after 2 passes 15 s apart, out after 3 failures. */
export const HEALTH_CHECK = { interval: 15, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3 } as const;
/** Seconds a deregistering target keeps serving in-flight requests (the default, 300, slows every roll). */
export const DEREGISTRATION_DELAY_SECONDS = 30;

/** The AWS-managed prefix list of CloudFront's origin-facing addresses (what CloudFront connects from). */
export const CLOUDFRONT_ORIGIN_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing";
/** The header CloudFront adds to every origin request: the load balancer forwards only requests with it. */
export const ORIGIN_HEADER_NAME = "X-Origin-Verify";

/**
 * The load balancer behind a CDN (`features.cdn`): it admits HTTPS from CloudFront's origin-facing
 * addresses only and forwards only requests that carry the origin header with this value.
 */
export interface OriginLock {
    /** The origin header's value (a secret Output): CloudFront sends it, the listener rule requires it. */
    headerValue: pulumi.Output<string>;
}

/** How the target group registers the backend's targets: instances (an ASG) or IP addresses (tasks). */
export type TargetType = "instance" | "ip";

export interface LoadBalancerArgs {
    /** The VPC: the load balancer goes in its public subnets. */
    network: Pick<Network, "networkId" | "publicSubnetIds">;
    /** The public name served over HTTPS (`domainName`). */
    domainName: string;
    /**
     * An ACM certificate (same region) to serve (`aws.certificateArn`). Default: the load balancer
     * requests one for `domainName` and validates it with a DNS record in `zoneId`.
     */
    certificateArn?: string;
    /** The hosted zone of `domainName`, for the certificate's validation record. */
    zoneId: pulumi.Input<string>;
    /** The port the application listens on (`app.port`, default 80): targets and health checks. */
    appPort: number;
    /** Path the health check requests (`app.healthCheckPath`). Default `/healthz`. */
    healthCheckPath: string;
    /** What the backend registers (from the compute implementation): `instance` for an ASG. */
    targetType: TargetType;
    /** What the backend is called in descriptions, e.g. `instances`. */
    backendLabel: string;
    /** Protect the load balancer from deletion. Default: outside dev. */
    deletionProtection: boolean;
    /** Where the access logs go (`Storage.loadBalancerAccessLogs()`: the stack's log bucket). */
    accessLogs: AccessLogTarget;
    /**
     * Only a CDN may reach the load balancer (`features.cdn`): HTTPS from CloudFront's
     * origin-facing prefix list, requests without the origin header answered 403, no HTTP
     * listener. Default: HTTP and HTTPS from the internet.
     */
    originLock?: OriginLock;
}

/**
 * The API's front door, a part of the `Compute` tier (its resources are the tier's children, named
 * `<tier>-<role>`): an internet-facing ALB in the public subnets (invalid headers dropped,
 * deletion protection outside dev, access logs in the log bucket), an HTTPS listener with a modern TLS policy, HSTS and no
 * `Server` header forwarding to a target group, and an HTTP listener that answers 301 to HTTPS.
 * Its security group takes 80 and 443 from the internet and sends only to the backend
 * (`sendTo`). The backend (instances or tasks) registers itself in the target group.
 */
export class LoadBalancer {
    /** `https://<domainName>`. */
    public readonly url: string;
    public readonly loadBalancerArn: pulumi.Output<string>;
    /** `app/<name>/<id>`, the CloudWatch dimension. */
    public readonly loadBalancerArnSuffix: pulumi.Output<string>;
    public readonly dnsName: pulumi.Output<string>;
    /** The hosted zone of the load balancer's DNS name (for alias records). */
    public readonly zoneId: pulumi.Output<string>;
    public readonly targetGroupArn: pulumi.Output<string>;
    /** `targetgroup/<name>/<id>`, the CloudWatch dimension. */
    public readonly targetGroupArnSuffix: pulumi.Output<string>;
    public readonly securityGroupId: pulumi.Output<string>;
    /**
     * The HTTPS listener that forwards to the target group: a backend that registers its targets
     * itself (an ECS service) waits for it, as ECS refuses a target group no load balancer uses.
     * Behind a CDN, the listener rule that forwards requests carrying the origin header.
     */
    public readonly httpsListener: pulumi.Resource;
    /**
     * The DNS validation record of the certificate the load balancer requested (none with
     * `certificateArn`). ACM asks for the same record for the same name in every region of an
     * account, so another certificate for the name (the CDN's, in us-east-1) validates with it.
     */
    public readonly certificateValidationFqdn?: pulumi.Output<string>;
    private readonly baseName: string;
    private readonly childOpts: pulumi.CustomResourceOptions;
    private readonly args: LoadBalancerArgs;

    /** `name` is the tier's; `tier` the `Compute` component that holds the resources. */
    constructor(name: string, args: LoadBalancerArgs, tier: pulumi.Resource) {
        this.baseName = name;
        this.args = args;
        const child = (this.childOpts = { parent: tier });

        // No inline rules: each rule is its own resource (the default allow-all egress is removed).
        const group = new aws.ec2.SecurityGroup(
            `${name}-alb-sg`,
            {
                vpcId: args.network.networkId,
                description:
                    args.originLock === undefined
                        ? `webapp load balancer: HTTP and HTTPS from the internet, app port to ${args.backendLabel}`
                        : `webapp load balancer: HTTPS from CloudFront only, app port to ${args.backendLabel}`,
                revokeRulesOnDelete: true,
            },
            child,
        );
        if (args.originLock === undefined) {
            for (const [port, description] of [
                [80, "HTTP (redirected to HTTPS)"],
                [443, "HTTPS"],
            ] as const) {
                new aws.vpc.SecurityGroupIngressRule(
                    `${name}-alb-in-${port}`,
                    {
                        securityGroupId: group.id,
                        cidrIpv4: "0.0.0.0/0",
                        ipProtocol: "tcp",
                        fromPort: port,
                        toPort: port,
                        description,
                    },
                    child,
                );
            }
        } else {
            const prefixList = aws.ec2.getManagedPrefixListOutput({ name: CLOUDFRONT_ORIGIN_PREFIX_LIST }, child);
            new aws.vpc.SecurityGroupIngressRule(
                `${name}-alb-in-cdn`,
                {
                    securityGroupId: group.id,
                    prefixListId: prefixList.id,
                    ipProtocol: "tcp",
                    fromPort: 443,
                    toPort: 443,
                    description: "HTTPS from CloudFront's origin-facing addresses",
                },
                child,
            );
        }

        const loadBalancer = new aws.lb.LoadBalancer(
            `${name}-alb`,
            {
                loadBalancerType: "application",
                internal: false,
                ipAddressType: "ipv4",
                subnets: args.network.publicSubnetIds,
                securityGroups: [group.id],
                dropInvalidHeaderFields: true,
                enableDeletionProtection: args.deletionProtection,
                idleTimeout: 60,
                accessLogs: { bucket: args.accessLogs.bucket, prefix: args.accessLogs.prefix, enabled: true },
            },
            // ELB checks that it may write to the bucket when access logs are turned on.
            { ...child, dependsOn: args.accessLogs.after },
        );
        const targetGroup = new aws.lb.TargetGroup(
            `${name}-tg`,
            {
                vpcId: args.network.networkId,
                targetType: args.targetType,
                protocol: "HTTP",
                port: args.appPort,
                deregistrationDelay: DEREGISTRATION_DELAY_SECONDS,
                healthCheck: {
                    enabled: true,
                    protocol: "HTTP",
                    port: "traffic-port",
                    path: args.healthCheckPath,
                    matcher: "200",
                    ...HEALTH_CHECK,
                },
            },
            child,
        );
        const issued =
            args.certificateArn === undefined
                ? dnsValidatedCertificate(name, { domainName: args.domainName, zoneId: args.zoneId }, child)
                : undefined;
        const certificateArn = args.certificateArn ?? issued!.certificateArn;
        this.certificateValidationFqdn = issued?.validationFqdn;
        const forward = { type: "forward", targetGroupArn: targetGroup.arn };
        const listener = new aws.lb.Listener(
            `${name}-https`,
            {
                loadBalancerArn: loadBalancer.arn,
                port: 443,
                protocol: "HTTPS",
                sslPolicy: TLS_POLICY,
                certificateArn,
                defaultActions: [args.originLock === undefined ? forward : FORBIDDEN_RESPONSE],
                routingHttpResponseStrictTransportSecurityHeaderValue: HSTS_HEADER,
                routingHttpResponseServerEnabled: false,
            },
            child,
        );
        this.httpsListener = listener;
        if (args.originLock === undefined) {
            new aws.lb.Listener(
                `${name}-http`,
                {
                    loadBalancerArn: loadBalancer.arn,
                    port: 80,
                    protocol: "HTTP",
                    defaultActions: [
                        { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
                    ],
                },
                child,
            );
        } else {
            // ECS waits for a listener that forwards to the target group: the rule is that one.
            this.httpsListener = new aws.lb.ListenerRule(
                `${name}-https-origin`,
                {
                    listenerArn: listener.arn,
                    priority: 1,
                    conditions: [
                        { httpHeader: { httpHeaderName: ORIGIN_HEADER_NAME, values: [args.originLock.headerValue] } },
                    ],
                    actions: [forward],
                },
                child,
            );
        }

        this.url = httpsUrl(args.domainName);
        this.loadBalancerArn = loadBalancer.arn;
        this.loadBalancerArnSuffix = loadBalancer.arnSuffix;
        this.dnsName = loadBalancer.dnsName;
        this.zoneId = loadBalancer.zoneId;
        this.targetGroupArn = targetGroup.arn;
        this.targetGroupArnSuffix = targetGroup.arnSuffix;
        this.securityGroupId = group.id;
    }

    /**
     * Lets the load balancer reach the backend's security group on the app port (requests and
     * health checks): its only egress. Call once, with the backend's group.
     */
    sendTo(backendSecurityGroupId: pulumi.Input<string>): aws.vpc.SecurityGroupEgressRule {
        return new aws.vpc.SecurityGroupEgressRule(
            `${this.baseName}-alb-out-app`,
            {
                securityGroupId: this.securityGroupId,
                referencedSecurityGroupId: backendSecurityGroupId,
                ipProtocol: "tcp",
                fromPort: this.args.appPort,
                toPort: this.args.appPort,
                description: `Requests and health checks to the ${this.args.backendLabel}`,
            },
            this.childOpts,
        );
    }
}


/**
 * An ACM certificate for `domainName` (in the region of `opts`' provider), validated by a DNS
 * record in `zoneId`, or by `validationFqdn` when that record already exists; the ARN resolves
 * once the certificate is issued. Resources: `<name>-certificate`, `<name>-certificate-validation`
 * and `<name>-certificate-validation-record`.
 */
export function dnsValidatedCertificate(
    name: string,
    args: { domainName: string; zoneId: pulumi.Input<string>; validationFqdn?: pulumi.Input<string> },
    opts: pulumi.CustomResourceOptions,
): { certificateArn: pulumi.Output<string>; validationFqdn: pulumi.Output<string> } {
    const certificate = new aws.acm.Certificate(
        `${name}-certificate`,
        { domainName: args.domainName, validationMethod: "DNS" },
        opts,
    );
    const validationFqdn =
        args.validationFqdn === undefined
            ? validationRecord(name, certificate, args.domainName, args.zoneId, opts).fqdn
            : pulumi.output(args.validationFqdn);
    const validation = new aws.acm.CertificateValidation(
        `${name}-certificate-validation`,
        { certificateArn: certificate.arn, validationRecordFqdns: [validationFqdn] },
        opts,
    );
    return { certificateArn: validation.certificateArn, validationFqdn };
}

function validationRecord(
    name: string,
    certificate: aws.acm.Certificate,
    domainName: string,
    zoneId: pulumi.Input<string>,
    opts: pulumi.CustomResourceOptions,
): aws.route53.Record {
    const option = certificate.domainValidationOptions.apply((options) => {
        const match = options.find((o) => o.domainName === domainName);
        if (!match) {
            throw new Error(`ACM returned no DNS validation record for ${domainName}`);
        }
        return match;
    });
    return new aws.route53.Record(
        `${name}-certificate-validation-record`,
        {
            zoneId,
            name: option.resourceRecordName,
            type: option.resourceRecordType,
            records: [option.resourceRecordValue],
            ttl: 300,
            allowOverwrite: true,
        },
        opts,
    );
}
