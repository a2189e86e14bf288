import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { InfraConfig } from "../../config";
import { Apis, DATA_TIER_APIS } from "./apis";
import { Database } from "./database";
import { Kms, type KeyPurpose } from "./kms";
import { Network } from "./network";
import type { GcpProject } from "./project";
import { Secrets } from "./secrets";
import { Storage } from "./storage";

export { Apis, Database, Kms, Network, Secrets, Storage };

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
    kmsKeyIds: Record<KeyPurpose, pulumi.Output<string>>;
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
    readonly outputs: GcpOutputs;
}

/**
 * Builds every GCP tier of the platform with `provider`, each tier a top-level component that waits
 * for the project's APIs to be enabled.
 */
export function createGcpPlatform(
    cfg: InfraConfig,
    provider: gcp.Provider,
    opts: pulumi.ComponentResourceOptions = {},
): GcpPlatform {
    const projectId = cfg.gcp.project;
    if (projectId === undefined) {
        throw new Error("createGcpPlatform: gcp.project is required when clouds includes gcp");
    }
    const env = cfg.environment;
    const production = env !== "dev";
    const prefix = `${env}-gcp`;
    const providerOpts = pulumi.mergeOptions(opts, { providers: [provider] });

    const project: GcpProject = {
        projectId,
        number: gcp.organizations.getProjectOutput({ projectId }, { provider, parent: opts.parent }).number,
        region: cfg.gcp.region,
    };

    const apis = new Apis(`${prefix}-apis`, { apis: DATA_TIER_APIS }, providerOpts);
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

    return {
        project,
        apis,
        network,
        kms,
        secrets,
        database,
        storage,
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
            kmsKeyIds: { ...kms.keyIds },
        },
    };
}
