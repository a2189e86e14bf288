import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { renderAwsBootScript } from "../../functions/boot/aws";
import type { AppSettings } from "../../functions/boot/render";
import type { RegistrationTopic } from "../types";
import { serviceRole, type AwsAccount, type Statement } from "./iam";
import { MYSQL_PORT } from "./database";
import type { Network } from "./network";
import type { Secrets } from "./secrets";
import type { Storage } from "./storage";

/** TLS 1.3 and 1.2 with forward-secret AEAD ciphers only, plus hybrid post-quantum key exchange. */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09";

/** HSTS on every HTTPS response: browsers use HTTPS only for a year. */
export const HSTS_HEADER = "max-age=31536000";

/** Rolling replacement keeps half the capacity in service and may launch up to half more first. */
export const INSTANCE_REFRESH = { minHealthyPercentage: 50, maxHealthyPercentage: 150 } as const;

/** Seconds a new instance gets to boot (secret, agent, service) before health checks count. */
export const HEALTH_CHECK_GRACE_SECONDS = 300;
/** Seconds after an instance is in service before its metrics count for scaling and refresh. */
export const INSTANCE_WARMUP_SECONDS = 120;

/** Target-group health check: a target is healthy after 2 passes 15 s apart, out after 3 failures. */
export const HEALTH_CHECK = { interval: 15, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3 } as const;
/** Seconds a deregistering target keeps serving in-flight requests (the default, 300, slows every roll). */
export const DEREGISTRATION_DELAY_SECONDS = 30;

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

export interface ComputeArgs {
    /** The account and region deployed into (ARNs in the role's policies). */
    account: AwsAccount;
    /** The VPC: the load balancer goes in the public subnets, instances in the private ones. */
    network: Pick<Network, "networkId" | "publicSubnetIds" | "privateSubnetIds">;
    /** The public name served over HTTPS (`domainName`). */
    domainName: string;
    /**
     * An ACM certificate (same region) to serve (`aws.certificateArn`). Default: the tier requests
     * one for `domainName` and validates it with a DNS record in `zoneId`.
     */
    certificateArn?: string;
    /** The hosted zone of `domainName`, for the certificate's validation record. */
    zoneId: pulumi.Input<string>;
    /** The application on the image (`app.*`): user, directory, service and port (default 80). */
    app: AppSettings;
    /** Path the load balancer checks (`app.healthCheckPath`). Default `/healthz`. */
    healthCheckPath: string;
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
    /** The database's security group: instances may open MySQL connections to it, nothing else. */
    databaseSecurityGroupId: pulumi.Input<string>;
    /** The database secret (read at boot) and the statements to read it. */
    secrets: Pick<Secrets, "databaseSecretId" | "readStatements">;
    /**
     * Version id of the connection document in the secret: instances launch only once it exists,
     * and a new document rolls them.
     */
    secretVersionId: pulumi.Input<string>;
    /** The application's bucket and the statements to use it. */
    storage: Pick<Storage, "bucketName" | "readWriteStatements">;
    /** Where the application publishes registrations. Default: none (no permission, no env key). */
    registrationTopic?: RegistrationTopic;
    /** CloudWatch namespace of the agent's metrics, e.g. `webapp/dev`. */
    metricsNamespace: string;
    /** Retention of the application log group (`aws.logRetentionDays`). Default 30. */
    logRetentionDays: number;
    /** Protect the load balancer from deletion. Default: outside dev. */
    deletionProtection: boolean;
    /**
     * Tags for instances and their volumes: the provider's default tags do not reach what an Auto
     * Scaling group launches, so the launch template carries them.
     */
    instanceTags: Record<string, string>;
}

/**
 * The application tier: an internet-facing ALB (HTTPS with a modern TLS policy; HTTP answers 301
 * to HTTPS) in front of an Auto Scaling group of instances from the custom image in the private
 * subnets. Security groups form a chain: internet -> ALB (80, 443) -> instances (app port) ->
 * database (3306, granted by the database tier). Instances boot with IMDSv2 only, encrypted gp3
 * volumes, no public address and a least-privilege role; a launch-template change rolls them.
 */
export class Compute extends pulumi.ComponentResource {
    public readonly url: string;
    public readonly loadBalancerArn: pulumi.Output<string>;
    public readonly loadBalancerArnSuffix: pulumi.Output<string>;
    public readonly loadBalancerDnsName: pulumi.Output<string>;
    /** The hosted zone of the load balancer's DNS name (for alias records). */
    public readonly loadBalancerZoneId: pulumi.Output<string>;
    public readonly targetGroupArnSuffix: pulumi.Output<string>;
    public readonly autoScalingGroupName: pulumi.Output<string>;
    public readonly loadBalancerSecurityGroupId: pulumi.Output<string>;
    public readonly instanceSecurityGroupId: pulumi.Output<string>;
    public readonly instanceRoleArn: pulumi.Output<string>;
    public readonly logGroupName: pulumi.Output<string>;

    constructor(name: string, args: ComputeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:Compute", name, {}, opts);
        const child = { parent: this };

        // Security groups: no inline rules, each rule its own resource (the default allow-all
        // egress is removed when a group is created).
        const securityGroup = (role: string, description: string) =>
            new aws.ec2.SecurityGroup(
                `${name}-${role}-sg`,
                { vpcId: args.network.networkId, description, revokeRulesOnDelete: true },
                child,
            );
        const lbGroup = securityGroup(
            "alb",
            "webapp load balancer: HTTP and HTTPS from the internet, app port to instances",
        );
        const instanceGroup = securityGroup(
            "instance",
            "webapp instances: app port from the load balancer; HTTPS and MySQL out",
        );
        /** One TCP port in to (or out of) `group`, from (or to) a CIDR block or another group. */
        const allow = (
            direction: "in" | "out",
            role: string,
            group: aws.ec2.SecurityGroup,
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
        const internet = { cidr: "0.0.0.0/0" };
        allow("in", "alb-in-80", lbGroup, internet, 80, "HTTP (redirected to HTTPS)");
        allow("in", "alb-in-443", lbGroup, internet, 443, "HTTPS");
        allow(
            "out",
            "alb-out-app",
            lbGroup,
            { group: instanceGroup.id },
            args.app.port,
            "Requests and health checks to the instances",
        );
        allow(
            "in",
            "instance-in-app",
            instanceGroup,
            { group: lbGroup.id },
            args.app.port,
            "App port from the load balancer only",
        );
        allow(
            "out",
            "instance-out-https",
            instanceGroup,
            internet,
            443,
            "AWS APIs (Secrets Manager, S3, SNS, CloudWatch, SSM) through the NAT gateway",
        );
        allow(
            "out",
            "instance-out-mysql",
            instanceGroup,
            { group: args.databaseSecurityGroupId },
            MYSQL_PORT,
            "MySQL to the database",
        );

        // Load balancer, target group and listeners.
        const loadBalancer = new aws.lb.LoadBalancer(
            `${name}-alb`,
            {
                loadBalancerType: "application",
                internal: false,
                ipAddressType: "ipv4",
                subnets: args.network.publicSubnetIds,
                securityGroups: [lbGroup.id],
                dropInvalidHeaderFields: true,
                enableDeletionProtection: args.deletionProtection,
                idleTimeout: 60,
            },
            child,
        );
        const targetGroup = new aws.lb.TargetGroup(
            `${name}-tg`,
            {
                vpcId: args.network.networkId,
                targetType: "instance",
                protocol: "HTTP",
                port: args.app.port,
                deregistrationDelay: DEREGISTRATION_DELAY_SECONDS,
                healthCheck: {
                    enabled: true,
                    protocol: "HTTP",
                    port: "traffic-port",
                    path: args.healthCheckPath,
                    matcher: "200",
                    ...HEALTH_CHECK,
                },
            },
            child,
        );
        const certificateArn = args.certificateArn ?? this.issueCertificate(name, args.domainName, args.zoneId);
        new aws.lb.Listener(
            `${name}-https`,
            {
                loadBalancerArn: loadBalancer.arn,
                port: 443,
                protocol: "HTTPS",
                sslPolicy: TLS_POLICY,
                certificateArn,
                defaultActions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
                routingHttpResponseStrictTransportSecurityHeaderValue: HSTS_HEADER,
                routingHttpResponseServerEnabled: false,
            },
            child,
        );
        new aws.lb.Listener(
            `${name}-http`,
            {
                loadBalancerArn: loadBalancer.arn,
                port: 80,
                protocol: "HTTP",
                defaultActions: [
                    { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
                ],
            },
            child,
        );

        // The instances' log group and role.
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-app-logs`,
            { retentionInDays: args.logRetentionDays },
            child,
        );
        const role = serviceRole(
            `${name}-instance`,
            "ec2.amazonaws.com",
            args.account,
            instancePolicyStatements({
                secretStatements: args.secrets.readStatements("database"),
                storageStatements: args.storage.readWriteStatements(),
                topicStatements: args.registrationTopic?.publishStatements(),
                logGroupArn: logGroup.arn,
                metricsNamespace: args.metricsNamespace,
            }),
            {
                parent: this,
                description: "webapp instances: DB secret, bucket, registration topic, own logs and metrics, SSM",
                managedPolicyArns: [
                    pulumi.interpolate`arn:${args.account.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`,
                ],
                sourceAccount: false,
            },
        );
        const profile = new aws.iam.InstanceProfile(`${name}-instance`, { role: role.name }, child);

        // Launch template and group.
        const ami = aws.ec2.getAmiOutput(amiQuery(args.image), { parent: this });
        const userData = pulumi
            .all([
                args.secrets.databaseSecretId,
                args.storage.bucketName,
                args.registrationTopic?.topicArn,
                logGroup.name,
                args.secretVersionId,
            ])
            .apply(([dbSecretId, bucketName, registrationTopicArn, logGroupName, secretVersion]) =>
                Buffer.from(
                    renderAwsBootScript({
                        region: args.account.region,
                        dbSecretId,
                        bucketName,
                        registrationTopicArn,
                        app: args.app,
                        logGroupName,
                        metricsNamespace: args.metricsNamespace,
                        secretVersion,
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
                        securityGroups: [instanceGroup.id],
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
        const group = new aws.autoscaling.Group(
            `${name}-asg`,
            {
                vpcZoneIdentifiers: args.network.privateSubnetIds,
                minSize: args.minSize,
                maxSize: args.maxSize,
                launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply(String) },
                targetGroupArns: [targetGroup.arn],
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
            child,
        );
        new aws.autoscaling.Policy(
            `${name}-cpu-target`,
            {
                autoscalingGroupName: group.name,
                policyType: "TargetTrackingScaling",
                estimatedInstanceWarmup: INSTANCE_WARMUP_SECONDS,
                targetTrackingConfiguration: {
                    predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
                    targetValue: args.cpuTarget,
                },
            },
            child,
        );

        this.url = `https://${args.domainName}`;
        this.loadBalancerArn = loadBalancer.arn;
        this.loadBalancerArnSuffix = loadBalancer.arnSuffix;
        this.loadBalancerDnsName = loadBalancer.dnsName;
        this.loadBalancerZoneId = loadBalancer.zoneId;
        this.targetGroupArnSuffix = targetGroup.arnSuffix;
        this.autoScalingGroupName = group.name;
        this.loadBalancerSecurityGroupId = lbGroup.id;
        this.instanceSecurityGroupId = instanceGroup.id;
        this.instanceRoleArn = role.arn;
        this.logGroupName = logGroup.name;
        this.registerOutputs({
            url: this.url,
            loadBalancerDnsName: this.loadBalancerDnsName,
            autoScalingGroupName: this.autoScalingGroupName,
            instanceSecurityGroupId: this.instanceSecurityGroupId,
        });
    }

    /** An ACM certificate for the domain, validated by a DNS record; resolves once it is issued. */
    private issueCertificate(name: string, domainName: string, zoneId: pulumi.Input<string>): pulumi.Output<string> {
        const certificate = new aws.acm.Certificate(
            `${name}-certificate`,
            { domainName, validationMethod: "DNS" },
            { parent: this },
        );
        const option = certificate.domainValidationOptions.apply((options) => {
            const match = options.find((o) => o.domainName === domainName);
            if (!match) {
                throw new Error(`ACM returned no DNS validation record for ${domainName}`);
            }
            return match;
        });
        const record = new aws.route53.Record(
            `${name}-certificate-validation-record`,
            {
                zoneId,
                name: option.resourceRecordName,
                type: option.resourceRecordType,
                records: [option.resourceRecordValue],
                ttl: 300,
                allowOverwrite: true,
            },
            { parent: this },
        );
        const validation = new aws.acm.CertificateValidation(
            `${name}-certificate-validation`,
            { certificateArn: certificate.arn, validationRecordFqdns: [record.fqdn] },
            { parent: this },
        );
        return validation.certificateArn;
    }
}
