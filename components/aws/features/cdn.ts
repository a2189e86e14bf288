import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AliasTarget } from "../dns";
import type { AwsAccount } from "../iam";
import { customerKey, logsKeyStatements } from "../kms";
import { dnsValidatedCertificate, ORIGIN_HEADER_NAME } from "../compute/loadBalancer";
import { CDN_LOG_REGION } from "../storage";
import type { AwsFeature } from "./types";
import { Waf } from "./waf";

/** Where CloudFront's certificate, web ACL and log delivery must live. */
export const CDN_REGION = CDN_LOG_REGION;

/** AWS managed cache policy `Managed-CachingDisabled`: nothing is cached (the API's answers are per user). */
export const CACHING_DISABLED_POLICY_ID = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
/** AWS managed origin request policy `Managed-AllViewer`: every viewer header, cookie and query string reaches the origin. */
export const ALL_VIEWER_ORIGIN_REQUEST_POLICY_ID = "216adef6-5c7f-47e4-b989-5492eafa07d3";
/** AWS managed response headers policy `Managed-SecurityHeadersPolicy` (HSTS, nosniff, frame options, referrer policy). */
export const SECURITY_HEADERS_POLICY_ID = "67f7725c-6f97-4210-82d7-5512b31e9d03";
/** The oldest TLS version viewers may use. */
export const VIEWER_TLS_POLICY = "TLSv1.2_2021";
/** The edge locations served: North America and Europe (the cheapest price class). */
export const PRICE_CLASS = "PriceClass_100";
/** The id of the distribution's only origin. */
export const ORIGIN_ID = "alb";

export interface CdnArgs {
    /** The account (its region is replaced by us-east-1 for the edge's own key). */
    account: AwsAccount;
    /** The public name the distribution serves (`domainName`); its certificate is issued in us-east-1. */
    domainName: string;
    /** The hosted zone of `domainName`, for the certificate's validation record. */
    zoneId: pulumi.Input<string>;
    /**
     * The validation record already in the zone for `domainName` (the load balancer's certificate's:
     * ACM asks for the same one in every region). Default: the CDN writes it.
     */
    validationFqdn?: pulumi.Input<string>;
    /** The load balancer's DNS name: the origin, reached over HTTPS only. */
    originDnsName: pulumi.Input<string>;
    /** The origin header's value (a secret Output): sent with every origin request. */
    originHeaderValue: pulumi.Output<string>;
    /** Prefix of names and metrics, e.g. `webapp-dev`. */
    namePrefix: string;
    /** Retention of the web ACL's log group in days (`aws.logRetentionDays`). */
    logRetentionDays: number;
    /** Rotation period of the edge's logs key in days (`aws.kmsRotationDays`). */
    kmsRotationDays: number;
    /** The access logs' destination: the log bucket's `cdn/` prefix (`Storage.cdnAccessLogs()`). */
    accessLogs: { destinationArn: pulumi.Input<string>; after: pulumi.Resource[] };
}

/** The distribution's only cache behaviour: the API, never cached, every method, compressed. */
export function apiCacheBehavior(): aws.types.input.cloudfront.DistributionDefaultCacheBehavior {
    return {
        targetOriginId: ORIGIN_ID,
        viewerProtocolPolicy: "https-only",
        allowedMethods: ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
        cachedMethods: ["GET", "HEAD"],
        cachePolicyId: CACHING_DISABLED_POLICY_ID,
        originRequestPolicyId: ALL_VIEWER_ORIGIN_REQUEST_POLICY_ID,
        responseHeadersPolicyId: SECURITY_HEADERS_POLICY_ID,
        compress: true,
    };
}

/**
 * CloudFront in front of the load balancer (`features.cdn`); every resource is in us-east-1
 * through the component's provider: an ACM certificate validated in the hosted zone, a web ACL of
 * scope CLOUDFRONT (the managed rule groups and the per-IP rate limit, logged under the edge's
 * own logs key), the distribution (HTTPS only to viewers and to the origin, TLS 1.2_2021, HTTP/2
 * and 3, IPv6, caching disabled, the origin header on every origin request) and its access logs
 * delivered to the log bucket.
 */
export class Cdn extends pulumi.ComponentResource {
    public readonly distributionId: pulumi.Output<string>;
    public readonly distributionArn: pulumi.Output<string>;
    /** The distribution's `*.cloudfront.net` name. */
    public readonly domainName: pulumi.Output<string>;
    /** What the apex aliases: the distribution (dual-stack). */
    public readonly aliasTarget: AliasTarget;

    constructor(name: string, args: CdnArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:Cdn", name, {}, opts);
        const child = { parent: this };
        const edgeAccount: AwsAccount = { ...args.account, region: CDN_REGION };

        const certificate = dnsValidatedCertificate(
            name,
            {
                domainName: args.domainName,
                zoneId: args.zoneId,
                ...(args.validationFqdn === undefined ? {} : { validationFqdn: args.validationFqdn }),
            },
            child,
        );

        const logsKey = customerKey(
            `${name}-logs-key`,
            {
                account: edgeAccount,
                description: "webapp: CloudWatch log groups of the CDN (us-east-1)",
                rotationDays: args.kmsRotationDays,
                alias: `${args.namePrefix}-cdn-logs`,
                extraStatements: logsKeyStatements(edgeAccount),
            },
            child,
        ).key;
        const waf = new Waf(
            `${name}-waf`,
            {
                scope: "CLOUDFRONT",
                metricPrefix: `${args.namePrefix}-cdn`,
                logRetentionDays: args.logRetentionDays,
                logsKeyArn: logsKey.arn,
            },
            child,
        );

        const distribution = new aws.cloudfront.Distribution(
            `${name}-distribution`,
            {
                enabled: true,
                comment: `webapp: ${args.domainName}`,
                aliases: [args.domainName],
                isIpv6Enabled: true,
                httpVersion: "http2and3",
                priceClass: PRICE_CLASS,
                webAclId: waf.webAclArn,
                origins: [
                    {
                        originId: ORIGIN_ID,
                        domainName: args.originDnsName,
                        customOriginConfig: {
                            originProtocolPolicy: "https-only",
                            httpPort: 80,
                            httpsPort: 443,
                            originSslProtocols: ["TLSv1.2"],
                        },
                        customHeaders: [{ name: ORIGIN_HEADER_NAME, value: args.originHeaderValue }],
                    },
                ],
                defaultCacheBehavior: apiCacheBehavior(),
                restrictions: { geoRestriction: { restrictionType: "none" } },
                viewerCertificate: {
                    acmCertificateArn: certificate.certificateArn,
                    sslSupportMethod: "sni-only",
                    minimumProtocolVersion: VIEWER_TLS_POLICY,
                },
            },
            child,
        );

        const source = new aws.cloudwatch.LogDeliverySource(
            `${name}-log-source`,
            { name: `${args.namePrefix}-cdn`, logType: "ACCESS_LOGS", resourceArn: distribution.arn },
            child,
        );
        const destination = new aws.cloudwatch.LogDeliveryDestination(
            `${name}-log-destination`,
            {
                name: `${args.namePrefix}-cdn-log-bucket`,
                outputFormat: "w3c",
                deliveryDestinationConfiguration: { destinationResourceArn: args.accessLogs.destinationArn },
            },
            child,
        );
        new aws.cloudwatch.LogDelivery(
            `${name}-log-delivery`,
            { deliverySourceName: source.name, deliveryDestinationArn: destination.arn },
            { ...child, dependsOn: args.accessLogs.after },
        );

        this.distributionId = distribution.id;
        this.distributionArn = distribution.arn;
        this.domainName = distribution.domainName;
        this.aliasTarget = { dnsName: distribution.domainName, zoneId: distribution.hostedZoneId, ipv6: true };
        this.registerOutputs({ distributionId: this.distributionId, domainName: this.domainName });
    }
}

/**
 * `features.cdn` on AWS: the distribution in front of the load balancer (which the Secrets tier's
 * origin header and the load balancer's origin lock already limit to it), and the apex pointed at
 * the distribution instead of the load balancer.
 */
export const AWS_CDN: AwsFeature = {
    build: (ctx, platform) => {
        const originHeader = platform.secrets.originHeader;
        if (originHeader === undefined || ctx.edgeOpts === undefined) {
            throw new Error("features.cdn: the AWS context has no us-east-1 provider or no origin header");
        }
        const cdn = new Cdn(
            ctx.name("cdn"),
            {
                account: ctx.account,
                domainName: ctx.config.domainName,
                zoneId: platform.dns.zoneId,
                ...(platform.compute.loadBalancer.certificateValidationFqdn === undefined
                    ? {}
                    : { validationFqdn: platform.compute.loadBalancer.certificateValidationFqdn }),
                originDnsName: platform.compute.loadBalancer.dnsName,
                originHeaderValue: originHeader.value,
                namePrefix: ctx.names.prefix,
                logRetentionDays: ctx.config.aws.logRetentionDays,
                kmsRotationDays: ctx.config.aws.kmsRotationDays,
                accessLogs: platform.storage.cdnAccessLogs(),
            },
            ctx.edgeOpts,
        );
        // The same apex records as without the CDN (role `alb`), updated in place: turning the CDN
        // on or off re-points the apex, it never deletes it.
        platform.edge.apex = { role: "alb", target: cdn.aliasTarget };
        platform.outputs.cdn = { distributionId: cdn.distributionId, domainName: cdn.domainName };
    },
};
