/**
 * Containers after a password rotation. ECS injects the RDS-managed credentials into a task when
 * it starts, so a task that is running when RDS rotates the master password keeps the old one and
 * its new connections fail. When the secret's `AWSCURRENT` label moves to a new version (Secrets
 * Manager's native `Secret Label Updated` event, which managed rotation sends too), an EventBridge
 * rule starts a small Step Functions state machine that forces a new deployment of every service:
 * the services roll as on a release (circuit breaker, half of the tasks kept in service), and the
 * new tasks read the new password. No code to bundle or sign: the state machine calls ECS through
 * its AWS SDK integration.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { sendTracesStatement, serviceRole, type AwsAccount, type Statement } from "../iam";

/** The event that a rotation has finished: the secret's `AWSCURRENT` label is on a new version. */
export function credentialsRotatedPattern(secretArn: string): Record<string, unknown> {
    return {
        source: ["aws.secretsmanager"],
        "detail-type": ["Secret Label Updated"],
        resources: [secretArn],
        detail: { labelUpdated: ["AWSCURRENT"] },
    };
}

/** ECS errors worth another attempt (a deployment already starting, API throttling). */
const RETRYABLE_ERRORS = ["Ecs.EcsException", "Ecs.ThrottlingException", "Ecs.ServerException", "States.Timeout"];

/**
 * The state machine: one `UpdateService` with `ForceNewDeployment` per service, all services in
 * parallel, each retried with backoff; a service that still fails fails the execution (the failed
 * executions alarm tells the ops topic).
 */
export function restartDefinition(cluster: string, services: readonly string[]): Record<string, unknown> {
    return {
        Comment: "Rolls every service of the cluster so that its tasks read the rotated database credentials",
        StartAt: "Services",
        States: {
            Services: {
                Type: "Pass",
                Result: { cluster, services },
                Next: "ForceNewDeployments",
            },
            ForceNewDeployments: {
                Type: "Map",
                ItemsPath: "$.services",
                ItemSelector: { "cluster.$": "$.cluster", "service.$": "$$.Map.Item.Value" },
                MaxConcurrency: 0,
                ItemProcessor: {
                    ProcessorConfig: { Mode: "INLINE" },
                    StartAt: "ForceNewDeployment",
                    States: {
                        ForceNewDeployment: {
                            Type: "Task",
                            Resource: "arn:aws:states:::aws-sdk:ecs:updateService",
                            Parameters: {
                                "Cluster.$": "$.cluster",
                                "Service.$": "$.service",
                                ForceNewDeployment: true,
                            },
                            ResultSelector: { "deployment.$": "$.Service.Deployments[0].Id" },
                            Retry: [
                                { ErrorEquals: RETRYABLE_ERRORS, IntervalSeconds: 10, MaxAttempts: 5, BackoffRate: 2 },
                            ],
                            End: true,
                        },
                    },
                },
                End: true,
            },
        },
    };
}

/** The actions Step Functions needs to deliver its logs to CloudWatch Logs (no resource-level permissions). */
export const STATE_MACHINE_LOG_DELIVERY_ACTIONS = [
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
] as const;

/** The state machine's own permissions: force deployments of these services, logs and traces. */
export function restartStatements(serviceArns: pulumi.Input<pulumi.Input<string>[]>): Statement[] {
    return [
        { Sid: "ForceNewDeployments", Effect: "Allow", Action: ["ecs:UpdateService"], Resource: serviceArns },
        { Sid: "DeliverLogs", Effect: "Allow", Action: [...STATE_MACHINE_LOG_DELIVERY_ACTIONS], Resource: "*" },
        sendTracesStatement({ sampling: true }),
    ];
}

export interface CredentialsRestartArgs {
    account: AwsAccount;
    /** The RDS-managed credentials secret whose rotation restarts the tasks. */
    credentialsSecretArn: pulumi.Input<string>;
    clusterArn: pulumi.Input<string>;
    /** The cluster's services: the web service and each worker's. */
    serviceArns: pulumi.Input<string>[];
    /** The state machine's name, `<prefix>-credentials-restart`. */
    stateMachineName: string;
    /** The key of the state machine's log group (the containers' logs key). */
    logsKeyArn: pulumi.Input<string>;
    /** Retention of its log group (`aws.logRetentionDays`). */
    logRetentionDays: number;
}

/** The rule, its role, the state machine, its role and its log group: children of `parent`. */
export function credentialsRestart(
    name: string,
    args: CredentialsRestartArgs,
    parent: pulumi.Resource,
): { stateMachine: aws.sfn.StateMachine; rule: aws.cloudwatch.EventRule } {
    const child = { parent };
    // Step Functions' vended-logs prefix keeps the account's log resource policy small.
    const logGroup = new aws.cloudwatch.LogGroup(
        `${name}-logs`,
        {
            name: `/aws/vendedlogs/states/${args.stateMachineName}`,
            retentionInDays: args.logRetentionDays,
            kmsKeyId: args.logsKeyArn,
        },
        child,
    );
    const role = serviceRole(
        `${name}-role`,
        "states.amazonaws.com",
        args.account,
        restartStatements(pulumi.all(args.serviceArns)),
        { ...child, description: "webapp: force new deployments of the ECS services after a password rotation" },
    );
    const stateMachine = new aws.sfn.StateMachine(
        name,
        {
            name: args.stateMachineName,
            type: "STANDARD",
            roleArn: role.arn,
            definition: pulumi
                .all([args.clusterArn, pulumi.all(args.serviceArns)])
                .apply(([cluster, services]) => JSON.stringify(restartDefinition(cluster, services))),
            loggingConfiguration: {
                logDestination: pulumi.interpolate`${logGroup.arn}:*`,
                includeExecutionData: true,
                level: "ALL",
            },
            tracingConfiguration: { enabled: true },
        },
        child,
    );
    const rule = new aws.cloudwatch.EventRule(
        `${name}-rule`,
        {
            description: "webapp: the database credentials rotated; restart the tasks",
            eventPattern: pulumi
                .output(args.credentialsSecretArn)
                .apply((arn) => JSON.stringify(credentialsRotatedPattern(arn))),
        },
        child,
    );
    const eventsRole = serviceRole(
        `${name}-events-role`,
        "events.amazonaws.com",
        args.account,
        [{ Effect: "Allow", Action: ["states:StartExecution"], Resource: [stateMachine.arn] }],
        { ...child, description: "webapp: EventBridge starts the credentials restart", sourceArn: rule.arn },
    );
    new aws.cloudwatch.EventTarget(
        `${name}-target`,
        { rule: rule.name, arn: stateMachine.arn, roleArn: eventsRole.arn },
        child,
    );
    return { stateMachine, rule };
}
