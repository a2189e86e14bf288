/**
 * The CIS AWS Foundations Benchmark's monitoring controls (section "Monitoring", v1.4/v3.0): a
 * metric filter on the trail's CloudWatch log group per control, and an alarm on each that
 * notifies the ops topic as soon as one event matches.
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

/** One CIS monitoring control: the metric filter's role (and metric name), its pattern, and what it watches. */
export interface CisControl {
    /** Resource name suffix and metric name, e.g. `root-use`. */
    readonly role: string;
    /** The CloudWatch Logs filter pattern over CloudTrail events. */
    readonly pattern: string;
    /** The alarm's description: what happened and where to look. */
    readonly description: string;
}

/** `($.eventName = A) || ($.eventName = B) ...` */
function anyEvent(names: readonly string[]): string {
    return names.map((n) => `($.eventName = ${n})`).join(" || ");
}

/** The controls, in the benchmark's order. */
export const CIS_CONTROLS: readonly CisControl[] = [
    {
        role: "unauthorized-api-calls",
        pattern: '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
        description: "CIS: API calls refused for lack of permission (a probe, or a role missing a grant).",
    },
    {
        role: "console-signin-without-mfa",
        pattern:
            '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
        description: "CIS: an IAM user signed in to the console without MFA.",
    },
    {
        role: "root-use",
        pattern:
            '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
        description: "CIS: the root user made a request.",
    },
    {
        role: "iam-policy-changes",
        pattern: `{ ${anyEvent([
            "DeleteGroupPolicy",
            "DeleteRolePolicy",
            "DeleteUserPolicy",
            "PutGroupPolicy",
            "PutRolePolicy",
            "PutUserPolicy",
            "CreatePolicy",
            "DeletePolicy",
            "CreatePolicyVersion",
            "DeletePolicyVersion",
            "AttachRolePolicy",
            "DetachRolePolicy",
            "AttachUserPolicy",
            "DetachUserPolicy",
            "AttachGroupPolicy",
            "DetachGroupPolicy",
        ])} }`,
        description: "CIS: an IAM policy was created, changed, attached or detached.",
    },
    {
        role: "cloudtrail-changes",
        pattern: `{ ${anyEvent(["CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"])} }`,
        description: "CIS: a CloudTrail trail was created, changed, deleted, started or stopped.",
    },
    {
        role: "kms-key-deletion",
        pattern:
            "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }",
        description: "CIS: a KMS key was disabled or scheduled for deletion.",
    },
    {
        role: "config-changes",
        pattern: `{ ($.eventSource = config.amazonaws.com) && (${anyEvent([
            "StopConfigurationRecorder",
            "DeleteDeliveryChannel",
            "PutDeliveryChannel",
            "PutConfigurationRecorder",
        ])}) }`,
        description: "CIS: the AWS Config recorder or delivery channel was changed or stopped.",
    },
    {
        role: "security-group-changes",
        pattern: `{ ${anyEvent([
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress",
            "RevokeSecurityGroupEgress",
            "CreateSecurityGroup",
            "DeleteSecurityGroup",
        ])} }`,
        description: "CIS: a security group or one of its rules was created, changed or deleted.",
    },
    {
        role: "nacl-changes",
        pattern: `{ ${anyEvent([
            "CreateNetworkAcl",
            "CreateNetworkAclEntry",
            "DeleteNetworkAcl",
            "DeleteNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "ReplaceNetworkAclAssociation",
        ])} }`,
        description: "CIS: a network ACL or one of its entries was created, changed or deleted.",
    },
    {
        role: "route-table-changes",
        pattern: `{ ${anyEvent([
            "CreateRoute",
            "CreateRouteTable",
            "ReplaceRoute",
            "ReplaceRouteTableAssociation",
            "DeleteRouteTable",
            "DeleteRoute",
            "DisassociateRouteTable",
        ])} }`,
        description: "CIS: a route or route table was created, changed or deleted.",
    },
    {
        role: "vpc-changes",
        pattern: `{ ${anyEvent([
            "CreateVpc",
            "DeleteVpc",
            "ModifyVpcAttribute",
            "AcceptVpcPeeringConnection",
            "CreateVpcPeeringConnection",
            "DeleteVpcPeeringConnection",
            "RejectVpcPeeringConnection",
            "AttachClassicLinkVpc",
            "DetachClassicLinkVpc",
            "DisableVpcClassicLink",
            "EnableVpcClassicLink",
        ])} }`,
        description: "CIS: a VPC, its attributes or a peering connection was created, changed or deleted.",
    },
];

export interface CisAlarmsArgs {
    /** The trail's CloudWatch log group. */
    logGroupName: pulumi.Input<string>;
    /** The metrics' namespace, e.g. `webapp/prod/CIS`. */
    namespace: string;
    /** The topic every alarm notifies (the ops alert topic). */
    alarmTopicArn: pulumi.Input<string>;
    parent: pulumi.Resource;
}

/** The alarm on a control's metric: one matching event in five minutes; no data means none happened. */
export function cisAlarmArgs(
    control: CisControl,
    namespace: string,
    alarmTopicArn: pulumi.Input<string>,
): aws.cloudwatch.MetricAlarmArgs {
    return {
        alarmDescription: control.description,
        namespace,
        metricName: control.role,
        statistic: "Sum",
        period: 300,
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
        alarmActions: [alarmTopicArn],
    };
}

/** A metric filter `${name}-<role>` and an alarm `${name}-<role>-alarm` per CIS control. */
export function cisAlarms(name: string, args: CisAlarmsArgs): void {
    const child = { parent: args.parent };
    for (const control of CIS_CONTROLS) {
        const filter = new aws.cloudwatch.LogMetricFilter(
            `${name}-${control.role}`,
            {
                logGroupName: args.logGroupName,
                pattern: control.pattern,
                metricTransformation: {
                    name: control.role,
                    namespace: args.namespace,
                    value: "1",
                    defaultValue: "0",
                    unit: "Count",
                },
            },
            child,
        );
        new aws.cloudwatch.MetricAlarm(
            `${name}-${control.role}-alarm`,
            cisAlarmArgs(control, args.namespace, args.alarmTopicArn),
            { parent: args.parent, dependsOn: [filter] },
        );
    }
}
