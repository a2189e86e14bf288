import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { GcpFeature } from "./types";

/**
 * Cloud Armor's preconfigured WAF rule sets (ModSecurity Core Rule Set 3.3) the policy enforces:
 * the OWASP Top 10 classes that apply to a JSON API on Node.js.
 */
export const OWASP_RULE_SETS: readonly string[] = [
    "sqli-v33-stable",
    "xss-v33-stable",
    "lfi-v33-stable",
    "rfi-v33-stable",
    "rce-v33-stable",
    "methodenforcement-v33-stable",
    "scannerdetection-v33-stable",
    "protocolattack-v33-stable",
    "sessionfixation-v33-stable",
    "nodejs-v33-stable",
];

/**
 * Sensitivity 1: only the rules with the lowest false-positive rate. Higher levels block more and
 * need per-application tuning (exclusions), so they are left to a reviewed change.
 */
export const OWASP_SENSITIVITY = 1;

/** Requests per client IP per minute before the rate limit answers 429 (10 a second, sustained). */
export const RATE_LIMIT = { count: 600, intervalSec: 60 } as const;

/** The default rule's priority (the lowest; Cloud Armor requires it). */
export const DEFAULT_RULE_PRIORITY = 2147483647;

const EVERYONE = { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } };

/**
 * The policy's rules, in priority order: one `deny(403)` rule per OWASP rule set, then a per-IP
 * rate limit that answers 429, then the default allow. `preview` evaluates and logs the WAF rules
 * without blocking (for tuning); the rate limit always enforces.
 */
export function securityPolicyRules(options: { preview: boolean }): gcp.types.input.compute.SecurityPolicyRule[] {
    const waf = OWASP_RULE_SETS.map((ruleSet, i) => ({
        priority: 1000 + i * 10,
        action: "deny(403)",
        preview: options.preview,
        description: `OWASP CRS 3.3: ${ruleSet}`,
        match: {
            expr: {
                expression: `evaluatePreconfiguredWaf('${ruleSet}', {'sensitivity': ${OWASP_SENSITIVITY}})`,
            },
        },
    }));
    return [
        ...waf,
        {
            priority: 2000,
            action: "throttle",
            description: `At most ${RATE_LIMIT.count} requests per ${RATE_LIMIT.intervalSec} s per client IP`,
            match: EVERYONE,
            rateLimitOptions: {
                conformAction: "allow",
                exceedAction: "deny(429)",
                enforceOnKey: "IP",
                rateLimitThreshold: { ...RATE_LIMIT },
            },
        },
        { priority: DEFAULT_RULE_PRIORITY, action: "allow", description: "Everything else", match: EVERYONE },
    ];
}

export interface CloudArmorArgs {
    /**
     * Log WAF matches without blocking (preview). Default false: the rules block. Turn it on for
     * a while after changing the rule sets or sensitivity, then read the logs.
     */
    preview?: boolean;
}

/**
 * A Cloud Armor security policy for the load balancer's backend service (`features.waf`):
 * preconfigured OWASP rules, a per-IP rate limit, JSON bodies parsed for inspection, verbose
 * logging of matches. The application tier attaches it to its backend service.
 */
export class CloudArmor extends pulumi.ComponentResource {
    /** The policy's self link (the backend service's `securityPolicy`). */
    public readonly policyId: pulumi.Output<string>;

    constructor(name: string, args: CloudArmorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:gcp:CloudArmor", name, {}, opts);
        const policy = new gcp.compute.SecurityPolicy(
            `${name}-policy`,
            {
                description: "webapp: OWASP rules and a per-IP rate limit in front of the API",
                type: "CLOUD_ARMOR",
                advancedOptionsConfig: { jsonParsing: "STANDARD", logLevel: "VERBOSE" },
                rules: securityPolicyRules({ preview: args.preview ?? false }),
            },
            { parent: this },
        );
        this.policyId = policy.selfLink;
        this.registerOutputs({ policyId: this.policyId });
    }
}

/** `features.waf` on GCP: the policy, created before the load balancer that attaches it. */
export const GCP_ARMOR: GcpFeature = {
    prepare: (ctx) => ({ securityPolicy: new CloudArmor(ctx.name("armor"), {}, ctx.tierOpts).policyId }),
};
