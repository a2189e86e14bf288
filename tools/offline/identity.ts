/**
 * Identity check of a refactor, offline: does the program still register the resources of an
 * earlier plan, under the same identity (or an alias of it, which may also rename the type), with
 * the same inputs, provider and dependencies? Compares an earlier `plan/<stack>/resources.json` with the current
 * program's plan of the same stack.
 *
 * URNs are compared as the Pulumi engine forms them (the parent's full type chain, no root-stack
 * type), and aliases are resolved as the engine resolves them: a resource's own aliases, and the
 * aliases it inherits from its parent's (a child named `<parent name>-<role>` follows a renamed
 * parent). A resource that matches none of the earlier ones would be created, an earlier one that
 * nothing matches would be deleted.
 *
 *   node -r ./tools/register.js tools/offline/identity.ts --stack dev --base <old resources.json>
 *
 * Exit status 0 when every earlier resource is there (under its URN or an alias) unchanged and
 * nothing is new, 1 otherwise, 2 on bad arguments.
 */
import { readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { PROJECT } from "../../config";
import { parseOptions, runAsMain, UsageError } from "../cli";
import { buildPlan } from "./plan";
import type { RecordedAlias, RecordedResource } from "./run";
import { redact } from "./values";

const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/** A registration as the identity check needs it (from `resources.json` or from a run). */
export interface IdentityRecord {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent: string | null;
    readonly provider: string | null;
    readonly inputs: unknown;
    readonly dependencies: readonly string[];
    readonly aliases?: readonly RecordedAlias[];
}

export interface IdentityReport {
    /** Earlier resources kept under the same URN. */
    readonly same: number;
    /** Earlier resources matched through an alias: `from` (earlier URN) -> `to` (current URN). */
    readonly moved: ReadonlyArray<{ from: string; to: string }>;
    /** Current resources that match nothing earlier (the engine would create them). */
    readonly created: readonly string[];
    /** Earlier resources nothing matches (the engine would delete them). */
    readonly deleted: readonly string[];
    /** Matched resources whose inputs, provider or dependencies differ. */
    readonly changed: ReadonlyArray<{ urn: string; what: string }>;
}

function typeOf(urn: string): string {
    return urn.split("::")[2] ?? "";
}

/** The engine's URN of a resource named `name` of type `type` under a parent with URN `parent`. */
export function engineUrn(stack: string, project: string, type: string, name: string, parent?: string): string {
    const parentType = parent === undefined ? "" : typeOf(parent);
    const qualified = parentType === "" || parentType === ROOT_STACK_TYPE ? type : `${parentType}$${type}`;
    return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/** Engine URNs of a list of records, by the URN they were recorded under. */
function engineUrns(records: readonly IdentityRecord[], stack: string, project: string): Map<string, string> {
    const byUrn = new Map(records.map((r) => [r.urn, r]));
    const result = new Map<string, string>();
    const resolve = (r: IdentityRecord): string => {
        const known = result.get(r.urn);
        if (known !== undefined) {
            return known;
        }
        const parent = r.parent ? byUrn.get(r.parent) : undefined;
        const urn =
            r.type === ROOT_STACK_TYPE
                ? `urn:pulumi:${stack}::${project}::${ROOT_STACK_TYPE}::${r.name}`
                : engineUrn(stack, project, r.type, r.name, parent ? resolve(parent) : undefined);
        result.set(r.urn, urn);
        return urn;
    };
    records.forEach(resolve);
    return result;
}

/** Every earlier URN a current record may stand for: its own aliases and those inherited from its parents. */
function aliasUrns(
    records: readonly IdentityRecord[],
    urns: Map<string, string>,
    stack: string,
    project: string,
): Map<string, string[]> {
    const byUrn = new Map(records.map((r) => [r.urn, r]));
    const toEngine = (urn: string) => urns.get(urn) ?? urn.replace(`::${ROOT_STACK_TYPE}$`, "::");
    const memo = new Map<string, string[]>();
    const aliasesOf = (r: IdentityRecord): string[] => {
        const cached = memo.get(r.urn);
        if (cached !== undefined) {
            return cached;
        }
        const parent = r.parent ? byUrn.get(r.parent) : undefined;
        const parentUrn = parent ? toEngine(parent.urn) : undefined;
        const own = (r.aliases ?? []).map((a) => {
            if (a.urn !== undefined) {
                return toEngine(a.urn);
            }
            const formerParent = a.noParent ? undefined : a.parentUrn ? toEngine(a.parentUrn) : parentUrn;
            return engineUrn(stack, project, a.type ?? r.type, a.name ?? r.name, formerParent);
        });
        const inherited = parent
            ? aliasesOf(parent).map((parentAlias) => {
                  const parentAliasName = parentAlias.slice(parentAlias.lastIndexOf("::") + 2);
                  const name = r.name.startsWith(parent.name)
                      ? parentAliasName + r.name.slice(parent.name.length)
                      : r.name;
                  return engineUrn(stack, project, r.type, name, parentAlias);
              })
            : [];
        const all = [...new Set([...own, ...inherited])];
        memo.set(r.urn, all);
        return all;
    };
    return new Map(records.map((r) => [r.urn, aliasesOf(r)]));
}

/** Compares an earlier plan's records with the current ones. */
export function compareIdentity(
    before: readonly IdentityRecord[],
    after: readonly IdentityRecord[],
    stack: string,
    project = PROJECT,
): IdentityReport {
    const oldUrns = engineUrns(before, stack, project);
    const newUrns = engineUrns(after, stack, project);
    const aliases = aliasUrns(after, newUrns, stack, project);
    const oldByEngine = new Map(before.map((r) => [oldUrns.get(r.urn) as string, r]));

    // Current record -> the earlier record it stands for (same URN first, then an alias).
    const matchOf = new Map<string, IdentityRecord>();
    const claimed = new Set<string>();
    for (const r of after) {
        const urn = newUrns.get(r.urn) as string;
        const candidates = [urn, ...(aliases.get(r.urn) ?? [])];
        const found = candidates.find((c) => oldByEngine.has(c) && !claimed.has(c));
        if (found !== undefined) {
            matchOf.set(r.urn, oldByEngine.get(found) as IdentityRecord);
            claimed.add(found);
        }
    }
    // Earlier engine URN -> current engine URN, to compare dependencies and providers.
    const renamed = new Map<string, string>();
    for (const r of after) {
        const old = matchOf.get(r.urn);
        if (old) {
            renamed.set(oldUrns.get(old.urn) as string, newUrns.get(r.urn) as string);
        }
    }
    const oldRef = (urn: string | null) => {
        if (!urn) {
            return null;
        }
        const engine = oldUrns.get(urn) ?? urn;
        return renamed.get(engine) ?? engine;
    };
    const newRef = (urn: string | null) => (urn ? (newUrns.get(urn) ?? urn) : null);

    const moved: Array<{ from: string; to: string }> = [];
    const changed: Array<{ urn: string; what: string }> = [];
    let same = 0;
    for (const r of after) {
        const old = matchOf.get(r.urn);
        if (!old) {
            continue;
        }
        const from = oldUrns.get(old.urn) as string;
        const to = newUrns.get(r.urn) as string;
        if (from === to) {
            same += 1;
        } else {
            moved.push({ from, to });
        }
        if (!isDeepStrictEqual(old.inputs, r.inputs)) {
            changed.push({ urn: to, what: `inputs ${JSON.stringify(old.inputs)} -> ${JSON.stringify(r.inputs)}` });
        }
        if (oldRef(old.provider) !== newRef(r.provider)) {
            changed.push({ urn: to, what: `provider ${old.provider} -> ${r.provider}` });
        }
        // Components are not in the earlier plan's dependency lists unless they were there before.
        const oldDeps = [...new Set(old.dependencies.map((d) => oldRef(d) as string))].sort();
        const newDeps = [...new Set(r.dependencies.map((d) => newRef(d) as string))].sort();
        if (!isDeepStrictEqual(oldDeps, newDeps)) {
            changed.push({ urn: to, what: `dependencies ${JSON.stringify(oldDeps)} -> ${JSON.stringify(newDeps)}` });
        }
    }
    const created = after.filter((r) => !matchOf.has(r.urn)).map((r) => newUrns.get(r.urn) as string);
    const deleted = before
        .filter((r) => !claimed.has(oldUrns.get(r.urn) as string))
        .map((r) => oldUrns.get(r.urn) as string);
    return { same, moved, created, deleted, changed };
}

/** The URNs the engine gives a plan's resources (the mocks name only the parent's own type). */
export function engineUrnList(resources: readonly RecordedResource[], stack: string, project: string): string[] {
    const records = currentRecords(resources);
    const urns = engineUrns(records, stack, project);
    return records.map((r) => urns.get(r.urn) ?? r.urn);
}

/** The current plan's records, in the form `resources.json` holds them (secrets redacted). */
export function currentRecords(resources: readonly RecordedResource[]): IdentityRecord[] {
    const providerUrn = (ref: string) => (ref ? ref.split("::").slice(0, -1).join("::") : null);
    return resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        parent: r.parent || null,
        provider: providerUrn(r.provider),
        inputs: JSON.parse(JSON.stringify(redact(r.inputs))) as unknown,
        dependencies: [...new Set([...r.dependencies, ...Object.values(r.propertyDependencies).flat()])],
        aliases: r.aliases,
    }));
}

export function formatIdentityReport(stack: string, report: IdentityReport): string[] {
    const lines = [
        `${stack}: ${report.same} unchanged, ${report.moved.length} moved under an alias, ` +
            `${report.created.length} new, ${report.deleted.length} gone, ${report.changed.length} changed`,
    ];
    report.moved.forEach((m) => lines.push(`  moved   ${m.from}\n       -> ${m.to}`));
    report.created.forEach((urn) => lines.push(`  new     ${urn}`));
    report.deleted.forEach((urn) => lines.push(`  gone    ${urn}`));
    report.changed.forEach((c) => lines.push(`  changed ${c.urn}: ${c.what}`));
    return lines;
}

/**
 * Whether the current plan keeps the earlier one's identity: nothing new (a new component is a new
 * state entry too, which the engine counts as a create), nothing gone, nothing changed.
 */
export function identityKept(report: IdentityReport): boolean {
    return report.created.length === 0 && report.deleted.length === 0 && report.changed.length === 0;
}

async function main(argv: readonly string[]): Promise<number> {
    let values: { stack?: string; base?: string };
    try {
        values = parseOptions(argv, { stack: { type: "string" }, base: { type: "string" } });
        if (!values.stack || !values.base) {
            throw new UsageError("--stack and --base <earlier resources.json> are required");
        }
    } catch (error) {
        console.error(`identity: ${(error as Error).message}`);
        return 2;
    }
    const before = (JSON.parse(readFileSync(values.base, "utf8")) as { resources: IdentityRecord[] }).resources;
    const plan = await buildPlan(values.stack);
    const after = currentRecords(plan.run.resources);
    const report = compareIdentity(before, after, values.stack);
    formatIdentityReport(values.stack, report).forEach((line) => console.log(line));
    const kept = identityKept(report);
    console.log(
        kept ? "identity kept: every resource is there, under its URN or an alias, unchanged" : "identity NOT kept",
    );
    return kept ? 0 : 1;
}

if (require.main === module) {
    runAsMain(main);
}
