/**
 * Typed IAM policy documents. Statements are `aws.iam.PolicyStatement` objects whose values may be
 * Outputs; `policyJson` serializes them without an invoke, so it is fast and needs no mocks.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export type Statement = aws.iam.PolicyStatement;

/** The identity of the account the AWS provider deploys into. */
export interface AwsAccount {
    readonly accountId: pulumi.Input<string>;
    /** `aws`, `aws-us-gov` or `aws-cn`. */
    readonly partition: pulumi.Input<string>;
    readonly region: string;
}

/** A policy document as JSON, ready for a role policy, key policy or resource policy. */
export function policyJson(statements: pulumi.Input<Statement[]>): pulumi.Output<string> {
    return pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements });
}

/**
 * A trust policy that lets an AWS service assume a role, limited to this account (no confused
 * deputy). `sourceAccount: false` leaves out the `aws:SourceAccount` condition for services that do
 * not send it when they assume a role (EC2 instance profiles); there `iam:PassRole` is the guard.
 * `sourceArn` also limits it to one resource of that service (an EventBridge rule).
 */
export function serviceTrust(
    service: string,
    account: AwsAccount,
    options: { sourceAccount?: boolean; sourceArn?: pulumi.Input<string> } = {},
): pulumi.Output<string> {
    const condition = {
        ...(options.sourceAccount === false ? {} : { StringEquals: { "aws:SourceAccount": account.accountId } }),
        ...(options.sourceArn === undefined ? {} : { ArnEquals: { "aws:SourceArn": options.sourceArn } }),
    };
    return policyJson([
        {
            Effect: "Allow",
            Principal: { Service: service },
            Action: "sts:AssumeRole",
            ...(Object.keys(condition).length === 0 ? {} : { Condition: condition }),
        },
    ]);
}

/**
 * Sending X-Ray traces (actions without resource-level permissions, so on `*`): what a traced
 * Lambda function needs; `sampling` adds reading the sampling rules, as a traced Step Functions
 * state machine does.
 */
export function sendTracesStatement(options: { sampling?: boolean } = {}): Statement {
    return {
        Sid: "SendTraces",
        Effect: "Allow",
        Action: [
            "xray:PutTraceSegments",
            "xray:PutTelemetryRecords",
            ...(options.sampling === true ? ["xray:GetSamplingRules", "xray:GetSamplingTargets"] : []),
        ],
        Resource: "*",
    };
}

/** `arn:<partition>:iam::<account>:root`: the account itself, for key and resource policies. */
export function accountRoot(account: AwsAccount): pulumi.Output<string> {
    return pulumi.interpolate`arn:${account.partition}:iam::${account.accountId}:root`;
}

/** A role that `service` assumes, with an inline policy built from statements (none if empty). */
export function serviceRole(
    name: string,
    service: string,
    account: AwsAccount,
    statements: Statement[],
    opts: pulumi.CustomResourceOptions & {
        description?: string;
        managedPolicyArns?: pulumi.Input<string>[];
        /** Put `aws:SourceAccount` in the trust policy. Default true; see `serviceTrust`. */
        sourceAccount?: boolean;
        /** Admit only this resource of `service` (`aws:SourceArn`). Default: any of the account's. */
        sourceArn?: pulumi.Input<string>;
    },
): aws.iam.Role {
    const { description, managedPolicyArns, sourceAccount, sourceArn, ...resourceOpts } = opts;
    const role = new aws.iam.Role(
        name,
        {
            assumeRolePolicy: serviceTrust(service, account, { sourceAccount, sourceArn }),
            description,
            forceDetachPolicies: true,
        },
        resourceOpts,
    );
    if (statements.length > 0) {
        new aws.iam.RolePolicy(`${name}-policy`, { role: role.name, policy: policyJson(statements) }, resourceOpts);
    }
    (managedPolicyArns ?? []).forEach((policyArn, i) => {
        new aws.iam.RolePolicyAttachment(`${name}-managed-${i}`, { role: role.name, policyArn }, resourceOpts);
    });
    return role;
}
