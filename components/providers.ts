import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT, type InfraConfig } from "../config";

/**
 * The tags (AWS) and labels (GCP) every resource carries, set once on the providers. Keys and
 * values are lowercase so the same map is valid as GCP labels.
 */
export function standardTags(cfg: InfraConfig): Record<string, string> {
    return {
        project: PROJECT,
        environment: cfg.environment,
        stack: pulumi.getStack().toLowerCase(),
        "managed-by": "pulumi",
    };
}

/**
 * The AWS provider every AWS resource uses: region, default tags, an optional account guard and an
 * optional named profile (`aws.profile`; otherwise the usual credential chain).
 */
export function awsProvider(cfg: InfraConfig, opts?: pulumi.ResourceOptions): aws.Provider {
    return new aws.Provider(
        `${cfg.environment}-aws`,
        {
            region: cfg.aws.region as aws.Region,
            defaultTags: { tags: standardTags(cfg) },
            allowedAccountIds: cfg.aws.allowedAccountIds,
            profile: cfg.aws.profile,
        },
        opts,
    );
}

/** The GCP provider every GCP resource uses: project, region, zone and default labels. */
export function gcpProvider(cfg: InfraConfig, opts?: pulumi.ResourceOptions): gcp.Provider {
    return new gcp.Provider(
        `${cfg.environment}-gcp`,
        {
            project: cfg.gcp.project,
            region: cfg.gcp.region,
            zone: cfg.gcp.zone,
            defaultLabels: standardTags(cfg),
        },
        opts,
    );
}
