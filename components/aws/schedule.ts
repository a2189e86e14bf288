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
    public readonly roleArn: pulumi.Output<string>;
    public readonly scheduleNames: pulumi.Output<string[]>;

    constructor(name: string, args: NightShutdownArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:NightShutdown", name, {}, opts);
        const child = { parent: this };
        const role = serviceRole(
            `${name}-role`,
            "scheduler.amazonaws.com",
            args.account,
            dbScheduleStatements(args.dbInstanceArn),
            { ...child, description: "webapp: stops and starts the database at night" },
        );
        const { partition } = args.account;
        const schedule = (action: keyof typeof DB_SCHEDULE_ACTIONS, expression: string) =>
            new aws.scheduler.Schedule(
                `${name}-db-${action}`,
                {
                    description: `webapp: ${action} the database (${expression}, ${args.schedule.timezone})`,
                    scheduleExpression: awsCron(expression),
                    scheduleExpressionTimezone: args.schedule.timezone,
                    flexibleTimeWindow: { mode: "OFF" },
                    target: {
                        arn: pulumi.interpolate`arn:${partition}:scheduler:::aws-sdk:rds:${DB_SCHEDULE_ACTIONS[action]}`,
                        roleArn: role.arn,
                        input: pulumi.jsonStringify({ DbInstanceIdentifier: args.dbInstanceIdentifier }),
                        // A missed night is harmless; retrying a stop of a stopping instance is not useful.
                        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
                    },
                },
                child,
            );
        const stop = schedule("stop", args.schedule.stopAt);
        const start = schedule("start", args.schedule.startAt);

        const alarmsRole = serviceRole(
            `${name}-alarms-role`,
            "scheduler.amazonaws.com",
            args.account,
            alarmScheduleStatements(args.alarmArns),
            { ...child, description: "webapp: mutes the alarms at night" },
        );
        const alarmSchedule = (action: keyof typeof ALARM_SCHEDULE_ACTIONS, expression: string) =>
            new aws.scheduler.Schedule(
                `${name}-alarms-${action}`,
                {
                    description: `webapp: ${ALARM_SCHEDULE_ACTIONS[action]} of the stack's alarms (${expression}, ${args.schedule.timezone})`,
                    scheduleExpression: awsCron(expression),
                    scheduleExpressionTimezone: args.schedule.timezone,
                    flexibleTimeWindow: { mode: "OFF" },
                    target: {
                        arn: pulumi.interpolate`arn:${partition}:scheduler:::aws-sdk:cloudwatch:${ALARM_SCHEDULE_ACTIONS[action]}`,
                        roleArn: alarmsRole.arn,
                        input: pulumi.jsonStringify({ AlarmNames: args.alarmNames }),
                        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
                    },
                },
                child,
            );
        const mute = alarmSchedule("stop", args.schedule.stopAt);
        const unmute = alarmSchedule("start", args.schedule.startAt);

        this.roleArn = role.arn;
        this.scheduleNames = pulumi.all([stop.name, start.name, mute.name, unmute.name]);
        this.registerOutputs({ roleArn: this.roleArn, scheduleNames: this.scheduleNames });
    }
}
