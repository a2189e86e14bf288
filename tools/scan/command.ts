/**
 * `npm run scan -- --stack <name> [--out <dir>] [--json] [--strict]`: an independent IaC scanner
 * (Checkov, pinned; `npm run setup:scan` installs it) on the stack's resources. Builds the offline
 * plan, renders it as a Terraform plan (`<out>/<stack>/terraform-plan.json`), runs Checkov on it,
 * prints every failed check (accepted by design with the reason, known and to be fixed with the fix,
 * or new) and writes `<out>/<stack>/scan.json` and `scan.md`.
 * Exit status: 0 ok; 1 a new finding, a known finding no longer reported (shorten the list), with
 * `--strict` any finding no design exception covers, or an invalid config; 2 bad arguments.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { ConfigError } from "../../config";
import { argsOrUsage, parseOptions, runAsMain, stackOption } from "../cli";
import { buildPlan } from "../offline/plan";
import { PROJECT_ROOT } from "../offline/stack-config";
import { runCheckov, type CheckovReport } from "./checkov";
import { DESIGN_EXCEPTIONS } from "./exceptions";
import { classifyFindings } from "./findings";
import { KNOWN_FINDINGS } from "./known-findings";
import { planDocumentOf, renderTerraformPlan } from "./render";
import { renderScanLines, renderScanMarkdown, scanDocument, scanFailed, type ScanResult } from "./report";

export const SCAN_USAGE = "usage: npm run scan -- --stack <name> [--out <dir>] [--json] [--strict]";

export interface ScanArgs {
    readonly stack: string;
    /** Output folder; `<out>/<stack>/` receives the files. Default `plan`. */
    readonly out: string;
    /** Print scan.json instead of the report. */
    readonly json: boolean;
    /** Fail on every finding that no design exception covers. */
    readonly strict: boolean;
}

export function parseScanArgs(argv: readonly string[], root = PROJECT_ROOT): ScanArgs {
    const values = parseOptions(argv, {
        stack: { type: "string", short: "s" },
        out: { type: "string" },
        json: { type: "boolean" },
        strict: { type: "boolean" },
    });
    const { settingsName } = stackOption(values.stack, root);
    return {
        stack: settingsName,
        out: values.out ?? "plan",
        json: values.json ?? false,
        strict: values.strict ?? false,
    };
}

export interface ScanIo {
    readonly print?: (line: string) => void;
    readonly fail?: (line: string) => void;
    /** Folder holding Pulumi.yaml and the stack files. Default: the project root. */
    readonly root?: string;
    /** Runs the scanner on a Terraform-plan file. Default: the pinned Checkov. */
    readonly scanner?: (planFile: string) => Promise<CheckovReport>;
}

/** Runs the command; returns the exit status. */
export async function runScan(argv: readonly string[], io: ScanIo = {}): Promise<number> {
    const print = io.print ?? ((line: string) => console.log(line));
    const fail = io.fail ?? ((line: string) => console.error(line));
    const args = argsOrUsage("scan", SCAN_USAGE, fail, () => parseScanArgs(argv, io.root));
    if (args === 2) {
        return 2;
    }
    let plan: Awaited<ReturnType<typeof buildPlan>>;
    try {
        plan = await buildPlan(args.stack, { root: io.root });
    } catch (error) {
        if (error instanceof ConfigError) {
            fail(error.message);
            return 1;
        }
        throw error;
    }
    const rendered = renderTerraformPlan(planDocumentOf(plan.run, args.stack));
    const dir = path.resolve(args.out, args.stack);
    mkdirSync(dir, { recursive: true });
    const planFile = path.join(dir, "terraform-plan.json");
    writeFileSync(planFile, `${JSON.stringify(rendered.terraformPlan, null, 2)}\n`);
    const checkov = await (io.scanner ?? runCheckov)(planFile);
    const scope = { stack: args.stack, environment: plan.config.environment };
    const result: ScanResult = {
        stack: args.stack,
        environment: plan.config.environment,
        checkov,
        rendered,
        classification: classifyFindings(checkov.failed, scope, DESIGN_EXCEPTIONS, KNOWN_FINDINGS, rendered.resources),
        strict: args.strict,
    };
    const files: Array<[string, string]> = [
        ["scan.json", `${JSON.stringify(scanDocument(result), null, 2)}\n`],
        ["scan.md", renderScanMarkdown(result)],
    ];
    for (const [name, text] of files) {
        writeFileSync(path.join(dir, name), text);
    }
    const shown = [planFile, ...files.map(([name]) => path.join(dir, name))].map(
        (f) => path.relative(process.cwd(), f) || f,
    );
    if (args.json) {
        print(JSON.stringify({ ...scanDocument(result), files: shown }, null, 2));
    } else {
        [...renderScanLines(result), "", `Wrote ${shown.join(", ")}`].forEach(print);
    }
    return scanFailed(result) ? 1 : 0;
}

if (require.main === module) {
    runAsMain(runScan);
}
