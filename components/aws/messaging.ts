import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ENV } from "../../functions/email-verification/settings";
import type { MailgunFunctionSettings } from "../shared/mailgun";
import type { NetworkOutputs } from "../shared/types";
import { artifactKeys, signedCode } from "./codeSigning";
import { policyJson, sendTracesStatement, serviceRole, type AwsAccount, type Statement } from "./iam";
import { customerKey, viaServiceStatement } from "./kms";
import type { Secrets } from "./secrets";
import type { AccessLogTarget } from "./storage";

export const HTTPS_PORT = 443;

/** Lambda's own retries of a failed asynchronous invocation (the maximum, 2). */
export const ASYNC_RETRY_ATTEMPTS = 2;
/** How long Lambda keeps retrying an event before it goes to the dead-letter queue: 6 hours (the maximum). */
export const MAX_EVENT_AGE_SECONDS = 6 * 60 * 60;
/** Dead-lettered events are kept 14 days (the SQS maximum): time to notice, fix and replay. */
export const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 60 * 60;

/** Where the e-mail function's bundle and its signed copy live in the artifacts bucket. */
export const ARTIFACT_KEYS = artifactKeys("email-function");

export interface MessagingArgs {
    /** The account (key policy, ARNs in the role's statements). */
    account: AwsAccount;
    /**
     * The VPC the function runs in (its private subnets, egress through NAT), or none: the
     * function then runs outside any VPC and reaches Mailgun and Secrets Manager over the internet
     * (`aws.natGateways` `none`, where the private subnets have no route out). It never opens a
     * database connection, so it gets no database access either way.
     */
    network?: Pick<NetworkOutputs, "networkId" | "privateSubnetIds">;
    /** The Mailgun key's secret: its ARN goes into the environment, its read statements into the role. */
    secrets: Pick<Secrets, "mailgunSecretId" | "readStatements">;
    /** The bundled handler (from `emailFunctionArchive("aws")`). */
    code: pulumi.asset.Archive;
    /** The handler inside `code`. Default `index.handler`. */
    handler?: string;
    /** Rotation period of the tier's key in days. From `aws.kmsRotationDays`; default 90. */
    keyRotationDays: number;
    /** The key's alias without `alias/`, e.g. `webapp-dev-messaging`. */
    keyAlias: string;
    /** The API's domain: links point to `https://<domainName>/v1/user/verify`. From `domainName`. */
    domainName: string;
    mailgun: MailgunFunctionSettings;
    /** Function timeout. From `aws.emailFunction.timeoutSeconds`; default 30. */
    timeoutSeconds: number;
    /** Function memory. From `aws.emailFunction.memoryMb`; default 256. */
    memoryMb: number;
    /** Reserved concurrency. From `aws.emailFunction.reservedConcurrency`; default unset (unreserved). */
    reservedConcurrency?: number;
    /** The customer-managed key of the artifacts bucket (`Kms.keyArns.s3`). */
    artifactsKeyArn: pulumi.Input<string>;
    /** Where the artifacts bucket's server access logs go (`Storage.accessLogTarget`). */
    artifactsAccessLogs: AccessLogTarget;
    /** Let `pulumi destroy` delete the artifacts bucket with its bundles. Default: only in dev. */
    forceDestroy: boolean;
    /** Retention of the function's log group. From `aws.logRetentionDays`; default 30 in dev, else 365. */
    logRetentionDays: number;
    /** The logs key (`Kms.keyArns.logs`): the function's log group is encrypted with it. */
    logsKeyArn: pulumi.Input<string>;
    /** Where the dead-letter alarm notifies (SNS topic ARNs). Default none (the alarm is still visible). */
    alarmActions?: pulumi.Input<string>[];
}

/** The function's environment: names and ARNs only. The Mailgun key is read at cold start. */
export function functionEnvironment(args: {
    mailgunSecretArn: pulumi.Input<string>;
    domainName: string;
    mailgun: MailgunFunctionSettings;
}): Record<string, pulumi.Input<string>> {
    return {
        [ENV.awsSecretArn]: args.mailgunSecretArn,
        [ENV.domainName]: args.domainName,
        [ENV.mailgunDomain]: args.mailgun.domain,
        [ENV.mailgunFrom]: args.mailgun.from,
        [ENV.mailgunApiBaseUrl]: args.mailgun.apiBaseUrl,
    };
}

/**
 * Key policy statements for the services that use the tier's key with their own identity: SNS,
 * when it moves an undeliverable message into the encrypted dead-letter queue. (Publishers and the
 * function use the key through IAM grants with `kms:ViaService`.) The topic and queue ARNs cannot
 * be named here (they depend on the key), so the account and region bound the statement.
 */
export function messagingKeyStatements(account: AwsAccount): Statement[] {
    return [
        {
            Sid: "SnsUseForTheEncryptedDeadLetterQueue",
            Effect: "Allow",
            Principal: { Service: "sns.amazonaws.com" },
            Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
            Resource: "*",
            Condition: {
                StringEquals: { "aws:SourceAccount": account.accountId },
                ArnLike: {
                    "aws:SourceArn": pulumi.interpolate`arn:${account.partition}:sns:${account.region}:${account.accountId}:*`,
                },
            },
        },
    ];
}

/** Refuses any request that is not over TLS (resource policies of the topic and the queue). */
export function denyInsecureTransport(resource: pulumi.Input<string>, actions: string): Statement {
    return {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: actions,
        Resource: resource,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
}

/** The dead-letter queue's policy: SNS may move this topic's undeliverable messages into it. */
export function deadLetterQueuePolicy(queueArn: pulumi.Input<string>, topicArn: pulumi.Input<string>): Statement[] {
    return [
        {
            Sid: "SnsRedriveFromTheTopic",
            Effect: "Allow",
            Principal: { Service: "sns.amazonaws.com" },
            Action: "sqs:SendMessage",
            Resource: queueArn,
            Condition: { ArnEquals: { "aws:SourceArn": topicArn } },
        },
        denyInsecureTransport(queueArn, "sqs:*"),
    ];
}

/**
 * The function role's statements, each scoped to what the function touches:
 * - read the Mailgun secret (and decrypt it through Secrets Manager), nothing else;
 * - write to its own log group (which the program creates, so no `logs:CreateLogGroup`);
 * - in a VPC (`inVpc`), manage its network interfaces: the actions of the managed
 *   `AWSLambdaVPCAccessExecutionRole` written out so the logs part is not `*`; the two `Describe*`
 *   actions support no resource scoping, the others are bounded to this account and region;
 * - send failed events to its dead-letter queue, encrypting with the tier's key through SQS;
 * - decrypt its environment (encrypted with the tier's key) through Lambda only;
 * - send its X-Ray traces (actions without resource-level permissions).
 */
export function functionRoleStatements(args: {
    account: AwsAccount;
    secretStatements: Statement[];
    logGroupArn: pulumi.Input<string>;
    deadLetterQueueArn: pulumi.Input<string>;
    keyArn: pulumi.Input<string>;
    /** Whether the function runs in a VPC (and so manages network interfaces). Default true. */
    inVpc?: boolean;
}): Statement[] {
    const { account } = args;
    const vpcAccess: Statement[] = [
        {
            Sid: "DescribeNetworkForVpcAccess",
            Effect: "Allow",
            Action: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
            Resource: "*",
        },
        {
            Sid: "ManageNetworkInterfacesForVpcAccess",
            Effect: "Allow",
            Action: [
                "ec2:CreateNetworkInterface",
                "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses",
            ],
            Resource: pulumi.interpolate`arn:${account.partition}:ec2:${account.region}:${account.accountId}:*/*`,
        },
    ];
    return [
        ...args.secretStatements,
        {
            Sid: "WriteOwnLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: pulumi.interpolate`${args.logGroupArn}:*`,
        },
        ...(args.inVpc === false ? [] : vpcAccess),
        {
            Sid: "SendFailedEventsToTheDeadLetterQueue",
            Effect: "Allow",
            Action: "sqs:SendMessage",
            Resource: args.deadLetterQueueArn,
        },
        viaServiceStatement(args.keyArn, "sqs", account.region, ["kms:GenerateDataKey", "kms:Decrypt"]),
        viaServiceStatement(args.keyArn, "lambda", account.region, ["kms:Decrypt"]),
        sendTracesStatement(),
    ];
}

/**
 * Registration events and the e-mail verification function: the API publishes to an SNS topic
 * (encrypted with the tier's own key); a Lambda function in the private subnets sends each user
 * the verification e-mail through Mailgun. Events that still fail after Lambda's retries, and
 * messages SNS cannot deliver at all, land in an encrypted dead-letter queue watched by an alarm.
 * The function's environment is encrypted with the tier's key, it traces to X-Ray, and it runs only
 * signed code: the bundle goes to a versioned artifacts bucket, an AWS Signer job signs it with the
 * tier's signing profile, and the function deploys the signed copy under a code signing config
 * that refuses anything else.
 */
export class Messaging extends pulumi.ComponentResource {
    /** The registration topic the API publishes to. */
    public readonly topicArn: pulumi.Output<string>;
    /** The tier's key (topic and dead-letter queue). */
    public readonly keyArn: pulumi.Output<string>;
    public readonly functionName: pulumi.Output<string>;
    public readonly functionArn: pulumi.Output<string>;
    /** The function's security group; none when it runs outside the VPC. */
    public readonly securityGroupId?: pulumi.Output<string>;
    public readonly logGroupName: pulumi.Output<string>;
    public readonly deadLetterQueueUrl: pulumi.Output<string>;
    public readonly deadLetterQueueArn: pulumi.Output<string>;
    public readonly deadLetterQueueName: pulumi.Output<string>;
    public readonly deadLetterAlarmArn: pulumi.Output<string>;
    private readonly region: string;

    constructor(name: string, args: MessagingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:Messaging", name, {}, opts);
        this.region = args.account.region;
        const child = { parent: this };

        const { key } = customerKey(
            `${name}-key`,
            {
                account: args.account,
                description: "webapp: registration events (SNS) and their dead-letter queue (SQS)",
                rotationDays: args.keyRotationDays,
                alias: args.keyAlias,
                extraStatements: messagingKeyStatements(args.account),
            },
            child,
        );

        const topic = new aws.sns.Topic(`${name}-topic`, { kmsMasterKeyId: key.arn }, child);
        new aws.sns.TopicPolicy(
            `${name}-topic-policy`,
            { arn: topic.arn, policy: policyJson([denyInsecureTransport(topic.arn, "sns:Publish")]) },
            child,
        );

        const deadLetterQueue = new aws.sqs.Queue(
            `${name}-dlq`,
            {
                kmsMasterKeyId: key.arn,
                kmsDataKeyReusePeriodSeconds: 300,
                messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
            },
            child,
        );
        new aws.sqs.QueuePolicy(
            `${name}-dlq-policy`,
            {
                queueUrl: deadLetterQueue.url,
                policy: policyJson(deadLetterQueuePolicy(deadLetterQueue.arn, topic.arn)),
            },
            child,
        );
        const alarm = new aws.cloudwatch.MetricAlarm(
            `${name}-dlq-alarm`,
            {
                alarmDescription:
                    "Registration events are in the e-mail verification dead-letter queue: users did not get their e-mail",
                namespace: "AWS/SQS",
                metricName: "ApproximateNumberOfMessagesVisible",
                dimensions: { QueueName: deadLetterQueue.name },
                statistic: "Maximum",
                period: 60,
                evaluationPeriods: 1,
                threshold: 0,
                comparisonOperator: "GreaterThanThreshold",
                // SQS stops reporting an empty, idle queue: no data means nothing is waiting.
                treatMissingData: "notBreaching",
                alarmActions: args.alarmActions ?? [],
                okActions: args.alarmActions ?? [],
            },
            child,
        );

        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            {
                namePrefix: `/aws/lambda/${name}-email-verification-`,
                retentionInDays: args.logRetentionDays,
                kmsKeyId: args.logsKeyArn,
            },
            child,
        );

        const network = args.network;
        const securityGroup =
            network === undefined
                ? undefined
                : new aws.ec2.SecurityGroup(
                      `${name}-function-sg`,
                      {
                          vpcId: network.networkId,
                          description: "E-mail verification function: egress HTTPS only",
                          revokeRulesOnDelete: true,
                      },
                      // A description cannot change in place: stacks whose group still says "and MySQL"
                      // keep it rather than replace the group (a Lambda's group is slow to delete).
                      { ...child, ignoreChanges: ["description"] },
                  );
        if (securityGroup !== undefined) {
            new aws.vpc.SecurityGroupEgressRule(
                `${name}-egress-https`,
                {
                    securityGroupId: securityGroup.id,
                    ipProtocol: "tcp",
                    fromPort: HTTPS_PORT,
                    toPort: HTTPS_PORT,
                    cidrIpv4: "0.0.0.0/0",
                    description: "HTTPS to Mailgun and the AWS APIs (through NAT)",
                },
                child,
            );
        }

        const role = serviceRole(`${name}-role`, "lambda.amazonaws.com", args.account, [], {
            parent: this,
            description:
                network === undefined
                    ? "E-mail verification function: Mailgun secret, own logs, dead-letter queue"
                    : "E-mail verification function: Mailgun secret, own logs, VPC interfaces, dead-letter queue",
        });
        const rolePolicy = new aws.iam.RolePolicy(
            `${name}-role-policy`,
            {
                role: role.name,
                policy: policyJson(
                    functionRoleStatements({
                        account: args.account,
                        secretStatements: args.secrets.readStatements("mailgun"),
                        logGroupArn: logGroup.arn,
                        deadLetterQueueArn: deadLetterQueue.arn,
                        keyArn: key.arn,
                        inVpc: network !== undefined,
                    }),
                ),
            },
            child,
        );

        // Code signing: the bundle, its signed copy, and a config that admits only this profile's signatures.
        const signed = signedCode(
            name,
            {
                code: args.code,
                keys: ARTIFACT_KEYS,
                kmsKeyArn: args.artifactsKeyArn,
                accessLogs: args.artifactsAccessLogs,
                forceDestroy: args.forceDestroy,
                description: "webapp e-mail verification function: only code signed by the tier's profile",
            },
            this,
        );

        const fn = new aws.lambda.Function(
            `${name}-function`,
            {
                description: "Sends the e-mail verification message for each registration event (Mailgun)",
                runtime: "nodejs22.x",
                architectures: ["arm64"],
                handler: args.handler ?? "index.handler",
                s3Bucket: signed.s3Bucket,
                s3Key: signed.s3Key,
                codeSigningConfigArn: signed.codeSigningConfigArn,
                kmsKeyArn: key.arn,
                tracingConfig: { mode: "Active" },
                role: role.arn,
                timeout: args.timeoutSeconds,
                memorySize: args.memoryMb,
                reservedConcurrentExecutions: args.reservedConcurrency,
                environment: {
                    variables: functionEnvironment({
                        mailgunSecretArn: args.secrets.mailgunSecretId,
                        domainName: args.domainName,
                        mailgun: args.mailgun,
                    }),
                },
                vpcConfig:
                    network === undefined || securityGroup === undefined
                        ? undefined
                        : { subnetIds: network.privateSubnetIds, securityGroupIds: [securityGroup.id] },
                // The handler writes JSON lines itself; JSON format makes Lambda's own lines JSON too.
                loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
            },
            // The role's permissions (VPC interfaces, logs) must exist before Lambda validates and starts it.
            { parent: this, dependsOn: [rolePolicy, logGroup] },
        );

        // Failed invocations: Lambda retries twice, then sends the event (and the error) to the queue.
        new aws.lambda.FunctionEventInvokeConfig(
            `${name}-async`,
            {
                functionName: fn.name,
                maximumRetryAttempts: ASYNC_RETRY_ATTEMPTS,
                maximumEventAgeInSeconds: MAX_EVENT_AGE_SECONDS,
                destinationConfig: { onFailure: { destination: deadLetterQueue.arn } },
            },
            { parent: this, dependsOn: [rolePolicy] },
        );

        const permission = new aws.lambda.Permission(
            `${name}-invoke-from-topic`,
            {
                function: fn.name,
                action: "lambda:InvokeFunction",
                principal: "sns.amazonaws.com",
                sourceArn: topic.arn,
            },
            child,
        );
        // Messages SNS cannot hand to Lambda at all (e.g. the permission is gone) go to the same queue.
        new aws.sns.TopicSubscription(
            `${name}-subscription`,
            {
                topic: topic.arn,
                protocol: "lambda",
                endpoint: fn.arn,
                redrivePolicy: pulumi.jsonStringify({ deadLetterTargetArn: deadLetterQueue.arn }),
            },
            { parent: this, dependsOn: [permission] },
        );

        this.topicArn = topic.arn;
        this.keyArn = key.arn;
        this.functionName = fn.name;
        this.functionArn = fn.arn;
        this.securityGroupId = securityGroup?.id;
        this.logGroupName = logGroup.name;
        this.deadLetterQueueUrl = deadLetterQueue.url;
        this.deadLetterQueueArn = deadLetterQueue.arn;
        this.deadLetterQueueName = deadLetterQueue.name;
        this.deadLetterAlarmArn = alarm.arn;
        this.registerOutputs({
            topicArn: this.topicArn,
            keyArn: this.keyArn,
            functionName: this.functionName,
            functionArn: this.functionArn,
            deadLetterQueueUrl: this.deadLetterQueueUrl,
        });
    }

    /**
     * IAM statements that let a role publish registration events: `sns:Publish` on the topic, and the
     * topic key's data-key actions through SNS only.
     */
    publishStatements(): Statement[] {
        return [
            { Effect: "Allow", Action: "sns:Publish", Resource: this.topicArn },
            viaServiceStatement(this.keyArn, "sns", this.region, ["kms:GenerateDataKey*", "kms:Decrypt"]),
        ];
    }
}
