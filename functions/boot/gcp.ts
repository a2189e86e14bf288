/**
 * The Compute Engine startup script: reads the database secret from Secret Manager (with retries)
 * through its REST API with the instance's access token, writes the app's env file, configures the
 * Ops Agent, starts the StatsD exporter when the image has one, (re)starts the app's service, and
 * installs a timer that re-reads the secret's latest version and restarts the service when the
 * connection changed (`CONNECTION_REFRESH`).
 *
 * Why `curl` and not `gcloud secrets versions access`: `curl` and `python3` are part of every
 * Ubuntu image, while the Google Cloud CLI is a snap that Packer builds may drop and that takes
 * seconds to start; the metadata server hands out the service account's token over plain HTTP.
 *
 * StatsD on GCP: the Ops Agent has no StatsD receiver. The image runs Prometheus'
 * `statsd_exporter` (unit `statsd-exporter.service`) on the same loopback port the app sends to on
 * AWS, and the Ops Agent scrapes its Prometheus endpoint, so the app's metrics reach Cloud
 * Monitoring (as `prometheus.googleapis.com/...`) with the same env keys and no code change.
 */
import { stringify } from "yaml";
import {
    appLogFile,
    commonEnv,
    commonVariables,
    dbEnvFieldPairs,
    envLines,
    renderBootScript,
    type AppSettings,
    refreshVariables,
    type RefreshTimer,
} from "./render";

/** Where the Ops Agent reads its user config (merged with its built-in config). */
export const OPS_AGENT_CONFIG = "/etc/google-cloud-ops-agent/config.yaml";
/** The Ops Agent's systemd unit (it restarts its sub-agents). */
export const OPS_AGENT_SERVICE = "google-cloud-ops-agent";
/** The image's StatsD-to-Prometheus bridge: UDP 127.0.0.1:8125 in, Prometheus metrics out. */
export const STATSD_EXPORTER_SERVICE = "statsd-exporter";
/** Where `statsd_exporter` serves its Prometheus metrics (loopback only). */
export const STATSD_EXPORTER_METRICS_PORT = 9102;

/**
 * The connection refresh (`RefreshTimer`): a new connection document (a new password or database
 * address) reaches every instance within about a minute without rolling the group (the template
 * names no version of the secret).
 */
export const CONNECTION_REFRESH = {
    command: "/usr/local/libexec/webapp-db-connection",
    unit: "webapp-db-connection",
    seconds: 60,
    subject: "database connection",
    reason: "a new connection document in Secret Manager",
} as const satisfies RefreshTimer;

/** The metadata server's token endpoint for the instance's service account. */
export const METADATA_TOKEN_URL =
    "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token";
export const SECRET_MANAGER_URL = "https://secretmanager.googleapis.com";

export interface GcpBootParams {
    /** The project id (`GOOGLE_CLOUD_PROJECT` in the env file). */
    readonly project: string;
    /**
     * The database secret, `projects/<project>/secrets/<id>`; its latest version is read, retried
     * while it has none (`SECRET_RETRY`: on a first deploy the instances boot before Cloud SQL
     * exists). No version is named, so the instance template does not wait for the database; the
     * refresh timer (`CONNECTION_REFRESH`) brings a new version to the running instances.
     */
    readonly dbSecretId: string;
    /** The application bucket (`GCS_BUCKET_NAME`). */
    readonly bucketName: string;
    /** The registration topic, `projects/<project>/topics/<id>`; absent: no `PUBSUB_TOPIC`. */
    readonly registrationTopic?: string;
    /** How the application is installed on the image (`app.*`). */
    readonly app: AppSettings;
    /**
     * The cache (`features.cache`): its address, port and CA are deploy-time values in the env
     * file (`CACHE_HOST`, `CACHE_PORT`, `CACHE_TLS`, `CACHE_CA_FILE`, the CA written beside it);
     * its AUTH string is read at boot from its own secret (`CACHE_AUTH_TOKEN`). Default: none.
     */
    readonly cache?: GcpBootCache;
    /**
     * IAM database authentication (`gcp.db.iamAuth`): the script writes and starts the Cloud SQL
     * Auth Proxy's unit (`--auto-iam-authn`, on loopback) before the application, and the env
     * file gets no `DB_PASSWORD` (the connection document has none) and `DB_IAM_AUTH=true`.
     * Default: none (the password from the document).
     */
    readonly iamAuth?: GcpBootIamAuth;
    /**
     * The Google endpoints the script calls. Default `METADATA_TOKEN_URL` and `SECRET_MANAGER_URL`;
     * tests point them at loopback fakes.
     */
    readonly endpoints?: { readonly metadataTokenUrl: string; readonly secretManagerUrl: string };
}

/** The cache as the startup script needs it (`features.cache`). */
export interface GcpBootCache {
    readonly host: string;
    readonly port: number;
    /** `projects/<project>/secrets/<id>`: the secret that holds the AUTH string alone. */
    readonly authSecretId: string;
    /** The instance's server CA (PEM): written to `cacheCaFile(app)`, mode 0644. */
    readonly caCertificate: string;
}

/** The Cloud SQL Auth Proxy as the startup script runs it (`gcp.db.iamAuth`). */
export interface GcpBootIamAuth {
    /** `project:region:instance`. */
    readonly connectionName: string;
    /** The port the proxy listens on at 127.0.0.1: the engine's (the document's `port`). */
    readonly port: number;
}

/** The proxy's binary on the image (Google's release, `cloud-sql-proxy` v2) and its systemd unit. */
export const CLOUD_SQL_PROXY_BINARY = "/usr/local/bin/cloud-sql-proxy";
export const CLOUD_SQL_PROXY_SERVICE = "cloud-sql-proxy";
export const CLOUD_SQL_PROXY_UNIT = `/etc/systemd/system/${CLOUD_SQL_PROXY_SERVICE}.service`;

/**
 * The proxy's unit: IAM authentication as the instance's service account (`--auto-iam-authn`),
 * Cloud SQL's private address, listening on loopback only, restarted when it stops, started
 * before the application.
 */
export function cloudSqlProxyUnit(iam: GcpBootIamAuth, app: Pick<AppSettings, "serviceName">): string {
    return [
        "[Unit]",
        "Description=Cloud SQL Auth Proxy (IAM database authentication)",
        "Wants=network-online.target",
        "After=network-online.target",
        `Before=${app.serviceName}.service`,
        "",
        "[Service]",
        `ExecStart=${CLOUD_SQL_PROXY_BINARY} --auto-iam-authn --private-ip --address 127.0.0.1 --port ${iam.port} ${iam.connectionName}`,
        "Restart=always",
        "RestartSec=5",
        "DynamicUser=yes",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
    ].join("\n");
}

/** Where the cache's CA certificate is written: `<app directory>/cache-ca.pem`. */
export function cacheCaFile(app: Pick<AppSettings, "directory">): string {
    return `${app.directory}/cache-ca.pem`;
}

/** The env keys the GCP script writes besides the database connection, in file order. */
export function gcpPlatformEnv(p: GcpBootParams): Record<string, string> {
    return {
        ...commonEnv(p.app),
        GOOGLE_CLOUD_PROJECT: p.project,
        GCS_BUCKET_NAME: p.bucketName,
        ...(p.registrationTopic === undefined ? {} : { PUBSUB_TOPIC: p.registrationTopic }),
        ...(p.iamAuth === undefined ? {} : { DB_IAM_AUTH: "true" }),
        ...(p.cache === undefined
            ? {}
            : {
                  CACHE_HOST: p.cache.host,
                  CACHE_PORT: String(p.cache.port),
                  CACHE_TLS: "true",
                  CACHE_CA_FILE: cacheCaFile(p.app),
              }),
    };
}

/**
 * The Ops Agent config, merged with the agent's built-in one (which already collects host metrics
 * and syslog): the app log file shipped to Cloud Logging, and the StatsD exporter scraped every
 * minute in a pipeline of its own (the Prometheus receiver cannot share one).
 */
export function opsAgentConfig(p: Pick<GcpBootParams, "app">) {
    return {
        logging: {
            receivers: {
                webapp_app: { type: "files", include_paths: [appLogFile(p.app)], record_log_file_path: true },
            },
            service: { pipelines: { webapp_app: { receivers: ["webapp_app"] } } },
        },
        metrics: {
            receivers: {
                webapp_statsd: {
                    type: "prometheus",
                    config: {
                        scrape_configs: [
                            {
                                job_name: "webapp-statsd",
                                scrape_interval: "60s",
                                static_configs: [{ targets: [`127.0.0.1:${STATSD_EXPORTER_METRICS_PORT}`] }],
                            },
                        ],
                    },
                },
            },
            service: { pipelines: { webapp_statsd: { receivers: ["webapp_statsd"] } } },
        },
    };
}

/** The startup script (the instance template's `startup-script` metadata). */
export function renderGcpBootScript(p: GcpBootParams): string {
    return renderBootScript({
        title: "webapp instance startup script (GCP)",
        variables: {
            DB_SECRET_ID: p.dbSecretId,
            METADATA_TOKEN_URL: p.endpoints?.metadataTokenUrl ?? METADATA_TOKEN_URL,
            SECRET_MANAGER_URL: p.endpoints?.secretManagerUrl ?? SECRET_MANAGER_URL,
            ...commonVariables(p.app),
            OPS_AGENT_CONFIG,
            OPS_AGENT_SERVICE,
            STATSD_EXPORTER_SERVICE,
            ...refreshVariables(CONNECTION_REFRESH),
            ...(p.cache === undefined
                ? {}
                : { CACHE_SECRET_ID: p.cache.authSecretId, CACHE_CA_FILE: cacheCaFile(p.app) }),
            ...(p.iamAuth === undefined ? {} : { CLOUD_SQL_PROXY_SERVICE, CLOUD_SQL_PROXY_UNIT }),
        },
        arrays: {
            // With IAM authentication the document has no password (the proxy logs in as the account).
            DB_ENV_FIELDS: dbEnvFieldPairs(p.app.databaseEngine).filter(
                (pair) => p.iamAuth === undefined || !pair.startsWith("DB_PASSWORD="),
            ),
        },
        documents: {
            platform_env: envLines(gcpPlatformEnv(p)),
            ops_agent_config: stringify(opsAgentConfig(p)).trimEnd(),
            ...(p.cache === undefined ? {} : { cache_ca_certificate: p.cache.caCertificate.trimEnd() }),
            ...(p.iamAuth === undefined ? {} : { cloud_sql_proxy_unit: cloudSqlProxyUnit(p.iamAuth, p.app) }),
        },
        ...(p.cache === undefined && p.iamAuth === undefined
            ? {}
            : {
                  extensions: [
                      ...(p.cache === undefined ? [] : ["gcp-cache.sh"]),
                      ...(p.iamAuth === undefined ? [] : ["gcp-sql-proxy.sh"]),
                  ],
              }),
        fragment: "gcp.sh",
    });
}
