/**
 * Runs Checkov (the pinned venv that `npm run setup:scan` builds) on a Terraform-plan JSON file and
 * reads its JSON report. Checkov runs offline: `--skip-download` keeps it from asking its vendor's
 * platform for guidelines or custom policies.
 */
import { execFile } from "node:child_process";
import { venvTool } from "../python-venv";

export const SCAN_SETUP_COMMAND = "npm run setup:scan";

/** One check result as Checkov reports it (the fields the scan reads). */
export interface CheckResult {
    readonly checkId: string;
    readonly checkName: string;
    /** The Terraform address, e.g. `aws_s3_bucket.dev-storage-bucket`. */
    readonly resource: string;
    readonly guideline?: string;
}

export interface CheckovReport {
    readonly version: string;
    readonly resourceCount: number;
    readonly passed: readonly CheckResult[];
    readonly failed: readonly CheckResult[];
    readonly parsingErrors: readonly string[];
}

/** The Checkov executable; throws with the setup command when it is not installed. */
export function checkovExecutable(): string {
    return venvTool("scan", "checkov", SCAN_SETUP_COMMAND);
}

interface RawCheck {
    check_id: string;
    check_name: string;
    resource: string;
    guideline?: string | null;
}

interface RawReport {
    check_type?: string;
    results?: { passed_checks?: RawCheck[]; failed_checks?: RawCheck[]; parsing_errors?: string[] };
    summary?: { resource_count?: number; checkov_version?: string; passed?: number; failed?: number };
}

function toResult(raw: RawCheck): CheckResult {
    return {
        checkId: raw.check_id,
        checkName: raw.check_name,
        resource: raw.resource,
        ...(raw.guideline ? { guideline: raw.guideline } : {}),
    };
}

/**
 * Reads Checkov's `-o json` output. With nothing to scan Checkov prints a bare summary; with one
 * framework an object; with several a list of them (the `terraform_plan` one is taken).
 */
export function parseCheckovJson(text: string): CheckovReport {
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch {
        throw new Error(`Checkov printed no JSON report: ${text.slice(0, 300)}`);
    }
    const reports = (Array.isArray(parsed) ? parsed : [parsed]) as RawReport[];
    const report = reports.find((r) => r.check_type === "terraform_plan") ?? reports[0];
    if (!report?.results) {
        if (report && "passed" in report && "failed" in report) {
            // Nothing was scanned (no resource in the file).
            return { version: "", resourceCount: 0, passed: [], failed: [], parsingErrors: [] };
        }
        throw new Error(`unexpected Checkov report: ${text.slice(0, 300)}`);
    }
    return {
        version: report.summary?.checkov_version ?? "",
        resourceCount: report.summary?.resource_count ?? 0,
        passed: (report.results.passed_checks ?? []).map(toResult),
        failed: (report.results.failed_checks ?? []).map(toResult),
        parsingErrors: report.results.parsing_errors ?? [],
    };
}

/** Runs Checkov's Terraform-plan framework on `planFile`; rejects when Checkov fails or cannot parse the file. */
export async function runCheckov(planFile: string, executable = checkovExecutable()): Promise<CheckovReport> {
    const args = ["-f", planFile, "--framework", "terraform_plan", "-o", "json", "--skip-download", "--soft-fail"];
    const stdout = await new Promise<string>((resolve, reject) => {
        execFile(
            executable,
            args,
            { maxBuffer: 256 * 1024 * 1024, env: { ...process.env, LOG_LEVEL: "WARNING" } },
            (error, out, err) => {
                if (error) {
                    reject(
                        new Error(`checkov ${args.join(" ")} failed: ${error.message}\n${String(err).slice(-2000)}`),
                    );
                } else {
                    resolve(String(out));
                }
            },
        );
    });
    const report = parseCheckovJson(stdout);
    if (report.parsingErrors.length > 0) {
        throw new Error(`Checkov could not parse ${report.parsingErrors.join(", ")}`);
    }
    return report;
}
