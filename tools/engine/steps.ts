/**
 * What an engine operation did or would do, resource by resource, from its engine events: the step
 * (same, create, update, replace, delete, ...) and, for updates and replacements, which properties.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";

export interface ResourceStep {
    /** `same`, `create`, `update`, `replace`, `delete`, `read`, ... (a replacement counts once). */
    readonly op: string;
    readonly urn: string;
    readonly type: string;
    /** Changed properties (paths where the engine knows them, e.g. `tags.env`), sorted. */
    readonly properties: readonly string[];
    /** For a replacement: the properties that forced it. */
    readonly replaceKeys: readonly string[];
    /** The new inputs (create, update, replace, same), as the engine shows them. */
    readonly inputs: Record<string, unknown>;
}

/** The parts of a replacement that the engine reports as separate steps. */
const REPLACEMENT_PARTS = new Set(["create-replacement", "delete-replaced", "discard-replaced"]);

/** One step per resource, in the order the engine reported them. */
export function resourceSteps(events: readonly EngineEvent[]): ResourceStep[] {
    const steps = new Map<string, ResourceStep>();
    for (const event of events) {
        const meta = event.resourcePreEvent?.metadata;
        if (!meta || REPLACEMENT_PARTS.has(meta.op)) {
            continue;
        }
        const properties = meta.detailedDiff ? Object.keys(meta.detailedDiff) : (meta.diffs ?? []);
        steps.set(meta.urn, {
            op: meta.op,
            urn: meta.urn,
            type: meta.type,
            properties: [...properties].sort(),
            replaceKeys: meta.op === "replace" ? [...(meta.keys ?? [])].sort() : [],
            inputs: (meta.new?.inputs as Record<string, unknown> | undefined) ?? {},
        });
    }
    return [...steps.values()];
}

/** Steps counted by operation, e.g. `{ same: 98, update: 2 }`. */
export function countSteps(steps: readonly ResourceStep[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const step of steps) {
        counts[step.op] = (counts[step.op] ?? 0) + 1;
    }
    return counts;
}

/** The last URN segment: the resource's logical name. */
export function logicalName(urn: string): string {
    return urn.split("::").pop() ?? urn;
}

/** `update aws:autoscaling/group:Group dev-compute-asg: maxSize` (nothing for `same`). */
export function describeStep(step: ResourceStep): string {
    const head = `${step.op} ${step.type} ${logicalName(step.urn)}`;
    if (step.op === "replace") {
        return `${head}: ${step.properties.join(", ")} (replaced because of ${step.replaceKeys.join(", ") || "?"})`;
    }
    return step.properties.length > 0 ? `${head}: ${step.properties.join(", ")}` : head;
}

/** The policy violations reported by the analyzer, by enforcement level. */
export function policyViolations(events: readonly EngineEvent[]): { mandatory: string[]; advisory: string[] } {
    const mandatory: string[] = [];
    const advisory: string[] = [];
    for (const event of events) {
        const policy = event.policyEvent;
        if (!policy) {
            continue;
        }
        const text = `${policy.policyName}: ${policy.resourceUrn ? logicalName(policy.resourceUrn) : "stack"}`;
        (policy.enforcementLevel === "mandatory" ? mandatory : advisory).push(text);
    }
    return { mandatory, advisory };
}

/** The policy packs the engine ran (pack name -> version), from the summary event. */
export function policyPacksRun(events: readonly EngineEvent[]): Record<string, string> {
    for (const event of events) {
        const summary = event.summaryEvent as {
            PolicyPacks?: Record<string, string>;
            policyPacks?: Record<string, string>;
        };
        if (summary) {
            const packs = summary.PolicyPacks ?? summary.policyPacks ?? {};
            // The CLI keys a local pack as `<name>|local|<path>`.
            return Object.fromEntries(Object.entries(packs).map(([key, version]) => [key.split("|")[0], version]));
        }
    }
    return {};
}
