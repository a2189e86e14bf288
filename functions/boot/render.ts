/**
 * Renders instance boot scripts (user data, startup scripts). A script is a generated header that
 * holds the deploy-time values (shell variables and heredoc functions), then the shared fragment
 * `common.sh` (logging, retries, the env-file writer), then the cloud's own part. The values are
 * names, ARNs and settings only: the script reads secrets itself at boot.
 *
 * The contract every cloud's script keeps: write `<app directory>/.env.db` (mode 0600, owned by the
 * app user) with the platform values and the database connection, then start the app's service.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { DatabaseEngine } from "../../config/database";

/** The env file the boot script writes in the app directory. */
export const ENV_FILE_NAME = ".env.db";

/** Env keys of the database connection and the field of the secret's JSON document each comes from. */
export const DB_ENV_FIELDS: Readonly<Record<string, string>> = {
    DB_HOST: "host",
    DB_PORT: "port",
    DB_NAME: "dbname",
    DB_USER: "username",
    DB_PASSWORD: "password",
};

/**
 * Env keys of the cache (`features.cache`) and the field each comes from: the connection document
 * holds the endpoint, the token's own secret the AUTH token. The cache requires TLS (`CACHE_TLS`).
 */
export const CACHE_ENV_FIELDS: Readonly<Record<string, string>> = {
    CACHE_HOST: "cacheHost",
    CACHE_PORT: "cachePort",
    CACHE_AUTH_TOKEN: "cacheAuthToken",
};

/** The field of the connection document that holds the ARN of the cache's AUTH token secret. */
export const CACHE_SECRET_FIELD = "cacheAuthSecretArn";

/** The keys of `DB_ENV_FIELDS` that come from the credentials (on AWS the RDS-managed secret). */
export const DB_CREDENTIAL_ENV: readonly string[] = ["DB_USER", "DB_PASSWORD"];

/**
 * The connection's env keys for an engine: `DB_ENV_FIELDS`, and `DB_ENGINE` (the document's
 * `engine`, `postgres`) for an engine other than MySQL, the default; without `DB_ENGINE` the
 * engine is MySQL, as it was before the key existed.
 */
export function dbEnvFields(engine: DatabaseEngine = "mysql"): Readonly<Record<string, string>> {
    return engine === "mysql" ? DB_ENV_FIELDS : { ...DB_ENV_FIELDS, DB_ENGINE: "engine" };
}

/** The StatsD port the metrics agent listens on (loopback only). */
export const STATSD_PORT = 8125;

/**
 * Reading a secret at boot: 45 attempts, waiting 2, 4, 8, 16 s, then 30 s forty times in between:
 * 1,230 s of sleeps (20.5 minutes, plus the reads' own time). On a first deploy the instances start
 * in parallel with the database, so the connection document has no version until the database
 * exists (RDS typically 7-10 minutes, up to about 15; Cloud SQL 8-12): the script polls that long
 * before it gives up. The health-check grace period covers the same wait
 * (`HEALTH_CHECK_GRACE_SECONDS` in components/aws/compute/asg.ts).
 */
export const SECRET_RETRY = { attempts: 45, initialDelaySeconds: 2, maxDelaySeconds: 30 } as const;

/** How the application is installed on the image (from the `app.*` config). */
export interface AppSettings {
    /** Unix user the service runs as; owns the env file. Default `webapp`. */
    readonly user: string;
    /** Install directory; the env file goes here. Default `/opt/webapp`. */
    readonly directory: string;
    /** systemd unit name without `.service`. Default `webapp`. */
    readonly serviceName: string;
    /** Port the application listens on. Default 80. */
    readonly port: number;
    /** `app.databaseEngine`: the env file's `DB_ENGINE` (`dbEnvFields`). Default `mysql`. */
    readonly databaseEngine?: DatabaseEngine;
}

/** The application's log directory: `/var/log/<service>`. */
export function appLogDirectory(app: Pick<AppSettings, "serviceName">): string {
    return `/var/log/${app.serviceName}`;
}

/** The file the application logs to and the agent ships: `/var/log/<service>/app.log`. */
export function appLogFile(app: Pick<AppSettings, "serviceName">): string {
    return `${appLogDirectory(app)}/app.log`;
}

/** The env keys every cloud writes besides the database connection. */
export function commonEnv(app: AppSettings): Record<string, string> {
    return {
        APP_PORT: String(app.port),
        LOG_FILE: appLogFile(app),
        STATSD_HOST: "127.0.0.1",
        STATSD_PORT: String(STATSD_PORT),
    };
}

/**
 * The header variables `common.sh` expects, and those every cloud's fragment shares: secret
 * retries, the app's user, directory, service and log directory, and the env file's name.
 */
export function commonVariables(app: AppSettings): Record<string, string | number> {
    return {
        SECRET_ATTEMPTS: SECRET_RETRY.attempts,
        RETRY_INITIAL_DELAY: SECRET_RETRY.initialDelaySeconds,
        RETRY_MAX_DELAY: SECRET_RETRY.maxDelaySeconds,
        APP_USER: app.user,
        APP_DIR: app.directory,
        ENV_FILE_NAME,
        SERVICE_NAME: app.serviceName,
        APP_LOG_DIR: appLogDirectory(app),
    };
}

/**
 * A refresh timer of `common.sh` (`install_refresh`, `refresh_env`): the script copies itself to
 * `command` and a systemd timer runs it with `refresh` every `seconds`. `subject` and `reason`
 * make the unit files' descriptions (`Re-read the webapp <subject> (<reason>)`).
 */
export interface RefreshTimer {
    readonly command: string;
    readonly unit: string;
    readonly seconds: number;
    readonly subject: string;
    readonly reason: string;
}

/** The header variables `common.sh`'s refresh timer expects. */
export function refreshVariables(timer: RefreshTimer): Record<string, string | number> {
    return {
        REFRESH_COMMAND: timer.command,
        REFRESH_UNIT: timer.unit,
        REFRESH_SECONDS: timer.seconds,
        REFRESH_SUBJECT: timer.subject,
        REFRESH_REASON: timer.reason,
    };
}

/** The `DB_ENV_FIELDS` array of the header: `NAME=field` pairs for `json_to_env`. */
export function dbEnvFieldPairs(engine?: DatabaseEngine, cache = false): string[] {
    return Object.entries({ ...dbEnvFields(engine), ...(cache ? CACHE_ENV_FIELDS : {}) }).map(
        ([key, field]) => `${key}=${field}`,
    );
}

/** A value quoted for bash (single quotes; embedded quotes escaped). */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * `KEY='value'` lines for an env file that both systemd (`EnvironmentFile=`) and dotenv readers
 * parse literally. Quotes and line breaks cannot be carried and are rejected.
 */
export function envLines(values: Record<string, string>): string {
    return Object.entries(values)
        .map(([key, value]) => {
            checkName(key);
            if (/['\r\n\0]/.test(value)) {
                throw new Error(`env value of ${key} contains a quote or a line break`);
            }
            return `${key}='${value}'`;
        })
        .join("\n");
}

/** What a boot script consists of, besides the shared fragment. */
export interface BootScript {
    /** First comment line, e.g. `webapp instance boot script (AWS)`. */
    readonly title: string;
    /** Shell variables set before any fragment runs. */
    readonly variables: Record<string, string | number>;
    /** Shell arrays set before any fragment runs. */
    readonly arrays?: Record<string, readonly string[]>;
    /** Functions that print fixed text (env lines, agent config), as `name() { cat <<'EOF' ... }`. */
    readonly documents: Record<string, string>;
    /** The cloud's own fragment in this folder, e.g. `aws.sh`; it runs after `common.sh`. */
    readonly fragment: string;
    /**
     * Optional fragments of this folder placed between `common.sh` and the cloud's own, e.g.
     * `aws-cache.sh`; they may redefine a `common.sh` function. Default: none.
     */
    readonly extensions?: readonly string[];
    /** Extra comment lines for the header (not executed). */
    readonly notes?: readonly string[];
}

const HEREDOC_END = "WEBAPP_DOCUMENT_END";

/** Reads a fragment from this folder. */
export function fragment(file: string): string {
    return readFileSync(path.join(__dirname, file), "utf8");
}

/** The whole script: header, `common.sh`, then the cloud's fragment. */
export function renderBootScript(script: BootScript): string {
    const variables = Object.entries(script.variables).map(([name, value]) => {
        checkName(name);
        return `${name}=${shellQuote(checkValue(name, String(value)))}`;
    });
    const arrays = Object.entries(script.arrays ?? {}).map(([name, values]) => {
        checkName(name);
        return `${name}=(${values.map((v) => shellQuote(checkValue(name, v))).join(" ")})`;
    });
    const documents = Object.entries(script.documents).map(([name, text]) => {
        if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
            throw new Error(`boot script document name ${JSON.stringify(name)} is not a shell function name`);
        }
        if (text.split("\n").includes(HEREDOC_END)) {
            throw new Error(`boot script document ${name} contains the line ${HEREDOC_END}`);
        }
        return `${name}() {\n    cat <<'${HEREDOC_END}'\n${text}\n${HEREDOC_END}\n}`;
    });
    const header = [
        "#!/bin/bash",
        // An extension redefines a common.sh function, whose first definition is then never called.
        ...((script.extensions ?? []).length > 0 ? ["# shellcheck disable=SC2317"] : []),
        `# ${script.title}, rendered by the webapp-infra program.`,
        "# It holds names, ARNs and settings only: secrets are read at boot, never written here.",
        ...(script.notes ?? []).map((note) => `# ${checkValue("note", note)}`),
        "set -euo pipefail",
        "",
        "# The filesystem root the script writes under: empty on an instance (tests point it elsewhere).",
        'ROOT="${WEBAPP_ROOT:-}"',
        ...variables,
        ...arrays,
        "",
        ...documents.flatMap((d) => [d, ""]),
    ].join("\n");
    return [
        header,
        fragment("common.sh"),
        ...(script.extensions ?? []).map((file) => fragment(file)),
        fragment(script.fragment),
    ].join("\n");
}

function checkName(name: string): void {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) {
        throw new Error(`${JSON.stringify(name)} is not an upper-case shell variable name`);
    }
}

function checkValue(name: string, value: string): string {
    if (/[\r\n\0]/.test(value)) {
        throw new Error(`boot script value ${name} contains a line break`);
    }
    return value;
}
