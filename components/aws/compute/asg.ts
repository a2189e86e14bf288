/**
 * The `asg` compute implementation (`aws.compute: asg`): instances from the custom image in an
 * Auto Scaling group, registered in the load balancer's target group by instance id.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { renderAwsBootScript } from "../../../functions/boot/aws";
import type { AppSettings } from "../../../functions/boot/render";
import type { AwsContext } from "../context";
import type { Database, RdsEngineSpec } from "../database";
import { serviceRole, type AwsAccount, type Statement } from "../iam";
import type { Widget } from "../monitoring";
import type { Network } from "../network";
import type { Secrets } from "../secrets";
import type { Storage } from "../storage";
import type { AwsAppBackend, AwsBackendDeps, AwsComputeImplementation, RegistrationTopic } from "./types";

/** Rolling replacement keeps half the capacity in service and may launch up to half more first. */
export const INSTANCE_REFRESH = { minHealthyPercentage: 50, maxHealthyPercentage: 150 } as const;

/** Seconds a new instance gets to boot (secret, agent, service) before health checks count. */
export const HEALTH_CHECK_GRACE_SECONDS = 300;
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
     * The connection document (the group starts instances only once it exists) and the statements
     * to read the RDS-managed credentials it names. The user data names the document's secret only,
     * so the launch template does not wait for the database; a rotated password or a new document
     * reaches the instances through their credentials timer, without a roll.
     */
    database: Pick<Database, "connectionDocument" | "credentialsReadStatements">;
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
        rule("out", `instance-out-${db.engine}`, { group: args.databaseSecurityGroupId }, db.port, `${db.label} to the database`);

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
                waitForCapacityTimeout: "15m",
                tags: Object.entries(args.instanceTags).map(([key, value]) => ({
                    key,
                    value,
                    propagateAtLaunch: false,
                })),
            },
            // Instances read the connection document at boot: it must exist before the first launches.
            { ...child, dependsOn: [args.database.connectionDocument] },
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

        this.securityGroupId = group.id;
        this.autoScalingGroupName = asg.name;
        this.instanceRoleArn = role.arn;
        this.logGroupName = logGroup.name;
        // The target group's health alarms belong to the load balancer; the group adds none.
        this.monitoring = { widgets: asgWidgets(asg.name, args.metricsNamespace), alarms: [] };
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
        ebsKeyArn: deps.kms.keyArns.ebs,
        logsKeyArn: deps.kms.keyArns.logs,
        internetEgress: cfg.aws.natGateways !== "none",
        databaseSecurityGroupId: deps.database.securityGroupId,
        databaseEngine: deps.database.engine,
        secrets: deps.secrets,
        database: deps.database,
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
