/**
 * One small function per AWS tier: its arguments from the config and the stack context (and the
 * tiers it uses). `createAwsPlatform` only wires their results in order.
 */
import {
    emailFunctionArchive,
    EMAIL_FUNCTION_ENTRY_POINT,
    replicaPromotionArchive,
    REPLICA_PROMOTION_ENTRY_POINT,
} from "../../functions/bundle";
import { mailgunSettings } from "../shared/mailgun";
import type { AlertsArgs, Alerts } from "./alerts";
import { CACHE_PORT, type Cache, type CacheArgs } from "./cache";
import { computeKeyStatements, type Compute, type ComputeArgs } from "./compute";
import type { AwsContext, AwsDrContext } from "./context";
import type { Database, DatabaseArgs } from "./database";
import type { Dns, DnsArgs } from "./dns";
import { securityRuleArns } from "./features/governance";
import type { DisasterRecoveryArgs } from "./dr";
import type { Kms, KmsArgs } from "./kms";
import type { Messaging, MessagingArgs } from "./messaging";
import type { MonitoringArgs } from "./monitoring";
import { databasePort } from "../shared/dataPorts";
import type { Network, NetworkArgs } from "./network";
import type { Secrets, SecretsArgs } from "./secrets";
import type { Storage, StorageArgs } from "./storage";

export function networkArgs(ctx: AwsContext, kms: Kms): NetworkArgs {
    const { aws } = ctx.config;
    return {
        account: ctx.account,
        cidrBlock: aws.vpcCidr,
        azCount: aws.azCount,
        natGateways: aws.natGateways,
        isolatedSubnets: aws.subnets.isolated,
        dataPorts: [databasePort(ctx.config.app.databaseEngine), ...(ctx.config.features.cache ? [CACHE_PORT] : [])],
        flowLogRetentionDays: aws.logRetentionDays,
        logsKeyArn: kms.keyArns.logs,
    };
}

/** The keys' policies also hold what the chosen compute backend needs on them. */
export function kmsArgs(ctx: AwsContext): KmsArgs {
    return {
        account: ctx.account,
        rotationDays: ctx.config.aws.kmsRotationDays,
        aliasPrefix: ctx.names.prefix,
        keyStatements: computeKeyStatements(ctx.config.aws.compute, ctx.account),
    };
}

/** The DR region's counterparts of the four keys, under the same aliases in that region. */
export function drKmsArgs(ctx: AwsContext, dr: AwsDrContext): KmsArgs {
    return { account: dr.account, rotationDays: ctx.config.aws.kmsRotationDays, aliasPrefix: ctx.names.prefix };
}

/** With a DR region, every secret is replicated there under that region's Secrets Manager key. */
export function secretsArgs(ctx: AwsContext, kms: Kms, drKms?: Kms): SecretsArgs {
    return {
        kms,
        mailgunApiKey: ctx.config.mailgun.apiKey,
        recoveryWindowDays: ctx.behaviour.secretRecoveryDays,
        ...(ctx.dr && drKms ? { replica: { region: ctx.dr.region, kmsKeyArn: drKms.keyArns.secrets } } : {}),
        ...(ctx.config.features.cdn ? { originHeader: { generation: ctx.config.aws.cdn.originSecretGeneration } } : {}),
    };
}

/** The cache (`features.cache`) in the database's subnets, its alarms to the ops topic. */
export function cacheArgs(ctx: AwsContext, tiers: { network: Network; kms: Kms; alerts: Alerts }): CacheArgs {
    const { aws } = ctx.config;
    return {
        account: ctx.account,
        network: tiers.network,
        isolatedSubnets: aws.subnets.isolated,
        kms: tiers.kms,
        keyAlias: ctx.names.scoped("cache"),
        keyRotationDays: aws.kmsRotationDays,
        nodeType: aws.cache.nodeType,
        multiAz: aws.cache.multiAz,
        snapshotRetentionDays: aws.cache.snapshotRetentionDays,
        changesInMaintenanceWindow: ctx.behaviour.changesInMaintenanceWindow,
        recoveryWindowDays: ctx.behaviour.secretRecoveryDays,
        logRetentionDays: aws.logRetentionDays,
        alarmTopicArn: tiers.alerts.topicArn,
    };
}

export function databaseArgs(
    ctx: AwsContext,
    tiers: { network: Network; kms: Kms; secrets: Secrets; cache?: Cache },
): DatabaseArgs {
    const { aws, app } = ctx.config;
    return {
        account: ctx.account,
        ...tiers,
        isolatedSubnets: aws.subnets.isolated,
        identifierPrefix: ctx.names.prefix,
        engine: app.databaseEngine,
        engineVersion: aws.db.engineVersion,
        instanceClass: aws.db.instanceClass,
        allocatedStorage: aws.db.allocatedStorage,
        maxAllocatedStorage: aws.db.maxAllocatedStorage,
        multiAz: aws.db.multiAz,
        backupRetentionDays: aws.db.backupRetentionDays,
        deletionProtection: aws.db.deletionProtection,
        retainBackups: ctx.behaviour.retainBackups,
        finalSnapshot: ctx.behaviour.finalSnapshot,
        changesInMaintenanceWindow: ctx.behaviour.changesInMaintenanceWindow,
        databaseName: app.databaseName,
        username: app.databaseUser,
        logRetentionDays: aws.logRetentionDays,
        passwordRotationDays: aws.db.passwordRotationDays,
        ...(tiers.cache ? { cache: tiers.cache } : {}),
    };
}

export function storageArgs(ctx: AwsContext, kms: Kms): StorageArgs {
    return {
        account: ctx.account,
        kms,
        accessLogDays: ctx.config.aws.logRetentionDays,
        infrequentAccessAfterDays: ctx.config.aws.storage.infrequentAccessAfterDays,
        noncurrentVersionExpirationDays: ctx.config.aws.storage.noncurrentVersionExpirationDays,
        forceDestroy: ctx.behaviour.destroyWithData,
        cdnAccessLogs: ctx.config.features.cdn,
    };
}

export function alertsArgs(ctx: AwsContext): AlertsArgs {
    return {
        account: ctx.account,
        keyAlias: ctx.names.scoped("ops-alerts"),
        rotationDays: ctx.config.aws.kmsRotationDays,
        alarmEmail: ctx.config.monitoring.alarmEmail,
        ...(ctx.config.features.governance ? { eventRuleArns: securityRuleArns(ctx.account, ctx.names.prefix) } : {}),
    };
}

/**
 * The function's code is bundled now, from the current sources, so a stale bundle is never
 * deployed. Without NAT (`aws.natGateways` `none`) the function runs outside the VPC: it uses no
 * VPC resource and must reach Mailgun.
 */
export function messagingArgs(
    ctx: AwsContext,
    tiers: { network: Network; kms: Kms; storage: Storage; secrets: Secrets; alerts: Alerts },
): MessagingArgs {
    const { aws, domainName } = ctx.config;
    return {
        account: ctx.account,
        network: aws.natGateways === "none" ? undefined : tiers.network,
        secrets: tiers.secrets,
        code: emailFunctionArchive("aws"),
        handler: EMAIL_FUNCTION_ENTRY_POINT.aws,
        keyRotationDays: aws.kmsRotationDays,
        keyAlias: ctx.names.scoped("messaging"),
        domainName,
        mailgun: mailgunSettings(ctx.config),
        timeoutSeconds: aws.emailFunction.timeoutSeconds,
        memoryMb: aws.emailFunction.memoryMb,
        reservedConcurrency: aws.emailFunction.reservedConcurrency,
        logRetentionDays: aws.logRetentionDays,
        logsKeyArn: tiers.kms.keyArns.logs,
        artifactsKeyArn: tiers.kms.keyArns.s3,
        artifactsAccessLogs: tiers.storage.accessLogTarget("artifacts"),
        forceDestroy: ctx.behaviour.destroyWithData,
        alarmActions: [tiers.alerts.topicArn],
    };
}

export function dnsArgs(ctx: AwsContext): DnsArgs {
    return { domainName: ctx.config.domainName, createZone: ctx.config.aws.dns.createZone };
}

export function computeArgs(
    ctx: AwsContext,
    tiers: {
        network: Network;
        kms: Kms;
        secrets: Secrets;
        database: Database;
        storage: Storage;
        messaging: Messaging;
        dns: Dns;
        cache?: Cache;
    },
): ComputeArgs {
    const { aws, app, domainName } = ctx.config;
    return {
        ctx,
        kind: aws.compute,
        loadBalancer: {
            network: tiers.network,
            domainName,
            certificateArn: aws.certificateArn,
            zoneId: tiers.dns.zoneId,
            appPort: app.port,
            healthCheckPath: app.healthCheckPath,
            deletionProtection: ctx.behaviour.deletionProtection,
            accessLogs: tiers.storage.loadBalancerAccessLogs(),
            ...(tiers.secrets.originHeader === undefined
                ? {}
                : { originLock: { headerValue: tiers.secrets.originHeader.value } }),
        },
        deps: {
            network: tiers.network,
            kms: tiers.kms,
            secrets: tiers.secrets,
            database: tiers.database,
            storage: tiers.storage,
            registrationTopic: tiers.messaging,
            ...(tiers.cache ? { cache: tiers.cache } : {}),
        },
    };
}

export function monitoringArgs(
    ctx: AwsContext,
    tiers: { alerts: Alerts; compute: Compute; database: Database; messaging: Messaging },
): MonitoringArgs {
    const { loadBalancer, backend } = tiers.compute;
    return {
        region: ctx.config.aws.region,
        dashboardName: ctx.names.prefix,
        alertTopicArn: tiers.alerts.topicArn,
        loadBalancerArnSuffix: loadBalancer.loadBalancerArnSuffix,
        targetGroupArnSuffix: loadBalancer.targetGroupArnSuffix,
        backend: backend.monitoring,
        dbInstanceIdentifier: tiers.database.instanceIdentifier,
        dbAllocatedStorageGb: ctx.config.aws.db.allocatedStorage,
        dbInstanceClass: ctx.config.aws.db.instanceClass,
        dbEngine: ctx.config.app.databaseEngine,
        functionName: tiers.messaging.functionName,
    };
}

/** The DR region: the replica and the DR bucket mirror the primary's settings; the bundle is built now. */
export function disasterRecoveryArgs(
    ctx: AwsContext,
    dr: AwsDrContext,
    tiers: { kms: Kms; drKms: Kms; database: Database; storage: Storage; alerts: Alerts },
): DisasterRecoveryArgs {
    const { aws, features, monitoring } = ctx.config;
    return {
        primary: { account: ctx.account, provider: ctx.provider },
        account: dr.account,
        kms: tiers.drKms,
        primaryKms: tiers.kms,
        database: tiers.database,
        storage: tiers.storage,
        primaryAlertTopicArn: tiers.alerts.topicArn,
        prefix: ctx.names.prefix,
        vpcCidr: aws.dr.vpcCidr,
        azCount: aws.azCount,
        engineVersion: aws.db.engineVersion,
        instanceClass: aws.db.instanceClass,
        maxAllocatedStorage: aws.db.maxAllocatedStorage,
        backupRetentionDays: aws.db.backupRetentionDays,
        deletionProtection: aws.db.deletionProtection,
        logRetentionDays: aws.logRetentionDays,
        rotationDays: aws.kmsRotationDays,
        infrequentAccessAfterDays: aws.storage.infrequentAccessAfterDays,
        noncurrentVersionExpirationDays: aws.storage.noncurrentVersionExpirationDays,
        forceDestroy: ctx.behaviour.destroyWithData,
        alarmEmail: monitoring.alarmEmail,
        code: replicaPromotionArchive(),
        handler: REPLICA_PROMOTION_ENTRY_POINT,
        dryRun: aws.dr.promotion.dryRun,
        graceSeconds: aws.dr.promotion.graceSeconds,
        backupVault: features.backup,
    };
}
