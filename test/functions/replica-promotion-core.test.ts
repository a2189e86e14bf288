/**
 * The promotion function's core with an in-memory RDS, a fake notifier and a fake clock: which
 * events promote, idempotence, the grace period, dry runs, failures and what is recorded.
 */
import { expect } from "chai";
import { ReplicaPromoter } from "../../functions/replica-promotion/promoter";
import type { PromotionRecord } from "../../functions/replica-promotion/record";
import { collectingLogger, FakeClock } from "./fakes";
import {
    alarmSnsEvent,
    FakeNotifier,
    FakeRds,
    PRIMARY_ARN,
    promotionFailure,
    promotionSettings,
    rdsEvent,
    refused,
    REPLICA_ARN,
} from "./replica-promotion-fakes";

const T0 = Date.UTC(2026, 0, 1);

function setup(rds: FakeRds, env: Record<string, string> = {}) {
    const notifier = new FakeNotifier();
    const clock = new FakeClock(T0);
    const logs = collectingLogger();
    const promoter = new ReplicaPromoter(promotionSettings(env), { rds, notifier, clock, logger: logs.logger });
    return { promoter, notifier, clock, logs, rds };
}

describe("replica promotion: core", () => {
    it("promotes the replica on a failure event of the primary, with the backup retention, and records it", async () => {
        const { promoter, rds, notifier, logs } = setup(new FakeRds([{ status: "failed" }]), {
            BACKUP_RETENTION_DAYS: "14",
            BACKUP_WINDOW: "03:00-03:30",
        });
        const record = await promoter.handle(rdsEvent("RDS-EVENT-0031", { category: "failure" }), {
            requestId: "req-1",
        });

        expect(record.outcome).to.equal("promoted");
        expect(record.reason).to.equal("promoted");
        expect(rds.calls).to.deep.equal([
            "describe webapp-prod-db-replica",
            "describe webapp-prod-db",
            "promote webapp-prod-db-replica",
            "tag webapp-prod-db-replica",
            "describe webapp-prod-db-replica",
        ]);
        expect(rds.promoteOptions).to.deep.equal({ backupRetentionDays: 14, backupWindow: "03:00-03:30" });
        expect(rds.tags).to.deep.equal({
            "failover:promoted-at": "2026-01-01T00:00:00.000Z",
            "failover:trigger": "RDS-EVENT-0031 DB instance shutdown",
            "failover:request-id": "req-1",
        });
        expect(record.replica).to.deep.equal({
            arn: REPLICA_ARN,
            statusBefore: "available",
            statusAfter: "available",
            endpoint: "webapp-prod-db-replica.abc.us-west-2.rds.amazonaws.com:3306",
            tagged: true,
        });
        expect(record.primary).to.deep.equal({ arn: PRIMARY_ARN, status: "failed" });

        // Two messages: when RDS accepted, and when the instance was standalone.
        expect(notifier.messages.map((m) => m.subject)).to.deep.equal([
            "webapp failover: replica promotion started (webapp-prod-db-replica)",
            "webapp failover: replica promoted (webapp-prod-db-replica)",
        ]);
        expect(notifier.records().map((r) => [r.outcome, r.reason])).to.deep.equal([
            ["promotion-pending", "promotion-started"],
            ["promoted", "promoted"],
        ]);
        expect(notifier.messages[1].message).to.match(
            /^replica promoted: webapp-prod-db-replica is now a standalone primary\n/,
        );
        expect(notifier.messages[1].message).to.include(
            "New primary endpoint: webapp-prod-db-replica.abc.us-west-2.rds.amazonaws.com:3306",
        );

        const events = logs.records().map((l) => l.event);
        expect(events).to.deep.equal([
            "trigger.received",
            "primary.observed",
            "promotion.started",
            "record.published",
            "promotion.observed",
            "promotion.record",
            "record.published",
        ]);
        expect(logs.records().find((l) => l.event === "promotion.record")!.record).to.deep.equal(record);
    });

    it("ignores events that are not a failure of the primary, without a call to RDS or a message", async () => {
        const cases: Array<[unknown, string]> = [
            [
                rdsEvent("RDS-EVENT-0006", { message: "DB instance restarted" }),
                "RDS-EVENT-0006 is not a failure of the primary",
            ],
            [
                rdsEvent("RDS-EVENT-0031", { sourceArn: "arn:aws:rds:us-east-1:123456789012:db:other" }),
                "the event is about arn:aws:rds:us-east-1:123456789012:db:other, not the primary",
            ],
            [alarmSnsEvent({ state: "OK" }), 'alarm "webapp-prod-db-unavailable" changed to OK, not ALARM'],
            [
                alarmSnsEvent({ alarmArn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:webapp-prod-cpu-high" }),
                'alarm "webapp-prod-cpu-high" is not one that asks for a promotion',
            ],
        ];
        expect(cases).to.have.length(4);
        for (const [event, reason] of cases) {
            const { promoter, rds, notifier } = setup(new FakeRds());
            const record = await promoter.handle(event);
            expect([record.outcome, record.reason, record.detail]).to.deep.equal(["ignored", "not-a-trigger", reason]);
            expect(rds.calls).to.deep.equal([]);
            expect(notifier.messages).to.deep.equal([]);
        }
    });

    it("does not promote twice: a second event while the promotion runs, and one after it, are skipped", async () => {
        const rds = new FakeRds([{ status: "failed" }]);
        rds.promotionTakes = 100;
        const { promoter, notifier } = setup(rds, { VERIFY_SECONDS: "30" });
        const first = await promoter.handle(rdsEvent("RDS-EVENT-0031"));
        expect(first.outcome).to.equal("promotion-pending");
        expect(first.reason).to.equal("still-promoting");

        const during = await promoter.handle(alarmSnsEvent());
        expect([during.outcome, during.reason]).to.deep.equal(["skipped", "promotion-in-progress"]);
        expect(during.detail).to.equal(
            "the promotion of webapp-prod-db-replica was asked for at 2026-01-01T00:00:00.000Z and is under way",
        );

        rds.promotionTakes = 0;
        const after = await promoter.handle(rdsEvent("RDS-EVENT-0004"));
        expect([after.outcome, after.reason]).to.deep.equal(["skipped", "already-promoted"]);
        expect(rds.calls.filter((c) => c.startsWith("promote"))).to.have.length(1);
        // Skips are logged, not sent: the people on call got the promotion's own messages.
        expect(notifier.records().map((r) => r.reason)).to.deep.equal(["promotion-started", "still-promoting"]);
    });

    it("fails, and reports it, when the replica does not exist", async () => {
        const { promoter, notifier, rds } = setup(new FakeRds([{ status: "failed" }], ["missing"]));
        const error = await promotionFailure(promoter.handle(rdsEvent("RDS-EVENT-0031")));
        expect(error.record.reason).to.equal("replica-not-found");
        expect(error.message).to.equal(
            "replica-not-found: the replica webapp-prod-db-replica does not exist in us-west-2",
        );
        expect(rds.calls).to.deep.equal(["describe webapp-prod-db-replica"]);
        expect(notifier.messages.map((m) => m.subject)).to.deep.equal([
            "webapp failover: replica promotion FAILED (webapp-prod-db-replica)",
        ]);
    });

    it("fails, and reports it, when RDS refuses the promotion", async () => {
        const rds = new FakeRds([{ status: "failed" }]);
        rds.promoteError = refused("Invalid DB instance state: storage-optimization");
        const { promoter, notifier } = setup(rds);
        const error = await promotionFailure(promoter.handle(rdsEvent("RDS-EVENT-0031")));
        expect(error.record.reason).to.equal("refused");
        expect(error.record.detail).to.equal(
            "RDS refused to promote webapp-prod-db-replica (InvalidDBInstanceState): Invalid DB instance state: storage-optimization",
        );
        expect(error.record.replica.statusAfter).to.equal("available");
        expect(Object.keys(rds.tags)).to.deep.equal([]);
        expect(notifier.records().map((r) => [r.outcome, r.reason])).to.deep.equal([["failed", "refused"]]);
    });

    it("counts a request that failed but was accepted (the replica no longer replicates) as a promotion", async () => {
        const rds = new FakeRds(
            [{ status: "failed" }],
            [{}, { replicationSource: undefined, status: "modifying" }, { replicationSource: undefined }],
        );
        rds.promoteError = new Error("socket hang up");
        const { promoter, logs } = setup(rds);
        const record = await promoter.handle(rdsEvent("RDS-EVENT-0031"));
        expect(record.outcome).to.equal("promoted");
        expect(logs.records().map((l) => l.event)).to.include("promotion.accepted_earlier");
    });

    it("fails when the replica replicates from another instance than the configured primary", async () => {
        const rds = new FakeRds(
            [{ status: "failed" }],
            [{ replicationSource: "arn:aws:rds:eu-west-1:123456789012:db:elsewhere" }],
        );
        const { promoter } = setup(rds);
        const error = await promotionFailure(promoter.handle(rdsEvent("RDS-EVENT-0031")));
        expect(error.record.reason).to.equal("replica-of-another-source");
        expect(rds.calls.filter((c) => c.startsWith("promote"))).to.deep.equal([]);
    });

    describe("grace period", () => {
        it("does not promote when the primary comes back within it", async () => {
            const rds = new FakeRds([{ status: "rebooting" }, { status: "rebooting" }, { status: "available" }]);
            const { promoter, clock, notifier } = setup(rds, { GRACE_SECONDS: "120", POLL_SECONDS: "20" });
            const record = await promoter.handle(rdsEvent("RDS-EVENT-0004"));
            expect([record.outcome, record.reason, record.primary.status]).to.deep.equal([
                "skipped",
                "primary-recovered",
                "available",
            ]);
            expect(clock.sleeps).to.deep.equal([20_000, 20_000]);
            expect(rds.calls.filter((c) => c.startsWith("promote"))).to.deep.equal([]);
            expect(notifier.messages).to.deep.equal([]);
        });

        it("promotes at its end when the primary stays down, having looked every poll interval", async () => {
            const rds = new FakeRds([{ status: "rebooting" }]);
            const { promoter, clock } = setup(rds, { GRACE_SECONDS: "60", POLL_SECONDS: "20" });
            const record = await promoter.handle(rdsEvent("RDS-EVENT-0004"));
            expect(record.outcome).to.equal("promoted");
            expect(record.primary.status).to.equal("rebooting");
            // Primary: at 0, 20, 40 and 60 s (the end of the grace); then one verification poll.
            expect(clock.sleeps).to.deep.equal([20_000, 20_000, 20_000, 20_000]);
            expect(rds.calls.filter((c) => c === "describe webapp-prod-db")).to.have.length(4);
        });

        it("counts from the event's time, so a late or retried delivery does not wait again", async () => {
            const rds = new FakeRds([{ status: "rebooting" }]);
            const { promoter, clock } = setup(rds, { GRACE_SECONDS: "300", POLL_SECONDS: "15" });
            // The event happened ten minutes before the invocation.
            const record = await promoter.handle(rdsEvent("RDS-EVENT-0004", { date: "2025-12-31T23:50:00.000Z" }));
            expect(record.outcome).to.equal("promoted");
            expect(clock.sleeps).to.deep.equal([15_000]);
        });

        it("promotes at once, without waiting, when the primary is in a state it does not leave by itself", async () => {
            for (const status of ["failed", "incompatible-network", "not-found"]) {
                const rds = new FakeRds([status === "not-found" ? "missing" : { status }]);
                const { promoter, clock } = setup(rds, { GRACE_SECONDS: "300" });
                const record = await promoter.handle(rdsEvent("RDS-EVENT-0031"));
                expect([record.outcome, record.primary.status]).to.deep.equal(["promoted", status]);
                expect(clock.sleeps, status).to.deep.equal([15_000]);
            }
        });

        it("counts a primary whose region does not answer as down", async () => {
            const rds = new FakeRds([new Error("connect ETIMEDOUT 52.94.0.1:443")]);
            const { promoter, logs } = setup(rds, { GRACE_SECONDS: "0" });
            const record = await promoter.handle(alarmSnsEvent());
            expect([record.outcome, record.primary.status]).to.deep.equal(["promoted", "unreachable"]);
            expect(logs.records().filter((l) => l.event === "primary.unreachable")).to.have.length(1);
        });

        it("waits out the whole grace for a primary that looks available, and then does not promote", async () => {
            const rds = new FakeRds([{ status: "available" }]);
            const { promoter, clock } = setup(rds, { GRACE_SECONDS: "30", POLL_SECONDS: "10" });
            const record = await promoter.handle(alarmSnsEvent());
            expect(record.reason).to.equal("primary-recovered");
            // Looks at 0, 10, 20 and 30 s: available at the end of the grace.
            expect(clock.sleeps).to.deep.equal([10_000, 10_000, 10_000]);
        });

        it("never promotes for a primary that someone stopped", async () => {
            const { promoter, rds } = setup(new FakeRds([{ status: "stopped" }]), { GRACE_SECONDS: "300" });
            const record = await promoter.handle(rdsEvent("RDS-EVENT-0004"));
            expect([record.outcome, record.reason]).to.deep.equal(["skipped", "primary-stopped"]);
            expect(rds.calls.filter((c) => c.startsWith("promote"))).to.deep.equal([]);
        });

        it("ends early enough to leave the invocation time for the promotion request", async () => {
            const rds = new FakeRds([{ status: "rebooting" }]);
            const { promoter, clock } = setup(rds, { GRACE_SECONDS: "600", POLL_SECONDS: "30" });
            const record = await promoter.handle(rdsEvent("RDS-EVENT-0004"), { deadline: T0 + 120_000 });
            expect(record.outcome).to.equal("promotion-pending");
            // Grace cut to 120 s - 2 x 15 s reserve = 90 s: looks at 0, 30, 60, 90 s; no time left to verify.
            expect(clock.sleeps).to.deep.equal([30_000, 30_000, 30_000]);
            expect(rds.calls.filter((c) => c.startsWith("promote"))).to.have.length(1);
        });
    });

    it("in dry-run mode decides and reports, but changes nothing", async () => {
        const { promoter, rds, notifier } = setup(new FakeRds([{ status: "failed" }]), { DRY_RUN: "true" });
        const record = await promoter.handle(rdsEvent("RDS-EVENT-0031"));
        expect([record.outcome, record.dryRun]).to.deep.equal(["dry-run", true]);
        expect(record.detail).to.equal(
            "webapp-prod-db-replica would be promoted (backup retention 7 days); nothing was changed",
        );
        expect(rds.calls).to.deep.equal(["describe webapp-prod-db-replica", "describe webapp-prod-db"]);
        expect(rds.tags).to.deep.equal({});
        expect(notifier.messages.map((m) => m.subject)).to.deep.equal([
            "webapp failover: DRY RUN: replica would be promoted (webapp-prod-db-replica)",
        ]);
        expect(notifier.messages[0].message).to.include("Nothing was changed. Set DRY_RUN=false");
    });

    it("promotes on an operator's manual invocation without a grace period, whatever the primary's state", async () => {
        const { promoter, rds, clock } = setup(new FakeRds([{ status: "available" }]), { GRACE_SECONDS: "300" });
        const record = await promoter.handle({
            source: "manual",
            reason: "us-east-1 outage, incident 4711",
            operator: "alice",
        });
        expect(record.outcome).to.equal("promoted");
        expect(record.primary.status).to.equal("available");
        expect(clock.sleeps).to.deep.equal([15_000]);
        expect(rds.tags["failover:trigger"]).to.equal("manual by alice: us-east-1 outage incident 4711");
    });

    it("a manual dry run changes nothing even when DRY_RUN is off", async () => {
        const { promoter, rds } = setup(new FakeRds([{ status: "failed" }]));
        const record = await promoter.handle({ source: "manual", reason: "drill", dryRun: true });
        expect(record.outcome).to.equal("dry-run");
        expect(rds.calls.filter((c) => !c.startsWith("describe"))).to.deep.equal([]);
    });

    it("reports a promotion still running when its verification time is up, and RDS goes on", async () => {
        const rds = new FakeRds([{ status: "failed" }]);
        rds.promotionTakes = 1000;
        const { promoter, clock } = setup(rds, { VERIFY_SECONDS: "60", POLL_SECONDS: "20" });
        const record = await promoter.handle(rdsEvent("RDS-EVENT-0031"));
        expect([record.outcome, record.reason, record.replica.statusAfter]).to.deep.equal([
            "promotion-pending",
            "still-promoting",
            "modifying",
        ]);
        expect(record.detail).to.equal(
            "webapp-prod-db-replica was still modifying when the function stopped waiting; RDS goes on promoting it",
        );
        expect(clock.sleeps).to.deep.equal([20_000, 20_000, 20_000]);
    });

    it("keeps going when the tags or the message cannot be written, and logs it", async () => {
        const rds = new FakeRds([{ status: "failed" }]);
        rds.tagError = new Error("AccessDenied");
        const { promoter, notifier, logs } = setup(rds);
        notifier.failWith = new Error("KMSAccessDenied");
        const record = await promoter.handle(rdsEvent("RDS-EVENT-0031"));
        expect([record.outcome, record.replica.tagged]).to.deep.equal(["promoted", false]);
        const errors = logs
            .records()
            .filter((l) => l.level === "error")
            .map((l) => l.event);
        expect(errors).to.deep.equal(["promotion.tag_failed", "record.publish_failed", "record.publish_failed"]);
    });

    it("returns records whose times are ISO strings of the run", async () => {
        const { promoter } = setup(new FakeRds([{ status: "failed" }]));
        const record: PromotionRecord = await promoter.handle(rdsEvent("RDS-EVENT-0031"));
        expect(record.startedAt).to.equal("2026-01-01T00:00:00.000Z");
        expect(record.finishedAt).to.equal("2026-01-01T00:00:15.000Z");
        expect(record.trigger?.summary).to.equal("RDS-EVENT-0031 (DB instance shutdown)");
    });
});
