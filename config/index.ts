/**
 * Typed, validated config. `parseConfig` is pure (tests and tools call it with a plain object);
 * `loadConfig` reads the current stack's Pulumi config and hands it to `parseConfig`.
 */
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { ConfigError, toProblems, type ConfigProblem } from "./errors";
import { projectConfig, PROJECT, type ProjectConfigOptions } from "./namespaces";
import { configSchema, SECRET_PATHS, type InfraConfig } from "./schema";

export { DATABASE_ENGINES, ENGINE_VERSIONS, type DatabaseEngine } from "./database";
export { ConfigError, type ConfigProblem } from "./errors";
export { childKeys, schemaKeys } from "./keys";
export { PROJECT, PROVIDER_ALIASES, PROVIDER_REFUSALS, projectConfig, type ProjectConfig } from "./namespaces";
export { formatPath, rmCommand, setCommand, shellWord } from "./paths";
export {
    ENVIRONMENT_PROFILES,
    ENVIRONMENTS,
    environmentProfile,
    isEnvironmentName,
    NAT_MODES,
    type EnvironmentName,
    type EnvironmentProfile,
    type NatMode,
} from "./profiles";
export { AWS_REGION_PREFIXES, GCP_REGION_PREFIXES, REGION_DIRECTIONS } from "./regions";
export {
    CLOUDS,
    environmentDefaults,
    isProduction,
    IAP_SSH_RANGE,
    LOG_RETENTION_DAYS,
    SECRET_PATHS,
    type Cloud,
    type InfraConfig,
} from "./schema";

/**
 * Validates the project's config object (keys without the `webapp-infra:` prefix) and applies the
 * defaults. `stack` is the default for `environment`. Throws `ConfigError` listing every problem.
 * `mailgun.apiKey` must be a (secret) Output; a plain string is rejected as not secret.
 */
export function parseConfig(raw: unknown, stack?: string): InfraConfig {
    return parseWith(raw, stack, []);
}

function parseWith(raw: unknown, stack: string | undefined, earlier: readonly ConfigProblem[]): InfraConfig {
    const input = raw ?? {};
    const environment =
        typeof input === "object" && !Array.isArray(input) && "environment" in input
            ? (input as { environment?: unknown }).environment
            : undefined;
    const envName = typeof environment === "string" ? environment : (stack ?? "");
    const withEnvironment =
        typeof input === "object" && !Array.isArray(input) && environment === undefined && stack !== undefined
            ? { ...input, environment: stack }
            : input;
    const result = configSchema(envName).safeParse(withEnvironment, { reportInput: true });
    if (!result.success || earlier.length > 0) {
        throw new ConfigError([...earlier, ...(result.success ? [] : toProblems(result.error.issues))], stack);
    }
    return result.data;
}

/**
 * Validates a stack's whole config: every namespace, keys as `namespace:key` (`webapp-infra:aws`,
 * `aws:region`), values parsed from JSON, secrets as secret Outputs. Provider keys that mean one of
 * the project's keys are read as it; refused keys, keys set without `--path` and misspelt
 * namespaces are reported together with the schema's problems (see namespaces.ts).
 */
export function parseStackConfig(
    all: Record<string, unknown>,
    stack?: string,
    options: Omit<ProjectConfigOptions, "stack"> = {},
): InfraConfig {
    const { raw, problems } = projectConfig(all, { ...options, stack });
    return parseWith(raw, stack, problems);
}

/**
 * Reads the current stack's config (every namespace) and parses it. Object-valued keys (set with
 * `--path`) arrive as JSON; secret keys arrive as secret Outputs so they are never plain strings here.
 */
export function loadConfig(): InfraConfig {
    return parseStackConfig(readAllConfig(), pulumi.getStack());
}

/** The running program's config, every namespace, as `namespace:key` -> parsed value. */
export function readAllConfig(): Record<string, unknown> {
    const all: Record<string, unknown> = {};
    const prefix = `${PROJECT}:`;
    for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
        const parsed = parseJsonIfStructured(value);
        if (!isConfigSecret(fullKey)) {
            all[fullKey] = parsed;
        } else if (fullKey.startsWith(prefix) && !/[.[]/.test(fullKey.slice(prefix.length))) {
            all[fullKey] = markSecretPaths(fullKey.slice(prefix.length), parsed);
        } else {
            // A secret of another namespace, or a project key set without --path: never printed.
            all[fullKey] = pulumi.secret(parsed);
        }
    }
    return all;
}

/**
 * Whether the stack marks a key as secret. The SDK keeps this helper internal (its type declarations
 * omit it) although `Config.getSecret` relies on the same list; read it through a narrow type.
 */
function isConfigSecret(fullKey: string): boolean {
    const lookup = (runtimeConfig as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
    if (typeof lookup !== "function") {
        throw new Error("@pulumi/pulumi no longer exposes runtime/config.isConfigSecret; update config/index.ts");
    }
    return lookup(fullKey);
}

function parseJsonIfStructured(value: string): unknown {
    const trimmed = value.trim();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
        try {
            return JSON.parse(trimmed);
        } catch {
            return value;
        }
    }
    return value;
}

/**
 * A secret key arrives as plain values. Wrap the values at secret paths (`mailgun.apiKey`) back into
 * secret Outputs so the schema can tell them from plain text; the rest of the key (e.g.
 * `mailgun.domain`, made secret only because it shares the key) stays plain for validation.
 */
function markSecretPaths(key: string, value: unknown): unknown {
    if (SECRET_PATHS.has(key)) {
        return typeof value === "string" ? pulumi.secret(value) : value;
    }
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, markSecretPaths(`${key}.${k}`, v)]));
    }
    return value;
}

export { configSchema };
