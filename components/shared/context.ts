/**
 * The stack context: what every tier of every cloud needs to know about the stack it is built for,
 * worked out once from the validated config. Cloud contexts (`components/<cloud>/context.ts`) add
 * the cloud's provider and identity to it.
 */
import type * as pulumi from "@pulumi/pulumi";
import { isProduction, type Cloud, type InfraConfig } from "../../config";
import { standardTags } from "./tags";

/**
 * How the stack treats what it holds, named for the behaviour (not for the environment): the
 * tiers read these flags, and the environment decides them in one place (`stackBehaviour`).
 */
export interface StackBehaviour {
    /** Protect the load balancer from deletion, and keep secrets on `pulumi destroy` (GCP). */
    readonly deletionProtection: boolean;
    /** Keep the database's automated backups after the database is deleted. */
    readonly retainBackups: boolean;
    /** Take a final snapshot when the database is deleted. */
    readonly finalSnapshot: boolean;
    /** Apply database changes in the maintenance window rather than at once. */
    readonly changesInMaintenanceWindow: boolean;
    /** Let `pulumi destroy` delete buckets and vaults that still hold objects or recovery points. */
    readonly destroyWithData: boolean;
    /** Days a deleted secret (AWS recovery window) or a destroyed secret version (GCP) stays recoverable. */
    readonly secretRecoveryDays: number;
}

/**
 * The behaviour of an environment: dev is disposable (no protection, data destroyed with the
 * stack, 7-day secret recovery); every other environment is production-like.
 */
export function stackBehaviour(environment: string): StackBehaviour {
    const productionLike = isProduction(environment);
    return {
        deletionProtection: productionLike,
        retainBackups: productionLike,
        finalSnapshot: productionLike,
        changesInMaintenanceWindow: productionLike,
        destroyWithData: !productionLike,
        secretRecoveryDays: productionLike ? 30 : 7,
    };
}

/** Names derived from the environment, for what must be recognisable or unique per stack. */
export interface StackNames {
    /** `webapp-<environment>`: dashboards, the trail, RDS identifiers, metric name prefixes. */
    readonly prefix: string;
    /** `webapp-<environment>-<purpose>`, e.g. key aliases (`webapp-dev-messaging`). */
    scoped(purpose: string): string;
    /** `webapp/<environment>`: the CloudWatch namespace of the instances' agent. */
    readonly metricsNamespace: string;
}

export function stackNames(environment: string): StackNames {
    const prefix = `webapp-${environment}`;
    return { prefix, scoped: (purpose) => `${prefix}-${purpose}`, metricsNamespace: `webapp/${environment}` };
}

export interface StackContext {
    /** The validated config. */
    readonly config: InfraConfig;
    readonly environment: string;
    readonly behaviour: StackBehaviour;
    readonly names: StackNames;
    /** The standard tags / labels (on the providers; copied where provider defaults do not reach). */
    readonly tags: Readonly<Record<string, string>>;
    /** The caller's options (a parent for everything the stack builds). */
    readonly opts: pulumi.ComponentResourceOptions;
    /** Whether the stack runs on `cloud`. */
    uses(cloud: Cloud): boolean;
}

/** The context of a stack, from its validated config. Registers nothing. */
export function stackContext(config: InfraConfig, opts: pulumi.ComponentResourceOptions = {}): StackContext {
    return {
        config,
        environment: config.environment,
        behaviour: stackBehaviour(config.environment),
        names: stackNames(config.environment),
        tags: standardTags(config),
        opts,
        uses: (cloud) => config.clouds.includes(cloud),
    };
}
