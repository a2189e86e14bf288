/**
 * The offline plan of a stack: its real config (secrets as placeholders), the program run under
 * mocks, the resource tree grouped by component, and the policy rules' findings. No cloud account,
 * no Pulumi CLI; the same strict mocks as the unit tests.
 */
import { createInfrastructure, toStackOutputs } from "../../components";
import { PROJECT, type InfraConfig } from "../../config";
import {
    evaluate,
    isSinkPath,
    SECRET_SINKS,
    noPlaintextSecrets,
    secretLeaks,
    stringLeaves,
    type LeafResource,
    type RuleOptions,
    type StackResource,
    type Violation,
} from "../../policy/rules";
import { runOffline, type OfflineRun, type RecordedResource } from "./run";
import { loadStackConfig, type StackConfigOptions, type StackFile, type UnseenValue } from "./stack-config";
import { isSecretValue, reveal } from "./values";

/** One registered resource, placed in the tree. */
export interface PlanNode {
    readonly resource: RecordedResource;
    /** aws, gcp, random, ... (the provider package); `pulumi` for the stack itself. */
    readonly cloud: string;
    /** `component` for local components, `remote` for multi-language components, `provider`, `stack`, `resource`. */
    readonly kind: "stack" | "provider" | "component" | "remote" | "resource";
    /** The top-level component (tier) this node belongs to, by URN; undefined for the stack and top-level providers. */
    readonly tier?: string;
}

export interface Plan {
    readonly stack: string;
    readonly config: InfraConfig;
    /** Config paths whose value is a stand-in or a default because the plan cannot see it (see `unseen`). */
    readonly placeholders: readonly string[];
    /** What the plan cannot see, why, and what it uses instead. */
    readonly unseen: readonly UnseenValue[];
    /** The ESC environments the stack imports, whose values the plan cannot see. */
    readonly environments: readonly string[];
    /** The stack file that was read. */
    readonly stackFile: StackFile;
    readonly run: OfflineRun;
    readonly nodes: readonly PlanNode[];
    readonly violations: readonly Violation[];
    readonly ruleOptions: RuleOptions;
    readonly elapsedMs: number;
}

/** The package a type token belongs to: `aws:kms/key:Key` -> aws, `pulumi:providers:gcp` -> gcp. */
export function packageOf(type: string): string {
    const [pkg, module, rest] = type.split(":");
    if (pkg === "pulumi" && module === "providers") {
        return rest ?? "pulumi";
    }
    if (pkg === "webapp") {
        return module;
    }
    return pkg;
}

/** Pulumi's short display of a type token: `aws:kms/key:Key` -> `aws:kms:Key`. */
export function displayType(type: string): string {
    const parts = type.split(":");
    return parts.length === 3 && parts[1].includes("/") ? `${parts[0]}:${parts[1].split("/")[0]}:${parts[2]}` : type;
}

function kindOf(r: RecordedResource): PlanNode["kind"] {
    if (r.type === "pulumi:pulumi:Stack") {
        return "stack";
    }
    if (r.type.startsWith("pulumi:providers:")) {
        return "provider";
    }
    if (!r.custom) {
        return r.type.startsWith("webapp:") ? "component" : "remote";
    }
    return "resource";
}

/** Places every recorded resource: its kind, cloud and top-level tier. */
export function placeResources(resources: readonly RecordedResource[]): PlanNode[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const stackUrn = resources.find((r) => r.type === "pulumi:pulumi:Stack")?.urn;
    const tierOf = (r: RecordedResource): string | undefined => {
        let current: RecordedResource | undefined = r;
        while (current && current.parent && current.parent !== stackUrn) {
            current = byUrn.get(current.parent);
        }
        return current && current.urn !== stackUrn && current.type.startsWith("webapp:") ? current.urn : undefined;
    };
    return resources.map((r) => ({ resource: r, kind: kindOf(r), cloud: packageOf(r.type), tier: tierOf(r) }));
}

/** A recorded resource as the policy rules see it (secrets unwrapped, as the policy SDK hands them). */
export function toStackResource(r: RecordedResource): StackResource {
    return {
        type: r.type,
        name: r.name,
        urn: r.urn,
        parent: r.parent || undefined,
        props: reveal(r.inputs) as Record<string, unknown>,
        dependencies: r.dependencies,
        propertyDependencies: r.propertyDependencies,
    };
}

const unwrapMarker = (value: unknown) =>
    isSecretValue(value) ? { value: (value as { value?: unknown }).value } : undefined;

/**
 * The offline secret check, which sees Pulumi's secret markers: every string that contains a
 * secret value (anything marked secret, or found at a secret-bearing property) without itself
 * being marked secret. Stack outputs count as a resource.
 */
export function markedSecretLeaks(run: OfflineRun, stackUrn: string): Violation[] {
    const resources: LeafResource[] = [
        ...run.resources.map((r) => ({
            urn: r.urn,
            type: r.type,
            name: r.name,
            leaves: stringLeaves(r.inputs, unwrapMarker),
        })),
        {
            urn: stackUrn,
            type: "pulumi:pulumi:Stack",
            name: "stack outputs",
            leaves: stringLeaves(run.outputs, unwrapMarker),
        },
    ];
    // A secret marker covers a whole input (an origin list that holds one header value is secret as a
    // whole): on a type whose secret-bearing properties are known, only those are secret values.
    const secrets = resources.flatMap((r) =>
        r.leaves
            .filter((l) => (SECRET_SINKS[r.type] === undefined ? l.secret : isSinkPath(r.type, l.path)))
            .map((l) => l.value),
    );
    const types = new Map(resources.map((r) => [r.urn, r]));
    return secretLeaks(resources, secrets).map((v) => ({
        policy: noPlaintextSecrets.name,
        enforcementLevel: noPlaintextSecrets.enforcementLevel,
        message: v.message,
        urn: v.urn,
        type: v.urn ? types.get(v.urn)?.type : undefined,
        name: v.urn ? types.get(v.urn)?.name : undefined,
    }));
}

export type BuildPlanOptions = StackConfigOptions;

/**
 * Builds the plan of `stack` from `Pulumi.<stack>.yaml`. Throws `ConfigError` for an invalid config
 * (before any resource is registered) and an Error when the stack file does not exist.
 */
export async function buildPlan(stack: string, options: BuildPlanOptions = {}): Promise<Plan> {
    const started = process.hrtime.bigint();
    const { config, unseen, stackFile } = loadStackConfig(stack, { ...options, missingMailgunKey: "standIn" });
    const run = await runOffline(() => toStackOutputs(createInfrastructure(config)), { project: PROJECT, stack });
    const nodes = placeResources(run.resources);
    const ruleOptions: RuleOptions = {
        environment: config.environment,
        awsKmsRotationDays: config.aws.kmsRotationDays,
        gcpKmsRotationDays: config.gcp.kmsRotationDays,
    };
    const stackUrn = nodes.find((n) => n.kind === "stack")?.resource.urn ?? "";
    const found = [...evaluate(run.resources.map(toStackResource), ruleOptions), ...markedSecretLeaks(run, stackUrn)];
    const seen = new Set<string>();
    const violations = found.filter((v) => {
        const key = `${v.policy}|${v.urn}|${v.message}`;
        return seen.has(key) ? false : (seen.add(key), true);
    });
    return {
        stack,
        config,
        placeholders: unseen.map((u) => u.path),
        unseen,
        environments: stackFile.environments,
        stackFile,
        run,
        nodes,
        violations,
        ruleOptions,
        elapsedMs: Number(process.hrtime.bigint() - started) / 1e6,
    };
}

/** The number of mandatory violations (non-zero fails the plan). */
export function mandatoryCount(plan: Pick<Plan, "violations">): number {
    return plan.violations.filter((v) => v.enforcementLevel === "mandatory").length;
}
