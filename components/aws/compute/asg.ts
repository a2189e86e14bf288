/**
 * The `asg` compute implementation (`aws.compute: asg`): instances from the custom image in an
 * Auto Scaling group, registered in the load balancer's target group by instance id.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { renderAwsBootScript } from "../../../functions/boot/aws";
import type { AppSettings } from "../../../functions/boot/render";
import type { AwsContext } from "../context";
import type { Cache } from "../cache";
import type { Database, RdsEngineSpec } from "../database";
import type { NightSchedule } from "../schedule";
import { unixCron } from "../../../config/schedule";
import { serviceRole, type AwsAccount, type Statement } from "../iam";
import type { AlarmDefinition, Widget } from "../monitoring";
import { ALARM_THRESHOLDS } from "../thresholds";
import type { Network } from "../network";
import type { Secrets } from "../secrets";
import type { Storage } from "../storage";
import type { AwsAppBackend, AwsBackendDeps, AwsComputeImplementation, RegistrationTopic } from "./types";

/** Rolling replacement keeps half the capacity in service and may launch up to half more first. */
export const INSTANCE_REFRESH = { minHealthyPercentage: 50, maxHealthyPercentage: 150 } as const;

/**
 * Seconds a new instance gets to boot (secret, agent, service) before the ELB health check counts:
 * 20 minutes, the boot script's wait for the connection document (`SECRET_RETRY`, 1,230 s of
 * polling). On a first deploy the group starts its instances in parallel with the database, so an
 * instance may wait up to that long for the document before its app starts; a shorter grace would
 * have the health check replace instances that are still waiting. The trade-off: an instance that
 * is truly broken (bad image, app that never answers) is replaced only after 20 minutes rather
 * than 5, and a rolling instance refresh may take as long to notice an unhealthy new instance.
 */
export const HEALTH_CHECK_GRACE_SECONDS = 1200;
/** Seconds after an instance is in service before its metrics count for scaling and refresh. */
export const INSTANCE_WARMUP_SECONDS = 120;

/** The image: a fixed AMI id, or the newest available AMI whose name starts with a prefix. */
export type ImageSelector = { id: string } | { owner: string; namePrefix: string };

/** The image config (`aws.imageId` or `aws.imageFilter`; the schema guarantees exactly one). */
export function imageSelector(config: {
    imageId?: string;
    imageFilter?: { owner: string; namePrefix: string };
}): ImageSelector {
    if (config.imageId !== undefined) {
        return { id: config.imageId };
    }
    if (config.imageFilter === undefined) {
        throw new Error("aws.imageId or aws.imageFilter must be set");
    }
    return { owner: config.imageFilter.owner, namePrefix: config.imageFilter.namePrefix };
}

/** The AMI lookup for an image selector (a fixed id is looked up too, for its root device name). */
export function amiQuery(image: ImageSelector): aws.ec2.GetAmiArgs {
    if ("id" in image) {
        return { filters: [{ name: "image-id", values: [image.id] }] };
    }
    return {
        mostRecent: true,
        owners: [image.owner],
        filters: [
            { name: "name", values: [`${image.namePrefix}*`] },
            { name: "state", values: ["available"] },
        ],
    };
}

export interface InstancePolicyArgs {
    /** The database secret's read statements (secret and its key through Secrets Manager). */
    readonly secretStatements: Statement[];
    /** The bucket's read/write/delete statements (objects and the S3 key). */
    readonly storageStatements: Statement[];
    /** Publishing to the registration topic; absent when the stack has none. */
    readonly topicStatements?: Statement[];
    readonly logGroupArn: pulumi.Input<string>;
    readonly metricsNamespace: string;
}

/**
 * The instance role's own statements: what its tiers grant, plus the CloudWatch agent's needs
 * (its log group only; metrics only in its namespace; instance tags for the group dimension, an
 * action without resource-level permissions). Session Manager comes from the AWS-managed policy.
 */
export function instancePolicyStatements(args: InstancePolicyArgs): Statement[] {
    return [
        ...args.secretStatements,
        ...args.storageStatements,
        ...(args.topicStatements ?? []),
        {
            Sid: "AppLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            Resource: [args.logGroupArn, pulumi.interpolate`${args.logGroupArn}:*`],
        },
        {
            Sid: "AgentMetrics",
            Effect: "Allow",
            Action: "cloudwatch:PutMetricData",
            Resource: "*",
            Condition: { StringEquals: { "cloudwatch:namespace": args.metricsNamespace } },
        },
        { Sid: "AgentInstanceTags", Effect: "Allow", Action: "ec2:DescribeTags", Resource: "*" },
    ];
}

/**
 * The Auto Scaling service-linked role launches instances, so it must be able to use the EBS key:
 * without this, instances whose volumes use the key fail to launch. The statement names the role by
 * condition rather than as principal so the policy is valid before the role first exists.
 */
export function autoScalingKeyStatements(account: AwsAccount): Statement[] {
    const role = pulumi.interpolate`arn:${account.partition}:iam::${account.accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;
    const callerIsAsg = {
        "aws:PrincipalArn": role,
        "kms:CallerAccount": account.accountId,
    };
    return [
        {
            Sid: "AutoScalingUseOfTheKey",
            Effect: "Allow",
            Principal: { AWS: "*" },
            Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            Resource: "*",
            Condition: { StringEquals: callerIsAsg },
        },
        {
            Sid: "AutoScalingAttachmentOfPersistentResources",
            Effect: "Allow",
            Principal: { AWS: "*" },
            Action: "kms:CreateGrant",
            Resource: "*",
            Condition: { StringEquals: callerIsAsg, Bool: { "kms:GrantIsForAWSResource": "true" } },
        },
    ];
}

/** The instances' dashboard widgets: CPU (EC2) and memory and disk (the CloudWatch agent), per group. */
export function asgWidgets<T extends pulumi.Input<string>>(groupName: T, metricsNamespace: string): Array<Widget<T>> {
    const asg = ["AutoScalingGroupName", groupName];
    return [
        { title: "Instance CPU %", stat: "Average", yAxisMax: 100, metrics: [["AWS/EC2", "CPUUtilization", ...asg]] },
        {
            title: "Instance memory and disk used %",
            stat: "Average",
            yAxisMax: 100,
            metrics: [
                [metricsNamespace, "mem_used_percent", ...asg],
                [metricsNamespace, "disk_used_percent", ...asg],
            ],
        },
    ];
}

/**
 * The group's own alarm: an instance failing its EC2 status checks (system or instance) for
 * `instanceStatusCheckMinutes`, whether or not the load balancer has replaced it yet.
 */
export function asgAlarms(groupName: pulumi.Input<string>): AlarmDefinition[] {
    const minutes = ALARM_THRESHOLDS.instanceStatusCheckMinutes;
    return [
        {
            role: "instance-status-check",
            args: {
                alarmDescription: `An instance of the Auto Scaling group has failed its EC2 status checks for ${minutes} minutes`,
                namespace: "AWS/EC2",
                metricName: "StatusCheckFailed",
                dimensions: { AutoScalingGroupName: groupName },
                statistic: "Maximum",
                period: 60,
                evaluationPeriods: minutes,
                comparisonOperator: "GreaterThanThreshold",
                threshold: 0,
                // No instance (scaled to zero at night) reports nothing: that is not a failure.
                treatMissingData: "notBreaching",
            },
        },
    ];
}

/** What an Auto Scaling group stack exports. */
export interface AsgOutputs {
    /** The group's name (for instance refreshes). */
    readonly autoScalingGroupName: pulumi.Output<string>;
}

export interface AsgBackendArgs {
    /** The account and region deployed into (ARNs in the role's policies). */
    account: AwsAccount;
    /** The VPC: instances go in its private subnets. */
    network: Pick<Network, "networkId" | "privateSubnetIds">;
    /** The load balancer's security group (the only source of app traffic) and target group. */
    loadBalancer: { securityGroupId: pulumi.Input<string>; targetGroupArn: pulumi.Input<string> };
    /** The application on the image (`app.*`): user, directory, service and port (default 80). */
    app: AppSettings;
    /** Default `t2.micro` (`aws.instanceType`). */
    instanceType: string;
    /** `aws.imageId`, or `aws.imageFilter` (default: own AMIs named `webapp-*`, newest first). */
    image: ImageSelector;
    /** Fewest instances in service (`aws.asg.min`). Default 1. */
    minSize: number;
    /** Most instances scaling may run (`aws.asg.max`). Default 2. */
    maxSize: number;
    /** Average CPU % the group scales to hold (`aws.asg.cpuTarget`). Default 50. */
    cpuTarget: number;
    /**
     * Scale to zero at `stopAt` and back to `minSize`/`maxSize` at `startAt` (`aws.schedule`).
     * Default: none (the group runs around the clock).
     */
    schedule?: NightSchedule;
    /** The customer-managed key for instance volumes. */
    ebsKeyArn: pulumi.Input<string>;
    /** The logs key (`Kms.keyArns.logs`): the application log group is encrypted with it. */
    logsKeyArn: pulumi.Input<string>;
    /**
     * HTTPS to anywhere (the AWS APIs through NAT). False without NAT (`aws.natGateways` `none`):
     * the VPC endpoints then give the instances HTTPS to themselves and to S3 only.
     */
    internetEgress: boolean;
    /** The database's security group: instances may open connections to its port, nothing else. */
    databaseSecurityGroupId: pulumi.Input<string>;
    /** The database's engine: its port and name (`Database.engine`). */
    databaseEngine: Pick<RdsEngineSpec, "engine" | "label" | "port">;
    /** The connection document's secret (read at boot) and the statements to read it. */
    secrets: Pick<Secrets, "databaseSecretId" | "readStatements">;
    /**
     * The statements to read the RDS-managed credentials the connection document names (the role's
     * policy, which waits for the database; the launch template and group do not). The user data
     * names the document's secret only and nothing waits for its version, so the instances start
     * in parallel with the database and their boot script polls for the document
     * (`SECRET_RETRY`); a rotated password or a new document reaches the instances through their
     * credentials timer, without a roll.
     */
    database: Pick<Database, "credentialsReadStatements">;
    /**
     * The cache (`features.cache`): the instances read its AUTH token's secret, named in the
     * connection document, at boot. Default: none.
     */
    cache?: Pick<Cache, "authReadStatements">;
    /** The application's bucket and the statements to use it. */
    storage: Pick<Storage, "bucketName" | "readWriteStatements">;
    /** Where the application publishes registrations. Default: none (no permission, no env key). */
    registrationTopic?: RegistrationTopic;
    /** CloudWatch namespace of the agent's metrics, e.g. `webapp/dev`. */
    metricsNamespace: string;
    /** Retention of the application log group (`aws.logRetentionDays`). Default 30. */
    logRetentionDays: number;
    /**
     * Tags for instances and their volumes: the provider's default tags do not reach what an Auto
     * Scaling group launches, so the launch template carries them.
     */
    instanceTags: Record<string, string>;
}

/**
 * The `asg` backend, a part of the `Compute` tier (its resources are the tier's children, named
 * `<tier>-<role>`): instances from the custom image in the private subnets, in an Auto Scaling group registered with
 * the load balancer's target group. Their security group takes the app port from the load
 * balancer only and sends HTTPS (AWS APIs through NAT) and MySQL to the database. Instances boot
 * with IMDSv2 only, encrypted gp3 volumes, no public address and a least-privilege role; a
 * launch-template change rolls them (instance refresh, automatic rollback).
 */
export class AsgBackend implements AwsAppBackend<AsgOutputs> {
    public readonly securityGroupId: pulumi.Output<string>;
    public readonly autoScalingGroupName: pulumi.Output<string>;
    public readonly instanceRoleArn: pulumi.Output<string>;
    public readonly logGroupName: pulumi.Output<string>;
    public readonly monitoring: AwsAppBackend["monitoring"];
    public readonly outputs: AsgOutputs;

    /** `name` is the tier's; `tier` the `Compute` component that holds the resources. */
    constructor(name: string, args: AsgBackendArgs, tier: pulumi.Resource) {
        const child = { parent: tier };

        // No inline rules: each rule is its own resource (the default allow-all egress is removed).
        const group = new aws.ec2.SecurityGroup(
            `${name}-instance-sg`,
            {
                vpcId: args.network.networkId,
                description: "webapp instances: app port from the load balancer; HTTPS and MySQL out",
                revokeRulesOnDelete: true,
            },
            child,
        );
        const rule = (
            direction: "in" | "out",
            role: string,
            peer: { cidr: string } | { group: pulumi.Input<string> },
            port: number,
            description: string,
        ) => {
            const Rule = direction === "in" ? aws.vpc.SecurityGroupIngressRule : aws.vpc.SecurityGroupEgressRule;
            new Rule(
                `${name}-${role}`,
                {
                    securityGroupId: group.id,
                    ...("cidr" in peer ? { cidrIpv4: peer.cidr } : { referencedSecurityGroupId: peer.group }),
                    ipProtocol: "tcp",
                    fromPort: port,
                    toPort: port,
                    description,
                },
                child,
            );
        };
        rule(
            "in",
            "instance-in-app",
            { group: args.loadBalancer.securityGroupId },
            args.app.port,
            "App port from the load balancer only",
        );
        if (args.internetEgress) {
            rule(
                "out",
                "instance-out-https",
                { cidr: "0.0.0.0/0" },
                443,
                "AWS APIs (Secrets Manager, S3, SNS, CloudWatch, SSM) through the NAT gateway",
            );
        }
        const db = args.databaseEngine;
        rule(
            "out",
            `instance-out-${db.engine}`,
            { group: args.databaseSecurityGroupId },
            db.port,
            `${db.label} to the database`,
        );

        // The instances' log group and role.
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-app-logs`,
            { retentionInDays: args.logRetentionDays, kmsKeyId: args.logsKeyArn },
            child,
        );
        const role = serviceRole(
            `${name}-instance`,
            "ec2.amazonaws.com",
            args.account,
            instancePolicyStatements({
                secretStatements: [
                    ...args.secrets.readStatements("database"),
                    ...args.database.credentialsReadStatements(),
                    ...(args.cache?.authReadStatements() ?? []),
                ],
                storageStatements: args.storage.readWriteStatements(),
                topicStatements: args.registrationTopic?.publishStatements(),
                logGroupArn: logGroup.arn,
                metricsNamespace: args.metricsNamespace,
            }),
            {
                ...child,
                description: "webapp instances: DB secret, bucket, registration topic, own logs and metrics, SSM",
                managedPolicyArns: [
                    pulumi.interpolate`arn:${args.account.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`,
                ],
                sourceAccount: false,
            },
        );
        const profile = new aws.iam.InstanceProfile(`${name}-instance`, { role: role.name }, child);

        // Launch template and group.
        const ami = aws.ec2.getAmiOutput(amiQuery(args.image), { parent: tier });
        const userData = pulumi
            .all([
                args.secrets.databaseSecretId,
                args.storage.bucketName,
                args.registrationTopic?.topicArn,
                logGroup.name,
            ])
            .apply(([dbSecretId, bucketName, registrationTopicArn, logGroupName]) =>
                Buffer.from(
                    renderAwsBootScript({
                        region: args.account.region,
                        dbSecretId,
                        bucketName,
                        registrationTopicArn,
                        app: args.app,
                        logGroupName,
                        metricsNamespace: args.metricsNamespace,
                        cache: args.cache !== undefined,
                    }),
                ).toString("base64"),
            );
        const tags = (resourceType: string) => ({ resourceType, tags: { ...args.instanceTags, Name: name } });
        const launchTemplate = new aws.ec2.LaunchTemplate(
            `${name}-lt`,
            {
                description: "webapp instances from the custom image",
                imageId: ami.id,
                instanceType: args.instanceType,
                iamInstanceProfile: { arn: profile.arn },
                metadataOptions: {
                    httpEndpoint: "enabled",
                    httpTokens: "required",
                    httpPutResponseHopLimit: 1,
                    instanceMetadataTags: "disabled",
                },
                monitoring: { enabled: true },
                networkInterfaces: [
                    {
                        deviceIndex: 0,
                        associatePublicIpAddress: "false",
                        deleteOnTermination: "true",
                        securityGroups: [group.id],
                    },
                ],
                blockDeviceMappings: [
                    {
                        deviceName: ami.rootDeviceName,
                        ebs: {
                            volumeType: "gp3",
                            encrypted: "true",
                            kmsKeyId: args.ebsKeyArn,
                            deleteOnTermination: "true",
                        },
                    },
                ],
                userData,
                tagSpecifications: [tags("instance"), tags("volume")],
                updateDefaultVersion: true,
            },
            child,
        );
        const asg = new aws.autoscaling.Group(
            `${name}-asg`,
            {
                vpcZoneIdentifiers: args.network.privateSubnetIds,
                minSize: args.minSize,
                maxSize: args.maxSize,
                launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply(String) },
                targetGroupArns: [args.loadBalancer.targetGroupArn],
                healthCheckType: "ELB",
                healthCheckGracePeriod: HEALTH_CHECK_GRACE_SECONDS,
                defaultInstanceWarmup: INSTANCE_WARMUP_SECONDS,
                instanceRefresh: {
                    strategy: "Rolling",
                    preferences: { ...INSTANCE_REFRESH, autoRollback: true, skipMatching: false },
                },
                enabledMetrics: [
                    "GroupDesiredCapacity",
                    "GroupInServiceInstances",
                    "GroupPendingInstances",
                    "GroupTerminatingInstances",
                    "GroupTotalInstances",
                ],
                metricsGranularity: "1Minute",
                terminationPolicies: ["OldestLaunchTemplate", "Default"],
                // Without minElbCapacity the provider waits for minSize instances InService in the
                // group (launched, not yet ELB-healthy: the grace period covers that), a minute or two.
                waitForCapacityTimeout: "15m",
                tags: Object.entries(args.instanceTags).map(([key, value]) => ({
                    key,
                    value,
                    propagateAtLaunch: false,
                })),
            },
            // No wait for the database: the group starts its instances while RDS is being created, and
            // their boot script polls the connection document's secret (`SECRET_RETRY`, ~20 minutes)
            // until its first version, and the role's policy that names the RDS-managed secret, exist.
            child,
        );
        new aws.autoscaling.Policy(
            `${name}-cpu-target`,
            {
                autoscalingGroupName: asg.name,
                policyType: "TargetTrackingScaling",
                estimatedInstanceWarmup: INSTANCE_WARMUP_SECONDS,
                targetTrackingConfiguration: {
                    predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
                    targetValue: args.cpuTarget,
                },
            },
            child,
        );

        if (args.schedule !== undefined) {
            const { stopAt, startAt, timezone } = args.schedule;
            for (const [role, recurrence, size] of [
                ["night-stop", stopAt, { minSize: 0, maxSize: 0, desiredCapacity: 0 }],
                [
                    "night-start",
                    startAt,
                    { minSize: args.minSize, maxSize: args.maxSize, desiredCapacity: args.minSize },
                ],
            ] as const) {
                new aws.autoscaling.Schedule(
                    `${name}-${role}`,
                    {
                        autoscalingGroupName: asg.name,
                        scheduledActionName: role,
                        recurrence: unixCron(recurrence),
                        timeZone: timezone,
                        ...size,
                    },
                    child,
                );
            }
        }

        this.securityGroupId = group.id;
        this.autoScalingGroupName = asg.name;
        this.instanceRoleArn = role.arn;
        this.logGroupName = logGroup.name;
        // The target group's health alarms belong to the load balancer; the group adds its status checks.
        this.monitoring = { widgets: asgWidgets(asg.name, args.metricsNamespace), alarms: asgAlarms(asg.name) };
        this.outputs = { autoScalingGroupName: asg.name };
    }
}

/** The group's arguments from the config (`aws.instanceType`, `aws.imageId`/`imageFilter`, `aws.asg.*`). */
export function asgArgs(ctx: AwsContext, deps: AwsBackendDeps): AsgBackendArgs {
    const cfg = ctx.config;
    return {
        account: ctx.account,
        network: deps.network,
        loadBalancer: deps.loadBalancer,
        app: cfg.app,
        instanceType: cfg.aws.instanceType,
        image: imageSelector(cfg.aws),
        minSize: cfg.aws.asg.min,
        maxSize: cfg.aws.asg.max,
        cpuTarget: cfg.aws.asg.cpuTarget,
        schedule: cfg.aws.schedule,
        ebsKeyArn: deps.kms.keyArns.ebs,
        logsKeyArn: deps.kms.keyArns.logs,
        internetEgress: cfg.aws.natGateways !== "none",
        databaseSecurityGroupId: deps.database.securityGroupId,
        databaseEngine: deps.database.engine,
        secrets: deps.secrets,
        database: deps.database,
        ...(deps.cache ? { cache: deps.cache } : {}),
        storage: deps.storage,
        registrationTopic: deps.registrationTopic,
        metricsNamespace: ctx.names.metricsNamespace,
        logRetentionDays: cfg.aws.logRetentionDays,
        instanceTags: { ...ctx.tags },
    };
}

/** `aws.compute: asg`. */
export const ASG_COMPUTE: AwsComputeImplementation<AsgOutputs> = {
    label: "instances",
    targetType: "instance",
    keyPolicyStatements: (account) => ({ ebs: autoScalingKeyStatements(account) }),
    build: (ctx, name, deps) => new AsgBackend(name, asgArgs(ctx, deps), deps.tier),
};
