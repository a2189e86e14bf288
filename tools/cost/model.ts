/**
 * What each resource type costs: one row per type the program creates, keyed by its Pulumi type
 * token. A row is `free(why)` (no charge of its own), `usageOnly(why, charges)` (billed only by
 * use, from the assumptions in `usage.ts`) or `priced(why, charges)` (billed for existing, maybe
 * plus use). `test/cost.test.ts` fails for a type the program creates that has no row here.
 *
 * Adding a type: find its price on the provider's page (add the figure to `prices.ts` if it is
 * new), then add a row in the cloud's section below, e.g.
 *
 *     "aws:ecs/cluster:Cluster": free("a cluster has no charge; its tasks are billed"),
 *     "aws:elasticache/replicationGroup:ReplicationGroup": priced("cache nodes", (r) => [
 *         hourly("aws.elasticache.node-hour", "ElastiCache nodes", nodeCount(r), price(r.aws.cacheNodeHour, r.inputs.nodeType)),
 *     ]),
 */
import { HOURS_PER_MONTH, type AwsRegionPrices, type GcpRegionPrices } from "./prices";
import type { Usage } from "./usage";

/** One line of a resource's bill: `quantity` units at `unitUsd` each per month. */
export interface Charge {
    /** Stable id of what is metered (`aws.nat.hour`); free allowances are keyed by it. */
    readonly meter: string;
    /** What a person reads: `NAT gateway`, `log ingestion`. */
    readonly label: string;
    readonly quantity: number;
    /** The unit of `quantity`: `h`, `GB`, `month`, `requests`. */
    readonly unit: string;
    /** USD per unit; undefined when the price list has no figure (then `missing` says which). */
    readonly unitUsd: number | undefined;
    /** Billed by use (from the usage assumptions) rather than for existing. */
    readonly usage: boolean;
    /** The price list entry that is missing, e.g. `AWS_PRICES["us-east-1"].ec2Hour["t3.nano"]`. */
    readonly missing?: string;
}

/** Another resource of the stack, as a cost row sees it. */
export interface Neighbour {
    readonly type: string;
    readonly name: string;
    readonly inputs: Readonly<Record<string, any>>;
}

/** What a cost row gets about one resource. */
export interface CostInput extends Neighbour {
    /** The prices of the resource's AWS and GCP regions (the region's block, or the fallback). */
    readonly aws: AwsRegionPrices;
    readonly gcp: GcpRegionPrices;
    /** The regions those prices are for (as named in `prices.ts`). */
    readonly awsRegion: string;
    readonly gcpRegion: string;
    readonly usage: Usage;
    /** Resources this one's inputs come from (through `property` only, when given). */
    uses(property?: string): Neighbour[];
    /** Resources whose inputs come from this one (of `type` only, when given). */
    usedBy(type?: string): Neighbour[];
    /** Every resource of `type` in the stack. */
    all(type: string): Neighbour[];
    /** How many resources of `type` the stack has. */
    count(type: string): number;
}

export type CostKind = "free" | "usage" | "priced";

export interface CostRow {
    readonly kind: CostKind;
    /** Why it costs what it costs, in a few words (shown in cost.md). */
    readonly note: string;
    readonly charges: (r: CostInput) => Charge[];
}

/** A type with no charge of its own. */
export function free(note: string): CostRow {
    return { kind: "free", note, charges: () => [] };
}

/** A type billed only by use. */
export function usageOnly(note: string, charges: (r: CostInput) => Charge[]): CostRow {
    return { kind: "usage", note, charges };
}

/** A type billed for existing (maybe plus use). */
export function priced(note: string, charges: (r: CostInput) => Charge[]): CostRow {
    return { kind: "priced", note, charges };
}

/** A price looked up by key, with the name of the missing entry when absent. */
export interface Price {
    readonly usd: number | undefined;
    readonly missing?: string;
}

/** `table[key]`, or the entry that `prices.ts` should get. */
export function price(table: Readonly<Record<string, number>>, key: unknown, where: string): Price {
    const usd = typeof key === "string" ? table[key] : undefined;
    return usd === undefined ? { usd, missing: `${where}[${JSON.stringify(key ?? null)}]` } : { usd };
}

function charge(
    meter: string,
    label: string,
    quantity: number,
    unit: string,
    p: number | Price,
    usage: boolean,
): Charge {
    const found = typeof p === "number" ? { usd: p } : p;
    return { meter, label, quantity, unit, unitUsd: found.usd, usage, missing: found.missing };
}

/** `count` things billed by the hour, all month. */
export function hourly(meter: string, label: string, count: number, p: number | Price): Charge {
    return charge(meter, label, count * HOURS_PER_MONTH, "h", p, false);
}

/** `count` things billed by the month. */
export function monthly(meter: string, label: string, count: number, p: number | Price): Charge {
    return charge(meter, label, count, "month", p, false);
}

/** A fixed quantity in another unit (GB-month of provisioned storage). */
export function fixed(meter: string, label: string, quantity: number, unit: string, p: number | Price): Charge {
    return charge(meter, label, quantity, unit, p, false);
}

/** A quantity that comes from the usage assumptions. */
export function used(meter: string, label: string, quantity: number, unit: string, p: number | Price): Charge {
    return charge(meter, label, quantity, unit, p, true);
}

const num = (value: unknown, fallback: number): number =>
    typeof value === "number" && Number.isFinite(value) ? value : fallback;

/** Seconds in a Pulumi/GCP duration string (`7776000s`). */
function seconds(duration: unknown): number | undefined {
    const m = typeof duration === "string" ? /^(\d+(?:\.\d+)?)s$/.exec(duration) : null;
    return m ? Number(m[1]) : undefined;
}

/** Memory in GiB from `256Mi`, `1Gi`, `512M`. */
function gib(memory: unknown, fallback: number): number {
    const m = typeof memory === "string" ? /^(\d+(?:\.\d+)?)(Mi|Gi|M|G)$/.exec(memory) : null;
    if (!m) {
        return fallback;
    }
    const n = Number(m[1]);
    return m[2].startsWith("G") ? n : n / 1024;
}

/** Instances an Auto Scaling group runs at rest: its desired capacity, else its minimum. */
function asgInstances(r: CostInput): number {
    return num(r.inputs.desiredCapacity, num(r.inputs.minSize, 0));
}

/** Log group ingestion: the flow-log figure for a flow log's group, the per-group figure otherwise. */
function logIngestGb(r: CostInput): number {
    return r.usedBy("aws:ec2/flowLog:FlowLog").length > 0 ? r.usage.aws.flowLogGb : r.usage.aws.logGbPerLogGroup;
}

/** A Cloud KMS key's active versions after a year of rotation (old versions stay enabled). */
function gcpKeyVersions(inputs: Readonly<Record<string, any>>): number {
    const period = seconds(inputs.rotationPeriod);
    return period ? 1 + Math.floor((365 * 86400) / period) : 1;
}

/** This resource's share of a stack-wide usage figure, split evenly over the resources of its type. */
function share(r: CostInput, total: number): number {
    return total / Math.max(1, r.count(r.type));
}

/** Registration events a month, on each cloud that runs the messaging tier. */
const events = (r: CostInput) => r.usage.registrationsPerMonth;

const AWS_ROWS: Record<string, CostRow> = {
    // Network
    "aws:ec2/vpc:Vpc": free("a VPC is free"),
    "aws:ec2/subnet:Subnet": free("subnets are free"),
    "aws:ec2/routeTable:RouteTable": free("route tables are free"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": free("route table associations are free"),
    "aws:ec2/internetGateway:InternetGateway": free("an internet gateway is free (traffic out is EC2 data transfer)"),
    "aws:ec2/natGateway:NatGateway": priced(
        "NAT gateway hours and data processing (the stack's NAT data split evenly over its gateways)",
        (r) => [
            hourly("aws.nat.hour", "NAT gateway", 1, r.aws.natGatewayHour),
            used("aws.nat.gb", "NAT data processing", share(r, r.usage.aws.natDataGb), "GB", r.aws.natGatewayGb),
        ],
    ),
    "aws:ec2/eip:Eip": priced("an Elastic IP (a NAT gateway's): a public IPv4 address, billed hourly", (r) => [
        hourly("aws.ipv4.hour", "public IPv4 address", 1, r.aws.publicIpv4Hour),
    ]),
    "aws:ec2/instance:Instance": priced(
        "a stand-alone instance (the NAT instance): instance hours, root volume, its public IPv4 address and the traffic it forwards (EC2 data transfer, no NAT processing charge)",
        (r) => {
            const root = r.inputs.rootBlockDevice ?? {};
            const volumeType = String(root.volumeType ?? "gp3");
            return [
                hourly(
                    "aws.ec2.hour",
                    `EC2 ${r.inputs.instanceType ?? "instance"}`,
                    1,
                    price(r.aws.ec2Hour, r.inputs.instanceType, `AWS_PRICES["${r.awsRegion}"].ec2Hour`),
                ),
                fixed(
                    "aws.ebs.storage",
                    `EBS ${volumeType} root volume`,
                    num(Number(root.volumeSize), 8),
                    "GB-month",
                    price(r.aws.ebsGbMonth, volumeType, `AWS_PRICES["${r.awsRegion}"].ebsGbMonth`),
                ),
                ...(r.inputs.associatePublicIpAddress
                    ? [hourly("aws.ipv4.hour", "public IPv4 address", 1, r.aws.publicIpv4Hour)]
                    : []),
                ...(r.inputs.monitoring
                    ? [
                          monthly(
                              "aws.ec2.detailed-monitoring",
                              "EC2 detailed monitoring",
                              1,
                              r.aws.detailedMonitoringInstanceMonth,
                          ),
                      ]
                    : []),
            ];
        },
    ),
    "aws:ec2/networkAcl:NetworkAcl": free("network ACLs are free"),
    "aws:ec2/route:Route": free("routes are free"),
    "aws:ec2/flowLog:FlowLog": free("delivery is billed as ingestion of its log group"),
    "aws:ec2/securityGroup:SecurityGroup": free("security groups are free"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": free("security groups are free"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": free("security group rules are free"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": free("security group rules are free"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": priced(
        "interface endpoints per AZ-hour and GB; gateway endpoints are free",
        (r) =>
            r.inputs.vpcEndpointType === "Gateway"
                ? []
                : [
                      hourly(
                          "aws.vpce.az-hour",
                          "interface endpoint",
                          Array.isArray(r.inputs.subnetIds) ? r.inputs.subnetIds.length : 1,
                          r.aws.vpcInterfaceEndpointAzHour,
                      ),
                      used("aws.vpce.gb", "endpoint data", r.usage.aws.endpointDataGb, "GB", r.aws.vpcEndpointGb),
                  ],
    ),
    // Keys and secrets
    "aws:kms/key:Key": priced(
        "a customer-managed key, plus $1/month for each of its first two automatic rotations (the steady state shown)",
        (r) => [
            monthly("aws.kms.key", "KMS key", 1, r.aws.kmsKeyMonth),
            ...(r.inputs.enableKeyRotation
                ? [monthly("aws.kms.rotation", "KMS key rotations", 2, r.aws.kmsRotationMonth)]
                : []),
            used(
                "aws.kms.requests",
                "KMS requests",
                share(r, r.usage.aws.kmsRequests),
                "requests",
                r.aws.kmsRequests10k / 10_000,
            ),
        ],
    ),
    "aws:kms/alias:Alias": free("aliases are free"),
    "aws:secretsmanager/secret:Secret": priced(
        "per secret-month (each replica in another region too), plus API calls",
        (r) => [
            monthly(
                "aws.secrets.secret",
                "Secrets Manager secret",
                1 + (Array.isArray(r.inputs.replicas) ? r.inputs.replicas.length : 0),
                r.aws.secretMonth,
            ),
            used(
                "aws.secrets.api",
                "Secrets Manager API calls",
                share(r, r.usage.aws.secretsApiCalls),
                "requests",
                r.aws.secretsApi10k / 10_000,
            ),
        ],
    ),
    "aws:secretsmanager/secretVersion:SecretVersion": free("versions are included in the secret's price"),
    "aws:secretsmanager/secretRotation:SecretRotation": priced(
        "the RDS-managed master credentials secret it schedules, billed as a Secrets Manager secret (rotation by RDS is free)",
        (r) => [monthly("aws.secrets.secret", "Secrets Manager secret (RDS-managed)", 1, r.aws.secretMonth)],
    ),
    "random:index/randomPassword:RandomPassword": free("lives in the Pulumi state only"),
    "random:index/randomString:RandomString": free("lives in the Pulumi state only"),
    // Database
    "aws:rds/instance:Instance": priced(
        "instance hours and provisioned storage (both doubled for Multi-AZ); backups up to the storage size are free",
        (r) => {
            const engine = r.inputs.engine === "postgres" ? "postgres" : "mysql";
            const copies = r.inputs.multiAz ? 2 : 1;
            const storageType = String(r.inputs.storageType ?? "gp2");
            return [
                hourly(
                    `aws.rds.${engine}.hour`,
                    `RDS ${engine === "mysql" ? "MySQL" : "PostgreSQL"} ${r.inputs.instanceClass}${copies === 2 ? " Multi-AZ" : ""}`,
                    copies,
                    price(
                        r.aws.rdsHour[engine],
                        r.inputs.instanceClass,
                        `AWS_PRICES["${r.awsRegion}"].rdsHour.${engine}`,
                    ),
                ),
                fixed(
                    "aws.rds.storage",
                    `RDS ${storageType} storage`,
                    num(r.inputs.allocatedStorage, 20) * copies,
                    "GB-month",
                    price(r.aws.rdsStorageGbMonth, storageType, `AWS_PRICES["${r.awsRegion}"].rdsStorageGbMonth`),
                ),
            ];
        },
    ),
    "aws:rds/subnetGroup:SubnetGroup": free("subnet groups are free"),
    // Cache
    "aws:elasticache/replicationGroup:ReplicationGroup": priced(
        "node hours, one per cache cluster (the primary and its replica); snapshot storage is not counted",
        (r) => [
            hourly(
                "aws.elasticache.node-hour",
                `ElastiCache Valkey ${r.inputs.nodeType}`,
                num(r.inputs.numCacheClusters, 1),
                price(r.aws.cacheNodeHour, r.inputs.nodeType, `AWS_PRICES["${r.awsRegion}"].cacheNodeHour`),
            ),
        ],
    ),
    "aws:elasticache/subnetGroup:SubnetGroup": free("subnet groups are free"),
    "aws:elasticache/parameterGroup:ParameterGroup": free("parameter groups are free"),
    "aws:rds/parameterGroup:ParameterGroup": free("parameter groups are free"),
    // Storage
    "aws:s3/bucket:Bucket": usageOnly(
        "storage and requests (the function-artifacts and access-log buckets hold megabytes: counted as zero)",
        (r) => {
            const data = !isArtifactOrLogBucket(r);
            return [
                used(
                    "aws.s3.storage",
                    "S3 Standard storage",
                    data ? r.usage.aws.bucketGb : 0,
                    "GB-month",
                    r.aws.s3StandardGbMonth,
                ),
                used(
                    "aws.s3.put",
                    "S3 PUT requests",
                    data ? r.usage.aws.bucketPuts : 0,
                    "requests",
                    r.aws.s3Put1k / 1000,
                ),
                used(
                    "aws.s3.get",
                    "S3 GET requests",
                    data ? r.usage.aws.bucketGets : 0,
                    "requests",
                    r.aws.s3Get1k / 1000,
                ),
            ];
        },
    ),
    "aws:s3/bucketLogging:BucketLogging": free("server access log delivery is free (the logs count as storage)"),
    "aws:s3/bucketObjectv2:BucketObjectv2": free("a few MB of storage, counted with its bucket"),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": free("configuration of the bucket"),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": free("configuration of the bucket"),
    "aws:s3/bucketPolicy:BucketPolicy": free("configuration of the bucket"),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": free("configuration of the bucket"),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": free(
        "configuration of the bucket (KMS requests are counted with the keys)",
    ),
    "aws:s3/bucketVersioning:BucketVersioning": free("configuration of the bucket (old versions count as storage)"),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": usageOnly(
        "inter-region transfer of the replicated objects (the copies are priced as the DR bucket's storage)",
        (r) => [
            used(
                "aws.s3.replication",
                "S3 cross-region replication transfer",
                r.usage.aws.replicatedGb,
                "GB",
                r.aws.interRegionTransferGb,
            ),
        ],
    ),
    // Compute
    "aws:lb/loadBalancer:LoadBalancer": priced(
        "load balancer hours, capacity units, and a public IPv4 address per AZ",
        (r) => [
            hourly("aws.alb.hour", "Application Load Balancer", 1, r.aws.albHour),
            used(
                "aws.alb.lcu",
                "load balancer capacity units",
                r.usage.aws.albLcu * HOURS_PER_MONTH,
                "LCU-h",
                r.aws.albLcuHour,
            ),
            hourly(
                "aws.ipv4.hour",
                "public IPv4 address",
                r.inputs.internal ? 0 : Array.isArray(r.inputs.subnets) ? r.inputs.subnets.length : 2,
                r.aws.publicIpv4Hour,
            ),
        ],
    ),
    "aws:lb/listener:Listener": free("included in the load balancer's price"),
    "aws:lb/targetGroup:TargetGroup": free("included in the load balancer's price"),
    "aws:autoscaling/group:Group": priced(
        "the instances it keeps running at rest (desired, else minimum), from its launch template: instance hours, root volume, detailed monitoring",
        (r) => {
            const instances = asgInstances(r);
            const template = r.uses("launchTemplate").find((n) => n.type === "aws:ec2/launchTemplate:LaunchTemplate");
            const t = template?.inputs ?? {};
            const root = (Array.isArray(t.blockDeviceMappings) ? t.blockDeviceMappings : [])[0]?.ebs ?? {};
            const volumeType = String(root.volumeType ?? "gp3");
            return [
                hourly(
                    "aws.ec2.hour",
                    `EC2 ${t.instanceType ?? "instance"}`,
                    instances,
                    price(r.aws.ec2Hour, t.instanceType, `AWS_PRICES["${r.awsRegion}"].ec2Hour`),
                ),
                // An AMI's root volume is 8 GB unless the mapping sets a size.
                fixed(
                    "aws.ebs.storage",
                    `EBS ${volumeType} root volume`,
                    instances * num(Number(root.volumeSize), 8),
                    "GB-month",
                    price(r.aws.ebsGbMonth, volumeType, `AWS_PRICES["${r.awsRegion}"].ebsGbMonth`),
                ),
                ...(t.monitoring?.enabled
                    ? [
                          monthly(
                              "aws.ec2.detailed-monitoring",
                              "EC2 detailed monitoring",
                              instances,
                              r.aws.detailedMonitoringInstanceMonth,
                          ),
                      ]
                    : []),
                used(
                    "aws.cloudwatch.custom-metric",
                    "CloudWatch agent metrics",
                    r.usage.aws.customMetrics,
                    "metric-months",
                    r.aws.customMetricMonth,
                ),
            ];
        },
    ),
    "aws:autoscaling/policy:Policy": free("scaling policies are free (their alarms are AWS-managed)"),
    "aws:autoscaling/schedule:Schedule": free("scheduled actions of an Auto Scaling group are free"),
    "aws:scheduler/schedule:Schedule": free(
        "EventBridge Scheduler's first 14 million invocations a month are free; two a day stay far below",
    ),
    "aws:ecs/service:Service": priced(
        "the Fargate tasks it keeps running at rest (its desired count), by the task definition's vCPU and memory",
        (r) => {
            const tasks = num(r.inputs.desiredCount, 0);
            const definition = r.uses("taskDefinition").find((n) => n.type === "aws:ecs/taskDefinition:TaskDefinition");
            const d = definition?.inputs ?? {};
            const arch = String(d.runtimePlatform?.cpuArchitecture ?? "X86_64");
            const where = `AWS_PRICES["${r.awsRegion}"]`;
            return [
                hourly(
                    "aws.fargate.vcpu-hour",
                    `Fargate vCPU (${arch})`,
                    (tasks * num(Number(d.cpu), 256)) / 1024,
                    price(r.aws.fargateVcpuHour, arch, `${where}.fargateVcpuHour`),
                ),
                hourly(
                    "aws.fargate.gb-hour",
                    `Fargate memory (${arch})`,
                    (tasks * num(Number(d.memory), 512)) / 1024,
                    price(r.aws.fargateGbHour, arch, `${where}.fargateGbHour`),
                ),
            ];
        },
    ),
    "aws:ecs/taskDefinition:TaskDefinition": free("task definitions are free; their tasks are priced with the service"),
    "aws:ecs/cluster:Cluster": usageOnly("Container Insights metrics (the cluster itself is free)", (r) => [
        used(
            "aws.cloudwatch.custom-metric",
            "Container Insights metrics",
            r.usage.aws.containerInsightsMetrics,
            "metric-months",
            r.aws.customMetricMonth,
        ),
    ]),
    "aws:ecr/repository:Repository": usageOnly("image storage (pulls inside the region are free)", (r) => [
        used("aws.ecr.storage", "ECR image storage", r.usage.aws.imageStorageGb, "GB-month", r.aws.ecrGbMonth),
    ]),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": free("configuration of the repository"),
    "aws:appautoscaling/target:Target": free("Application Auto Scaling is free (its alarms are AWS-managed)"),
    "aws:appautoscaling/policy:Policy": free("Application Auto Scaling is free (its alarms are AWS-managed)"),
    "aws:appautoscaling/scheduledAction:ScheduledAction": free("Application Auto Scaling's scheduled actions are free"),

    "aws:ec2/launchTemplate:LaunchTemplate": free("the group's instances are priced with the group"),
    "aws:iam/role:Role": free("IAM is free"),
    "aws:iam/rolePolicy:RolePolicy": free("IAM is free"),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": free("IAM is free"),
    "aws:iam/instanceProfile:InstanceProfile": free("IAM is free"),
    "aws:acm/certificate:Certificate": free("public ACM certificates are free"),
    "aws:acm/certificateValidation:CertificateValidation": free("a waiter, nothing billed"),
    // DNS
    "aws:route53/zone:Zone": priced(
        "a hosted zone per month (queries to alias records of AWS resources are free)",
        (r) => [monthly("aws.route53.zone", "Route 53 hosted zone", 1, r.aws.route53ZoneMonth)],
    ),
    "aws:route53/record:Record": free("records are free; alias queries to AWS resources are free"),
    "aws:route53/healthCheck:HealthCheck": priced(
        "a health check, plus each optional feature (HTTPS, string matching)",
        (r) => {
            const type = String(r.inputs.type ?? "HTTP");
            const features = (type.startsWith("HTTPS") ? 1 : 0) + (type.endsWith("STR_MATCH") ? 1 : 0);
            return [
                monthly("aws.route53.health-check", "Route 53 health check", 1, r.aws.route53HealthCheckOtherMonth),
                ...(features > 0
                    ? [
                          monthly(
                              "aws.route53.health-check-feature",
                              "health check features",
                              features,
                              r.aws.route53HealthCheckFeatureMonth,
                          ),
                      ]
                    : []),
            ];
        },
    ),
    // Messaging
    "aws:sns/topic:Topic": usageOnly("publishes (and e-mail deliveries, not counted)", (r) => [
        used("aws.sns.requests", "SNS requests", events(r), "requests", r.aws.snsRequestsMillion / 1e6),
    ]),
    "aws:sns/topicPolicy:TopicPolicy": free("configuration of the topic"),
    "aws:sns/topicSubscription:TopicSubscription": free("deliveries to Lambda and SQS are free"),
    "aws:sqs/queue:Queue": usageOnly("requests (a dead-letter queue sees almost none)", (r) => [
        used("aws.sqs.requests", "SQS requests", 0, "requests", r.aws.sqsRequestsMillion / 1e6),
    ]),
    "aws:sqs/queuePolicy:QueuePolicy": free("configuration of the queue"),
    "aws:lambda/function:Function": usageOnly("requests and compute (GB-seconds)", (r) => {
        const arm = Array.isArray(r.inputs.architectures) && r.inputs.architectures.includes("arm64");
        const gbSeconds = events(r) * r.usage.functionSeconds * (num(r.inputs.memorySize, 128) / 1024);
        return [
            used("aws.lambda.requests", "Lambda requests", events(r), "requests", r.aws.lambdaRequestsMillion / 1e6),
            // Graviton (arm64) compute is 20 % cheaper than x86.
            used("aws.lambda.gb-second", "Lambda compute", gbSeconds, "GB-s", r.aws.lambdaGbSecond * (arm ? 0.8 : 1)),
        ];
    }),
    "aws:lambda/permission:Permission": free("permissions are free"),
    "aws:lambda/codeSigningConfig:CodeSigningConfig": free("code signing configs are free"),
    "aws:signer/signingProfile:SigningProfile": free("AWS Signer has no charge for Lambda code signing"),
    "aws:signer/signingJob:SigningJob": free("AWS Signer has no charge for Lambda code signing"),
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": free("configuration of the function"),
    // Monitoring
    "aws:cloudwatch/eventRule:EventRule": free(
        "RDS events on the default bus are free; the rules match only the primary's failure events, so forwarding them to another region's bus ($1 per million) rounds to nothing",
    ),
    "aws:cloudwatch/eventTarget:EventTarget": free("configuration of the rule"),
    "aws:sfn/stateMachine:StateMachine": free(
        "standard workflows bill $0.025 per 1,000 state transitions after 4,000 free a month; the restart after a password rotation takes a few, once a rotation",
    ),
    "aws:cloudwatch/logGroup:LogGroup": usageOnly("log ingestion (flow logs: the flow-log figure)", (r) => [
        used("aws.logs.ingest-gb", "log ingestion", logIngestGb(r), "GB", r.aws.logsIngestGb),
    ]),
    "aws:cloudwatch/metricAlarm:MetricAlarm": priced("per metric the alarm evaluates, per month", (r) => [
        monthly(
            "aws.cloudwatch.alarm-metric",
            "CloudWatch alarm metrics",
            Array.isArray(r.inputs.metricQueries)
                ? r.inputs.metricQueries.filter((q: { metric?: unknown }) => q.metric).length
                : 1,
            r.aws.alarmMetricMonth,
        ),
    ]),
    "aws:cloudwatch/dashboard:Dashboard": priced("per dashboard-month", (r) => [
        monthly("aws.cloudwatch.dashboard", "CloudWatch dashboard", 1, r.aws.dashboardMonth),
    ]),
    // Opt-in features
    "aws:cloudtrail/trail:Trail": free("the first copy of management events is free (its bucket's storage is tiny)"),
    "aws:guardduty/detector:Detector": usageOnly("CloudTrail events and VPC flow/DNS logs analysed", (r) => [
        used(
            "aws.guardduty.events",
            "GuardDuty CloudTrail analysis",
            r.usage.aws.cloudTrailEvents,
            "events",
            r.aws.guardDutyEventsMillion / 1e6,
        ),
        used(
            "aws.guardduty.logs",
            "GuardDuty flow and DNS log analysis",
            r.usage.aws.flowLogGb,
            "GB",
            r.aws.guardDutyLogGb,
        ),
    ]),
    "aws:securityhub/account:Account": usageOnly("security checks of the enabled standards", (r) => [
        used(
            "aws.securityhub.checks",
            "Security Hub checks",
            r.usage.aws.securityHubChecks,
            "checks",
            r.aws.securityHubCheck,
        ),
    ]),
    "aws:securityhub/standardsSubscription:StandardsSubscription": free(
        "its checks are counted on the Security Hub account",
    ),
    "aws:cfg/recorder:Recorder": usageOnly("configuration items recorded, and the evaluations of every rule", (r) => [
        used("aws.config.items", "AWS Config configuration items", r.usage.aws.configItems, "items", r.aws.configItem),
        used(
            "aws.config.evaluations",
            "AWS Config rule evaluations",
            r.usage.aws.configRuleEvaluations,
            "evaluations",
            r.aws.configRuleEvaluation,
        ),
    ]),
    "aws:cfg/deliveryChannel:DeliveryChannel": free("configuration of the recorder (its bucket is priced as a bucket)"),
    "aws:cfg/recorderStatus:RecorderStatus": free("configuration of the recorder"),
    "aws:cfg/rule:Rule": free("its evaluations are counted on the recorder"),
    "aws:accessanalyzer/analyzer:Analyzer": free("external-access analyzers are free"),
    "aws:inspector2/enabler:Enabler": usageOnly("EC2 instances and container images scanned", (r) => [
        used(
            "aws.inspector.instances",
            "Inspector EC2 scanning",
            r.usage.aws.inspectorInstances,
            "instance-months",
            r.aws.inspectorInstanceMonth,
        ),
        used(
            "aws.inspector.images",
            "Inspector image scans",
            r.usage.aws.inspectorImages,
            "images",
            r.aws.inspectorImageScan,
        ),
    ]),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": free(
        "metric filters are free (their alarms are priced as alarms)",
    ),
    "aws:wafv2/webAcl:WebAcl": priced("per web ACL and rule per month, plus requests", (r) => [
        monthly("aws.waf.acl", "WAF web ACL", 1, r.aws.wafAclMonth),
        monthly(
            "aws.waf.rule",
            "WAF rules",
            Array.isArray(r.inputs.rules) ? r.inputs.rules.length : 0,
            r.aws.wafRuleMonth,
        ),
        used("aws.waf.requests", "WAF requests", r.usage.requestsPerMonth, "requests", r.aws.wafRequestsMillion / 1e6),
    ]),
    "aws:wafv2/webAclAssociation:WebAclAssociation": free("associations are free"),
    "aws:cloudfront/distribution:Distribution": usageOnly("data to viewers and HTTPS requests", (r) => [
        used("aws.cloudfront.data", "CloudFront data to viewers", r.usage.aws.cdnDataGb, "GB", r.aws.cloudFrontDataGb),
        used(
            "aws.cloudfront.requests",
            "CloudFront HTTPS requests",
            r.usage.requestsPerMonth,
            "requests",
            r.aws.cloudFrontHttpsRequestsMillion / 1e6,
        ),
    ]),
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": free(
        "billed as the logs it delivers (the log bucket's storage)",
    ),
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": free("destinations are free"),
    "aws:cloudwatch/logDelivery:LogDelivery": free("CloudFront's standard logs to S3 are delivered at no charge"),
    "aws:lb/listenerRule:ListenerRule": free("billed through the load balancer's LCUs"),
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": free("billed as ingestion of its log group"),
    "aws:backup/vault:Vault": free("billed by the backups it stores (see the selection)"),
    "aws:backup/plan:Plan": free("plans are free"),
    "aws:backup/selection:Selection": usageOnly("backup storage of the database snapshots and the bucket", (r) => [
        used("aws.backup.rds", "backup storage (database)", r.usage.aws.backupGb, "GB-month", r.aws.backupRdsGbMonth),
        used("aws.backup.s3", "backup storage (bucket)", r.usage.aws.backupGb, "GB-month", r.aws.backupS3GbMonth),
    ]),
    "aws:budgets/budget:Budget": free("the first two budgets of an account are free"),
    "aws:costexplorer/anomalyMonitor:AnomalyMonitor": free("cost anomaly detection is free"),
    "aws:costexplorer/anomalySubscription:AnomalySubscription": free("cost anomaly detection is free"),
};

const GCP_ROWS: Record<string, CostRow> = {
    // Project
    "gcp:projects/service:Service": free("enabling an API is free"),
    "gcp:projects/serviceIdentity:ServiceIdentity": free("service agents are free"),
    "gcp:projects/iAMMember:IAMMember": free("IAM is free"),
    "gcp:projects/iAMAuditConfig:IAMAuditConfig": free(
        "the audit logs it turns on are ingested by Cloud Logging (the logging figure)",
    ),
    "gcp:serviceaccount/account:Account": free("IAM is free"),
    "gcp:serviceaccount/iAMMember:IAMMember": free("IAM is free"),
    // Network
    "gcp:compute/network:Network": free("VPC networks are free"),
    "gcp:compute/subnetwork:Subnetwork": free("subnets are free; their flow logs count as Cloud Logging ingestion"),
    "gcp:compute/firewall:Firewall": free("firewall rules are free (rule logs count as Cloud Logging ingestion)"),
    "gcp:compute/router:Router": free("Cloud Routers without BGP sessions are free"),
    "gcp:compute/routerNat:RouterNat": priced("per VM using it, an external IP, and data processed", (r) => {
        // Every VM of the region's groups uses the NAT: their autoscalers' minimums (at least one VM).
        const vms = Math.max(
            1,
            r
                .all("gcp:compute/regionAutoscaler:RegionAutoscaler")
                .reduce((n, a) => n + num(a.inputs.autoscalingPolicy?.minReplicas, 1), 0),
        );
        return [
            hourly("gcp.nat.vm-hour", "Cloud NAT (per VM)", Math.min(vms, 32), r.gcp.natVmHour),
            hourly("gcp.ip.hour", "external IP address (NAT)", 1, r.gcp.externalIpHour),
            used("gcp.nat.gb", "Cloud NAT data processing", r.usage.gcp.natDataGb, "GB", r.gcp.natGb),
        ];
    }),
    "gcp:compute/globalAddress:GlobalAddress": free(
        "an address in use by a forwarding rule, or a private services range, is not charged",
    ),
    "gcp:servicenetworking/connection:Connection": free("private services access peering is free"),
    // Keys and secrets
    "gcp:kms/keyRing:KeyRing": free("key rings are free"),
    "gcp:kms/cryptoKey:CryptoKey": priced(
        "per active key version per month: rotation adds a version each period (shown after one year), plus operations",
        (r) => [
            monthly("gcp.kms.version", "Cloud KMS key versions", gcpKeyVersions(r.inputs), r.gcp.kmsKeyVersionMonth),
            used(
                "gcp.kms.operations",
                "Cloud KMS operations",
                share(r, r.usage.gcp.kmsOperations),
                "operations",
                r.gcp.kmsOperations10k / 10_000,
            ),
        ],
    ),
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": free("IAM is free"),
    "gcp:secretmanager/secret:Secret": usageOnly("access operations (versions are priced with the versions)", (r) => [
        used(
            "gcp.secretmanager.access",
            "Secret Manager access",
            share(r, r.usage.gcp.secretAccesses),
            "operations",
            r.gcp.secretAccess10k / 10_000,
        ),
    ]),
    "gcp:secretmanager/secretVersion:SecretVersion": priced("an active secret version per month", (r) => [
        monthly("gcp.secretmanager.version", "Secret Manager version", 1, r.gcp.secretVersionMonth),
    ]),
    "gcp:secretmanager/secretIamMember:SecretIamMember": free("IAM is free"),
    // Database
    "gcp:sql/databaseInstance:DatabaseInstance": priced(
        "instance hours (shared-core tier, or vCPUs and memory), storage (both doubled for HA) and backups",
        (r) => {
            const s = r.inputs.settings ?? {};
            const copies = s.availabilityType === "REGIONAL" ? 2 : 1;
            const tier = String(s.tier ?? "");
            const custom = /^db-custom-(\d+)-(\d+)$/.exec(tier);
            const diskType = String(s.diskType ?? "PD_SSD");
            const instance = custom
                ? [
                      hourly(
                          "gcp.sql.vcpu-hour",
                          `Cloud SQL vCPUs (${tier})`,
                          copies * Number(custom[1]),
                          r.gcp.sqlVcpuHour,
                      ),
                      hourly(
                          "gcp.sql.memory-hour",
                          `Cloud SQL memory (${tier})`,
                          (copies * Number(custom[2])) / 1024,
                          r.gcp.sqlMemoryGbHour,
                      ),
                  ]
                : [
                      hourly(
                          "gcp.sql.shared-core-hour",
                          `Cloud SQL ${tier}${copies === 2 ? " HA" : ""}`,
                          copies,
                          price(r.gcp.sqlSharedCoreHour, tier, `GCP_PRICES["${r.gcpRegion}"].sqlSharedCoreHour`),
                      ),
                  ];
            return [
                ...instance,
                fixed(
                    "gcp.sql.storage",
                    `Cloud SQL ${diskType} storage`,
                    num(s.diskSize, 10) * copies,
                    "GB-month",
                    price(r.gcp.sqlStorageGbMonth, diskType, `GCP_PRICES["${r.gcpRegion}"].sqlStorageGbMonth`),
                ),
                // A read replica has no automated backups of its own.
                ...(s.backupConfiguration?.enabled === false
                    ? []
                    : [
                          used(
                              "gcp.sql.backup",
                              "Cloud SQL backups",
                              r.usage.gcp.sqlBackupGb,
                              "GB-month",
                              r.gcp.sqlBackupGbMonth,
                          ),
                      ]),
            ];
        },
    ),
    // Cache
    "gcp:redis/instance:Instance": priced(
        "provisioned GB-hours of the service tier (STANDARD_HA includes its replica); RDB snapshots are not counted",
        (r) => {
            const tier = String(r.inputs.tier ?? "BASIC");
            return [
                hourly(
                    "gcp.redis.gb-hour",
                    `Memorystore for Redis ${tier} ${num(r.inputs.memorySizeGb, 1)} GB`,
                    num(r.inputs.memorySizeGb, 1),
                    price(r.gcp.redisGbHour, tier, `GCP_PRICES["${r.gcpRegion}"].redisGbHour`),
                ),
            ];
        },
    ),
    "gcp:sql/database:Database": free("part of the instance"),
    "gcp:sql/user:User": free("part of the instance"),
    // Storage
    "gcp:storage/bucket:Bucket": usageOnly("storage (the function-source bucket holds a few KB)", (r) => [
        used(
            "gcp.storage.standard",
            "Cloud Storage Standard",
            r.usedBy("gcp:storage/bucketObject:BucketObject").length > 0 ? 0 : r.usage.gcp.bucketGb,
            "GB-month",
            r.gcp.storageStandardGbMonth,
        ),
    ]),
    "gcp:storage/bucketIAMMember:BucketIAMMember": free("IAM is free"),
    "gcp:storage/bucketObject:BucketObject": free("a few KB of storage, counted with its bucket"),
    // Compute
    "gcp:compute/instanceTemplate:InstanceTemplate": free("the group's instances are priced with the group"),
    "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager": priced(
        "the instances it keeps running at rest (the autoscaler's minimum, else its target size), from its template: VM hours and boot disks",
        (r) => {
            const vms = gcpVmsAtRest(r);
            const template = r.uses().find((n) => n.type === "gcp:compute/instanceTemplate:InstanceTemplate");
            const t = template?.inputs ?? {};
            const boot = (Array.isArray(t.disks) ? t.disks : []).find((d: { boot?: boolean }) => d.boot) ?? {};
            const diskType = String(boot.diskType ?? "pd-standard");
            return [
                hourly(
                    "gcp.vm.hour",
                    `Compute Engine ${t.machineType ?? "VM"}`,
                    vms,
                    price(r.gcp.vmHour, t.machineType, `GCP_PRICES["${r.gcpRegion}"].vmHour`),
                ),
                // Without diskSizeGb the boot disk takes the image's size, 10 GB for the usual images.
                fixed(
                    "gcp.disk.storage",
                    `${diskType} boot disk`,
                    vms * num(boot.diskSizeGb, 10),
                    "GB-month",
                    price(r.gcp.diskGbMonth, diskType, `GCP_PRICES["${r.gcpRegion}"].diskGbMonth`),
                ),
            ];
        },
    ),
    "gcp:compute/regionAutoscaler:RegionAutoscaler": free(
        "autoscalers are free (the instances are priced with the group)",
    ),
    "gcp:compute/healthCheck:HealthCheck": free("load balancer health checks are free"),
    "gcp:compute/backendService:BackendService": usageOnly(
        "priced through the forwarding rules and the data processed; with Cloud CDN, cache lookups and egress",
        (r) =>
            r.inputs.enableCdn === true
                ? [
                      used(
                          "gcp.cdn.lookups",
                          "Cloud CDN cache lookups",
                          r.usage.requestsPerMonth,
                          "requests",
                          r.gcp.cdnLookupsMillion / 1e6,
                      ),
                      used("gcp.cdn.egress", "Cloud CDN cache egress", r.usage.gcp.lbDataGb, "GB", r.gcp.cdnEgressGb),
                  ]
                : [],
    ),
    "gcp:compute/uRLMap:URLMap": free("priced through the forwarding rules"),
    "gcp:compute/targetHttpProxy:TargetHttpProxy": free("priced through the forwarding rules"),
    "gcp:compute/targetHttpsProxy:TargetHttpsProxy": free("priced through the forwarding rules"),
    "gcp:compute/sSLPolicy:SSLPolicy": free("SSL policies are free"),
    "gcp:compute/globalForwardingRule:GlobalForwardingRule": priced(
        "the first five forwarding rules of a project share one hourly price (split between them here); data processed",
        (r) => {
            const rules = Math.max(1, r.count("gcp:compute/globalForwardingRule:GlobalForwardingRule"));
            const base = Math.min(rules, 5);
            return [
                hourly("gcp.lb.rules-hour", "load balancer forwarding rules", 1 / base, r.gcp.lbFirstFiveRulesHour),
                ...(rules > 5
                    ? [
                          hourly(
                              "gcp.lb.extra-rule-hour",
                              "extra forwarding rules",
                              (rules - 5) / rules,
                              r.gcp.lbExtraRuleHour,
                          ),
                      ]
                    : []),
                used("gcp.lb.gb", "load balancer data processing", r.usage.gcp.lbDataGb / rules, "GB", r.gcp.lbDataGb),
            ];
        },
    ),
    "gcp:compute/securityPolicy:SecurityPolicy": priced(
        "Cloud Armor Standard: per policy and rule per month, plus requests",
        (r) => [
            monthly("gcp.armor.policy", "Cloud Armor policy", 1, r.gcp.armorPolicyMonth),
            monthly(
                "gcp.armor.rule",
                "Cloud Armor rules",
                Array.isArray(r.inputs.rules) ? r.inputs.rules.length : 1,
                r.gcp.armorRuleMonth,
            ),
            used(
                "gcp.armor.requests",
                "Cloud Armor requests",
                r.usage.requestsPerMonth,
                "requests",
                r.gcp.armorRequestsMillion / 1e6,
            ),
        ],
    ),
    "gcp:certificatemanager/certificate:Certificate": free(
        "Google-managed certificates are free up to 100 per project",
    ),
    "gcp:certificatemanager/certificateMap:CertificateMap": free("certificate maps are free"),
    "gcp:certificatemanager/certificateMapEntry:CertificateMapEntry": free("certificate map entries are free"),
    "gcp:certificatemanager/dnsAuthorization:DnsAuthorization": free("DNS authorizations are free"),
    // DNS
    "gcp:dns/managedZone:ManagedZone": priced("a managed zone per month, plus queries (not counted)", (r) => [
        monthly("gcp.dns.zone", "Cloud DNS zone", 1, r.gcp.dnsZoneMonth),
    ]),
    "gcp:dns/recordSet:RecordSet": free("records are free"),
    // Messaging
    "gcp:pubsub/topic:Topic": usageOnly("message throughput (publishes and deliveries)", (r) => [
        used(
            "gcp.pubsub.tib",
            "Pub/Sub throughput",
            // Each event is published once and delivered once.
            (2 * events(r) * r.usage.gcp.messageKib) / 1024 ** 3,
            "TiB",
            r.gcp.pubsubTib,
        ),
    ]),
    "gcp:pubsub/subscription:Subscription": free("deliveries are counted with the topic's throughput"),
    "gcp:pubsub/topicIAMMember:TopicIAMMember": free("IAM is free"),
    "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember": free("IAM is free"),
    "gcp:cloudfunctionsv2/function:Function": usageOnly("Cloud Run requests, vCPU- and memory-seconds", (r) => {
        const memory = gib(r.inputs.serviceConfig?.availableMemory, 0.25);
        // Cloud Run gives a function with up to 512 MiB a sixth to a third of a vCPU; count one vCPU (an upper bound).
        const runSeconds = events(r) * r.usage.functionSeconds;
        return [
            used("gcp.run.requests", "Cloud Run requests", events(r), "requests", r.gcp.runRequestsMillion / 1e6),
            used("gcp.run.vcpu-second", "Cloud Run vCPU", runSeconds, "vCPU-s", r.gcp.runVcpuSecond),
            used("gcp.run.gib-second", "Cloud Run memory", runSeconds * memory, "GiB-s", r.gcp.runGibSecond),
        ];
    }),
    "gcp:cloudrunv2/serviceIamMember:ServiceIamMember": free("IAM is free"),
    "gcp:cloudrunv2/service:Service": priced(
        "its minimum instances while idle, by their vCPU and memory (serving is billed per request, vCPU- and memory-second)",
        (r) => {
            const template = r.inputs.template ?? {};
            const instances = num(template.scaling?.minInstanceCount, 0);
            const limits = template.containers?.[0]?.resources?.limits ?? {};
            const cpu = num(Number(limits.cpu), 1);
            const memory = gib(limits.memory, 0.5);
            return [
                hourly("gcp.run.idle-vcpu", "Cloud Run idle vCPU", instances * cpu, r.gcp.runIdleVcpuSecond * 3600),
                hourly("gcp.run.idle-gib", "Cloud Run idle memory", instances * memory, r.gcp.runIdleGibSecond * 3600),
            ];
        },
    ),
    "gcp:artifactregistry/repository:Repository": usageOnly("image storage (pulls inside the region are free)", (r) => [
        used(
            "gcp.artifact.storage",
            "Artifact Registry storage",
            r.usage.aws.imageStorageGb,
            "GB-month",
            r.gcp.artifactGbMonth,
        ),
    ]),
    "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup": free(
        "serverless NEGs are free (the load balancer is priced with its forwarding rules)",
    ),
    // Monitoring
    "gcp:monitoring/dashboard:Dashboard": free("dashboards are free"),
    "gcp:monitoring/notificationChannel:NotificationChannel": free("notification channels are free"),
    "gcp:monitoring/alertPolicy:AlertPolicy": priced("per condition per month", (r) => [
        monthly(
            "gcp.monitoring.alert-condition",
            "alerting conditions",
            Array.isArray(r.inputs.conditions) ? r.inputs.conditions.length : 1,
            r.gcp.alertConditionMonth,
        ),
    ]),
    "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": usageOnly(
        "executions: one per period from each checker region",
        (r) => {
            const period = seconds(r.inputs.period) ?? 60;
            // No selected regions means every checker region: six of them.
            const regions =
                Array.isArray(r.inputs.selectedRegions) && r.inputs.selectedRegions.length > 0
                    ? r.inputs.selectedRegions.length
                    : 6;
            return [
                used(
                    "gcp.monitoring.uptime-execution",
                    "uptime check executions",
                    ((HOURS_PER_MONTH * 3600) / period) * regions,
                    "executions",
                    r.gcp.uptimeExecutions1k / 1000,
                ),
            ];
        },
    ),
    "gcp:logging/metric:Metric": usageOnly("Cloud Logging ingestion of the project (the logging figure)", (r) => [
        used("gcp.logging.ingest-gib", "Cloud Logging ingestion", r.usage.gcp.loggingGib, "GiB", r.gcp.loggingGib),
    ]),
};

/** Instances a managed instance group runs at rest: its autoscaler's minimum, else its target size. */
function gcpVmsAtRest(r: CostInput): number {
    const autoscaler = r.usedBy("gcp:compute/regionAutoscaler:RegionAutoscaler")[0];
    return num(autoscaler?.inputs.autoscalingPolicy?.minReplicas, num(r.inputs.targetSize, 1));
}

/** A bucket for the function's artifacts (it holds a bundle object) or for access logs (a load balancer writes there). */
function isArtifactOrLogBucket(r: CostInput): boolean {
    return (
        r.usedBy("aws:s3/bucketObjectv2:BucketObjectv2").length > 0 ||
        r.usedBy("aws:lb/loadBalancer:LoadBalancer").length > 0
    );
}

/** Every resource type the program creates, with what it costs. */
export const COST_MODEL: Readonly<Record<string, CostRow>> = { ...AWS_ROWS, ...GCP_ROWS };

/** Types that are not billed resources: the stack, providers, this program's components. */
export function isBillable(type: string, custom: boolean): boolean {
    return custom && !type.startsWith("pulumi:providers:");
}
