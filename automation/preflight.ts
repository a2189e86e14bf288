/**
 * Checks made before the Automation API starts the Pulumi CLI, so that a missing CLI or a missing
 * login ends with a sentence saying what to do instead of a stack trace from a child process.
 *
 * How far they go (no network call is made):
 * - The stack's config: the program's own validation, offline (`preflightConfig`). A problem -> error,
 *   unless the stack imports ESC environments (only the CLI sees their values) -> warnings.
 *   A Mailgun key that is not set -> error with the command that sets it.
 * - Pulumi CLI: a `pulumi` executable on PATH (then the SDK checks its version). Missing -> error.
 * - Pulumi backend login: `PULUMI_ACCESS_TOKEN`, a self-managed `PULUMI_BACKEND_URL` (file://, s3://,
 *   gs://, azblob://), or a current account in `~/.pulumi/credentials.json` (`pulumi login`).
 *   Missing -> error.
 * - Cloud credentials, for each cloud the stack uses: the usual environment variables and files.
 *   Missing -> a warning only: credentials may also come from an instance role or metadata server,
 *   which cannot be seen without calling the cloud. The provider then fails with its own message.
 */
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { ConfigError, PROJECT } from "../config";
import { loadStackConfig, readStackFile } from "../tools/offline/stack-config";

/** A problem that stops the command before the Pulumi CLI runs. */
export class PreflightError extends Error {
    override name = "PreflightError";
}

export type Env = Readonly<Record<string, string | undefined>>;

/** The full path of an executable found on `env.PATH`, or undefined. */
export function findExecutable(
    name: string,
    env: Env,
    platform: NodeJS.Platform = process.platform,
): string | undefined {
    const dirs = (env.PATH ?? env.Path ?? "").split(path.delimiter).filter((d) => d !== "");
    const extensions = platform === "win32" ? (env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";").concat([""]) : [""];
    for (const dir of dirs) {
        for (const ext of extensions) {
            const candidate = path.join(dir, `${name}${ext}`);
            try {
                accessSync(candidate, constants.X_OK);
                return candidate;
            } catch {
                // not here
            }
        }
    }
    return undefined;
}

export const MISSING_CLI =
    "The Pulumi CLI is not installed or not on PATH. Install it (https://www.pulumi.com/docs/iac/download-install/, " +
    "e.g. `curl -fsSL https://get.pulumi.com | sh`), then open a new shell. " +
    "`npm run plan -- --stack <name>` shows what a stack would build without it.";

/** Throws `PreflightError` when no `pulumi` executable is on PATH; returns its path. */
export function requirePulumiCli(env: Env): string {
    const found = findExecutable("pulumi", env);
    if (!found) {
        throw new PreflightError(MISSING_CLI);
    }
    return found;
}

const SELF_MANAGED = /^(file|s3|gs|azblob):\/\//;

/** Where the Pulumi CLI keeps its login: `$PULUMI_HOME/credentials.json` (default `~/.pulumi`). */
export function credentialsFile(env: Env, home: string): string {
    return path.join(env.PULUMI_HOME ?? path.join(home, ".pulumi"), "credentials.json");
}

/** How the CLI will log in to its backend, or undefined when it cannot. */
export function pulumiLogin(env: Env, home: string): string | undefined {
    if (env.PULUMI_ACCESS_TOKEN) {
        return "PULUMI_ACCESS_TOKEN";
    }
    if (env.PULUMI_BACKEND_URL && SELF_MANAGED.test(env.PULUMI_BACKEND_URL)) {
        return `backend ${env.PULUMI_BACKEND_URL}`;
    }
    const file = credentialsFile(env, home);
    if (!existsSync(file)) {
        return undefined;
    }
    try {
        const creds = JSON.parse(readFileSync(file, "utf8")) as {
            current?: string;
            accessTokens?: Record<string, string>;
        };
        const current = creds.current;
        if (current && (SELF_MANAGED.test(current) || creds.accessTokens?.[current])) {
            return `pulumi login (${current})`;
        }
    } catch {
        return undefined;
    }
    return undefined;
}

export const MISSING_LOGIN =
    "Not logged in to a Pulumi backend: set PULUMI_ACCESS_TOKEN (Pulumi Cloud), or run `pulumi login` " +
    "(or `pulumi login --local` / `pulumi login s3://<bucket>` for a self-managed backend).";

export function requirePulumiLogin(env: Env, home: string): string {
    const how = pulumiLogin(env, home);
    if (!how) {
        throw new PreflightError(MISSING_LOGIN);
    }
    return how;
}

/** Warnings for clouds with no credential source in sight (environment variables or the CLIs' files). */
export function cloudCredentialWarnings(clouds: readonly string[], env: Env, home: string): string[] {
    const warnings: string[] = [];
    if (clouds.includes("aws")) {
        const vars = [
            "AWS_ACCESS_KEY_ID",
            "AWS_PROFILE",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ];
        const files = [
            env.AWS_SHARED_CREDENTIALS_FILE ?? path.join(home, ".aws", "credentials"),
            env.AWS_CONFIG_FILE ?? path.join(home, ".aws", "config"),
        ];
        if (!vars.some((v) => env[v]) && !files.some((f) => existsSync(f))) {
            warnings.push(
                "No AWS credentials found (AWS_ACCESS_KEY_ID, AWS_PROFILE, web identity, ~/.aws): unless this machine has an " +
                    "instance role, the AWS provider will fail. Run `aws configure` / `aws sso login` or export credentials.",
            );
        }
    }
    if (clouds.includes("gcp")) {
        const vars = [
            "GOOGLE_APPLICATION_CREDENTIALS",
            "GOOGLE_CREDENTIALS",
            "GOOGLE_OAUTH_ACCESS_TOKEN",
            "CLOUDSDK_AUTH_ACCESS_TOKEN",
        ];
        const adc = path.join(
            env.CLOUDSDK_CONFIG ?? path.join(home, ".config", "gcloud"),
            "application_default_credentials.json",
        );
        if (!vars.some((v) => env[v]) && !existsSync(adc)) {
            warnings.push(
                "No Google Cloud credentials found (GOOGLE_APPLICATION_CREDENTIALS, application default credentials): unless " +
                    "this machine has a service account, the GCP provider will fail. Run `gcloud auth application-default login`.",
            );
        }
    }
    return warnings;
}

/**
 * The same validation the program runs, offline, so that a bad config stops before any CLI call;
 * a Mailgun key that is not set stops it too (encrypted keys are the CLI's to decrypt). A stack
 * that imports ESC environments is not blocked: the CLI resolves them, and the program validates
 * the resolved config before it creates anything; what the offline check found is printed as
 * warnings. Returns the stack's clouds.
 */
export function preflightConfig(
    settingsName: string,
    root: string | undefined,
    warn: (line: string) => void,
): string[] {
    const stackFile = readStackFile(settingsName, { root });
    if (stackFile.environments.length === 0) {
        return [...loadStackConfig(settingsName, { root, missingMailgunKey: "error" }).config.clouds];
    }
    const names = stackFile.environments.join(", ");
    try {
        const loaded = loadStackConfig(settingsName, { root, missingMailgunKey: "standIn" });
        const left = loaded.unseen.filter((u) => u.reason === "esc").map((u) => u.path);
        if (left.length > 0) {
            warn(`note: ${left.join(", ")} not in the stack file: left to the ESC environments ${names}`);
        }
        return [...loaded.config.clouds];
    } catch (error) {
        if (!(error instanceof ConfigError)) {
            throw error;
        }
        warn(
            `warning: the offline check of "${settingsName}" found problems, but the stack imports the ESC environments ` +
                `${names}, whose values only the Pulumi CLI can see: it resolves them and the program checks the result ` +
                "before creating anything.",
        );
        error.problems.forEach((p) => warn(`warning:   - ${p.message}`));
        const clouds = stackFile.values[`${PROJECT}:clouds`];
        return Array.isArray(clouds) ? clouds.map(String) : ["aws"];
    }
}
