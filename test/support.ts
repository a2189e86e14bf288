/** Shared test helpers: stack configs from the real stack files, offline builds, policy parsing. */
import * as pulumi from "@pulumi/pulumi";
import { createInfrastructure, toStackOutputs } from "../components";
import { expect } from "chai";
import { ConfigError, parseConfig, type InfraConfig } from "../config";
import { DEFAULT_RULE_OPTIONS, evaluate } from "../policy/rules";
import { buildPlan, toStackResource, type Plan } from "../tools/offline/plan";
import { runOffline, type OfflineRun, type RecordedResource } from "../tools/offline/run";
import { readStackConfig } from "../tools/offline/stack-config";

/** The Mailgun key the tests configure: tests search for it in every input and output. */
export const TEST_MAILGUN_KEY = "key-test-0123456789abcdef0123456789abcdef";

export type DeepPartial<T> =
    T extends pulumi.Output<unknown>
        ? T
        : T extends Array<infer U>
          ? Array<U>
          : T extends object
            ? { [K in keyof T]?: DeepPartial<T[K]> }
            : T;

/** Deep-merges plain objects; arrays and Outputs replace. */
export function merge<T>(base: T, override: unknown): T {
    if (!isPlainObject(base) || !isPlainObject(override)) {
        return (override === undefined ? base : override) as T;
    }
    const result: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(override)) {
        result[key] = merge(result[key], value);
    }
    return result as T;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return value !== null && typeof value === "object" && !Array.isArray(value) && !pulumi.Output.isInstance(value);
}

/** The secret Outputs holding TEST_MAILGUN_KEY that `rawStackConfig` made (one value, many Outputs). */
const testKeys = new WeakSet<object>();

/** The raw config of a real stack file with the test Mailgun key, plus overrides. */
export function rawStackConfig(stack: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const raw = readStackConfig(stack);
    const apiKey = pulumi.secret(TEST_MAILGUN_KEY);
    testKeys.add(apiKey);
    raw.mailgun = { ...(raw.mailgun as object), apiKey };
    return merge(raw, overrides);
}

/** A parsed config from a real stack file, plus overrides. */
export function stackConfig(stack: string, overrides: Record<string, unknown> = {}): InfraConfig {
    return parseConfig(rawStackConfig(stack, overrides), stack);
}

/**
 * The same config as text, or undefined when it holds something text cannot stand for: an
 * Output other than the test Mailgun key (its value is not known here), or a function.
 */
export function configKey(cfg: InfraConfig): string | undefined {
    let comparable = true;
    const text = JSON.stringify(cfg, (_key, value: unknown) => {
        if (pulumi.Output.isInstance(value)) {
            comparable &&= testKeys.has(value);
            return "<the test Mailgun key>";
        }
        if (
            typeof value === "function" ||
            typeof value === "symbol" ||
            typeof value === "bigint" ||
            value instanceof Map ||
            value instanceof Set
        ) {
            comparable = false;
            return undefined;
        }
        return value;
    });
    return comparable ? text : undefined;
}

/** Builds, by config: every test file of a run shares one build of the same config. */
const builds = new Map<string, Promise<OfflineRun>>();

/**
 * Builds a whole stack under mocks. A build is immutable and depends on its config alone, so the
 * same config (compared as text: `configKey`) is built once per test process and shared; the
 * Pulumi runtime is process-global, so builds run one after the other in any case.
 */
export function build(cfg: InfraConfig): Promise<OfflineRun> {
    const key = configKey(cfg);
    let run = key === undefined ? undefined : builds.get(key);
    if (run === undefined) {
        run = serially(() => runOffline(() => toStackOutputs(createInfrastructure(cfg)), { stack: cfg.environment }));
        if (key !== undefined) {
            builds.set(key, run);
        }
    }
    return run;
}

let queue: Promise<unknown> = Promise.resolve();

/** Runs offline builds one at a time (two tests' `before` hooks may both ask for one). */
function serially<T>(start: () => Promise<T>): Promise<T> {
    const result = queue.then(start, start);
    queue = result.catch(() => undefined);
    return result;
}

/** A real stack file's build, shared by every test that reads it unchanged. */
export function buildStack(stack: string): Promise<OfflineRun> {
    return build(stackConfig(stack));
}

const plans = new Map<string, Promise<Plan>>();

/** A real stack file's offline plan (`buildPlan`), shared by the tests that only read it. */
export function stackPlan(stack: string): Promise<Plan> {
    let plan = plans.get(stack);
    if (plan === undefined) {
        plan = serially(() => buildPlan(stack));
        plans.set(stack, plan);
    }
    return plan;
}

/** A JSON document input (policy, dashboard) parsed. */
export function json(run: OfflineRun, resource: RecordedResource, property: string): any {
    const value = run.plain(resource)[property];
    if (typeof value !== "string") {
        throw new Error(`${resource.name}.${property} is not a JSON string: ${JSON.stringify(value)}`);
    }
    return JSON.parse(value);
}

/** The statements of a policy document, with single values normalised to arrays. */
export function statements(policy: { Statement: unknown[] }): Array<Record<string, any>> {
    return policy.Statement.map((s) => {
        const st = s as Record<string, any>;
        const arr = (v: unknown) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);
        return { ...st, Action: arr(st.Action), Resource: arr(st.Resource) };
    });
}

/** The resources under `component` (its children, their children, ...), optionally of one type. */
export function inside(run: OfflineRun, component: RecordedResource, type?: string): RecordedResource[] {
    const below = new Set([component.urn]);
    const found: RecordedResource[] = [];
    // Registrations are recorded parent first, so one pass finds every descendant.
    for (const r of run.resources) {
        if (below.has(r.parent)) {
            below.add(r.urn);
            if (type === undefined || r.type === type) {
                found.push(r);
            }
        }
    }
    return found;
}

/**
 * Every resource `resource` waits for before the engine creates it: its dependencies, theirs, and
 * so on, a dependency on a component counting as one on every resource inside it (as the engine
 * and tools/offline/critical-path.ts count it).
 */
export function waitsFor(run: OfflineRun, resource: RecordedResource): Set<string> {
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const seen = new Set<string>();
    const pending = [...resource.dependencies];
    while (pending.length > 0) {
        const urn = pending.pop() as string;
        if (seen.has(urn)) {
            continue;
        }
        seen.add(urn);
        const dependency = byUrn.get(urn);
        if (dependency !== undefined) {
            pending.push(...dependency.dependencies, ...inside(run, dependency).map((r) => r.urn));
        }
    }
    return seen;
}

/** The one resource of `type` inside the one component of `componentType` (throws unless exactly one). */
export function oneInside(run: OfflineRun, componentType: string, type: string): RecordedResource {
    const found = inside(run, run.one(componentType), type);
    if (found.length !== 1) {
        throw new Error(`expected one ${type} inside ${componentType}, found ${found.length}`);
    }
    return found[0];
}

/** The resource of `type` that `resource`'s `property` refers to (there must be exactly one). */
export function referenced(
    run: OfflineRun,
    resource: RecordedResource,
    property: string,
    type: string,
): RecordedResource {
    const found = (resource.propertyDependencies[property] ?? [])
        .map((u) => run.byUrn(u))
        .filter((r) => r.type === type);
    if (found.length !== 1) {
        throw new Error(`${resource.name}.${property}: expected one ${type}, found ${found.length}`);
    }
    return found[0];
}

/** A component's direct children as sorted `<Type> <name>` lines (`Group dev-compute-asg`). */
export function childrenOf(run: OfflineRun, component: RecordedResource): string[] {
    return run.resources
        .filter((r) => r.parent === component.urn)
        .map((r) => `${r.type.split(":").pop()} ${r.name}`)
        .sort();
}

/** The mandatory policy violations of a build, as `<policy>: <message>` lines. */
export function mandatoryViolations(run: OfflineRun, environment: string): string[] {
    return evaluate(run.resources.map(toStackResource), { ...DEFAULT_RULE_OPTIONS, environment })
        .filter((v) => v.enforcementLevel === "mandatory")
        .map((v) => `${v.policy}: ${v.message}`);
}

/** The problems `parseConfig` reports for `raw` (it must refuse it), one message each. */
export function configProblems(raw: unknown, stack = "dev"): string[] {
    try {
        parseConfig(raw, stack);
    } catch (error) {
        expect(error).to.be.instanceOf(ConfigError);
        return (error as ConfigError).problems.map((p) => p.message);
    }
    throw new Error("expected a ConfigError");
}
