import type { z } from "zod";
import { SECRET_PATHS } from "./schema";

/** One problem with the config: where it is and what is wrong. */
export interface ConfigProblem {
    /** Dotted key path, e.g. `aws.vpcCidr` or `clouds.1`; empty for the config as a whole. */
    readonly path: string;
    /** A full line, e.g. `aws.vpcCidr: "10.0.0.0/33" is not a valid IPv4 CIDR`. */
    readonly message: string;
}

/**
 * Thrown by `parseConfig` when the config is invalid. The message lists every problem, one per line,
 * each with its key path and the offending value (secrets are never printed).
 */
export class ConfigError extends Error {
    constructor(
        readonly problems: readonly ConfigProblem[],
        stack?: string,
    ) {
        const where = stack ? ` for stack "${stack}"` : "";
        super(
            `Invalid webapp-infra config${where} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p.message}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/** Turns zod issues into problems: `path: value phrase`. */
export function toProblems(issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    for (const issue of issues) {
        if (issue.code === "unrecognized_keys") {
            for (const key of issue.keys) {
                const path = joinPath([...issue.path, key]);
                problems.push({ path, message: `${path}: is not a known key (check the spelling; see README)` });
            }
            continue;
        }
        const path = joinPath(issue.path);
        const label = path === "" ? "config" : path;
        const shown = issue.input === undefined || SECRET_PATHS.has(path) ? "" : `${show(issue.input)} `;
        problems.push({ path, message: `${label}: ${shown}${issue.message}` });
    }
    return problems;
}

function joinPath(path: readonly PropertyKey[]): string {
    return path.map(String).join(".");
}

function show(value: unknown): string {
    const json = JSON.stringify(value);
    if (json === undefined) {
        return String(value);
    }
    return json.length > 200 ? `${json.slice(0, 197)}...` : json;
}
