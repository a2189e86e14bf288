/**
 * The scanner's findings that are known and still to be fixed in the program, per stack, with what
 * fixes each. `npm run scan` fails on a finding that is neither here nor a design exception
 * (exceptions.ts), and on an entry here that the scan no longer reports: each fix removes its
 * entries, and the list ends empty.
 */

export interface KnownFinding {
    /** The Checkov check ID. */
    readonly check: string;
    /** What fixes it in the program. */
    readonly fix: string;
    /** Stack name -> the Terraform addresses that fail the check today. */
    readonly stacks: Readonly<Record<string, readonly string[]>>;
}

export const KNOWN_FINDINGS: readonly KnownFinding[] = [
    {
        check: "CKV2_AWS_12",
        fix: "An aws.ec2.DefaultSecurityGroup for the VPC with no ingress and no egress rules.",
        stacks: {
            dev: ["aws_vpc.dev-network-vpc"],
            demo: ["aws_vpc.demo-network-vpc"],
            prod: ["aws_vpc.prod-network-vpc"],
            staging: ["aws_vpc.staging-network-vpc"],
        },
    },
    {
        check: "CKV_AWS_158",
        fix:
            "kmsKeyId on every log group: a logs CMK whose key policy admits logs.<region>.amazonaws.com " +
            "for this account's log groups only (kms:EncryptionContext:aws:logs:arn).",
        stacks: {
            dev: [
                "aws_cloudwatch_log_group.dev-compute-app-logs",
                "aws_cloudwatch_log_group.dev-database-log-error",
                "aws_cloudwatch_log_group.dev-database-log-slowquery",
                "aws_cloudwatch_log_group.dev-messaging-logs",
                "aws_cloudwatch_log_group.dev-network-flow-logs",
            ],
            demo: [
                "aws_cloudwatch_log_group.demo-compute-app-logs",
                "aws_cloudwatch_log_group.demo-database-log-error",
                "aws_cloudwatch_log_group.demo-database-log-slowquery",
                "aws_cloudwatch_log_group.demo-messaging-logs",
                "aws_cloudwatch_log_group.demo-network-flow-logs",
            ],
            prod: [
                "aws_cloudwatch_log_group.prod-database-log-error",
                "aws_cloudwatch_log_group.prod-database-log-slowquery",
                "aws_cloudwatch_log_group.prod-messaging-logs",
                "aws_cloudwatch_log_group.prod-network-flow-logs",
                "aws_cloudwatch_log_group.prod-waf-logs",
            ],
            staging: [
                "aws_cloudwatch_log_group.staging-compute-app-logs",
                "aws_cloudwatch_log_group.staging-database-log-error",
                "aws_cloudwatch_log_group.staging-database-log-slowquery",
                "aws_cloudwatch_log_group.staging-messaging-logs",
                "aws_cloudwatch_log_group.staging-network-flow-logs",
            ],
        },
    },
    {
        check: "CKV_AWS_338",
        fix: "retentionInDays of at least 365 outside dev (aws.logRetentionDays keeps dev at 30 unless set).",
        stacks: {
            demo: [
                "aws_cloudwatch_log_group.demo-compute-app-logs",
                "aws_cloudwatch_log_group.demo-database-log-error",
                "aws_cloudwatch_log_group.demo-database-log-slowquery",
                "aws_cloudwatch_log_group.demo-messaging-logs",
                "aws_cloudwatch_log_group.demo-network-flow-logs",
            ],
        },
    },
    {
        check: "CKV_AWS_173",
        fix: "kmsKeyArn on the e-mail function, so its environment is encrypted with a CMK.",
        stacks: {
            dev: ["aws_lambda_function.dev-messaging-function"],
            demo: ["aws_lambda_function.demo-messaging-function"],
            prod: ["aws_lambda_function.prod-messaging-function"],
            staging: ["aws_lambda_function.staging-messaging-function"],
        },
    },
    {
        check: "CKV_AWS_50",
        fix: "Active X-Ray tracing on the e-mail function (tracingConfig.mode Active), with xray:PutTraceSegments and xray:PutTelemetryRecords in its role.",
        stacks: {
            dev: ["aws_lambda_function.dev-messaging-function"],
            demo: ["aws_lambda_function.demo-messaging-function"],
            prod: ["aws_lambda_function.prod-messaging-function"],
            staging: ["aws_lambda_function.staging-messaging-function"],
        },
    },
    {
        check: "CKV_AWS_272",
        fix:
            "Code signing: an AWS Signer profile, a code signing config that enforces it, the bundle uploaded to a " +
            "versioned artifacts bucket and signed by an aws.signer.SigningJob, the function deployed from the signed object.",
        stacks: {
            dev: ["aws_lambda_function.dev-messaging-function"],
            demo: ["aws_lambda_function.demo-messaging-function"],
            prod: ["aws_lambda_function.prod-messaging-function"],
            staging: ["aws_lambda_function.staging-messaging-function"],
        },
    },
    {
        check: "CKV_AWS_18",
        fix: "S3 server access logging of the application bucket into a dedicated log bucket.",
        stacks: {
            dev: ["aws_s3_bucket.dev-storage-bucket"],
            demo: ["aws_s3_bucket.demo-storage-bucket"],
            prod: ["aws_s3_bucket.prod-audit-logs-bucket", "aws_s3_bucket.prod-storage-bucket"],
            staging: ["aws_s3_bucket.staging-storage-bucket"],
        },
    },
    {
        check: "CKV_AWS_91",
        fix:
            "Access logs of the load balancer into the log bucket (SSE-S3, as ELB log delivery requires; the bucket " +
            "policy admits the log-delivery service principal only).",
        stacks: {
            dev: ["aws_lb.dev-compute-alb"],
            demo: ["aws_lb.demo-compute-alb"],
            prod: ["aws_lb.prod-compute-alb"],
            staging: ["aws_lb.staging-compute-alb"],
        },
    },
    {
        check: "CKV2_AWS_28",
        fix: "WAF on the load balancer by default outside dev (features.waf stays the switch).",
        stacks: { demo: ["aws_lb.demo-compute-alb"], staging: ["aws_lb.staging-compute-alb"] },
    },
    {
        check: "CKV_AWS_130",
        fix:
            "Public subnets without mapPublicIpOnLaunch: a transforms resource option on the awsx VPC that sets it to " +
            "false on its aws:ec2/subnet:Subnet children (only the load balancer and the NAT gateways live there; " +
            "neither uses it).",
        stacks: {
            dev: ["aws_subnet.dev-network-vpc-public-1", "aws_subnet.dev-network-vpc-public-2"],
            demo: ["aws_subnet.demo-network-vpc-public-1", "aws_subnet.demo-network-vpc-public-2"],
            prod: [
                "aws_subnet.prod-network-vpc-public-1",
                "aws_subnet.prod-network-vpc-public-2",
                "aws_subnet.prod-network-vpc-public-3",
            ],
            staging: ["aws_subnet.staging-network-vpc-public-1", "aws_subnet.staging-network-vpc-public-2"],
        },
    },
    {
        check: "CKV2_AWS_19",
        fix: 'domain "vpc" on the NAT gateways\' Elastic IPs (the same transforms option, on aws:ec2/eip:Eip).',
        stacks: {
            dev: ["aws_eip.dev-network-vpc-1"],
            demo: ["aws_eip.demo-network-vpc-1", "aws_eip.demo-network-vpc-2"],
            prod: ["aws_eip.prod-network-vpc-1", "aws_eip.prod-network-vpc-2", "aws_eip.prod-network-vpc-3"],
            staging: ["aws_eip.staging-network-vpc-1"],
        },
    },
    {
        check: "CKV_GCP_62",
        fix: "Usage logs (logging.logBucket) of the application bucket and the function source bucket into a dedicated GCS log bucket.",
        stacks: {
            demo: ["google_storage_bucket.demo-gcp-storage-bucket", "google_storage_bucket.demo-gcp-messaging-source"],
            prod: ["google_storage_bucket.prod-gcp-messaging-source", "google_storage_bucket.prod-gcp-storage-bucket"],
        },
    },
    {
        check: "CKV_GCP_78",
        fix: "Versioning on the function source bucket.",
        stacks: {
            demo: ["google_storage_bucket.demo-gcp-messaging-source"],
            prod: ["google_storage_bucket.prod-gcp-messaging-source"],
        },
    },
    {
        check: "CKV_AWS_252",
        fix: "An SNS topic on the trail (snsTopicName): the ops alert topic told of each log file delivery.",
        stacks: { prod: ["aws_cloudtrail.prod-audit-trail"] },
    },
    {
        check: "CKV2_AWS_10",
        fix: "The trail also delivered to a KMS-encrypted CloudWatch log group (cloudWatchLogsGroupArn, with its delivery role), for metric filters and alarms on API activity.",
        stacks: { prod: ["aws_cloudtrail.prod-audit-trail"] },
    },
    {
        check: "CKV2_AWS_3",
        fix: "GuardDuty enabled for the organization from its delegated administrator account (aws.guardduty.OrganizationConfiguration), once the stacks run in an AWS Organization.",
        stacks: { prod: ["aws_guardduty_detector.prod-audit-guardduty"] },
    },
    {
        check: "CKV2_AWS_76",
        fix: "The AWSManagedRulesKnownBadInputsRuleSet (with its Log4JRCE rule) among the web ACL's managed rule groups.",
        stacks: { prod: ["aws_lb.prod-compute-alb"] },
    },
    {
        check: "CKV_AWS_300",
        fix: "abortIncompleteMultipartUpload (e.g. 7 days) in the audit-log bucket's lifecycle rule.",
        stacks: { prod: ["aws_s3_bucket_lifecycle_configuration.prod-audit-logs-lifecycle"] },
    },
    {
        check: "CKV_AWS_21",
        fix: "Versioning on the audit-log bucket (a BucketVersioning), with its noncurrent versions expired by the lifecycle.",
        stacks: { prod: ["aws_s3_bucket.prod-audit-logs-bucket"] },
    },
];
