import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { alertPolicyArgs, type ThresholdAlert } from "../../components/gcp/alerts";
import {
    alertDefinitions,
    dashboardJson,
    dashboardUrl,
    DB_CPU_UTILIZATION,
    DB_DISK_UTILIZATION,
    ERROR_RATE,
    type BackendCharts,
    type Chart,
    type Watched,
} from "../../components/gcp/monitoring";
import { migMonitoring, unhealthyBackendLogFilter, UNHEALTHY_METRIC } from "../../components/gcp/compute/mig";
import type { OfflineRun } from "../../tools/offline/run";
import { build, json } from "../support";
import { expectDependsOn, gcpOnly, TEST_PROJECT } from "./helpers";

const POLICY = "gcp:monitoring/alertPolicy:AlertPolicy";

const WATCHED: Watched<string> = {
    urlMap: "lb-https",
    database: "prj:db-1",
    uptimeCheckId: "uptime-1",
    functionService: "fn-1",
};

/** The managed instance group's part, with plain names (as the Monitoring tier hands them in). */
const MIG = migMonitoring({ projectId: "prj", instanceGroup: "mig-1", instanceNamePrefix: "webapp-dev" });
const METRICS = { [UNHEALTHY_METRIC]: "webapp-dev-unhealthy-backends" };
const MIG_ALERTS = MIG.alerts(METRICS);

/** A backend's charts with their Outputs resolved. */
function resolvedCharts(): Promise<BackendCharts> {
    const charts = MIG.charts(METRICS);
    return new Promise((resolve) =>
        pulumi
            .all([pulumi.output(charts.health), pulumi.output(charts.resources)])
            .apply(([health, resources]) => resolve({ health: health as Chart[], resources: resources as Chart[] })),
    );
}

/** The value of an Input (the filters are built with `pulumi.interpolate`). */
function text(value: pulumi.Input<string> | undefined): Promise<string> {
    return new Promise((resolve) => pulumi.output(value ?? "").apply(resolve));
}

type Tile = { widget: { title: string; xyChart: { dataSets: Array<{ timeSeriesQuery: any }> } } };

describe("gcp Monitoring: pure parts", () => {
    let backend: BackendCharts;
    before(async () => {
        backend = await resolvedCharts();
    });
    const tiles = (w: Watched<string>) => dashboardJson("webapp-dev", w, backend).mosaicLayout as { tiles: Tile[] };
    const filters = (w: Watched<string>) =>
        tiles(w).tiles.flatMap((t) => t.widget.xyChart.dataSets.map((d) => d.timeSeriesQuery.timeSeriesFilter.filter));

    it("charts the load balancer, instances, database and function, two per row", () => {
        const layout = tiles(WATCHED);
        expect(layout.tiles.map((t) => t.widget.title)).to.deep.equal([
            "Load balancer requests / s",
            "Load balancer 5xx responses / s",
            "Load balancer latency p95 (ms)",
            "Instances in the group; backends turned unhealthy",
            "Uptime check passed (by region)",
            "Instance CPU",
            "Instance memory and disk used % (Ops Agent)",
            "Database CPU",
            "Database connections",
            "Database disk used",
            "Function requests and errors / s",
            "Function duration p95 (ms)",
        ]);
        const positions = layout.tiles.map((t: any) => `${t.xPos},${t.yPos}`);
        expect(new Set(positions).size, "no two tiles overlap").to.equal(positions.length);
        const all = filters(WATCHED).join("\n");
        for (const needle of [
            'url_map_name = "lb-https"',
            "loadbalancing.googleapis.com/https/total_latencies",
            'instance_group_name = "mig-1"',
            'starts_with("webapp-dev")',
            "agent.googleapis.com/memory/percent_used",
            'database_id = "prj:db-1"',
            "cloudsql.googleapis.com/database/network/connections",
            'service_name = "fn-1"',
            "logging.googleapis.com/user/webapp-dev-unhealthy-backends",
            'check_id = "uptime-1"',
        ]) {
            expect(all).to.include(needle);
        }
    });

    it("leaves the function out when there is none", () => {
        const titles = tiles({ ...WATCHED, functionService: undefined }).tiles.map((t) => t.widget.title);
        expect(titles.filter((t) => t.startsWith("Function"))).to.deep.equal([]);
        expect(
            alertDefinitions({ ...WATCHED, functionService: undefined }, MIG_ALERTS).map((a) => a.role),
        ).to.not.include("function-errors");
    });

    it("defines the alerts of the AWS alarms", async () => {
        const alerts = alertDefinitions(WATCHED, MIG_ALERTS);
        expect(alerts.map((a) => a.role)).to.deep.equal([
            "lb-5xx-rate",
            "unhealthy-backend",
            "no-healthy-backend",
            "db-disk",
            "db-cpu",
            "function-errors",
        ]);
        const byRole = Object.fromEntries(alerts.map((a) => [a.role, a]));
        expect(byRole["lb-5xx-rate"]).to.include({ threshold: ERROR_RATE, comparison: "COMPARISON_GT" });
        expect(await text(byRole["lb-5xx-rate"].filter)).to.include("metric.labels.response_code_class = 500");
        expect(await text(byRole["lb-5xx-rate"].denominatorFilter)).to.not.include("response_code_class");
        expect(byRole["db-disk"]).to.include({ threshold: DB_DISK_UTILIZATION, missingData: "ACTIVE" });
        expect(byRole["db-cpu"]).to.include({ threshold: DB_CPU_UTILIZATION, durationSeconds: 900 });
        expect(byRole["no-healthy-backend"]).to.include({ reducer: "REDUCE_COUNT_FALSE", threshold: 1 });
        expect(await text(byRole["function-errors"].filter)).to.include('response_code_class = "5xx"');
    });

    it("turns a ratio alert into a threshold condition with a denominator", () => {
        const alert: ThresholdAlert = {
            role: "r",
            displayName: "d",
            documentation: "doc",
            filter: "num",
            denominatorFilter: "den",
            aligner: "ALIGN_RATE",
            reducer: "REDUCE_SUM",
            alignmentPeriodSeconds: 60,
            comparison: "COMPARISON_GT",
            threshold: 0.05,
            durationSeconds: 180,
            missingData: "INACTIVE",
        };
        const args = alertPolicyArgs(alert, ["projects/p/notificationChannels/1"]) as any;
        const condition = args.conditions[0].conditionThreshold;
        const aggregation = {
            alignmentPeriod: "60s",
            perSeriesAligner: "ALIGN_RATE",
            crossSeriesReducer: "REDUCE_SUM",
        };
        expect(condition).to.deep.include({
            filter: "num",
            denominatorFilter: "den",
            aggregations: [aggregation],
            denominatorAggregations: [aggregation],
            thresholdValue: 0.05,
            duration: "180s",
            evaluationMissingData: "EVALUATION_MISSING_DATA_INACTIVE",
        });
        expect(args.notificationChannels).to.deep.equal(["projects/p/notificationChannels/1"]);
        expect(args.alertStrategy.notificationPrompts).to.deep.equal(["OPENED", "CLOSED"]);
        const single = alertPolicyArgs({ ...alert, denominatorFilter: undefined }, []) as any;
        expect(single.conditions[0].conditionThreshold).to.not.have.property("denominatorFilter");
    });

    it("counts health-check log entries of the group that turned unhealthy", () => {
        expect(unhealthyBackendLogFilter("prj", "mig-1")).to.equal(
            'logName = "projects/prj/logs/compute.googleapis.com%2Fhealthchecks" AND ' +
                'resource.type = "gce_instance_group" AND resource.labels.instance_group_name = "mig-1" AND ' +
                'jsonPayload.healthCheckProbeResult.healthState = "UNHEALTHY"',
        );
        expect(dashboardUrl("prj", "projects/123/dashboards/abc-def")).to.equal(
            "https://console.cloud.google.com/monitoring/dashboards/builder/abc-def?project=prj",
        );
    });
});

describe("gcp Monitoring (gcp-only dev stack)", () => {
    let run: OfflineRun;
    before(async () => {
        run = await build(gcpOnly());
    });

    it("declares the dashboard from the deployed resources' names", () => {
        const dashboard = json(run, run.one("gcp:monitoring/dashboard:Dashboard"), "dashboardJson");
        expect(dashboard.displayName).to.equal("webapp-dev");
        const text = JSON.stringify(dashboard);
        expect(text).to.match(/url_map_name = \\"dev-gcp-compute-https-\w+\\"/);
        expect(text).to.match(/instance_group_name = \\"dev-gcp-compute-mig-\w+\\"/);
        expect(text).to.match(/database_id = \\"my-project-123:dev-gcp-database-mysql-\w+\\"/);
        expect(text).to.match(/service_name = \\"dev-gcp-messaging-function-\w+\\"/);
        expect((run.outputs.gcp as Record<string, string>).dashboardUrl).to.match(
            new RegExp(
                `^https://console\\.cloud\\.google\\.com/monitoring/dashboards/builder/[0-9a-f-]+\\?project=${TEST_PROJECT}$`,
            ),
        );
    });

    it("creates the alert policies of the AWS alarms, plus the dead-letter alert, with no channel", () => {
        const policies = run.ofType(POLICY);
        expect(policies.map((p) => p.name)).to.have.members([
            "dev-gcp-monitoring-lb-5xx-rate",
            "dev-gcp-monitoring-unhealthy-backend",
            "dev-gcp-monitoring-no-healthy-backend",
            "dev-gcp-monitoring-db-disk",
            "dev-gcp-monitoring-db-cpu",
            "dev-gcp-monitoring-function-errors",
            "dev-gcp-messaging-dead-letter-alert",
        ]);
        for (const policy of policies) {
            expect(run.plain(policy).notificationChannels, policy.name).to.deep.equal([]);
            expect(run.plain(policy).conditions[0].conditionThreshold.filter, policy.name).to.be.a("string");
        }
        expect(run.ofType("gcp:monitoring/notificationChannel:NotificationChannel")).to.deep.equal([]);
    });

    it("checks the public health-check URL over HTTPS from the internet", () => {
        const uptime = run.plain(run.one("gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig"));
        expect(uptime.monitoredResource).to.deep.equal({
            type: "uptime_url",
            labels: { host: "dev.example.com", project_id: TEST_PROJECT },
        });
        expect(uptime.httpCheck).to.deep.include({ path: "/healthz", port: 443, useSsl: true, validateSsl: true });
        const noHealthy = run.one(POLICY, "-no-healthy-backend");
        expect(run.plain(noHealthy).conditions[0].conditionThreshold.filter).to.include(
            "monitoring.googleapis.com/uptime_check/check_passed",
        );
        expect(noHealthy.propertyDependencies.conditions).to.deep.equal([
            run.one("gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig").urn,
        ]);
    });

    it("counts backends that turn unhealthy from the load balancer's health-check logs", () => {
        const metric = run.one("gcp:logging/metric:Metric");
        expect(run.plain(metric).name).to.equal("webapp-dev-unhealthy-backends");
        expect(run.plain(metric).filter).to.match(
            new RegExp(
                `^logName = "projects/${TEST_PROJECT}/logs/compute\\.googleapis\\.com%2Fhealthchecks" AND .*instance_group_name = "dev-gcp-compute-mig-\\w+"`,
            ),
        );
        const alert = run.one(POLICY, "-unhealthy-backend");
        expect(run.plain(alert).conditions[0].conditionThreshold.filter).to.equal(
            'metric.type = "logging.googleapis.com/user/webapp-dev-unhealthy-backends"',
        );
        expectDependsOn(alert, metric);
    });

    it("watches the 5xx rate of the HTTPS URL map and Cloud SQL by its database id", () => {
        const rate = run.plain(run.one(POLICY, "-lb-5xx-rate")).conditions[0].conditionThreshold;
        expect(rate.filter).to.match(/url_map_name = "dev-gcp-compute-https-\w+"/);
        expect(rate.denominatorFilter).to.match(/url_map_name = "dev-gcp-compute-https-\w+"/);
        const disk = run.plain(run.one(POLICY, "-db-disk")).conditions[0].conditionThreshold;
        expect(disk.filter).to.match(/database_id = "my-project-123:dev-gcp-database-mysql-\w+"/);
    });
});

describe("gcp Monitoring with monitoring.alarmEmail (gcp-only dev stack)", () => {
    let run: OfflineRun;
    before(async () => {
        run = await build(gcpOnly({ monitoring: { alarmEmail: "ops@example.com" } }));
    });

    it("creates one e-mail channel and every alert policy notifies it", () => {
        const channel = run.one("gcp:monitoring/notificationChannel:NotificationChannel");
        expect(run.plain(channel)).to.deep.include({ type: "email", labels: { email_address: "ops@example.com" } });
        const policies = run.ofType(POLICY);
        expect(policies).to.have.length(7);
        for (const policy of policies) {
            expect(run.plain(policy).notificationChannels, policy.name).to.have.length(1);
            expect(policy.propertyDependencies.notificationChannels, policy.name).to.deep.equal([channel.urn]);
        }
    });
});
