import type { z } from "zod";
import { childKeys, closestKey } from "./keys";
import { formatPath, shellWord } from "./paths";
import { PATH_TOKEN } from "./rules";
import { SECRET_PATHS } from "./schema";

/** One problem with the config: where it is and what is wrong. */
export interface ConfigProblem {
    /**
     * The key path in `pulumi config set --path` syntax, e.g. `aws.vpcCidr` or `clouds[1]`; a key of
     * another namespace is written whole (`aws:region`); empty for the config as a whole.
     */
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
            const parent = issue.path.map(String);
            const siblings = childKeys(parent) ?? [];
            for (const key of issue.keys) {
                const path = formatPath([...issue.path, key]);
                const near = closestKey(key, siblings);
                const hint = near ? `did you mean ${formatPath([...parent, near])}?` : "check the spelling; see README";
                problems.push({ path, message: `${path}: is not a known key (${hint})` });
            }
            continue;
        }
        const path = formatPath(issue.path);
        const label = path === "" ? "config" : path;
        const shown = issue.input === undefined || SECRET_PATHS.has(path) ? "" : `${show(issue.input)} `;
        const message = issue.message.split(PATH_TOKEN).join(shellWord(path));
        problems.push({ path, message: `${label}: ${shown}${message}` });
    }
    return problems;
}

function show(value: unknown): string {
    const json = JSON.stringify(value);
    if (json === undefined) {
        return String(value);
    }
    return json.length > 200 ? `${json.slice(0, 197)}...` : json;
}
