/**
 * From a stack's whole config (every namespace, keys as `namespace:key`) to the project namespace
 * object that the schema validates. Nothing a user writes is silently ignored:
 *
 * - `webapp-infra:<key>`: the program's own config. A key with a `.` or `[` in its name was set
 *   without `--path` (`webapp-infra:aws.asg.max: "4"`): refused, with the commands that fix it.
 * - Provider keys that mean exactly one of ours are read as that key (`aws:region` is `aws.region`,
 *   see PROVIDER_ALIASES); set both to different values and it is an error.
 * - Every other `aws:` / `gcp:` key (and `random:`, `awsx:`) is refused with what to use instead:
 *   the providers are explicit, so the engine would never pass these keys to them.
 * - `pulumi:` keys belong to the engine and are left alone.
 * - Any other namespace is reported; a near miss of the project name (`webapp-infa:`) gets the fix.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ConfigProblem } from "./errors";
import { editDistance } from "./keys";
import { formatPath, rmCommand, setCommand } from "./paths";

/** The Pulumi project name: the namespace of every config key. */
export const PROJECT = "webapp-infra";

/** Provider keys read as one of the project's keys: `aws:region` is `aws.region`. */
export const PROVIDER_ALIASES: Readonly<Record<string, readonly string[]>> = {
    "aws:region": ["aws", "region"],
    "aws:profile": ["aws", "profile"],
    "aws:allowedAccountIds": ["aws", "allowedAccountIds"],
    "gcp:project": ["gcp", "project"],
    "gcp:region": ["gcp", "region"],
    "gcp:zone": ["gcp", "zone"],
};

const STATIC_AWS_KEYS =
    "static keys in a stack file are not used: export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), " +
    "or name a profile with aws.profile";
const GCP_CREDENTIALS =
    "credentials are not read from the stack file: run gcloud auth application-default login, or export " +
    "GOOGLE_APPLICATION_CREDENTIALS (a key file) or GOOGLE_OAUTH_ACCESS_TOKEN";

/** Provider keys that are refused, with what to do instead. */
export const PROVIDER_REFUSALS: Readonly<Record<string, string>> = {
    "aws:accessKey": STATIC_AWS_KEYS,
    "aws:secretKey": STATIC_AWS_KEYS,
    "aws:token": STATIC_AWS_KEYS,
    "aws:defaultTags": "the program sets the default tags itself (project, environment, stack, managed-by)",
    "gcp:credentials": GCP_CREDENTIALS,
    "gcp:accessToken": GCP_CREDENTIALS,
    "gcp:impersonateServiceAccount": "export GOOGLE_IMPERSONATE_SERVICE_ACCOUNT instead: the provider reads it",
    "gcp:defaultLabels": "the program sets the default labels itself (project, environment, stack, managed-by)",
};

/** Namespaces of packages the program uses whose config the program never reads. */
const PROVIDER_NAMESPACES: Readonly<Record<string, string>> = {
    aws: "its AWS provider is explicit and takes aws.region, aws.profile and aws.allowedAccountIds (aws:region, aws:profile and aws:allowedAccountIds are read as those)",
    gcp: "its GCP provider is explicit and takes gcp.project, gcp.region and gcp.zone (gcp:project, gcp:region and gcp:zone are read as those)",
    random: "the random provider takes no configuration",
    awsx: "awsx takes no configuration (the VPC's settings are aws.* keys)",
};

export interface ProjectConfig {
    /** The project namespace, keys without the prefix, provider aliases folded in. */
    readonly raw: Record<string, unknown>;
    /** Keys that are refused, misplaced or in conflict. */
    readonly problems: readonly ConfigProblem[];
}

export interface ProjectConfigOptions {
    /** The stack, for `--stack` in the commands the messages show. */
    readonly stack?: string;
    /** The stack file's name, for messages that say where to edit. Default `Pulumi.<stack>.yaml`. */
    readonly file?: string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return value !== null && typeof value === "object" && !Array.isArray(value) && !pulumi.Output.isInstance(value);
}

function isScalar(value: unknown): boolean {
    return value === null || ["string", "number", "boolean"].includes(typeof value);
}

function show(value: unknown): string {
    return typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
}

/**
 * Splits a stack's whole config (`{ "webapp-infra:aws": {...}, "aws:region": "eu-west-1" }`, values
 * already parsed from JSON, secrets as secret Outputs) into the project namespace and its problems.
 */
export function projectConfig(all: Record<string, unknown>, options: ProjectConfigOptions = {}): ProjectConfig {
    const raw: Record<string, unknown> = {};
    const problems: ConfigProblem[] = [];
    const file = options.file ?? (options.stack ? `Pulumi.${options.stack}.yaml` : "the stack file");
    const stack = options.stack;
    const aliases: Array<[string, unknown]> = [];

    for (const [fullKey, value] of Object.entries(all)) {
        const colon = fullKey.indexOf(":");
        const namespace = colon < 0 ? PROJECT : fullKey.slice(0, colon);
        const key = colon < 0 ? fullKey : fullKey.slice(colon + 1);
        if (namespace === PROJECT) {
            if (/[.[\]"]/.test(key)) {
                problems.push(setWithoutPath(key, value, file, stack));
            } else {
                raw[key] = value;
            }
        } else if (namespace === "pulumi") {
            continue;
        } else if (fullKey in PROVIDER_ALIASES) {
            aliases.push([fullKey, value]);
        } else if (fullKey in PROVIDER_REFUSALS) {
            problems.push({
                path: fullKey,
                message: `${fullKey}: is not read: ${PROVIDER_REFUSALS[fullKey]}. Remove it: ${rmCommand(fullKey, { stack })}`,
            });
        } else if (namespace in PROVIDER_NAMESPACES) {
            problems.push({
                path: fullKey,
                message: `${fullKey}: is not read: ${PROVIDER_NAMESPACES[namespace]}. Remove it: ${rmCommand(fullKey, { stack })}`,
            });
        } else {
            problems.push(foreignNamespace(namespace, key, value, file, stack));
        }
    }

    for (const [fullKey, value] of aliases) {
        const path = PROVIDER_ALIASES[fullKey];
        const [group, leaf] = path;
        const section = raw[group];
        if (section !== undefined && !isPlainObject(section)) {
            continue; // the schema reports the malformed group
        }
        const current = section?.[leaf];
        if (current === undefined) {
            raw[group] = { ...section, [leaf]: value };
        } else if (JSON.stringify(current) !== JSON.stringify(value)) {
            const ours = formatPath(path);
            problems.push({
                path: fullKey,
                message:
                    `${fullKey}: ${show(value)} disagrees with ${ours} (${show(current)}); both set the same thing, keep one: ` +
                    `${rmCommand(fullKey, { stack })}, or ${rmCommand(ours, { path: true, stack })}`,
            });
        }
    }
    return { raw, problems };
}

/** `webapp-infra:aws.asg.max: "4"`: one key whose name is a path, which nothing reads. */
function setWithoutPath(key: string, value: unknown, file: string, stack?: string): ConfigProblem {
    const secret = pulumi.Output.isInstance(value);
    const head = `${key}: is one key named ${JSON.stringify(key)} (set without --path), which the program does not read`;
    if (secret || isScalar(value)) {
        const fix = `${rmCommand(key, { stack })} && ${setCommand(key, value, { path: true, secret, stack })}`;
        return { path: key, message: `${head}. Replace it: ${fix}` };
    }
    const first = key.split(/[.[]/)[0];
    return {
        path: key,
        message: `${head}. Move its value under ${PROJECT}:${first} in ${file}, nested as the path says`,
    };
}

/** A key in a namespace nothing reads; a near miss of the project name gets the fix. */
function foreignNamespace(namespace: string, key: string, value: unknown, file: string, stack?: string): ConfigProblem {
    const fullKey = `${namespace}:${key}`;
    const near = editDistance(namespace.toLowerCase(), PROJECT) <= 3;
    if (!near) {
        return {
            path: fullKey,
            message:
                `${fullKey}: is not read: "${namespace}" is neither this project (${PROJECT}) nor a package it uses. ` +
                `Remove it: ${rmCommand(fullKey, { stack })}`,
        };
    }
    const head = `${fullKey}: "${namespace}" is not the project's namespace (${PROJECT}), so nothing reads this key`;
    if (pulumi.Output.isInstance(value) || isScalar(value)) {
        const secret = pulumi.Output.isInstance(value);
        return {
            path: fullKey,
            message: `${head}. Move it: ${rmCommand(fullKey, { stack })} && ${setCommand(key, value, { secret, stack })}`,
        };
    }
    return { path: fullKey, message: `${head}. Rename it to ${PROJECT}:${key} in ${file}` };
}
