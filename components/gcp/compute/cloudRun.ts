/**
 * The `cloudRun` compute implementation (`gcp.compute: cloudRun`): the application as a Cloud Run
 * service (2nd gen) from an image in the stack's Artifact Registry repository (or any registry),
 * reached only through the global load balancer by a serverless network endpoint group.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { anyInFiveMinutes, type ThresholdAlert } from "../alerts";
import type { GcpContext } from "../context";
import { AUTH_PROXY_HOST, type Database } from "../database";
import { cryptoKey, ENCRYPTER_DECRYPTER_ROLE, type Kms } from "../kms";
import type { Chart, GcpBackendMonitoring } from "../monitoring";
import type { Network } from "../network";
import { serviceAccountId, type GcpProject } from "../project";
import type { Secrets } from "../secrets";
import type { Storage } from "../storage";
import { INSTANCE_PROJECT_ROLES } from "./mig";
import type {
    GcpAppBackend,
    GcpBackendCache,
    GcpBackendDeps,
    GcpComputeImplementation,
    GcpRegistrationTopic,
    LoadBalancerTarget,
} from "./types";

/** The Cloud SQL Auth Proxy's image (Google's, pinned) for the sidecar with `gcp.db.iamAuth`. */
export const CLOUD_SQL_PROXY_IMAGE = "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1";

/** The application container's and the proxy sidecar's names (named only when there is a sidecar). */
export const APP_CONTAINER = "app";
export const PROXY_CONTAINER = "cloud-sql-proxy";

/**
 * The proxy sidecar (`gcp.db.iamAuth`): IAM authentication as the service's account, Cloud SQL's
 * private address, on the engine's port at loopback (containers of an instance share it); the
 * application container starts once the port answers.
 */
export function proxySidecar(
    connectionName: string,
    port: number,
): gcp.types.input.cloudrunv2.ServiceTemplateContainer {
    return {
        name: PROXY_CONTAINER,
        image: CLOUD_SQL_PROXY_IMAGE,
        args: ["--auto-iam-authn", "--private-ip", "--address", "127.0.0.1", "--port", String(port), connectionName],
        resources: { limits: { cpu: "1", memory: "512Mi" }, cpuIdle: true },
        startupProbe: { tcpSocket: { port }, periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 30 },
    };
}

/** The service's account: `<environment>-app-run`. */
export const CLOUD_RUN_ACCOUNT_ROLE = "app-run";

/** Only the load balancer (and the project's VPC) may reach the service; its run.app URL answers 404 to the internet. */
export const CLOUD_RUN_INGRESS = "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCING";

/** Versions the repository keeps (the newest): enough to roll back several releases, as ECR keeps. */
export const AR_KEEP_VERSIONS = 30;
/** An untagged version (a layer left by a re-push, a failed build) is deleted after a day. */
export const AR_UNTAGGED_SECONDS = 86400;
/** A tagged version beyond the newest `AR_KEEP_VERSIONS` is deleted once 30 days old. */
export const AR_TAGGED_SECONDS = 30 * 86400;

/** The API whose service agent encrypts the repository with its key. */
export const ARTIFACT_REGISTRY_API = "artifactregistry.googleapis.com";

/** Alert when the service's p95 request latency stays above this (2 s) for 5 minutes. */
export const LATENCY_P95_MS = 2000;
/** Alert when more than this share of the service's requests fail with 5xx (5 %, as the load balancer). */
export const SERVICE_ERROR_RATE = 0.05;

/** The repository's cleanup policies: untagged versions go after a day, and tagged ones beyond the newest N after 30 days. */
export function cleanupPolicies(
    keep: number = AR_KEEP_VERSIONS,
): gcp.types.input.artifactregistry.RepositoryCleanupPolicy[] {
    if (!Number.isInteger(keep) || keep < 1) {
        throw new RangeError(`cleanupPolicies: ${keep} is not a number of versions to keep`);
    }
    return [
        {
            id: "delete-untagged",
            action: "DELETE",
            condition: { tagState: "UNTAGGED", olderThan: `${AR_UNTAGGED_SECONDS}s` },
        },
        {
            id: "delete-old",
            action: "DELETE",
            condition: { tagState: "TAGGED", olderThan: `${AR_TAGGED_SECONDS}s` },
        },
        // KEEP wins over DELETE: the newest versions stay whatever their age.
        { id: `keep-newest-${keep}`, action: "KEEP", mostRecentVersions: { keepCount: keep } },
    ];
}

/** `<region>-docker.pkg.dev/<project>/<repository>`: where images of the stack's repository are pushed. */
export function repositoryUrl(region: string, projectId: string, repository: string): string {
    return `${region}-docker.pkg.dev/${projectId}/${repository}`;
}

/**
 * The container's environment, as the instances' env file has it: the app port, project, bucket,
 * topic and the non-secret database fields as values, the password by Secret Manager reference
 * (Cloud Run reads it when an instance starts; its value is never in the service's definition).
 */
export function containerEnv(args: {
    projectId: string;
    port: number;
    bucketName: string;
    registrationTopic?: string;
    database: { host: string; port: number; name: string; user: string };
    passwordSecretId: string;
    /** The cache (`features.cache`): address, port and CA as values, the AUTH string by reference. */
    cache?: { host: string; port: number; caCertificate: string; authSecretId: string };
    /**
     * IAM database authentication (`gcp.db.iamAuth`): the database through the proxy sidecar on
     * loopback as the account's user (`DB_IAM_AUTH=true`), and no password.
     */
    iamAuth?: { user: string };
}): gcp.types.input.cloudrunv2.ServiceTemplateContainerEnv[] {
    const iam = args.iamAuth;
    const values: Record<string, string> = {
        APP_PORT: String(args.port),
        GOOGLE_CLOUD_PROJECT: args.projectId,
        GCS_BUCKET_NAME: args.bucketName,
        ...(args.registrationTopic === undefined ? {} : { PUBSUB_TOPIC: args.registrationTopic }),
        DB_HOST: iam === undefined ? args.database.host : AUTH_PROXY_HOST,
        DB_PORT: String(args.database.port),
        DB_NAME: args.database.name,
        DB_USER: iam === undefined ? args.database.user : iam.user,
        ...(iam === undefined ? {} : { DB_IAM_AUTH: "true" }),
        ...(args.cache === undefined
            ? {}
            : {
                  CACHE_HOST: args.cache.host,
                  CACHE_PORT: String(args.cache.port),
                  CACHE_TLS: "true",
                  CACHE_CA_CERT: args.cache.caCertificate,
              }),
    };
    const secretRef = (secret: string) => ({ secretKeyRef: { secret, version: "latest" } });
    return [
        ...Object.entries(values).map(([name, value]) => ({ name, value })),
        ...(iam === undefined ? [{ name: "DB_PASSWORD", valueSource: secretRef(args.passwordSecretId) }] : []),
        ...(args.cache === undefined
            ? []
            : [{ name: "CACHE_AUTH_TOKEN", valueSource: secretRef(args.cache.authSecretId) }]),
    ];
}

const runMetric = (service: pulumi.Input<string>, metric: string) =>
    pulumi.interpolate`resource.type = "cloud_run_revision" AND resource.labels.service_name = "${service}" AND metric.type = "run.googleapis.com/${metric}"`;

/**
 * The service's part of the dashboard and alerts, in place of the instance group's: its instances
 * and 5xx responses (health), its p95 latency and container CPU and memory (resources), and
 * alerts on the 5xx rate, the p95 latency and requests refused with 503 (no ready instance).
 */
export function cloudRunMonitoring(service: pulumi.Input<string>): GcpBackendMonitoring {
    const requests = runMetric(service, "request_count");
    const resources: Array<Chart<pulumi.Input<string>>> = [
        {
            title: "Cloud Run request latency p95 (ms)",
            series: [
                {
                    filter: runMetric(service, "request_latencies"),
                    aligner: "ALIGN_DELTA",
                    reducer: "REDUCE_PERCENTILE_95",
                },
            ],
        },
        {
            title: "Cloud Run container CPU and memory (p95)",
            series: [
                {
                    filter: runMetric(service, "container/cpu/utilizations"),
                    aligner: "ALIGN_PERCENTILE_95",
                    reducer: "REDUCE_MAX",
                    label: "cpu",
                },
                {
                    filter: runMetric(service, "container/memory/utilizations"),
                    aligner: "ALIGN_PERCENTILE_95",
                    reducer: "REDUCE_MAX",
                    label: "memory",
                },
            ],
        },
    ];
    const alerts: ThresholdAlert[] = [
        {
            role: "run-5xx-rate",
            displayName: "Cloud Run: 5xx rate above 5 %",
            documentation: `More than ${SERVICE_ERROR_RATE * 100} % of the service's requests were answered 5xx for 3 minutes. Check the revision's logs (Cloud Run, Logs) and its latest deployment.`,
            filter: pulumi.interpolate`${requests} AND metric.labels.response_code_class = "5xx"`,
            denominatorFilter: requests,
            aligner: "ALIGN_RATE",
            reducer: "REDUCE_SUM",
            alignmentPeriodSeconds: 60,
            comparison: "COMPARISON_GT",
            threshold: SERVICE_ERROR_RATE,
            durationSeconds: 180,
            missingData: "INACTIVE",
        },
        {
            role: "run-latency",
            displayName: `Cloud Run: p95 latency above ${LATENCY_P95_MS / 1000} s`,
            documentation: `The service's p95 request latency stayed above ${LATENCY_P95_MS} ms for 5 minutes: instances at their concurrency limit (raise gcp.cloudRun.max or cpu), or a slow database.`,
            filter: runMetric(service, "request_latencies"),
            aligner: "ALIGN_PERCENTILE_95",
            reducer: "REDUCE_MAX",
            alignmentPeriodSeconds: 60,
            comparison: "COMPARISON_GT",
            threshold: LATENCY_P95_MS,
            durationSeconds: 300,
            missingData: "INACTIVE",
        },
        anyInFiveMinutes({
            role: "run-503",
            displayName: "Cloud Run: requests refused for want of a ready instance",
            documentation:
                "The service answered 503 in the last 5 minutes: no ready instance could take the request (instances failing their startup probe, or gcp.cloudRun.max reached). Cloud Run keeps serving the last ready revision; the revision's logs say why.",
            filter: pulumi.interpolate`${requests} AND metric.labels.response_code = "503"`,
        }),
    ];
    return {
        logMetrics: [],
        charts: () => ({
            health: [
                {
                    title: "Cloud Run instances; 5xx responses / s",
                    series: [
                        {
                            filter: runMetric(service, "container/instance_count"),
                            aligner: "ALIGN_MAX",
                            reducer: "REDUCE_SUM",
                            label: "instances",
                        },
                        {
                            filter: pulumi.interpolate`${requests} AND metric.labels.response_code_class = "5xx"`,
                            aligner: "ALIGN_RATE",
                            reducer: "REDUCE_SUM",
                            label: "5xx",
                        },
                    ],
                },
            ],
            resources,
        }),
        alerts: () => alerts,
    };
}

/** What a Cloud Run stack exports. */
export interface CloudRunOutputs {
    /** The Cloud Run service's short name (the rollout follows its revisions). */
    readonly cloudRunServiceName: pulumi.Output<string>;
    /** Where the stack's images are pushed: `<region>-docker.pkg.dev/<project>/<repository>`. */
    readonly artifactRegistryRepositoryUrl: pulumi.Output<string>;
}

export interface CloudRunBackendArgs {
    /** The project (project-level roles of the service's account) and region (service, repository, NEG). */
    project: GcpProject;
    /** Names the service account (`<environment>-app-run`) and the repository (`webapp-<environment>`). */
    environment: string;
    /** Direct VPC egress through the private subnet, with the tag the firewall rules know. */
    network: Pick<Network, "subnetSelfLink" | "instanceTag">;
    /** The key ring the repository's own key is created in. */
    kms: Pick<Kms, "keyRing">;
    /** Days between rotations of the repository's key. From `gcp.kmsRotationDays`; default 90. */
    keyRotationDays: number;
    /** The password secret (`Secrets.passwordSecretId`): injected by reference, readable by the service only. */
    secrets: Pick<Secrets, "passwordSecretId" | "grantRead">;
    /** The database's private address and port, its name and the application's user (`app.*`). */
    database: { host: pulumi.Input<string>; port: pulumi.Input<number>; name: string; user: string };
    /** The application bucket: its name goes into the environment, and the service may use it. */
    storage: Pick<Storage, "bucketName" | "grantReadWrite">;
    /** The registration topic the API publishes to. Default: none (no publish permission, no env key). */
    registrationTopic?: GcpRegistrationTopic;
    /** The cache (`features.cache`): in the environment, and the service may read its AUTH string. Default: none. */
    cache?: GcpBackendCache;
    /** IAM database authentication (`gcp.db.iamAuth`): the proxy sidecar and the database's grant. Default: none. */
    iamAuth?: { database: Pick<Database, "grantIamLogin" | "connectionName" | "iamUser"> };
    /** The container port (`app.port`; Cloud Run sets `PORT` to it). */
    port: number;
    /** The startup and liveness probes' path. From `app.healthCheckPath`; default `/healthz`. */
    healthCheckPath: string;
    /** The image URI (`gcp.cloudRun.image`, required). */
    image: string;
    /** vCPUs per instance. From `gcp.cloudRun.cpu`; default 1. */
    cpu: number;
    /** MiB per instance. From `gcp.cloudRun.memory`; default 512. */
    memory: number;
    /** Instances kept warm. From `gcp.cloudRun.min`; default 1. */
    minInstances: number;
    /** Most instances. From `gcp.cloudRun.max`; default 2. */
    maxInstances: number;
    /** Requests one instance serves at once. From `gcp.cloudRun.concurrency`; default 80. */
    concurrency: number;
    /** Refuse to delete the service (outside dev). */
    deletionProtection: boolean;
}

/**
 * The `cloudRun` backend, a part of the `Compute` tier (its resources are the tier's children,
 * named `<tier>-<role>`): an Artifact Registry repository (its own CMEK key, immutable tags,
 * cleanup policies), a Cloud Run service (2nd gen) whose service account may read the database
 * password, use the bucket, publish registration events and write logs and metrics, nothing else;
 * ingress from the load balancer only, Direct VPC egress to Cloud SQL's private address, the
 * password by Secret Manager reference, startup and liveness probes on the health-check path. The
 * load balancer reaches it through a serverless network endpoint group (Cloud Armor applies there);
 * no principal holds `run.invoker`: the invoker check is off because only the load balancer can
 * reach the service.
 */
export class CloudRunBackend implements GcpAppBackend<CloudRunOutputs> {
    public readonly target: LoadBalancerTarget;
    public readonly serviceAccountEmail: pulumi.Output<string>;
    public readonly service: gcp.cloudrunv2.Service;
    public readonly repository: gcp.artifactregistry.Repository;
    public readonly monitoring: GcpBackendMonitoring;
    public readonly outputs: CloudRunOutputs;

    /** `name` is the tier's; `tier` the `Compute` component that holds the resources. */
    constructor(name: string, args: CloudRunBackendArgs, tier: pulumi.Resource) {
        const child = { parent: tier };
        const { projectId, region } = args.project;
        const passwordSecretId = args.secrets.passwordSecretId;
        if (passwordSecretId === undefined) {
            throw new Error("CloudRunBackend: the Secrets tier holds no password secret (passwordSecret is off)");
        }

        // The repository, encrypted with a key of its own that only Artifact Registry's agent may use.
        const key = cryptoKey(
            `${name}-registry`,
            { keyRing: args.kms.keyRing.id, rotationDays: args.keyRotationDays },
            child,
        );
        const agent = new gcp.projects.ServiceIdentity(
            `${name}-registry-agent`,
            { service: ARTIFACT_REGISTRY_API },
            child,
        );
        const keyGrant = new gcp.kms.CryptoKeyIAMMember(
            `${name}-registry-key-agent`,
            { cryptoKeyId: key.id, role: ENCRYPTER_DECRYPTER_ROLE, member: agent.member },
            child,
        );
        const repositoryId = `webapp-${args.environment}`;
        this.repository = new gcp.artifactregistry.Repository(
            `${name}-registry`,
            {
                repositoryId,
                location: region,
                format: "DOCKER",
                description: `webapp ${args.environment} application images`,
                kmsKeyName: key.id,
                dockerConfig: { immutableTags: true },
                cleanupPolicyDryRun: false,
                cleanupPolicies: cleanupPolicies(),
            },
            // Artifact Registry checks on create that its agent may use the key.
            { ...child, dependsOn: [keyGrant] },
        );

        // The service's identity and exactly what it may do.
        const account = new gcp.serviceaccount.Account(
            `${name}-service`,
            {
                accountId: serviceAccountId(args.environment, CLOUD_RUN_ACCOUNT_ROLE),
                displayName: `webapp ${args.environment} Cloud Run service`,
            },
            child,
        );
        const iamAuth = args.iamAuth;
        const iamUser = iamAuth?.database.iamUser;
        if (iamAuth !== undefined && iamUser === undefined) {
            throw new Error("CloudRunBackend: iamAuth is on, but the database has no IAM user (its iamAuth is off)");
        }
        const grants: pulumi.Resource[] = [
            // With IAM authentication the service never reads the password.
            ...(iamAuth === undefined ? [args.secrets.grantRead("password", "service", account.member)] : []),
            ...(iamAuth === undefined ? [] : iamAuth.database.grantIamLogin("service", account)),
            args.storage.grantReadWrite("service", account.member),
            ...INSTANCE_PROJECT_ROLES.map(
                (role) =>
                    new gcp.projects.IAMMember(
                        `${name}-service-${role.split(".").pop()}`,
                        { project: projectId, role, member: account.member },
                        child,
                    ),
            ),
        ];
        if (args.registrationTopic !== undefined) {
            grants.push(args.registrationTopic.grantPublish("service", account.member));
        }
        if (args.cache !== undefined) {
            grants.push(args.cache.grantAuthRead("service", account.member));
        }
        const cache = args.cache;

        const env = pulumi
            .all([
                args.storage.bucketName,
                args.registrationTopic?.topicId,
                args.database.host,
                args.database.port,
                passwordSecretId,
                cache === undefined
                    ? undefined
                    : pulumi.output({
                          host: cache.host,
                          port: cache.port,
                          caCertificate: cache.caCertificate,
                          authSecretId: cache.authSecretId,
                      }),
            ])
            .apply(([bucketName, registrationTopic, host, port, secretId, cacheValues]) =>
                containerEnv({
                    projectId,
                    port: args.port,
                    bucketName,
                    registrationTopic,
                    database: { host, port, name: args.database.name, user: args.database.user },
                    passwordSecretId: secretId,
                    ...(cacheValues === undefined ? {} : { cache: cacheValues }),
                    ...(iamUser === undefined ? {} : { iamAuth: { user: iamUser } }),
                }),
            );
        const sidecars =
            iamAuth === undefined
                ? []
                : [
                      pulumi
                          .all([iamAuth.database.connectionName, args.database.port])
                          .apply(([connectionName, port]) => proxySidecar(connectionName, port)),
                  ];
        const probe = { httpGet: { path: args.healthCheckPath, port: args.port } };
        this.service = new gcp.cloudrunv2.Service(
            `${name}-service`,
            {
                location: region,
                description: `webapp ${args.environment} API`,
                ingress: CLOUD_RUN_INGRESS,
                invokerIamDisabled: true,
                launchStage: "GA",
                deletionProtection: args.deletionProtection,
                template: {
                    serviceAccount: account.email,
                    executionEnvironment: "EXECUTION_ENVIRONMENT_GEN2",
                    maxInstanceRequestConcurrency: args.concurrency,
                    timeout: "30s",
                    scaling: { minInstanceCount: args.minInstances, maxInstanceCount: args.maxInstances },
                    vpcAccess: {
                        networkInterfaces: [
                            { subnetwork: args.network.subnetSelfLink, tags: [args.network.instanceTag] },
                        ],
                        egress: "PRIVATE_RANGES_ONLY",
                    },
                    containers: [
                        {
                            ...(iamAuth === undefined ? {} : { name: APP_CONTAINER, dependsOns: [PROXY_CONTAINER] }),
                            image: args.image,
                            ports: { containerPort: args.port },
                            resources: {
                                limits: { cpu: String(args.cpu), memory: `${args.memory}Mi` },
                                cpuIdle: true,
                                startupCpuBoost: true,
                            },
                            envs: env,
                            startupProbe: { ...probe, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 24 },
                            livenessProbe: { ...probe, periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 3 },
                        },
                        ...sidecars,
                    ],
                },
            },
            // A revision reads the password and writes logs from its first instance.
            { ...child, dependsOn: grants },
        );

        const neg = new gcp.compute.RegionNetworkEndpointGroup(
            `${name}-neg`,
            {
                description: "webapp Cloud Run service",
                region,
                networkEndpointType: "SERVERLESS",
                cloudRun: { service: this.service.name },
            },
            child,
        );

        this.target = {
            description: "webapp Cloud Run service",
            backends: [{ group: neg.id }],
        };
        this.serviceAccountEmail = account.email;
        this.monitoring = cloudRunMonitoring(this.service.name);
        this.outputs = {
            cloudRunServiceName: this.service.name,
            artifactRegistryRepositoryUrl: this.repository.repositoryId.apply((id) =>
                repositoryUrl(region, projectId, id),
            ),
        };
    }
}

/** The service's arguments from the config (`gcp.cloudRun.*`, `app.*`). */
export function cloudRunArgs(ctx: GcpContext, deps: GcpBackendDeps): CloudRunBackendArgs {
    const cfg = ctx.config;
    const run = cfg.gcp.cloudRun;
    if (run.image === undefined) {
        // The schema requires gcp.cloudRun.image whenever gcp.compute is cloudRun.
        throw new Error("cloudRunArgs: the config has no gcp.cloudRun.image (parse it with parseConfig first)");
    }
    return {
        project: ctx.project,
        environment: ctx.environment,
        network: deps.network,
        kms: deps.kms,
        keyRotationDays: cfg.gcp.kmsRotationDays,
        secrets: deps.secrets,
        database: {
            host: deps.database.host,
            port: deps.database.port,
            name: cfg.app.databaseName,
            user: cfg.app.databaseUser,
        },
        storage: deps.storage,
        registrationTopic: deps.registrationTopic,
        ...(deps.cache === undefined ? {} : { cache: deps.cache }),
        ...(cfg.gcp.db.iamAuth ? { iamAuth: { database: deps.database } } : {}),
        port: cfg.app.port,
        healthCheckPath: cfg.app.healthCheckPath,
        image: run.image,
        cpu: run.cpu,
        memory: run.memory,
        minInstances: run.min,
        maxInstances: run.max,
        concurrency: run.concurrency,
        deletionProtection: ctx.behaviour.deletionProtection,
    };
}

/** `gcp.compute: cloudRun`. */
export const CLOUD_RUN_COMPUTE: GcpComputeImplementation<CloudRunOutputs> = {
    label: "Cloud Run service",
    accountRole: CLOUD_RUN_ACCOUNT_ROLE,
    build: (ctx, name, deps) => new CloudRunBackend(name, cloudRunArgs(ctx, deps), deps.tier),
};
