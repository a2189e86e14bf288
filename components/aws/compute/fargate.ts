/**
 * The `fargate` compute implementation (`aws.compute: fargate`): the application as containers
 * on ECS Fargate, from an image in the stack's ECR repository (or any registry), registered in the
 * load balancer's target group by IP address; optional workers from the same image without a
 * load balancer.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CACHE_ENV_FIELDS, DB_CREDENTIAL_ENV, dbEnvFields } from "../../../functions/boot/render";
import type { DatabaseEngine } from "../../../config/database";
import { AUTH_TOKEN_FIELD, type Cache } from "../cache";
import type { AwsContext } from "../context";
import type { Database, RdsEngineSpec } from "../database";
import { serviceRole, type AwsAccount, type Statement } from "../iam";
import { customerKey, logsKeyStatements } from "../kms";
import type { AlarmDefinition, Widget } from "../monitoring";
import type { NightSchedule } from "../schedule";
import { ALARM_THRESHOLDS } from "../thresholds";
import { credentialsRestart } from "./credentialsRestart";
import { awsCron } from "../../../config/schedule";
import type { Network } from "../network";
import type { Secrets } from "../secrets";
import type { Storage } from "../storage";
import type { AwsAppBackend, AwsBackendDeps, AwsComputeImplementation, RegistrationTopic } from "./types";

/** The rolling deployment of the seeds: half the tasks stay in service, up to as many again start first. */
export const DEPLOYMENT = { minimumHealthyPercent: 50, maximumPercent: 200 } as const;

/** Seconds a new task gets to start before the load balancer's health checks count. */
export const TASK_HEALTH_CHECK_GRACE_SECONDS = 60;

/** Images the repository keeps (the newest): enough to roll back several releases. */
export const ECR_KEEP_IMAGES = 30;
/** Days an untagged image (a layer left by a re-push, a failed build) is kept. */
export const ECR_UNTAGGED_DAYS = 1;

/** The container's name in every task definition (the load balancer routes to it by this name). */
export const CONTAINER_NAME = "app";

/** The task's only writable path besides the image's read-only root: an ephemeral `/tmp`. */
export const TMP_VOLUME = { name: "tmp", containerPath: "/tmp" } as const;

/** Alarm when a service's average CPU or memory use stays above this percentage for 10 minutes. */
export const TASK_UTILIZATION_PERCENT = ALARM_THRESHOLDS.taskUtilizationPercent;

/** A background service from the application's image (`aws.fargate.workers[]`). */
export interface WorkerSpec {
    /** Distinct, DNS-like; names the worker's service and task family. */
    readonly name: string;
    /** The container's command (overrides the image's). */
    readonly command: readonly string[];
    /** CPU units (1024 = 1 vCPU). Default 256. */
    readonly cpu: number;
    /** MiB; a valid Fargate pair with `cpu`. Default 512. */
    readonly memory: number;
    /** Tasks kept running. Default 1. */
    readonly count: number;
}

/**
 * The ECR repository an image URI points at, when it is an ECR repository (private registry
 * `<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>`), else undefined (a public or
 * third-party registry, pulled without IAM).
 */
export function ecrRepositoryOf(image: string): { accountId: string; region: string; repository: string } | undefined {
    const match =
        /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)(?::[^@]+|@sha256:[0-9a-f]{64})$/.exec(
            image,
        );
    return match ? { accountId: match[1], region: match[2], repository: match[3] } : undefined;
}

/** `arn:<partition>:ecr:<region>:<account>:repository/<name>`. */
export function ecrRepositoryArn(
    partition: pulumi.Input<string>,
    repo: { accountId: string; region: string; repository: string },
) {
    return pulumi.interpolate`arn:${partition}:ecr:${repo.region}:${repo.accountId}:repository/${repo.repository}`;
}

/** The repository's lifecycle policy: untagged images go after a day, and only the newest images stay. */
export function ecrLifecyclePolicy(keep: number = ECR_KEEP_IMAGES, untaggedDays: number = ECR_UNTAGGED_DAYS) {
    return {
        rules: [
            {
                rulePriority: 1,
                description: `Expire untagged images after ${untaggedDays} day(s)`,
                selection: {
                    tagStatus: "untagged",
                    countType: "sinceImagePushed",
                    countUnit: "days",
                    countNumber: untaggedDays,
                },
                action: { type: "expire" },
            },
            {
                rulePriority: 2,
                description: `Keep the newest ${keep} images`,
                selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keep },
                action: { type: "expire" },
            },
        ],
    };
}

/**
 * The container's secrets, by reference to JSON fields of a secret (`<secret ARN>:<json key>::`),
 * under the same names as the instances' env file (`DB_HOST`, ...): the user and password from
 * the RDS-managed credentials secret, the rest from the connection document. ECS reads them with
 * the execution role when a task starts; their values are never in the task definition.
 */
export function databaseSecretRefs(
    documentArn: pulumi.Input<string>,
    credentialsArn: pulumi.Input<string>,
    engine?: DatabaseEngine,
): Array<{ name: string; valueFrom: pulumi.Output<string> }> {
    return Object.entries(dbEnvFields(engine)).map(([name, field]) => ({
        name,
        valueFrom: pulumi.interpolate`${DB_CREDENTIAL_ENV.includes(name) ? credentialsArn : documentArn}:${field}::`,
    }));
}

/**
 * The cache's secrets by reference (`features.cache`): its endpoint from the connection document,
 * its AUTH token from the token's own secret, under the instances' env names (`CACHE_HOST`, ...).
 */
export function cacheSecretRefs<T extends pulumi.Input<string>>(
    documentArn: T,
    tokenSecretArn: T,
): Array<{ name: string; valueFrom: pulumi.Output<string> }> {
    return Object.entries(CACHE_ENV_FIELDS).map(([name, field]) => ({
        name,
        valueFrom: pulumi.interpolate`${field === AUTH_TOKEN_FIELD ? tokenSecretArn : documentArn}:${field}::`,
    }));
}

/** The container's plain settings (names and ARNs only), as the instances' env file has them. */
export function containerEnvironment(args: {
    region: string;
    port: number;
    bucketName: string;
    registrationTopicArn?: string;
}): Array<{ name: string; value: string }> {
    const env: Record<string, string> = {
        APP_PORT: String(args.port),
        AWS_REGION: args.region,
        AWS_DEFAULT_REGION: args.region,
        S3_BUCKET_NAME: args.bucketName,
        ...(args.registrationTopicArn === undefined ? {} : { SNS_TOPIC_ARN: args.registrationTopicArn }),
    };
    return Object.entries(env).map(([name, value]) => ({ name, value }));
}

export interface ContainerDefinitionArgs {
    readonly image: string;
    /** The image's application user (`app.user`): the container never runs as root. */
    readonly user: string;
    /** The app port (`app.port`); absent for a worker (no port mapping). */
    readonly port?: number;
    /** A worker's command; absent: the image's. */
    readonly command?: readonly string[];
    readonly environment: Array<{ name: string; value: string }>;
    readonly secrets: Array<{ name: string; valueFrom: string }>;
    readonly logGroupName: string;
    readonly region: string;
    /** The log stream prefix: `web` or the worker's name. */
    readonly streamPrefix: string;
}

/**
 * The task's one container: read-only root file system with an ephemeral `/tmp`, the image's
 * non-root application user, no privileges, secrets by reference, logs to the stack's log group.
 */
export function containerDefinition(a: ContainerDefinitionArgs): Record<string, unknown> {
    return {
        name: CONTAINER_NAME,
        image: a.image,
        essential: true,
        user: a.user,
        readonlyRootFilesystem: true,
        privileged: false,
        ...(a.command === undefined ? {} : { command: [...a.command] }),
        portMappings: a.port === undefined ? [] : [{ containerPort: a.port, protocol: "tcp" }],
        environment: a.environment,
        secrets: a.secrets,
        mountPoints: [{ sourceVolume: TMP_VOLUME.name, containerPath: TMP_VOLUME.containerPath, readOnly: false }],
        linuxParameters: { initProcessEnabled: true, capabilities: { drop: ["ALL"] } },
        logConfiguration: {
            logDriver: "awslogs",
            options: {
                "awslogs-group": a.logGroupName,
                "awslogs-region": a.region,
                "awslogs-stream-prefix": a.streamPrefix,
            },
        },
    };
}

export interface ExecutionPolicyArgs {
    /** The ECR repositories the tasks pull from (this stack's, and the image's if it is another). */
    readonly repositoryArns: pulumi.Input<pulumi.Input<string>[]>;
    readonly logGroupArn: pulumi.Input<string>;
    /** Reading the secrets the container gets by reference (and their key). */
    readonly secretStatements: Statement[];
}

/**
 * What ECS does for the tasks, and nothing more: pull the image from its repositories, write the
 * container's log streams, read exactly the secrets it injects.
 */
export function executionPolicyStatements(a: ExecutionPolicyArgs): Statement[] {
    return [
        // The registry login has no resource-level permissions.
        { Sid: "RegistryLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
        {
            Sid: "PullTheImage",
            Effect: "Allow",
            Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
            Resource: a.repositoryArns,
        },
        {
            Sid: "ContainerLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: pulumi.interpolate`${a.logGroupArn}:log-stream:*`,
        },
        ...a.secretStatements,
    ];
}

/**
 * The application's own permissions, composed from the owning tiers' grants: the bucket, the
 * registration topic, and the database secret (the application may re-read its connection
 * document, e.g. after a rotation). ECS Exec is off, so no Session Manager channel.
 */
export function taskPolicyStatements(a: {
    storageStatements: Statement[];
    topicStatements?: Statement[];
    secretStatements: Statement[];
}): Statement[] {
    return [...a.secretStatements, ...a.storageStatements, ...(a.topicStatements ?? [])];
}

/**
 * The key of the repository and the container logs: the account administers it through IAM, and
 * CloudWatch Logs may use it for this account's log groups only (the logs key's statement).
 */
export function containerKeyStatements(account: AwsAccount): Statement[] {
    return logsKeyStatements(account);
}

/** The dimensions of one ECS service's metrics. */
function serviceDimensions<T>(cluster: T, service: T) {
    return ["ClusterName", cluster, "ServiceName", service];
}

/** The tasks' dashboard widgets: CPU and memory per service, and running tasks (Container Insights). */
export function fargateWidgets<T extends pulumi.Input<string>>(
    cluster: T,
    services: ReadonlyArray<{ label: string; name: T }>,
): Array<Widget<T>> {
    const lines = (namespace: string, metric: string) =>
        services.map((s) => [namespace, metric, ...serviceDimensions(cluster, s.name), { label: s.label }]);
    return [
        { title: "Task CPU %", stat: "Average", yAxisMax: 100, metrics: lines("AWS/ECS", "CPUUtilization") },
        { title: "Task memory %", stat: "Average", yAxisMax: 100, metrics: lines("AWS/ECS", "MemoryUtilization") },
        { title: "Running tasks", stat: "Minimum", metrics: lines("ECS/ContainerInsights", "RunningTaskCount") },
    ];
}

/**
 * The tasks' alarms, per service: CPU and memory above `TASK_UTILIZATION_PERCENT` for 10 minutes,
 * and fewer running tasks than it should keep (`minimum`) for 3 minutes.
 */
export function fargateAlarms(
    cluster: pulumi.Input<string>,
    services: ReadonlyArray<{ role: string; label: string; name: pulumi.Input<string>; minimum: number }>,
): AlarmDefinition[] {
    return services.flatMap((s) => {
        const dimensions = { ClusterName: cluster, ServiceName: s.name };
        const utilization = (metric: "CPUUtilization" | "MemoryUtilization", what: string): AlarmDefinition => ({
            role: `${s.role}-${what}-high`,
            args: {
                alarmDescription: `The ${s.label}'s average ${what} use has been above ${TASK_UTILIZATION_PERCENT}% for 10 minutes`,
                namespace: "AWS/ECS",
                metricName: metric,
                dimensions,
                statistic: "Average",
                period: 60,
                evaluationPeriods: 10,
                comparisonOperator: "GreaterThanThreshold",
                threshold: TASK_UTILIZATION_PERCENT,
                treatMissingData: "notBreaching",
            },
        });
        return [
            utilization("CPUUtilization", "cpu"),
            utilization("MemoryUtilization", "memory"),
            {
                role: `${s.role}-running-low`,
                args: {
                    alarmDescription: `Fewer than ${s.minimum} running task(s) of the ${s.label} for 3 minutes`,
                    namespace: "ECS/ContainerInsights",
                    metricName: "RunningTaskCount",
                    dimensions,
                    statistic: "Minimum",
                    period: 60,
                    evaluationPeriods: 3,
                    comparisonOperator: "LessThanThreshold",
                    threshold: s.minimum,
                    treatMissingData: "breaching",
                },
            },
        ];
    });
}

/** A restart after a password rotation that failed (or timed out): the tasks may hold an old password. */
export function credentialsRestartAlarm(stateMachineArn: pulumi.Input<string>): AlarmDefinition {
    return {
        role: "credentials-restart-failed",
        args: {
            alarmDescription:
                "The restart of the ECS services after a database password rotation failed: tasks may still hold the old password (see the state machine's executions)",
            namespace: "AWS/States",
            metricName: "ExecutionsFailed",
            dimensions: { StateMachineArn: stateMachineArn },
            statistic: "Sum",
            period: 300,
            evaluationPeriods: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: 1,
            treatMissingData: "notBreaching",
        },
    };
}

/** What a Fargate stack exports (the rollout follows the services in this order). */
export interface FargateOutputs {
    readonly ecsClusterName: pulumi.Output<string>;
    /** The load-balanced service first, then each worker's, in `aws.fargate.workers` order. */
    readonly ecsServiceNames: pulumi.Output<string[]>;
    /** Where to push images: `<account>.dkr.ecr.<region>.amazonaws.com/webapp-<environment>`. */
    readonly ecrRepositoryUrl: pulumi.Output<string>;
}

export interface FargateBackendArgs {
    /** The account and region deployed into (ARNs in the roles' policies). */
    account: AwsAccount;
    /** The VPC: tasks go in its private subnets, without public addresses. */
    network: Pick<Network, "networkId" | "privateSubnetIds">;
    /** The load balancer's security group (the only source of app traffic), target group and listener. */
    loadBalancer: AwsBackendDeps["loadBalancer"];
    /** The app port (`app.port`, default 80). */
    port: number;
    /** The image's application user (`app.user`, default `webapp`). */
    user: string;
    /** Image URI with a tag or digest (`aws.fargate.image`). */
    image: string;
    /** Task CPU units (`aws.fargate.cpu`). Default 256. */
    cpu: number;
    /** Task memory, MiB (`aws.fargate.memory`). Default 512. */
    memory: number;
    /** Fewest tasks in service (`aws.fargate.min`). Default 1. */
    minTasks: number;
    /** Most tasks scaling may run (`aws.fargate.max`). Default 2. */
    maxTasks: number;
    /** Average CPU % the service scales to hold (`aws.fargate.cpuTarget`). Default 50. */
    cpuTarget: number;
    /** `X86_64` or `ARM64` (`aws.fargate.architecture`). Default `X86_64`. */
    architecture: "X86_64" | "ARM64";
    /** Background services (`aws.fargate.workers`). Default none. */
    workers: readonly WorkerSpec[];
    /** The repository's name (`webapp-<environment>`), so the image URI is known before the first deploy. */
    repositoryName: string;
    /** Task families are `<prefix>-web` and `<prefix>-<worker>`. */
    familyPrefix: string;
    /** Alias of the repository and logs key: `alias/<keyAlias>`. */
    keyAlias: string;
    /** Rotation of that key, days (`aws.kmsRotationDays`). Default 90. */
    keyRotationDays: number;
    /** Let `pulumi destroy` delete the repository with its images. Default: dev only. */
    destroyWithData: boolean;
    /** The database's security group: tasks may open connections to its port, nothing else. */
    databaseSecurityGroupId: pulumi.Input<string>;
    /** The database's engine: its port and name (`Database.engine`). */
    databaseEngine: Pick<RdsEngineSpec, "engine" | "label" | "port">;
    /** The RDS-managed credentials (user and password, injected by reference) and the statements to read them. */
    databaseCredentials: Pick<Database, "credentialsSecretArn" | "credentialsReadStatements">;
    /** The database secret (injected by reference) and the statements to read it. */
    secrets: Pick<Secrets, "databaseSecretId" | "readStatements">;
    /** Version id of the connection document: a new one starts new tasks (a new task definition). */
    secretVersionId: pulumi.Input<string>;
    /**
     * The cache (`features.cache`): its endpoint (from the connection document) and its AUTH token
     * (from the token's secret) are injected by reference. Default: none.
     */
    cache?: Pick<Cache, "authSecretArn" | "authReadStatements">;
    /** The application's bucket and the statements to use it. */
    storage: Pick<Storage, "bucketName" | "readWriteStatements">;
    /** Where the application publishes registrations. Default: none (no permission, no env key). */
    registrationTopic?: RegistrationTopic;
    /** Retention of the container log group (`aws.logRetentionDays`). Default 30. */
    logRetentionDays: number;
    /**
     * Scale every service (web and workers) to zero tasks at `stopAt` and back at `startAt`
     * (`aws.schedule`). Default: none (the services run around the clock).
     */
    schedule?: NightSchedule;
}

/**
 * The `fargate` backend, a part of the `Compute` tier (its resources are the tier's children,
 * named `<tier>-<role>`): an ECR repository (own CMK, scan on push, immutable tags, lifecycle), an
 * ECS cluster with Container Insights, the web service in the private subnets registered by IP in
 * the load balancer's target group (circuit breaker with rollback, CPU target tracking), and one
 * service per worker. The tasks' security group takes the app port from the load balancer only and
 * sends HTTPS (AWS APIs, the registry) and MySQL to the database.
 */
export class FargateBackend implements AwsAppBackend<FargateOutputs> {
    public readonly securityGroupId: pulumi.Output<string>;
    public readonly clusterName: pulumi.Output<string>;
    public readonly serviceNames: pulumi.Output<string[]>;
    public readonly repositoryUrl: pulumi.Output<string>;
    public readonly executionRoleArn: pulumi.Output<string>;
    public readonly taskRoleArn: pulumi.Output<string>;
    public readonly logGroupName: pulumi.Output<string>;
    public readonly monitoring: AwsAppBackend["monitoring"];
    public readonly outputs: FargateOutputs;

    /** `name` is the tier's; `tier` the `Compute` component that holds the resources. */
    constructor(name: string, args: FargateBackendArgs, tier: pulumi.Resource) {
        const child = { parent: tier };

        // Registry and logs, encrypted with their own key.
        const { key } = customerKey(
            `${name}-containers-key`,
            {
                account: args.account,
                description: "webapp: container images (ECR) and container logs",
                rotationDays: args.keyRotationDays,
                alias: args.keyAlias,
                extraStatements: containerKeyStatements(args.account),
            },
            child,
        );
        const repository = new aws.ecr.Repository(
            `${name}-repository`,
            {
                name: args.repositoryName,
                imageTagMutability: "IMMUTABLE",
                imageScanningConfiguration: { scanOnPush: true },
                encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: key.arn }],
                forceDelete: args.destroyWithData,
            },
            child,
        );
        new aws.ecr.LifecyclePolicy(
            `${name}-repository-lifecycle`,
            { repository: repository.name, policy: JSON.stringify(ecrLifecyclePolicy()) },
            child,
        );
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-task-logs`,
            { retentionInDays: args.logRetentionDays, kmsKeyId: key.arn },
            child,
        );

        // The tasks' security group: no inline rules, each rule its own resource.
        const group = new aws.ec2.SecurityGroup(
            `${name}-task-sg`,
            {
                vpcId: args.network.networkId,
                description: "webapp tasks: app port from the load balancer; HTTPS and MySQL out",
                revokeRulesOnDelete: true,
            },
            child,
        );
        new aws.vpc.SecurityGroupIngressRule(
            `${name}-task-in-app`,
            {
                securityGroupId: group.id,
                referencedSecurityGroupId: args.loadBalancer.securityGroupId,
                ipProtocol: "tcp",
                fromPort: args.port,
                toPort: args.port,
                description: "App port from the load balancer only",
            },
            child,
        );
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-task-out-https`,
            {
                securityGroupId: group.id,
                cidrIpv4: "0.0.0.0/0",
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
                description: "Image pulls and AWS APIs (ECR, S3, Secrets Manager, SNS, Logs) through the NAT gateway",
            },
            child,
        );
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-task-out-${args.databaseEngine.engine}`,
            {
                securityGroupId: group.id,
                referencedSecurityGroupId: args.databaseSecurityGroupId,
                ipProtocol: "tcp",
                fromPort: args.databaseEngine.port,
                toPort: args.databaseEngine.port,
                description: `${args.databaseEngine.label} to the database`,
            },
            child,
        );

        // Roles: ECS's (pull, logs, injected secrets) and the application's (its tiers' grants).
        const imageRepository = ecrRepositoryOf(args.image);
        const secretStatements = [
            ...args.secrets.readStatements("database"),
            ...args.databaseCredentials.credentialsReadStatements(),
        ];
        const cacheStatements = args.cache?.authReadStatements() ?? [];
        const executionRole = serviceRole(
            `${name}-task-execution`,
            "ecs-tasks.amazonaws.com",
            args.account,
            executionPolicyStatements({
                // The stack's repository, and the image's when it is another ECR repository.
                repositoryArns: pulumi
                    .all([
                        repository.arn,
                        ...(imageRepository === undefined
                            ? []
                            : [ecrRepositoryArn(args.account.partition, imageRepository)]),
                    ])
                    .apply((arns) => [...new Set(arns)]),
                logGroupArn: logGroup.arn,
                secretStatements: [...secretStatements, ...cacheStatements],
            }),
            { ...child, description: "webapp tasks (ECS): pull the image, write its logs, inject the DB secret" },
        );
        const taskRole = serviceRole(
            `${name}-task`,
            "ecs-tasks.amazonaws.com",
            args.account,
            taskPolicyStatements({
                secretStatements,
                storageStatements: args.storage.readWriteStatements(),
                topicStatements: args.registrationTopic?.publishStatements(),
            }),
            { ...child, description: "webapp application tasks: DB secret, bucket, registration topic" },
        );

        const cluster = new aws.ecs.Cluster(
            `${name}-cluster`,
            { settings: [{ name: "containerInsights", value: "enabled" }] },
            child,
        );

        const secrets = [
            ...databaseSecretRefs(
                args.secrets.databaseSecretId,
                args.databaseCredentials.credentialsSecretArn,
                args.databaseEngine.engine,
            ),
            ...(args.cache ? cacheSecretRefs(args.secrets.databaseSecretId, args.cache.authSecretArn) : []),
        ];
        const environment = pulumi
            .all([args.storage.bucketName, args.registrationTopic?.topicArn])
            .apply(([bucketName, registrationTopicArn]) =>
                containerEnvironment({
                    region: args.account.region,
                    port: args.port,
                    bucketName,
                    registrationTopicArn,
                }),
            );
        const taskDefinition = (
            role: string,
            family: string,
            spec: { cpu: number; memory: number; command?: readonly string[]; port?: number; streamPrefix: string },
        ) =>
            new aws.ecs.TaskDefinition(
                `${name}-${role}`,
                {
                    family,
                    requiresCompatibilities: ["FARGATE"],
                    networkMode: "awsvpc",
                    cpu: String(spec.cpu),
                    memory: String(spec.memory),
                    runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: args.architecture },
                    executionRoleArn: executionRole.arn,
                    taskRoleArn: taskRole.arn,
                    volumes: [{ name: TMP_VOLUME.name }],
                    containerDefinitions: pulumi
                        .all([
                            environment,
                            pulumi.all(secrets.map((s) => s.valueFrom)),
                            logGroup.name,
                            args.secretVersionId,
                        ])
                        .apply(([env, refs, logGroupName, secretVersion]) =>
                            JSON.stringify([
                                containerDefinition({
                                    image: args.image,
                                    user: args.user,
                                    port: spec.port,
                                    command: spec.command,
                                    // The connection document's version id: a new document registers a
                                    // new revision, so the tasks restart with it (as instances roll).
                                    environment: [...env, { name: "DB_DOCUMENT_VERSION", value: secretVersion }],
                                    secrets: secrets.map((s, i) => ({ name: s.name, valueFrom: refs[i] })),
                                    logGroupName,
                                    region: args.account.region,
                                    streamPrefix: spec.streamPrefix,
                                }),
                            ]),
                        ),
                },
                child,
            );
        const network = {
            subnets: args.network.privateSubnetIds,
            securityGroups: [group.id],
            assignPublicIp: false,
        };
        const rolling = {
            deploymentCircuitBreaker: { enable: true, rollback: true },
            deploymentMinimumHealthyPercent: DEPLOYMENT.minimumHealthyPercent,
            deploymentMaximumPercent: DEPLOYMENT.maximumPercent,
            enableExecuteCommand: false,
            launchType: "FARGATE",
            platformVersion: "LATEST",
            propagateTags: "SERVICE",
            enableEcsManagedTags: true,
        } as const;

        const web = new aws.ecs.Service(
            `${name}-web`,
            {
                cluster: cluster.arn,
                taskDefinition: taskDefinition("web-task", `${args.familyPrefix}-web`, {
                    cpu: args.cpu,
                    memory: args.memory,
                    port: args.port,
                    streamPrefix: "web",
                }).arn,
                desiredCount: args.minTasks,
                networkConfiguration: network,
                loadBalancers: [
                    {
                        targetGroupArn: args.loadBalancer.targetGroupArn,
                        containerName: CONTAINER_NAME,
                        containerPort: args.port,
                    },
                ],
                healthCheckGracePeriodSeconds: TASK_HEALTH_CHECK_GRACE_SECONDS,
                ...rolling,
            },
            // Scaling owns the running count once the service exists.
            { ...child, dependsOn: [args.loadBalancer.httpsListener], ignoreChanges: ["desiredCount"] },
        );
        const scalingTarget = new aws.appautoscaling.Target(
            `${name}-web-scaling`,
            {
                serviceNamespace: "ecs",
                scalableDimension: "ecs:service:DesiredCount",
                resourceId: pulumi.interpolate`service/${cluster.name}/${web.name}`,
                minCapacity: args.minTasks,
                maxCapacity: args.maxTasks,
            },
            child,
        );
        new aws.appautoscaling.Policy(
            `${name}-web-cpu-target`,
            {
                policyType: "TargetTrackingScaling",
                serviceNamespace: scalingTarget.serviceNamespace,
                scalableDimension: scalingTarget.scalableDimension,
                resourceId: scalingTarget.resourceId,
                targetTrackingScalingPolicyConfiguration: {
                    predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
                    targetValue: args.cpuTarget,
                    scaleOutCooldown: 60,
                    scaleInCooldown: 300,
                },
            },
            child,
        );

        const workers = args.workers.map((w) => ({
            spec: w,
            service: new aws.ecs.Service(
                `${name}-worker-${w.name}`,
                {
                    cluster: cluster.arn,
                    taskDefinition: taskDefinition(`worker-${w.name}-task`, `${args.familyPrefix}-${w.name}`, {
                        cpu: w.cpu,
                        memory: w.memory,
                        command: w.command,
                        streamPrefix: w.name,
                    }).arn,
                    desiredCount: w.count,
                    networkConfiguration: network,
                    ...rolling,
                },
                // With a schedule, its scheduled actions own the running count.
                args.schedule === undefined ? child : { ...child, ignoreChanges: ["desiredCount"] },
            ),
        }));

        if (args.schedule !== undefined) {
            const { stopAt, startAt, timezone } = args.schedule;
            const scaled = [
                { role: "web", target: scalingTarget, min: args.minTasks, max: args.maxTasks },
                ...workers.map((w) => ({
                    role: `worker-${w.spec.name}`,
                    // A worker runs a fixed count: the schedule needs a scalable target to set it.
                    target: new aws.appautoscaling.Target(
                        `${name}-worker-${w.spec.name}-scaling`,
                        {
                            serviceNamespace: "ecs",
                            scalableDimension: "ecs:service:DesiredCount",
                            resourceId: pulumi.interpolate`service/${cluster.name}/${w.service.name}`,
                            minCapacity: w.spec.count,
                            maxCapacity: w.spec.count,
                        },
                        child,
                    ),
                    min: w.spec.count,
                    max: w.spec.count,
                })),
            ];
            for (const s of scaled) {
                for (const [phase, expression, capacity] of [
                    ["stop", stopAt, { minCapacity: 0, maxCapacity: 0 }],
                    ["start", startAt, { minCapacity: s.min, maxCapacity: s.max }],
                ] as const) {
                    new aws.appautoscaling.ScheduledAction(
                        `${name}-${s.role}-night-${phase}`,
                        {
                            name: `${s.role}-night-${phase}`,
                            serviceNamespace: s.target.serviceNamespace,
                            scalableDimension: s.target.scalableDimension,
                            resourceId: s.target.resourceId,
                            schedule: awsCron(expression),
                            timezone,
                            scalableTargetAction: capacity,
                        },
                        child,
                    );
                }
            }
        }

        // A password rotation by RDS rolls every service, so that no task keeps the old password.
        const restart = credentialsRestart(
            `${name}-credentials-restart`,
            {
                account: args.account,
                credentialsSecretArn: args.databaseCredentials.credentialsSecretArn,
                clusterArn: cluster.arn,
                serviceArns: [web.arn, ...workers.map((w) => w.service.arn)],
                stateMachineName: `${args.familyPrefix}-credentials-restart`,
                logsKeyArn: key.arn,
                logRetentionDays: args.logRetentionDays,
            },
            tier,
        );

        this.securityGroupId = group.id;
        this.clusterName = cluster.name;
        this.serviceNames = pulumi.all([web.name, ...workers.map((w) => w.service.name)]);
        this.repositoryUrl = repository.repositoryUrl;
        this.executionRoleArn = executionRole.arn;
        this.taskRoleArn = taskRole.arn;
        this.logGroupName = logGroup.name;
        const watched = [
            { role: "tasks", label: "web service", name: web.name, minimum: args.minTasks },
            ...workers.map((w) => ({
                role: `worker-${w.spec.name}`,
                label: `${w.spec.name} worker`,
                name: w.service.name,
                minimum: w.spec.count,
            })),
        ];
        this.monitoring = {
            widgets: fargateWidgets<pulumi.Input<string>>(cluster.name, watched),
            alarms: [...fargateAlarms(cluster.name, watched), credentialsRestartAlarm(restart.stateMachine.arn)],
        };
        this.outputs = {
            ecsClusterName: this.clusterName,
            ecsServiceNames: this.serviceNames,
            ecrRepositoryUrl: this.repositoryUrl,
        };
    }
}

/** The backend's arguments from the config (`aws.fargate.*`, `app.*`) and the tiers. */
export function fargateArgs(ctx: AwsContext, deps: AwsBackendDeps): FargateBackendArgs {
    const { aws: awsCfg, app } = ctx.config;
    const f = awsCfg.fargate;
    if (f.image === undefined) {
        throw new Error("aws.fargate.image is required when aws.compute is fargate");
    }
    return {
        account: ctx.account,
        network: deps.network,
        loadBalancer: deps.loadBalancer,
        port: app.port,
        user: app.user,
        image: f.image,
        cpu: f.cpu,
        memory: f.memory,
        minTasks: f.min,
        maxTasks: f.max,
        cpuTarget: f.cpuTarget,
        architecture: f.architecture,
        workers: f.workers,
        repositoryName: ctx.names.prefix,
        familyPrefix: ctx.names.prefix,
        keyAlias: ctx.names.scoped("containers"),
        keyRotationDays: awsCfg.kmsRotationDays,
        destroyWithData: ctx.behaviour.destroyWithData,
        databaseSecurityGroupId: deps.database.securityGroupId,
        databaseEngine: deps.database.engine,
        databaseCredentials: deps.database,
        secrets: deps.secrets,
        secretVersionId: deps.database.credentialsVersionId,
        ...(deps.cache ? { cache: deps.cache } : {}),
        storage: deps.storage,
        registrationTopic: deps.registrationTopic,
        logRetentionDays: awsCfg.logRetentionDays,
        schedule: awsCfg.schedule,
    };
}

/** `aws.compute: fargate`. */
export const FARGATE_COMPUTE: AwsComputeImplementation<FargateOutputs> = {
    label: "tasks",
    targetType: "ip",
    // The backend's key is its own; ECS needs nothing on the platform keys beyond IAM grants.
    keyPolicyStatements: () => ({}),
    build: (ctx, name, deps) => new FargateBackend(name, fargateArgs(ctx, deps), deps.tier),
};
