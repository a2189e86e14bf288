/**
 * Typed, validated config. `parseConfig` is pure (tests and tools call it with a plain object);
 * `loadConfig` reads the current stack's Pulumi config and hands it to `parseConfig`.
 */
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { ConfigError, toProblems } from "./errors";
import { configSchema, SECRET_PATHS, type InfraConfig } from "./schema";

export { ConfigError, type ConfigProblem } from "./errors";
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

/** The Pulumi project name: the namespace of every config key. */
export const PROJECT = "webapp-infra";

/**
 * Validates the project's config object (keys without the `webapp-infra:` prefix) and applies the
 * defaults. `stack` is the default for `environment`. Throws `ConfigError` listing every problem.
 * `mailgun.apiKey` must be a (secret) Output; a plain string is rejected as not secret.
 */
export function parseConfig(raw: unknown, stack?: string): InfraConfig {
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
    if (!result.success) {
        throw new ConfigError(toProblems(result.error.issues), stack);
    }
    return result.data;
}

/**
 * Reads the current stack's `webapp-infra:*` config and parses it. Object-valued keys (set with
 * `--path`) arrive as JSON; secret keys arrive as secret Outputs so they are never plain strings here.
 */
export function loadConfig(): InfraConfig {
    return parseConfig(readProjectConfig(), pulumi.getStack());
}

/** The project namespace of the running program's config, as a plain object. */
export function readProjectConfig(): Record<string, unknown> {
    const config = new pulumi.Config(PROJECT);
    const raw: Record<string, unknown> = {};
    for (const fullKey of Object.keys(pulumi.runtime.allConfig())) {
        const prefix = `${PROJECT}:`;
        if (!fullKey.startsWith(prefix)) {
            continue;
        }
        const key = fullKey.slice(prefix.length);
        const value = config.get(key);
        if (value === undefined) {
            continue;
        }
        const parsed = parseJsonIfStructured(value);
        raw[key] = isConfigSecret(fullKey) ? markSecretPaths(key, parsed) : parsed;
    }
    return raw;
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
