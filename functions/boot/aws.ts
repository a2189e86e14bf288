/**
 * The EC2 user data: reads the database secret from Secrets Manager (with retries), writes the
 * app's env file, configures and starts the CloudWatch agent, then (re)starts the app's service.
 */
import {
    appLogFile,
    commonEnv,
    commonVariables,
    dbEnvFieldPairs,
    envLines,
    renderBootScript,
    secretVersionNotes,
    STATSD_PORT,
    type AppSettings,
} from "./render";

/** Where the CloudWatch agent reads its config (the path `amazon-cloudwatch-agent-ctl` is given). */
export const CW_AGENT_CONFIG = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json";

export interface AwsBootParams {
    /** The stack's region (the secret is read there; `AWS_REGION` in the env file). */
    readonly region: string;
    /** ARN of the secret holding the database connection document. */
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
     * Version id of the secret's current value. Recorded as a comment so that a new connection
     * document changes the launch template and rolls the instances.
     */
    readonly secretVersion?: string;
}

/** The env keys the AWS script writes besides the database connection, in file order. */
export function awsPlatformEnv(p: AwsBootParams): Record<string, string> {
    return {
        ...commonEnv(p.app),
        AWS_REGION: p.region,
        AWS_DEFAULT_REGION: p.region,
        S3_BUCKET_NAME: p.bucketName,
        ...(p.registrationTopicArn === undefined ? {} : { SNS_TOPIC_ARN: p.registrationTopicArn }),
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
        notes: secretVersionNotes(p.secretVersion),
        variables: {
            REGION: p.region,
            DB_SECRET_ID: p.dbSecretId,
            ...commonVariables(p.app),
            CW_AGENT_CONFIG,
        },
        arrays: { DB_ENV_FIELDS: dbEnvFieldPairs() },
        documents: {
            platform_env: envLines(awsPlatformEnv(p)),
            cloudwatch_agent_config: JSON.stringify(cloudWatchAgentConfig(p), null, 2),
        },
        fragment: "aws.sh",
    });
}
