/**
 * The database engines the platform runs (`app.databaseEngine`): one engine for both clouds, since
 * the application is one image. Each engine's default version and the versions it accepts
 * (`aws.db.engineVersion`), read by the schema's rules and by the database tiers.
 */

export const DATABASE_ENGINES = ["mysql", "postgres"] as const;
export type DatabaseEngine = (typeof DATABASE_ENGINES)[number];

export interface EngineVersionRule {
    /** The engine's name in messages and docs. */
    readonly label: string;
    /** `aws.db.engineVersion` when unset. */
    readonly defaultVersion: string;
    /** The versions accepted for the engine (RDS's `engineVersion`). */
    readonly pattern: RegExp;
    /** What a version of the engine looks like, for messages. */
    readonly what: string;
}

export const ENGINE_VERSIONS: Readonly<Record<DatabaseEngine, EngineVersionRule>> = {
    mysql: { label: "MySQL", defaultVersion: "8.4.8", pattern: /^8\.\d+(\.\d+)?$/, what: "a MySQL 8 version (8.4.8)" },
    postgres: {
        label: "PostgreSQL",
        defaultVersion: "16.9",
        pattern: /^16\.\d+$/,
        what: "a PostgreSQL 16 version (16.9)",
    },
};

/** Any engine's version, before the engine's own rule (`engineVersionProblem`). */
export const ANY_ENGINE_VERSION = /^\d+\.\d+(\.\d+)?$/;

/** The engine whose versions `version` looks like, if any. */
export function engineOfVersion(version: string): DatabaseEngine | undefined {
    return DATABASE_ENGINES.find((engine) => ENGINE_VERSIONS[engine].pattern.test(version));
}

/**
 * Why `version` cannot run `engine` (a message for `aws.db.engineVersion`), or undefined when it
 * can: another engine's version names `app.databaseEngine`, anything else the engine's own form.
 */
export function engineVersionProblem(engine: DatabaseEngine, version: string): string | undefined {
    const rule = ENGINE_VERSIONS[engine];
    if (rule.pattern.test(version)) {
        return undefined;
    }
    const other = engineOfVersion(version);
    if (other !== undefined) {
        return (
            `is a ${ENGINE_VERSIONS[other].label} version, but app.databaseEngine is ${engine}: ` +
            `use ${rule.what}, or unset it for the default ${rule.defaultVersion}`
        );
    }
    return `is not ${rule.what} (app.databaseEngine is ${engine})`;
}
