/**
 * Which inputs force a resource to be replaced (deleted and created again) rather than updated in
 * place, per type the program creates: the attributes the Terraform provider marks `ForceNew`
 * (or, for plugin-framework resources, `RequiresReplace`), in Pulumi's names. `@pulumi/aws` and
 * `@pulumi/gcp` are bridged from those providers, so the engine replaces on exactly these.
 *
 * Sources: hashicorp/terraform-provider-google (`google/services/<service>/resource_<type>.go`,
 * the schemas at commit e03b7622a2) and hashicorp/terraform-provider-aws
 * (`internal/service/<service>/<type>.go`), each Pulumi type read as the Terraform resource it is
 * bridged from (`aws:rds/instance:Instance` is `aws_db_instance`).
 *
 * Paths are dotted Pulumi input names; list indexes are ignored when matching, and a change
 * anywhere under a path counts (`settings.ipConfiguration` covers its fields). `*` means every
 * input: the resource has no update at all (IAM members, permissions, generated values).
 * A type missing here is diffed as update-only; `test/diff.test.ts` checks every type has a row.
 * `changedPaths` names what changed between two input documents; the offline plan's diff and the
 * engine tests' stand-in providers both decide replacements from it and this table.
 */

/** Every input replaces (the provider has no update for this type). */
export const EVERY_INPUT = "*";

export const REPLACE_ON: Readonly<Record<string, readonly string[]>> = {
    // AWS (terraform-provider-aws)
    "awsx:ec2:Vpc": ["cidrBlock", "subnetSpecs"], // aws_vpc.cidr_block and aws_subnet.cidr_block of its children
    "aws:acm/certificate:Certificate": [
        "domainName",
        "subjectAlternativeNames",
        "validationMethod",
        "keyAlgorithm",
        "certificateAuthorityArn",
    ],
    "aws:acm/certificateValidation:CertificateValidation": [EVERY_INPUT],
    "aws:appautoscaling/policy:Policy": ["name", "resourceId", "scalableDimension", "serviceNamespace"],
    "aws:appautoscaling/target:Target": ["resourceId", "scalableDimension", "serviceNamespace"],
    "aws:autoscaling/group:Group": ["name", "namePrefix"],
    "aws:autoscaling/policy:Policy": ["autoscalingGroupName", "name"],
    "aws:backup/plan:Plan": ["name"],
    "aws:backup/selection:Selection": [EVERY_INPUT],
    "aws:backup/vault:Vault": ["name", "kmsKeyArn"],
    "aws:budgets/budget:Budget": ["name", "namePrefix", "accountId"],
    // No ForceNew attribute in internal/service/cloudfront/distribution.go.
    "aws:cloudfront/distribution:Distribution": [],
    "aws:cloudtrail/trail:Trail": ["name"],
    "aws:cloudwatch/dashboard:Dashboard": ["dashboardName"],
    "aws:cloudwatch/eventRule:EventRule": ["name", "namePrefix", "eventBusName"],
    "aws:cloudwatch/eventTarget:EventTarget": ["rule", "targetId", "eventBusName"],
    // The log delivery resources: their names (and a destination's format, a delivery's ends) are create-only.
    "aws:cloudwatch/logDelivery:LogDelivery": ["deliverySourceName", "deliveryDestinationArn"],
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": ["name", "outputFormat"],
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": ["name"],
    "aws:cloudwatch/logGroup:LogGroup": ["name", "namePrefix", "logGroupClass"],
    "aws:cloudwatch/metricAlarm:MetricAlarm": ["name"],
    "aws:costexplorer/anomalyMonitor:AnomalyMonitor": ["monitorType", "monitorDimension"],
    "aws:costexplorer/anomalySubscription:AnomalySubscription": ["accountId"],
    "aws:ec2/flowLog:FlowLog": [
        "deliverCrossAccountRole",
        "eniId",
        "iamRoleArn",
        "logDestination",
        "logDestinationType",
        "logFormat",
        "maxAggregationInterval",
        "subnetId",
        "trafficType",
        "transitGatewayAttachmentId",
        "transitGatewayId",
        "vpcId",
        "destinationOptions",
    ],
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ["vpcId"],
    "aws:ec2/instance:Instance": [
        "ami",
        "availabilityZone",
        "subnetId",
        "privateIp",
        "keyName",
        "tenancy",
        "placementGroup",
        "ebsBlockDevices",
        "ephemeralBlockDevices",
        "rootBlockDevice.encrypted",
        "rootBlockDevice.kmsKeyId",
        "associatePublicIpAddress",
        "hibernation",
        "networkInterfaces",
        "launchTemplate",
        "cpuOptions",
        "enclaveOptions",
        // user_data replaces only with user_data_replace_on_change, which the program always sets.
        "userData",
    ],
    "aws:ec2/launchTemplate:LaunchTemplate": ["name", "namePrefix"],
    "aws:ec2/networkAcl:NetworkAcl": ["vpcId"],
    "aws:ec2/route:Route": [
        "routeTableId",
        "destinationCidrBlock",
        "destinationIpv6CidrBlock",
        "destinationPrefixListId",
    ],
    "aws:ec2/securityGroup:SecurityGroup": ["name", "namePrefix", "description", "vpcId"],
    "aws:ec2/vpcEndpoint:VpcEndpoint": ["vpcId", "serviceName", "vpcEndpointType", "serviceRegion"],
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": [EVERY_INPUT], // no update: a new policy replaces it
    "aws:ecr/repository:Repository": ["name", "encryptionConfigurations"],
    "aws:ecs/cluster:Cluster": ["name"],
    "aws:ecs/service:Service": [
        "name",
        "cluster",
        "launchType",
        "schedulingStrategy",
        "iamRole",
        "deploymentController",
    ],
    // Every argument but the tags: a change registers a new revision (the old one is deregistered).
    "aws:ecs/taskDefinition:TaskDefinition": [
        "family",
        "containerDefinitions",
        "cpu",
        "memory",
        "networkMode",
        "executionRoleArn",
        "taskRoleArn",
        "requiresCompatibilities",
        "runtimePlatform",
        "volumes",
        "ephemeralStorage",
        "placementConstraints",
        "proxyConfiguration",
        "pidMode",
        "ipcMode",
    ],
    "aws:guardduty/detector:Detector": [],
    "aws:iam/instanceProfile:InstanceProfile": ["name", "namePrefix", "path"],
    "aws:iam/role:Role": ["name", "namePrefix", "path"],
    "aws:iam/rolePolicy:RolePolicy": ["name", "namePrefix", "role"],
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": [EVERY_INPUT],
    "aws:kms/alias:Alias": ["name", "namePrefix"],
    "aws:kms/key:Key": ["customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"],
    "aws:lambda/codeSigningConfig:CodeSigningConfig": [],
    "aws:lambda/function:Function": ["name", "packageType"],
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": ["functionName", "qualifier"],
    "aws:lambda/permission:Permission": [EVERY_INPUT],
    "aws:lb/listener:Listener": ["loadBalancerArn"],
    "aws:lb/listenerRule:ListenerRule": ["listenerArn"],
    "aws:lb/loadBalancer:LoadBalancer": ["name", "namePrefix", "internal", "loadBalancerType", "customerOwnedIpv4Pool"],
    "aws:lb/targetGroup:TargetGroup": [
        "name",
        "namePrefix",
        "port",
        "protocol",
        "protocolVersion",
        "vpcId",
        "targetType",
        "ipAddressType",
    ],
    // Read from internal/service/rds/instance.go.
    "aws:rds/instance:Instance": [
        "availabilityZone",
        "characterSetName",
        "customIamInstanceProfile",
        "dbName",
        "engine",
        "identifier",
        "identifierPrefix",
        "kmsKeyId",
        "ncharCharacterSetName",
        "restoreToPointInTime",
        "s3Import",
        "snapshotIdentifier",
        "storageEncrypted",
        "timezone",
        "username",
    ],
    "aws:rds/parameterGroup:ParameterGroup": ["name", "namePrefix", "family", "description"],
    "aws:rds/subnetGroup:SubnetGroup": ["name", "namePrefix"],
    "aws:route53/healthCheck:HealthCheck": [
        "type",
        "requestInterval",
        "measureLatency",
        "referenceName",
        "routingControlArn",
    ],
    "aws:route53/record:Record": ["zoneId", "name"],
    "aws:route53/zone:Zone": ["name", "delegationSetId"],
    "aws:s3/bucket:Bucket": ["bucket", "bucketPrefix", "objectLockEnabled"],
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": ["bucket", "expectedBucketOwner"],
    "aws:s3/bucketLogging:BucketLogging": ["bucket", "expectedBucketOwner"],
    "aws:s3/bucketObjectv2:BucketObjectv2": ["bucket", "key"],
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ["bucket"],
    "aws:s3/bucketPolicy:BucketPolicy": ["bucket"],
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ["bucket"],
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": ["bucket"],
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": [
        "bucket",
        "expectedBucketOwner",
    ],
    "aws:s3/bucketVersioning:BucketVersioning": ["bucket", "expectedBucketOwner"],
    "aws:secretsmanager/secret:Secret": ["name", "namePrefix"],
    // Signing profiles update only their tags; signing jobs have no update at all.
    "aws:signer/signingJob:SigningJob": [EVERY_INPUT],
    "aws:signer/signingProfile:SigningProfile": [
        "name",
        "namePrefix",
        "platformId",
        "signatureValidityPeriod",
        "signingMaterial",
        "signingParameters",
    ],
    // Read from internal/service/secretsmanager/secret_rotation.go.
    "aws:secretsmanager/secretRotation:SecretRotation": ["secretId"],
    // Read from internal/service/secretsmanager/secret_version.go.
    "aws:secretsmanager/secretVersion:SecretVersion": [
        "secretId",
        "secretBinary",
        "secretString",
        "secretStringWoVersion",
    ],
    "aws:sns/topic:Topic": ["name", "namePrefix", "fifoTopic"],
    "aws:sns/topicPolicy:TopicPolicy": ["arn"],
    "aws:sns/topicSubscription:TopicSubscription": ["topic", "protocol", "endpoint"],
    "aws:sqs/queue:Queue": ["name", "namePrefix", "fifoQueue"],
    "aws:sqs/queuePolicy:QueuePolicy": ["queueUrl"],
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ["securityGroupId"],
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ["securityGroupId"],
    "aws:wafv2/webAcl:WebAcl": ["name", "namePrefix", "scope"],
    "aws:wafv2/webAclAssociation:WebAclAssociation": [EVERY_INPUT],
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": ["resourceArn"],
    "random:index/randomPassword:RandomPassword": [EVERY_INPUT],
    "random:index/randomString:RandomString": [EVERY_INPUT],

    // GCP (terraform-provider-google)
    "gcp:certificatemanager/certificate:Certificate": ["name", "location", "managed", "scope", "project"],
    "gcp:certificatemanager/certificateMap:CertificateMap": ["name", "project"],
    "gcp:certificatemanager/certificateMapEntry:CertificateMapEntry": ["map", "name", "hostname", "matcher", "project"],
    "gcp:certificatemanager/dnsAuthorization:DnsAuthorization": ["domain", "name", "location", "type", "project"],
    "gcp:cloudfunctionsv2/function:Function": [
        "location",
        "name",
        "buildConfig.source.repoSource.projectId",
        "project",
    ],
    "gcp:cloudrunv2/serviceIamMember:ServiceIamMember": [EVERY_INPUT],
    "gcp:compute/backendService:BackendService": ["name", "params", "project"],
    "gcp:compute/firewall:Firewall": ["name", "direction", "params", "project"],
    "gcp:compute/globalAddress:GlobalAddress": [
        "name",
        "address",
        "addressType",
        "description",
        "ipVersion",
        "network",
        "prefixLength",
        "purpose",
        "project",
    ],
    "gcp:compute/globalForwardingRule:GlobalForwardingRule": [
        "name",
        "ipAddress",
        "ipProtocol",
        "description",
        "ipVersion",
        "metadataFilters",
        "network",
        "networkTier",
        "noAutomateDnsZone",
        "portRange",
        "serviceDirectoryRegistrations",
        "sourceIpRanges",
        "subnetwork",
        "project",
    ],
    "gcp:compute/healthCheck:HealthCheck": ["name", "project"],
    // Instance templates are immutable: every field but labels is ForceNew.
    "gcp:compute/instanceTemplate:InstanceTemplate": [EVERY_INPUT],
    "gcp:compute/network:Network": [
        "name",
        "autoCreateSubnetworks",
        "description",
        "internalIpv6Range",
        "networkProfile",
        "params",
        "project",
    ],
    "gcp:compute/regionAutoscaler:RegionAutoscaler": ["name", "region", "project"],
    "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager": [
        "baseInstanceName",
        "name",
        "region",
        "description",
        "project",
        "distributionPolicyZones",
        "targetSizePolicy.mode",
    ],
    "gcp:compute/router:Router": [
        "name",
        "encryptedInterconnectRouter",
        "nccGateway",
        "network",
        "params",
        "region",
        "project",
    ],
    "gcp:compute/routerNat:RouterNat": [
        "name",
        "router",
        "endpointTypes",
        "initialNatIps",
        "region",
        "type",
        "project",
    ],
    "gcp:compute/sSLPolicy:SSLPolicy": ["name", "description", "project"],
    "gcp:compute/securityPolicy:SecurityPolicy": ["name", "project", "type"],
    "gcp:compute/subnetwork:Subnetwork": [
        "name",
        "network",
        "description",
        "externalIpv6Prefix",
        "internalIpv6Prefix",
        "params",
        "region",
        "reservedInternalRange",
        "resolveSubnetMask",
        "project",
    ],
    "gcp:compute/targetHttpProxy:TargetHttpProxy": [
        "name",
        "description",
        "httpKeepAliveTimeoutSec",
        "proxyBind",
        "project",
    ],
    "gcp:compute/targetHttpsProxy:TargetHttpsProxy": [
        "name",
        "description",
        "httpKeepAliveTimeoutSec",
        "proxyBind",
        "tlsEarlyData",
        "project",
    ],
    "gcp:compute/uRLMap:URLMap": ["name", "project"],
    "gcp:dns/managedZone:ManagedZone": ["dnsName", "name", "visibility", "project"],
    "gcp:dns/recordSet:RecordSet": ["managedZone", "name", "routingPolicy.healthCheck", "project"],
    "gcp:kms/cryptoKey:CryptoKey": [
        "keyRing",
        "name",
        "cryptoKeyBackend",
        "destroyScheduledDuration",
        "importOnly",
        "purpose",
        "versionTemplate.protectionLevel",
    ],
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": [EVERY_INPUT],
    "gcp:kms/keyRing:KeyRing": ["location", "name", "project"],
    "gcp:logging/metric:Metric": ["project"],
    "gcp:monitoring/alertPolicy:AlertPolicy": ["project"],
    "gcp:monitoring/dashboard:Dashboard": ["project"],
    "gcp:monitoring/notificationChannel:NotificationChannel": ["project"],
    "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": [
        "checkerType",
        "httpCheck.requestMethod",
        "monitoredResource",
        "resourceGroup",
        "syntheticMonitor",
        "project",
    ],
    "gcp:projects/iAMAuditConfig:IAMAuditConfig": ["service", "project"],
    "gcp:projects/iAMMember:IAMMember": [EVERY_INPUT],
    "gcp:projects/service:Service": ["service", "project"],
    "gcp:projects/serviceIdentity:ServiceIdentity": [EVERY_INPUT],
    "gcp:pubsub/subscription:Subscription": ["name", "topic", "enableMessageOrdering", "filter", "tags", "project"],
    "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember": [EVERY_INPUT],
    "gcp:pubsub/topic:Topic": ["name", "tags", "project"],
    "gcp:pubsub/topicIAMMember:TopicIAMMember": [EVERY_INPUT],
    "gcp:secretmanager/secret:Secret": ["replication", "secretId", "tags", "project"],
    "gcp:secretmanager/secretIamMember:SecretIamMember": [EVERY_INPUT],
    "gcp:secretmanager/secretVersion:SecretVersion": [
        "secretData",
        "secretDataWoVersion",
        "secret",
        "project",
        "isSecretDataBase64",
    ],
    "gcp:serviceaccount/account:Account": ["accountId", "project"],
    "gcp:serviceaccount/iAMMember:IAMMember": [EVERY_INPUT],
    "gcp:servicenetworking/connection:Connection": ["network", "service"],
    "gcp:sql/database:Database": ["instance", "name", "project"],
    "gcp:sql/databaseInstance:DatabaseInstance": [
        "name",
        "region",
        "project",
        "masterInstanceName",
        "replicaConfiguration",
        "encryptionKeyName",
    ],
    "gcp:sql/user:User": ["host", "instance", "name", "type", "project"],
    "gcp:storage/bucket:Bucket": [
        "name",
        "location",
        "project",
        "customPlacementConfig",
        "hierarchicalNamespace",
        "enableObjectRetention",
    ],
    "gcp:storage/bucketIAMMember:BucketIAMMember": [EVERY_INPUT],
    "gcp:storage/bucketObject:BucketObject": [
        "bucket",
        "name",
        "cacheControl",
        "contentDisposition",
        "contentEncoding",
        "contentLanguage",
        "contentType",
        "source",
        "storageClass",
        "kmsKeyName",
        "customerEncryption",
        "metadata",
    ],
};

/** The changed input paths (`settings.tier`, `disks[0].diskType`) that force `type` to be replaced. */
export function replacingInputs(type: string, changed: readonly string[]): string[] {
    const forcing = REPLACE_ON[type] ?? [];
    if (forcing.includes(EVERY_INPUT)) {
        return [...changed];
    }
    return changed.filter((p) => {
        const plain = p.replace(/\[\d+\]/g, "");
        return forcing.some((f) => plain === f || plain.startsWith(`${f}.`));
    });
}

function isObject(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The leaf paths whose values differ between `a` and `b` (`settings.tier`, `rules[2].action`). */
export function changedPaths(a: unknown, b: unknown, prefix = ""): string[] {
    if (isObject(a) && isObject(b)) {
        const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
        return keys.flatMap((k) => changedPaths(a[k], b[k], prefix ? `${prefix}.${k}` : k));
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
        return a.flatMap((item, i) => changedPaths(item, b[i], `${prefix}[${i}]`));
    }
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix];
}
