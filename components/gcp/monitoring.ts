import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { alertPolicy, anyInFiveMinutes, type ThresholdAlert } from "./alerts";

/** Alert when more than this share of requests fail with 5xx (5 %, as on AWS). */
export const ERROR_RATE = 0.05;
/** Alert when the database CPU stays above this (80 %) for 15 minutes. */
export const DB_CPU_UTILIZATION = 0.8;
/** Alert when the database disk is more than 90 % full (less than 10 % free, as on AWS). */
export const DB_DISK_UTILIZATION = 0.9;

/** The console address of a dashboard (`projects/<number>/dashboards/<id>`). */
export function dashboardUrl(projectId: string, dashboardId: string): string {
    return `https://console.cloud.google.com/monitoring/dashboards/builder/${dashboardId.split("/").pop()}?project=${projectId}`;
}

/** What the dashboard and alerts watch, as plain values (the dashboard) or Inputs (the alerts). */
export interface Watched<T> {
    /** The HTTPS URL map (the load balancer's metrics are labelled with it). */
    readonly urlMap: T;
    /** Cloud SQL's `database_id`, `<project>:<instance>`. */
    readonly database: T;
    /** The uptime check of the public URL. */
    readonly uptimeCheckId: T;
    /** The e-mail function's Cloud Run service; absent: no function widgets or alert. */
    readonly functionService?: T;
}

/** One time series of a chart. `T` is `string` in the dashboard JSON, `pulumi.Input<string>` where values are Outputs. */
export interface ChartSeries<T = string> {
    readonly filter: T;
    readonly aligner: string;
    readonly reducer?: string;
    readonly groupBy?: string[];
    readonly label?: string;
}

export interface Chart<T = string> {
    readonly title: string;
    readonly series: ReadonlyArray<ChartSeries<T>>;
}

/** A log-based counter (DELTA, INT64) the Monitoring tier creates for a backend, named `<dashboard>-<role>`. */
export interface LogMetricDefinition {
    readonly role: string;
    readonly description: string;
    /** The log entries it counts. */
    readonly filter: pulumi.Input<string>;
}

/**
 * The application backend's part of the dashboard and alerts. Charts and alerts may refer to the
 * log metrics by role: they receive the created metrics' names.
 */
export interface GcpBackendMonitoring {
    readonly logMetrics: readonly LogMetricDefinition[];
    /**
     * `health`: charts after the load balancer's traffic (before the uptime check); `resources`:
     * charts after the uptime check (CPU, memory).
     */
    charts(metricNames: Readonly<Record<string, pulumi.Input<string>>>): {
        health: Array<Chart<pulumi.Input<string>>>;
        resources: Array<Chart<pulumi.Input<string>>>;
    };
    /** Alerts after the load balancer's 5xx rate, each named `<monitoring>-<role>`. */
    alerts(metricNames: Readonly<Record<string, pulumi.Input<string>>>): ThresholdAlert[];
}

const lbRequests = (urlMap: pulumi.Input<string>) =>
    pulumi.interpolate`resource.type = "https_lb_rule" AND resource.labels.url_map_name = "${urlMap}" AND metric.type = "loadbalancing.googleapis.com/https/request_count"`;
const sqlMetric = (database: pulumi.Input<string>, metric: string) =>
    pulumi.interpolate`resource.type = "cloudsql_database" AND resource.labels.database_id = "${database}" AND metric.type = "cloudsql.googleapis.com/database/${metric}"`;
const runMetric = (service: pulumi.Input<string>, metric: string) =>
    pulumi.interpolate`resource.type = "cloud_run_revision" AND resource.labels.service_name = "${service}" AND metric.type = "run.googleapis.com/${metric}"`;
/** The filter of a user-defined (log-based) metric. */
export const userMetric = (metric: pulumi.Input<string>) =>
    pulumi.interpolate`metric.type = "logging.googleapis.com/user/${metric}"`;
const uptimeMetric = (checkId: pulumi.Input<string>) =>
    pulumi.interpolate`resource.type = "uptime_url" AND metric.type = "monitoring.googleapis.com/uptime_check/check_passed" AND metric.labels.check_id = "${checkId}"`;

/**
 * The alert policies, matching the AWS alarms: 5xx rate, the backend's own (a backend turning
 * unhealthy), no healthy backend (the site is down), database disk and CPU, function errors.
 * (The dead-letter alert belongs to the messaging tier.)
 */
export function alertDefinitions(
    w: Watched<pulumi.Input<string>>,
    backendAlerts: readonly ThresholdAlert[] = [],
): ThresholdAlert[] {
    const alerts: ThresholdAlert[] = [
        {
            role: "lb-5xx-rate",
            displayName: "Load balancer: 5xx rate above 5 %",
            documentation: `More than ${ERROR_RATE * 100} % of requests were answered 5xx (by the instances or the load balancer) for 3 minutes. Check the instances' logs and the backend health.`,
            filter: pulumi.interpolate`${lbRequests(w.urlMap)} AND metric.labels.response_code_class = 500`,
            denominatorFilter: lbRequests(w.urlMap),
            aligner: "ALIGN_RATE",
            reducer: "REDUCE_SUM",
            alignmentPeriodSeconds: 60,
            comparison: "COMPARISON_GT",
            threshold: ERROR_RATE,
            durationSeconds: 180,
            missingData: "INACTIVE",
        },
        ...backendAlerts,
        {
            role: "no-healthy-backend",
            displayName: "Site down: the health check fails from the internet",
            documentation:
                "The uptime check of the public health-check URL failed from more than one region for 2 minutes: no healthy backend answers through the load balancer (or the certificate or DNS is broken).",
            filter: uptimeMetric(w.uptimeCheckId),
            aligner: "ALIGN_NEXT_OLDER",
            reducer: "REDUCE_COUNT_FALSE",
            groupBy: ["resource.labels.host"],
            alignmentPeriodSeconds: 60,
            comparison: "COMPARISON_GT",
            threshold: 1,
            durationSeconds: 120,
            missingData: "ACTIVE",
        },
        {
            role: "db-disk",
            displayName: "Cloud SQL: disk more than 90 % full",
            documentation:
                "The database disk is more than 90 % full for 10 minutes. It grows automatically up to 5 times its initial size (`gcp.db.diskSizeGb`); past that, raise the size.",
            filter: sqlMetric(w.database, "disk/utilization"),
            aligner: "ALIGN_MAX",
            alignmentPeriodSeconds: 300,
            comparison: "COMPARISON_GT",
            threshold: DB_DISK_UTILIZATION,
            durationSeconds: 600,
            missingData: "ACTIVE",
        },
        {
            role: "db-cpu",
            displayName: "Cloud SQL: CPU above 80 %",
            documentation: "The database CPU stayed above 80 % for 15 minutes (`gcp.db.tier` may be too small).",
            filter: sqlMetric(w.database, "cpu/utilization"),
            aligner: "ALIGN_MEAN",
            alignmentPeriodSeconds: 300,
            comparison: "COMPARISON_GT",
            threshold: DB_CPU_UTILIZATION,
            durationSeconds: 900,
            missingData: "NO_OP",
        },
    ];
    if (w.functionService !== undefined) {
        alerts.push(
            anyInFiveMinutes({
                role: "function-errors",
                displayName: "E-mail function: failed requests",
                documentation:
                    "The e-mail verification function answered 5xx in the last 5 minutes (Pub/Sub retries, then dead-letters the event). Its logs say why (`invocation.failed`).",
                filter: pulumi.interpolate`${runMetric(w.functionService, "request_count")} AND metric.labels.response_code_class = "5xx"`,
            }),
        );
    }
    return alerts;
}

/** The backend's charts, resolved for the dashboard JSON. */
export interface BackendCharts {
    readonly health: readonly Chart[];
    readonly resources: readonly Chart[];
}

/**
 * The dashboard (Cloud Monitoring JSON): requests, 5xx and p95 latency of the load balancer, the
 * backend's health charts (instances in the group, backends turning unhealthy), uptime, the
 * backend's resource charts (instance CPU, memory and disk), database CPU, connections and disk,
 * and the function's requests, errors and p95 duration when there is one. Two charts per row.
 */
export function dashboardJson(
    displayName: string,
    w: Watched<string>,
    backend: BackendCharts,
): Record<string, unknown> {
    const lb = `resource.type = "https_lb_rule" AND resource.labels.url_map_name = "${w.urlMap}"`;
    const sql = `resource.type = "cloudsql_database" AND resource.labels.database_id = "${w.database}"`;
    const charts: Chart[] = [
        {
            title: "Load balancer requests / s",
            series: [
                {
                    filter: `${lb} AND metric.type = "loadbalancing.googleapis.com/https/request_count"`,
                    aligner: "ALIGN_RATE",
                    reducer: "REDUCE_SUM",
                    groupBy: ["metric.labels.response_code_class"],
                },
            ],
        },
        {
            title: "Load balancer 5xx responses / s",
            series: [
                {
                    filter: `${lb} AND metric.type = "loadbalancing.googleapis.com/https/request_count" AND metric.labels.response_code_class = 500`,
                    aligner: "ALIGN_RATE",
                    reducer: "REDUCE_SUM",
                },
            ],
        },
        {
            title: "Load balancer latency p95 (ms)",
            series: [
                {
                    filter: `${lb} AND metric.type = "loadbalancing.googleapis.com/https/total_latencies"`,
                    aligner: "ALIGN_DELTA",
                    reducer: "REDUCE_PERCENTILE_95",
                },
            ],
        },
        ...backend.health,
        {
            title: "Uptime check passed (by region)",
            series: [
                {
                    filter: `resource.type = "uptime_url" AND metric.type = "monitoring.googleapis.com/uptime_check/check_passed" AND metric.labels.check_id = "${w.uptimeCheckId}"`,
                    aligner: "ALIGN_FRACTION_TRUE",
                    reducer: "REDUCE_MEAN",
                    groupBy: ["metric.labels.checker_location"],
                },
            ],
        },
        ...backend.resources,
        {
            title: "Database CPU",
            series: [
                {
                    filter: `${sql} AND metric.type = "cloudsql.googleapis.com/database/cpu/utilization"`,
                    aligner: "ALIGN_MEAN",
                },
            ],
        },
        {
            title: "Database connections",
            series: [
                {
                    filter: `${sql} AND metric.type = "cloudsql.googleapis.com/database/network/connections"`,
                    aligner: "ALIGN_MAX",
                },
            ],
        },
        {
            title: "Database disk used",
            series: [
                {
                    filter: `${sql} AND metric.type = "cloudsql.googleapis.com/database/disk/utilization"`,
                    aligner: "ALIGN_MAX",
                },
            ],
        },
    ];
    if (w.functionService !== undefined) {
        const run = `resource.type = "cloud_run_revision" AND resource.labels.service_name = "${w.functionService}"`;
        charts.push(
            {
                title: "Function requests and errors / s",
                series: [
                    {
                        filter: `${run} AND metric.type = "run.googleapis.com/request_count"`,
                        aligner: "ALIGN_RATE",
                        reducer: "REDUCE_SUM",
                        groupBy: ["metric.labels.response_code_class"],
                    },
                ],
            },
            {
                title: "Function duration p95 (ms)",
                series: [
                    {
                        filter: `${run} AND metric.type = "run.googleapis.com/request_latencies"`,
                        aligner: "ALIGN_DELTA",
                        reducer: "REDUCE_PERCENTILE_95",
                    },
                ],
            },
        );
    }
    return {
        displayName,
        mosaicLayout: {
            columns: 12,
            tiles: charts.map((chart, i) => ({
                xPos: (i % 2) * 6,
                yPos: Math.floor(i / 2) * 4,
                width: 6,
                height: 4,
                widget: {
                    title: chart.title,
                    xyChart: {
                        chartOptions: { mode: "COLOR" },
                        dataSets: chart.series.map((s) => ({
                            plotType: "LINE",
                            ...(s.label === undefined ? {} : { legendTemplate: s.label }),
                            timeSeriesQuery: {
                                timeSeriesFilter: {
                                    filter: s.filter,
                                    aggregation: {
                                        alignmentPeriod: "60s",
                                        perSeriesAligner: s.aligner,
                                        ...(s.reducer === undefined ? {} : { crossSeriesReducer: s.reducer }),
                                        ...(s.groupBy === undefined ? {} : { groupByFields: s.groupBy }),
                                    },
                                },
                            },
                        })),
                    },
                },
            })),
        },
    };
}

export interface MonitoringArgs {
    /** The project the dashboard, metric and alerts live in. */
    projectId: string;
    /** Dashboard title and log-metric prefix, e.g. `webapp-dev`. */
    dashboardName: string;
    /** Where every alert notifies (`Alerts.channelIds`). Default: none (incidents show in the console). */
    notificationChannels?: pulumi.Input<string>[];
    /** The HTTPS URL map of the load balancer. */
    urlMapName: pulumi.Input<string>;
    /** The application backend's charts, alerts and log metrics (`GcpAppBackend.monitoring`). */
    backend: GcpBackendMonitoring;
    /** The host the uptime check requests over HTTPS: the load balancer's first name. */
    uptimeHost: string;
    /** The path it requests. From `app.healthCheckPath`; default `/healthz`. */
    healthCheckPath: string;
    /** Cloud SQL's `<project>:<instance>`. */
    databaseId: pulumi.Input<string>;
    /** The e-mail function's Cloud Run service. Default: none (no function charts or alert). */
    functionServiceName?: pulumi.Input<string>;
}

/**
 * Operations on GCP: a Cloud Monitoring dashboard declared as code, an uptime check of the public
 * health-check URL, the backend's log-based metrics (backends turning unhealthy), and alert
 * policies matching the AWS alarms, all notifying the platform's channel.
 */
export class Monitoring extends pulumi.ComponentResource {
    public readonly dashboardId: pulumi.Output<string>;
    public readonly dashboardUrl: pulumi.Output<string>;
    public readonly uptimeCheckId: pulumi.Output<string>;

    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:gcp:Monitoring", name, {}, opts);
        const child = { parent: this };

        const uptime = new gcp.monitoring.UptimeCheckConfig(
            `${name}-uptime`,
            {
                displayName: `${args.dashboardName}: https://${args.uptimeHost}${args.healthCheckPath}`,
                timeout: "10s",
                period: "60s",
                checkerType: "STATIC_IP_CHECKERS",
                monitoredResource: {
                    type: "uptime_url",
                    labels: { host: args.uptimeHost, project_id: args.projectId },
                },
                httpCheck: {
                    path: args.healthCheckPath,
                    port: 443,
                    useSsl: true,
                    validateSsl: true,
                    requestMethod: "GET",
                    acceptedResponseStatusCodes: [{ statusClass: "STATUS_CLASS_2XX" }],
                },
            },
            child,
        );
        const metricNames: Record<string, pulumi.Output<string>> = {};
        for (const metric of args.backend.logMetrics) {
            metricNames[metric.role] = new gcp.logging.Metric(
                `${name}-${metric.role}`,
                {
                    name: `${args.dashboardName}-${metric.role}`,
                    description: metric.description,
                    filter: metric.filter,
                    metricDescriptor: { metricKind: "DELTA", valueType: "INT64", unit: "1" },
                },
                child,
            ).name;
        }

        const watched: Watched<pulumi.Input<string>> = {
            urlMap: args.urlMapName,
            database: args.databaseId,
            uptimeCheckId: uptime.uptimeCheckId,
            functionService: args.functionServiceName,
        };
        for (const alert of alertDefinitions(watched, args.backend.alerts(metricNames))) {
            alertPolicy(name, alert, args.notificationChannels ?? [], this);
        }

        const charts = args.backend.charts(metricNames);
        const json = pulumi
            .all([
                args.urlMapName,
                args.databaseId,
                uptime.uptimeCheckId,
                args.functionServiceName,
                pulumi.output(charts.health) as pulumi.Output<Chart[]>,
                pulumi.output(charts.resources) as pulumi.Output<Chart[]>,
            ])
            .apply(([urlMap, database, uptimeCheckId, functionService, health, resources]) =>
                JSON.stringify(
                    dashboardJson(
                        args.dashboardName,
                        { urlMap, database, uptimeCheckId, functionService },
                        { health, resources },
                    ),
                ),
            );
        const dashboard = new gcp.monitoring.Dashboard(`${name}-dashboard`, { dashboardJson: json }, child);

        this.dashboardId = dashboard.id;
        this.dashboardUrl = dashboard.id.apply((id) => dashboardUrl(args.projectId, id));
        this.uptimeCheckId = uptime.uptimeCheckId;
        this.registerOutputs({ dashboardUrl: this.dashboardUrl, uptimeCheckId: this.uptimeCheckId });
    }
}
