/**
 * `npm run plan -- --stack <name> [--out <dir>] [--json]`: what a stack would build, without a cloud
 * account or the Pulumi CLI. Runs the program under mocks with the stack's real config (secrets
 * as placeholders), prints the resource tree with counts, checks the policy rules and writes
 * `<out>/<stack>/resources.json`, `graph.mmd`, `policy.json` and `policy.md`.
 * Exit status: 0 ok, 1 invalid config or a mandatory policy violation, 2 bad arguments.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { ConfigError } from "../config";
import { buildPlan, mandatoryCount, type Plan } from "./offline/plan";
import {
    policyDocument,
    renderCounts,
    renderMermaid,
    renderPolicyMarkdown,
    renderTree,
    renderViolations,
    resourcesDocument,
    summarize,
} from "./offline/render";
import { argsOrUsage, parseOptions, runAsMain, stackOption } from "./cli";
import { describeEnvironments, describeUnseen, PROJECT_ROOT } from "./offline/stack-config";

export { UsageError } from "./cli";

export const PLAN_USAGE = "usage: npm run plan -- --stack <name> [--out <dir>] [--json]";

export interface PlanArgs {
    readonly stack: string;
    /** Output folder; `<out>/<stack>/` receives the files. Default `plan`. */
    readonly out: string;
    /** Print a JSON summary instead of the tree. */
    readonly json: boolean;
}

export function parsePlanArgs(argv: readonly string[], root = PROJECT_ROOT): PlanArgs {
    const values = parseOptions(argv, {
        stack: { type: "string", short: "s" },
        out: { type: "string" },
        json: { type: "boolean" },
    });
    // `<org>/<stack>` names the same stack file; the plan needs only the file.
    const { settingsName } = stackOption(values.stack, root);
    return { stack: settingsName, out: values.out ?? "plan", json: values.json ?? false };
}

/** Writes the four plan files; returns their paths. */
export function writePlanFiles(plan: Plan, outDir: string): string[] {
    const dir = path.resolve(outDir, plan.stack);
    mkdirSync(dir, { recursive: true });
    const files: Array<[string, string]> = [
        ["resources.json", `${JSON.stringify(resourcesDocument(plan), null, 2)}\n`],
        ["graph.mmd", renderMermaid(plan)],
        ["policy.json", `${JSON.stringify(policyDocument(plan), null, 2)}\n`],
        ["policy.md", renderPolicyMarkdown(plan)],
    ];
    return files.map(([name, text]) => {
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

/** Runs the command; returns the exit status. */
export async function runPlan(argv: readonly string[], io: PlanIo = {}): Promise<number> {
    const print = io.print ?? ((line: string) => console.log(line));
    const fail = io.fail ?? ((line: string) => console.error(line));
    const args = argsOrUsage("plan", PLAN_USAGE, fail, () => parsePlanArgs(argv, io.root));
    if (args === 2) {
        return 2;
    }
    let plan: Plan;
    try {
        plan = await buildPlan(args.stack, { root: io.root });
    } catch (error) {
        if (error instanceof ConfigError) {
            fail(error.message);
            return 1;
        }
        throw error;
    }
    const files = writePlanFiles(plan, args.out);
    const shown = files.map((f) => path.relative(process.cwd(), f) || f);
    if (args.json) {
        const { unseen, environments } = plan;
        print(
            JSON.stringify(
                { ...summarize(plan), unseen, environments, files: shown, violations: plan.violations },
                null,
                2,
            ),
        );
    } else {
        const lines = [...renderTree(plan), "", ...renderCounts(plan), "", ...renderViolations(plan), ""];
        const environments = describeEnvironments(plan.stackFile);
        if (plan.unseen.length > 0 || environments) {
            lines.push("Not visible offline:");
            plan.unseen.forEach((u) => lines.push(`  ${describeUnseen(u, plan.stackFile)}`));
            if (environments) {
                lines.push(`  ${environments}`);
            }
        }
        lines.push(`Wrote ${shown.join(", ")} in ${(plan.elapsedMs / 1000).toFixed(1)} s`);
        lines.forEach(print);
    }
    return mandatoryCount(plan) > 0 ? 1 : 0;
}

if (require.main === module) {
    runAsMain(runPlan);
}
