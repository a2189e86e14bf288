/**
 * The promotion function's role statements: every RDS action on the one replica (the primary only
 * read), tags limited to the record's keys, publishing to the one topic, no wildcard resource.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { policyJson } from "../../components/aws/iam";
import { promotionStatements } from "../../functions/replica-promotion/iam";
import { statements } from "../support";
import { PRIMARY_ARN, REPLICA_ARN, TOPIC_ARN } from "./replica-promotion-fakes";

const LOG_GROUP = "arn:aws:logs:us-west-2:123456789012:log-group:/aws/lambda/webapp-prod-replica-promotion";
const KEY = "arn:aws:kms:us-west-2:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

function resolve(output: pulumi.Output<string>): Promise<string> {
    return new Promise((done) => output.apply((value) => done(value)));
}

async function policy(args: Partial<Parameters<typeof promotionStatements>[0]> = {}) {
    const json = await resolve(
        policyJson(
            promotionStatements({
                replicaArn: REPLICA_ARN,
                primaryArn: PRIMARY_ARN,
                topicArn: TOPIC_ARN,
                logGroupArn: LOG_GROUP,
                ...args,
            }),
        ),
    );
    return statements(JSON.parse(json));
}

describe("replica promotion: IAM statements", () => {
    it("allows promoting and tagging the replica only, and reading the two instances", async () => {
        const all = await policy();
        expect(all).to.have.length(5);
        expect(all.map((s) => [s.Sid, s.Action, s.Resource])).to.deep.equal([
            ["ReadReplicaAndPrimaryState", ["rds:DescribeDBInstances"], [REPLICA_ARN, PRIMARY_ARN]],
            ["PromoteTheReplica", ["rds:PromoteReadReplica"], [REPLICA_ARN]],
            ["RecordThePromotionInTags", ["rds:AddTagsToResource"], [REPLICA_ARN]],
            ["PublishTheRecord", ["sns:Publish"], [TOPIC_ARN]],
            ["WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [`${LOG_GROUP}:*`]],
        ]);
        expect(all.every((s) => s.Effect === "Allow")).to.equal(true);
    });

    it("never names the primary in a statement that changes something, and has no wildcard resource", async () => {
        const all = await policy({ topicKey: { arn: KEY, region: "us-west-2" } });
        expect(all).to.have.length(6);
        const writes = all.filter((s) => s.Sid !== "ReadReplicaAndPrimaryState");
        expect(writes).to.have.length(5);
        for (const statement of writes) {
            expect(statement.Resource, statement.Sid).not.to.include(PRIMARY_ARN);
        }
        for (const statement of all) {
            expect(
                statement.Resource.some((r: string) => r === "*"),
                statement.Sid,
            ).to.equal(false);
            expect(
                statement.Action.some((a: string) => a.endsWith(":*")),
                statement.Sid,
            ).to.equal(false);
        }
    });

    it("lets the function tag with the record's keys only", async () => {
        const tagging = (await policy()).find((s) => s.Sid === "RecordThePromotionInTags")!;
        expect(tagging.Condition).to.deep.equal({
            "ForAllValues:StringEquals": {
                "aws:TagKeys": ["failover:promoted-at", "failover:trigger", "failover:request-id"],
            },
        });
    });

    it("uses an encrypted topic's key through SNS in its region only", async () => {
        const key = (await policy({ topicKey: { arn: KEY, region: "us-west-2" } })).find(
            (s) => s.Sid === "EncryptTheRecordForTheTopic",
        )!;
        expect(key).to.deep.equal({
            Sid: "EncryptTheRecordForTheTopic",
            Effect: "Allow",
            Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
            Resource: [KEY],
            Condition: { StringEquals: { "kms:ViaService": "sns.us-west-2.amazonaws.com" } },
        });
    });
});
