/**
 * The plan compared with a previous one (`--compare <plan dir | resources.json>`): which resources
 * would be created, updated (and through which inputs), replaced (and which inputs force it) or
 * deleted. Both sides are `resources.json` documents, matched by URN. Secret values are `[secret]`
 * on both sides, so a changed secret is not seen here (the engine sees it).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { UsageError } from "../cli";
import { displayType } from "./plan";
import { changedPaths, replacingInputs } from "./replace";

export { changedPaths };

/** What the diff reads of a resource in `resources.json`. */
export interface DocumentResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly kind: string;
    readonly component?: string | null;
    readonly inputs: Record<string, unknown>;
}

export interface ResourcesDocument {
    readonly stack?: string;
    readonly resources: readonly DocumentResource[];
}

export type ChangeOp = "create" | "update" | "replace" | "delete";

export interface ResourceChange {
    readonly op: ChangeOp;
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly component: string | null;
    /** update/replace: every changed input path. */
    readonly inputs?: readonly string[];
    /** replace: the changed inputs that force it. */
    readonly replaceBecause?: readonly string[];
}

export interface PlanDiff {
    /** The previous plan as given on the command line. */
    readonly against: string;
    readonly summary: Readonly<Record<ChangeOp | "same", number>>;
    readonly changes: readonly ResourceChange[];
}

/** Reads a previous plan: a folder holding `resources.json`, or the file itself. */
export function readPrevious(where: string): ResourcesDocument & { readonly source: string } {
    const file = existsSync(where) && statSync(where).isDirectory() ? path.join(where, "resources.json") : where;
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch {
        throw new UsageError(`--compare: no plan at ${file} (give a plan folder or its resources.json)`);
    }
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch (error) {
        throw new UsageError(`--compare: ${file} is not JSON: ${(error as Error).message}`);
    }
    const resources = (doc as { resources?: unknown } | null)?.resources;
    if (
        !Array.isArray(resources) ||
        !resources.every(
            (r) => r && typeof r.urn === "string" && typeof r.type === "string" && typeof r.inputs === "object",
        )
    ) {
        throw new UsageError(
            `--compare: ${file} is not a plan's resources.json (no resources with urn, type and inputs)`,
        );
    }
    return { ...(doc as ResourcesDocument), source: where };
}

/** Resources as the engine sees them: custom resources and remote components. */
const COUNTED = new Set(["resource", "remote"]);

/** Compares the previous plan with the current one. */
export function compareWith(
    previous: ResourcesDocument & { readonly source?: string },
    current: ResourcesDocument,
): PlanDiff {
    const before = new Map(previous.resources.filter((r) => COUNTED.has(r.kind)).map((r) => [r.urn, r]));
    const after = new Map(current.resources.filter((r) => COUNTED.has(r.kind)).map((r) => [r.urn, r]));
    const changes: ResourceChange[] = [];
    let same = 0;
    const base = (r: DocumentResource) => ({ urn: r.urn, type: r.type, name: r.name, component: r.component ?? null });
    for (const [urn, now] of after) {
        const was = before.get(urn);
        if (!was) {
            changes.push({ op: "create", ...base(now) });
            continue;
        }
        const inputs = changedPaths(was.inputs, now.inputs);
        if (inputs.length === 0) {
            same++;
            continue;
        }
        const forcing = replacingInputs(now.type, inputs);
        changes.push(
            forcing.length > 0
                ? { op: "replace", ...base(now), inputs, replaceBecause: forcing }
                : { op: "update", ...base(now), inputs },
        );
    }
    for (const [urn, was] of before) {
        if (!after.has(urn)) {
            changes.push({ op: "delete", ...base(was) });
        }
    }
    const order: Record<ChangeOp, number> = { create: 0, replace: 1, update: 2, delete: 3 };
    changes.sort((x, y) => order[x.op] - order[y.op] || x.urn.localeCompare(y.urn));
    const count = (op: ChangeOp) => changes.filter((c) => c.op === op).length;
    return {
        against: previous.source ?? "(previous plan)",
        summary: {
            create: count("create"),
            update: count("update"),
            replace: count("replace"),
            delete: count("delete"),
            same,
        },
        changes,
    };
}

const SYMBOL: Record<ChangeOp, string> = { create: "+", update: "~", replace: "+-", delete: "-" };

function list(paths: readonly string[], max = 6): string {
    return paths.length > max ? `${paths.slice(0, max).join(", ")}, and ${paths.length - max} more` : paths.join(", ");
}

/** One line per change, as `pulumi preview` marks them. */
export function changeLine(c: ResourceChange): string {
    const what = `${SYMBOL[c.op]} ${c.op} ${displayType(c.type)}  ${c.name}`;
    if (c.op === "replace") {
        const forcing = c.replaceBecause ?? [];
        return `${what}  (${list(forcing)} ${forcing.length === 1 ? "forces" : "force"} replacement${
            (c.inputs?.length ?? 0) > (c.replaceBecause?.length ?? 0)
                ? `; also ${list((c.inputs ?? []).filter((p) => !c.replaceBecause?.includes(p)))}`
                : ""
        })`;
    }
    return c.op === "update" ? `${what}  (${list(c.inputs ?? [])})` : what;
}

export function diffSummaryLine(diff: PlanDiff): string {
    const s = diff.summary;
    return (
        `Diff against ${diff.against}: ${s.create} to create, ${s.update} to update, ${s.replace} to replace, ` +
        `${s.delete} to delete, ${s.same} unchanged`
    );
}

/** The diff as printed under the tree. */
export function renderDiffLines(diff: PlanDiff): string[] {
    return [diffSummaryLine(diff), ...diff.changes.map((c) => `  ${changeLine(c)}`)];
}

/** The diff for a pull request's job summary. */
export function renderDiffMarkdown(diff: PlanDiff): string {
    const s = diff.summary;
    const lines = [
        `**${s.create}** to create, **${s.update}** to update, **${s.replace}** to replace, **${s.delete}** to delete, ${s.same} unchanged (against \`${diff.against}\`).`,
    ];
    if (diff.changes.length > 0) {
        lines.push(
            "",
            "| | resource | type | inputs |",
            "|---|---|---|---|",
            ...diff.changes.map((c) => {
                const inputs =
                    c.op === "replace"
                        ? `${list(c.replaceBecause ?? []).replace(/\|/g, "\\|")} (forces replacement)`
                        : list(c.inputs ?? []).replace(/\|/g, "\\|");
                return `| \`${SYMBOL[c.op]}\` ${c.op} | \`${c.name}\` | ${displayType(c.type)} | ${inputs} |`;
            }),
        );
    }
    return lines.join("\n");
}
