/**
 * The promotion function's inputs: the four event shapes, the trigger table the deploying program
 * uses for the EventBridge rule and the SNS filter, and the settings from the environment.
 */
import { expect } from "chai";
import { InvalidEventError, parseEvent } from "../../functions/replica-promotion/events";
import { SettingsError } from "../../functions/email-verification/settings";
import { DEFAULTS, parseRdsInstanceArn, settingsFromEnv } from "../../functions/replica-promotion/settings";
import { alarmFilterPolicy, PROMOTION_EVENTS, promotionEventPattern } from "../../functions/replica-promotion/triggers";
import {
    ALARM_ARN,
    alarmActionEvent,
    alarmSnsEvent,
    PRIMARY_ARN,
    promotionEnv,
    promotionSettings,
    rdsEvent,
    REPLICA_ARN,
    TOPIC_ARN,
} from "./replica-promotion-fakes";

const NOW = Date.UTC(2026, 0, 1, 0, 5);

describe("replica promotion: events", () => {
    const settings = promotionSettings();

    it("reads an RDS failure event of the primary as a trigger at the event's time", () => {
        expect(
            parseEvent(rdsEvent("RDS-EVENT-0031", { message: "The DB instance has failed" }), settings, NOW),
        ).to.deep.equal({
            trigger: {
                kind: "rds-event",
                eventId: "RDS-EVENT-0031",
                message: "The DB instance has failed",
                sourceArn: PRIMARY_ARN,
                time: Date.UTC(2026, 0, 1),
            },
        });
    });

    it("matches the primary by identifier and region when an event has no SourceArn", () => {
        const event = rdsEvent("RDS-EVENT-0004");
        const { SourceArn: _omitted, ...detail } = event.detail;
        expect(parseEvent({ ...event, detail }, settings, NOW)).to.have.property("trigger");
        expect(parseEvent({ ...event, region: "eu-west-1", detail }, settings, NOW)).to.deep.equal({
            ignored: "the event is about webapp-prod-db, not the primary",
        });
    });

    it("ignores other detail types, the replica's own events and non-trigger event IDs", () => {
        expect(
            parseEvent({ ...rdsEvent("RDS-EVENT-0031"), "detail-type": "RDS DB Snapshot Event" }, settings, NOW),
        ).to.deep.equal({
            ignored: 'an RDS "RDS DB Snapshot Event" event is not about a DB instance',
        });
        expect(parseEvent(rdsEvent("RDS-EVENT-0031", { sourceArn: REPLICA_ARN }), settings, NOW)).to.deep.equal({
            ignored: `the event is about ${REPLICA_ARN}, not the primary`,
        });
        for (const id of ["RDS-EVENT-0006", "RDS-EVENT-0049", "RDS-EVENT-0087", "RDS-EVENT-0221"]) {
            expect(parseEvent(rdsEvent(id), settings, NOW)).to.deep.equal({
                ignored: `${id} is not a failure of the primary`,
            });
        }
    });

    it("reads a configured alarm's ALARM notification delivered by SNS", () => {
        expect(parseEvent(alarmSnsEvent(), settings, NOW)).to.deep.equal({
            trigger: {
                kind: "alarm",
                alarmName: "webapp-prod-db-unavailable",
                alarmArn: ALARM_ARN,
                reason: "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching].",
                time: Date.UTC(2026, 0, 1),
            },
        });
    });

    it("reads a configured alarm's direct Lambda action the same way", () => {
        const parsed = parseEvent(alarmActionEvent(), settings, NOW);
        expect(parsed).to.deep.equal({
            trigger: {
                kind: "alarm",
                alarmName: "webapp-prod-db-unavailable",
                alarmArn: ALARM_ARN,
                reason: "Threshold Crossed",
                time: Date.UTC(2026, 0, 1),
            },
        });
        expect(parseEvent(alarmActionEvent({ state: "OK" }), settings, NOW)).to.deep.equal({
            ignored: 'alarm "webapp-prod-db-unavailable" changed to OK, not ALARM',
        });
    });

    it("ignores every alarm when none is configured", () => {
        const none = promotionSettings({ ALARM_ARNS: "" });
        expect(parseEvent(alarmSnsEvent(), none, NOW)).to.deep.equal({
            ignored: 'alarm "webapp-prod-db-unavailable" is not one that asks for a promotion',
        });
    });

    it("ignores SNS messages that are not alarm notifications, naming them", () => {
        const event = alarmSnsEvent();
        const record = event.Records[0];
        const notJson = { Records: [{ ...record, Sns: { ...record.Sns, Message: "hello" } }] };
        const notAlarm = {
            Records: [{ ...record, Sns: { ...record.Sns, Message: '{"Event Source":"db-instance"}' } }],
        };
        expect(parseEvent(notJson, settings, NOW)).to.deep.equal({
            ignored: "SNS message 95df01b4-ee98-5cb9-9903-4c221d41eb5e is not JSON",
        });
        expect(parseEvent(notAlarm, settings, NOW)).to.deep.equal({
            ignored: "SNS message 95df01b4-ee98-5cb9-9903-4c221d41eb5e is not a CloudWatch alarm notification",
        });
        expect(parseEvent({ Records: [] }, settings, NOW)).to.deep.equal({ ignored: "the SNS event has no records" });
    });

    it("reads a manual invocation, which needs a reason", () => {
        expect(
            parseEvent({ source: "manual", reason: "  region\noutage ", operator: "bob" }, settings, NOW),
        ).to.deep.equal({
            trigger: { kind: "manual", reason: "region outage", operator: "bob", dryRun: false, time: NOW },
        });
        expect(() => parseEvent({ source: "manual" }, settings, NOW)).to.throw(InvalidEventError, /needs a "reason"/);
        expect(() => parseEvent({ source: "manual", reason: "x", dryRun: "yes" }, settings, NOW)).to.throw(
            InvalidEventError,
            '"dryRun" must be true or false',
        );
    });

    it("rejects input of no known shape", () => {
        for (const event of [null, "promote", [], { source: "aws.ec2", detail: {} }, {}]) {
            expect(() => parseEvent(event, settings, NOW)).to.throw(InvalidEventError);
        }
    });
});

describe("replica promotion: triggers", () => {
    it("lists the failure and unavailability events of a DB instance", () => {
        expect(Object.keys(PROMOTION_EVENTS)).to.deep.equal([
            "RDS-EVENT-0004",
            "RDS-EVENT-0022",
            "RDS-EVENT-0031",
            "RDS-EVENT-0036",
        ]);
        expect(Object.values(PROMOTION_EVENTS).map((e) => e.category)).to.deep.equal([
            "availability",
            "availability",
            "failure",
            "failure",
        ]);
    });

    it("gives the EventBridge rule a pattern for exactly the primary's trigger events", () => {
        expect(promotionEventPattern(PRIMARY_ARN)).to.deep.equal({
            source: ["aws.rds"],
            "detail-type": ["RDS DB Instance Event"],
            detail: {
                SourceArn: [PRIMARY_ARN],
                EventID: ["RDS-EVENT-0004", "RDS-EVENT-0022", "RDS-EVENT-0031", "RDS-EVENT-0036"],
            },
        });
    });

    it("gives the SNS subscription a body filter for the configured alarms' ALARM state", () => {
        expect(alarmFilterPolicy([ALARM_ARN])).to.deep.equal({ AlarmArn: [ALARM_ARN], NewStateValue: ["ALARM"] });
        expect(() => alarmFilterPolicy([])).to.throw("an alarm filter policy needs at least one alarm ARN");
    });
});

describe("replica promotion: settings", () => {
    it("reads the ARNs and applies the documented defaults", () => {
        const settings = settingsFromEnv({ REPLICA_ARN, PRIMARY_ARN, TOPIC_ARN });
        expect(settings).to.deep.equal({
            replica: {
                arn: REPLICA_ARN,
                partition: "aws",
                region: "us-west-2",
                account: "123456789012",
                identifier: "webapp-prod-db-replica",
            },
            primary: {
                arn: PRIMARY_ARN,
                partition: "aws",
                region: "us-east-1",
                account: "123456789012",
                identifier: "webapp-prod-db",
            },
            topicArn: TOPIC_ARN,
            alarmArns: [],
            dryRun: false,
            graceMs: 300_000,
            pollMs: 15_000,
            verifyMs: 600_000,
            backupRetentionDays: 7,
        });
        expect(DEFAULTS).to.deep.equal({
            graceSeconds: 300,
            pollSeconds: 15,
            verifySeconds: 600,
            backupRetentionDays: 7,
        });
    });

    it("reads every optional setting", () => {
        const settings = settingsFromEnv(
            promotionEnv({
                ALARM_ARNS: ` ${ALARM_ARN} , arn:aws:cloudwatch:us-east-1:123456789012:alarm:other `,
                DRY_RUN: "TRUE",
                GRACE_SECONDS: "600",
                POLL_SECONDS: "1",
                VERIFY_SECONDS: "0",
                BACKUP_RETENTION_DAYS: "35",
                BACKUP_WINDOW: "23:45-00:15",
            }),
        );
        expect(settings.alarmArns).to.deep.equal([ALARM_ARN, "arn:aws:cloudwatch:us-east-1:123456789012:alarm:other"]);
        expect([settings.dryRun, settings.graceMs, settings.pollMs, settings.verifyMs]).to.deep.equal([
            true,
            600_000,
            1000,
            0,
        ]);
        expect([settings.backupRetentionDays, settings.backupWindow]).to.deep.equal([35, "23:45-00:15"]);
    });

    it("names every problem at once, by variable", () => {
        let error: unknown;
        try {
            settingsFromEnv({
                REPLICA_ARN: "webapp-prod-db-replica",
                TOPIC_ARN: "alerts",
                ALARM_ARNS: "cpu-high",
                DRY_RUN: "maybe",
                GRACE_SECONDS: "601",
                POLL_SECONDS: "0",
                VERIFY_SECONDS: "1.5",
                BACKUP_RETENTION_DAYS: "0",
                BACKUP_WINDOW: "03:00-03:10",
            });
        } catch (e) {
            error = e;
        }
        expect(error).to.be.instanceOf(SettingsError);
        expect((error as Error).message).to.equal(
            "the function is misconfigured: " +
                [
                    "REPLICA_ARN must be a DB instance ARN such as arn:aws:rds:us-west-2:123456789012:db:webapp-replica",
                    "PRIMARY_ARN is not set",
                    "TOPIC_ARN must be an SNS topic ARN",
                    'ALARM_ARNS: "cpu-high" is not a CloudWatch alarm ARN',
                    'DRY_RUN must be "true" or "false"',
                    'GRACE_SECONDS must be a whole number from 0 to 600 (got "601")',
                    'POLL_SECONDS must be a whole number from 1 to 60 (got "0")',
                    'VERIFY_SECONDS must be a whole number from 0 to 840 (got "1.5")',
                    'BACKUP_RETENTION_DAYS must be a whole number from 1 to 35 (got "0")',
                    "BACKUP_WINDOW must be a UTC window of at least 30 minutes such as 03:00-03:30",
                ].join("; "),
        );
    });

    it("rejects a replica that is the primary, or in another account", () => {
        expect(() => settingsFromEnv(promotionEnv({ REPLICA_ARN: PRIMARY_ARN }))).to.throw(
            "REPLICA_ARN and PRIMARY_ARN must name two different instances",
        );
        expect(() =>
            settingsFromEnv(
                promotionEnv({ REPLICA_ARN: "arn:aws:rds:us-west-2:210987654321:db:webapp-prod-db-replica" }),
            ),
        ).to.throw("REPLICA_ARN and PRIMARY_ARN must be in the same account");
    });

    it("parses DB instance ARNs only", () => {
        expect(parseRdsInstanceArn("arn:aws-us-gov:rds:us-gov-west-1:123456789012:db:a-1")).to.deep.equal({
            arn: "arn:aws-us-gov:rds:us-gov-west-1:123456789012:db:a-1",
            partition: "aws-us-gov",
            region: "us-gov-west-1",
            account: "123456789012",
            identifier: "a-1",
        });
        for (const bad of [
            "arn:aws:rds:us-east-1:123456789012:cluster:aurora",
            "arn:aws:rds:us-east-1:1234:db:short-account",
            "arn:aws:rds:us-east-1:123456789012:db:1-starts-with-a-digit",
            "arn:aws:rds:mars-east-1:123456789012:db:no-such-region",
        ]) {
            expect(parseRdsInstanceArn(bad), bad).to.equal(undefined);
        }
    });
});
