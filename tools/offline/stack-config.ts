/**
 * Reads a stack's config the way the Pulumi CLI would see it, from `Pulumi.yaml` (project values and
 * defaults) and `Pulumi.<stack>.yaml`, without the Pulumi CLI. What it cannot see is said, never
 * guessed silently:
 * - encrypted values (`secure:`) cannot be decrypted offline: the Mailgun key becomes a secret
 *   stand-in, other keys a stand-in or their default;
 * - a Mailgun key that is not set: a stand-in for the plan, an error for a deploy;
 * - values from ESC environments the stack imports (`environment:`): required keys the stack file
 *   leaves out get stand-ins, other keys their defaults.
 * The stack file is read with the CLI's YAML rules (an unquoted `0123` is octal, as in Go's YAML).
 */
import * as pulumi from "@pulumi/pulumi";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse, YAMLParseError, type ParseOptions, type SchemaOptions, type ScalarTag } from "yaml";
import {
    ConfigError,
    formatPath,
    parseStackConfig,
    PROJECT,
    SECRET_PATHS,
    setCommand,
    type ConfigProblem,
    type InfraConfig,
} from "../../config";

/** The stand-in for a secret the offline tools cannot decrypt. */
export const PLACEHOLDER_SECRET = "offline-placeholder-secret";

/** Stand-ins for required values the offline tools cannot see (encrypted, or left to ESC). */
export const STAND_INS: Readonly<Record<string, { readonly value: () => unknown; readonly shown: string }>> = {
    "mailgun.apiKey": { value: () => pulumi.secret(PLACEHOLDER_SECRET), shown: "a secret stand-in" },
    domainName: { value: () => "placeholder.example.com", shown: '"placeholder.example.com"' },
    "gcp.project": { value: () => "placeholder-project", shown: '"placeholder-project"' },
};

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

export interface StackConfigOptions {
    /** Folder holding Pulumi.yaml and the stack files. Default: the project root. */
    readonly root?: string;
}

/** Go's YAML (which the CLI uses) reads a plain `0123` as octal 83; YAML 1.2 would read 123. */
const legacyOctal: ScalarTag = {
    identify: (value) => typeof value === "number",
    default: true,
    tag: "tag:yaml.org,2002:int",
    test: /^[-+]?0[0-7]+$/,
    resolve: (text) => (text.startsWith("-") ? -1 : 1) * parseInt(text.replace(/^[-+]/, ""), 8),
};

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

/** Parses YAML; with `file`, a syntax error becomes a `StackFileError` naming the file, line and column. */
function parseNaming(text: string, file: string | undefined, options: ParseOptions & SchemaOptions): unknown {
    try {
        return parse(text, options);
    } catch (error) {
        if (file === undefined || !(error instanceof YAMLParseError)) {
            throw error;
        }
        const [start] = error.linePos ?? [];
        // yaml's message is "<problem> at line L, column C:\n\n<the line>\n<caret>"; keep the problem and the excerpt.
        const [problem, ...excerpt] = error.message.split("\n");
        const detail = `YAML syntax error: ${problem.replace(/ at line \d+, column \d+:?$/, "")}`;
        const snippet = excerpt.filter((l) => l.trim() !== "").join("\n");
        const shown = path.relative(process.cwd(), file) || file;
        throw new StackFileError(shown, start?.line, start?.col, snippet ? `${detail}\n${snippet}` : detail);
    }
}

/** Parses a YAML file the tools read (a usage file); a syntax error names the file, line and column. */
export function parseYamlFile(text: string, file: string): unknown {
    return parseNaming(text, file, {});
}

/** Parses YAML as the Pulumi CLI reads its project and stack files; with `file`, errors name it. */
export function parsePulumiYaml(text: string, file?: string): unknown {
    return parseNaming(text, file, { customTags: (tags) => [legacyOctal, ...tags] });
}

/** A `Pulumi.yaml` `config:` entry. */
interface DeclaredKey {
    type?: string;
    default?: unknown;
    value?: unknown;
}

export interface StackFile {
    readonly stack: string;
    /** The stack file's path. */
    readonly file: string;
    /** Every namespace (`namespace:key`), project values and defaults applied as the CLI applies them. */
    readonly values: Record<string, unknown>;
    /** The ESC environments the stack imports (`environment:`); `yaml` stands for an inline definition. */
    readonly environments: readonly string[];
    /** Keys Pulumi.yaml declares without a default or value that the stack file does not set. */
    readonly missingDeclared: readonly string[];
}

/** Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml`. Encrypted values stay `{ secure: ... }`. */
export function readStackFile(stack: string, options: StackConfigOptions = {}): StackFile {
    const root = options.root ?? PROJECT_ROOT;
    const file = path.join(root, `Pulumi.${stack}.yaml`);
    let stackText: string;
    try {
        stackText = readFileSync(file, "utf8");
    } catch {
        throw new Error(`no stack file ${path.relative(process.cwd(), file) || file} (stack "${stack}")`);
    }
    const projectFile = path.join(root, "Pulumi.yaml");
    const project = (parsePulumiYaml(readFileSync(projectFile, "utf8"), projectFile) ?? {}) as {
        name?: string;
        config?: Record<string, DeclaredKey | null>;
    };
    const stackDoc = (parsePulumiYaml(stackText, file) ?? {}) as {
        config?: Record<string, unknown>;
        environment?: unknown;
    };
    const stackConfig = stackDoc.config ?? {};
    const values: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(project.config ?? {})) {
        const value = spec?.default ?? spec?.value;
        const fullKey = qualified(key);
        if (value !== undefined && !(fullKey in stackConfig)) {
            values[fullKey] = value;
        }
    }
    Object.assign(values, stackConfig);
    return {
        stack,
        file,
        values,
        environments: escImports(stackDoc.environment),
        missingDeclared: missingDeclaredKeys(project.config ?? {}, stackConfig),
    };
}

function qualified(key: string): string {
    return key.includes(":") ? key : `${PROJECT}:${key}`;
}

/**
 * Pulumi's rule for the project's declared keys: one in the project namespace with neither
 * `default` nor `value` must be set in every stack file (or the CLI stops with "Stack 'dev' is
 * missing configuration value 'domainName'"). Returns the keys that break it.
 */
export function missingDeclaredKeys(
    declared: Record<string, DeclaredKey | null>,
    stackConfig: Record<string, unknown>,
): string[] {
    return Object.entries(declared)
        .filter(([key, spec]) => {
            const inProject = !key.includes(":") || key.startsWith(`${PROJECT}:`);
            return inProject && spec?.default == null && spec?.value == null && !(qualified(key) in stackConfig);
        })
        .map(([key]) => key.replace(`${PROJECT}:`, ""))
        .sort();
}

/** The environments an `environment:` block imports: a list of names, or an inline definition. */
function escImports(environment: unknown): string[] {
    if (environment === undefined || environment === null) {
        return [];
    }
    if (Array.isArray(environment)) {
        return environment.map(String);
    }
    if (typeof environment === "object") {
        const def = environment as { imports?: unknown; values?: unknown };
        const imports = Array.isArray(def.imports)
            ? def.imports.map((i) => (typeof i === "string" ? i : (Object.keys(i ?? {})[0] ?? String(i))))
            : [];
        return def.values === undefined ? imports : [...imports, "yaml"];
    }
    return [String(environment)];
}

function isSecure(value: unknown): boolean {
    return (
        value !== null &&
        typeof value === "object" &&
        !Array.isArray(value) &&
        Object.keys(value).length === 1 &&
        "secure" in value
    );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A value the offline tools cannot see, and what they use instead. */
export interface UnseenValue {
    /** The key path, `--path` syntax. */
    readonly path: string;
    /** `encrypted`: `secure:` in the stack file; `not set`: absent; `esc`: absent, left to the ESC environments. */
    readonly reason: "encrypted" | "not set" | "esc";
    /** What is used instead: `a secret stand-in`, `"placeholder.example.com"`, `the default`. */
    readonly standIn: string;
}

export interface OfflineOptions extends StackConfigOptions {
    /** A Mailgun key that is not set: `standIn` (the plan runs anyway) or `error` (a deploy needs it). Default `standIn`. */
    readonly missingMailgunKey?: "standIn" | "error";
}

export interface OfflineStackConfig {
    readonly stackFile: StackFile;
    /** Every namespace with encrypted values replaced (see `unseen`), ready for `parseStackConfig`. */
    readonly values: Record<string, unknown>;
    readonly unseen: readonly UnseenValue[];
}

/** The stack's config with stand-ins for what cannot be seen offline. */
export function offlineStackConfig(stack: string, options: OfflineOptions = {}): OfflineStackConfig {
    const stackFile = readStackFile(stack, options);
    const unseen: UnseenValue[] = [];
    const values: Record<string, unknown> = {};
    const prefix = `${PROJECT}:`;
    for (const [fullKey, value] of Object.entries(stackFile.values)) {
        const key = fullKey.startsWith(prefix) ? fullKey.slice(prefix.length) : undefined;
        if (key === undefined || /[.[]/.test(key)) {
            // Other namespaces, and project keys set without --path: reported as they are, never printed.
            values[fullKey] = secretsAsStandIns(value);
            continue;
        }
        const replaced = replaceEncrypted(value, [key], unseen);
        if (replaced !== undefined) {
            values[fullKey] = replaced;
        }
    }

    const usesEsc = stackFile.environments.length > 0;
    const raw = (k: string) => values[`${prefix}${k}`];
    const mailgun = raw("mailgun");
    const hasMailgunKey = isPlainObject(mailgun) && mailgun.apiKey !== undefined;
    if (!hasMailgunKey && (usesEsc || options.missingMailgunKey !== "error")) {
        values[`${prefix}mailgun`] = {
            ...(isPlainObject(mailgun) ? mailgun : {}),
            apiKey: STAND_INS["mailgun.apiKey"].value(),
        };
        unseen.push({ path: "mailgun.apiKey", reason: usesEsc ? "esc" : "not set", standIn: "a secret stand-in" });
    }
    if (usesEsc) {
        if (raw("domainName") === undefined) {
            values[`${prefix}domainName`] = STAND_INS.domainName.value();
            unseen.push({ path: "domainName", reason: "esc", standIn: STAND_INS.domainName.shown });
        }
        const clouds = raw("clouds");
        const gcp = raw("gcp");
        if (Array.isArray(clouds) && clouds.includes("gcp") && !(isPlainObject(gcp) && gcp.project !== undefined)) {
            values[`${prefix}gcp`] = { ...(isPlainObject(gcp) ? gcp : {}), project: STAND_INS["gcp.project"].value() };
            unseen.push({ path: "gcp.project", reason: "esc", standIn: STAND_INS["gcp.project"].shown });
        }
    }
    return { stackFile, values, unseen };
}

/** Replaces `secure:` leaves of a project key: stand-ins where one is known, else the default (dropped). */
function replaceEncrypted(value: unknown, at: PropertyKey[], unseen: UnseenValue[]): unknown {
    if (isSecure(value)) {
        const where = formatPath(at);
        const standIn = STAND_INS[where];
        unseen.push({ path: where, reason: "encrypted", standIn: standIn?.shown ?? "the default" });
        return standIn?.value();
    }
    if (isPlainObject(value)) {
        const entries = Object.entries(value)
            .map(([k, v]) => [k, replaceEncrypted(v, [...at, k], unseen)] as const)
            .filter(([, v]) => v !== undefined);
        return Object.fromEntries(entries);
    }
    if (Array.isArray(value)) {
        return value.map((v, i) => replaceEncrypted(v, [...at, i], unseen));
    }
    return value;
}

function secretsAsStandIns(value: unknown): unknown {
    if (isSecure(value)) {
        return pulumi.secret(PLACEHOLDER_SECRET);
    }
    if (Array.isArray(value)) {
        return value.map(secretsAsStandIns);
    }
    if (isPlainObject(value)) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, secretsAsStandIns(v)]));
    }
    return value;
}

export interface LoadedStackConfig {
    readonly config: InfraConfig;
    readonly stackFile: StackFile;
    readonly unseen: readonly UnseenValue[];
}

/**
 * The stack's validated config as the offline tools see it. Throws `ConfigError` listing every
 * problem: the schema's, the namespace checks', and Pulumi's rule for declared keys (unless the
 * stack imports ESC environments, which may set them).
 */
export function loadStackConfig(stack: string, options: OfflineOptions = {}): LoadedStackConfig {
    const offline = offlineStackConfig(stack, options);
    const { stackFile } = offline;
    const file = path.basename(stackFile.file);
    const declared: ConfigProblem[] =
        stackFile.environments.length > 0
            ? []
            : stackFile.missingDeclared.map((key) => ({
                  path: key,
                  message:
                      `${key}: is declared in Pulumi.yaml without a default, so the Pulumi CLI stops with ` +
                      `"Stack '${stack}' is missing configuration value '${key}'": ${setCommand(key, undefined, { stack })}`,
              }));
    let schemaProblems: readonly ConfigProblem[] = [];
    try {
        const config = parseStackConfig(offline.values, stack, { file });
        if (declared.length === 0) {
            return { config, stackFile, unseen: offline.unseen };
        }
    } catch (error) {
        if (!(error instanceof ConfigError)) {
            throw error;
        }
        schemaProblems = error.problems;
    }
    // The schema's own "is required" for a declared key says the same thing: keep Pulumi's wording.
    const covered = new Set(declared.map((p) => p.path));
    const rest = schemaProblems.filter((p) => !(covered.has(p.path) && p.message.startsWith(`${p.path}: is required`)));
    throw new ConfigError([...declared, ...rest], stack);
}

/**
 * The project namespace of `Pulumi.<stack>.yaml` (keys without the prefix) with project defaults,
 * encrypted values and a missing Mailgun key as stand-ins. For tests and tools that need the raw
 * object; `loadStackConfig` is the validated view.
 */
export function readStackConfig(stack: string, options: StackConfigOptions = {}): Record<string, unknown> {
    const { values } = offlineStackConfig(stack, options);
    const prefix = `${PROJECT}:`;
    return Object.fromEntries(
        Object.entries(values)
            .filter(([key]) => key.startsWith(prefix))
            .map(([key, value]) => [key.slice(prefix.length), value]),
    );
}

/** The stacks that have a `Pulumi.<stack>.yaml` in `root`. */
export function knownStacks(root = PROJECT_ROOT): string[] {
    return readdirSync(root)
        .map((f) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/** One line saying what the offline tools could not see and what they used instead. */
export function describeUnseen(u: UnseenValue, stackFile: Pick<StackFile, "stack" | "file" | "environments">): string {
    const file = path.basename(stackFile.file);
    switch (u.reason) {
        case "encrypted":
            return `${u.path}: encrypted (secure:) in ${file}; offline it cannot be decrypted, so ${u.standIn} is used`;
        case "not set":
            return (
                `${u.path}: not set in ${file}; the plan uses ${u.standIn}, a deploy stops without it: ` +
                setCommand(u.path, undefined, {
                    path: u.path.includes("."),
                    secret: SECRET_PATHS.has(u.path),
                    stack: stackFile.stack,
                })
            );
        case "esc":
            return (
                `${u.path}: not in ${file}, left to the ESC environment${stackFile.environments.length === 1 ? "" : "s"} ` +
                `${stackFile.environments.join(", ")}; offline ${u.standIn} is used`
            );
    }
}

/** The line about ESC environments: their values are invisible offline. Undefined when there are none. */
export function describeEnvironments(stackFile: Pick<StackFile, "file" | "environments">): string | undefined {
    if (stackFile.environments.length === 0) {
        return undefined;
    }
    return (
        `ESC environments ${stackFile.environments.join(", ")} (imported by ${path.basename(stackFile.file)}): ` +
        "their values cannot be seen offline; keys the stack file does not set take their defaults here"
    );
}
