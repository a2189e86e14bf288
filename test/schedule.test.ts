/**
 * Dev at night (`aws.schedule`): the cron and time-zone rules, the refusals (production-like
 * environments, a DR read replica), and what a scheduled stack builds: the group's or services'
 * scheduled actions, the database's Scheduler schedules and their role.
 */
import { expect } from "chai";
import { awsCron, cronProblem, isTimeZone, unixCron } from "../config/schedule";
import type { OfflineRun, RecordedResource } from "../tools/offline/run";
import { parseConfig } from "../config";
import { build, configProblems, json, merge, rawStackConfig, statements } from "./support";

const T = {
    asg: "aws:autoscaling/group:Group",
    asgSchedule: "aws:autoscaling/schedule:Schedule",
    schedule: "aws:scheduler/schedule:Schedule",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    db: "aws:rds/instance:Instance",
    target: "aws:appautoscaling/target:Target",
    scheduled: "aws:appautoscaling/scheduledAction:ScheduledAction",
    service: "aws:ecs/service:Service",
};

const NIGHT = { stopAt: "0 20 * * MON-FRI", startAt: "0 7 * * MON-FRI", timezone: "Europe/Berlin" };
const IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/webapp-dev:1.2.3";

const targetArn = (s: RecordedResource) => String((s.inputs.target as Record<string, unknown>).arn);

const scheduled = (schedule: unknown, stack = "dev") => rawStackConfig(stack, { aws: { schedule } });

describe("aws.schedule", () => {
    describe("cron expressions", () => {
        it("accepts five fields with values, ranges, lists, steps and names", () => {
            for (const ok of ["0 20 * * MON-FRI", "30 6 * * mon,wed,fri", "*/15 0-6 1 JAN-MAR *", "0 22 1-15/2 * *"]) {
                expect(cronProblem(ok), ok).to.equal(undefined);
            }
        });

        it("names the field that is wrong", () => {
            const form =
                'is not a 5-field cron expression (minute hour day-of-month month day-of-week, e.g. "0 20 * * MON-FRI")';
            expect(cronProblem("0 20 * *")).to.equal(`${form}: it has 4 field(s)`);
            expect(cronProblem("0 25 * * MON")).to.equal(`${form}: the hour field's 25 is outside 0-23`);
            expect(cronProblem("60 1 * * MON")).to.equal(`${form}: the minute field's 60 is outside 0-59`);
            expect(cronProblem("0 1 0 * *")).to.equal(`${form}: the day-of-month field's 0 is outside 1-31`);
            expect(cronProblem("0 1 * FOO *")).to.equal(`${form}: the month field's "FOO" is not a number or name`);
            expect(cronProblem("0 1 * * 1-5")).to.equal(
                `${form}: the day-of-week field must use day names (SUN, MON, TUE, WED, THU, FRI, SAT), not numbers like 1`,
            );
            expect(cronProblem("0 1 */0 * *")).to.equal(
                `${form}: the day-of-month field's step in "*/0" is not a positive number`,
            );
            expect(cronProblem("0 1 1 * MON")).to.equal(
                `${form}: it restricts both day-of-month (1) and day-of-week (MON); EventBridge Scheduler takes one of them only, set the other to *`,
            );
        });

        it("translates into Unix cron for Auto Scaling and cron(...) for Scheduler", () => {
            expect(unixCron("0 20 * * mon-fri")).to.equal("0 20 * * MON-FRI");
            expect(awsCron("0 20 * * MON-FRI")).to.equal("cron(0 20 ? * MON-FRI *)");
            expect(awsCron("30 6 1 * *")).to.equal("cron(30 6 1 * ? *)");
            expect(awsCron("0 7 * * *")).to.equal("cron(0 7 * * ? *)");
        });

        it("knows IANA time zones, case included", () => {
            expect(["UTC", "Europe/Berlin", "America/New_York"].filter(isTimeZone)).to.have.length(3);
            expect(["Mars/Olympus", "europe/berlin", "Europe/Berlin; rm", ""].filter(isTimeZone)).to.deep.equal([]);
        });
    });

    describe("config problems", () => {
        it("refuses a bad stopAt, naming the key", () => {
            expect(configProblems(scheduled({ ...NIGHT, stopAt: "0 24 * * MON" }))).to.deep.equal([
                'aws.schedule.stopAt: "0 24 * * MON" is not a 5-field cron expression (minute hour day-of-month month day-of-week, e.g. "0 20 * * MON-FRI"): the hour field\'s 24 is outside 0-23',
            ]);
        });

        it("refuses an unknown time zone, naming the key", () => {
            expect(configProblems(scheduled({ ...NIGHT, timezone: "Europe/Atlantis" }))).to.deep.equal([
                'aws.schedule.timezone: "Europe/Atlantis" is not an IANA time zone name (e.g. "Europe/Berlin", "America/New_York", "UTC")',
            ]);
        });

        it("wants both times or neither", () => {
            expect(configProblems(scheduled({ stopAt: NIGHT.stopAt }))).to.deep.equal([
                "aws.schedule.startAt: is required with aws.schedule: set both aws.schedule.stopAt and aws.schedule.startAt, or neither",
            ]);
        });

        it("refuses unknown keys in the schedule", () => {
            const problems = configProblems(scheduled({ ...NIGHT, stopTime: "0 20 * * *" }));
            expect(problems).to.have.length(1);
            expect(problems[0]).to.match(/^aws\.schedule/);
            expect(problems[0]).to.contain("stopTime");
        });

        for (const environment of ["demo", "staging", "prod"]) {
            it(`is refused in the production-like ${environment} environment`, () => {
                const raw = merge(scheduled(NIGHT), { environment });
                const problems = configProblems(raw).filter((p) => p.startsWith("aws.schedule:"));
                expect(problems).to.have.length(1);
                expect(problems[0]).to.contain(
                    `is refused in the production-like environment ${environment} (its profile in config/profiles.ts): only a dev stack may shut down at night; remove aws.schedule`,
                );
            });
        }

        it("cannot stop a database that has a DR read replica: names both keys", () => {
            const problems = configProblems(merge(scheduled(NIGHT), { aws: { dr: { region: "us-west-2" } } }));
            expect(problems).to.have.length(1);
            expect(problems[0]).to.match(/^aws\.schedule: /);
            expect(problems[0]).to.contain(
                "cannot stop the database while aws.dr.region (us-west-2) gives it a read replica: RDS does not stop an instance that has read replicas; remove aws.schedule or aws.dr.region",
            );
        });

        it("is off by default, on every stack file", () => {
            for (const stack of ["dev", "demo", "staging", "prod"]) {
                expect(parseConfig(rawStackConfig(stack), stack).aws.schedule, stack).to.equal(undefined);
            }
        });

        it("defaults the time zone to UTC", () => {
            const cfg = parseConfig(scheduled({ stopAt: NIGHT.stopAt, startAt: NIGHT.startAt }), "dev");
            expect(cfg.aws.schedule).to.deep.equal({ stopAt: NIGHT.stopAt, startAt: NIGHT.startAt, timezone: "UTC" });
        });
    });

    describe("a dev stack on instances", () => {
        let run: OfflineRun;
        before(async () => {
            run = await build(parseConfig(scheduled(NIGHT), "dev"));
        });

        it("scales the group to zero at stopAt and back to aws.asg.min/max at startAt", () => {
            const actions = run.ofType(T.asgSchedule);
            expect(actions).to.have.length(2);
            const group = run.one(T.asg);
            const byName = Object.fromEntries(actions.map((a) => [a.inputs.scheduledActionName, a]));
            expect(byName["night-stop"]?.inputs).to.deep.include({
                recurrence: "0 20 * * MON-FRI",
                timeZone: "Europe/Berlin",
                minSize: 0,
                maxSize: 0,
                desiredCapacity: 0,
            });
            expect(byName["night-start"]?.inputs).to.deep.include({
                recurrence: "0 7 * * MON-FRI",
                timeZone: "Europe/Berlin",
                minSize: 1,
                maxSize: 2,
                desiredCapacity: 1,
            });
            for (const action of actions) {
                expect(action.dependencies).to.include(group.urn);
            }
        });

        it("stops and starts the database through EventBridge Scheduler", () => {
            const schedules = run.ofType(T.schedule).filter((s) => targetArn(s).includes(":rds:"));
            expect(schedules).to.have.length(2);
            const db = run.one(T.db);
            const byTarget = Object.fromEntries(
                schedules.map((s) => [String((s.inputs.target as Record<string, unknown>).arn), s]),
            );
            const stop = byTarget["arn:aws:scheduler:::aws-sdk:rds:stopDBInstance"];
            const start = byTarget["arn:aws:scheduler:::aws-sdk:rds:startDBInstance"];
            expect(stop?.inputs).to.deep.include({
                scheduleExpression: "cron(0 20 ? * MON-FRI *)",
                scheduleExpressionTimezone: "Europe/Berlin",
                flexibleTimeWindow: { mode: "OFF" },
            });
            expect(start?.inputs).to.deep.include({
                scheduleExpression: "cron(0 7 ? * MON-FRI *)",
                scheduleExpressionTimezone: "Europe/Berlin",
            });
            for (const s of [stop, start] as RecordedResource[]) {
                expect(JSON.parse(String((s.inputs.target as Record<string, unknown>).input))).to.deep.equal({
                    DbInstanceIdentifier: db.inputs.identifier,
                });
                expect(s.dependencies).to.include(db.urn);
            }
        });

        it("mutes the monitoring alarms for the night and unmutes them at startAt", () => {
            const schedules = run.ofType(T.schedule).filter((s) => targetArn(s).includes(":cloudwatch:"));
            expect(schedules).to.have.length(2);
            const byTarget = Object.fromEntries(schedules.map((s) => [targetArn(s), s.inputs]));
            const mute = byTarget["arn:aws:scheduler:::aws-sdk:cloudwatch:disableAlarmActions"];
            const unmute = byTarget["arn:aws:scheduler:::aws-sdk:cloudwatch:enableAlarmActions"];
            expect(mute?.scheduleExpression).to.equal("cron(0 20 ? * MON-FRI *)");
            expect(unmute?.scheduleExpression).to.equal("cron(0 7 ? * MON-FRI *)");
            const names = run
                .ofType("aws:cloudwatch/metricAlarm:MetricAlarm")
                .filter((a) => a.name.startsWith("dev-monitoring-"))
                .map((a) => a.name);
            expect(names).to.have.length(9);
            for (const inputs of [mute, unmute]) {
                const input = JSON.parse(String((inputs?.target as Record<string, unknown>).input));
                expect(input.AlarmNames).to.have.length(9);
                expect(input.AlarmNames.map((n: string) => n.replace(/-[0-9a-f]{7}$/, ""))).to.have.members(names);
            }
            // The NAT instance's and the dead-letter queue's alarms keep watching: those run at night too.
            expect(JSON.stringify(mute)).not.to.contain("dlq");
        });

        it("gives the alarm schedules a role allowed to mute and unmute those alarms only", () => {
            const schedules = run.ofType(T.schedule).filter((s) => targetArn(s).includes(":cloudwatch:"));
            expect(schedules).to.have.length(2);
            const role = run.ofType(T.role).filter((r) => schedules.every((s) => s.dependencies.includes(r.urn)));
            expect(role).to.have.length(1);
            const policies = run
                .ofType(T.rolePolicy)
                .filter((p) => p.dependencies.includes((role[0] as RecordedResource).urn));
            expect(policies).to.have.length(1);
            const [statement, ...others] = statements(json(run, policies[0] as RecordedResource, "policy"));
            expect(others).to.deep.equal([]);
            expect(statement?.Action).to.deep.equal([
                "cloudwatch:DisableAlarmActions",
                "cloudwatch:EnableAlarmActions",
            ]);
            expect(statement?.Resource).to.have.length(9);
            for (const arn of statement?.Resource as string[]) {
                expect(arn).to.match(/^arn:aws:cloudwatch:us-east-1:123456789012:alarm:dev-monitoring-/);
            }
        });

        it("gives the database schedules a role Scheduler of this account assumes, allowed to stop and start that instance only", () => {
            const schedules = run.ofType(T.schedule).filter((s) => targetArn(s).includes(":rds:"));
            expect(schedules).to.have.length(2);
            const roles = run.ofType(T.role).filter((r) => schedules.every((s) => s.dependencies.includes(r.urn)));
            expect(roles).to.have.length(1);
            const role = roles[0] as RecordedResource;
            const trust = statements(json(run, role, "assumeRolePolicy"));
            expect(trust).to.have.length(1);
            expect(trust[0]).to.deep.include({
                Effect: "Allow",
                Principal: { Service: "scheduler.amazonaws.com" },
                Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
            });
            expect([trust[0]?.Action].flat()).to.deep.equal(["sts:AssumeRole"]);
            const policies = run.ofType(T.rolePolicy).filter((p) => p.dependencies.includes(role.urn));
            expect(policies).to.have.length(1);
            const db = run.one(T.db);
            const dbArn = `arn:aws:rds:us-east-1:123456789012:db:${String(db.inputs.identifier)}`;
            expect(statements(json(run, policies[0] as RecordedResource, "policy"))).to.deep.equal([
                {
                    Sid: "StopAndStartTheDatabaseOnly",
                    Effect: "Allow",
                    Action: ["rds:StopDBInstance", "rds:StartDBInstance"],
                    Resource: [dbArn],
                },
            ]);
        });
    });

    describe("a dev stack on Fargate with a worker", () => {
        let run: OfflineRun;
        before(async () => {
            const raw = rawStackConfig("dev", {
                aws: {
                    compute: "fargate",
                    fargate: {
                        image: IMAGE,
                        min: 2,
                        max: 4,
                        workers: [{ name: "mailer", command: ["node", "worker.js"], count: 3 }],
                    },
                    schedule: NIGHT,
                },
            });
            const awsRaw = raw.aws as Record<string, unknown>;
            for (const key of ["instanceType", "imageFilter", "asg"]) {
                delete awsRaw[key];
            }
            run = await build(parseConfig(raw, "dev"));
        });

        it("scales the web service and every worker to zero and back, in the schedule's time zone", () => {
            const actions = run.ofType(T.scheduled);
            expect(actions).to.have.length(4);
            const byName = Object.fromEntries(actions.map((a) => [a.inputs.name, a.inputs]));
            expect(byName["web-night-stop"]).to.deep.include({
                schedule: "cron(0 20 ? * MON-FRI *)",
                timezone: "Europe/Berlin",
                scalableTargetAction: { minCapacity: 0, maxCapacity: 0 },
            });
            expect(byName["web-night-start"]).to.deep.include({
                schedule: "cron(0 7 ? * MON-FRI *)",
                scalableTargetAction: { minCapacity: 2, maxCapacity: 4 },
            });
            expect(byName["worker-mailer-night-stop"]?.scalableTargetAction).to.deep.equal({
                minCapacity: 0,
                maxCapacity: 0,
            });
            expect(byName["worker-mailer-night-start"]?.scalableTargetAction).to.deep.equal({
                minCapacity: 3,
                maxCapacity: 3,
            });
        });

        it("gives the worker a scalable target at its fixed count, and lets the schedule own its count", () => {
            const targets = run.ofType(T.target);
            expect(targets).to.have.length(2);
            const worker = run.one(T.service, "-worker-mailer");
            const workerTarget = targets.filter((t) => t.dependencies.includes(worker.urn));
            expect(workerTarget).to.have.length(1);
            expect(workerTarget[0]?.inputs).to.deep.include({ minCapacity: 3, maxCapacity: 3 });
            const actions = run.ofType(T.scheduled).filter((a) => String(a.inputs.name).startsWith("worker-mailer"));
            expect(actions).to.have.length(2);
            for (const a of actions) {
                expect(a.dependencies).to.include((workerTarget[0] as RecordedResource).urn);
            }
        });
    });

    describe("stacks without it", () => {
        it("build no scheduled action and no schedule (dev)", async () => {
            const run = await build(parseConfig(rawStackConfig("dev"), "dev"));
            expect(run.ofType(T.asgSchedule)).to.deep.equal([]);
            expect(run.ofType(T.schedule)).to.deep.equal([]);
            expect(run.ofType(T.scheduled)).to.deep.equal([]);
        });
    });
});
