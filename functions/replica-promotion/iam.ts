/**
 * The IAM statements the promotion function's role needs, limited to the one replica it promotes:
 * read both instances' state, promote and tag the replica (with the `failover:*` tag keys only),
 * publish the record to the ops topic, write its own logs. Nothing here is bundled into the
 * function; the deploying program attaches these statements to the function's role.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Statement } from "../../components/aws/iam";
import { viaServiceStatement } from "../../components/aws/kms";
import { TAGS } from "./record";

export interface PromotionStatementsArgs {
    /** The read replica the function promotes (`arn:aws:rds:<dr-region>:<account>:db:<id>`). */
    readonly replicaArn: pulumi.Input<string>;
    /** The primary it watches during the grace period: read only. */
    readonly primaryArn: pulumi.Input<string>;
    /** The ops topic the record is published to. */
    readonly topicArn: pulumi.Input<string>;
    /**
     * The topic's customer-managed key, when it has one: data-key use through SNS in the topic's
     * region only. Default: none (an unencrypted topic, or one with the AWS-managed key).
     */
    readonly topicKey?: { readonly arn: pulumi.Input<string>; readonly region: string };
    /** The function's log group (`arn:...:log-group:/aws/lambda/<name>`). */
    readonly logGroupArn: pulumi.Input<string>;
}

/** The promotion function's role statements (see the module comment). */
export function promotionStatements(args: PromotionStatementsArgs): Statement[] {
    return [
        {
            Sid: "ReadReplicaAndPrimaryState",
            Effect: "Allow",
            Action: "rds:DescribeDBInstances",
            Resource: [args.replicaArn, args.primaryArn],
        },
        {
            Sid: "PromoteTheReplica",
            Effect: "Allow",
            Action: "rds:PromoteReadReplica",
            Resource: args.replicaArn,
        },
        {
            Sid: "RecordThePromotionInTags",
            Effect: "Allow",
            Action: "rds:AddTagsToResource",
            Resource: args.replicaArn,
            Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": Object.values(TAGS) } },
        },
        {
            Sid: "PublishTheRecord",
            Effect: "Allow",
            Action: "sns:Publish",
            Resource: args.topicArn,
        },
        ...(args.topicKey
            ? [
                  {
                      Sid: "EncryptTheRecordForTheTopic",
                      ...viaServiceStatement(args.topicKey.arn, "sns", args.topicKey.region, [
                          "kms:GenerateDataKey*",
                          "kms:Decrypt",
                      ]),
                  },
              ]
            : []),
        {
            Sid: "WriteOwnLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: pulumi.interpolate`${args.logGroupArn}:*`,
        },
    ];
}
