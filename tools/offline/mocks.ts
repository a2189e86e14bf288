/**
 * Strict Pulumi mocks: realistic computed attributes for the resource types the program creates,
 * realistic answers for the invokes it makes, and an error for any invoke nobody planned for.
 * Used by the unit tests and by the offline plan.
 */
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";

export const MOCK_ACCOUNT_ID = "123456789012";
export const MOCK_GCP_PROJECT_NUMBER = "123456789012";

/** The AUTH string the mocked Memorystore instance returns (as a secret), so tests can search for it. */
export function mockRedisAuthString(resourceName: string): string {
    const h = shortHash(`redis-auth ${resourceName}`, 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The value the mocked RandomPassword returns (as a secret), so tests can search for it. */
export function mockPassword(resourceName: string): string {
    return `MockPw-${shortHash(resourceName, 16)}-!x9`;
}

export function shortHash(text: string, length = 7): string {
    return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** What the mocks know about the provider a resource was registered with. */
export interface ProviderContext {
    readonly awsRegion: string;
    readonly gcpProject: string;
    readonly gcpRegion: string;
}

export interface ResourceRequest {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
    readonly provider: ProviderContext;
}

type StateFn = (req: ResourceRequest) => Record<string, unknown>;

/** A physical name as Pulumi's auto-naming would make it: the logical name plus a suffix. */
export function autoName(name: string, maxLength = 255): string {
    const suffix = `-${shortHash(name)}`;
    return `${name.slice(0, maxLength - suffix.length)}${suffix}`;
}

function awsArn(service: string, resource: string, req: ResourceRequest, regional = true): string {
    return `arn:aws:${service}:${regional ? req.provider.awsRegion : ""}:${MOCK_ACCOUNT_ID}:${resource}`;
}

const SUBNET_ID_KIND: Readonly<Record<string, string>> = { public: "pub", private: "prv", isolated: "iso" };

/**
 * A subnet's ID from its name, `<vpc>-<tier>-<AZ number>` (components/aws/vpc.ts):
 * `subnet-<pub|prv|iso><hash of the VPC name and AZ index>`; any other name hashes whole.
 */
export function subnetId(name: string): string {
    const match = /^(.*)-(public|private|isolated)-(\d+)$/.exec(name);
    return match === null
        ? `subnet-${shortHash(name, 17)}`
        : `subnet-${SUBNET_ID_KIND[match[2]]}${shortHash(`${match[1]}${Number(match[3]) - 1}`, 8)}`;
}

/** Computed attributes per resource type (inputs are echoed back before these are added). */
const awsState: Record<string, StateFn> = {
    "aws:ec2/vpc:Vpc": (req) => {
        const id = `vpc-${shortHash(req.name, 12)}`;
        return {
            id,
            arn: awsArn("ec2", `vpc/${id}`, req),
            mainRouteTableId: `rtb-${shortHash(`main${req.name}`, 17)}`,
            defaultSecurityGroupId: `sg-${shortHash(`default${req.name}`, 17)}`,
            defaultNetworkAclId: `acl-${shortHash(`default${req.name}`, 17)}`,
            ownerId: MOCK_ACCOUNT_ID,
        };
    },
    "aws:ec2/subnet:Subnet": (req) => {
        const id = subnetId(req.name);
        return { id, arn: awsArn("ec2", `subnet/${id}`, req), ownerId: MOCK_ACCOUNT_ID };
    },
    // The table of subnet <vpc>-<tier>-<n> (the VPC names both alike): an ID made from the subnet's,
    // which the route table lookups below answer for that subnet.
    "aws:ec2/routeTable:RouteTable": (req) => {
        const id = `rtb-${shortHash(subnetId(req.name), 17)}`;
        return { id, arn: awsArn("ec2", `route-table/${id}`, req), ownerId: MOCK_ACCOUNT_ID };
    },
    "aws:ec2/routeTableAssociation:RouteTableAssociation": (req) => ({ id: `rtbassoc-${shortHash(req.name, 17)}` }),
    "aws:ec2/internetGateway:InternetGateway": (req) => {
        const id = `igw-${shortHash(`igw${req.name}`, 17)}`;
        return { id, arn: awsArn("ec2", `internet-gateway/${id}`, req), ownerId: MOCK_ACCOUNT_ID };
    },
    "aws:ec2/eip:Eip": (req) => {
        const id = `eipalloc-${shortHash(req.name, 17)}`;
        return {
            id,
            allocationId: id,
            domain: "vpc",
            publicIp: "203.0.113.20",
            arn: awsArn("ec2", `elastic-ip/${id}`, req),
        };
    },
    "aws:ec2/natGateway:NatGateway": (req) => ({
        id: `nat-${shortHash(req.name, 17)}`,
        networkInterfaceId: `eni-${shortHash(`nat${req.name}`, 17)}`,
        privateIp: "10.0.64.5",
        publicIp: "203.0.113.20",
    }),
    "aws:ec2/instance:Instance": (req) => {
        const id = `i-${shortHash(req.name, 17)}`;
        return {
            id,
            arn: awsArn("ec2", `instance/${id}`, req),
            primaryNetworkInterfaceId: `eni-${shortHash(req.name, 17)}`,
            privateIp: "10.0.64.10",
            publicIp: "203.0.113.10",
        };
    },
    "aws:ec2/networkAcl:NetworkAcl": (req) => {
        const id = `acl-${shortHash(req.name, 17)}`;
        return { id, arn: awsArn("ec2", `network-acl/${id}`, req) };
    },
    "aws:ec2/route:Route": (req) => ({ id: `r-${String(req.inputs.routeTableId)}1080289494` }),
    "aws:ec2/vpcEndpoint:VpcEndpoint": (req) => {
        const id = `vpce-${shortHash(req.name, 17)}`;
        return {
            id,
            arn: awsArn("ec2", `vpc-endpoint/${id}`, req),
            ...(req.inputs.vpcEndpointType === "Gateway" ? { prefixListId: `pl-${shortHash(req.name, 8)}` } : {}),
        };
    },
    "aws:kms/key:Key": (req) => {
        const keyId = `mrk-${shortHash(req.name, 32)}`;
        return { keyId, arn: awsArn("kms", `key/${keyId}`, req) };
    },
    "aws:kms/alias:Alias": (req) => ({ arn: awsArn("kms", String(req.inputs.name), req) }),
    "aws:secretsmanager/secret:Secret": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 512);
        return { name, arn: awsArn("secretsmanager", `secret:${name}-AbCdEf`, req) };
    },
    "aws:secretsmanager/secretRotation:SecretRotation": () => ({ rotationEnabled: true }),
    "aws:secretsmanager/secretVersion:SecretVersion": (req) => ({
        versionId: `v-${shortHash(req.name, 12)}`,
        arn: req.inputs.secretId,
    }),
    "aws:rds/instance:Instance": (req) => {
        const identifier = req.inputs.identifier ?? autoName(req.name, 63);
        const address = `${identifier}.c${shortHash(req.name, 11)}.${req.provider.awsRegion}.rds.amazonaws.com`;
        return {
            identifier,
            address,
            port: req.inputs.port ?? 3306,
            endpoint: `${address}:${req.inputs.port ?? 3306}`,
            arn: awsArn("rds", `db:${identifier}`, req),
            resourceId: `db-${shortHash(req.name, 26).toUpperCase()}`,
            // RDS names the secret it keeps the master credentials in `rds!db-<uuid>`.
            masterUserSecrets: req.inputs.manageMasterUserPassword
                ? [
                      {
                          secretArn: awsArn("secretsmanager", `secret:rds!db-${uuidFrom(req.name)}-AbCdEf`, req),
                          kmsKeyId: req.inputs.masterUserSecretKmsKeyId,
                          secretStatus: "active",
                      },
                  ]
                : [],
        };
    },
    "aws:elasticache/replicationGroup:ReplicationGroup": (req) => {
        // ElastiCache ids are lower case, at most 40 characters.
        const id = String(req.inputs.replicationGroupId ?? autoName(req.name, 40)).toLowerCase();
        const host = `master.${id}.${shortHash(req.name, 6)}.${req.provider.awsRegion}.cache.amazonaws.com`;
        const nodes = Number(req.inputs.numCacheClusters ?? 1);
        return {
            id,
            replicationGroupId: id,
            arn: awsArn("elasticache", `replicationgroup:${id}`, req),
            primaryEndpointAddress: host,
            readerEndpointAddress: host.replace(/^master\./, "replica."),
            port: req.inputs.port ?? 6379,
            memberClusters: Array.from({ length: nodes }, (_, i) => `${id}-${String(i + 1).padStart(3, "0")}`),
        };
    },
    "aws:elasticache/subnetGroup:SubnetGroup": (req) => {
        const name = String(req.inputs.name ?? autoName(req.name, 255)).toLowerCase();
        return { name, arn: awsArn("elasticache", `subnetgroup:${name}`, req) };
    },
    "aws:elasticache/parameterGroup:ParameterGroup": (req) => {
        const name = String(req.inputs.name ?? autoName(req.name, 255)).toLowerCase();
        return { name, arn: awsArn("elasticache", `parametergroup:${name}`, req) };
    },
    "aws:rds/subnetGroup:SubnetGroup": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 255);
        return { name, arn: awsArn("rds", `subgrp:${name}`, req) };
    },
    "aws:rds/parameterGroup:ParameterGroup": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 255);
        return { name, arn: awsArn("rds", `pg:${name}`, req) };
    },
    "aws:s3/bucket:Bucket": (req) => {
        const bucket = req.inputs.bucket ?? autoName(req.name, 63).toLowerCase();
        return {
            bucket,
            arn: `arn:aws:s3:::${bucket}`,
            bucketDomainName: `${bucket}.s3.amazonaws.com`,
            bucketRegionalDomainName: `${bucket}.s3.${req.provider.awsRegion}.amazonaws.com`,
            region: req.provider.awsRegion,
        };
    },
    "aws:ec2/securityGroup:SecurityGroup": (req) => {
        const id = `sg-${shortHash(req.name, 17)}`;
        return { arn: awsArn("ec2", `security-group/${id}`, req), name: req.inputs.name ?? autoName(req.name) };
    },
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": (req) => {
        const id = `sg-${shortHash(req.name, 17)}`;
        return { id, arn: awsArn("ec2", `security-group/${id}`, req), name: "default" };
    },
    "aws:s3/bucketObjectv2:BucketObjectv2": (req) => ({
        versionId: shortHash(`v${req.name}`, 32),
        etag: shortHash(`e${req.name}`, 32),
    }),
    "aws:signer/signingProfile:SigningProfile": (req) => {
        // Signer names allow only letters, digits and `_`; the provider appends 26 characters to a prefix.
        const name = req.inputs.name ?? `${req.inputs.namePrefix ?? ""}${shortHash(req.name, 26)}`;
        const version = shortHash(`v${req.name}`, 10);
        const arn = awsArn("signer", `/signing-profiles/${name}`, req);
        return { name, arn, version, versionArn: `${arn}/${version}`, status: "Active" };
    },
    "aws:signer/signingJob:SigningJob": (req) => {
        const jobId = uuidFrom(req.name);
        const destination = req.inputs.destination?.s3 ?? {};
        return {
            id: jobId,
            jobId,
            status: "Succeeded",
            signedObjects: [{ s3s: [{ bucket: destination.bucket, key: `${destination.prefix ?? ""}${jobId}.zip` }] }],
        };
    },
    "aws:lambda/codeSigningConfig:CodeSigningConfig": (req) => {
        const configId = `csc-${shortHash(req.name, 17)}`;
        return {
            id: awsArn("lambda", `code-signing-config:${configId}`, req),
            configId,
            arn: awsArn("lambda", `code-signing-config:${configId}`, req),
        };
    },
    "aws:iam/role:Role": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 64);
        return {
            name,
            arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/${name}`,
            uniqueId: `AROA${shortHash(req.name, 17)}`,
        };
    },
    "aws:iam/policy:Policy": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 128);
        return { name, arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:policy/${name}` };
    },
    "aws:iam/instanceProfile:InstanceProfile": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 128);
        return { name, arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:instance-profile/${name}` };
    },
    "aws:cloudwatch/logGroup:LogGroup": (req) => {
        // With namePrefix, the provider appends a 26-character unique suffix.
        const name =
            req.inputs.name ??
            (req.inputs.namePrefix ? `${req.inputs.namePrefix}${shortHash(req.name, 26)}` : autoName(req.name, 512));
        return { name, arn: awsArn("logs", `log-group:${name}`, req) };
    },
    "aws:sns/topic:Topic": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 256);
        return { name, arn: awsArn("sns", name, req) };
    },
    "aws:sqs/queue:Queue": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 80);
        return {
            name,
            arn: awsArn("sqs", name, req),
            url: `https://sqs.${req.provider.awsRegion}.amazonaws.com/${MOCK_ACCOUNT_ID}/${name}`,
        };
    },
    "aws:lambda/function:Function": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 64);
        const arn = awsArn("lambda", `function:${name}`, req);
        return {
            name,
            arn,
            qualifiedArn: `${arn}:$LATEST`,
            invokeArn: `arn:aws:apigateway:${req.provider.awsRegion}:lambda:path/2015-03-31/functions/${arn}/invocations`,
            version: "$LATEST",
        };
    },
    "aws:lb/loadBalancer:LoadBalancer": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 32);
        const suffix = `app/${name}/${shortHash(req.name, 16)}`;
        return {
            name,
            arn: awsArn("elasticloadbalancing", `loadbalancer/${suffix}`, req),
            arnSuffix: suffix,
            dnsName: `${name}-${shortHash(req.name, 10)}.${req.provider.awsRegion}.elb.amazonaws.com`,
            zoneId: "Z35SXDOTRQ7X7K",
        };
    },
    "aws:lb/targetGroup:TargetGroup": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 32);
        const suffix = `targetgroup/${name}/${shortHash(req.name, 16)}`;
        return { name, arn: awsArn("elasticloadbalancing", suffix, req), arnSuffix: suffix };
    },
    "aws:lb/listener:Listener": (req) => ({
        arn: awsArn("elasticloadbalancing", `listener/app/${shortHash(req.name, 16)}`, req),
    }),
    "aws:acm/certificate:Certificate": (req) => ({
        arn: awsArn("acm", `certificate/${uuidFrom(req.name)}`, req),
        domainValidationOptions: [req.inputs.domainName, ...(req.inputs.subjectAlternativeNames ?? [])].map(
            (domainName: string) => ({
                domainName,
                resourceRecordName: `_${shortHash(domainName, 32)}.${domainName}.`,
                resourceRecordType: "CNAME",
                resourceRecordValue: `_${shortHash(`v${domainName}`, 32)}.acm-validations.aws.`,
            }),
        ),
        status: "PENDING_VALIDATION",
    }),
    "aws:acm/certificateValidation:CertificateValidation": (req) => ({ id: String(req.inputs.certificateArn) }),
    "aws:ec2/launchTemplate:LaunchTemplate": (req) => ({
        arn: awsArn("ec2", `launch-template/lt-${shortHash(req.name, 17)}`, req),
        latestVersion: 1,
        defaultVersion: 1,
        name: req.inputs.name ?? autoName(req.name, 128),
    }),
    "aws:autoscaling/group:Group": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 255);
        return {
            name,
            arn: awsArn("autoscaling", `autoScalingGroup:${uuidFrom(req.name)}:autoScalingGroupName/${name}`, req),
        };
    },
    "aws:ecr/repository:Repository": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 256);
        return {
            name,
            arn: awsArn("ecr", `repository/${name}`, req),
            registryId: MOCK_ACCOUNT_ID,
            repositoryUrl: `${MOCK_ACCOUNT_ID}.dkr.ecr.${req.provider.awsRegion}.amazonaws.com/${name}`,
        };
    },
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": (req) => ({
        id: String(req.inputs.repository),
        registryId: MOCK_ACCOUNT_ID,
    }),
    "aws:ecs/cluster:Cluster": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 255);
        const arn = awsArn("ecs", `cluster/${name}`, req);
        return { name, arn, id: arn };
    },
    "aws:ecs/taskDefinition:TaskDefinition": (req) => {
        const family = String(req.inputs.family);
        const arnWithoutRevision = awsArn("ecs", `task-definition/${family}`, req);
        return { arn: `${arnWithoutRevision}:1`, arnWithoutRevision, revision: 1, id: family };
    },
    "aws:ecs/service:Service": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 255);
        const cluster = String(req.inputs.cluster ?? "default")
            .split("/")
            .pop();
        const arn = awsArn("ecs", `service/${cluster}/${name}`, req);
        return { name, arn, id: arn };
    },
    "aws:appautoscaling/target:Target": (req) => ({
        arn: awsArn("application-autoscaling", `scalable-target/${shortHash(req.name, 26)}`, req),
        id: String(req.inputs.resourceId),
    }),
    "aws:appautoscaling/policy:Policy": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 255);
        return {
            name,
            arn: awsArn(
                "autoscaling",
                `scalingPolicy:${uuidFrom(req.name)}:resource/${String(req.inputs.resourceId)}:policyName/${name}`,
                req,
            ),
        };
    },
    "aws:appautoscaling/scheduledAction:ScheduledAction": (req) => ({
        arn: awsArn(
            "autoscaling",
            `scheduledAction:${uuidFrom(req.name)}:resource/${String(req.inputs.resourceId)}:scheduledActionName/${String(req.inputs.name)}`,
            req,
        ),
    }),
    "aws:autoscaling/schedule:Schedule": (req) => ({
        arn: awsArn(
            "autoscaling",
            `scheduledUpdateGroupAction:${uuidFrom(req.name)}:autoScalingGroupName/${String(req.inputs.autoscalingGroupName)}:scheduledActionName/${String(req.inputs.scheduledActionName)}`,
            req,
        ),
        id: String(req.inputs.scheduledActionName),
    }),
    "aws:scheduler/schedule:Schedule": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 64);
        const groupName = req.inputs.groupName ?? "default";
        return {
            name,
            groupName,
            arn: awsArn("scheduler", `schedule/${groupName}/${name}`, req),
            id: `${groupName}/${name}`,
        };
    },
    "aws:route53/zone:Zone": (req) => ({
        zoneId: `Z${shortHash(req.name, 20).toUpperCase()}`,
        nameServers: ["ns-1.awsdns-00.org", "ns-2.awsdns-00.com", "ns-3.awsdns-00.net", "ns-4.awsdns-00.co.uk"],
        arn: `arn:aws:route53:::hostedzone/Z${shortHash(req.name, 20).toUpperCase()}`,
    }),
    "aws:route53/record:Record": (req) => ({ fqdn: String(req.inputs.name ?? req.name).replace(/\.$/, "") }),
    "aws:cloudtrail/trail:Trail": (req) => ({
        arn: awsArn("cloudtrail", `trail/${req.inputs.name ?? autoName(req.name)}`, req),
    }),
    "aws:wafv2/webAcl:WebAcl": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 128);
        const id = uuidFrom(req.name);
        const scope = req.inputs.scope === "CLOUDFRONT" ? "global" : "regional";
        return { id, name, arn: awsArn("wafv2", `${scope}/webacl/${name}/${id}`, req), capacity: 1000 };
    },
    "aws:cloudfront/distribution:Distribution": (req) => {
        const id = `E${shortHash(req.name, 13).toUpperCase()}`;
        return {
            id,
            arn: awsArn("cloudfront", `distribution/${id}`, req, false),
            domainName: `d${shortHash(req.name, 13)}.cloudfront.net`,
            hostedZoneId: "Z2FDTNDATAQYW2",
            status: "Deployed",
            etag: shortHash(`${req.name}-etag`, 14).toUpperCase(),
        };
    },
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 60);
        return { name, arn: awsArn("logs", `delivery-source:${name}`, req), service: "cloudfront" };
    },
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 60);
        return { name, arn: awsArn("logs", `delivery-destination:${name}`, req), deliveryDestinationType: "S3" };
    },
    "aws:cloudwatch/logDelivery:LogDelivery": (req) => {
        const id = shortHash(req.name, 16);
        return { id, arn: awsArn("logs", `delivery:${id}`, req) };
    },
    "aws:guardduty/detector:Detector": (req) => ({ id: shortHash(req.name, 32) }),
    "aws:securityhub/account:Account": (req) => ({
        id: MOCK_ACCOUNT_ID,
        arn: awsArn("securityhub", "hub/default", req),
    }),
    "aws:securityhub/standardsSubscription:StandardsSubscription": (req) => ({
        id: String(req.inputs.standardsArn ?? "").replace(/::standards\//, `:${MOCK_ACCOUNT_ID}:subscription/`),
    }),
    "aws:cfg/recorder:Recorder": (req) => ({ id: req.inputs.name ?? "default", name: req.inputs.name ?? "default" }),
    "aws:cfg/deliveryChannel:DeliveryChannel": (req) => ({ id: req.inputs.name ?? "default" }),
    "aws:cfg/recorderStatus:RecorderStatus": (req) => ({ id: req.inputs.name }),
    "aws:cfg/rule:Rule": (req) => {
        const ruleId = `config-rule-${shortHash(req.name, 6)}`;
        return { id: req.inputs.name, ruleId, arn: awsArn("config", `config-rule/${ruleId}`, req) };
    },
    "aws:accessanalyzer/analyzer:Analyzer": (req) => ({
        id: req.inputs.analyzerName,
        arn: awsArn("access-analyzer", `analyzer/${req.inputs.analyzerName}`, req),
    }),
    "aws:inspector2/enabler:Enabler": (req) => ({
        id: `${MOCK_ACCOUNT_ID}-${[...(req.inputs.resourceTypes ?? [])].join(":")}`,
    }),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": (req) => ({ id: req.inputs.name ?? autoName(req.name, 512) }),
    "aws:budgets/budget:Budget": (req) => ({ name: req.inputs.name ?? autoName(req.name, 100) }),
    "aws:costexplorer/anomalyMonitor:AnomalyMonitor": (req) => ({
        arn: `arn:aws:ce::${MOCK_ACCOUNT_ID}:anomalymonitor/${uuidFrom(req.name)}`,
    }),
    "aws:backup/vault:Vault": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 50);
        return { id: name, name, arn: awsArn("backup", `backup-vault:${name}`, req) };
    },
    "aws:backup/plan:Plan": (req) => {
        const id = uuidFrom(req.name);
        return { id, arn: awsArn("backup", `backup-plan:${id}`, req) };
    },
    "aws:cloudwatch/dashboard:Dashboard": (req) => ({
        dashboardArn: `arn:aws:cloudwatch::${MOCK_ACCOUNT_ID}:dashboard/${req.inputs.dashboardName ?? req.name}`,
    }),
    "aws:cloudwatch/eventRule:EventRule": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 64);
        return { name, arn: awsArn("events", `rule/${name}`, req) };
    },
    "aws:sfn/stateMachine:StateMachine": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 80);
        const arn = awsArn("states", `stateMachine:${name}`, req);
        return { name, arn, id: arn };
    },
    "aws:cloudwatch/metricAlarm:MetricAlarm": (req) => ({
        name: req.inputs.name ?? autoName(req.name),
        arn: awsArn("cloudwatch", `alarm:${req.inputs.name ?? autoName(req.name)}`, req),
    }),
};

const randomState: Record<string, StateFn> = {
    "random:index/randomPassword:RandomPassword": (req) => ({
        // The provider marks `result` secret through additionalSecretOutputs, which mocks ignore.
        result: pulumi.secret(mockPassword(req.name)),
        bcryptHash: pulumi.secret(`$2a$10$${shortHash(req.name, 53)}`),
    }),
    "random:index/randomString:RandomString": (req) => ({
        result: shortHash(req.name, Number(req.inputs.length ?? 8)).replace(/[0-9]/g, (d) => "abcdefghij"[Number(d)]),
    }),
    "random:index/randomId:RandomId": (req) => ({
        hex: shortHash(req.name, Number(req.inputs.byteLength ?? 4) * 2),
        b64Url: shortHash(req.name, Number(req.inputs.byteLength ?? 4) * 2),
    }),
};

/** Where each Google service's per-project service agent lives (`service-<number>@<domain>`). */
const SERVICE_AGENT_DOMAINS: Record<string, string> = {
    "sqladmin.googleapis.com": "gcp-sa-cloud-sql.iam.gserviceaccount.com",
    "secretmanager.googleapis.com": "gcp-sa-secretmanager.iam.gserviceaccount.com",
    "pubsub.googleapis.com": "gcp-sa-pubsub.iam.gserviceaccount.com",
    "artifactregistry.googleapis.com": "gcp-sa-artifactregistry.iam.gserviceaccount.com",
};

function gcpSelfLink(req: ResourceRequest, collection: string, name: string, scope = "global"): string {
    const where = scope === "global" ? "global" : scope;
    return `https://www.googleapis.com/compute/v1/projects/${req.provider.gcpProject}/${where}/${collection}/${name}`;
}

const gcpState: Record<string, StateFn> = {
    "gcp:compute/network:Network": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 63);
        return {
            name,
            selfLink: gcpSelfLink(req, "networks", name),
            id: `projects/${req.provider.gcpProject}/global/networks/${name}`,
        };
    },
    "gcp:compute/subnetwork:Subnetwork": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 63);
        const scope = `regions/${req.inputs.region ?? req.provider.gcpRegion}`;
        return {
            name,
            selfLink: gcpSelfLink(req, "subnetworks", name, scope),
            id: `projects/${req.provider.gcpProject}/${scope}/subnetworks/${name}`,
            gatewayAddress: "10.10.0.1",
        };
    },
    "gcp:compute/router:Router": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 63);
        const scope = `regions/${req.inputs.region ?? req.provider.gcpRegion}`;
        return {
            name,
            selfLink: gcpSelfLink(req, "routers", name, scope),
            id: `projects/${req.provider.gcpProject}/${scope}/routers/${name}`,
        };
    },
    "gcp:compute/routerNat:RouterNat": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 63);
        const region = req.inputs.region ?? req.provider.gcpRegion;
        return { name, id: `${req.provider.gcpProject}/${region}/${req.inputs.router}/${name}` };
    },
    "gcp:compute/firewall:Firewall": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 63);
        return {
            name,
            selfLink: gcpSelfLink(req, "firewalls", name),
            id: `projects/${req.provider.gcpProject}/global/firewalls/${name}`,
        };
    },
    "gcp:servicenetworking/connection:Connection": (req) => ({
        peering: "servicenetworking-googleapis-com",
        id: `${req.inputs.network}:${req.inputs.service}`,
    }),
    "gcp:projects/service:Service": (req) => ({ id: `${req.provider.gcpProject}/${req.inputs.service}` }),
    "gcp:projects/serviceIdentity:ServiceIdentity": (req) => {
        const agent = SERVICE_AGENT_DOMAINS[String(req.inputs.service)];
        if (!agent) {
            throw new Error(`no mock service agent for ${req.inputs.service}: add it to tools/offline/mocks.ts`);
        }
        const email = `service-${MOCK_GCP_PROJECT_NUMBER}@${agent}`;
        const id = `projects/${req.provider.gcpProject}/services/${req.inputs.service}`;
        return { email, member: `serviceAccount:${email}`, id };
    },
    "gcp:kms/keyRing:KeyRing": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 63);
        return { name, id: `projects/${req.provider.gcpProject}/locations/${req.inputs.location}/keyRings/${name}` };
    },
    "gcp:kms/cryptoKey:CryptoKey": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 63);
        return { name, id: `${req.inputs.keyRing}/cryptoKeys/${name}` };
    },
    "gcp:secretmanager/secret:Secret": (req) => {
        const secretId = req.inputs.secretId ?? autoName(req.name);
        return {
            secretId,
            name: `projects/${MOCK_GCP_PROJECT_NUMBER}/secrets/${secretId}`,
            id: `projects/${req.provider.gcpProject}/secrets/${secretId}`,
        };
    },
    "gcp:secretmanager/secretVersion:SecretVersion": (req) => ({
        name: `${req.inputs.secret}/versions/1`,
        version: "1",
    }),
    "gcp:sql/databaseInstance:DatabaseInstance": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 84);
        return {
            name,
            connectionName: `${req.provider.gcpProject}:${req.inputs.region ?? req.provider.gcpRegion}:${name}`,
            privateIpAddress: "10.200.0.3",
            selfLink: `https://sqladmin.googleapis.com/sql/v1beta4/projects/${req.provider.gcpProject}/instances/${name}`,
        };
    },
    "gcp:redis/instance:Instance": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 40).toLowerCase();
        const region = req.inputs.region ?? req.provider.gcpRegion;
        const tls = req.inputs.transitEncryptionMode === "SERVER_AUTHENTICATION";
        return {
            name,
            id: `projects/${req.provider.gcpProject}/locations/${region}/instances/${name}`,
            host: "10.200.16.4",
            port: tls ? 6378 : 6379,
            currentLocationId: `${region}-b`,
            // The provider marks authString secret through additionalSecretOutputs, which mocks ignore.
            ...(req.inputs.authEnabled ? { authString: pulumi.secret(mockRedisAuthString(req.name)) } : {}),
            serverCaCerts: tls
                ? [
                      {
                          serialNumber: "0",
                          cert: `-----BEGIN CERTIFICATE-----\nMIIDmock${shortHash(req.name, 24)}\n-----END CERTIFICATE-----\n`,
                          sha1Fingerprint: shortHash(`ca ${req.name}`, 40),
                      },
                  ]
                : [],
        };
    },
    "gcp:storage/bucket:Bucket": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 63).toLowerCase();
        return { name, url: `gs://${name}`, selfLink: `https://www.googleapis.com/storage/v1/b/${name}` };
    },
    "gcp:serviceaccount/account:Account": (req) => {
        const accountId = req.inputs.accountId ?? autoName(req.name, 30);
        const email = `${accountId}@${req.provider.gcpProject}.iam.gserviceaccount.com`;
        return {
            email,
            member: `serviceAccount:${email}`,
            name: `projects/${req.provider.gcpProject}/serviceAccounts/${email}`,
        };
    },
    "gcp:compute/globalAddress:GlobalAddress": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 63);
        // An internal range reserved for private services access, or an external anycast address.
        const internal = req.inputs.addressType === "INTERNAL";
        return {
            name,
            address: req.inputs.address ?? (internal ? "10.200.0.0" : "34.120.0.10"),
            selfLink: gcpSelfLink(req, "addresses", name),
        };
    },
    "gcp:pubsub/topic:Topic": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 255);
        return { name, id: `projects/${req.provider.gcpProject}/topics/${name}` };
    },
    "gcp:pubsub/subscription:Subscription": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 255);
        return { name, id: `projects/${req.provider.gcpProject}/subscriptions/${name}` };
    },
    "gcp:storage/bucketObject:BucketObject": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 255);
        return {
            name,
            outputName: name,
            generation: 1767225600000000,
            md5hash: shortHash(req.name, 22),
            selfLink: `https://www.googleapis.com/storage/v1/b/${req.inputs.bucket}/o/${name}`,
        };
    },
    "gcp:cloudfunctionsv2/function:Function": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 63);
        const location = req.inputs.location ?? req.provider.gcpRegion;
        const uri = `https://${name}-${shortHash(req.name, 10)}-ue.a.run.app`;
        return {
            name,
            id: `projects/${req.provider.gcpProject}/locations/${location}/functions/${name}`,
            url: `https://${location}-${req.provider.gcpProject}.cloudfunctions.net/${name}`,
            state: "ACTIVE",
            serviceConfig: {
                ...req.inputs.serviceConfig,
                service: `projects/${req.provider.gcpProject}/locations/${location}/services/${name}`,
                uri,
            },
        };
    },
    "gcp:artifactregistry/repository:Repository": (req) => {
        const location = req.inputs.location ?? req.provider.gcpRegion;
        const repositoryId = String(req.inputs.repositoryId);
        return {
            name: repositoryId,
            repositoryId,
            id: `projects/${req.provider.gcpProject}/locations/${location}/repositories/${repositoryId}`,
            registryUri: `${location}-docker.pkg.dev/${req.provider.gcpProject}/${repositoryId}`,
        };
    },
    "gcp:cloudrunv2/service:Service": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 49);
        const location = req.inputs.location ?? req.provider.gcpRegion;
        return {
            name,
            id: `projects/${req.provider.gcpProject}/locations/${location}/services/${name}`,
            uri: `https://${name}-${shortHash(req.name, 10)}-ue.a.run.app`,
            latestReadyRevision: `projects/${req.provider.gcpProject}/locations/${location}/services/${name}/revisions/${name}-00001-abc`,
        };
    },
    "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 63);
        const scope = `regions/${req.inputs.region ?? req.provider.gcpRegion}`;
        return {
            name,
            selfLink: gcpSelfLink(req, "networkEndpointGroups", name, scope),
            id: `projects/${req.provider.gcpProject}/${scope}/networkEndpointGroups/${name}`,
        };
    },
    "gcp:compute/instanceTemplate:InstanceTemplate": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 63);
        const selfLink = gcpSelfLink(req, "instanceTemplates", name);
        return { name, selfLink, selfLinkUnique: `${selfLink}?uniqueId=${BigInt(`0x${shortHash(req.name, 12)}`)}` };
    },
    "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 63);
        const scope = `regions/${req.inputs.region ?? req.provider.gcpRegion}`;
        return {
            name,
            selfLink: gcpSelfLink(req, "instanceGroupManagers", name, scope),
            instanceGroup: gcpSelfLink(req, "instanceGroups", name, scope),
            id: `projects/${req.provider.gcpProject}/${scope}/instanceGroupManagers/${name}`,
        };
    },
    "gcp:compute/securityPolicy:SecurityPolicy": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 63);
        return {
            name,
            selfLink: gcpSelfLink(req, "securityPolicies", name),
            id: `projects/${req.provider.gcpProject}/global/securityPolicies/${name}`,
        };
    },
    "gcp:certificatemanager/dnsAuthorization:DnsAuthorization": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 63);
        const domain = String(req.inputs.domain);
        return {
            name,
            id: `projects/${req.provider.gcpProject}/locations/global/dnsAuthorizations/${name}`,
            dnsResourceRecords: [
                {
                    name: `_acme-challenge.${domain}.`,
                    type: "CNAME",
                    data: `${uuidFrom(domain)}.9.authorize.certificatemanager.goog.`,
                },
            ],
        };
    },
    "gcp:certificatemanager/certificate:Certificate": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 63);
        return { name, id: `projects/${req.provider.gcpProject}/locations/global/certificates/${name}` };
    },
    "gcp:certificatemanager/certificateMap:CertificateMap": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 63);
        return { name, id: `projects/${req.provider.gcpProject}/locations/global/certificateMaps/${name}` };
    },
    "gcp:dns/managedZone:ManagedZone": (req) => {
        const name = req.inputs.name ?? autoName(req.name, 63);
        return {
            name,
            nameServers: ["a", "b", "c", "d"].map((n) => `ns-cloud-${n}1.googledomains.com.`),
            id: `projects/${req.provider.gcpProject}/managedZones/${name}`,
        };
    },
    "gcp:monitoring/notificationChannel:NotificationChannel": (req) => {
        const name = `projects/${req.provider.gcpProject}/notificationChannels/${BigInt(`0x${shortHash(req.name, 12)}`)}`;
        return { name, id: name };
    },
    "gcp:monitoring/alertPolicy:AlertPolicy": (req) => {
        const name = `projects/${req.provider.gcpProject}/alertPolicies/${BigInt(`0x${shortHash(req.name, 12)}`)}`;
        return { name, id: name };
    },
    "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": (req) => {
        const uptimeCheckId = `${String(req.inputs.displayName ?? req.name)
            .toLowerCase()
            .replace(/[^a-z0-9]+/g, "-")
            .slice(0, 40)}-${shortHash(req.name, 8)}`;
        const name = `projects/${req.provider.gcpProject}/uptimeCheckConfigs/${uptimeCheckId}`;
        return { uptimeCheckId, name, id: name };
    },
    "gcp:monitoring/dashboard:Dashboard": (req) => ({
        id: `projects/${MOCK_GCP_PROJECT_NUMBER}/dashboards/${uuidFrom(req.name)}`,
    }),
};

/** The computed state of a new resource: its inputs echoed back, plus the type's computed attributes. */
export function resourceState(req: ResourceRequest): { id: string; state: Record<string, unknown> } {
    const computed = (awsState[req.type] ?? randomState[req.type] ?? gcpState[req.type])?.(req) ?? {};
    const id = typeof computed.id === "string" ? computed.id : defaultId(req);
    const generic =
        req.type.startsWith("gcp:") && !("selfLink" in computed)
            ? { name: req.inputs.name ?? autoName(req.name, 63) }
            : {};
    return { id, state: { ...req.inputs, ...generic, ...computed, id } };
}

function defaultId(req: ResourceRequest): string {
    if (req.type.startsWith("aws:")) {
        const module = req.type.split(":")[1]?.split("/")[0] ?? "res";
        return `${module}-${shortHash(`${req.type}${req.name}`, 17)}`;
    }
    return `${req.name}-id`;
}

function uuidFrom(text: string): string {
    const h = shortHash(text, 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Answers for the invokes the program makes. Any other token is a test failure. */
export function invokeResult(
    token: string,
    inputs: Record<string, any>,
    provider: ProviderContext,
): Record<string, unknown> {
    switch (token) {
        case "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                accountId: MOCK_ACCOUNT_ID,
                arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/ci`,
                userId: "AIDAMOCKUSER",
                id: MOCK_ACCOUNT_ID,
            };
        case "aws:index/getPartition:getPartition":
            return { partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws", id: "aws" };
        case "aws:index/getRegion:getRegion":
            return { name: provider.awsRegion, region: provider.awsRegion, id: provider.awsRegion };
        case "aws:index/getAvailabilityZones:getAvailabilityZones": {
            const names = ["a", "b", "c", "d", "e", "f"].map((s) => `${provider.awsRegion}${s}`);
            return { names, zoneIds: names.map((_, i) => `use1-az${i + 1}`), id: provider.awsRegion };
        }
        case "aws:ec2/getAmi:getAmi": {
            // A lookup by id answers with that image, as EC2 does; a name filter with its newest image.
            const byId = (inputs.filters ?? []).find((f: { name?: string }) => f.name === "image-id")?.values?.[0];
            const id = typeof byId === "string" ? byId : "ami-0123456789abcdef0";
            return {
                id,
                imageId: id,
                name:
                    typeof byId === "string"
                        ? "webapp-20261101"
                        : `${String(inputs.filters?.[0]?.values?.[0] ?? "webapp-*").replace("*", "")}20261101`,
                ownerId: MOCK_ACCOUNT_ID,
                architecture: "x86_64",
                rootDeviceName: "/dev/sda1",
            };
        }
        case "aws:ec2/getManagedPrefixList:getManagedPrefixList":
            return {
                id: "pl-3b927c52",
                name: inputs.name,
                arn: `arn:aws:ec2:${provider.awsRegion}:aws:prefix-list/pl-3b927c52`,
                addressFamily: "IPv4",
                maxEntries: 55,
                ownerId: "AWS",
                entries: [],
            };
        // Route table lookups by subnet, which earlier revisions made (the identity proof deploys
        // them): the ID of the table the VPC gives that subnet (aws:ec2/routeTable:RouteTable above).
        case "aws:ec2/getRouteTables:getRouteTables":
            return {
                ids: (inputs.filters?.[0]?.values ?? []).map((subnet: string) => `rtb-${shortHash(subnet, 17)}`),
                id: String(inputs.vpcId),
            };
        case "aws:ec2/getRouteTable:getRouteTable":
            return {
                routeTableId: `rtb-${shortHash(String(inputs.subnetId), 17)}`,
                id: `rtb-${shortHash(String(inputs.subnetId), 17)}`,
                vpcId: String(inputs.vpcId ?? ""),
            };
        case "aws:ssm/getParameter:getParameter":
            return {
                name: inputs.name,
                type: "String",
                value: "ami-0fedcba9876543210",
                insecureValue: "ami-0fedcba9876543210",
                id: inputs.name,
            };
        case "aws:route53/getZone:getZone":
            return {
                zoneId: `Z${shortHash(String(inputs.name), 20).toUpperCase()}`,
                name: inputs.name,
                id: `Z${shortHash(String(inputs.name), 20).toUpperCase()}`,
            };
        case "gcp:organizations/getProject:getProject":
            return {
                projectId: inputs.projectId ?? provider.gcpProject,
                number: MOCK_GCP_PROJECT_NUMBER,
                id: `projects/${inputs.projectId ?? provider.gcpProject}`,
            };
        case "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": {
            const email = `service-${MOCK_GCP_PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com`;
            return {
                emailAddress: email,
                member: `serviceAccount:${email}`,
                project: inputs.project ?? provider.gcpProject,
                id: email,
            };
        }
        case "gcp:compute/getImage:getImage": {
            const project = inputs.project ?? provider.gcpProject;
            const name = inputs.name ?? `${inputs.family}-20261101`;
            return {
                name,
                family: inputs.family ?? "webapp",
                project,
                selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/global/images/${name}`,
                id: `projects/${project}/global/images/${name}`,
            };
        }
        case "gcp:compute/getZones:getZones": {
            const region = inputs.region ?? provider.gcpRegion;
            return {
                names: ["b", "c", "d"].map((z) => `${region}-${z}`),
                region,
                id: `projects/${provider.gcpProject}/regions/${region}`,
            };
        }
        case "gcp:dns/getManagedZones:getManagedZones":
            // The project's public zone for the tests' domains (the stacks' `domainName`s).
            return {
                managedZones: ["dev.example.com", "demo.example.com"].map((domain) => ({
                    name: domain.replace(/\./g, "-"),
                    dnsName: `${domain}.`,
                    visibility: "public",
                    description: "",
                    id: `projects/${inputs.project ?? provider.gcpProject}/managedZones/${domain.replace(/\./g, "-")}`,
                    managedZoneId: shortHash(domain, 16),
                    nameServers: [],
                    project: inputs.project ?? provider.gcpProject,
                })),
                id: `projects/${inputs.project ?? provider.gcpProject}`,
            };
        default:
            throw new Error(`no mock for invoke ${token}: add it to tools/offline/mocks.ts`);
    }
}
