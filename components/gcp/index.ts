import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { isProduction, type InfraConfig } from "../../config";
import { emailFunctionArchive, EMAIL_FUNCTION_ENTRY_POINT } from "../../functions/bundle";
import type { AliasTarget, Dns as AwsDns } from "../aws/dns";
import { Alerts } from "./alerts";
import { Apis, APP_TIER_APIS, CLOUD_DNS_API, DATA_TIER_APIS } from "./apis";
import { CloudArmor } from "./armor";
import { Audit } from "./audit";
import { Compute } from "./compute";
import { Database } from "./database";
import { Dns, gcpHostnames, publishInRoute53 } from "./dns";
import { Kms, type KeyPurpose } from "./kms";
import { Messaging } from "./messaging";
import { Monitoring } from "./monitoring";
import { Network } from "./network";
import type { GcpProject } from "./project";
import { Secrets } from "./secrets";
import { Storage } from "./storage";

export {
    Alerts,
    Apis,
    Audit,
    CloudArmor,
    Compute,
    Database,
    Dns,
    Kms,
    Messaging,
    Monitoring,
    Network,
    Secrets,
    Storage,
};

/** What the GCP side of a stack exports (ids and addresses only, never secret values). */
export interface GcpOutputs {
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
    bucketName: pulumi.Output<string>;
    /** The platform keys by purpose, and the messaging tier's own key. */
    kmsKeyIds: Record<KeyPurpose | "messaging", pulumi.Output<string>>;
    /** The GCP load balancer's address: `https://<domainName>` alone, `https://gcp.<domainName>` next to AWS. */
    url: string;
    loadBalancerIp: pulumi.Output<string>;
    /** The regional managed instance group (for rolling updates and resizes). */
    instanceGroupManagerName: pulumi.Output<string>;
    dashboardUrl: pulumi.Output<string>;
    /** The Pub/Sub topic the API publishes registration events to (`projects/<p>/topics/<t>`). */
    registrationTopic: pulumi.Output<string>;
    emailFunctionName: pulumi.Output<string>;
    /** Registration events that could not be processed, and the subscription that keeps them 14 days. */
    emailDeadLetterTopic: pulumi.Output<string>;
    emailDeadLetterSubscription: pulumi.Output<string>;
    /** Name servers to delegate the domain to; only when the stack creates the Cloud DNS zone. */
    nameServers?: pulumi.Output<string[]>;
}

/**
 * The AWS side, when both clouds run: the GCP load balancer is published in its Route 53 zone,
 * and with DNS failover the AWS load balancer is the apex's primary.
 */
export interface AwsDnsLink {
    readonly dns: Pick<AwsDns, "record" | "failover">;
    readonly loadBalancerTarget: AliasTarget;
}

/** The GCP tiers of one stack, for wiring and for tests. */
export interface GcpPlatform {
    readonly project: GcpProject;
    readonly apis: Apis;
    readonly network: Network;
    readonly kms: Kms;
    readonly secrets: Secrets;
    readonly database: Database;
    readonly storage: Storage;
    readonly alerts: Alerts;
    readonly messaging: Messaging;
    readonly compute: Compute;
    /** Cloud DNS, on GCP alone; next to AWS the records go into Route 53 and this is undefined. */
    readonly dns?: Dns;
    readonly monitoring: Monitoring;
    readonly outputs: GcpOutputs;
}

/**
 * Builds every GCP tier of the platform with `provider`, each tier a top-level component that waits
 * for the project's APIs to be enabled. `aws` is the AWS side when both clouds run (DNS goes to
 * Route 53); without it the stack runs on GCP alone and uses Cloud DNS.
 */
export function createGcpPlatform(
    cfg: InfraConfig,
    provider: gcp.Provider,
    opts: pulumi.ComponentResourceOptions = {},
    aws?: AwsDnsLink,
): GcpPlatform {
    const projectId = cfg.gcp.project;
    if (projectId === undefined) {
        throw new Error("createGcpPlatform: gcp.project is required when clouds includes gcp");
    }
    const env = cfg.environment;
    const production = isProduction(env);
    const prefix = `${env}-gcp`;
    const providerOpts = pulumi.mergeOptions(opts, { providers: [provider] });

    const project: GcpProject = {
        projectId,
        number: gcp.organizations.getProjectOutput({ projectId }, { provider, parent: opts.parent }).number,
        region: cfg.gcp.region,
    };

    const apis = new Apis(
        `${prefix}-apis`,
        { apis: [...DATA_TIER_APIS, ...APP_TIER_APIS, ...(aws === undefined ? [CLOUD_DNS_API] : [])] },
        providerOpts,
    );
    const tierOpts = pulumi.mergeOptions(providerOpts, { dependsOn: [apis] });

    const network = new Network(
        `${prefix}-network`,
        {
            region: cfg.gcp.region,
            subnetCidr: cfg.gcp.subnetCidr,
            appPort: cfg.app.port,
            sshSourceRanges: cfg.gcp.sshSourceRanges,
        },
        tierOpts,
    );
    const kms = new Kms(`${prefix}-kms`, { project, rotationDays: cfg.gcp.kmsRotationDays }, tierOpts);
    const secrets = new Secrets(
        `${prefix}-secrets`,
        {
            kms,
            region: cfg.gcp.region,
            mailgunApiKey: cfg.mailgun.apiKey,
            versionDestroyDays: production ? 30 : 7,
            deletionProtection: production,
        },
        tierOpts,
    );
    const database = new Database(
        `${prefix}-database`,
        {
            network,
            kms,
            secrets,
            region: cfg.gcp.region,
            tier: cfg.gcp.db.tier,
            diskSizeGb: cfg.gcp.db.diskSizeGb,
            highAvailability: cfg.gcp.db.highAvailability,
            backupRetentionDays: cfg.gcp.db.backupRetentionDays,
            deletionProtection: cfg.gcp.db.deletionProtection,
            retainBackupsOnDelete: production,
            // The application is the same on both clouds: one schema and user name.
            databaseName: cfg.app.databaseName,
            username: cfg.app.databaseUser,
        },
        tierOpts,
    );
    const storage = new Storage(
        `${prefix}-storage`,
        {
            kms,
            location: cfg.gcp.region,
            nearlineAfterDays: cfg.gcp.storage.nearlineAfterDays,
            forceDestroy: !production,
        },
        tierOpts,
    );

    const alerts = new Alerts(
        `${prefix}-alerts`,
        { alarmEmail: cfg.monitoring.alarmEmail, displayName: `webapp ${env} ops` },
        tierOpts,
    );
    // The function's code is bundled now, from the current sources, so a stale bundle is never deployed.
    const messaging = new Messaging(
        `${prefix}-messaging`,
        {
            project,
            environment: env,
            kms,
            secrets,
            code: emailFunctionArchive("gcp"),
            entryPoint: EMAIL_FUNCTION_ENTRY_POINT.gcp,
            keyRotationDays: cfg.gcp.kmsRotationDays,
            domainName: cfg.domainName,
            mailgun: { domain: cfg.mailgun.domain, from: cfg.mailgun.from, apiBaseUrl: cfg.mailgun.apiBaseUrl },
            forceDestroy: !production,
            notificationChannels: alerts.channelIds,
        },
        tierOpts,
    );
    const armor = cfg.features.waf ? new CloudArmor(`${prefix}-armor`, {}, tierOpts) : undefined;

    const hostnames = gcpHostnames({
        domainName: cfg.domainName,
        withAws: aws !== undefined,
        dnsFailover: cfg.features.dnsFailover,
    });
    const compute = new Compute(
        `${prefix}-compute`,
        {
            project,
            environment: env,
            network,
            kms,
            secrets,
            secretVersion: database.credentialsVersionId,
            storage,
            registrationTopic: messaging,
            app: cfg.app,
            healthCheckPath: cfg.app.healthCheckPath,
            machineType: cfg.gcp.machineType,
            image: cfg.gcp.image,
            minSize: cfg.gcp.mig.min,
            maxSize: cfg.gcp.mig.max,
            cpuTarget: cfg.gcp.mig.cpuTarget,
            hostnames,
            securityPolicy: armor?.policyId,
        },
        tierOpts,
    );

    let dns: Dns | undefined;
    if (aws === undefined) {
        dns = new Dns(
            `${prefix}-dns`,
            {
                domainName: cfg.domainName,
                createZone: cfg.gcp.dns.createZone,
                loadBalancerIp: compute.loadBalancerIp,
                authorizationRecords: compute.dnsAuthorizationRecords,
            },
            tierOpts,
        );
    } else {
        publishInRoute53({
            zone: aws.dns,
            hostnames,
            loadBalancerIp: compute.loadBalancerIp,
            authorizationRecords: compute.dnsAuthorizationRecords,
            failover: cfg.features.dnsFailover
                ? { primary: aws.loadBalancerTarget, healthCheckPath: cfg.app.healthCheckPath }
                : undefined,
        });
    }

    const monitoring = new Monitoring(
        `${prefix}-monitoring`,
        {
            projectId,
            dashboardName: `webapp-${env}`,
            notificationChannels: alerts.channelIds,
            urlMapName: compute.urlMapName,
            instanceGroupManagerName: compute.instanceGroupManagerName,
            instanceNamePrefix: compute.baseInstanceName,
            uptimeHost: hostnames[0],
            healthCheckPath: cfg.app.healthCheckPath,
            databaseId: pulumi.interpolate`${projectId}:${database.instanceName}`,
            functionServiceName: messaging.functionServiceName,
        },
        tierOpts,
    );

    if (cfg.features.auditLogs) {
        new Audit(`${prefix}-audit`, { projectId }, tierOpts);
    }

    return {
        project,
        apis,
        network,
        kms,
        secrets,
        database,
        storage,
        alerts,
        messaging,
        compute,
        dns,
        monitoring,
        outputs: {
            project: projectId,
            region: cfg.gcp.region,
            networkSelfLink: network.networkId,
            subnetSelfLink: network.subnetSelfLink,
            instanceTag: network.instanceTag,
            databaseHost: database.host,
            databasePort: database.port,
            databaseConnectionName: database.connectionName,
            databaseSecretId: secrets.databaseSecretId,
            mailgunSecretId: secrets.mailgunSecretId,
            bucketName: storage.bucketName,
            kmsKeyIds: { ...kms.keyIds, messaging: messaging.keyId },
            url: compute.url,
            loadBalancerIp: compute.loadBalancerIp,
            instanceGroupManagerName: compute.instanceGroupManagerName,
            dashboardUrl: monitoring.dashboardUrl,
            registrationTopic: messaging.topicId,
            emailFunctionName: messaging.functionName,
            emailDeadLetterTopic: messaging.deadLetterTopicId,
            emailDeadLetterSubscription: messaging.deadLetterSubscriptionId,
            ...(dns?.nameServers === undefined ? {} : { nameServers: dns.nameServers }),
        },
    };
}
