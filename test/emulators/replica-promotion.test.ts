/**
 * The promotion function's Lambda adapter, and its bundle, for real against moto's server: a primary
 * in us-east-1, its cross-region read replica in us-west-2 and the ops topic there, created through
 * the SDK; the handler builds its own SDK clients from the environment as it does in Lambda, and
 * the topic's HTTP subscription delivers the records to a loopback inbox. A Query-protocol proxy in
 * front of moto's RDS adds what moto cannot do (throttling, a refusal, a region that does not
 * answer, the end of a promotion; see query-proxy.ts).
 */
import {
    CreateDBInstanceCommand,
    CreateDBInstanceReadReplicaCommand,
    DeleteDBInstanceCommand,
    DescribeDBInstancesCommand,
    ListTagsForResourceCommand,
    RDSClient,
} from "@aws-sdk/client-rds";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { bundleFunction } from "../../functions/bundle";
import { createLambdaHandler, type LambdaHandler } from "../../functions/replica-promotion/aws";
import type { PromotionRecord } from "../../functions/replica-promotion/record";
import { sharedMoto, type Moto } from "../../tools/emulators/moto";
import { FakeServer } from "../fakes/server";
import { collectingLogger, withEnvCapturingStdout } from "../functions/fakes";
import {
    ALARM_ARN,
    alarmSnsEvent,
    PRIMARY_ARN,
    promotionFailure,
    rdsEvent,
    REPLICA_ARN,
} from "../functions/replica-promotion-fakes";
import { QueryProxy, THROTTLING } from "./query-proxy";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** The notifications SNS (moto) delivered to the topic's HTTP subscription, oldest first. */
function notifications(inbox: FakeServer): Array<{ Type: string; Subject: string; Message: string; TopicArn: string }> {
    return inbox.requests.map((request) => JSON.parse(request.body));
}

function subjects(inbox: FakeServer): string[] {
    return notifications(inbox).map((n) => n.Subject);
}

/** The record at the end of each message. */
function records(inbox: FakeServer): PromotionRecord[] {
    return notifications(inbox).map((n) => JSON.parse(n.Message.slice(n.Message.indexOf("Record:\n") + 8)));
}

describe("replica promotion against the AWS API emulator", function () {
    this.timeout(120_000);
    let moto: Moto;
    let proxy: QueryProxy;
    let inbox: FakeServer;
    let topicArn: string;
    const saved: Record<string, string | undefined> = {};

    const rds = (region: string) =>
        new RDSClient({
            endpoint: moto.endpoint,
            region,
            credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
        });

    before(async () => {
        moto = await sharedMoto();
        proxy = await QueryProxy.start(moto.endpoint);
        inbox = await FakeServer.start(() => ({ status: 200, body: "" }));
        // What Lambda's environment gives the function: a region and credentials; here also the
        // endpoints (RDS through the proxy, SNS straight to moto).
        const env = {
            ...moto.env(),
            AWS_REGION: "us-west-2",
            AWS_DEFAULT_REGION: "us-west-2",
            AWS_ENDPOINT_URL_RDS: proxy.url,
            AWS_ENDPOINT_URL_SNS: moto.endpoint,
        };
        for (const [name, value] of Object.entries(env)) {
            saved[name] = process.env[name];
            process.env[name] = value;
        }
    });

    after(async () => {
        for (const [name, value] of Object.entries(saved)) {
            if (value === undefined) {
                delete process.env[name];
            } else {
                process.env[name] = value;
            }
        }
        await proxy?.close();
        await inbox?.stop();
    });

    /** A primary (1 day of backups), optionally its cross-region replica, and the DR ops topic. */
    async function world(options: { replica?: boolean } = {}): Promise<void> {
        await moto.reset();
        proxy.reset();
        inbox.requests.length = 0;
        await rds("us-east-1").send(
            new CreateDBInstanceCommand({
                DBInstanceIdentifier: "webapp-prod-db",
                Engine: "mysql",
                DBInstanceClass: "db.t3.micro",
                MasterUsername: "admin",
                MasterUserPassword: "not-a-real-password-1",
                AllocatedStorage: 20,
                BackupRetentionPeriod: 1,
            }),
        );
        if (options.replica !== false) {
            await rds("us-west-2").send(
                new CreateDBInstanceReadReplicaCommand({
                    DBInstanceIdentifier: "webapp-prod-db-replica",
                    SourceDBInstanceIdentifier: PRIMARY_ARN,
                    DBInstanceClass: "db.t3.micro",
                }),
            );
        }
        const sns = new SNSClient({
            endpoint: moto.endpoint,
            region: "us-west-2",
            credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
        });
        topicArn = (await sns.send(new CreateTopicCommand({ Name: "webapp-prod-dr-alerts" }))).TopicArn!;
        await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: "http", Endpoint: `${inbox.url}/sns` }));
    }

    /** The primary is gone (in moto: deleted; RDS then answers DBInstanceNotFound for it). */
    async function losePrimary(): Promise<void> {
        await rds("us-east-1").send(
            new DeleteDBInstanceCommand({ DBInstanceIdentifier: "webapp-prod-db", SkipFinalSnapshot: true }),
        );
    }

    function handler(overrides: Record<string, string> = {}) {
        const logs = collectingLogger();
        const handle = createLambdaHandler({
            env: {
                REPLICA_ARN,
                PRIMARY_ARN,
                TOPIC_ARN: topicArn,
                ALARM_ARNS: ALARM_ARN,
                GRACE_SECONDS: "0",
                POLL_SECONDS: "1",
                VERIFY_SECONDS: "30",
                ...overrides,
            },
            logger: logs.logger,
            // The shortest back-off the policy allows, so retried tests stay quick.
            random: () => 0,
        });
        return { handle, logs };
    }

    async function tagsOfReplica(): Promise<Record<string, string>> {
        const listed = await rds("us-west-2").send(new ListTagsForResourceCommand({ ResourceName: REPLICA_ARN }));
        return Object.fromEntries((listed.TagList ?? []).map((t) => [t.Key!, t.Value!]));
    }

    const context = { awsRequestId: "c0ffee00-0000-4000-8000-000000000001", getRemainingTimeInMillis: () => 900_000 };

    it("a failure event of the primary promotes the replica, tags it and sends the record to the ops topic", async () => {
        await world();
        await losePrimary();
        const { handle } = handler();
        const record = await handle(
            rdsEvent("RDS-EVENT-0031", { category: "failure", message: "The DB instance has failed" }),
            context,
        );

        expect([record.outcome, record.primary.status]).to.deep.equal(["promoted", "not-found"]);
        const promotes = proxy.calls("PromoteReadReplica");
        expect(promotes).to.have.length(1);
        expect([promotes[0].region, promotes[0].answeredBy]).to.deep.equal(["us-west-2", "moto"]);
        expect(promotes[0].params.get("DBInstanceIdentifier")).to.equal("webapp-prod-db-replica");
        expect(promotes[0].params.get("BackupRetentionPeriod")).to.equal("7");
        // Moto applied the retention to the replica it promoted.
        const replica = (
            await rds("us-west-2").send(
                new DescribeDBInstancesCommand({ DBInstanceIdentifier: "webapp-prod-db-replica" }),
            )
        ).DBInstances![0];
        expect(replica.BackupRetentionPeriod).to.equal(7);
        const tags = await tagsOfReplica();
        expect(Object.keys(tags)).to.deep.equal(["failover:promoted-at", "failover:trigger", "failover:request-id"]);
        expect(tags["failover:trigger"]).to.equal("RDS-EVENT-0031 The DB instance has failed");
        expect(tags["failover:request-id"]).to.equal("c0ffee00-0000-4000-8000-000000000001");
        expect(Date.parse(tags["failover:promoted-at"])).to.be.within(
            Date.parse(record.startedAt),
            Date.parse(record.finishedAt),
        );

        expect(notifications(inbox).map((n) => [n.Type, n.TopicArn])).to.deep.equal([
            ["Notification", topicArn],
            ["Notification", topicArn],
        ]);
        expect(subjects(inbox)).to.deep.equal([
            "webapp failover: replica promotion started (webapp-prod-db-replica)",
            "webapp failover: replica promoted (webapp-prod-db-replica)",
        ]);
        expect(records(inbox)[1]).to.deep.equal(record);
    });

    it("an event that is not a failure of the primary does nothing", async () => {
        await world();
        const { handle } = handler();
        const record = await handle(rdsEvent("RDS-EVENT-0006", { message: "DB instance restarted" }), context);
        expect([record.outcome, record.detail]).to.deep.equal([
            "ignored",
            "RDS-EVENT-0006 is not a failure of the primary",
        ]);
        expect(proxy.requests).to.deep.equal([]);
        expect(inbox.requests).to.deep.equal([]);
        expect(await tagsOfReplica()).to.deep.equal({});
    });

    it("a second event does not promote twice, neither while the promotion runs nor after it", async () => {
        await world();
        await losePrimary();
        proxy.promotionDescribes = 1000;
        const { handle } = handler({ VERIFY_SECONDS: "2" });
        const first = await handle(rdsEvent("RDS-EVENT-0031"), context);
        expect([first.outcome, first.reason, first.replica.statusAfter]).to.deep.equal([
            "promotion-pending",
            "still-promoting",
            "modifying",
        ]);

        const during = await handle(alarmSnsEvent(), context);
        expect([during.outcome, during.reason]).to.deep.equal(["skipped", "promotion-in-progress"]);

        proxy.promotionDescribes = 0;
        const after = await handle(rdsEvent("RDS-EVENT-0004"), context);
        expect([after.outcome, after.reason]).to.deep.equal(["skipped", "already-promoted"]);

        expect(proxy.calls("PromoteReadReplica")).to.have.length(1);
        expect(records(inbox).map((r) => r.reason)).to.deep.equal(["promotion-started", "still-promoting"]);
    });

    it("a missing replica fails the invocation and is reported", async () => {
        await world({ replica: false });
        await losePrimary();
        const { handle, logs } = handler();
        const error = await promotionFailure(handle(rdsEvent("RDS-EVENT-0031"), context));
        expect(error.record.reason).to.equal("replica-not-found");
        expect(proxy.calls("PromoteReadReplica")).to.deep.equal([]);
        expect(subjects(inbox)).to.deep.equal(["webapp failover: replica promotion FAILED (webapp-prod-db-replica)"]);
        expect(
            logs
                .records()
                .map((l) => l.event)
                .slice(-2),
        ).to.deep.equal(["record.published", "invocation.failed"]);
    });

    it("throttled requests are retried with back-off, and the promotion goes through", async () => {
        await world();
        await losePrimary();
        proxy.inject({ action: "DescribeDBInstances", times: 1, fault: THROTTLING });
        proxy.inject({ action: "PromoteReadReplica", times: 2, fault: THROTTLING });
        const { handle, logs } = handler();
        const record = await handle(rdsEvent("RDS-EVENT-0031"), context);
        expect(record.outcome).to.equal("promoted");
        expect(proxy.calls("PromoteReadReplica").map((c) => c.answeredBy)).to.deep.equal(["fault", "fault", "moto"]);
        const retries = logs.records().filter((l) => l.event === "aws.retry");
        expect(retries.map((r) => [r.operation, r.attempt, r.error.name])).to.deep.equal([
            ["rds:DescribeDBInstances", 1, "Throttling"],
            ["rds:PromoteReadReplica", 1, "Throttling"],
            ["rds:PromoteReadReplica", 2, "Throttling"],
        ]);
    });

    it("RDS refusing the promotion (InvalidDBInstanceState) fails the invocation, is reported and tags nothing", async () => {
        await world();
        await losePrimary();
        proxy.inject({
            action: "PromoteReadReplica",
            fault: {
                status: 400,
                code: "InvalidDBInstanceState",
                message: "DB instance is not in the available state.",
            },
        });
        const { handle } = handler();
        const error = await promotionFailure(handle(rdsEvent("RDS-EVENT-0031"), context));
        expect(error.record.reason).to.equal("refused");
        expect(error.record.detail).to.equal(
            "RDS refused to promote webapp-prod-db-replica (InvalidDBInstanceState): DB instance is not in the available state.",
        );
        // Refusals are not retried within the invocation (Lambda's own retries try again later).
        expect(proxy.calls("PromoteReadReplica")).to.have.length(1);
        expect(await tagsOfReplica()).to.deep.equal({});
        expect(records(inbox).map((r) => [r.outcome, r.reason])).to.deep.equal([["failed", "refused"]]);
    });

    it("a primary that is available again is not failed over", async () => {
        await world();
        const { handle } = handler();
        const record = await handle(alarmSnsEvent(), context);
        expect([record.outcome, record.reason, record.primary.status]).to.deep.equal([
            "skipped",
            "primary-recovered",
            "available",
        ]);
        expect(proxy.calls("PromoteReadReplica")).to.deep.equal([]);
    });

    it("a primary region that does not answer counts as down: the alarm promotes the replica", async () => {
        await world();
        proxy.inject({ region: "us-east-1", fault: "drop" });
        const { handle, logs } = handler();
        const record = await handle(alarmSnsEvent(), context);
        expect([record.outcome, record.primary.status]).to.deep.equal(["promoted", "unreachable"]);
        expect(proxy.calls("DescribeDBInstances").filter((c) => c.region === "us-east-1")).to.have.length(5);
        expect(logs.records().filter((l) => l.event === "aws.retry")).to.have.length(4);
    });

    it("in dry-run mode decides and reports through the topic, and leaves the replica alone", async () => {
        await world();
        await losePrimary();
        const { handle } = handler({ DRY_RUN: "true" });
        const record = await handle(rdsEvent("RDS-EVENT-0031"), context);
        expect(record.outcome).to.equal("dry-run");
        expect(proxy.calls("PromoteReadReplica")).to.deep.equal([]);
        expect(proxy.calls("AddTagsToResource")).to.deep.equal([]);
        expect(subjects(inbox)).to.deep.equal([
            "webapp failover: DRY RUN: replica would be promoted (webapp-prod-db-replica)",
        ]);
    });

    it("the bundle runs on its own, configured by its environment as Lambda configures it", async () => {
        await world();
        await losePrimary();
        const outDir = mkdtempSync(path.join(tmpdir(), "promotion-bundle-"));
        let record: PromotionRecord | undefined;
        try {
            const bundle = bundleFunction("replica-promotion", "aws", { outDir });
            expect([bundle.entryPoint, Object.keys(bundle.files)]).to.deep.equal(["index.handler", ["index.js"]]);
            const lines = await withEnvCapturingStdout(
                { REPLICA_ARN, PRIMARY_ARN, TOPIC_ARN: topicArn, GRACE_SECONDS: "0", POLL_SECONDS: "1" },
                async () => {
                    // The built file alone, as Lambda loads it.
                    const { handler: bundled } = require(path.join(outDir, "index.js")) as { handler: LambdaHandler };
                    record = await bundled(rdsEvent("RDS-EVENT-0031"), context);
                },
            );
            const events = lines.map((line) => JSON.parse(line));
            expect(events.every((e) => e.requestId === context.awsRequestId)).to.equal(true);
            expect(events.map((e) => e.event)).to.include.members([
                "trigger.received",
                "promotion.started",
                "promotion.record",
            ]);
        } finally {
            rmSync(outDir, { recursive: true, force: true });
        }
        expect(record?.outcome).to.equal("promoted");
        expect(proxy.calls("PromoteReadReplica")).to.have.length(1);
        expect(subjects(inbox)).to.have.length(2);
    });
});
