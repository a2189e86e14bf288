import type * as pulumi from "@pulumi/pulumi";
import { enabledFeatures } from "../features";
import { Alerts } from "./alerts";
import { Apis } from "./apis";
import { Cache } from "./cache";
import { Compute, type GcpBackendOutputs } from "./compute";
import { withApis, type GcpContext } from "./context";
import { Database } from "./database";
import { Dns } from "./dns";
import { DrKms } from "./dr";
import type { GcpAppExtras } from "./features/types";
import { Kms, type KeyPurpose } from "./kms";
import { Messaging } from "./messaging";
import { Monitoring } from "./monitoring";
import { Network } from "./network";
import { Secrets } from "./secrets";
import { Storage } from "./storage";
import {
    alertsArgs,
    apisArgs,
    cacheArgs,
    computeArgs,
    databaseArgs,
    drKmsArgs,
    hostnamesFor,
    kmsArgs,
    messagingArgs,
    monitoringArgs,
    networkArgs,
    secretsArgs,
    storageArgs,
} from "./tiers";

export { Alerts, Apis, Cache, Compute, Database, Dns, Kms, Messaging, Monitoring, Network, Secrets, Storage };
export { gcpContext, gcpProvider, type GcpContext } from "./context";

/** What the GCP side of a stack exports (ids and addresses only, never secret values). */
export interface GcpCoreOutputs {
    project: string;
    region: string;
    networkSelfLink: pulumi.Output<string>;
    subnetSelfLink: pulumi.Output<string>;
    /** The network tag instances carry for the firewall rules. */
    instanceTag: string;
    /** The Cloud SQL instance's private IP address. */
    databaseHost: pulumi.Output<string>;
    databasePort: pulumi.Output<number>;
    /** `project:region:instance`. */
    databaseConnectionName: pulumi.Output<string>;
    databaseSecretId: pulumi.Output<string>;
    mailgunSecretId: pulumi.Output<string>;
    /** The cache's address and port and its AUTH string's secret (never the string); with `features.cache`. */
    cache?: { host: pulumi.Output<string>; port: pulumi.Output<number>; authSecretId: pulumi.Output<string> };
    bucketName: pulumi.Output<string>;
    /** The platform keys by purpose, and the messaging tier's own key. */
    kmsKeyIds: Record<KeyPurpose | "messaging", pulumi.Output<string>>;
    /** The GCP load balancer's address: `https://<domainName>` alone, `https://gcp.<domainName>` next to AWS. */
    url: string;
    loadBalancerIp: pulumi.Output<string>;
    dashboardUrl: pulumi.Output<string>;
    /** The Pub/Sub topic the API publishes registration events to (`projects/<p>/topics/<t>`). */
    registrationTopic: pulumi.Output<string>;
    emailFunctionName: pulumi.Output<string>;
    /** Registration events that could not be processed, and the subscription that keeps them 14 days. */
    emailDeadLetterTopic: pulumi.Output<string>;
    emailDeadLetterSubscription: pulumi.Output<string>;
    /** Name servers to delegate the domain to; only when the stack creates the Cloud DNS zone. */
    nameServers?: pulumi.Output<string[]>;
    /** The DR region's copies; only with `gcp.dr.region`. */
    dr?: GcpDrOutputs;
}

/** What the GCP DR region exports (names only). */
export interface GcpDrOutputs {
    region: string;
    /** The read replica's instance name and `project:region:instance`. */
    replicaName: pulumi.Output<string>;
    replicaConnectionName: pulumi.Output<string>;
    /** The application bucket's dual-region: its two regions. */
    bucketDataLocations: string[];
    /** The DR keys by purpose. */
    kmsKeyIds: { sql: pulumi.Output<string>; storage: pulumi.Output<string> };
}

/** The GCP outputs: the core ones and the backend's (`instanceGroupManagerName` for `mig`). */
export type GcpOutputs = GcpCoreOutputs & GcpBackendOutputs;

/** The tiers built before the application tier (what a feature's `prepare` gets). */
export interface GcpDataTiers {
    readonly apis: Apis;
    readonly network: Network;
    readonly kms: Kms;
    readonly secrets: Secrets;
    readonly database: Database;
    readonly storage: Storage;
    readonly alerts: Alerts;
    readonly messaging: Messaging;
    /** The DR keys, when `gcp.dr.region` is set (the replica and the dual-region bucket use them). */
    readonly drKms?: DrKms;
    /** The cache, with `features.cache`. */
    readonly cache?: Cache;
}

/** The GCP tiers of one stack, for wiring, features, the DNS step and tests. */
export interface GcpPlatform extends GcpDataTiers {
    /** The context every tier was built with (its options wait for the project's APIs). */
    readonly ctx: GcpContext;
    /** The backend and the load balancer in front of it. */
    readonly compute: Compute;
    readonly monitoring: Monitoring;
    /** The names the load balancer serves (the DNS step publishes the first, and the apex with failover). */
    readonly hostnames: readonly string[];
    /** The outputs; the DNS step adds `nameServers` on GCP alone. */
    readonly outputs: GcpOutputs;
}

/**
 * Builds every GCP tier of the platform, each a top-level component that waits for the project's
 * APIs to be enabled, in dependency order; the opt-in features that are on get their `prepare`
 * before the application tier and their `build` at the end. DNS records are the DNS step's
 * (`components/edge.ts`): Cloud DNS on GCP alone, the AWS stack's Route 53 zone next to AWS.
 */
export function createGcpPlatform(base: GcpContext): GcpPlatform {
    const apis = new Apis(base.name("apis"), apisArgs(base), base.tierOpts);
    const ctx = withApis(base, apis);
    const opts = ctx.tierOpts;

    const network = new Network(ctx.name("network"), networkArgs(ctx), opts);
    const kms = new Kms(ctx.name("kms"), kmsArgs(ctx), opts);
    const secrets = new Secrets(ctx.name("secrets"), secretsArgs(ctx, kms), opts);
    const drArgs = drKmsArgs(ctx, kms);
    const drKms = drArgs && new DrKms(ctx.name("dr-kms"), drArgs, opts);
    const database = new Database(ctx.name("database"), databaseArgs(ctx, { network, kms, secrets, drKms }), opts);
    const storage = new Storage(ctx.name("storage"), storageArgs(ctx, kms, drKms), opts);
    const alerts = new Alerts(ctx.name("alerts"), alertsArgs(ctx), opts);
    const cache = ctx.config.features.cache
        ? new Cache(ctx.name("cache"), cacheArgs(ctx, { network, kms, alerts }), opts)
        : undefined;
    const messaging = new Messaging(ctx.name("messaging"), messagingArgs(ctx, { kms, secrets, alerts, storage }), opts);
    const tiers: GcpDataTiers = {
        apis,
        network,
        kms,
        secrets,
        database,
        storage,
        alerts,
        messaging,
        ...(drKms === undefined ? {} : { drKms }),
        ...(cache === undefined ? {} : { cache }),
    };

    const features = enabledFeatures(ctx.config).flatMap((f) => (f.gcp === undefined ? [] : [f.gcp]));
    const extras: GcpAppExtras = Object.assign({}, ...features.map((f) => f.prepare?.(ctx, tiers) ?? {}));

    const compute = new Compute(ctx.name("compute"), computeArgs(ctx, tiers, extras), opts);
    const monitoring = new Monitoring(
        ctx.name("monitoring"),
        monitoringArgs(ctx, { alerts, compute, database, messaging }),
        opts,
    );

    const { loadBalancer } = compute;
    const platform: GcpPlatform = {
        ...tiers,
        ctx,
        compute,
        monitoring,
        hostnames: hostnamesFor(ctx),
        outputs: {
            project: ctx.project.projectId,
            region: ctx.config.gcp.region,
            networkSelfLink: network.networkId,
            subnetSelfLink: network.subnetSelfLink,
            instanceTag: network.instanceTag,
            databaseHost: database.host,
            databasePort: database.port,
            databaseConnectionName: database.connectionName,
            databaseSecretId: secrets.databaseSecretId,
            mailgunSecretId: secrets.mailgunSecretId,
            ...(cache === undefined
                ? {}
                : { cache: { host: cache.host, port: cache.port, authSecretId: cache.authSecretId } }),
            bucketName: storage.bucketName,
            kmsKeyIds: { ...kms.keyIds, messaging: messaging.keyId },
            url: compute.url,
            loadBalancerIp: loadBalancer.ipAddress,
            ...compute.backend.outputs,
            dashboardUrl: monitoring.dashboardUrl,
            registrationTopic: messaging.topicId,
            emailFunctionName: messaging.functionName,
            emailDeadLetterTopic: messaging.deadLetterTopicId,
            emailDeadLetterSubscription: messaging.deadLetterSubscriptionId,
            ...(drKms !== undefined && database.replica !== undefined && ctx.config.gcp.dr.region !== undefined
                ? {
                      dr: {
                          region: ctx.config.gcp.dr.region,
                          replicaName: database.replica.instanceName,
                          replicaConnectionName: database.replica.connectionName,
                          bucketDataLocations: [...drKms.placement.dataLocations],
                          kmsKeyIds: drKms.keyIds,
                      },
                  }
                : {}),
        },
    };
    for (const feature of features) {
        feature.build?.(ctx, platform);
    }
    return platform;
}
