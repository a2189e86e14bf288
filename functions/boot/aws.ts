/**
 * The EC2 user data: reads the database connection document and the RDS-managed credentials it
 * names from Secrets Manager (with retries), writes the app's env file, configures and starts the
 * CloudWatch agent, (re)starts the app's service, and installs a timer that re-reads the
 * credentials (RDS rotates the password) and restarts the service when they changed.
 */
import {
    appLogFile,
    CACHE_SECRET_FIELD,
    commonEnv,
    commonVariables,
    dbEnvFieldPairs,
    envLines,
    renderBootScript,
    STATSD_PORT,
    type AppSettings,
    refreshVariables,
    type RefreshTimer,
} from "./render";

/** The field of the connection document that holds the ARN of the RDS-managed credentials secret. */
export const CREDENTIALS_FIELD = "credentialsSecretArn";

/** The credentials refresh (`RefreshTimer`): a rotated password reaches the app within a minute. */
export const CREDENTIALS_REFRESH = {
    command: "/usr/local/libexec/webapp-db-credentials",
    unit: "webapp-db-credentials",
    seconds: 60,
    subject: "database credentials",
    reason: "RDS rotates the password",
} as const satisfies RefreshTimer;

/** Where the CloudWatch agent reads its config (the path `amazon-cloudwatch-agent-ctl` is given). */
export const CW_AGENT_CONFIG = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json";

export interface AwsBootParams {
    /** The stack's region (the secret is read there; `AWS_REGION` in the env file). */
    readonly region: string;
    /**
     * ARN of the secret holding the connection document (engine, host, port, dbname and the ARN of
     * the RDS-managed credentials secret; no password).
     */
    readonly dbSecretId: string;
    /** The application bucket (`S3_BUCKET_NAME`). */
    readonly bucketName: string;
    /** ARN of the registration topic; absent: no `SNS_TOPIC_ARN` in the env file. */
    readonly registrationTopicArn?: string;
    /** How the application is installed on the image (`app.*`). */
    readonly app: AppSettings;
    /** Log group the agent ships the app log to. */
    readonly logGroupName: string;
    /** CloudWatch namespace of the agent's metrics (StatsD, memory, disk). */
    readonly metricsNamespace: string;
    /**
     * The cache is on (`features.cache`): the script also reads the AUTH token's secret that the
     * connection document names and writes `CACHE_HOST`, `CACHE_PORT`, `CACHE_AUTH_TOKEN` and
     * `CACHE_TLS`. Default false.
     */
    readonly cache?: boolean;
}

/** The env keys the AWS script writes besides the database connection, in file order. */
export function awsPlatformEnv(p: AwsBootParams): Record<string, string> {
    return {
        ...commonEnv(p.app),
        AWS_REGION: p.region,
        AWS_DEFAULT_REGION: p.region,
        S3_BUCKET_NAME: p.bucketName,
        ...(p.registrationTopicArn === undefined ? {} : { SNS_TOPIC_ARN: p.registrationTopicArn }),
        ...(p.cache ? { CACHE_TLS: "true" } : {}),
    };
}

/**
 * The CloudWatch agent config: StatsD on 127.0.0.1:8125, memory and root-disk use, all in the
 * platform's namespace with per-instance and per-group dimensions, and the app log shipped to its
 * log group (one stream per instance).
 */
export function cloudWatchAgentConfig(p: Pick<AwsBootParams, "app" | "logGroupName" | "metricsNamespace">) {
    return {
        agent: { metrics_collection_interval: 60 },
        logs: {
            logs_collected: {
                files: {
                    collect_list: [
                        {
                            file_path: appLogFile(p.app),
                            log_group_name: p.logGroupName,
                            log_stream_name: "{instance_id}",
                            timezone: "UTC",
                        },
                    ],
                },
            },
        },
        metrics: {
            namespace: p.metricsNamespace,
            append_dimensions: {
                AutoScalingGroupName: "${aws:AutoScalingGroupName}",
                InstanceId: "${aws:InstanceId}",
            },
            aggregation_dimensions: [["AutoScalingGroupName"]],
            metrics_collected: {
                statsd: {
                    service_address: `127.0.0.1:${STATSD_PORT}`,
                    metrics_collection_interval: 10,
                    metrics_aggregation_interval: 60,
                },
                mem: { measurement: ["mem_used_percent"] },
                disk: { measurement: ["used_percent"], resources: ["/"] },
            },
        },
    };
}

/** The user data script (plain text; the launch template takes it base64-encoded). */
export function renderAwsBootScript(p: AwsBootParams): string {
    return renderBootScript({
        title: "webapp instance boot script (AWS)",
        variables: {
            REGION: p.region,
            DB_SECRET_ID: p.dbSecretId,
            CREDENTIALS_FIELD,
            ...(p.cache ? { CACHE_SECRET_FIELD } : {}),
            ...commonVariables(p.app),
            CW_AGENT_CONFIG,
            ...refreshVariables(CREDENTIALS_REFRESH),
        },
        arrays: { DB_ENV_FIELDS: dbEnvFieldPairs(p.app.databaseEngine, p.cache === true) },
        documents: {
            platform_env: envLines(awsPlatformEnv(p)),
            cloudwatch_agent_config: JSON.stringify(cloudWatchAgentConfig(p), null, 2),
        },
        fragment: "aws.sh",
        ...(p.cache ? { extensions: ["aws-cache.sh"] } : {}),
    });
}
