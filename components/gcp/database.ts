import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { DatabaseEngine } from "../../config/database";
import { DATA_PORTS } from "../shared/dataPorts";
import type { DatabaseOutputs } from "../shared/types";
import type { Kms } from "./kms";
import type { Network } from "./network";
import type { Secrets } from "./secrets";


/**
 * How connections must be encrypted: TLS for every connection, without client certificates. The
 * application authenticates with the password from the secret, as on AWS (RDS with
 * `require_secure_transport`); requiring client certificates would add another long-lived secret
 * to distribute to every instance, and the server is reachable only from the VPC anyway.
 */
export const SSL_MODE = "ENCRYPTED_ONLY";

/** How Cloud SQL runs one engine of `app.databaseEngine`. */
export interface CloudSqlEngineSpec {
    readonly engine: DatabaseEngine;
    readonly label: string;
    /** Cloud SQL's `databaseVersion`. */
    readonly databaseVersion: string;
    /** The server's port (`DATA_PORTS`). */
    readonly port: number;
    /** Server flags (TLS is the instance's `sslMode`, `SSL_MODE`). */
    readonly flags: ReadonlyArray<{ name: string; value: string }>;
    /** The flag that turns IAM database authentication on (`gcp.db.iamAuth`); its name differs per engine. */
    readonly iamAuthFlag: string;
    /** The application database's character set and collation (Cloud SQL's defaults where absent). */
    readonly charset?: string;
    readonly collation?: string;
}

export const CLOUD_SQL_ENGINES: Readonly<Record<DatabaseEngine, CloudSqlEngineSpec>> = {
    mysql: {
        engine: "mysql",
        label: "MySQL",
        databaseVersion: "MYSQL_8_4",
        port: DATA_PORTS.mysql.port,
        // Slow queries logged (to Cloud Logging), no client-side file loads (CIS).
        flags: [
            { name: "slow_query_log", value: "on" },
            { name: "long_query_time", value: "2" },
            { name: "local_infile", value: "off" },
        ],
        iamAuthFlag: "cloudsql_iam_authentication",
        charset: "utf8mb4",
        collation: "utf8mb4_0900_ai_ci",
    },
    postgres: {
        engine: "postgres",
        label: "PostgreSQL",
        databaseVersion: "POSTGRES_16",
        port: DATA_PORTS.postgres.port,
        // Schema changes, connections (with client host names), statement durations, checkpoints,
        // lock waits and temporary files logged, errors
        // with their statements, pgAudit available; statement texts (which may hold data) are not
        // logged by duration (CIS for Cloud SQL for PostgreSQL): Query Insights shows slow queries.
        flags: [
            { name: "log_min_duration_statement", value: "-1" },
            { name: "log_statement", value: "ddl" },
            { name: "log_connections", value: "on" },
            { name: "log_disconnections", value: "on" },
            { name: "log_duration", value: "on" },
            { name: "log_hostname", value: "on" },
            { name: "log_checkpoints", value: "on" },
            { name: "log_lock_waits", value: "on" },
            { name: "log_temp_files", value: "0" },
            { name: "log_min_error_statement", value: "error" },
            { name: "log_min_messages", value: "warning" },
            { name: "cloudsql.enable_pgaudit", value: "on" },
        ],
        iamAuthFlag: "cloudsql.iam_authentication",
        charset: "UTF8",
        collation: "en_US.UTF8",
    },
};

/** The project roles an IAM database user needs: log in (`instanceUser`) and connect through the Auth Proxy (`client`). */
export const IAM_LOGIN_ROLES: readonly string[] = ["roles/cloudsql.instanceUser", "roles/cloudsql.client"];

/** Where the application reaches the database with IAM authentication: the Auth Proxy on loopback. */
export const AUTH_PROXY_HOST = "127.0.0.1";

/**
 * The database user name Cloud SQL gives a service account (`CLOUD_IAM_SERVICE_ACCOUNT`): MySQL
 * keeps the part before `@` (its user names are at most 32 characters), PostgreSQL the e-mail
 * without `.gserviceaccount.com`. E.g. `dev-app-vm@p.iam.gserviceaccount.com` -> MySQL
 * `dev-app-vm`, PostgreSQL `dev-app-vm@p.iam`.
 */
export function iamDatabaseUser(engine: DatabaseEngine, serviceAccountEmail: string): string {
    const match = /^([^@]+)@(.+)\.gserviceaccount\.com$/.exec(serviceAccountEmail);
    if (match === null) {
        throw new Error(`iamDatabaseUser: ${JSON.stringify(serviceAccountEmail)} is not a service account e-mail`);
    }
    return engine === "mysql" ? match[1] : `${match[1]}@${match[2]}`;
}

/** The instance's flags: the engine's, and its IAM authentication flag when `iamAuth` is on. */
export function databaseFlags(engine: DatabaseEngine, iamAuth: boolean): Array<{ name: string; value: string }> {
    const spec = CLOUD_SQL_ENGINES[engine];
    return [...spec.flags.map((flag) => ({ ...flag })), ...(iamAuth ? [{ name: spec.iamAuthFlag, value: "on" }] : [])];
}

/** Storage grows automatically up to this multiple of the initial size. */
export const DISK_AUTORESIZE_LIMIT_FACTOR = 5;

/** Cloud SQL for MySQL keeps at most 7 days of binary logs for point-in-time recovery (Enterprise). */
export const MAX_TRANSACTION_LOG_DAYS = 7;

/**
 * The Cloud SQL edition a tier needs: the `db-perf-optimized-N-*` tiers exist only in Enterprise
 * Plus; shared-core (`db-f1-micro`, `db-g1-small`) and custom tiers only in Enterprise. Stated
 * explicitly because the API's default depends on the version.
 */
export function editionFor(tier: string): "ENTERPRISE" | "ENTERPRISE_PLUS" {
    return tier.startsWith("db-perf-optimized-") ? "ENTERPRISE_PLUS" : "ENTERPRISE";
}

/**
 * Daily automated backups kept for `retentionDays`, and the logs of point-in-time recovery for as
 * much of that window as Cloud SQL allows.
 */
export function backupConfiguration(engine: DatabaseEngine, retentionDays: number) {
    return {
        enabled: true,
        // MySQL recovers to a point in time from binary logs; PostgreSQL from its write-ahead log.
        ...(engine === "mysql" ? { binaryLogEnabled: true } : { pointInTimeRecoveryEnabled: true }),
        startTime: "03:00",
        transactionLogRetentionDays: Math.min(MAX_TRANSACTION_LOG_DAYS, retentionDays),
        backupRetentionSettings: { retainedBackups: retentionDays, retentionUnit: "COUNT" },
    };
}

export interface DatabaseArgs {
    /** The VPC and its private services access (the instance gets a private address only). */
    network: Pick<Network, "networkId" | "privateServicesRangeName" | "privateServicesConnection">;
    /** The platform keys: storage and backups are encrypted with the Cloud SQL key. */
    kms: Pick<Kms, "keyIds" | "agentGrants">;
    /**
     * IAM database authentication (`gcp.db.iamAuth`): the application's service account (its
     * e-mail, fixed by its id) logs in as a `CLOUD_IAM_SERVICE_ACCOUNT` user through the Auth
     * Proxy, and the connection document names that user at the proxy's address, without a
     * password. The built-in user and its generated password stay (for the one-time GRANT).
     * Default: none (the application uses the password).
     */
    iamAuth?: { projectId: string; serviceAccountEmail: string };
    /** Supplies the generated password and the secret this tier fills with the connection document. */
    secrets: Pick<Secrets, "databasePassword" | "databaseSecret">;
    /** `app.databaseEngine`: `mysql` (default, MySQL 8.4) or `postgres` (PostgreSQL 16). */
    engine: DatabaseEngine;
    /** Region of the instance (the key's region). Default from `gcp.region`: us-east1. */
    region: string;
    /** Machine tier. Default from `gcp.db.tier`: `db-g1-small`. */
    tier: string;
    /** GB at creation (grows automatically). Default from `gcp.db.diskSizeGb`: 20. */
    diskSizeGb: number;
    /** A standby in a second zone (REGIONAL). Default from `gcp.db.highAvailability`: false. */
    highAvailability: boolean;
    /** Days of automated backups. Default from `gcp.db.backupRetentionDays`: 7. */
    backupRetentionDays: number;
    /** Refuse deletion, in Pulumi and in the Cloud SQL API. Default from `gcp.db.deletionProtection`: off in dev, on elsewhere. */
    deletionProtection: boolean;
    /** Keep the automated backups after the instance is deleted. Default: outside dev. */
    retainBackupsOnDelete: boolean;
    /** The application's database and user. Defaults `webapp` / `webapp` (from `app.databaseName` / `app.databaseUser`). */
    databaseName: string;
    username: string;
    /**
     * A cross-region read replica (`gcp.dr.region`): its region and the DR key ring's Cloud SQL key
     * with the agent's grant on it. Default: none.
     */
    replica?: ReplicaArgs;
}

/** Where the read replica lives and what encrypts it. */
export interface ReplicaArgs {
    /** The DR region, e.g. `us-west1`. */
    region: string;
    /** A Cloud SQL key in `region` (`DrKms.keyIds.sql`). */
    keyId: pulumi.Input<string>;
    /** The Cloud SQL agent's grant on that key (Cloud SQL checks it on create). */
    keyGrant: pulumi.Resource;
}

/**
 * Backups of a read replica: Cloud SQL takes no automated backups of replicas (the primary's are
 * the backups). A MySQL replica keeps its binary logs on, so a promoted replica can serve replicas
 * of its own and gets point-in-time recovery once backups are turned on after the promotion;
 * PostgreSQL's write-ahead log needs no setting for that.
 */
export function replicaBackupConfiguration(engine: DatabaseEngine) {
    return engine === "mysql" ? { enabled: false, binaryLogEnabled: true } : { enabled: false };
}

/**
 * Cloud SQL for MySQL 8.4 or PostgreSQL 16 (`engine`) with a private address in the VPC only (no public IPv4), encrypted with
 * the Cloud SQL key, TLS required, daily backups with binary logs for point-in-time recovery, and
 * deletion protection. Creates the application's database and user and writes the connection
 * document into the database secret.
 */
export class Database extends pulumi.ComponentResource implements DatabaseOutputs {
    /** With `iamAuth`: the application's database user name (`iamDatabaseUser`). */
    public readonly iamUser?: string;
    /** The instance's private IP address. */
    public readonly host: pulumi.Output<string>;
    public readonly port: pulumi.Output<number>;
    public readonly databaseName: string;
    public readonly instanceName: pulumi.Output<string>;
    /** `project:region:instance`, for the Cloud SQL connectors and Auth Proxy. */
    public readonly connectionName: pulumi.Output<string>;
    /** Resolves once the connection document is in the secret (instances must not boot before). */
    public readonly credentialsVersionId: pulumi.Output<string>;
    /** The cross-region read replica's name and connection name, with `replica` only. */
    public readonly replica?: {
        readonly instanceName: pulumi.Output<string>;
        readonly connectionName: pulumi.Output<string>;
    };

    private readonly baseName: string;
    private readonly iamAuth?: { projectId: string; serviceAccountEmail: string };
    private readonly instance: gcp.sql.DatabaseInstance;

    constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:gcp:Database", name, {}, opts);
        const engine = CLOUD_SQL_ENGINES[args.engine];
        this.baseName = name;
        this.iamAuth = args.iamAuth;
        this.iamUser = args.iamAuth && iamDatabaseUser(args.engine, args.iamAuth.serviceAccountEmail);

        // What the primary and its replica share: machine, disk, private address only, TLS, flags.
        const common = {
            tier: args.tier,
            edition: editionFor(args.tier),
            diskType: "PD_SSD",
            diskSize: args.diskSizeGb,
            diskAutoresize: true,
            diskAutoresizeLimit: args.diskSizeGb * DISK_AUTORESIZE_LIMIT_FACTOR,
            deletionProtectionEnabled: args.deletionProtection,
            ipConfiguration: {
                ipv4Enabled: false,
                privateNetwork: args.network.networkId,
                allocatedIpRange: args.network.privateServicesRangeName,
                sslMode: SSL_MODE,
                enablePrivatePathForGoogleCloudServices: false,
            },
            maintenanceWindow: { day: 7, hour: 4, updateTrack: "stable" },
            databaseFlags: databaseFlags(args.engine, args.iamAuth !== undefined),
            insightsConfig: { queryInsightsEnabled: true, recordClientAddress: false },
        };
        const instance = new gcp.sql.DatabaseInstance(
            `${name}-${engine.engine}`,
            {
                databaseVersion: engine.databaseVersion,
                region: args.region,
                encryptionKeyName: args.kms.keyIds.sql,
                deletionProtection: args.deletionProtection,
                settings: {
                    ...common,
                    availabilityType: args.highAvailability ? "REGIONAL" : "ZONAL",
                    retainBackupsOnDelete: args.retainBackupsOnDelete,
                    backupConfiguration: backupConfiguration(args.engine, args.backupRetentionDays),
                },
            },
            {
                parent: this,
                // The private address comes from the peering; the key must be usable by Cloud SQL's agent.
                dependsOn: [args.network.privateServicesConnection, args.kms.agentGrants.sql],
            },
        );

        const database = new gcp.sql.Database(
            `${name}-db`,
            {
                instance: instance.name,
                name: args.databaseName,
                charset: engine.charset,
                collation: engine.collation,
            },
            { parent: this },
        );
        const user = new gcp.sql.User(
            `${name}-user`,
            {
                instance: instance.name,
                name: args.username,
                // MySQL users are per host; PostgreSQL's have none.
                host: engine.engine === "mysql" ? "%" : undefined,
                password: args.secrets.databasePassword,
            },
            { parent: this },
        );

        const credentials = new gcp.secretmanager.SecretVersion(
            `${name}-credentials`,
            {
                secret: args.secrets.databaseSecret.id,
                secretData: pulumi.secret(
                    this.iamUser === undefined
                        ? pulumi.jsonStringify({
                              engine: engine.engine,
                              host: instance.privateIpAddress,
                              port: engine.port,
                              dbname: database.name,
                              username: user.name,
                              password: args.secrets.databasePassword,
                          })
                        : // IAM authentication: the proxy's address and the account's user, no password.
                          pulumi.jsonStringify({
                              engine: engine.engine,
                              host: AUTH_PROXY_HOST,
                              port: engine.port,
                              dbname: database.name,
                              username: this.iamUser,
                          }),
                ),
            },
            { parent: this },
        );

        if (args.replica !== undefined) {
            // The replica copies the primary's data, database and users; after a promotion it is
            // standalone (README, "Promoting the Cloud SQL replica").
            const replica = new gcp.sql.DatabaseInstance(
                `${name}-replica`,
                {
                    databaseVersion: engine.databaseVersion,
                    region: args.replica.region,
                    masterInstanceName: instance.name,
                    encryptionKeyName: args.replica.keyId,
                    deletionProtection: args.deletionProtection,
                    settings: {
                        ...common,
                        availabilityType: "ZONAL",
                        backupConfiguration: replicaBackupConfiguration(args.engine),
                    },
                },
                { parent: this, dependsOn: [args.network.privateServicesConnection, args.replica.keyGrant] },
            );
            this.replica = { instanceName: replica.name, connectionName: replica.connectionName };
        }

        this.instance = instance;
        this.host = instance.privateIpAddress;
        this.port = pulumi.output(engine.port);
        this.databaseName = args.databaseName;
        this.instanceName = instance.name;
        this.connectionName = instance.connectionName;
        this.credentialsVersionId = credentials.name;
        this.registerOutputs({
            host: this.host,
            port: this.port,
            instanceName: this.instanceName,
            connectionName: this.connectionName,
            replica: this.replica,
        });
    }

    /**
     * With `iamAuth`: lets `account` (the application's service account, the one `iamAuth` names)
     * log in with IAM database authentication: its `CLOUD_IAM_SERVICE_ACCOUNT` user and the
     * project roles `IAM_LOGIN_ROLES`. Named `${name}-iam-<role>...`. Without `iamAuth`: nothing.
     * The user has no privileges until a built-in user GRANTs them (README).
     */
    grantIamLogin(role: string, account: gcp.serviceaccount.Account): pulumi.Resource[] {
        if (this.iamAuth === undefined || this.iamUser === undefined) {
            return [];
        }
        const { projectId, serviceAccountEmail } = this.iamAuth;
        const user = new gcp.sql.User(
            `${this.baseName}-iam-${role}`,
            { instance: this.instance.name, name: this.iamUser, type: "CLOUD_IAM_SERVICE_ACCOUNT" },
            {
                parent: this,
                // The user is the account: it must exist, and be the account the document names.
                dependsOn: [account],
            },
        );
        const email = pulumi.output(account.email).apply((actual) => {
            if (actual !== serviceAccountEmail) {
                throw new Error(
                    `Database.grantIamLogin: the account is ${actual}, but the connection document names ${serviceAccountEmail}`,
                );
            }
            return actual;
        });
        const roles = IAM_LOGIN_ROLES.map(
            (r) =>
                new gcp.projects.IAMMember(
                    `${this.baseName}-iam-${role}-${r.split(".").pop()}`,
                    { project: projectId, role: r, member: pulumi.interpolate`serviceAccount:${email}` },
                    { parent: this },
                ),
        );
        return [user, ...roles];
    }
}
