/**
 * The price list behind the offline cost estimate: public on-demand list prices in USD, per region,
 * for the regions the stacks use. No discounts (savings plans, reserved or committed use) and no
 * 12-month free tiers; the permanent monthly allowances the providers grant every account are in
 * `FREE_ALLOWANCES` and applied once per stack (see `tools/cost/usage.ts`, `applyFreeAllowances`).
 *
 * To price another region, copy a region block, change the figures from the pages in `SOURCES` and
 * add it under its name; a stack in a region that has no block is estimated with the cloud's
 * `FALLBACK_REGION` prices and the report says so.
 */

/** When the figures below were taken from the providers' price pages. */
export const PRICES_DATE = "2025-06";

/** The providers' price pages the figures come from. */
export const SOURCES: Readonly<Record<"aws" | "gcp", readonly string[]>> = {
    aws: [
        "https://aws.amazon.com/ec2/pricing/on-demand/ (instances, EBS gp3, public IPv4 addresses)",
        "https://aws.amazon.com/vpc/pricing/ (NAT gateways, interface endpoints)",
        "https://aws.amazon.com/elasticloadbalancing/pricing/ (Application Load Balancer hours and LCUs)",
        "https://aws.amazon.com/rds/mysql/pricing/ and https://aws.amazon.com/rds/postgresql/pricing/ (instances, gp3 storage)",
        "https://aws.amazon.com/kms/pricing/ (keys, rotations, requests)",
        "https://aws.amazon.com/elasticache/pricing/ (ElastiCache for Valkey on-demand nodes)",
        "https://aws.amazon.com/secrets-manager/pricing/",
        "https://aws.amazon.com/s3/pricing/ (S3 Standard and Standard-IA storage, requests, data transfer to other AWS regions)",
        "https://aws.amazon.com/cloudwatch/pricing/ (logs, alarms, dashboards, custom metrics)",
        "https://aws.amazon.com/sns/pricing/, https://aws.amazon.com/sqs/pricing/, https://aws.amazon.com/lambda/pricing/",
        "https://aws.amazon.com/route53/pricing/ (hosted zones, health checks)",
        "https://aws.amazon.com/waf/pricing/, https://aws.amazon.com/guardduty/pricing/, https://aws.amazon.com/cloudtrail/pricing/",
        "https://aws.amazon.com/cloudfront/pricing/ (pay as you go, North America and Europe: data transfer out, HTTPS requests)",
        "https://aws.amazon.com/backup/pricing/, https://aws.amazon.com/aws-cost-management/aws-budgets/pricing/",
        "https://aws.amazon.com/fargate/pricing/ (Linux tasks per vCPU-hour and GB-hour, x86 and Arm), https://aws.amazon.com/ecr/pricing/ (storage)",
        "https://aws.amazon.com/security-hub/pricing/ (security checks), https://aws.amazon.com/config/pricing/ (configuration items, rule evaluations), https://aws.amazon.com/inspector/pricing/ (EC2 instances, container images)",
    ],
    gcp: [
        "https://cloud.google.com/compute/vm-instance-pricing (E2 and N2 machine types)",
        "https://cloud.google.com/compute/disks-image-pricing (persistent disks)",
        "https://cloud.google.com/vpc/network-pricing (Cloud NAT, external IP addresses, load balancer forwarding rules and data)",
        "https://cloud.google.com/sql/pricing (Cloud SQL Enterprise edition instances, storage, backups)",
        "https://cloud.google.com/kms/pricing, https://cloud.google.com/secret-manager/pricing",
        "https://cloud.google.com/memorystore/docs/redis/pricing (Memorystore for Redis Basic and Standard, M1 capacity tier)",
        "https://cloud.google.com/storage/pricing (regional Standard storage)",
        "https://cloud.google.com/pubsub/pricing, https://cloud.google.com/run/pricing (Cloud Functions 2nd gen run on Cloud Run; idle minimum instances)",
        "https://cloud.google.com/artifact-registry/pricing (storage)",
        "https://cloud.google.com/dns/pricing, https://cloud.google.com/armor/pricing",
        "https://cloud.google.com/cdn/pricing (cache lookups, cache egress to North America and Europe)",
        "https://cloud.google.com/stackdriver/pricing (Cloud Logging ingestion, uptime checks, alerting conditions)",
    ],
};

/** Hours in the average month (8,760 / 12): the providers' own convention. */
export const HOURS_PER_MONTH = 730;

/** On-demand prices of one AWS region, USD. */
export interface AwsRegionPrices {
    /** EC2 Linux on-demand, per instance-hour, by instance type. */
    readonly ec2Hour: Readonly<Record<string, number>>;
    /** RDS single-AZ instance-hour by engine and class (Multi-AZ is twice the price). */
    readonly rdsHour: Readonly<Record<"mysql" | "postgres", Readonly<Record<string, number>>>>;
    /** RDS storage per GB-month, single-AZ (Multi-AZ twice), by storage type. */
    readonly rdsStorageGbMonth: Readonly<Record<string, number>>;
    /** ElastiCache for Valkey node-hour by node type (node-based clusters). */
    readonly cacheNodeHour: Readonly<Record<string, number>>;
    /** EBS per GB-month by volume type. */
    readonly ebsGbMonth: Readonly<Record<string, number>>;
    /** EC2 detailed monitoring: 7 metrics at the custom-metric price, per instance-month. */
    readonly detailedMonitoringInstanceMonth: number;
    /** A public IPv4 address (NAT gateway EIP, each load balancer node), per hour. */
    readonly publicIpv4Hour: number;
    readonly natGatewayHour: number;
    readonly natGatewayGb: number;
    readonly albHour: number;
    readonly albLcuHour: number;
    /** An interface VPC endpoint, per AZ-hour, and per GB processed. */
    readonly vpcInterfaceEndpointAzHour: number;
    readonly vpcEndpointGb: number;
    /** A customer-managed KMS key, per month. */
    readonly kmsKeyMonth: number;
    /** Each automatic rotation adds this per month, for the first two rotations only. */
    readonly kmsRotationMonth: number;
    readonly kmsRequests10k: number;
    readonly secretMonth: number;
    readonly secretsApi10k: number;
    readonly s3StandardGbMonth: number;
    readonly s3Put1k: number;
    readonly s3Get1k: number;
    /** Data transfer to another AWS region, per GB (S3 replication). */
    readonly interRegionTransferGb: number;
    /** CloudWatch Logs ingestion per GB (standard and vended logs such as VPC flow logs, first tier). */
    readonly logsIngestGb: number;
    /** Per metric in an alarm (standard resolution), per month. */
    readonly alarmMetricMonth: number;
    readonly dashboardMonth: number;
    /** Custom metric (the CloudWatch agent's), per metric-month, first tier. */
    readonly customMetricMonth: number;
    readonly snsRequestsMillion: number;
    readonly sqsRequestsMillion: number;
    readonly lambdaRequestsMillion: number;
    /** x86 Lambda compute per GB-second. */
    readonly lambdaGbSecond: number;
    readonly route53ZoneMonth: number;
    /** A health check of an endpoint outside AWS, per month, plus each optional feature (HTTPS, string match). */
    readonly route53HealthCheckOtherMonth: number;
    readonly route53HealthCheckAwsMonth: number;
    readonly route53HealthCheckFeatureMonth: number;
    readonly wafAclMonth: number;
    readonly wafRuleMonth: number;
    readonly wafRequestsMillion: number;
    /** CloudFront: per GB to viewers (first 10 TB), per million HTTPS requests. */
    readonly cloudFrontDataGb: number;
    readonly cloudFrontHttpsRequestsMillion: number;
    /** GuardDuty: CloudTrail management events analysed, per million; VPC flow and DNS logs, per GB. */
    readonly guardDutyEventsMillion: number;
    readonly guardDutyLogGb: number;
    /** Security Hub security checks (first 100,000 a month), per check. */
    readonly securityHubCheck: number;
    /** AWS Config: per configuration item recorded (continuous recording); per rule evaluation (first 100,000). */
    readonly configItem: number;
    readonly configRuleEvaluation: number;
    /** Inspector: per EC2 instance scanned per month (average), per container image scanned on push. */
    readonly inspectorInstanceMonth: number;
    readonly inspectorImageScan: number;
    /** AWS Backup storage per GB-month: RDS snapshots, S3 backups. */
    readonly backupRdsGbMonth: number;
    readonly backupS3GbMonth: number;
    /** Fargate Linux tasks: per vCPU-hour and per GB of memory-hour, by CPU architecture. */
    readonly fargateVcpuHour: Readonly<Record<string, number>>;
    readonly fargateGbHour: Readonly<Record<string, number>>;
    /** ECR private repository storage per GB-month. */
    readonly ecrGbMonth: number;
}

/** On-demand prices of one GCP region, USD. */
export interface GcpRegionPrices {
    /** Compute Engine on-demand, per instance-hour, by predefined machine type. */
    readonly vmHour: Readonly<Record<string, number>>;
    /** Persistent disk per GB-month by type. */
    readonly diskGbMonth: Readonly<Record<string, number>>;
    /** Cloud SQL Enterprise shared-core tiers, per hour (HA twice). */
    readonly sqlSharedCoreHour: Readonly<Record<string, number>>;
    /** Cloud SQL Enterprise dedicated cores: per vCPU-hour and per GB of memory-hour (HA twice). */
    readonly sqlVcpuHour: number;
    readonly sqlMemoryGbHour: number;
    /** Cloud SQL SSD and HDD storage per GB-month (HA twice); backups per GB-month. */
    readonly sqlStorageGbMonth: Readonly<Record<string, number>>;
    readonly sqlBackupGbMonth: number;
    /** Cloud NAT: per VM-hour (up to 32 VMs), per GB processed; its external IP, per hour. */
    readonly natVmHour: number;
    readonly natGb: number;
    readonly externalIpHour: number;
    /** Global external load balancer: the first five forwarding rules together, per hour; per GB processed. */
    readonly lbFirstFiveRulesHour: number;
    readonly lbExtraRuleHour: number;
    readonly lbDataGb: number;
    /** Cloud Armor Standard: per policy-month, per rule-month, per million requests. */
    readonly armorPolicyMonth: number;
    readonly armorRuleMonth: number;
    readonly armorRequestsMillion: number;
    /** Cloud CDN: per million cache lookups; per GB of cache egress (first 10 TB). */
    readonly cdnLookupsMillion: number;
    readonly cdnEgressGb: number;
    /** Cloud KMS: per active software key version per month; per 10,000 operations. */
    readonly kmsKeyVersionMonth: number;
    readonly kmsOperations10k: number;
    /** Memorystore for Redis, M1 capacity tier (1-4 GB), per provisioned GB-hour, by service tier. */
    readonly redisGbHour: Readonly<Record<string, number>>;
    /** Secret Manager: per active secret version per month; per 10,000 access operations. */
    readonly secretVersionMonth: number;
    readonly secretAccess10k: number;
    /** Regional Standard storage per GB-month. */
    readonly storageStandardGbMonth: number;
    /** Pub/Sub message throughput per TiB. */
    readonly pubsubTib: number;
    /** Cloud Run (2nd gen functions), request-based billing, tier 1 region. */
    readonly runVcpuSecond: number;
    readonly runGibSecond: number;
    readonly runRequestsMillion: number;
    /** Cloud Run minimum instances while idle (request-based billing), per vCPU-second and GiB-second, tier 1. */
    readonly runIdleVcpuSecond: number;
    readonly runIdleGibSecond: number;
    /** Artifact Registry storage per GB-month (the first 0.5 GB are free). */
    readonly artifactGbMonth: number;
    readonly dnsZoneMonth: number;
    /** Cloud Logging ingestion per GiB. */
    readonly loggingGib: number;
    /** Uptime check executions per 1,000. */
    readonly uptimeExecutions1k: number;
    /** Alerting: per condition of an alert policy, per month. */
    readonly alertConditionMonth: number;
}

export const AWS_PRICES: Readonly<Record<string, AwsRegionPrices>> = {
    "us-east-1": {
        ec2Hour: {
            "t2.micro": 0.0116,
            "t2.small": 0.023,
            "t2.medium": 0.0464,
            "t2.large": 0.0928,
            "t3.micro": 0.0104,
            "t3.small": 0.0208,
            "t3.medium": 0.0416,
            "t3.large": 0.0832,
            "t3.xlarge": 0.1664,
            "t3a.micro": 0.0094,
            "t3a.small": 0.0188,
            "t3a.medium": 0.0376,
            "t4g.nano": 0.0042,
            "t4g.micro": 0.0084,
            "t4g.small": 0.0168,
            "t4g.medium": 0.0336,
            "m5.large": 0.096,
            "m6i.large": 0.096,
            "m7i.large": 0.1008,
            "m6g.large": 0.077,
            "m7g.large": 0.0816,
            "c5.large": 0.085,
            "c6i.large": 0.085,
            "c7g.large": 0.0725,
            "r5.large": 0.126,
            "r6i.large": 0.126,
        },
        rdsHour: {
            mysql: {
                "db.t3.micro": 0.017,
                "db.t3.small": 0.034,
                "db.t3.medium": 0.068,
                "db.t3.large": 0.136,
                "db.t4g.micro": 0.016,
                "db.t4g.small": 0.032,
                "db.t4g.medium": 0.065,
                "db.t4g.large": 0.129,
                "db.m5.large": 0.171,
                "db.m6i.large": 0.171,
                "db.m6g.large": 0.152,
                "db.m7g.large": 0.168,
                "db.r5.large": 0.25,
                "db.r6g.large": 0.225,
            },
            postgres: {
                "db.t3.micro": 0.018,
                "db.t3.small": 0.036,
                "db.t3.medium": 0.072,
                "db.t3.large": 0.145,
                "db.t4g.micro": 0.016,
                "db.t4g.small": 0.032,
                "db.t4g.medium": 0.065,
                "db.t4g.large": 0.129,
                "db.m5.large": 0.178,
                "db.m6i.large": 0.178,
                "db.m6g.large": 0.159,
                "db.m7g.large": 0.168,
                "db.r5.large": 0.25,
                "db.r6g.large": 0.225,
            },
        },
        rdsStorageGbMonth: { gp3: 0.115, gp2: 0.115, io1: 0.125 },
        cacheNodeHour: {
            "cache.t4g.micro": 0.0128,
            "cache.t4g.small": 0.0256,
            "cache.t4g.medium": 0.052,
            "cache.m7g.large": 0.1264,
            "cache.r7g.large": 0.1752,
        },
        ebsGbMonth: { gp3: 0.08, gp2: 0.1, io1: 0.125, st1: 0.045, sc1: 0.015, standard: 0.05 },
        detailedMonitoringInstanceMonth: 2.1,
        publicIpv4Hour: 0.005,
        natGatewayHour: 0.045,
        natGatewayGb: 0.045,
        albHour: 0.0225,
        albLcuHour: 0.008,
        vpcInterfaceEndpointAzHour: 0.01,
        vpcEndpointGb: 0.01,
        kmsKeyMonth: 1,
        kmsRotationMonth: 1,
        kmsRequests10k: 0.03,
        secretMonth: 0.4,
        secretsApi10k: 0.05,
        s3StandardGbMonth: 0.023,
        s3Put1k: 0.005,
        s3Get1k: 0.0004,
        interRegionTransferGb: 0.02,
        logsIngestGb: 0.5,
        alarmMetricMonth: 0.1,
        dashboardMonth: 3,
        customMetricMonth: 0.3,
        snsRequestsMillion: 0.5,
        sqsRequestsMillion: 0.4,
        lambdaRequestsMillion: 0.2,
        lambdaGbSecond: 0.0000166667,
        route53ZoneMonth: 0.5,
        route53HealthCheckOtherMonth: 0.75,
        route53HealthCheckAwsMonth: 0.5,
        route53HealthCheckFeatureMonth: 2,
        wafAclMonth: 5,
        wafRuleMonth: 1,
        wafRequestsMillion: 0.6,
        cloudFrontDataGb: 0.085,
        cloudFrontHttpsRequestsMillion: 1,
        guardDutyEventsMillion: 4,
        guardDutyLogGb: 1,
        securityHubCheck: 0.001,
        configItem: 0.003,
        configRuleEvaluation: 0.001,
        inspectorInstanceMonth: 1.258,
        inspectorImageScan: 0.09,
        backupRdsGbMonth: 0.095,
        backupS3GbMonth: 0.05,
        fargateVcpuHour: { X86_64: 0.04048, ARM64: 0.03238 },
        fargateGbHour: { X86_64: 0.004445, ARM64: 0.00356 },
        ecrGbMonth: 0.1,
    },
};

export const GCP_PRICES: Readonly<Record<string, GcpRegionPrices>> = {
    "us-east1": {
        vmHour: {
            "e2-micro": 0.008376,
            "e2-small": 0.016751,
            "e2-medium": 0.033503,
            "e2-standard-2": 0.067006,
            "e2-standard-4": 0.134012,
            "n2-standard-2": 0.097118,
            "n2-standard-4": 0.194236,
            "n1-standard-1": 0.04749,
            "n1-standard-2": 0.09498,
            "t2d-standard-1": 0.042246,
        },
        diskGbMonth: { "pd-balanced": 0.1, "pd-standard": 0.04, "pd-ssd": 0.17 },
        sqlSharedCoreHour: { "db-f1-micro": 0.0105, "db-g1-small": 0.035 },
        sqlVcpuHour: 0.0413,
        sqlMemoryGbHour: 0.007,
        sqlStorageGbMonth: { PD_SSD: 0.17, PD_HDD: 0.09 },
        sqlBackupGbMonth: 0.08,
        natVmHour: 0.0014,
        natGb: 0.045,
        externalIpHour: 0.005,
        lbFirstFiveRulesHour: 0.025,
        lbExtraRuleHour: 0.01,
        lbDataGb: 0.008,
        armorPolicyMonth: 5,
        armorRuleMonth: 1,
        armorRequestsMillion: 0.75,
        cdnLookupsMillion: 0.75,
        cdnEgressGb: 0.08,
        kmsKeyVersionMonth: 0.06,
        kmsOperations10k: 0.03,
        redisGbHour: { BASIC: 0.049, STANDARD_HA: 0.064 },
        secretVersionMonth: 0.06,
        secretAccess10k: 0.03,
        storageStandardGbMonth: 0.02,
        pubsubTib: 40,
        runVcpuSecond: 0.000024,
        runGibSecond: 0.0000025,
        runRequestsMillion: 0.4,
        runIdleVcpuSecond: 0.0000025,
        runIdleGibSecond: 0.0000025,
        artifactGbMonth: 0.1,
        dnsZoneMonth: 0.2,
        loggingGib: 0.5,
        uptimeExecutions1k: 0.3,
        alertConditionMonth: 1.5,
    },
};

/** The region whose prices stand in for a region that has no block above. */
export const FALLBACK_REGION = { aws: "us-east-1", gcp: "us-east1" } as const;

/**
 * The permanent monthly allowances every account gets (not 12-month trials), by meter, in the
 * meter's unit. Applied once per stack when `applyFreeAllowances` is on: a stack that shares an
 * account with others may have used them already.
 */
export const FREE_ALLOWANCES: Readonly<Record<string, { readonly quantity: number; readonly what: string }>> = {
    "aws.cloudwatch.alarm-metric": { quantity: 10, what: "10 alarm metrics a month" },
    "aws.cloudwatch.dashboard": { quantity: 3, what: "3 dashboards" },
    "aws.lambda.requests": { quantity: 1_000_000, what: "1 million Lambda requests" },
    "aws.lambda.gb-second": { quantity: 400_000, what: "400,000 Lambda GB-seconds" },
    "aws.sns.requests": { quantity: 1_000_000, what: "1 million SNS requests" },
    "aws.sqs.requests": { quantity: 1_000_000, what: "1 million SQS requests" },
    "aws.kms.requests": { quantity: 20_000, what: "20,000 KMS requests" },
    "aws.logs.ingest-gb": { quantity: 5, what: "5 GB of CloudWatch Logs ingestion" },
    "gcp.logging.ingest-gib": { quantity: 50, what: "50 GiB of Cloud Logging ingestion per project" },
    "gcp.monitoring.uptime-execution": { quantity: 1_000_000, what: "1 million uptime check executions" },
    "gcp.pubsub.tib": { quantity: 10 / 1024, what: "10 GiB of Pub/Sub throughput" },
    "gcp.run.requests": { quantity: 2_000_000, what: "2 million Cloud Run requests" },
    "gcp.run.vcpu-second": { quantity: 180_000, what: "180,000 Cloud Run vCPU-seconds" },
    "gcp.run.gib-second": { quantity: 360_000, what: "360,000 Cloud Run GiB-seconds" },
    "gcp.secretmanager.access": { quantity: 10_000, what: "10,000 Secret Manager access operations" },
    "gcp.artifact.storage": { quantity: 0.5, what: "0.5 GB of Artifact Registry storage" },
};
