/**
 * The opt-in features (`features.*`), one entry each, as `policy/rules/index.ts` lists the rules.
 * The config schema runs every entry's `check` (and refuses a feature turned on for none of the
 * clouds it acts on), each cloud's platform builder runs the entries that are on, and README's
 * feature table lists them.
 *
 * Adding a feature: its key in the schema's `features` section (and README's config table), its
 * component(s) in `components/<cloud>/features/<feature>.ts` exporting an `AwsFeature` /
 * `GcpFeature`, and one entry below.
 *
 * This module is loaded by the config schema: it and the feature files import nothing from
 * `config/` or `components/shared/context.ts` at run time (types only), so there is no cycle.
 */
import type { Cloud, InfraConfig } from "../config";
import { AWS_AUDIT } from "./aws/features/audit";
import { AWS_BACKUP } from "./aws/features/backup";
import { AWS_BUDGET } from "./aws/features/budget";
import { AWS_CDN } from "./aws/features/cdn";
import { AWS_VPC_ENDPOINTS } from "./aws/features/endpoints";
import type { AwsFeature } from "./aws/features/types";
import { AWS_GOVERNANCE } from "./aws/features/governance";
import { AWS_WAF } from "./aws/features/waf";
import { GCP_ARMOR } from "./gcp/features/armor";
import { GCP_AUDIT } from "./gcp/features/audit";
import { GCP_GOVERNANCE } from "./gcp/features/governance";
import { GCP_CDN } from "./gcp/features/cdn";
import type { GcpFeature } from "./gcp/features/types";

/** A `features.*` key. */
export type FeatureKey = keyof InfraConfig["features"];

/** A config as the schema's cross-field rules see it: any part may be missing or invalid. */
export interface ConfigDraft {
    readonly clouds?: unknown;
    readonly features?: { readonly [K in FeatureKey]?: unknown };
    readonly monitoring?: { readonly alarmEmail?: unknown };
    readonly [key: string]: unknown;
}

/** One config problem: the key path and what is wrong (the schema reports it with the value). */
export interface FeatureProblem {
    readonly path: ReadonlyArray<string | number>;
    readonly message: string;
    readonly input?: unknown;
}

export interface Feature {
    /** Its `features.<key>` config key. */
    readonly key: FeatureKey;
    /** The clouds it acts on: turned on for a stack on none of them, it is a config problem. */
    readonly clouds: readonly Cloud[];
    /** One line for README's feature table: what it builds. */
    readonly summary: string;
    /** The feature's own config rules (run only when it is on), beyond its value's type. */
    check?(cfg: ConfigDraft): FeatureProblem[];
    /** Its AWS part (absent: nothing to build on AWS, e.g. a feature of the DNS step). */
    readonly aws?: AwsFeature;
    readonly gcp?: GcpFeature;
}

function clouds(cfg: ConfigDraft): unknown[] {
    return Array.isArray(cfg.clouds) ? cfg.clouds : [];
}

/** Every opt-in feature, in README order. */
export const FEATURES: readonly Feature[] = [
    {
        key: "auditLogs",
        clouds: ["aws", "gcp"],
        summary: "AWS: CloudTrail (all regions, validated, encrypted) and GuardDuty; GCP: Data Access audit logs",
        aws: AWS_AUDIT,
        gcp: GCP_AUDIT,
    },
    {
        key: "governance",
        clouds: ["aws", "gcp"],
        summary:
            "AWS: Security Hub (FSBP, CIS), AWS Config with managed rules, Access Analyzer, Inspector, security events and the CIS alarms to the ops topic; GCP: the CIS log-based metrics and alerts",
        check: (cfg) =>
            clouds(cfg).includes("aws") && !isOn(cfg.features?.auditLogs)
                ? [
                      {
                          path: ["features", "governance"],
                          message:
                              "needs features.auditLogs on AWS: the CIS metric filters and alarms read the trail's log group",
                          input: cfg.features?.governance,
                      },
                  ]
                : [],
        aws: AWS_GOVERNANCE,
        gcp: GCP_GOVERNANCE,
    },
    {
        key: "waf",
        clouds: ["aws", "gcp"],
        summary: "AWS: WAF on the load balancer; GCP: a Cloud Armor policy on the load balancer",
        aws: AWS_WAF,
        gcp: GCP_ARMOR,
    },
    {
        key: "dnsFailover",
        clouds: ["aws", "gcp"],
        summary: "the apex fails over from the AWS load balancer to the GCP one (the DNS step)",
        check: (cfg) => {
            const list = clouds(cfg);
            return list.includes("aws") && list.includes("gcp")
                ? []
                : [
                      {
                          path: ["features", "dnsFailover"],
                          message:
                              'needs clouds to include both "aws" and "gcp" (GCP is the standby for the AWS endpoint)',
                          input: true,
                      },
                  ];
        },
    },
    {
        key: "cdn",
        clouds: ["aws", "gcp"],
        summary:
            "AWS: CloudFront with its own WAF in front of the load balancer, which admits only CloudFront; GCP: Cloud CDN on the backend service",
        aws: AWS_CDN,
        gcp: GCP_CDN,
    },
    {
        key: "backup",
        clouds: ["aws"],
        summary: "AWS Backup of the database and the bucket",
        aws: AWS_BACKUP,
    },
    {
        key: "vpcEndpoints",
        clouds: ["aws"],
        summary: "AWS API endpoints inside the VPC",
        aws: AWS_VPC_ENDPOINTS,
    },
    {
        key: "monthlyBudgetUsd",
        clouds: ["aws"],
        summary: "a monthly cost budget and cost-anomaly alerts",
        check: (cfg) =>
            cfg.monitoring?.alarmEmail === undefined
                ? [
                      {
                          path: ["features", "monthlyBudgetUsd"],
                          message: "needs monitoring.alarmEmail: budget and cost-anomaly alerts are sent there",
                          input: cfg.features?.monthlyBudgetUsd,
                      },
                  ]
                : [],
        aws: AWS_BUDGET,
    },
    {
        // Built with the data tiers (the connection document and the backends use it), not as a feature step.
        key: "cache",
        clouds: ["aws", "gcp"],
        summary:
            "AWS: ElastiCache for Valkey: TLS, its own at-rest key, an AUTH token in Secrets Manager, a replica outside dev; GCP: Memorystore for Redis on private services access: TLS, its own key, the AUTH string in Secret Manager, STANDARD_HA outside dev",
    },
];

/** Whether a feature's config value turns it on (`true`, or a value such as a budget amount). */
export function isOn(value: unknown): boolean {
    return value !== undefined && value !== false;
}

/**
 * The config problems of the features a config turns on: each feature's own rules, and a feature
 * that acts on none of the stack's clouds (it would do nothing).
 */
export function featureProblems(cfg: ConfigDraft): FeatureProblem[] {
    const stackClouds = clouds(cfg);
    // A cloud no feature knows is the clouds list's own error: no feature is idle because of it.
    const known = new Set<unknown>(FEATURES.flatMap((f) => f.clouds));
    const judged = stackClouds.length > 0 && stackClouds.every((c) => known.has(c));
    return FEATURES.filter((f) => isOn(cfg.features?.[f.key])).flatMap((f) => {
        const idle =
            judged && !f.clouds.some((c) => stackClouds.includes(c))
                ? [
                      {
                          path: ["features", f.key],
                          message: `does nothing on clouds [${stackClouds.join(", ")}]: it acts on ${f.clouds.join(" and ")} only`,
                          input: cfg.features?.[f.key],
                      },
                  ]
                : [];
        return [...idle, ...(f.check?.(cfg) ?? [])];
    });
}

/** The features a validated config turns on. */
export function enabledFeatures(cfg: Pick<InfraConfig, "features">): Feature[] {
    return FEATURES.filter((f) => isOn(cfg.features[f.key]));
}
