import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { isProduction, type InfraConfig } from "../../config";
import { emailFunctionArchive, EMAIL_FUNCTION_ENTRY_POINT } from "../../functions/bundle";
import { standardTags } from "../providers";
import { Alerts } from "./alerts";
import { Audit } from "./audit";
import { Backup } from "./backup";
import { Budget } from "./budget";
import { Compute, imageSelector } from "./compute";
import { Database } from "./database";
import { Dns, type AliasTarget } from "./dns";
import { VpcEndpoints } from "./endpoints";
import type { AwsAccount } from "./iam";
import { Kms } from "./kms";
import { Messaging } from "./messaging";
import { Monitoring } from "./monitoring";
import { Network } from "./network";
import { Secrets } from "./secrets";
import { Storage } from "./storage";
import { Waf } from "./waf";

export {
    Alerts,
    Audit,
    Backup,
    Budget,
    Compute,
    Database,
    Dns,
    Kms,
    Messaging,
    Monitoring,
    Network,
    Secrets,
    Storage,
    VpcEndpoints,
    Waf,
};

/** What the AWS side of a stack exports. */
export interface AwsOutputs {
    region: string;
    vpcId: pulumi.Output<string>;
    publicSubnetIds: pulumi.Output<string[]>;
    privateSubnetIds: pulumi.Output<string[]>;
    databaseHost: pulumi.Output<string>;
    databasePort: pulumi.Output<number>;
    databaseSecretArn: pulumi.Output<string>;
    mailgunSecretArn: pulumi.Output<string>;
    bucketName: pulumi.Output<string>;
    kmsKeyArns: Record<string, pulumi.Output<string>>;
    /** The SNS topic the API publishes registration events to. */
    registrationTopicArn: pulumi.Output<string>;
    emailFunctionName: pulumi.Output<string>;
    /** Registration events that could not be processed, kept 14 days. */
    emailDeadLetterQueueUrl: pulumi.Output<string>;
    /** The API's address, `https://<domainName>`. */
    url: string;
    loadBalancerDnsName: pulumi.Output<string>;
    autoScalingGroupName: pulumi.Output<string>;
    dashboardUrl: pulumi.Output<string>;
    /** Name servers to delegate the domain to; only when the stack creates the hosted zone. */
    nameServers?: pulumi.Output<string[]>;
}

/** The AWS tiers of one stack, for wiring and for tests. */
export interface AwsPlatform {
    readonly account: AwsAccount;
    readonly network: Network;
    readonly kms: Kms;
    readonly secrets: Secrets;
    readonly database: Database;
    readonly storage: Storage;
    readonly alerts: Alerts;
    readonly messaging: Messaging;
    readonly dns: Dns;
    readonly compute: Compute;
    /** The load balancer as an alias target (the apex record, or the primary of a DNS failover). */
    readonly loadBalancerTarget: AliasTarget;
    readonly monitoring: Monitoring;
    readonly outputs: AwsOutputs;
}

/** Builds every AWS tier of the platform with `provider`, each tier a top-level component. */
export function createAwsPlatform(
    cfg: InfraConfig,
    provider: aws.Provider,
    opts: pulumi.ComponentResourceOptions = {},
): AwsPlatform {
    const tierOpts = pulumi.mergeOptions(opts, { providers: [provider] });
    const env = cfg.environment;
    const production = isProduction(env);
    const invokeOpts = { provider, parent: opts.parent };
    const account: AwsAccount = {
        accountId: aws.getCallerIdentityOutput({}, invokeOpts).accountId,
        partition: aws.getPartitionOutput({}, invokeOpts).partition,
        region: cfg.aws.region,
    };

    const network = new Network(
        `${env}-network`,
        {
            account,
            cidrBlock: cfg.aws.vpcCidr,
            azCount: cfg.aws.azCount,
            natGateways: cfg.aws.natGateways,
            flowLogRetentionDays: cfg.aws.logRetentionDays,
        },
        tierOpts,
    );
    const kms = new Kms(
        `${env}-kms`,
        { account, rotationDays: cfg.aws.kmsRotationDays, aliasPrefix: `webapp-${env}` },
        tierOpts,
    );
    const secrets = new Secrets(
        `${env}-secrets`,
        { kms, mailgunApiKey: cfg.mailgun.apiKey, recoveryWindowDays: production ? 30 : 7 },
        tierOpts,
    );
    const database = new Database(
        `${env}-database`,
        {
            account,
            network,
            kms,
            secrets,
            identifierPrefix: `webapp-${env}`,
            engineVersion: cfg.aws.db.engineVersion,
            instanceClass: cfg.aws.db.instanceClass,
            allocatedStorage: cfg.aws.db.allocatedStorage,
            maxAllocatedStorage: cfg.aws.db.maxAllocatedStorage,
            multiAz: cfg.aws.db.multiAz,
            backupRetentionDays: cfg.aws.db.backupRetentionDays,
            deletionProtection: cfg.aws.db.deletionProtection,
            production,
            databaseName: cfg.app.databaseName,
            username: cfg.app.databaseUser,
            logRetentionDays: cfg.aws.logRetentionDays,
        },
        tierOpts,
    );
    const storage = new Storage(
        `${env}-storage`,
        {
            kms,
            infrequentAccessAfterDays: cfg.aws.storage.infrequentAccessAfterDays,
            noncurrentVersionExpirationDays: cfg.aws.storage.noncurrentVersionExpirationDays,
            forceDestroy: !production,
        },
        tierOpts,
    );
    const alerts = new Alerts(
        `${env}-alerts`,
        {
            account,
            keyAlias: `webapp-${env}-ops-alerts`,
            rotationDays: cfg.aws.kmsRotationDays,
            alarmEmail: cfg.monitoring.alarmEmail,
        },
        tierOpts,
    );
    // The function's code is bundled now, from the current sources, so a stale bundle is never deployed.
    const messaging = new Messaging(
        `${env}-messaging`,
        {
            account,
            network,
            database,
            secrets,
            code: emailFunctionArchive("aws"),
            handler: EMAIL_FUNCTION_ENTRY_POINT.aws,
            keyRotationDays: cfg.aws.kmsRotationDays,
            keyAlias: `webapp-${env}-messaging`,
            domainName: cfg.domainName,
            mailgun: { domain: cfg.mailgun.domain, from: cfg.mailgun.from, apiBaseUrl: cfg.mailgun.apiBaseUrl },
            timeoutSeconds: cfg.aws.emailFunction.timeoutSeconds,
            memoryMb: cfg.aws.emailFunction.memoryMb,
            reservedConcurrency: cfg.aws.emailFunction.reservedConcurrency,
            logRetentionDays: cfg.aws.logRetentionDays,
            alarmActions: [alerts.topicArn],
        },
        tierOpts,
    );

    const dns = new Dns(`${env}-dns`, { domainName: cfg.domainName, createZone: cfg.aws.dns.createZone }, tierOpts);
    const metricsNamespace = `webapp/${env}`;
    const compute = new Compute(
        `${env}-compute`,
        {
            account,
            network,
            domainName: cfg.domainName,
            certificateArn: cfg.aws.certificateArn,
            zoneId: dns.zoneId,
            app: cfg.app,
            healthCheckPath: cfg.app.healthCheckPath,
            instanceType: cfg.aws.instanceType,
            image: imageSelector(cfg.aws),
            minSize: cfg.aws.asg.min,
            maxSize: cfg.aws.asg.max,
            cpuTarget: cfg.aws.asg.cpuTarget,
            ebsKeyArn: kms.keyArns.ebs,
            databaseSecurityGroupId: database.securityGroupId,
            secrets,
            secretVersionId: database.credentialsVersionId,
            storage,
            registrationTopic: messaging,
            metricsNamespace,
            logRetentionDays: cfg.aws.logRetentionDays,
            deletionProtection: production,
            instanceTags: standardTags(cfg),
        },
        tierOpts,
    );
    database.allowFrom("instances", compute.instanceSecurityGroupId);
    // The load balancer is IPv4-only (the VPC has no IPv6 block), so the apex gets an A record.
    const loadBalancerTarget: AliasTarget = {
        dnsName: compute.loadBalancerDnsName,
        zoneId: compute.loadBalancerZoneId,
        ipv6: false,
    };
    // With DNS failover the apex gets failover records instead, once the GCP standby exists.
    if (!cfg.features.dnsFailover) {
        dns.aliasTo("alb", loadBalancerTarget);
    }
    const monitoring = new Monitoring(
        `${env}-monitoring`,
        {
            region: cfg.aws.region,
            dashboardName: `webapp-${env}`,
            alertTopicArn: alerts.topicArn,
            loadBalancerArnSuffix: compute.loadBalancerArnSuffix,
            targetGroupArnSuffix: compute.targetGroupArnSuffix,
            autoScalingGroupName: compute.autoScalingGroupName,
            metricsNamespace,
            dbInstanceIdentifier: database.instanceIdentifier,
            dbAllocatedStorageGb: cfg.aws.db.allocatedStorage,
            functionName: messaging.functionName,
        },
        tierOpts,
    );

    createOptInFeatures(cfg, { account, network, database, storage, compute }, tierOpts);

    return {
        account,
        network,
        kms,
        secrets,
        database,
        storage,
        alerts,
        messaging,
        dns,
        compute,
        loadBalancerTarget,
        monitoring,
        outputs: {
            region: cfg.aws.region,
            vpcId: network.networkId,
            publicSubnetIds: network.publicSubnetIds,
            privateSubnetIds: network.privateSubnetIds,
            databaseHost: database.host,
            databasePort: database.port,
            databaseSecretArn: secrets.databaseSecretId,
            mailgunSecretArn: secrets.mailgunSecretId,
            bucketName: storage.bucketName,
            kmsKeyArns: { ...kms.keyArns, messaging: messaging.keyArn },
            registrationTopicArn: messaging.topicArn,
            emailFunctionName: messaging.functionName,
            emailDeadLetterQueueUrl: messaging.deadLetterQueueUrl,
            url: compute.url,
            loadBalancerDnsName: compute.loadBalancerDnsName,
            autoScalingGroupName: compute.autoScalingGroupName,
            dashboardUrl: monitoring.dashboardUrl,
            ...(dns.nameServers === undefined ? {} : { nameServers: dns.nameServers }),
        },
    };
}

/** The opt-in hardening and cost controls (`features.*`), each off unless the stack turns it on. */
function createOptInFeatures(
    cfg: InfraConfig,
    tiers: { account: AwsAccount; network: Network; database: Database; storage: Storage; compute: Compute },
    tierOpts: pulumi.ComponentResourceOptions,
): void {
    const env = cfg.environment;
    const production = isProduction(env);
    const { account, network, database, storage, compute } = tiers;
    if (cfg.features.waf) {
        new Waf(
            `${env}-waf`,
            {
                loadBalancerArn: compute.loadBalancerArn,
                metricPrefix: `webapp-${env}`,
                logRetentionDays: cfg.aws.logRetentionDays,
            },
            tierOpts,
        );
    }
    if (cfg.features.vpcEndpoints) {
        new VpcEndpoints(
            `${env}-endpoints`,
            {
                region: cfg.aws.region,
                vpcId: network.networkId,
                vpcCidr: network.cidrBlock,
                privateSubnetIds: network.privateSubnetIds,
            },
            tierOpts,
        );
    }
    if (cfg.features.auditLogs) {
        new Audit(
            `${env}-audit`,
            {
                account,
                trailName: `webapp-${env}`,
                rotationDays: cfg.aws.kmsRotationDays,
                keyAlias: `webapp-${env}-trail`,
                forceDestroy: !production,
            },
            tierOpts,
        );
    }
    if (cfg.features.backup) {
        new Backup(
            `${env}-backup`,
            {
                account,
                resourceArns: [database.arn, storage.bucketArn],
                rotationDays: cfg.aws.kmsRotationDays,
                keyAlias: `webapp-${env}-backup`,
                forceDestroy: !production,
            },
            tierOpts,
        );
    }
    const budget = cfg.features.monthlyBudgetUsd;
    if (budget !== undefined) {
        const alertEmail = cfg.monitoring.alarmEmail;
        if (alertEmail === undefined) {
            throw new Error("features.monthlyBudgetUsd needs monitoring.alarmEmail");
        }
        new Budget(`${env}-budget`, { environment: env, monthlyLimitUsd: budget, alertEmail }, tierOpts);
    }
}
