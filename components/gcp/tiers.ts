/**
 * One small function per GCP tier: its arguments from the config and the stack context (and the
 * tiers it uses). `createGcpPlatform` only wires their results in order.
 */
import * as pulumi from "@pulumi/pulumi";
import { isProduction } from "../../config";
import { emailFunctionArchive, EMAIL_FUNCTION_ENTRY_POINT } from "../../functions/bundle";
import { gcpHostnames } from "../shared/hostnames";
import { mailgunSettings } from "../shared/mailgun";
import type { Alerts, AlertsArgs } from "./alerts";
import { APP_TIER_APIS, CLOUD_DNS_API, DATA_TIER_APIS, type ApisArgs } from "./apis";
import { REDIS_API, type Cache, type CacheArgs } from "./cache";
import { gcpCompute, type Compute, type ComputeArgs } from "./compute";
import { serviceAccountId } from "./project";
import type { GcpContext } from "./context";
import type { Database, DatabaseArgs } from "./database";
import type { DrKms, DrKmsArgs } from "./dr";
import type { GcpAppExtras } from "./features/types";
import type { Kms, KmsArgs } from "./kms";
import type { Messaging, MessagingArgs } from "./messaging";
import type { MonitoringArgs } from "./monitoring";
import type { Network, NetworkArgs } from "./network";
import type { Secrets, SecretsArgs } from "./secrets";
import type { Storage, StorageArgs } from "./storage";

/** The APIs to enable; Cloud DNS only on GCP alone (next to AWS the records go to Route 53). */
export function apisArgs(ctx: GcpContext): ApisArgs {
    return {
        apis: [
            ...DATA_TIER_APIS,
            ...(ctx.config.features.cache ? [REDIS_API] : []),
            ...APP_TIER_APIS,
            ...(ctx.uses("aws") ? [] : [CLOUD_DNS_API]),
        ],
    };
}

/** The names the GCP load balancer serves: `domainName` alone, `gcp.<domainName>` next to AWS. */
export function hostnamesFor(ctx: GcpContext): string[] {
    return gcpHostnames({
        domainName: ctx.config.domainName,
        withAws: ctx.uses("aws"),
        dnsFailover: ctx.config.features.dnsFailover,
    });
}

export function networkArgs(ctx: GcpContext): NetworkArgs {
    const { gcp, app } = ctx.config;
    return { region: gcp.region, subnetCidr: gcp.subnetCidr, appPort: app.port, sshSourceRanges: gcp.sshSourceRanges };
}

export function kmsArgs(ctx: GcpContext): KmsArgs {
    return { project: ctx.project, rotationDays: ctx.config.gcp.kmsRotationDays };
}

/** The DR keys' arguments, when `gcp.dr.region` is set. */
export function drKmsArgs(ctx: GcpContext, kms: Kms): DrKmsArgs | undefined {
    const { gcp } = ctx.config;
    if (gcp.dr.region === undefined) {
        return undefined;
    }
    return {
        primaryRegion: gcp.region,
        region: gcp.dr.region,
        rotationDays: gcp.kmsRotationDays,
        serviceAgents: kms.serviceAgents,
    };
}

export function secretsArgs(ctx: GcpContext, kms: Kms): SecretsArgs {
    return {
        kms,
        region: ctx.config.gcp.region,
        mailgunApiKey: ctx.config.mailgun.apiKey,
        versionDestroyDays: ctx.behaviour.secretRecoveryDays,
        deletionProtection: ctx.behaviour.deletionProtection,
        // Cloud Run injects whole secrets; with IAM authentication the password is the operator's alone.
        passwordSecret: ctx.config.gcp.compute === "cloudRun" || ctx.config.gcp.db.iamAuth,
    };
}

/** The cache (`features.cache`) on the private services range, its alerts to the ops channel. */
export function cacheArgs(ctx: GcpContext, tiers: { network: Network; kms: Kms; alerts: Alerts }): CacheArgs {
    return {
        project: ctx.project,
        network: tiers.network,
        kms: tiers.kms,
        keyRotationDays: ctx.config.gcp.kmsRotationDays,
        // As the AWS cache's `aws.cache.multiAz` default: a replica everywhere but dev.
        highAvailability: isProduction(ctx.environment),
        versionDestroyDays: ctx.behaviour.secretRecoveryDays,
        deletionProtection: ctx.behaviour.deletionProtection,
        notificationChannels: tiers.alerts.channelIds,
    };
}

export function databaseArgs(
    ctx: GcpContext,
    tiers: { network: Network; kms: Kms; secrets: Secrets; drKms?: DrKms },
): DatabaseArgs {
    const { gcp, app } = ctx.config;
    const { drKms, ...primary } = tiers;
    return {
        ...primary,
        engine: app.databaseEngine,
        region: gcp.region,
        tier: gcp.db.tier,
        diskSizeGb: gcp.db.diskSizeGb,
        highAvailability: gcp.db.highAvailability,
        backupRetentionDays: gcp.db.backupRetentionDays,
        deletionProtection: gcp.db.deletionProtection,
        retainBackupsOnDelete: ctx.behaviour.retainBackups,
        // The application is the same on both clouds: one schema and user name.
        databaseName: app.databaseName,
        username: app.databaseUser,
        ...(gcp.db.iamAuth
            ? { iamAuth: { projectId: ctx.project.projectId, serviceAccountEmail: appServiceAccountEmail(ctx) } }
            : {}),
        ...(drKms !== undefined && gcp.dr.region !== undefined
            ? { replica: { region: gcp.dr.region, keyId: drKms.keyIds.sql, keyGrant: drKms.agentGrants.sql } }
            : {}),
    };
}

/** The e-mail of the application's service account (`gcp.compute` names its id: `<environment>-app-vm` or `-app-run`). */
export function appServiceAccountEmail(ctx: GcpContext): string {
    const id = serviceAccountId(ctx.environment, gcpCompute(ctx.config.gcp.compute).accountRole);
    return `${id}@${ctx.project.projectId}.iam.gserviceaccount.com`;
}

export function storageArgs(ctx: GcpContext, kms: Kms, drKms?: DrKms): StorageArgs {
    return {
        kms,
        location: ctx.config.gcp.region,
        nearlineAfterDays: ctx.config.gcp.storage.nearlineAfterDays,
        forceDestroy: ctx.behaviour.destroyWithData,
        ...(drKms === undefined ? {} : { placement: drKms.placement }),
    };
}

export function alertsArgs(ctx: GcpContext): AlertsArgs {
    return { alarmEmail: ctx.config.monitoring.alarmEmail, displayName: `webapp ${ctx.environment} ops` };
}

/** The function's code is bundled now, from the current sources, so a stale bundle is never deployed. */
export function messagingArgs(
    ctx: GcpContext,
    tiers: { kms: Kms; secrets: Secrets; alerts: Alerts; storage: Storage },
): MessagingArgs {
    return {
        project: ctx.project,
        environment: ctx.environment,
        kms: tiers.kms,
        secrets: tiers.secrets,
        code: emailFunctionArchive("gcp"),
        entryPoint: EMAIL_FUNCTION_ENTRY_POINT.gcp,
        keyRotationDays: ctx.config.gcp.kmsRotationDays,
        domainName: ctx.config.domainName,
        mailgun: mailgunSettings(ctx.config),
        forceDestroy: ctx.behaviour.destroyWithData,
        sourceUsageLogs: tiers.storage.usageLogTarget("messaging-source"),
        notificationChannels: tiers.alerts.channelIds,
    };
}

export function computeArgs(
    ctx: GcpContext,
    tiers: {
        network: Network;
        kms: Kms;
        secrets: Secrets;
        database: Database;
        storage: Storage;
        messaging: Messaging;
        cache?: Cache;
    },
    extras: GcpAppExtras,
): ComputeArgs {
    return {
        ctx,
        kind: ctx.config.gcp.compute,
        loadBalancer: {
            hostnames: hostnamesFor(ctx),
            securityPolicy: extras.securityPolicy,
            ...(extras.cdnPolicy === undefined ? {} : { cdnPolicy: extras.cdnPolicy }),
        },
        deps: {
            network: tiers.network,
            kms: tiers.kms,
            secrets: tiers.secrets,
            database: tiers.database,
            storage: tiers.storage,
            registrationTopic: tiers.messaging,
            ...(tiers.cache === undefined ? {} : { cache: tiers.cache }),
        },
    };
}

export function monitoringArgs(
    ctx: GcpContext,
    tiers: { alerts: Alerts; compute: Compute; database: Database; messaging: Messaging },
): MonitoringArgs {
    const projectId = ctx.project.projectId;
    return {
        projectId,
        dashboardName: ctx.names.prefix,
        notificationChannels: tiers.alerts.channelIds,
        urlMapName: tiers.compute.loadBalancer.urlMapName,
        backend: tiers.compute.backend.monitoring,
        uptimeHost: hostnamesFor(ctx)[0],
        healthCheckPath: ctx.config.app.healthCheckPath,
        databaseId: pulumi.interpolate`${projectId}:${tiers.database.instanceName}`,
        functionServiceName: tiers.messaging.functionServiceName,
    };
}
