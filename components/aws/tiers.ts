/**
 * One small function per AWS tier: its arguments from the config and the stack context (and the
 * tiers it uses). `createAwsPlatform` only wires their results in order.
 */
import { emailFunctionArchive, EMAIL_FUNCTION_ENTRY_POINT } from "../../functions/bundle";
import { mailgunSettings } from "../shared/mailgun";
import type { AlertsArgs, Alerts } from "./alerts";
import { computeKeyStatements, type Compute, type ComputeArgs } from "./compute";
import type { AwsContext } from "./context";
import type { Database, DatabaseArgs } from "./database";
import type { Dns, DnsArgs } from "./dns";
import type { Kms, KmsArgs } from "./kms";
import type { Messaging, MessagingArgs } from "./messaging";
import type { MonitoringArgs } from "./monitoring";
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

export function secretsArgs(ctx: AwsContext, kms: Kms): SecretsArgs {
    return { kms, mailgunApiKey: ctx.config.mailgun.apiKey, recoveryWindowDays: ctx.behaviour.secretRecoveryDays };
}

export function databaseArgs(ctx: AwsContext, tiers: { network: Network; kms: Kms; secrets: Secrets }): DatabaseArgs {
    const { aws, app } = ctx.config;
    return {
        account: ctx.account,
        ...tiers,
        identifierPrefix: ctx.names.prefix,
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
    };
}

export function alertsArgs(ctx: AwsContext): AlertsArgs {
    return {
        account: ctx.account,
        keyAlias: ctx.names.scoped("ops-alerts"),
        rotationDays: ctx.config.aws.kmsRotationDays,
        alarmEmail: ctx.config.monitoring.alarmEmail,
    };
}

/** The function's code is bundled now, from the current sources, so a stale bundle is never deployed. */
export function messagingArgs(
    ctx: AwsContext,
    tiers: { network: Network; kms: Kms; storage: Storage; database: Database; secrets: Secrets; alerts: Alerts },
): MessagingArgs {
    const { aws, domainName } = ctx.config;
    return {
        account: ctx.account,
        network: tiers.network,
        database: tiers.database,
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
        },
        deps: {
            network: tiers.network,
            kms: tiers.kms,
            secrets: tiers.secrets,
            database: tiers.database,
            storage: tiers.storage,
            registrationTopic: tiers.messaging,
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
        functionName: tiers.messaging.functionName,
    };
}
