/**
 * The AWS application tier: the load balancer (`./loadBalancer.ts`) in front of the application
 * backend that `aws.compute` picks from `AWS_COMPUTE`. Adding a kind of compute is one file in
 * this folder (an `AwsComputeImplementation`) and one entry in the table (and its value in the
 * config schema's `aws.compute`).
 */
import * as pulumi from "@pulumi/pulumi";
import type { InfraConfig } from "../../../config";
import type { BackendOutputsOf } from "../../shared/types";
import type { AwsContext } from "../context";
import type { Statement, AwsAccount } from "../iam";
import type { KeyPurpose } from "../kms";
import { ASG_COMPUTE } from "./asg";
import { FARGATE_COMPUTE } from "./fargate";
import { LoadBalancer, type LoadBalancerArgs } from "./loadBalancer";
import type { AwsAppBackend, AwsBackendDeps, AwsComputeImplementation } from "./types";

export * from "./asg";
export * from "./fargate";
export * from "./loadBalancer";
export * from "./types";

/** The values of `aws.compute`. */
export type AwsComputeKind = InfraConfig["aws"]["compute"];

/** The compute implementations by `aws.compute` value. */
export const AWS_COMPUTE = {
    asg: ASG_COMPUTE,
    fargate: FARGATE_COMPUTE,
} as const satisfies { readonly [K in AwsComputeKind]: AwsComputeImplementation<object> };

/** The outputs any backend may add to the stack's `aws` output (each kind sets its own). */
export type AwsBackendOutputs = BackendOutputsOf<typeof AWS_COMPUTE>;

/** The implementation `aws.compute` names. */
export function awsCompute(kind: AwsComputeKind): AwsComputeImplementation<AwsBackendOutputs> {
    return AWS_COMPUTE[kind];
}

/** The key-policy statements the chosen backend needs on the platform keys (before it exists). */
export function computeKeyStatements(
    kind: AwsComputeKind,
    account: AwsAccount,
): Partial<Record<KeyPurpose, Statement[]>> {
    return awsCompute(kind).keyPolicyStatements(account);
}

export interface ComputeArgs {
    /** The stack context: the backend implementation reads its own keys (`aws.<kind>.*`) from its config. */
    ctx: AwsContext;
    /** Which backend (`aws.compute`). Default `asg`. */
    kind: AwsComputeKind;
    /** The load balancer's settings (the target type and the backend's name come from the implementation). */
    loadBalancer: Omit<LoadBalancerArgs, "targetType" | "backendLabel">;
    /** The tiers the backend uses (network, keys, secrets, database, bucket, topic). */
    deps: Omit<AwsBackendDeps, "tier" | "loadBalancer">;
}

/**
 * The application tier: the load balancer and the backend behind it, wired into a chain of
 * security groups: internet -> load balancer (80, 443) -> backend (app port) -> database (3306 or 5432,
 * granted by the database tier with `allowFrom(label, backend.securityGroupId)`).
 */
export class Compute extends pulumi.ComponentResource {
    public readonly url: string;
    public readonly loadBalancer: LoadBalancer;
    public readonly backend: AwsAppBackend<AwsBackendOutputs>;
    /** What the backend's members are called (`instances`): names the rules that admit them. */
    public readonly label: string;

    constructor(name: string, args: ComputeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:Compute", name, {}, opts);
        const implementation = awsCompute(args.kind);
        this.label = implementation.label;
        this.loadBalancer = new LoadBalancer(
            name,
            { ...args.loadBalancer, targetType: implementation.targetType, backendLabel: implementation.label },
            this,
        );
        this.backend = implementation.build(args.ctx, name, {
            ...args.deps,
            tier: this,
            loadBalancer: this.loadBalancer,
        });
        this.loadBalancer.sendTo(this.backend.securityGroupId);
        this.url = this.loadBalancer.url;
        this.registerOutputs({
            url: this.url,
            loadBalancerDnsName: this.loadBalancer.dnsName,
            backendSecurityGroupId: this.backend.securityGroupId,
        });
    }
}
