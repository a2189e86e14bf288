/**
 * The usage the cost estimate assumes for everything priced by use (data through NAT and load
 * balancers, requests, log ingestion, storage), all in one place. Edit the defaults here, or pass
 * a file with the figures to change: `npm run plan -- --stack demo --usage usage.yaml`, e.g.
 *
 *     requestsPerMonth: 5000000
 *     aws: { natDataGb: 200 }
 *
 * Figures are per stack and month, per cloud where the key sits under `aws` or `gcp`.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { parseYamlFile } from "../offline/stack-config";

const count = z.number().nonnegative();

const usageSchema = z
    .object({
        /** HTTP requests to the API per month, on each cloud's load balancer. */
        requestsPerMonth: count,
        /** Registrations per month: one event, one e-mail function run, one Mailgun call each. */
        registrationsPerMonth: count,
        /** Average run time of the e-mail function, seconds. */
        functionSeconds: count,
        /** Apply the providers' permanent monthly allowances (`FREE_ALLOWANCES`) once for the stack. */
        applyFreeAllowances: z.boolean(),
        aws: z
            .object({
                /** GB through the NAT gateways (all of them together): updates, AWS APIs, Mailgun. */
                natDataGb: count,
                /** Average load balancer capacity units used (1 LCU: 25 new connections/s, 1 GB/h processed). */
                albLcu: count,
                /** GB ingested by each CloudWatch log group (app, function, database logs, WAF). */
                logGbPerLogGroup: count,
                /** GB of VPC flow logs per month. */
                flowLogGb: count,
                /** GB stored in the application bucket (S3 Standard). */
                bucketGb: count,
                /** Object writes and reads per month. */
                bucketPuts: count,
                bucketGets: count,
                /** Custom metrics the CloudWatch agent publishes (per instance and per group). */
                customMetrics: count,
                /** KMS requests per month (all keys). */
                kmsRequests: count,
                /**
                 * Secrets Manager API calls per month (instance boots, the instances' credentials
                 * timer, function cold starts).
                 */
                secretsApiCalls: count,
                /** GB per interface endpoint through the VPC endpoints. */
                endpointDataGb: count,
                /** CloudTrail management events GuardDuty analyses per month. */
                cloudTrailEvents: count,
                /** Security Hub security checks a month (`features.governance`: both standards over the stack's resources). */
                securityHubChecks: count,
                /** AWS Config: configuration items recorded a month, and the managed rules' evaluations. */
                configItems: count,
                configRuleEvaluations: count,
                /** Inspector: EC2 instances scanned, container images pushed and scanned, a month. */
                inspectorInstances: count,
                inspectorImages: count,
                /** GB of backups kept (database snapshots and bucket backups each). */
                backupGb: count,
                /** GB of new or changed objects a month that S3 replicates to the DR region (`aws.dr.region`). */
                replicatedGb: count,
                /** GB of container images kept in the ECR repository (`aws.compute: fargate`). */
                imageStorageGb: count,
                /** Container Insights metrics per ECS cluster (cluster, service and task level). */
                containerInsightsMetrics: count,
                /** GB CloudFront sends to viewers a month (`features.cdn`). */
                cdnDataGb: count,
            })
            .strict(),
        gcp: z
            .object({
                /** GB through Cloud NAT. */
                natDataGb: count,
                /** GB through the global load balancer. */
                lbDataGb: count,
                /** GiB of logs ingested: load balancer requests, instances, function, audit and flow logs. */
                loggingGib: count,
                /** GB stored in the application bucket (Standard). */
                bucketGb: count,
                /** Cloud SQL backup storage, GB. */
                sqlBackupGb: count,
                /** Cloud KMS operations per month (all keys). */
                kmsOperations: count,
                /** Secret Manager access operations per month. */
                secretAccesses: count,
                /** Average Pub/Sub message size, KiB (a registration event). */
                messageKib: count,
            })
            .strict(),
    })
    .strict();

export type Usage = z.infer<typeof usageSchema>;

/** The assumptions the estimate uses unless a `--usage` file changes them. */
export const DEFAULT_USAGE: Usage = {
    requestsPerMonth: 1_000_000,
    registrationsPerMonth: 10_000,
    functionSeconds: 1,
    applyFreeAllowances: true,
    aws: {
        natDataGb: 20,
        albLcu: 1,
        logGbPerLogGroup: 1,
        flowLogGb: 5,
        bucketGb: 10,
        bucketPuts: 100_000,
        bucketGets: 1_000_000,
        customMetrics: 10,
        kmsRequests: 50_000,
        // One instance's credentials timer reads two secrets a minute (87,600 a month), plus boots and cold starts.
        secretsApiCalls: 100_000,
        endpointDataGb: 5,
        cloudTrailEvents: 200_000,
        securityHubChecks: 10_000,
        configItems: 1_000,
        configRuleEvaluations: 5_000,
        inspectorInstances: 2,
        inspectorImages: 10,
        backupGb: 20,
        replicatedGb: 1,
        imageStorageGb: 5,
        containerInsightsMetrics: 30,
        cdnDataGb: 10,
    },
    gcp: {
        natDataGb: 20,
        lbDataGb: 10,
        loggingGib: 10,
        bucketGb: 10,
        sqlBackupGb: 20,
        kmsOperations: 50_000,
        // One instance's refresh timer reads the connection document once a minute (43,800 a month), plus boots and cold starts.
        secretAccesses: 50_000,
        messageKib: 1,
    },
};

/** A usage file that cannot be used: its message names the file and every bad key. */
export class UsageFileError extends Error {
    override name = "UsageFileError";
}

const partialUsage = usageSchema
    .extend({ aws: usageSchema.shape.aws.partial(), gcp: usageSchema.shape.gcp.partial() })
    .partial()
    .strict();

/** The defaults with the figures of `override` (an object as read from a usage file) applied. */
export function usageWith(override: unknown, file = "usage"): Usage {
    const result = partialUsage.safeParse(override ?? {});
    if (!result.success) {
        const problems = result.error.issues.map((issue) => {
            const where = [...issue.path, ...(issue.code === "unrecognized_keys" ? [issue.keys.join(", ")] : [])]
                .map(String)
                .join(".");
            return `  - ${where || "(file)"}: ${issue.code === "unrecognized_keys" ? "is not a known usage key" : issue.message}`;
        });
        throw new UsageFileError(`${file}: invalid usage assumptions:\n${problems.join("\n")}`);
    }
    const { aws, gcp, ...top } = result.data;
    return {
        ...DEFAULT_USAGE,
        ...top,
        aws: { ...DEFAULT_USAGE.aws, ...aws },
        gcp: { ...DEFAULT_USAGE.gcp, ...gcp },
    };
}

/** Reads a usage file (YAML or JSON) over the defaults. */
export function readUsageFile(file: string): Usage {
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch {
        throw new UsageFileError(`${file}: cannot read the usage file`);
    }
    return usageWith(parseYamlFile(text, file), file);
}
