import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsFeature } from "./types";

/** Requests per client IP in any 5-minute window before the rate rule blocks it. */
export const RATE_LIMIT_PER_5_MINUTES = 2000;

/** AWS managed rule groups, in evaluation order after the IP reputation list. */
export const MANAGED_RULE_GROUPS = [
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
] as const;

export interface WafArgs {
    /**
     * `REGIONAL` (on a load balancer) or `CLOUDFRONT` (on a distribution; the component then
     * needs a us-east-1 provider). Default `REGIONAL`.
     */
    scope?: "REGIONAL" | "CLOUDFRONT";
    /** The load balancer the web ACL protects (a `REGIONAL` one). Default: none (a distribution names the ACL). */
    loadBalancerArn?: pulumi.Input<string>;
    /** CloudWatch metric name prefix, e.g. `webapp-dev`. */
    metricPrefix: string;
    /** Retention of the WAF log group in days (`aws.logRetentionDays`). */
    logRetentionDays: number;
    /** The logs key (`Kms.keyArns.logs`): the WAF log group is encrypted with it. */
    logsKeyArn: pulumi.Input<string>;
}

function visibility(metricName: string) {
    return { cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName };
}

/** The web ACL's rules: AWS managed groups first, then a per-IP rate limit. */
export function wafRules(metricPrefix: string): aws.types.input.wafv2.WebAclRule[] {
    const managed = MANAGED_RULE_GROUPS.map((group, i) => ({
        name: group,
        priority: i + 1,
        overrideAction: { none: {} },
        statement: { managedRuleGroupStatement: { vendorName: "AWS", name: group } },
        visibilityConfig: visibility(`${metricPrefix}-${group}`),
    }));
    const rate = {
        name: "rate-limit-per-ip",
        priority: MANAGED_RULE_GROUPS.length + 1,
        action: { block: {} },
        statement: { rateBasedStatement: { limit: RATE_LIMIT_PER_5_MINUTES, aggregateKeyType: "IP" } },
        visibilityConfig: visibility(`${metricPrefix}-rate-limit`),
    };
    return [...managed, rate];
}

/**
 * Opt-in web application firewall (`features.waf`) on the load balancer: AWS managed rules (IP
 * reputation, common exploits, known bad inputs, SQL injection) and a per-IP rate limit, with
 * metrics and logs. The logs redact the Authorization header (the API uses Basic auth) and the
 * query string (verification links carry the token).
 */
export class Waf extends pulumi.ComponentResource {
    public readonly webAclArn: pulumi.Output<string>;

    constructor(name: string, args: WafArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:Waf", name, {}, opts);
        const child = { parent: this };

        const acl = new aws.wafv2.WebAcl(
            `${name}-acl`,
            {
                scope: args.scope ?? "REGIONAL",
                description: "webapp: managed rules and a per-IP rate limit in front of the API",
                defaultAction: { allow: {} },
                rules: wafRules(args.metricPrefix),
                visibilityConfig: visibility(`${args.metricPrefix}-web-acl`),
            },
            child,
        );
        if (args.loadBalancerArn !== undefined) {
            new aws.wafv2.WebAclAssociation(
                `${name}-alb`,
                { resourceArn: args.loadBalancerArn, webAclArn: acl.arn },
                child,
            );
        }
        // WAF only delivers to log groups whose name starts with aws-waf-logs-.
        const logs = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            {
                namePrefix: `aws-waf-logs-${args.metricPrefix}-`,
                retentionInDays: args.logRetentionDays,
                kmsKeyId: args.logsKeyArn,
            },
            child,
        );
        new aws.wafv2.WebAclLoggingConfiguration(
            `${name}-logging`,
            {
                resourceArn: acl.arn,
                logDestinationConfigs: [logs.arn],
                redactedFields: [{ singleHeader: { name: "authorization" } }, { queryString: {} }],
            },
            child,
        );

        this.webAclArn = acl.arn;
        this.registerOutputs({ webAclArn: this.webAclArn });
    }
}

/**
 * `features.waf` on AWS: the web ACL on the application load balancer. Behind the CDN
 * (`features.cdn`) the CDN's web ACL does it at the edge instead: the load balancer sees only
 * CloudFront's addresses, which a per-IP rate limit there would throttle.
 */
export const AWS_WAF: AwsFeature = {
    build: (ctx, platform) => {
        if (ctx.config.features.cdn) {
            return;
        }
        new Waf(
            ctx.name("waf"),
            {
                loadBalancerArn: platform.compute.loadBalancer.loadBalancerArn,
                metricPrefix: ctx.names.prefix,
                logRetentionDays: ctx.config.aws.logRetentionDays,
                logsKeyArn: platform.kms.keyArns.logs,
            },
            ctx.tierOpts,
        );
    },
};
