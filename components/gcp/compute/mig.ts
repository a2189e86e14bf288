/**
 * The `mig` compute implementation (`gcp.compute: mig`): instances from the custom image in a
 * regional managed instance group, the load balancer's backend through the group's named port.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { renderGcpBootScript } from "../../../functions/boot/gcp";
import type { AppSettings } from "../../../functions/boot/render";
import type { GcpContext } from "../context";
import type { Database } from "../database";
import type { Kms } from "../kms";
import { userMetric, type Chart, type GcpBackendMonitoring } from "../monitoring";
import { anyInFiveMinutes } from "../alerts";
import type { Network } from "../network";
import { serviceAccountId, type GcpProject } from "../project";
import type { Secrets } from "../secrets";
import type { Storage } from "../storage";
import type {
    GcpAppBackend,
    GcpBackendCache,
    GcpBackendDeps,
    GcpComputeImplementation,
    GcpRegistrationTopic,
    LoadBalancerTarget,
} from "./types";

/** The instances' service account: `<environment>-app-vm`. */
export const MIG_ACCOUNT_ROLE = "app-vm";

/** The instance group's named port the backend service sends traffic to (`app.port`). */
export const NAMED_PORT = "http";

/** What the instances' service account may do in the project (both have no resource-level form). */
export const INSTANCE_PROJECT_ROLES: readonly string[] = ["roles/logging.logWriter", "roles/monitoring.metricWriter"];

/**
 * The load balancer's health check (as the AWS target group's): every 15 s, healthy after 2
 * passes, unhealthy after 3 failures, 5 s timeout.
 */
export const LB_HEALTH_CHECK = {
    checkIntervalSec: 15,
    timeoutSec: 5,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
} as const;

/**
 * Auto-healing is more patient than load balancing (Google's advice): an instance is recreated
 * only after 4 failed checks 30 s apart (2 minutes), and not before 1200 s after it started (the
 * AWS grace period: boot, the wait for the secret, agent, service). On a first deploy the group
 * starts its instances in parallel with Cloud SQL and the startup script polls the secret for up
 * to 20 minutes (`SECRET_RETRY`); a shorter delay would recreate instances still waiting for it.
 * The trade-off: a truly broken instance is recreated after 20 minutes rather than 5.
 */
export const AUTOHEALING_HEALTH_CHECK = {
    checkIntervalSec: 30,
    timeoutSec: 10,
    healthyThreshold: 2,
    unhealthyThreshold: 4,
} as const;
export const AUTOHEALING_INITIAL_DELAY_SECONDS = 1200;

/** Seconds a new instance must be healthy before a rollout counts it, and the autoscaler's warm-up. */
export const INSTANCE_WARMUP_SECONDS = 120;

/** Seconds a removed backend keeps serving its in-flight requests. */
export const CONNECTION_DRAINING_SECONDS = 30;

/** An image: the newest of a family, or one by name, in this project or another. */
export interface ImageSelector {
    readonly family?: string;
    readonly name?: string;
    /** Default: the provider's project. */
    readonly project?: string;
}

/** The image lookup (`gcp.image`; the schema guarantees exactly one of family and name). */
export function imageQuery(image: ImageSelector): gcp.compute.GetImageArgs {
    if ((image.family === undefined) === (image.name === undefined)) {
        throw new Error("gcp.image needs exactly one of family and name");
    }
    return {
        ...(image.family === undefined ? { name: image.name } : { family: image.family }),
        ...(image.project === undefined ? {} : { project: image.project }),
    };
}

/**
 * The rolling update: new instances are added before old ones go (surge), none is taken out of
 * service first (0 unavailable), so a new template rolls with no loss of capacity. A regional
 * group's fixed surge must be 0 or at least its number of zones.
 */
export function updatePolicy(zoneCount: number): gcp.types.input.compute.RegionInstanceGroupManagerUpdatePolicy {
    if (!Number.isInteger(zoneCount) || zoneCount < 1) {
        throw new RangeError(`updatePolicy: ${zoneCount} is not a number of zones`);
    }
    return {
        type: "PROACTIVE",
        minimalAction: "REPLACE",
        mostDisruptiveAllowedAction: "REPLACE",
        replacementMethod: "SUBSTITUTE",
        maxSurgeFixed: zoneCount,
        maxUnavailableFixed: 0,
        minReadySec: INSTANCE_WARMUP_SECONDS,
        instanceRedistributionType: "PROACTIVE",
    };
}

/** Health-check log entries of `instanceGroup` that report a backend turning unhealthy. */
export function unhealthyBackendLogFilter(projectId: string, instanceGroup: string): string {
    return [
        `logName = "projects/${projectId}/logs/compute.googleapis.com%2Fhealthchecks"`,
        `resource.type = "gce_instance_group"`,
        `resource.labels.instance_group_name = "${instanceGroup}"`,
        `jsonPayload.healthCheckProbeResult.healthState = "UNHEALTHY"`,
    ].join(" AND ");
}

/** The log metric of backends turning unhealthy (its role in `GcpBackendMonitoring`). */
export const UNHEALTHY_METRIC = "unhealthy-backends";

/**
 * The group's part of the dashboard and alerts: its size and the backends turning unhealthy (a
 * log metric over the load balancer's health-check logs), instance CPU, memory and disk (Ops Agent),
 * and an alert when a backend turned unhealthy.
 */
export function migMonitoring(args: {
    projectId: string;
    instanceGroup: pulumi.Input<string>;
    instanceNamePrefix: string;
}): GcpBackendMonitoring {
    const { instanceGroup, instanceNamePrefix } = args;
    const instances = `resource.type = "gce_instance" AND metric.labels.instance_name = starts_with("${instanceNamePrefix}")`;
    const agent = `resource.type = "gce_instance" AND metadata.system_labels.name = starts_with("${instanceNamePrefix}")`;
    const resources: Chart[] = [
        {
            title: "Instance CPU",
            series: [
                {
                    filter: `${instances} AND metric.type = "compute.googleapis.com/instance/cpu/utilization"`,
                    aligner: "ALIGN_MEAN",
                    reducer: "REDUCE_MEAN",
                },
            ],
        },
        {
            title: "Instance memory and disk used % (Ops Agent)",
            series: [
                {
                    filter: `${agent} AND metric.type = "agent.googleapis.com/memory/percent_used" AND metric.labels.state = "used"`,
                    aligner: "ALIGN_MEAN",
                    reducer: "REDUCE_MEAN",
                    label: "memory",
                },
                {
                    filter: `${agent} AND metric.type = "agent.googleapis.com/disk/percent_used" AND metric.labels.state = "used"`,
                    aligner: "ALIGN_MEAN",
                    reducer: "REDUCE_MAX",
                    label: "disk",
                },
            ],
        },
    ];
    return {
        logMetrics: [
            {
                role: UNHEALTHY_METRIC,
                description: "Load-balancer backends of the webapp instance group that turned unhealthy",
                filter: pulumi.output(instanceGroup).apply((group) => unhealthyBackendLogFilter(args.projectId, group)),
            },
        ],
        charts: (metrics) => ({
            health: [
                {
                    title: "Instances in the group; backends turned unhealthy",
                    series: [
                        {
                            filter: pulumi.interpolate`resource.type = "instance_group" AND resource.labels.instance_group_name = "${instanceGroup}" AND metric.type = "compute.googleapis.com/instance_group/size"`,
                            aligner: "ALIGN_MEAN",
                            reducer: "REDUCE_SUM",
                            label: "instances",
                        },
                        {
                            filter: userMetric(metrics[UNHEALTHY_METRIC]),
                            aligner: "ALIGN_SUM",
                            reducer: "REDUCE_SUM",
                            label: "turned unhealthy",
                        },
                    ],
                },
            ],
            resources,
        }),
        alerts: (metrics) => [
            anyInFiveMinutes({
                role: "unhealthy-backend",
                displayName: "Load balancer: a backend turned unhealthy",
                documentation:
                    "An instance failed its load-balancer health checks in the last 5 minutes (health-check logs). Auto-healing recreates it; check its startup script log (`journalctl -u google-startup-scripts`).",
                filter: userMetric(metrics[UNHEALTHY_METRIC]),
            }),
        ],
    };
}

/** What a managed instance group stack exports. */
export interface MigOutputs {
    /** The regional managed instance group (for rolling updates and resizes). */
    readonly instanceGroupManagerName: pulumi.Output<string>;
}

export interface MigBackendArgs {
    /** The project (project-level roles of the instances' account, `GOOGLE_CLOUD_PROJECT`) and region. */
    project: GcpProject;
    /** Names the instances' service account (`<environment>-app-vm`) and instances (`webapp-<environment>`). */
    environment: string;
    /** The private subnet and the tag the firewall rules admit. */
    network: Pick<Network, "subnetSelfLink" | "instanceTag">;
    /** Boot disks are encrypted with the `disk` key (its grant to the Compute Engine agent must exist first). */
    kms: Pick<Kms, "keyIds" | "agentGrants">;
    /**
     * The database secret: its id goes into the startup script, and the instances may read it.
     * The script reads the `latest` version and polls until there is one (`SECRET_RETRY`), so
     * the template names no version and does not wait for the database: the group starts its
     * instances while Cloud SQL is being created. A new connection document (a new password or
     * database address) therefore does not change the template and rolls nothing: each instance's
     * refresh timer (`CONNECTION_REFRESH` in functions/boot/gcp.ts) reads the latest version every
     * 60 s and rewrites the env file and restarts the app only when the connection changed (README,
     * "The startup script on GCP").
     */
    secrets: Pick<Secrets, "databaseSecretId" | "grantRead">;
    /** The application bucket: its name goes into the env file, and the instances may use it. */
    storage: Pick<Storage, "bucketName" | "grantReadWrite">;
    /** The registration topic the API publishes to. Default: none (no publish permission, no env key). */
    registrationTopic?: GcpRegistrationTopic;
    /**
     * The cache (`features.cache`): the startup script writes its address, port and CA, and reads
     * its AUTH string from the secret the instances may read. Default: none.
     */
    cache?: GcpBackendCache;
    /**
     * IAM database authentication (`gcp.db.iamAuth`): the database's grant for the instances'
     * account, and the proxy's instance and port for the startup script. Default: none.
     */
    iamAuth?: {
        database: Pick<Database, "grantIamLogin" | "connectionName">;
        port: pulumi.Input<number>;
    };
    /** How the application is installed on the image and its port (`app.*`). */
    app: AppSettings;
    /** Health-check path. From `app.healthCheckPath`; default `/healthz`. */
    healthCheckPath: string;
    /** From `gcp.machineType`; default `e2-micro`. */
    machineType: string;
    /** From `gcp.image`; default the newest image of family `webapp` in the project. */
    image: ImageSelector;
    /** Fewest instances. From `gcp.mig.min`; default 1. */
    minSize: number;
    /** Most instances. From `gcp.mig.max`; default 2. */
    maxSize: number;
    /** Average CPU (%) the autoscaler keeps the group at. From `gcp.mig.cpuTarget`; default 50. */
    cpuTarget: number;
}

/**
 * The `mig` backend, a part of the `Compute` tier (its resources are the tier's children, named
 * `<tier>-<role>`): a regional managed instance group from the custom image, the load balancer's backend. Instances
 * are Shielded VMs with no external address, OS Login and no project SSH keys, a boot disk
 * encrypted with the platform's disk key, and a service account that may read the database secret,
 * use the bucket, publish registration events and write logs and metrics, nothing else. The group
 * scales on CPU, recreates instances that fail their health check, and rolls a new template with
 * surge and no unavailable instance.
 */
export class MigBackend implements GcpAppBackend<MigOutputs> {
    public readonly target: LoadBalancerTarget;
    public readonly serviceAccountEmail: pulumi.Output<string>;
    public readonly instanceGroupManagerName: pulumi.Output<string>;
    /** Instances are named `<this>-<suffix>` (`webapp-<environment>`). */
    public readonly baseInstanceName: string;
    public readonly monitoring: GcpBackendMonitoring;
    public readonly outputs: MigOutputs;

    /** `name` is the tier's; `tier` the `Compute` component that holds the resources. */
    constructor(name: string, args: MigBackendArgs, tier: pulumi.Resource) {
        const child = { parent: tier };
        const region = args.project.region;
        this.baseInstanceName = `webapp-${args.environment}`;

        // The instances' identity and exactly what it may do.
        const account = new gcp.serviceaccount.Account(
            `${name}-instances`,
            {
                accountId: serviceAccountId(args.environment, MIG_ACCOUNT_ROLE),
                displayName: `webapp ${args.environment} instances`,
            },
            child,
        );
        const grants: pulumi.Resource[] = [
            args.secrets.grantRead("database", "instances", account.member),
            args.storage.grantReadWrite("instances", account.member),
            ...INSTANCE_PROJECT_ROLES.map(
                (role) =>
                    new gcp.projects.IAMMember(
                        `${name}-instances-${role.split(".").pop()}`,
                        { project: args.project.projectId, role, member: account.member },
                        child,
                    ),
            ),
        ];
        if (args.registrationTopic !== undefined) {
            grants.push(args.registrationTopic.grantPublish("instances", account.member));
        }
        if (args.cache !== undefined) {
            grants.push(args.cache.grantAuthRead("instances", account.member));
        }
        if (args.iamAuth !== undefined) {
            grants.push(...args.iamAuth.database.grantIamLogin("instances", account));
        }
        const cache = args.cache;
        const iamAuth = args.iamAuth;

        // The template: custom image, Shielded VM, private only, OS Login, CMEK boot disk.
        const image = gcp.compute.getImageOutput(imageQuery(args.image), { parent: tier });
        const startupScript = pulumi
            .all([
                args.secrets.databaseSecretId,
                args.storage.bucketName,
                args.registrationTopic?.topicId,
                cache === undefined
                    ? undefined
                    : pulumi.output({
                          host: cache.host,
                          port: cache.port,
                          authSecretId: cache.authSecretId,
                          caCertificate: cache.caCertificate,
                      }),
                iamAuth === undefined ? undefined : pulumi.all([iamAuth.database.connectionName, iamAuth.port]),
            ])
            .apply(([dbSecretId, bucketName, registrationTopic, cacheValues, proxy]) =>
                renderGcpBootScript({
                    project: args.project.projectId,
                    dbSecretId,
                    bucketName,
                    registrationTopic,
                    app: args.app,
                    ...(cacheValues === undefined ? {} : { cache: cacheValues }),
                    ...(proxy === undefined ? {} : { iamAuth: { connectionName: proxy[0], port: proxy[1] } }),
                }),
            );
        const template = new gcp.compute.InstanceTemplate(
            `${name}-template`,
            {
                description: "webapp instances from the custom image",
                machineType: args.machineType,
                tags: [args.network.instanceTag],
                disks: [
                    {
                        boot: true,
                        autoDelete: true,
                        sourceImage: image.selfLink,
                        diskType: "pd-balanced",
                        diskEncryptionKey: { kmsKeySelfLink: args.kms.keyIds.disk },
                    },
                ],
                // No access config: no external address (egress through Cloud NAT).
                networkInterfaces: [{ subnetwork: args.network.subnetSelfLink }],
                canIpForward: false,
                serviceAccount: { email: account.email, scopes: ["cloud-platform"] },
                shieldedInstanceConfig: {
                    enableSecureBoot: true,
                    enableVtpm: true,
                    enableIntegrityMonitoring: true,
                },
                metadata: {
                    "startup-script": startupScript,
                    "enable-oslogin": "TRUE",
                    "block-project-ssh-keys": "TRUE",
                },
                scheduling: { automaticRestart: true, onHostMaintenance: "MIGRATE" },
            },
            // The Compute Engine agent must be able to use the disk key before a disk is created.
            { ...child, dependsOn: [args.kms.agentGrants.disk] },
        );

        // Health checks (the load balancer's and auto-healing's), the group and its autoscaler.
        const httpCheck = { port: args.app.port, requestPath: args.healthCheckPath };
        const lbHealthCheck = new gcp.compute.HealthCheck(
            `${name}-lb-health`,
            {
                description: `GET ${args.healthCheckPath} for the load balancer`,
                httpHealthCheck: httpCheck,
                ...LB_HEALTH_CHECK,
                // Health transitions are logged (the unhealthy-backend alert counts them).
                logConfig: { enable: true },
            },
            child,
        );
        const autohealing = new gcp.compute.HealthCheck(
            `${name}-autohealing`,
            {
                description: `GET ${args.healthCheckPath} for auto-healing`,
                httpHealthCheck: httpCheck,
                ...AUTOHEALING_HEALTH_CHECK,
            },
            child,
        );
        const zones = gcp.compute.getZonesOutput({ region, status: "UP" }, { parent: tier }).names;
        const group = new gcp.compute.RegionInstanceGroupManager(
            `${name}-mig`,
            {
                description: "webapp instances",
                region,
                baseInstanceName: this.baseInstanceName,
                distributionPolicyZones: zones,
                versions: [{ name: "primary", instanceTemplate: template.selfLinkUnique }],
                namedPorts: [{ name: NAMED_PORT, port: args.app.port }],
                autoHealingPolicies: {
                    healthCheck: autohealing.id,
                    initialDelaySec: AUTOHEALING_INITIAL_DELAY_SECONDS,
                },
                updatePolicy: zones.apply((names) => updatePolicy(names.length)),
                // `pulumi up` returns once every instance runs the new template, so the old
                // template is not deleted while the group still uses it.
                waitForInstances: true,
                waitForInstancesStatus: "UPDATED",
            },
            // Instances read the secret and write logs from their first boot.
            { ...child, dependsOn: grants },
        );
        new gcp.compute.RegionAutoscaler(
            `${name}-autoscaler`,
            {
                region,
                target: group.selfLink,
                autoscalingPolicy: {
                    minReplicas: args.minSize,
                    maxReplicas: args.maxSize,
                    cooldownPeriod: INSTANCE_WARMUP_SECONDS,
                    mode: "ON",
                    cpuUtilization: { target: args.cpuTarget / 100 },
                },
            },
            child,
        );

        this.target = {
            description: "webapp instances",
            portName: NAMED_PORT,
            timeoutSec: 30,
            connectionDrainingTimeoutSec: CONNECTION_DRAINING_SECONDS,
            healthCheck: lbHealthCheck.id,
            backends: [
                {
                    group: group.instanceGroup,
                    balancingMode: "UTILIZATION",
                    maxUtilization: 0.8,
                    capacityScaler: 1,
                },
            ],
        };
        this.serviceAccountEmail = account.email;
        this.instanceGroupManagerName = group.name;
        this.monitoring = migMonitoring({
            projectId: args.project.projectId,
            instanceGroup: group.name,
            instanceNamePrefix: this.baseInstanceName,
        });
        this.outputs = { instanceGroupManagerName: group.name };
    }
}

/** The group's arguments from the config (`gcp.machineType`, `gcp.image`, `gcp.mig.*`). */
export function migArgs(ctx: GcpContext, deps: GcpBackendDeps): MigBackendArgs {
    const cfg = ctx.config;
    return {
        project: ctx.project,
        environment: ctx.environment,
        network: deps.network,
        kms: deps.kms,
        secrets: deps.secrets,
        storage: deps.storage,
        registrationTopic: deps.registrationTopic,
        ...(deps.cache === undefined ? {} : { cache: deps.cache }),
        ...(cfg.gcp.db.iamAuth ? { iamAuth: { database: deps.database, port: deps.database.port } } : {}),
        app: cfg.app,
        healthCheckPath: cfg.app.healthCheckPath,
        machineType: cfg.gcp.machineType,
        image: cfg.gcp.image,
        minSize: cfg.gcp.mig.min,
        maxSize: cfg.gcp.mig.max,
        cpuTarget: cfg.gcp.mig.cpuTarget,
    };
}

/** `gcp.compute: mig`. */
export const MIG_COMPUTE: GcpComputeImplementation<MigOutputs> = {
    label: "instances",
    accountRole: MIG_ACCOUNT_ROLE,
    build: (ctx, name, deps) => new MigBackend(name, migArgs(ctx, deps), deps.tier),
};
