import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DatabaseEngine } from "../../config/database";
import type { AwsBackendMonitoring } from "./compute/types";
import { ALARM_THRESHOLDS, dbConnectionsThreshold } from "./thresholds";

const GIB = 1024 ** 3;

/** Alarm when less than this is free: 10 % of the allocated storage, at least 2 GiB. */
export function freeStorageThresholdBytes(allocatedStorageGb: number): number {
    return Math.max(2 * GIB, Math.round((allocatedStorageGb * GIB * ALARM_THRESHOLDS.dbFreeStoragePercent) / 100));
}

/** The console address of a dashboard. */
export function dashboardUrl(region: string, dashboardName: string): string {
    return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${encodeURIComponent(dashboardName)}`;
}

/** What the dashboard and alarms watch, as plain values (dashboard) or Inputs (alarms). */
export interface Watched<T> {
    /** The load balancer's ARN suffix (`app/<name>/<id>`), its CloudWatch dimension. */
    readonly loadBalancer: T;
    /** The target group's ARN suffix (`targetgroup/<name>/<id>`). */
    readonly targetGroup: T;
    /** The RDS instance identifier. */
    readonly dbInstance: T;
    /** The email function; absent: no function widgets or alarm. */
    readonly functionName?: T;
}

export interface DashboardValues extends Watched<string> {
    readonly region: string;
    /** The application backend's widgets (instances, tasks), placed after the load balancer's. */
    readonly backendWidgets: readonly Widget[];
}

/** One line of a metric widget: namespace, metric name, dimension pairs, then optional rendering options. */
export type MetricLine<T = string> = Array<string | T | Record<string, unknown>>;

/** A metric widget; `T` is `string` in the dashboard body, `pulumi.Input<string>` where values are Outputs. */
export interface Widget<T = string> {
    readonly title: string;
    readonly metrics: Array<MetricLine<T>>;
    readonly stat: string;
    readonly yAxisMax?: number;
}

/**
 * The dashboard: traffic, errors, latency and target health of the load balancer; the backend's
 * widgets (CPU, memory and disk of the instances); CPU, connections and free storage of the
 * database; errors and duration of the function when there is one. Two widgets per row.
 */
export function dashboardBody(v: DashboardValues): { widgets: Array<Record<string, unknown>> } {
    const lb = ["LoadBalancer", v.loadBalancer];
    const tg = ["TargetGroup", v.targetGroup, "LoadBalancer", v.loadBalancer];
    const db = ["DBInstanceIdentifier", v.dbInstance];
    const widgets: Widget[] = [
        { title: "ALB requests", stat: "Sum", metrics: [["AWS/ApplicationELB", "RequestCount", ...lb]] },
        {
            title: "ALB 5xx responses",
            stat: "Sum",
            metrics: [
                ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", ...lb, { label: "from targets" }],
                ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", ...lb, { label: "from the load balancer" }],
            ],
        },
        {
            title: "Target response time p95 (s)",
            stat: "p95",
            metrics: [["AWS/ApplicationELB", "TargetResponseTime", ...lb]],
        },
        {
            title: "Healthy and unhealthy hosts",
            stat: "Minimum",
            metrics: [
                ["AWS/ApplicationELB", "HealthyHostCount", ...tg],
                ["AWS/ApplicationELB", "UnHealthyHostCount", ...tg, { stat: "Maximum" }],
            ],
        },
        ...v.backendWidgets,
        { title: "Database CPU %", stat: "Average", yAxisMax: 100, metrics: [["AWS/RDS", "CPUUtilization", ...db]] },
        {
            title: "Database connections",
            stat: "Maximum",
            metrics: [["AWS/RDS", "DatabaseConnections", ...db]],
        },
        {
            title: "Database free storage (bytes)",
            stat: "Minimum",
            metrics: [["AWS/RDS", "FreeStorageSpace", ...db]],
        },
    ];
    if (v.functionName !== undefined) {
        const fn = ["FunctionName", v.functionName];
        widgets.push(
            {
                title: "Function invocations and errors",
                stat: "Sum",
                metrics: [
                    ["AWS/Lambda", "Invocations", ...fn],
                    ["AWS/Lambda", "Errors", ...fn],
                ],
            },
            {
                title: "Function duration p95 (ms)",
                stat: "p95",
                metrics: [["AWS/Lambda", "Duration", ...fn]],
            },
        );
    }
    return {
        widgets: widgets.map((w, i) => ({
            type: "metric",
            x: (i % 2) * 12,
            y: Math.floor(i / 2) * 6,
            width: 12,
            height: 6,
            properties: {
                title: w.title,
                region: v.region,
                view: "timeSeries",
                stacked: false,
                stat: w.stat,
                period: 60,
                metrics: w.metrics,
                ...(w.yAxisMax === undefined ? {} : { yAxis: { left: { min: 0, max: w.yAxisMax } } }),
            },
        })),
    };
}

/** One alarm: its role (logical name suffix) and its arguments without actions. */
export interface AlarmDefinition {
    readonly role: string;
    readonly args: aws.cloudwatch.MetricAlarmArgs;
}

/** Minimum requests per minute before the 5xx rate counts (a lone failing request is not an outage). */
export const MIN_REQUESTS_FOR_ERROR_RATE = ALARM_THRESHOLDS.minRequestsForErrorRate;
/** Alarm when more than this percentage of requests fail with 5xx. */
export const ERROR_RATE_PERCENT = ALARM_THRESHOLDS.errorRatePercent;
export const DB_CPU_PERCENT = ALARM_THRESHOLDS.dbCpuPercent;

/**
 * The alarms: 5xx rate, slow responses (p99), unhealthy and missing healthy hosts, the backend's
 * own, database storage, CPU and connections, function errors. Thresholds: `ALARM_THRESHOLDS`.
 */
export function alarmDefinitions(
    w: Watched<pulumi.Input<string>>,
    options: {
        dbAllocatedStorageGb: number;
        dbInstanceClass: string;
        /** The database engine (`app.databaseEngine`), for the connections threshold. Default `mysql`. */
        dbEngine?: DatabaseEngine;
        backendAlarms?: readonly AlarmDefinition[];
    },
): AlarmDefinition[] {
    const alb = (metricName: string, id: string) => ({
        id,
        returnData: false,
        metric: {
            namespace: "AWS/ApplicationELB",
            metricName,
            dimensions: { LoadBalancer: w.loadBalancer },
            period: 60,
            stat: "Sum",
        },
    });
    const targets = { TargetGroup: w.targetGroup, LoadBalancer: w.loadBalancer };
    const alarms: AlarmDefinition[] = [
        {
            role: "alb-5xx-rate",
            args: {
                alarmDescription: `More than ${ERROR_RATE_PERCENT}% of requests answered 5xx in 3 of the last 5 minutes`,
                comparisonOperator: "GreaterThanThreshold",
                threshold: ERROR_RATE_PERCENT,
                evaluationPeriods: 5,
                datapointsToAlarm: 3,
                treatMissingData: "notBreaching",
                metricQueries: [
                    alb("HTTPCode_Target_5XX_Count", "target5xx"),
                    alb("HTTPCode_ELB_5XX_Count", "elb5xx"),
                    alb("RequestCount", "requests"),
                    {
                        id: "errorRate",
                        label: "5xx responses (% of requests)",
                        returnData: true,
                        expression:
                            `IF(requests >= ${MIN_REQUESTS_FOR_ERROR_RATE}, ` +
                            "100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)",
                    },
                ],
            },
        },
        {
            role: "alb-response-time-p99",
            args: {
                alarmDescription:
                    `The targets' 99th-percentile response time has been above ${ALARM_THRESHOLDS.responseTimeP99Seconds} s ` +
                    `for ${ALARM_THRESHOLDS.responseTimeMinutes} minutes`,
                namespace: "AWS/ApplicationELB",
                metricName: "TargetResponseTime",
                dimensions: { LoadBalancer: w.loadBalancer },
                extendedStatistic: "p99",
                period: 60,
                evaluationPeriods: ALARM_THRESHOLDS.responseTimeMinutes,
                comparisonOperator: "GreaterThanThreshold",
                threshold: ALARM_THRESHOLDS.responseTimeP99Seconds,
                treatMissingData: "notBreaching",
            },
        },
        {
            role: "unhealthy-hosts",
            args: {
                alarmDescription: "A target has failed its health checks for 5 minutes",
                namespace: "AWS/ApplicationELB",
                metricName: "UnHealthyHostCount",
                dimensions: targets,
                statistic: "Maximum",
                period: 60,
                evaluationPeriods: 5,
                comparisonOperator: "GreaterThanThreshold",
                threshold: 0,
                treatMissingData: "notBreaching",
            },
        },
        {
            role: "no-healthy-hosts",
            args: {
                alarmDescription: "No healthy target behind the load balancer for 2 minutes: the site is down",
                namespace: "AWS/ApplicationELB",
                metricName: "HealthyHostCount",
                dimensions: targets,
                statistic: "Minimum",
                period: 60,
                evaluationPeriods: 2,
                comparisonOperator: "LessThanThreshold",
                threshold: 1,
                treatMissingData: "breaching",
            },
        },
        ...(options.backendAlarms ?? []),
        {
            role: "db-free-storage",
            args: {
                alarmDescription: "The database has less than 10% (at least 2 GiB) of its storage free",
                namespace: "AWS/RDS",
                metricName: "FreeStorageSpace",
                dimensions: { DBInstanceIdentifier: w.dbInstance },
                statistic: "Minimum",
                period: 300,
                evaluationPeriods: 2,
                comparisonOperator: "LessThanThreshold",
                threshold: freeStorageThresholdBytes(options.dbAllocatedStorageGb),
                treatMissingData: "breaching",
            },
        },
        {
            role: "db-cpu",
            args: {
                alarmDescription: `Database CPU above ${DB_CPU_PERCENT}% for 15 minutes`,
                namespace: "AWS/RDS",
                metricName: "CPUUtilization",
                dimensions: { DBInstanceIdentifier: w.dbInstance },
                statistic: "Average",
                period: 300,
                evaluationPeriods: 3,
                comparisonOperator: "GreaterThanThreshold",
                threshold: DB_CPU_PERCENT,
                treatMissingData: "missing",
            },
        },
        {
            role: "db-connections",
            args: {
                alarmDescription:
                    `Database connections above ${ALARM_THRESHOLDS.dbConnectionsPercent}% of the default maximum ` +
                    `for ${options.dbInstanceClass} for 10 minutes`,
                namespace: "AWS/RDS",
                metricName: "DatabaseConnections",
                dimensions: { DBInstanceIdentifier: w.dbInstance },
                statistic: "Maximum",
                period: 300,
                evaluationPeriods: 2,
                comparisonOperator: "GreaterThanThreshold",
                threshold: dbConnectionsThreshold(options.dbEngine ?? "mysql", options.dbInstanceClass),
                treatMissingData: "missing",
            },
        },
    ];
    if (w.functionName !== undefined) {
        alarms.push({
            role: "function-errors",
            args: {
                alarmDescription: "The email function failed in the last 5 minutes",
                namespace: "AWS/Lambda",
                metricName: "Errors",
                dimensions: { FunctionName: w.functionName },
                statistic: "Sum",
                period: 300,
                evaluationPeriods: 1,
                comparisonOperator: "GreaterThanThreshold",
                threshold: 0,
                treatMissingData: "notBreaching",
            },
        });
    }
    return alarms;
}

export interface MonitoringArgs {
    /** The region deployed into (dashboard widgets and its console link). */
    region: string;
    /** Dashboard name, e.g. `webapp-dev` (unique per account and region). */
    dashboardName: string;
    /** The ops topic every alarm notifies, on alarm and on recovery (`Alerts.topicArn`). */
    alertTopicArn: pulumi.Input<string>;
    /** The load balancer's ARN suffix (`app/<name>/<id>`), its CloudWatch dimension. */
    loadBalancerArnSuffix: pulumi.Input<string>;
    /** The target group's ARN suffix (`targetgroup/<name>/<id>`), its CloudWatch dimension. */
    targetGroupArnSuffix: pulumi.Input<string>;
    /** The application backend's widgets and alarms (`AwsAppBackend.monitoring`). */
    backend: AwsBackendMonitoring;
    /** The RDS instance identifier. */
    dbInstanceIdentifier: pulumi.Input<string>;
    /** The database's initial storage (`aws.db.allocatedStorage`), for the free-storage threshold. */
    dbAllocatedStorageGb: number;
    /** The database's instance class (`aws.db.instanceClass`), for the connections threshold. */
    dbInstanceClass: string;
    /** The database engine (`app.databaseEngine`), for the connections threshold. Default `mysql`. */
    dbEngine?: DatabaseEngine;
    /** The email function's name. Default: none (no function widgets or alarm). */
    functionName?: pulumi.Input<string>;
}

/** Operations: a CloudWatch dashboard declared as code, and alarms that notify the ops topic. */
export class Monitoring extends pulumi.ComponentResource {
    public readonly dashboardName: pulumi.Output<string>;
    public readonly dashboardUrl: pulumi.Output<string>;
    /** The names and ARNs of the alarms this tier created (a night schedule mutes them). */
    public readonly alarmNames: pulumi.Output<string[]>;
    public readonly alarmArns: pulumi.Output<string[]>;

    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:Monitoring", name, {}, opts);
        const child = { parent: this };
        const region = args.region;

        const watched: Watched<pulumi.Input<string>> = {
            loadBalancer: args.loadBalancerArnSuffix,
            targetGroup: args.targetGroupArnSuffix,
            dbInstance: args.dbInstanceIdentifier,
            functionName: args.functionName,
        };
        const alarms = alarmDefinitions(watched, {
            dbAllocatedStorageGb: args.dbAllocatedStorageGb,
            dbInstanceClass: args.dbInstanceClass,
            dbEngine: args.dbEngine,
            backendAlarms: args.backend.alarms,
        }).map(
            (alarm) =>
                new aws.cloudwatch.MetricAlarm(
                    `${name}-${alarm.role}`,
                    { ...alarm.args, alarmActions: [args.alertTopicArn], okActions: [args.alertTopicArn] },
                    child,
                ),
        );
        this.alarmNames = pulumi.all(alarms.map((a) => a.name));
        this.alarmArns = pulumi.all(alarms.map((a) => a.arn));

        const body = pulumi
            .all([
                args.loadBalancerArnSuffix,
                args.targetGroupArnSuffix,
                pulumi.output(args.backend.widgets) as pulumi.Output<Widget[]>,
                args.dbInstanceIdentifier,
                args.functionName,
            ])
            .apply(([loadBalancer, targetGroup, backendWidgets, dbInstance, functionName]) =>
                JSON.stringify(
                    dashboardBody({ region, loadBalancer, targetGroup, dbInstance, functionName, backendWidgets }),
                ),
            );
        const dashboard = new aws.cloudwatch.Dashboard(
            `${name}-dashboard`,
            { dashboardName: args.dashboardName, dashboardBody: body },
            child,
        );

        this.dashboardName = dashboard.dashboardName;
        this.dashboardUrl = dashboard.dashboardName.apply((n) => dashboardUrl(region, n));
        this.registerOutputs({ dashboardUrl: this.dashboardUrl });
    }
}
