/**
 * What `npm run scan` prints and writes for one stack: the failed checks grouped as accepted by
 * design (with the reason), known and to be fixed (with the fix) and new; stale entries of the
 * known list; `scan.json` and `scan.md`. Pure functions of a `ScanResult`.
 */
import { PROJECT } from "../../config";
import type { CheckovReport } from "./checkov";
import type { Classification, Finding } from "./findings";
import type { RenderedPlan } from "./render";

export interface ScanResult {
    readonly stack: string;
    readonly environment: string;
    readonly checkov: CheckovReport;
    readonly rendered: Pick<RenderedPlan, "resources" | "skipped">;
    readonly classification: Classification;
    /** Fail on every finding that no design exception covers (the end state), not only on new ones. */
    readonly strict: boolean;
}

/** Whether the scan fails: a new finding or a stale known one (and, when strict, any known one). */
export function scanFailed(result: ScanResult): boolean {
    const c = result.classification;
    return c.unexpected.length > 0 || c.stale.length > 0 || (result.strict && c.known.length > 0);
}

function where(f: Finding): string {
    return f.pulumiName ? ` (${f.pulumiName})` : "";
}

/** The console report, one line per finding. */
export function renderScanLines(result: ScanResult): string[] {
    const { checkov, classification: c } = result;
    const lines = [
        `Checkov ${checkov.version} on ${PROJECT}/${result.stack} (environment ${result.environment}): ` +
            `${checkov.resourceCount} resources, ${checkov.passed.length} checks passed, ${checkov.failed.length} failed`,
        `  ${c.accepted.length} accepted by design, ${c.known.length} known and to be fixed, ${c.unexpected.length} new` +
            (c.stale.length > 0
                ? `, ${c.stale.length} known finding${c.stale.length === 1 ? "" : "s"} no longer reported`
                : ""),
    ];
    if (c.unexpected.length > 0) {
        lines.push("", "New findings (fix them, or add a reasoned entry to tools/scan/exceptions.ts):");
        for (const f of c.unexpected) {
            lines.push(`  ${f.checkId}  ${f.resource}${where(f)}: ${f.checkName}`);
        }
    }
    if (c.stale.length > 0) {
        lines.push("", "Known findings the scan no longer reports (remove them from tools/scan/known-findings.ts):");
        for (const s of c.stale) {
            lines.push(`  ${s.check}  ${s.resource}`);
        }
    }
    if (c.known.length > 0) {
        lines.push("", "Known, to be fixed (tools/scan/known-findings.ts):");
        for (const f of c.known) {
            lines.push(`  ${f.checkId}  ${f.resource}${where(f)}: ${f.checkName}`, `      fix: ${f.fix}`);
        }
    }
    if (c.accepted.length > 0) {
        lines.push("", "Accepted by design (tools/scan/exceptions.ts):");
        for (const f of c.accepted) {
            lines.push(`  ${f.checkId}  ${f.resource}${where(f)}: ${f.checkName}`, `      why: ${f.reason}`);
        }
    }
    return lines;
}

/** `scan.json`. */
export function scanDocument(result: ScanResult): Record<string, unknown> {
    const { checkov, classification: c } = result;
    return {
        project: PROJECT,
        stack: result.stack,
        environment: result.environment,
        scanner: { name: "checkov", version: checkov.version, framework: "terraform_plan" },
        passed: !scanFailed(result),
        summary: {
            resources: checkov.resourceCount,
            passedChecks: checkov.passed.length,
            failedChecks: checkov.failed.length,
            accepted: c.accepted.length,
            known: c.known.length,
            new: c.unexpected.length,
            stale: c.stale.length,
        },
        new: c.unexpected,
        stale: c.stale,
        known: c.known,
        accepted: c.accepted,
        skippedResources: result.rendered.skipped,
    };
}

function cell(text: string): string {
    return text.replace(/\|/g, "\\|");
}

/** `scan.md`: the same report for people. */
export function renderScanMarkdown(result: ScanResult): string {
    const { checkov, classification: c } = result;
    const lines = [
        `# IaC scan: ${PROJECT}/${result.stack}`,
        "",
        `Checkov ${checkov.version} (terraform_plan) on the Terraform-plan rendering of the offline plan: ` +
            `${checkov.resourceCount} resources, ${checkov.passed.length} checks passed, ${checkov.failed.length} failed ` +
            `(${c.accepted.length} accepted by design, ${c.known.length} known and to be fixed, ${c.unexpected.length} new).`,
        "",
        scanFailed(result) ? "**Failed.**" : "**Passed.**",
    ];
    const table = (title: string, header: string, rows: string[][]) => {
        if (rows.length === 0) {
            return;
        }
        lines.push(
            "",
            `## ${title}`,
            "",
            header,
            `|${header
                .split("|")
                .slice(1, -1)
                .map(() => "---")
                .join("|")}|`,
        );
        rows.forEach((row) => lines.push(`| ${row.map(cell).join(" | ")} |`));
    };
    table(
        "New findings",
        "| check | resource | Pulumi resource | check name |",
        c.unexpected.map((f) => [f.checkId, `\`${f.resource}\``, f.pulumiName ?? "", f.checkName]),
    );
    table(
        "Known findings no longer reported",
        "| check | resource |",
        c.stale.map((s) => [s.check, `\`${s.resource}\``]),
    );
    table(
        "Known, to be fixed",
        "| check | resource | check name | fix |",
        c.known.map((f) => [f.checkId, `\`${f.resource}\``, f.checkName, f.fix]),
    );
    table(
        "Accepted by design",
        "| check | resource | check name | reason |",
        c.accepted.map((f) => [f.checkId, `\`${f.resource}\``, f.checkName, f.reason]),
    );
    if (result.rendered.skipped.length > 0) {
        lines.push("", "## Not rendered", "");
        for (const s of result.rendered.skipped) {
            lines.push(`- \`${s.urn.split("::").pop()}\` (${s.type}): ${s.reason}`);
        }
    }
    return `${lines.join("\n")}\n`;
}
