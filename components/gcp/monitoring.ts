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
    /** The instances' name prefix (`webapp-<environment>`): their metrics carry `instance_name`. */
    readonly instanceNamePrefix: string;
    /** The managed instance group (its size; its health-check logs). */
    readonly instanceGroup: T;
    /** Cloud SQL's `database_id`, `<project>:<instance>`. */
    readonly database: T;
    /** The uptime check of the public URL. */
    readonly uptimeCheckId: T;
    /** The log-based metric counting backends that turned unhealthy. */
    readonly unhealthyMetric: T;
    /** The e-mail function's Cloud Run service; absent: no function widgets or alert. */
    readonly functionService?: T;
}

const lbRequests = (urlMap: pulumi.Input<string>) =>
    pulumi.interpolate`resource.type = "https_lb_rule" AND resource.labels.url_map_name = "${urlMap}" AND metric.type = "loadbalancing.googleapis.com/https/request_count"`;
const sqlMetric = (database: pulumi.Input<string>, metric: string) =>
    pulumi.interpolate`resource.type = "cloudsql_database" AND resource.labels.database_id = "${database}" AND metric.type = "cloudsql.googleapis.com/database/${metric}"`;
const runMetric = (service: pulumi.Input<string>, metric: string) =>
    pulumi.interpolate`resource.type = "cloud_run_revision" AND resource.labels.service_name = "${service}" AND metric.type = "run.googleapis.com/${metric}"`;
const userMetric = (metric: pulumi.Input<string>) =>
    pulumi.interpolate`metric.type = "logging.googleapis.com/user/${metric}"`;
const uptimeMetric = (checkId: pulumi.Input<string>) =>
    pulumi.interpolate`resource.type = "uptime_url" AND metric.type = "monitoring.googleapis.com/uptime_check/check_passed" AND metric.labels.check_id = "${checkId}"`;

/**
 * The alert policies, matching the AWS alarms: 5xx rate, a backend turning unhealthy, no healthy
 * backend (the site is down), database disk and CPU, function errors. (The dead-letter alert
 * belongs to the messaging tier.)
 */
export function alertDefinitions(w: Watched<pulumi.Input<string>>): ThresholdAlert[] {
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
        anyInFiveMinutes({
            role: "unhealthy-backend",
            displayName: "Load balancer: a backend turned unhealthy",
            documentation:
                "An instance failed its load-balancer health checks in the last 5 minutes (health-check logs). Auto-healing recreates it; check its startup script log (`journalctl -u google-startup-scripts`).",
            filter: userMetric(w.unhealthyMetric),
        }),
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

interface Chart {
    readonly title: string;
    readonly series: ReadonlyArray<{
        readonly filter: string;
        readonly aligner: string;
        readonly reducer?: string;
        readonly groupBy?: string[];
        readonly label?: string;
    }>;
}

/**
 * The dashboard (Cloud Monitoring JSON): requests, 5xx and p95 latency of the load balancer,
 * instances in the group and backends turning unhealthy, uptime, instance CPU, memory and disk
 * (Ops Agent), database CPU, connections and disk, and the function's requests, errors and p95
 * duration when there is one. Two charts per row.
 */
export function dashboardJson(displayName: string, w: Watched<string>): Record<string, unknown> {
    const lb = `resource.type = "https_lb_rule" AND resource.labels.url_map_name = "${w.urlMap}"`;
    const instances = `resource.type = "gce_instance" AND metric.labels.instance_name = starts_with("${w.instanceNamePrefix}")`;
    const agent = `resource.type = "gce_instance" AND metadata.system_labels.name = starts_with("${w.instanceNamePrefix}")`;
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
        {
            title: "Instances in the group; backends turned unhealthy",
            series: [
                {
                    filter: `resource.type = "instance_group" AND resource.labels.instance_group_name = "${w.instanceGroup}" AND metric.type = "compute.googleapis.com/instance_group/size"`,
                    aligner: "ALIGN_MEAN",
                    reducer: "REDUCE_SUM",
                    label: "instances",
                },
                {
                    filter: `metric.type = "logging.googleapis.com/user/${w.unhealthyMetric}"`,
                    aligner: "ALIGN_SUM",
                    reducer: "REDUCE_SUM",
                    label: "turned unhealthy",
                },
            ],
        },
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
        {
            title: "Instance CPU",
            series: [
                {
                    filter: `${instances} AND metric.type = "compute.googleapis.com/instance/cpu/utilization"`,
                    aligner: "ALIGN_MEAN",
                    reducer: "REDUCE_MEAN",
                },
            ],
        },
        {
            title: "Instance memory and disk used % (Ops Agent)",
            series: [
                {
                    filter: `${agent} AND metric.type = "agent.googleapis.com/memory/percent_used" AND metric.labels.state = "used"`,
                    aligner: "ALIGN_MEAN",
                    reducer: "REDUCE_MEAN",
                    label: "memory",
                },
                {
                    filter: `${agent} AND metric.type = "agent.googleapis.com/disk/percent_used" AND metric.labels.state = "used"`,
                    aligner: "ALIGN_MEAN",
                    reducer: "REDUCE_MAX",
                    label: "disk",
                },
            ],
        },
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

/** Health-check log entries of `instanceGroup` that report a backend turning unhealthy. */
export function unhealthyBackendLogFilter(projectId: string, instanceGroup: string): string {
    return [
        `logName = "projects/${projectId}/logs/compute.googleapis.com%2Fhealthchecks"`,
        `resource.type = "gce_instance_group"`,
        `resource.labels.instance_group_name = "${instanceGroup}"`,
        `jsonPayload.healthCheckProbeResult.healthState = "UNHEALTHY"`,
    ].join(" AND ");
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
    /** The managed instance group. */
    instanceGroupManagerName: pulumi.Input<string>;
    /** The instances' name prefix (the group's base instance name). */
    instanceNamePrefix: string;
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
 * health-check URL, a log-based metric of backends turning unhealthy, and alert policies matching
 * the AWS alarms, all notifying the platform's channel.
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
        const unhealthy = new gcp.logging.Metric(
            `${name}-unhealthy-backends`,
            {
                name: `${args.dashboardName}-unhealthy-backends`,
                description: "Load-balancer backends of the webapp instance group that turned unhealthy",
                filter: pulumi
                    .output(args.instanceGroupManagerName)
                    .apply((group) => unhealthyBackendLogFilter(args.projectId, group)),
                metricDescriptor: { metricKind: "DELTA", valueType: "INT64", unit: "1" },
            },
            child,
        );

        const watched: Watched<pulumi.Input<string>> = {
            urlMap: args.urlMapName,
            instanceNamePrefix: args.instanceNamePrefix,
            instanceGroup: args.instanceGroupManagerName,
            database: args.databaseId,
            uptimeCheckId: uptime.uptimeCheckId,
            unhealthyMetric: unhealthy.name,
            functionService: args.functionServiceName,
        };
        for (const alert of alertDefinitions(watched)) {
            alertPolicy(name, alert, args.notificationChannels ?? [], this);
        }

        const json = pulumi
            .all([
                args.urlMapName,
                args.instanceGroupManagerName,
                args.databaseId,
                uptime.uptimeCheckId,
                unhealthy.name,
                args.functionServiceName,
            ])
            .apply(([urlMap, instanceGroup, database, uptimeCheckId, unhealthyMetric, functionService]) =>
                JSON.stringify(
                    dashboardJson(args.dashboardName, {
                        urlMap,
                        instanceNamePrefix: args.instanceNamePrefix,
                        instanceGroup,
                        database,
                        uptimeCheckId,
                        unhealthyMetric,
                        functionService,
                    }),
                ),
            );
        const dashboard = new gcp.monitoring.Dashboard(`${name}-dashboard`, { dashboardJson: json }, child);

        this.dashboardId = dashboard.id;
        this.dashboardUrl = dashboard.id.apply((id) => dashboardUrl(args.projectId, id));
        this.uptimeCheckId = uptime.uptimeCheckId;
        this.registerOutputs({ dashboardUrl: this.dashboardUrl, uptimeCheckId: this.uptimeCheckId });
    }
}
