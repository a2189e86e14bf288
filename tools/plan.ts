/**
 * `npm run plan -- --stack <name> [options]`: what a stack would build and cost, without a cloud
 * account or the Pulumi CLI. Runs the program under mocks with the stack's real config (secrets
 * as placeholders), checks the policy rules, prices the resources, optionally compares with a
 * previous plan, prints the result and writes the files of `<out>/<stack>/` (see README).
 * Exit status: 0 ok, 1 a mandatory policy violation (or the program failed), 2 a config, stack
 * file or usage error.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { ConfigError } from "../config";
import { estimateCost, renderCostLines, renderCostMarkdown, type CostReport } from "./cost/estimate";
import { readUsageFile, UsageFileError, DEFAULT_USAGE, type Usage } from "./cost/usage";
import { argsOrUsage, helpRequested, parseOptions, runAsMain, stackOption, UsageError } from "./cli";
import {
    compareWith,
    readPrevious,
    renderDiffLines,
    renderDiffMarkdown,
    type PlanDiff,
    type ResourcesDocument,
} from "./offline/diff";
import { renderHtmlReport } from "./offline/html";
import { renderJunit, renderSarif } from "./offline/ci-formats";
import { buildPlan, mandatoryCount, type Plan } from "./offline/plan";
import {
    policyDocument,
    renderCounts,
    renderMarkdownReport,
    renderMermaid,
    renderPolicyMarkdown,
    renderTree,
    renderViolations,
    resourcesDocument,
    summarize,
} from "./offline/render";
import { describeEnvironments, describeUnseen, PROJECT_ROOT, StackFileError } from "./offline/stack-config";
import { mapStack } from "./source-maps";

export { UsageError } from "./cli";

export const PLAN_USAGE =
    "usage: npm run plan -- --stack <name> [--out <dir>] [--format tree|json|markdown] [--compare <plan dir|resources.json>] [--usage <file>]";

export const PLAN_HELP = `${PLAN_USAGE}

What a stack would build and cost, offline: the program runs under mocks with the stack's config
(Pulumi.yaml and Pulumi.<name>.yaml; encrypted values become placeholders).

Options:
  -s, --stack <name>       the stack (a Pulumi.<name>.yaml file; <org>/<name> is accepted)
      --out <dir>          where <dir>/<stack>/ receives the files (default: plan)
      --format <format>    what is printed: tree (default), json, or markdown (for a CI job summary)
      --json               the same as --format json
      --compare <path>     a previous plan folder or its resources.json: print and write the diff
      --usage <file>       YAML or JSON usage assumptions for the cost estimate (see tools/cost/usage.ts)
  -h, --help               this help

Files: resources.json, graph.mmd, policy.json, policy.md, policy.sarif, junit.xml, cost.json,
cost.md, index.html, and diff.json with --compare.

Exit status: 0 the plan passed; 1 a mandatory policy rule is violated (or the program failed);
2 a config error, a stack file that is not valid YAML, or a bad argument. A plan that fails
removes the previous files of that stack, so nothing stale is left behind.`;

export type PlanFormat = "tree" | "json" | "markdown";
const FORMATS: readonly PlanFormat[] = ["tree", "json", "markdown"];

export interface PlanArgs {
    readonly stack: string;
    /** Output folder; `<out>/<stack>/` receives the files. Default `plan`. */
    readonly out: string;
    /** What is printed on stdout. */
    readonly format: PlanFormat;
    /** A previous plan (its folder or its `resources.json`) to compare with. */
    readonly compare?: string;
    /** A usage-assumptions file for the cost estimate. */
    readonly usage?: string;
}

export function parsePlanArgs(argv: readonly string[], root = PROJECT_ROOT): PlanArgs {
    const values = parseOptions(argv, {
        stack: { type: "string", short: "s" },
        out: { type: "string" },
        json: { type: "boolean" },
        format: { type: "string" },
        compare: { type: "string" },
        usage: { type: "string" },
    });
    // `<org>/<stack>` names the same stack file; the plan needs only the file.
    const { settingsName } = stackOption(values.stack, root);
    if (values.format !== undefined && !FORMATS.includes(values.format as PlanFormat)) {
        throw new UsageError(`--format must be one of ${FORMATS.join(", ")} (got "${values.format}")`);
    }
    if (values.json && values.format !== undefined && values.format !== "json") {
        throw new UsageError(`--json contradicts --format ${values.format}`);
    }
    const format: PlanFormat = values.json ? "json" : ((values.format as PlanFormat | undefined) ?? "tree");
    return {
        stack: settingsName,
        out: values.out ?? "plan",
        format,
        ...(values.compare !== undefined ? { compare: values.compare } : {}),
        ...(values.usage !== undefined ? { usage: values.usage } : {}),
    };
}

/** Everything a plan run produced, ready to be written and printed. */
export interface PlanResult {
    readonly plan: Plan;
    readonly cost: CostReport;
    readonly diff?: PlanDiff;
}

/** The files of `<out>/<stack>/`: name and content. Pure. */
export function planFiles(result: PlanResult): Array<[string, string]> {
    const { plan, cost, diff } = result;
    const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
    const files: Array<[string, string]> = [
        ["resources.json", json(resourcesDocument(plan))],
        ["graph.mmd", renderMermaid(plan)],
        ["policy.json", json(policyDocument(plan))],
        ["policy.md", renderPolicyMarkdown(plan)],
        ["policy.sarif", json(renderSarif(plan))],
        ["junit.xml", renderJunit(plan)],
        ["cost.json", json(cost)],
        ["cost.md", renderCostMarkdown(cost)],
        ["index.html", renderHtmlReport(plan, cost, diff)],
    ];
    if (diff) {
        files.push(["diff.json", json(diff)]);
    }
    return files;
}

/** Writes the plan files (replacing whatever the folder held); returns their paths. */
export function writePlanFiles(result: PlanResult, outDir: string): string[] {
    const dir = path.resolve(outDir, result.plan.stack);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    return planFiles(result).map(([name, text]) => {
        const file = path.join(dir, name);
        writeFileSync(file, text);
        return file;
    });
}

export interface PlanIo {
    /** stdout, one line at a time. */
    readonly print?: (line: string) => void;
    /** stderr, one line at a time. */
    readonly fail?: (line: string) => void;
    /** Folder holding Pulumi.yaml and the stack files. Default: the project root. */
    readonly root?: string;
}

type ErrorKind = "usage" | "config" | "stack-file" | "program";

/** A failed run as `--format json` prints it. */
export interface PlanErrorDocument {
    readonly ok: false;
    readonly stack: string | null;
    readonly exitCode: number;
    readonly error: {
        readonly kind: ErrorKind;
        readonly message: string;
        /** Config errors: every problem with its key path. */
        readonly problems?: ReadonlyArray<{ readonly path: string; readonly message: string }>;
    };
}

function classify(error: unknown): { kind: ErrorKind; code: number } {
    if (error instanceof ConfigError) {
        return { kind: "config", code: 2 };
    }
    if (error instanceof StackFileError) {
        return { kind: "stack-file", code: 2 };
    }
    if (error instanceof UsageError || error instanceof UsageFileError) {
        return { kind: "usage", code: 2 };
    }
    return { kind: "program", code: 1 };
}

/** Runs the command; returns the exit status. */
export async function runPlan(argv: readonly string[], io: PlanIo = {}): Promise<number> {
    const print = io.print ?? ((line: string) => console.log(line));
    const fail = io.fail ?? ((line: string) => console.error(line));
    if (helpRequested(argv)) {
        PLAN_HELP.split("\n").forEach(print);
        return 0;
    }
    const wantsJson =
        argv.includes("--json") ||
        argv.some((a, i) => a === "--format=json" || (a === "--format" && argv[i + 1] === "json"));
    let args: PlanArgs | undefined;
    const failed = (error: unknown): number => {
        const { kind, code } = classify(error);
        const message = error instanceof Error ? error.message : String(error);
        if (args) {
            // Nothing stale stays behind: the folder holds this run's results or nothing.
            rmSync(path.resolve(args.out, args.stack), { recursive: true, force: true });
        }
        if (wantsJson) {
            const doc: PlanErrorDocument = {
                ok: false,
                stack: args?.stack ?? null,
                exitCode: code,
                error: {
                    kind,
                    message,
                    ...(error instanceof ConfigError ? { problems: error.problems.map((p) => ({ ...p })) } : {}),
                },
            };
            print(JSON.stringify(doc, null, 2));
        } else if (kind === "usage") {
            `plan: ${message}`.split("\n").forEach(fail);
            fail(PLAN_USAGE);
        } else if (kind === "program") {
            `plan: the program failed offline: ${error instanceof Error ? (mapStack(error.stack) ?? message) : message}`
                .split("\n")
                .forEach(fail);
        } else {
            message.split("\n").forEach(fail);
        }
        return code;
    };

    if (!wantsJson) {
        const parsed = argsOrUsage("plan", PLAN_USAGE, fail, () => parsePlanArgs(argv, io.root));
        if (parsed === 2) {
            return 2;
        }
        args = parsed;
    } else {
        try {
            args = parsePlanArgs(argv, io.root);
        } catch (error) {
            return failed(error);
        }
    }

    let result: PlanResult;
    try {
        // Read what is compared with before anything is written: it may be this very folder.
        const previous = args.compare !== undefined ? readPrevious(args.compare) : undefined;
        const usage: Usage = args.usage !== undefined ? readUsageFile(args.usage) : DEFAULT_USAGE;
        const plan = await buildPlan(args.stack, { root: io.root });
        const cost = estimateCost(plan, usage);
        const diff = previous
            ? compareWith(previous, resourcesDocument(plan) as unknown as ResourcesDocument)
            : undefined;
        result = { plan, cost, ...(diff ? { diff } : {}) };
    } catch (error) {
        return failed(error);
    }
    const { plan, cost, diff } = result;
    const files = writePlanFiles(result, args.out);
    const shown = files.map((f) => path.relative(process.cwd(), f) || f);
    const code = mandatoryCount(plan) > 0 ? 1 : 0;
    switch (args.format) {
        case "json":
            print(
                JSON.stringify(
                    {
                        ok: code === 0,
                        exitCode: code,
                        ...summarize(plan),
                        unseen: plan.unseen,
                        environments: plan.environments,
                        monthlyUsd: cost.monthlyUsd,
                        files: shown,
                        violations: plan.violations,
                        ...(diff ? { diff: diff.summary } : {}),
                    },
                    null,
                    2,
                ),
            );
            break;
        case "markdown":
            renderMarkdownReport(plan, cost, diff).split("\n").forEach(print);
            break;
        default: {
            const lines = [
                ...renderTree(plan),
                "",
                ...renderCounts(plan),
                "",
                ...renderViolations(plan),
                "",
                ...renderCostLines(cost),
                "",
            ];
            if (diff) {
                lines.push(...renderDiffLines(diff), "");
            }
            const environments = describeEnvironments(plan.stackFile);
            if (plan.unseen.length > 0 || environments) {
                lines.push("Not visible offline:");
                plan.unseen.forEach((u) => lines.push(`  ${describeUnseen(u, plan.stackFile)}`));
                if (environments) {
                    lines.push(`  ${environments}`);
                }
            }
            lines.push(
                `Wrote ${files.length} files to ${path.dirname(shown[0])}/ in ${(plan.elapsedMs / 1000).toFixed(1)} s`,
            );
            lines.forEach(print);
        }
    }
    return code;
}

export { renderDiffMarkdown };

if (require.main === module) {
    runAsMain(runPlan);
}
