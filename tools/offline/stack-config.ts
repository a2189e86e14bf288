/**
 * Reads a stack's config the way `pulumi config` would see it, from `Pulumi.yaml` (project defaults)
 * and `Pulumi.<stack>.yaml`, without the Pulumi CLI. Encrypted values (`secure:`) cannot be read
 * offline: they, and a Mailgun key that is not set, become secret placeholders.
 */
import * as pulumi from "@pulumi/pulumi";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse, YAMLParseError } from "yaml";
import { PROJECT } from "../../config";

/** The stand-in for a secret the offline tools cannot decrypt. */
export const PLACEHOLDER_SECRET = "offline-placeholder-secret";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/**
 * A stack file or `Pulumi.yaml` that cannot be read as YAML. The message names the file, line and
 * column (`Pulumi.dev.yaml:3:6: ...`) and shows the offending line; no stack trace is needed.
 */
export class StackFileError extends Error {
    override name = "StackFileError";
    constructor(
        /** The file as given to the user (relative to the working directory where possible). */
        readonly file: string,
        readonly line: number | undefined,
        readonly column: number | undefined,
        detail: string,
    ) {
        super(`${file}${line === undefined ? "" : `:${line}:${column ?? 1}`}: ${detail}`);
    }
}

/** Parses YAML text; a syntax error becomes a `StackFileError` naming the file, line and column. */
export function parseYamlFile(text: string, file: string): unknown {
    const shown = path.relative(process.cwd(), file) || file;
    try {
        return parse(text);
    } catch (error) {
        if (error instanceof YAMLParseError) {
            const [start] = error.linePos ?? [];
            // yaml's message is "<problem> at line L, column C:\n\n<the line>\n<caret>"; keep the problem and the excerpt.
            const [problem, ...excerpt] = error.message.split("\n");
            const detail = `YAML syntax error: ${problem.replace(/ at line \d+, column \d+:?$/, "")}`;
            const snippet = excerpt.filter((l) => l.trim() !== "").join("\n");
            throw new StackFileError(shown, start?.line, start?.col, snippet ? `${detail}\n${snippet}` : detail);
        }
        throw error;
    }
}

export interface StackConfigOptions {
    /** Folder holding Pulumi.yaml and the stack files. Default: the project root. */
    readonly root?: string;
}

/** The project namespace of `Pulumi.<stack>.yaml` (keys without the prefix), with project defaults. */
export function readStackConfig(stack: string, options: StackConfigOptions = {}): Record<string, unknown> {
    const root = options.root ?? PROJECT_ROOT;
    const stackFile = path.join(root, `Pulumi.${stack}.yaml`);
    let stackText: string;
    try {
        stackText = readFileSync(stackFile, "utf8");
    } catch {
        throw new Error(`no stack file ${path.relative(process.cwd(), stackFile) || stackFile} (stack "${stack}")`);
    }
    const projectFile = path.join(root, "Pulumi.yaml");
    const project = parseYamlFile(readFileSync(projectFile, "utf8"), projectFile) as {
        config?: Record<string, { default?: unknown; value?: unknown }>;
    };
    const raw: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(project.config ?? {})) {
        const value = spec?.default ?? spec?.value;
        if (!key.includes(":") && value !== undefined) {
            raw[key] = value;
        }
    }
    const stackConfig = ((parseYamlFile(stackText, stackFile) as { config?: Record<string, unknown> } | null)?.config ??
        {}) as Record<string, unknown>;
    const prefix = `${PROJECT}:`;
    for (const [key, value] of Object.entries(stackConfig)) {
        if (key.startsWith(prefix)) {
            raw[key.slice(prefix.length)] = placeholdSecrets(value);
        }
    }
    const mailgun = (raw.mailgun ?? {}) as Record<string, unknown>;
    if (mailgun.apiKey === undefined) {
        raw.mailgun = { ...mailgun, apiKey: pulumi.secret(PLACEHOLDER_SECRET) };
    }
    return raw;
}

function placeholdSecrets(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(placeholdSecrets);
    }
    if (value !== null && typeof value === "object") {
        const entries = Object.entries(value);
        if (entries.length === 1 && entries[0][0] === "secure") {
            return pulumi.secret(PLACEHOLDER_SECRET);
        }
        return Object.fromEntries(entries.map(([k, v]) => [k, placeholdSecrets(v)]));
    }
    return value;
}

/** The stacks that have a `Pulumi.<stack>.yaml` in `root`. */
export function knownStacks(root = PROJECT_ROOT): string[] {
    return readdirSync(root)
        .map((f) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}
