/** The GCP part of the stack context: the provider, the project, and how GCP tiers are named. */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { InfraConfig } from "../../config";
import { stackContext, type StackContext } from "../shared/context";
import { standardTags } from "../shared/tags";
import type { GcpProject } from "./project";

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

export interface GcpContext extends StackContext {
    readonly provider: gcp.Provider;
    /** The project deployed into (its number looked up through the provider) and the region. */
    readonly project: GcpProject;
    /**
     * Options for every GCP tier component: the caller's, with the GCP provider; once the project's
     * APIs are being enabled (`withApis`), also a dependency on them.
     */
    readonly tierOpts: pulumi.ComponentResourceOptions;
    /** A tier component's name: `<environment>-gcp-<tier>`, e.g. `dev-gcp-network`. */
    name(tier: string): string;
}

/**
 * The GCP context of a stack: creates the provider (or uses `provider`) and looks up the project
 * number through it. `stack` may be the config itself (tests build a context from a config).
 */
export function gcpContext(stack: StackContext | InfraConfig, provider?: gcp.Provider): GcpContext {
    const base = "behaviour" in stack ? stack : stackContext(stack);
    const projectId = base.config.gcp.project;
    if (projectId === undefined) {
        // The schema requires gcp.project whenever clouds includes gcp.
        throw new Error("gcpContext: the config has no gcp.project (parse it with parseConfig first)");
    }
    const gcpProviderResource = provider ?? gcpProvider(base.config, { parent: base.opts.parent });
    return {
        ...base,
        provider: gcpProviderResource,
        project: {
            projectId,
            number: gcp.organizations.getProjectOutput(
                { projectId },
                { provider: gcpProviderResource, parent: base.opts.parent },
            ).number,
            region: base.config.gcp.region,
        },
        tierOpts: pulumi.mergeOptions(base.opts, { providers: [gcpProviderResource] }),
        name: (tier) => `${base.environment}-gcp-${tier}`,
    };
}

/** The context with every tier waiting for the project's APIs (`Apis`) to be enabled. */
export function withApis(ctx: GcpContext, apis: pulumi.Resource): GcpContext {
    return { ...ctx, tierOpts: pulumi.mergeOptions(ctx.tierOpts, { dependsOn: [apis] }) };
}
