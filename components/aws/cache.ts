import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { customerKey, type Kms } from "./kms";
import { secretReadStatements } from "./secrets";
import type { AwsAccount, Statement } from "./iam";
import type { Network } from "./network";

/** The cache's port (Valkey and Redis OSS): the security groups and the isolated tier's ACL admit it. */
export const CACHE_PORT = 6379;

/** The engine and its pinned version; minor upgrades are explicit (change the version), never automatic. */
export const CACHE_ENGINE = { engine: "valkey", version: "8.0", parameterFamily: "valkey8" } as const;

/**
 * The parameter group's values: keys without a time to live are never evicted (`volatile-lru`),
 * so an eviction means the cache is too small, which the evictions alarm reports.
 */
export const CACHE_PARAMETERS: ReadonlyArray<{ name: string; value: string }> = [
    { name: "maxmemory-policy", value: "volatile-lru" },
];

/** The logs the cache delivers to CloudWatch Logs (one log group each, JSON lines). */
export const CACHE_LOGS = ["slow-log", "engine-log"] as const;

/** The AUTH token's length (ElastiCache allows 16-128 printable characters; letters and digits only here). */
export const AUTH_TOKEN_LENGTH = 64;

/** The field of the token secret's JSON document that holds the AUTH token. */
export const AUTH_TOKEN_FIELD = "cacheAuthToken";

/** Alarm thresholds, per node, over 5-minute periods (three in a row, so a spike is not an alarm). */
export const CACHE_ALARM_THRESHOLDS = {
    /** `EngineCPUUtilization` (the engine's thread), percent. */
    cpuPercent: 80,
    /** `DatabaseMemoryUsagePercentage` of `maxmemory`, percent. */
    memoryPercent: 80,
    /** `Evictions` per period: any eviction of a key with a time to live under memory pressure. */
    evictions: 0,
    /** `CurrConnections`: far above what the application's pools open. */
    connections: 1000,
} as const;

/** The member clusters' ids ElastiCache gives a replication group of `nodes` nodes: `<id>-001`, `<id>-002`... */
export function memberClusterIds(replicationGroupId: string, nodes: number): string[] {
    return Array.from({ length: nodes }, (_, i) => `${replicationGroupId}-${String(i + 1).padStart(3, "0")}`);
}

/** One primary, plus one replica in another AZ with automatic failover when `multiAz`. */
export function cacheTopology(multiAz: boolean): {
    numCacheClusters: number;
    automaticFailoverEnabled: boolean;
    multiAzEnabled: boolean;
} {
    return { numCacheClusters: multiAz ? 2 : 1, automaticFailoverEnabled: multiAz, multiAzEnabled: multiAz };
}

export interface CacheArgs {
    account: AwsAccount;
    /** The VPC and its data subnets: the isolated ones if the tier is on, else the private ones. */
    network: Pick<Network, "networkId" | "dataSubnetIds">;
    /** Whether `network.dataSubnetIds` are the isolated tier's (`aws.subnets.isolated`). Default false. */
    isolatedSubnets?: boolean;
    /** The platform keys: the token's secret uses the Secrets Manager key, the log groups the logs key. */
    kms: Pick<Kms, "keyArns" | "useStatements">;
    /** Alias of the cache's own at-rest key, e.g. `webapp-prod-cache`. */
    keyAlias: string;
    /** Rotation period of that key in days. Default from `aws.kmsRotationDays`: 90. */
    keyRotationDays: number;
    /** `aws.cache.nodeType`. Default `cache.t4g.micro`. */
    nodeType: string;
    /** `aws.cache.multiAz`: a replica in another AZ with automatic failover. Default: outside dev. */
    multiAz: boolean;
    /** `aws.cache.snapshotRetentionDays`: daily snapshots kept (0: none). Default 7 outside dev, 0 in dev. */
    snapshotRetentionDays: number;
    /** Apply changes in the maintenance window rather than at once. Default: outside dev. */
    changesInMaintenanceWindow: boolean;
    /** Days a deleted token secret stays recoverable (7-30). Dev: 7, otherwise 30. */
    recoveryWindowDays: number;
    /** Retention of the cache's log groups. Default from `aws.logRetentionDays`. */
    logRetentionDays: number;
    /** The ops topic: the alarms notify it. */
    alarmTopicArn: pulumi.Input<string>;
}

/**
 * ElastiCache for Valkey in the data subnets: a replication group with TLS required in transit,
 * encrypted at rest with its own customer-managed key, an AUTH token generated here and kept only
 * in a Secrets Manager secret (the application reads it from there by reference), a replica with
 * automatic failover in another AZ when `multiAz`, daily snapshots, its slow and engine logs in
 * encrypted log groups, CPU, memory, eviction and connection alarms to the ops topic, and a
 * security group that admits only the groups granted with `allowFrom`.
 */
export class Cache extends pulumi.ComponentResource {
    /** The primary endpoint's address (writes and reads; it follows a failover). */
    public readonly host: pulumi.Output<string>;
    public readonly port: pulumi.Output<number>;
    public readonly replicationGroupId: pulumi.Output<string>;
    public readonly securityGroupId: pulumi.Output<string>;
    /** ARN of the secret whose JSON document holds the AUTH token (`AUTH_TOKEN_FIELD`). */
    public readonly authSecretArn: pulumi.Output<string>;
    /** The cache's own at-rest key. */
    public readonly keyArn: pulumi.Output<string>;
    private readonly baseName: string;
    private readonly kms: Pick<Kms, "useStatements">;

    constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:Cache", name, {}, opts);
        this.baseName = name;
        this.kms = args.kms;
        const child = { parent: this };

        const { key } = customerKey(
            `${name}-key`,
            {
                account: args.account,
                description: "webapp: ElastiCache data at rest and snapshots",
                rotationDays: args.keyRotationDays,
                alias: args.keyAlias,
            },
            child,
        );

        const securityGroup = new aws.ec2.SecurityGroup(
            `${name}-sg`,
            {
                vpcId: args.network.networkId,
                description: "Valkey: ingress only from granted security groups, no egress",
                revokeRulesOnDelete: true,
            },
            child,
        );

        const subnetGroup = new aws.elasticache.SubnetGroup(
            `${name}-subnets`,
            {
                subnetIds: args.network.dataSubnetIds,
                description: args.isolatedSubnets
                    ? "Isolated subnets of the webapp VPC (no route out)"
                    : "Private subnets of the webapp VPC",
            },
            child,
        );

        const parameterGroup = new aws.elasticache.ParameterGroup(
            `${name}-params`,
            {
                family: CACHE_ENGINE.parameterFamily,
                description: "webapp Valkey: evict only keys with a time to live",
                parameters: [...CACHE_PARAMETERS],
            },
            child,
        );

        const token = new random.RandomPassword(
            `${name}-auth-token`,
            { length: AUTH_TOKEN_LENGTH, special: false },
            child,
        );
        const tokenSecret = new aws.secretsmanager.Secret(
            `${name}-auth-token`,
            {
                description: `webapp cache AUTH token: JSON with ${AUTH_TOKEN_FIELD}`,
                kmsKeyId: args.kms.keyArns.secrets,
                recoveryWindowInDays: args.recoveryWindowDays,
            },
            child,
        );
        const tokenVersion = new aws.secretsmanager.SecretVersion(
            `${name}-auth-token`,
            {
                secretId: tokenSecret.id,
                secretString: pulumi.secret(pulumi.jsonStringify({ [AUTH_TOKEN_FIELD]: token.result })),
            },
            child,
        );

        const logGroups = CACHE_LOGS.map(
            (log) =>
                new aws.cloudwatch.LogGroup(
                    `${name}-log-${log}`,
                    { retentionInDays: args.logRetentionDays, kmsKeyId: args.kms.keyArns.logs },
                    child,
                ),
        );

        const topology = cacheTopology(args.multiAz);
        const group = new aws.elasticache.ReplicationGroup(
            `${name}-valkey`,
            {
                description: "webapp cache (Valkey)",
                engine: CACHE_ENGINE.engine,
                engineVersion: CACHE_ENGINE.version,
                autoMinorVersionUpgrade: false,
                nodeType: args.nodeType,
                port: CACHE_PORT,
                ...topology,
                parameterGroupName: parameterGroup.name,
                subnetGroupName: subnetGroup.name,
                securityGroupIds: [securityGroup.id],
                atRestEncryptionEnabled: true,
                kmsKeyId: key.arn,
                transitEncryptionEnabled: true,
                transitEncryptionMode: "required",
                authToken: pulumi.secret(token.result),
                // A new token is added beside the old one, so clients still holding it keep working.
                authTokenUpdateStrategy: "ROTATE",
                snapshotRetentionLimit: args.snapshotRetentionDays,
                snapshotWindow: "03:00-04:00",
                maintenanceWindow: "sun:05:30-sun:06:30",
                applyImmediately: !args.changesInMaintenanceWindow,
                logDeliveryConfigurations: CACHE_LOGS.map((log, i) => ({
                    destination: logGroups[i].name,
                    destinationType: "cloudwatch-logs",
                    logFormat: "json",
                    logType: log,
                })),
            },
            { parent: this, dependsOn: [tokenVersion] },
        );

        const alarm = (role: string, metricName: string, statistic: string, threshold: number, what: string) =>
            Array.from({ length: topology.numCacheClusters }, (_, i) => {
                const clusterId = group.id.apply((id) => memberClusterIds(id, topology.numCacheClusters)[i]);
                new aws.cloudwatch.MetricAlarm(
                    `${name}-${role}-${i + 1}`,
                    {
                        alarmDescription: pulumi.interpolate`Cache node ${clusterId}: ${what}`,
                        namespace: "AWS/ElastiCache",
                        metricName,
                        dimensions: { CacheClusterId: clusterId },
                        statistic,
                        period: 300,
                        evaluationPeriods: 3,
                        threshold,
                        comparisonOperator: "GreaterThanThreshold",
                        treatMissingData: "notBreaching",
                        alarmActions: [args.alarmTopicArn],
                        okActions: [args.alarmTopicArn],
                    },
                    child,
                );
            });
        const t = CACHE_ALARM_THRESHOLDS;
        alarm("cpu", "EngineCPUUtilization", "Average", t.cpuPercent, `engine CPU above ${t.cpuPercent}%`);
        alarm(
            "memory",
            "DatabaseMemoryUsagePercentage",
            "Average",
            t.memoryPercent,
            `memory above ${t.memoryPercent}%`,
        );
        alarm("evictions", "Evictions", "Sum", t.evictions, "keys evicted under memory pressure");
        alarm("connections", "CurrConnections", "Maximum", t.connections, `more than ${t.connections} connections`);

        this.host = group.primaryEndpointAddress;
        this.port = group.port.apply((p) => p ?? CACHE_PORT);
        this.replicationGroupId = group.id;
        this.securityGroupId = securityGroup.id;
        this.authSecretArn = tokenSecret.arn;
        this.keyArn = key.arn;
        this.registerOutputs({
            host: this.host,
            port: this.port,
            replicationGroupId: this.replicationGroupId,
            securityGroupId: this.securityGroupId,
            authSecretArn: this.authSecretArn,
        });
    }

    /** IAM statements that let a role read the AUTH token's secret (and decrypt it through Secrets Manager only). */
    authReadStatements(): Statement[] {
        return secretReadStatements(this.authSecretArn, this.kms);
    }

    /**
     * Lets a security group reach the cache: the cache's ingress from it, and its egress to the
     * cache (the backends' groups allow only the egress they are given).
     */
    allowFrom(role: string, sourceSecurityGroupId: pulumi.Input<string>): void {
        new aws.vpc.SecurityGroupIngressRule(
            `${this.baseName}-from-${role}`,
            {
                securityGroupId: this.securityGroupId,
                referencedSecurityGroupId: sourceSecurityGroupId,
                ipProtocol: "tcp",
                fromPort: CACHE_PORT,
                toPort: CACHE_PORT,
                description: `Valkey from ${role}`,
            },
            { parent: this },
        );
        new aws.vpc.SecurityGroupEgressRule(
            `${this.baseName}-egress-from-${role}`,
            {
                securityGroupId: sourceSecurityGroupId,
                referencedSecurityGroupId: this.securityGroupId,
                ipProtocol: "tcp",
                fromPort: CACHE_PORT,
                toPort: CACHE_PORT,
                description: "Valkey (TLS) to the cache",
            },
            { parent: this },
        );
    }
}
