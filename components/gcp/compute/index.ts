/**
 * The GCP application tier: the global load balancer (`./loadBalancer.ts`) in front of the
 * application backend that `gcp.compute` picks from `GCP_COMPUTE`. Adding a kind of compute is
 * one file in this folder (a `GcpComputeImplementation`) and one entry in the table (and its value
 * in the config schema's `gcp.compute`).
 */
import * as pulumi from "@pulumi/pulumi";
import type { InfraConfig } from "../../../config";
import type { BackendOutputsOf } from "../../shared/types";
import type { GcpContext } from "../context";
import { LoadBalancer, type LoadBalancerArgs } from "./loadBalancer";
import { CLOUD_RUN_COMPUTE } from "./cloudRun";
import { MIG_COMPUTE } from "./mig";
import type { GcpAppBackend, GcpBackendDeps, GcpComputeImplementation } from "./types";

export * from "./cloudRun";
export * from "./loadBalancer";
export * from "./mig";
export * from "./types";

/** The values of `gcp.compute`. */
export type GcpComputeKind = InfraConfig["gcp"]["compute"];

/** The compute implementations by `gcp.compute` value. */
export const GCP_COMPUTE = {
    mig: MIG_COMPUTE,
    cloudRun: CLOUD_RUN_COMPUTE,
} as const satisfies { readonly [K in GcpComputeKind]: GcpComputeImplementation<object> };

/** The outputs any backend may add to the stack's `gcp` output (each kind sets its own). */
export type GcpBackendOutputs = BackendOutputsOf<typeof GCP_COMPUTE>;

/** The implementation `gcp.compute` names. */
export function gcpCompute(kind: GcpComputeKind): GcpComputeImplementation<GcpBackendOutputs> {
    return GCP_COMPUTE[kind];
}

export interface ComputeArgs {
    /** The stack context: the backend implementation reads its own keys (`gcp.<kind>.*`) from its config. */
    ctx: GcpContext;
    /** Which backend (`gcp.compute`). Default `mig`. */
    kind: GcpComputeKind;
    /** The load balancer's settings (its target comes from the backend). */
    loadBalancer: Omit<LoadBalancerArgs, "target" | "backendLabel">;
    /** The tiers the backend uses (network, keys, secrets, database, bucket, topic). */
    deps: Omit<GcpBackendDeps, "tier">;
}

/**
 * The application tier on GCP: the backend, and the global external Application Load Balancer
 * in front of it (HTTPS with a Certificate Manager certificate, HTTP answering 301).
 */
export class Compute extends pulumi.ComponentResource {
    public readonly url: string;
    public readonly loadBalancer: LoadBalancer;
    public readonly backend: GcpAppBackend<GcpBackendOutputs>;

    constructor(name: string, args: ComputeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:gcp:Compute", name, {}, opts);
        const implementation = gcpCompute(args.kind);
        this.backend = implementation.build(args.ctx, name, { ...args.deps, tier: this });
        this.loadBalancer = new LoadBalancer(
            name,
            { ...args.loadBalancer, target: this.backend.target, backendLabel: implementation.label },
            this,
        );
        this.url = this.loadBalancer.url;
        this.registerOutputs({ url: this.url, loadBalancerIp: this.loadBalancer.ipAddress });
    }
}
