import type * as pulumi from "@pulumi/pulumi";
import type { AwsApex } from "../edge";
import { enabledFeatures } from "../features";
import { Alerts } from "./alerts";
import { Cache } from "./cache";
import { Compute, type AwsBackendOutputs } from "./compute";
import type { AwsContext } from "./context";
import { Database } from "./database";
import { DisasterRecovery } from "./dr";
import { Dns } from "./dns";
import { Kms } from "./kms";
import { Messaging } from "./messaging";
import { Monitoring } from "./monitoring";
import { Network } from "./network";
import { NightShutdown } from "./schedule";
import { Secrets } from "./secrets";
import { Storage } from "./storage";
import {
    alertsArgs,
    cacheArgs,
    computeArgs,
    databaseArgs,
    disasterRecoveryArgs,
    dnsArgs,
    drKmsArgs,
    kmsArgs,
    messagingArgs,
    monitoringArgs,
    networkArgs,
    secretsArgs,
    storageArgs,
} from "./tiers";

export {
    Alerts,
    Cache,
    Compute,
    Database,
    NightShutdown,
    DisasterRecovery,
    Dns,
    Kms,
    Messaging,
    Monitoring,
    Network,
    Secrets,
    Storage,
};
export { awsContext, awsProvider, type AwsContext } from "./context";

/** What the AWS side of a stack exports. */
export interface AwsCoreOutputs {
    region: string;
    vpcId: pulumi.Output<string>;
    publicSubnetIds: pulumi.Output<string[]>;
    privateSubnetIds: pulumi.Output<string[]>;
    databaseHost: pulumi.Output<string>;
    databasePort: pulumi.Output<number>;
    databaseSecretArn: pulumi.Output<string>;
    mailgunSecretArn: pulumi.Output<string>;
    /** The cache's primary endpoint and its AUTH token's secret (never the token); with `features.cache`. */
    cache?: { host: pulumi.Output<string>; port: pulumi.Output<number>; authSecretArn: pulumi.Output<string> };
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
    dashboardUrl: pulumi.Output<string>;
    /** Name servers to delegate the domain to; only when the stack creates the hosted zone. */
    nameServers?: pulumi.Output<string[]>;
    /** The DR region's copies and its promotion function; only with `aws.dr.region`. */
    dr?: AwsDrOutputs;
    /** The CloudFront distribution in front of the load balancer; only with `features.cdn`. */
    cdn?: { distributionId: pulumi.Output<string>; domainName: pulumi.Output<string> };
}

/** What the DR region exports. */
export interface AwsDrOutputs {
    region: string;
    replicaIdentifier: pulumi.Output<string>;
    replicaAddress: pulumi.Output<string>;
    bucketName: pulumi.Output<string>;
    promotionFunctionName: pulumi.Output<string>;
    /** The DR region's ops topic: promotion records and failures. */
    alertTopicArn: pulumi.Output<string>;
    kmsKeyArns: Record<string, pulumi.Output<string>>;
}

/** The AWS outputs: the core ones and the backend's (`autoScalingGroupName` for `asg`). */
export type AwsOutputs = AwsCoreOutputs & AwsBackendOutputs;

/** The tiers built before the application tier. */
export interface AwsDataTiers {
    readonly network: Network;
    readonly kms: Kms;
    readonly secrets: Secrets;
    readonly database: Database;
    readonly storage: Storage;
    readonly alerts: Alerts;
    readonly messaging: Messaging;
    readonly dns: Dns;
    /** The cache, with `features.cache`. */
    readonly cache?: Cache;
}

/** The AWS tiers of one stack, for wiring, features, the DNS step and tests. */
export interface AwsPlatform extends AwsDataTiers {
    readonly ctx: AwsContext;
    /** The load balancer and the backend behind it. */
    readonly compute: Compute;
    readonly monitoring: Monitoring;
    /** The DR region's keys and copies, when `aws.dr.region` is set. */
    readonly dr?: { readonly kms: Kms; readonly region: DisasterRecovery };
    /**
     * What the DNS step points the apex at: the load balancer. A feature that puts something in
     * front of it (a CDN) replaces `edge.apex` in its `build`.
     */
    readonly edge: { apex: AwsApex };
    readonly outputs: AwsOutputs;
}

/**
 * Builds every AWS tier of the platform, each a top-level component, in dependency order, then
 * the opt-in features that are on. The apex records are the DNS step's (`components/edge.ts`).
 */
export function createAwsPlatform(ctx: AwsContext): AwsPlatform {
    const opts = ctx.tierOpts;
    const kms = new Kms(ctx.name("kms"), kmsArgs(ctx), opts);
    const drKms = ctx.dr && new Kms(ctx.name("dr-kms"), drKmsArgs(ctx, ctx.dr), ctx.dr.tierOpts);
    const network = new Network(ctx.name("network"), networkArgs(ctx, kms), opts);
    const secrets = new Secrets(ctx.name("secrets"), secretsArgs(ctx, kms, drKms), opts);
    const alerts = new Alerts(ctx.name("alerts"), alertsArgs(ctx), opts);
    const cache = ctx.config.features.cache
        ? new Cache(ctx.name("cache"), cacheArgs(ctx, { network, kms, alerts }), opts)
        : undefined;
    const database = new Database(ctx.name("database"), databaseArgs(ctx, { network, kms, secrets, cache }), opts);
    const storage = new Storage(ctx.name("storage"), storageArgs(ctx, kms), opts);
    network.watchNatInstance([alerts.topicArn]);
    const messaging = new Messaging(
        ctx.name("messaging"),
        messagingArgs(ctx, { network, kms, storage, secrets, alerts }),
        opts,
    );
    const dns = new Dns(ctx.name("dns"), dnsArgs(ctx), opts);
    const tiers: AwsDataTiers = {
        network,
        kms,
        secrets,
        database,
        storage,
        alerts,
        messaging,
        dns,
        ...(cache ? { cache } : {}),
    };

    const compute = new Compute(ctx.name("compute"), computeArgs(ctx, tiers), opts);
    database.allowFrom(compute.label, compute.backend.securityGroupId);
    cache?.allowFrom(compute.label, compute.backend.securityGroupId);
    const monitoring = new Monitoring(
        ctx.name("monitoring"),
        monitoringArgs(ctx, { alerts, compute, database, messaging }),
        opts,
    );

    const schedule = ctx.config.aws.schedule;
    if (schedule !== undefined) {
        new NightShutdown(
            ctx.name("night"),
            {
                account: ctx.account,
                schedule,
                dbInstanceIdentifier: database.instanceIdentifier,
                dbInstanceArn: database.arn,
                alarmNames: monitoring.alarmNames,
                alarmArns: monitoring.alarmArns,
            },
            opts,
        );
    }

    const drRegion =
        ctx.dr &&
        drKms &&
        new DisasterRecovery(
            ctx.name("dr"),
            disasterRecoveryArgs(ctx, ctx.dr, { kms, drKms, database, storage, alerts }),
            ctx.dr.tierOpts,
        );

    const { loadBalancer } = compute;
    const platform: AwsPlatform = {
        ...tiers,
        ctx,
        compute,
        monitoring,
        ...(drKms && drRegion ? { dr: { kms: drKms, region: drRegion } } : {}),
        // The load balancer is IPv4-only (the VPC has no IPv6 block), so the apex gets an A record.
        edge: {
            apex: { role: "alb", target: { dnsName: loadBalancer.dnsName, zoneId: loadBalancer.zoneId, ipv6: false } },
        },
        outputs: {
            region: ctx.config.aws.region,
            vpcId: network.networkId,
            publicSubnetIds: network.publicSubnetIds,
            privateSubnetIds: network.privateSubnetIds,
            databaseHost: database.host,
            databasePort: database.port,
            databaseSecretArn: secrets.databaseSecretId,
            mailgunSecretArn: secrets.mailgunSecretId,
            ...(cache ? { cache: { host: cache.host, port: cache.port, authSecretArn: cache.authSecretArn } } : {}),
            bucketName: storage.bucketName,
            kmsKeyArns: { ...kms.keyArns, messaging: messaging.keyArn },
            registrationTopicArn: messaging.topicArn,
            emailFunctionName: messaging.functionName,
            emailDeadLetterQueueUrl: messaging.deadLetterQueueUrl,
            url: compute.url,
            loadBalancerDnsName: loadBalancer.dnsName,
            ...compute.backend.outputs,
            dashboardUrl: monitoring.dashboardUrl,
            ...(dns.nameServers === undefined ? {} : { nameServers: dns.nameServers }),
            ...(drKms && drRegion
                ? {
                      dr: {
                          region: drRegion.region,
                          replicaIdentifier: drRegion.replicaIdentifier,
                          replicaAddress: drRegion.replicaAddress,
                          bucketName: drRegion.bucketName,
                          promotionFunctionName: drRegion.functionName,
                          alertTopicArn: drRegion.topicArn,
                          kmsKeyArns: { ...drKms.keyArns },
                      },
                  }
                : {}),
        },
    };
    for (const feature of enabledFeatures(ctx.config)) {
        feature.aws?.build(ctx, platform);
    }
    return platform;
}
