import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { alertPolicy, anyInFiveMinutes, type ThresholdAlert } from "./alerts";
import { cryptoKey, ENCRYPTER_DECRYPTER_ROLE, type Kms } from "./kms";
import type { Network } from "./network";
import { serviceAccountMember, type GcpProject } from "./project";
import { regionalSecret, SECRET_ACCESSOR_ROLE } from "./secrets";

/** The API Memorystore for Redis is managed through (enabled only with `features.cache`). */
export const REDIS_API = "redis.googleapis.com";

/** The Redis version; upgrades are explicit (change it here), as the AWS cache's engine version. */
export const REDIS_VERSION = "REDIS_7_2";

/** Memorystore's port with in-transit encryption (6379 without it, never used here). */
export const MEMORYSTORE_TLS_PORT = 6378;

/** The instance's capacity in GB (the smallest, M1 capacity tier). */
export const CACHE_MEMORY_GB = 1;

/**
 * Redis settings, as the AWS cache's parameter group: keys without a time to live are never
 * evicted (`volatile-lru`), so an eviction means the cache is too small (the evictions alert).
 */
export const REDIS_CONFIGS: Readonly<Record<string, string>> = { "maxmemory-policy": "volatile-lru" };

/** Alert thresholds over 5-minute windows, held for 15 minutes (a spike is not an alert), as on AWS. */
export const MEMORYSTORE_ALERT_THRESHOLDS = {
    /** `stats/cpu_utilization_main_thread`: the Redis main thread's CPU share, 0-1. */
    cpuRatio: 0.8,
    /** `stats/memory/usage_ratio`: used memory over `maxmemory`, 0-1. */
    memoryRatio: 0.8,
} as const;

/** The Memorystore service agent, which encrypts the instance with its CMEK key. */
export function redisServiceAgent(projectNumber: string): string {
    return `service-${projectNumber}@cloud-redis.iam.gserviceaccount.com`;
}

/** `BASIC` (one node, no replica) in dev; `STANDARD_HA` (a replica in another zone, automatic failover) elsewhere. */
export function memorystoreTier(highAvailability: boolean): "BASIC" | "STANDARD_HA" {
    return highAvailability ? "STANDARD_HA" : "BASIC";
}

/** A Cloud Monitoring filter on one Memorystore instance's metric (`stats/...`). */
export function redisMetricFilter(instanceId: string, metric: string): string {
    return `resource.type = "redis_instance" AND resource.labels.instance_id = "${instanceId}" AND metric.type = "redis.googleapis.com/${metric}"`;
}

/** The instance's alerts: main-thread CPU, memory usage ratio, and any eviction. */
export function memorystoreAlerts(instanceId: pulumi.Input<string>): ThresholdAlert[] {
    const t = MEMORYSTORE_ALERT_THRESHOLDS;
    const filter = (metric: string) => pulumi.output(instanceId).apply((id) => redisMetricFilter(id, metric));
    const sustained = (
        role: string,
        displayName: string,
        documentation: string,
        metric: string,
        threshold: number,
    ): ThresholdAlert => ({
        role,
        displayName,
        documentation,
        filter: filter(metric),
        aligner: "ALIGN_MEAN",
        reducer: "REDUCE_MAX",
        alignmentPeriodSeconds: 300,
        comparison: "COMPARISON_GT",
        threshold,
        durationSeconds: 900,
        missingData: "NO_OP",
    });
    return [
        sustained(
            "cpu",
            `Cache: main-thread CPU above ${t.cpuRatio * 100}%`,
            "The Memorystore instance's Redis main thread has been busy for 15 minutes: look for slow commands (`SLOWLOG GET`) or move to a larger capacity tier.",
            "stats/cpu_utilization_main_thread",
            t.cpuRatio,
        ),
        sustained(
            "memory",
            `Cache: memory above ${t.memoryRatio * 100}% of maxmemory`,
            "The Memorystore instance's memory use has been high for 15 minutes; evictions follow. Give keys a time to live or enlarge the instance.",
            "stats/memory/usage_ratio",
            t.memoryRatio,
        ),
        anyInFiveMinutes({
            role: "evictions",
            displayName: "Cache: keys evicted under memory pressure",
            documentation:
                "Memorystore evicted keys (with a time to live, `volatile-lru`) in the last 5 minutes: the cache is too small for its working set.",
            filter: filter("stats/evicted_keys"),
        }),
    ];
}

export interface CacheArgs {
    /** The project (its number names the Memorystore service agent) and region. */
    project: GcpProject;
    /** The VPC and its private services access range: the instance gets an address from that range. */
    network: Pick<Network, "networkId" | "privateServicesRangeName" | "privateServicesConnection">;
    /** The key ring (the cache's own key goes there) and the Secret Manager key for the AUTH string's secret. */
    kms: Pick<Kms, "keyRing" | "keyIds" | "agentGrants">;
    /** Rotation period of the cache's key in days. Default from `gcp.kmsRotationDays`: 90. */
    keyRotationDays: number;
    /** `STANDARD_HA` (a replica, automatic failover) and daily RDB snapshots. Default: outside dev. */
    highAvailability: boolean;
    /** Days a destroyed secret version stays restorable (dev 7, otherwise 30). */
    versionDestroyDays: number;
    /** Refuse to delete the AUTH string's secret on destroy. Default: outside dev. */
    deletionProtection: boolean;
    /** The ops channels the alert policies notify (`Alerts.channelIds`). */
    notificationChannels: pulumi.Input<string>[];
}

/**
 * Memorystore for Redis on the VPC's private services access range: TLS with server
 * authentication in transit (port 6378, the instance's own CA), AUTH on, the AUTH string kept only
 * in a Secret Manager secret (the application reads it from there by reference), encrypted at rest
 * with its own key in the key ring (usable by the Memorystore agent only), `STANDARD_HA` with
 * daily RDB snapshots outside dev, and CPU, memory and eviction alerts to the ops channel.
 */
export class Cache extends pulumi.ComponentResource {
    /** The instance's private address (a failover keeps it). */
    public readonly host: pulumi.Output<string>;
    public readonly port: pulumi.Output<number>;
    /** `projects/<p>/locations/<region>/instances/<name>`. */
    public readonly instanceId: pulumi.Output<string>;
    /** The CA that signs the instance's TLS certificate (PEM; public, the client verifies the server with it). */
    public readonly caCertificate: pulumi.Output<string>;
    /** `projects/<project>/secrets/<id>` of the secret that holds the AUTH string alone (plain text). */
    public readonly authSecretId: pulumi.Output<string>;
    /** The cache's own key. */
    public readonly keyId: pulumi.Output<string>;
    private readonly baseName: string;

    constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:gcp:Cache", name, {}, opts);
        this.baseName = name;
        const child = { parent: this };

        const key = cryptoKey(
            `${name}-key`,
            { keyRing: args.kms.keyRing.id, rotationDays: args.keyRotationDays },
            child,
        );
        const agent = pulumi.output(args.project.number).apply((n) => serviceAccountMember(redisServiceAgent(n)));
        const keyGrant = new gcp.kms.CryptoKeyIAMMember(
            `${name}-key-agent`,
            { cryptoKeyId: key.id, role: ENCRYPTER_DECRYPTER_ROLE, member: agent },
            child,
        );

        const highAvailability = args.highAvailability;
        const instance = new gcp.redis.Instance(
            `${name}-redis`,
            {
                displayName: "webapp cache",
                region: args.project.region,
                tier: memorystoreTier(highAvailability),
                memorySizeGb: CACHE_MEMORY_GB,
                redisVersion: REDIS_VERSION,
                authorizedNetwork: args.network.networkId,
                connectMode: "PRIVATE_SERVICE_ACCESS",
                reservedIpRange: args.network.privateServicesRangeName,
                transitEncryptionMode: "SERVER_AUTHENTICATION",
                authEnabled: true,
                customerManagedKey: key.id,
                redisConfigs: { ...REDIS_CONFIGS },
                maintenancePolicy: {
                    weeklyMaintenanceWindows: [{ day: "SUNDAY", startTime: { hours: 5, minutes: 30 } }],
                },
                persistenceConfig: highAvailability
                    ? { persistenceMode: "RDB", rdbSnapshotPeriod: "TWENTY_FOUR_HOURS" }
                    : { persistenceMode: "DISABLED" },
            },
            {
                parent: this,
                // The address comes from the peering; Memorystore checks its agent's key grant on create.
                dependsOn: [args.network.privateServicesConnection, keyGrant],
                // The provider marks it secret too; stated so that no mock or version can drop it.
                additionalSecretOutputs: ["authString"],
            },
        );

        const secret = regionalSecret(
            `${name}-auth-string`,
            {
                purpose: "webapp cache AUTH string (plain text)",
                region: args.project.region,
                kms: args.kms,
                versionDestroyDays: args.versionDestroyDays,
                deletionProtection: args.deletionProtection,
            },
            this,
        );
        const version = new gcp.secretmanager.SecretVersion(
            `${name}-auth-string`,
            { secret: secret.id, secretData: pulumi.secret(instance.authString) },
            child,
        );

        for (const alert of memorystoreAlerts(instance.id)) {
            alertPolicy(name, alert, args.notificationChannels, this);
        }

        this.host = instance.host;
        this.port = instance.port.apply((p) => p ?? MEMORYSTORE_TLS_PORT);
        this.instanceId = instance.id;
        this.caCertificate = instance.serverCaCerts.apply((certs) => certs?.[0]?.cert ?? "");
        // The id carries the version as a dependency: a reader of `latest` starts after it exists.
        this.authSecretId = pulumi.all([secret.id, version.id]).apply(([id]) => id);
        this.keyId = key.id;
        this.registerOutputs({
            host: this.host,
            port: this.port,
            instanceId: this.instanceId,
            authSecretId: this.authSecretId,
            keyId: this.keyId,
        });
    }

    /** Lets `member` read the AUTH string's secret (nothing else). Named `${name}-auth-reader-<role>`. */
    grantAuthRead(role: string, member: pulumi.Input<string>): gcp.secretmanager.SecretIamMember {
        return new gcp.secretmanager.SecretIamMember(
            `${this.baseName}-auth-reader-${role}`,
            { secretId: this.authSecretId, role: SECRET_ACCESSOR_ROLE, member },
            { parent: this },
        );
    }
}
