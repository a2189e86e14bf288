import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsCron } from "../../config/schedule";
import { serviceRole, type AwsAccount, type Statement } from "./iam";

/** When a non-production stack sleeps (`aws.schedule`): 5-field cron expressions in `timezone`. */
export interface NightSchedule {
    /** When the application scales to zero and the database stops, e.g. `0 20 * * MON-FRI`. */
    readonly stopAt: string;
    /** When the database starts and the application scales back, e.g. `0 7 * * MON-FRI`. */
    readonly startAt: string;
    /** An IANA time zone name, e.g. `Europe/Berlin`. Default `UTC`. */
    readonly timezone: string;
}

/** The RDS API calls the schedules make, as EventBridge Scheduler universal targets. */
export const DB_SCHEDULE_ACTIONS = { stop: "stopDBInstance", start: "startDBInstance" } as const;

/** The CloudWatch API calls that mute the stack's alarms for the night and unmute them in the morning. */
export const ALARM_SCHEDULE_ACTIONS = { stop: "disableAlarmActions", start: "enableAlarmActions" } as const;

/** The only statement of the alarm schedules' role: mute and unmute these alarms. */
export function alarmScheduleStatements(alarmArns: pulumi.Input<string[]>): Statement[] {
    return [
        {
            Sid: "MuteAndUnmuteTheStacksAlarmsOnly",
            Effect: "Allow",
            Action: ["cloudwatch:DisableAlarmActions", "cloudwatch:EnableAlarmActions"],
            Resource: alarmArns,
        },
    ];
}

/** The only statement of the database schedules' role: stop and start this one instance. */
export function dbScheduleStatements(instanceArn: pulumi.Input<string>): Statement[] {
    return [
        {
            Sid: "StopAndStartTheDatabaseOnly",
            Effect: "Allow",
            Action: ["rds:StopDBInstance", "rds:StartDBInstance"],
            Resource: instanceArn,
        },
    ];
}

export interface NightShutdownArgs {
    /** The account and region deployed into (the role trusts this account's Scheduler only). */
    account: AwsAccount;
    /** When to stop and start (`aws.schedule`). */
    schedule: NightSchedule;
    /** The RDS instance's identifier (the API calls' input). */
    dbInstanceIdentifier: pulumi.Input<string>;
    /** The RDS instance's ARN (the only resource the role may act on). */
    dbInstanceArn: pulumi.Input<string>;
    /**
     * The alarms that would fire while the stack sleeps (no healthy host, no running task, no
     * database metrics): their actions are disabled at `stopAt` and enabled again at `startAt`.
     */
    alarmNames: pulumi.Input<string[]>;
    /** Their ARNs (the only resources the alarm schedules' role may act on). */
    alarmArns: pulumi.Input<string[]>;
}

/**
 * The stack's night, besides the application's scaled-down capacity (the backend's scheduled
 * actions): EventBridge Scheduler schedules call `rds:StopDBInstance` at `stopAt` and
 * `rds:StartDBInstance` at `startAt` on the stack's instance, through a role allowed those two
 * actions on that instance only; two more mute the monitoring alarms' actions for the night and
 * unmute them in the morning, through a role allowed only that on those alarms. A stopped instance
 * costs its storage only; RDS starts an instance by itself after 7 days stopped.
 */
export class NightShutdown extends pulumi.ComponentResource {
    /** The schedules' roles: the database's, then the alarms'. */
    public readonly roleArns: pulumi.Output<string[]>;
    public readonly scheduleNames: pulumi.Output<string[]>;

    constructor(name: string, args: NightShutdownArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:NightShutdown", name, {}, opts);
        const child = { parent: this };
        const { partition } = args.account;
        const { timezone } = args.schedule;
        // One role per part, allowed only that part's two calls; one schedule per call.
        const parts = [
            {
                prefix: "db",
                roleName: `${name}-role`,
                roleDescription: "webapp: stops and starts the database at night",
                service: "rds",
                actions: DB_SCHEDULE_ACTIONS,
                statements: dbScheduleStatements(args.dbInstanceArn),
                input: pulumi.jsonStringify({ DbInstanceIdentifier: args.dbInstanceIdentifier }),
            },
            {
                prefix: "alarms",
                roleName: `${name}-alarms-role`,
                roleDescription: "webapp: mutes the alarms at night",
                service: "cloudwatch",
                actions: ALARM_SCHEDULE_ACTIONS,
                statements: alarmScheduleStatements(args.alarmArns),
                input: pulumi.jsonStringify({ AlarmNames: args.alarmNames }),
            },
        ];
        const roles = parts.map((part) => {
            const role = serviceRole(part.roleName, "scheduler.amazonaws.com", args.account, part.statements, {
                ...child,
                description: part.roleDescription,
            });
            const schedules = (["stop", "start"] as const).map((phase) => {
                const expression = phase === "stop" ? args.schedule.stopAt : args.schedule.startAt;
                const call = part.actions[phase];
                return new aws.scheduler.Schedule(
                    `${name}-${part.prefix}-${phase}`,
                    {
                        description: `webapp: ${part.service} ${call} (${expression}, ${timezone})`,
                        scheduleExpression: awsCron(expression),
                        scheduleExpressionTimezone: timezone,
                        flexibleTimeWindow: { mode: "OFF" },
                        target: {
                            arn: pulumi.interpolate`arn:${partition}:scheduler:::aws-sdk:${part.service}:${call}`,
                            roleArn: role.arn,
                            input: part.input,
                            // A missed night is harmless: a few retries within the hour, then the next day.
                            retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
                        },
                    },
                    child,
                );
            });
            return { role, schedules };
        });
        this.roleArns = pulumi.all(roles.map((r) => r.role.arn));
        this.scheduleNames = pulumi.all(roles.flatMap((r) => r.schedules.map((s) => s.name)));
        this.registerOutputs({ roleArns: this.roleArns, scheduleNames: this.scheduleNames });
    }
}
