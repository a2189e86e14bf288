/**
 * What the promotion function records: tag values inside RDS's character rules, SNS subjects inside
 * SNS's, which outcomes are sent to the people on call; the adapter's reading of SDK answers and
 * the handler's failures before any AWS call.
 */
import { expect } from "chai";
import { createLambdaHandler, instanceState, isRetryableAwsError } from "../../functions/replica-promotion/aws";
import { SettingsError } from "../../functions/email-verification/settings";
import { InvalidEventError } from "../../functions/replica-promotion/events";
import { collectingLogger } from "./fakes";
import {
    messageBody,
    messageSubject,
    notifies,
    promotionTags,
    tagValue,
    type Outcome,
    type PromotionRecord,
} from "../../functions/replica-promotion/record";
import { PRIMARY_ARN, promotionEnv, REPLICA_ARN } from "./replica-promotion-fakes";

function record(outcome: Outcome, overrides: Partial<PromotionRecord> = {}): PromotionRecord {
    return {
        outcome,
        reason: outcome,
        detail: "something happened",
        replica: { arn: REPLICA_ARN, statusBefore: "available" },
        primary: { arn: PRIMARY_ARN, status: "failed" },
        dryRun: false,
        startedAt: "2026-01-01T00:00:00.000Z",
        finishedAt: "2026-01-01T00:01:00.000Z",
        ...overrides,
    };
}

describe("replica promotion: record", () => {
    it("writes tag values with the characters RDS accepts, at most 256 of them", () => {
        expect(tagValue('RDS-EVENT-0031 (failed; see https://x/y?z=1, "now")')).to.equal(
            "RDS-EVENT-0031 failed see https://x/y z=1 now",
        );
        expect(tagValue("Zürich: Ausfall")).to.equal("Zürich: Ausfall");
        expect(tagValue("a".repeat(300))).to.have.length(256);
    });

    it("tags the promotion with its time, trigger and invocation", () => {
        const trigger = { kind: "alarm" as const, alarmName: "db-down", alarmArn: "arn", reason: "", time: 0 };
        expect(promotionTags(trigger, Date.UTC(2026, 2, 3, 4, 5, 6), "c0ffee-1")).to.deep.equal({
            "failover:promoted-at": "2026-03-03T04:05:06.000Z",
            "failover:trigger": "alarm db-down",
            "failover:request-id": "c0ffee-1",
        });
        expect(Object.keys(promotionTags(trigger, 0))).to.deep.equal(["failover:promoted-at", "failover:trigger"]);
    });

    it("sends promotions, dry runs and failures to the people on call, not skips or ignored events", () => {
        const outcomes: Outcome[] = ["ignored", "skipped", "dry-run", "promoted", "promotion-pending", "failed"];
        expect(outcomes.filter(notifies)).to.deep.equal(["dry-run", "promoted", "promotion-pending", "failed"]);
    });

    it("keeps the subject inside SNS's 100 printable ASCII characters", () => {
        const long = `arn:aws:rds:us-west-2:123456789012:db:${"r".repeat(63)}`;
        const subject = messageSubject(record("failed", { replica: { arn: long } }));
        expect(subject).to.have.length(100);
        expect(subject).to.match(/^webapp failover: replica promotion FAILED \(r+$/);
    });

    it("ends the message with the whole record as JSON, after the next steps", () => {
        const promoted = record("promoted", {
            replica: { arn: REPLICA_ARN, statusAfter: "available", endpoint: "db.example:3306" },
            requestId: "req-9",
        });
        const body = messageBody(promoted);
        expect(body.split("\n").slice(0, 10)).to.deep.equal([
            "replica promoted: something happened",
            "",
            `Replica: ${REPLICA_ARN} (status available)`,
            `Primary: ${PRIMARY_ARN} (status failed)`,
            "Trigger: none",
            "New primary endpoint: db.example:3306",
            "Invocation: req-9",
            "",
            "Next: point the application at the new primary and fail DNS over as the runbook says",
            "(README, Disaster recovery). The old primary no longer replicates to this instance.",
        ]);
        expect(JSON.parse(body.slice(body.indexOf("Record:\n") + 8))).to.deep.equal(promoted);
    });
});

describe("replica promotion: reading SDK answers", () => {
    it("retries throttling, server errors and network failures, nothing else", () => {
        const retried = [
            { name: "Throttling", $fault: "client", $metadata: { httpStatusCode: 400 } },
            { name: "ThrottlingException", $metadata: { httpStatusCode: 400 } },
            { name: "TooManyRequestsException", $metadata: { httpStatusCode: 429 } },
            { name: "InternalFailure", $fault: "server", $metadata: { httpStatusCode: 500 } },
            { name: "Error", $metadata: { httpStatusCode: 503 } },
            Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }),
            Object.assign(new Error("timed out"), { name: "TimeoutError" }),
        ];
        const final = [
            { name: "InvalidDBInstanceStateFault", $fault: "client", $metadata: { httpStatusCode: 400 } },
            { name: "DBInstanceNotFoundFault", $fault: "client", $metadata: { httpStatusCode: 404 } },
            { name: "AccessDenied", $fault: "client", $metadata: { httpStatusCode: 403 } },
            new Error("boom"),
            "a string",
            undefined,
        ];
        expect(retried.map(isRetryableAwsError)).to.deep.equal(retried.map(() => true));
        expect(final.map(isRetryableAwsError)).to.deep.equal(final.map(() => false));
    });

    it("reads a DB instance: status, replication source, tags and endpoint", () => {
        expect(
            instanceState(
                {
                    DBInstanceArn: REPLICA_ARN,
                    DBInstanceStatus: "modifying",
                    ReadReplicaSourceDBInstanceIdentifier: PRIMARY_ARN,
                    TagList: [{ Key: "failover:promoted-at", Value: "2026-01-01T00:00:00.000Z" }, { Key: "empty" }],
                    Endpoint: { Address: "replica.abc.us-west-2.rds.amazonaws.com", Port: 3306 },
                },
                "fallback",
            ),
        ).to.deep.equal({
            arn: REPLICA_ARN,
            status: "modifying",
            replicationSource: PRIMARY_ARN,
            tags: { "failover:promoted-at": "2026-01-01T00:00:00.000Z", empty: "" },
            endpoint: "replica.abc.us-west-2.rds.amazonaws.com:3306",
        });
        expect(instanceState({ ReadReplicaSourceDBInstanceIdentifier: "" }, "fallback")).to.deep.equal({
            arn: "fallback",
            status: "unknown",
            tags: {},
        });
    });
});

describe("replica promotion: Lambda handler", () => {
    async function rejected(run: Promise<unknown>): Promise<unknown> {
        try {
            await run;
        } catch (error) {
            return error;
        }
        throw new Error("expected the invocation to fail");
    }

    it("fails every invocation of a misconfigured function, naming the variables, before any AWS call", async () => {
        const logs = collectingLogger();
        const handler = createLambdaHandler({ env: { TOPIC_ARN: "x" }, logger: logs.logger });
        const error = await rejected(handler({ source: "manual", reason: "x" }, { awsRequestId: "req-1" }));
        expect(error).to.be.instanceOf(SettingsError);
        expect((error as Error).message).to.equal(
            "the function is misconfigured: REPLICA_ARN is not set; PRIMARY_ARN is not set; TOPIC_ARN must be an SNS topic ARN",
        );
        expect(logs.records().map((l) => [l.event, l.requestId])).to.deep.equal([["invocation.failed", "req-1"]]);
    });

    it("fails an invocation with an input of no known shape, and says so in the log", async () => {
        const logs = collectingLogger();
        const handler = createLambdaHandler({ env: promotionEnv(), logger: logs.logger });
        const error = await rejected(handler({ hello: "world" }));
        expect(error).to.be.instanceOf(InvalidEventError);
        expect(logs.records().map((l) => l.event)).to.deep.equal(["event.invalid", "invocation.failed"]);
    });
});
