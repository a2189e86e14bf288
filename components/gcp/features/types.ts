/** How an opt-in feature plugs into the GCP platform (see `FEATURES` in `components/features.ts`). */
import type * as gcp from "@pulumi/gcp";
import type * as pulumi from "@pulumi/pulumi";
import type { GcpDataTiers, GcpPlatform } from "..";
import type { GcpContext } from "../context";

/**
 * What features hand to the application tier before it is built (settings that must exist when
 * the load balancer or the backend is created); the tier that each field concerns reads it.
 */
export interface GcpAppExtras {
    /** A Cloud Armor policy for the load balancer's backend service. */
    readonly securityPolicy?: pulumi.Input<string>;
    /** Cloud CDN on the load balancer's backend service, with this policy. */
    readonly cdnPolicy?: gcp.types.input.compute.BackendServiceCdnPolicy;
}

/** A feature's GCP part. Both steps are optional; each runs only when the feature is on. */
export interface GcpFeature {
    /** After the data tiers, before the application tier: what the application tier must include. */
    prepare?(ctx: GcpContext, tiers: GcpDataTiers): GcpAppExtras;
    /** Once every GCP tier exists: the feature's own components, top-level like the tiers. */
    build?(ctx: GcpContext, platform: GcpPlatform): void;
}
