/** The dashboard, the alarms and the encrypted ops topic (Alerts) they notify. */
import { expect } from "chai";
import {
    alarmDefinitions,
    dashboardBody,
    dashboardUrl,
    ERROR_RATE_PERCENT,
    freeStorageThresholdBytes,
    Monitoring,
} from "../components/aws/monitoring";
import { asgWidgets } from "../components/aws/compute/asg";
import { runOffline, type OfflineRun } from "../tools/offline/run";
import { build, buildStack, json, stackConfig, statements } from "./support";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const TOPIC = "aws:sns/topic:Topic";
const SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription";
const GIB = 1024 ** 3;

const WATCHED = {
    loadBalancer: "app/dev-alb/0123456789abcdef",
    targetGroup: "targetgroup/dev-tg/0123456789abcdef",
    dbInstance: "webapp-dev-abcdef",
};
const ASG_NAME = "dev-asg";
/** The Auto Scaling group's widgets, as the backend hands them to the dashboard. */
const BACKEND_WIDGETS = asgWidgets(ASG_NAME, "webapp/dev");

/** Every [namespace, metric] pair a dashboard plots. */
function plotted(body: { widgets: Array<Record<string, any>> }): string[] {
    return body.widgets.flatMap((w) => w.properties.metrics.map((m: string[]) => `${m[0]} ${m[1]}`));
}

describe("AWS monitoring", () => {
    describe("dashboard body", () => {
        const body = dashboardBody({ ...WATCHED, region: "us-east-1", backendWidgets: BACKEND_WIDGETS });

        it("plots the load balancer, the instances and the database", () => {
            expect(plotted(body)).to.have.members([
                "AWS/ApplicationELB RequestCount",
                "AWS/ApplicationELB HTTPCode_Target_5XX_Count",
                "AWS/ApplicationELB HTTPCode_ELB_5XX_Count",
                "AWS/ApplicationELB TargetResponseTime",
                "AWS/ApplicationELB HealthyHostCount",
                "AWS/ApplicationELB UnHealthyHostCount",
                "AWS/EC2 CPUUtilization",
                "webapp/dev mem_used_percent",
                "webapp/dev disk_used_percent",
                "AWS/RDS CPUUtilization",
                "AWS/RDS DatabaseConnections",
                "AWS/RDS FreeStorageSpace",
            ]);
        });

        it("shows latency as p95 and scopes every metric to this stack's resources", () => {
            const latency = body.widgets.find((w) => (w.properties as any).title.startsWith("Target response time"));
            expect((latency?.properties as any).stat).to.equal("p95");
            for (const widget of body.widgets) {
                const properties = widget.properties as { region: string; metrics: string[][] };
                expect(properties.region).to.equal("us-east-1");
                for (const metric of properties.metrics) {
                    const dimensionValues = metric.slice(2).filter((v) => typeof v === "string");
                    expect(dimensionValues.length, metric.join(" ")).to.be.greaterThan(0);
                    expect([...Object.values(WATCHED), ASG_NAME]).to.include.members(
                        dimensionValues.filter((_, i) => i % 2 === 1),
                    );
                }
            }
        });

        it("lays widgets out two per row without overlap", () => {
            const cells = body.widgets.map((w) => `${w.x},${w.y}`);
            expect(new Set(cells).size).to.equal(cells.length);
            expect(body.widgets.every((w) => (w.x as number) + (w.width as number) <= 24)).to.equal(true);
        });

        it("adds the function's errors and duration only when there is a function", () => {
            expect(plotted(body).filter((m) => m.startsWith("AWS/Lambda"))).to.deep.equal([]);
            const withFunction = dashboardBody({
                ...WATCHED,
                functionName: "email-fn",
                region: "us-east-1",
                backendWidgets: BACKEND_WIDGETS,
            });
            expect(plotted(withFunction).filter((m) => m.startsWith("AWS/Lambda"))).to.deep.equal([
                "AWS/Lambda Invocations",
                "AWS/Lambda Errors",
                "AWS/Lambda Duration",
            ]);
        });

        it("has a console address", () => {
            expect(dashboardUrl("eu-west-1", "webapp-dev")).to.equal(
                "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/webapp-dev",
            );
        });
    });

    describe("alarm definitions", () => {
        it("watch the 5xx rate, response time, target health, database storage, CPU and connections", () => {
            const alarms = alarmDefinitions(WATCHED, { dbAllocatedStorageGb: 20, dbInstanceClass: "db.t3.micro" });
            expect(alarms.map((a) => a.role)).to.deep.equal([
                "alb-5xx-rate",
                "alb-response-time-p99",
                "unhealthy-hosts",
                "no-healthy-hosts",
                "db-free-storage",
                "db-cpu",
                "db-connections",
            ]);
        });

        it("alarm on a p99 target response time above 2 s for 5 minutes", () => {
            const p99 = alarmDefinitions(WATCHED, { dbAllocatedStorageGb: 20, dbInstanceClass: "db.t3.micro" }).find(
                (a) => a.role === "alb-response-time-p99",
            );
            expect(p99?.args).to.deep.include({
                namespace: "AWS/ApplicationELB",
                metricName: "TargetResponseTime",
                extendedStatistic: "p99",
                period: 60,
                evaluationPeriods: 5,
                threshold: 2,
                comparisonOperator: "GreaterThanThreshold",
                treatMissingData: "notBreaching",
            });
            expect(p99?.args.statistic).to.equal(undefined);
        });

        it("alarm on database connections above 80% of the instance class's default maximum", () => {
            const connections = (instanceClass: string) =>
                alarmDefinitions(WATCHED, { dbAllocatedStorageGb: 20, dbInstanceClass: instanceClass }).find(
                    (a) => a.role === "db-connections",
                )?.args;
            // db.t3.micro: 1 GiB / 12582880 bytes = 85 connections; 80% = 68.
            expect(connections("db.t3.micro")).to.deep.include({
                namespace: "AWS/RDS",
                metricName: "DatabaseConnections",
                statistic: "Maximum",
                threshold: 68,
                comparisonOperator: "GreaterThanThreshold",
            });
            // db.m6g.large: 8 GiB = 682 connections, 545; db.r6g.2xlarge: 64 GiB = 5461, 4368.
            expect(connections("db.m6g.large")?.threshold).to.equal(545);
            expect(connections("db.r6g.2xlarge")?.threshold).to.equal(4368);
        });

        it("alarm on PostgreSQL's default maximum, capped at 5000 by RDS, with app.databaseEngine postgres", () => {
            const threshold = (instanceClass: string) =>
                alarmDefinitions(WATCHED, {
                    dbAllocatedStorageGb: 20,
                    dbInstanceClass: instanceClass,
                    dbEngine: "postgres",
                }).find((a) => a.role === "db-connections")?.args.threshold;
            // db.t3.micro: 1 GiB / 9531392 bytes = 112 connections; 80% = 89.
            expect(threshold("db.t3.micro")).to.equal(89);
            // db.m6g.large: 8 GiB = 901, 720; db.r6g.2xlarge: 64 GiB = 7209, capped at 5000: 4000.
            expect(threshold("db.m6g.large")).to.equal(720);
            expect(threshold("db.r6g.2xlarge")).to.equal(4000);
        });

        it("compute the 5xx rate from target and load-balancer errors, once there is traffic", () => {
            const [rate] = alarmDefinitions(WATCHED, { dbAllocatedStorageGb: 20, dbInstanceClass: "db.t3.micro" });
            const queries = rate.args.metricQueries as Array<Record<string, any>>;
            expect(queries.map((q) => q.metric?.metricName).filter(Boolean)).to.deep.equal([
                "HTTPCode_Target_5XX_Count",
                "HTTPCode_ELB_5XX_Count",
                "RequestCount",
            ]);
            const expression = queries.find((q) => q.returnData);
            expect(expression?.expression).to.equal(
                "IF(requests >= 10, 100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)",
            );
            expect(rate.args).to.include({ threshold: ERROR_RATE_PERCENT, comparisonOperator: "GreaterThanThreshold" });
        });

        it("alarm on free storage below 10% of the allocation, at least 2 GiB", () => {
            expect(freeStorageThresholdBytes(20)).to.equal(2 * GIB);
            expect(freeStorageThresholdBytes(100)).to.equal(10 * GIB);
            const storage = alarmDefinitions(WATCHED, {
                dbAllocatedStorageGb: 100,
                dbInstanceClass: "db.t3.micro",
            }).find((a) => a.role === "db-free-storage");
            expect(storage?.args).to.include({ threshold: 10 * GIB, comparisonOperator: "LessThanThreshold" });
        });

        it("add a function-errors alarm only when there is a function", () => {
            const alarms = alarmDefinitions(
                { ...WATCHED, functionName: "email-fn" },
                { dbAllocatedStorageGb: 20, dbInstanceClass: "db.t3.micro" },
            );
            const errors = alarms.find((a) => a.role === "function-errors");
            expect(errors?.args).to.include({ namespace: "AWS/Lambda", metricName: "Errors", threshold: 0 });
            expect(errors?.args.dimensions).to.deep.equal({ FunctionName: "email-fn" });
        });
    });

    describe("in a dev build", () => {
        let run: OfflineRun;
        before(async () => {
            run = await buildStack("dev");
        });

        it("watches the Auto Scaling group's EC2 status checks, 3 failed minutes in a row", () => {
            const alarm = run.one(ALARM, "dev-monitoring-instance-status-check");
            const group = run.one("aws:autoscaling/group:Group");
            expect(alarm.inputs).to.deep.include({
                namespace: "AWS/EC2",
                metricName: "StatusCheckFailed",
                statistic: "Maximum",
                period: 60,
                evaluationPeriods: 3,
                threshold: 0,
                comparisonOperator: "GreaterThanThreshold",
                treatMissingData: "notBreaching",
            });
            expect(Object.keys(alarm.inputs.dimensions as object)).to.deep.equal(["AutoScalingGroupName"]);
            expect(alarm.dependencies).to.include(group.urn);
        });

        it("sends every alarm of the platform to the ops topic, on alarm and on recovery", () => {
            const alarms = run.ofType(ALARM);
            expect(alarms.map((a) => a.name)).to.have.members([
                "dev-monitoring-alb-5xx-rate",
                "dev-monitoring-alb-response-time-p99",
                "dev-monitoring-unhealthy-hosts",
                "dev-monitoring-no-healthy-hosts",
                "dev-monitoring-db-free-storage",
                "dev-monitoring-db-cpu",
                "dev-monitoring-db-connections",
                "dev-monitoring-instance-status-check",
                "dev-monitoring-function-errors",
                "dev-messaging-dlq-alarm",
            ]);
            const topic = run.one(TOPIC, "alerts-topic");
            for (const alarm of alarms) {
                expect(alarm.propertyDependencies.alarmActions, alarm.name).to.deep.equal([topic.urn]);
                expect(alarm.propertyDependencies.okActions, alarm.name).to.deep.equal([topic.urn]);
                expect(run.plain(alarm).alarmActions).to.have.length(1);
            }
        });

        it("encrypts the ops topic with its own key, which CloudWatch alarms of this account may use", () => {
            const topic = run.one(TOPIC, "alerts-topic");
            const key = run.one("aws:kms/key:Key", "alerts-key");
            expect(topic.propertyDependencies.kmsMasterKeyId).to.deep.equal([key.urn]);
            expect(run.plain(key)).to.include({ enableKeyRotation: true, rotationPeriodInDays: 90 });
            const cloudwatch = statements(json(run, key, "policy")).filter(
                (s) => s.Principal?.Service === "cloudwatch.amazonaws.com",
            );
            expect(cloudwatch).to.have.length(1);
            expect(cloudwatch[0].Action).to.deep.equal(["kms:Decrypt", "kms:GenerateDataKey*"]);
            expect(cloudwatch[0].Condition).to.deep.equal({
                StringEquals: { "aws:SourceAccount": "123456789012" },
                ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:*" },
            });
        });

        it("lets only this account's alarms publish to the topic", () => {
            const policy = statements(
                json(run, run.one("aws:sns/topicPolicy:TopicPolicy", "alerts-topic-policy"), "policy"),
            );
            expect(policy).to.have.length(1);
            expect(policy[0]).to.deep.include({
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: ["sns:Publish"],
            });
            expect(policy[0].Condition.StringEquals).to.deep.equal({ "aws:SourceAccount": "123456789012" });
        });

        it("subscribes no one unless monitoring.alarmEmail is set", async () => {
            const email = (r: OfflineRun) => r.ofType(SUBSCRIPTION).filter((s) => r.plain(s).protocol === "email");
            expect(email(run)).to.have.length(0);
            const other = await build(stackConfig("dev", { monitoring: { alarmEmail: "ops@example.com" } }));
            const [subscription] = email(other);
            expect(other.plain(subscription)).to.include({ protocol: "email", endpoint: "ops@example.com" });
            expect(subscription.propertyDependencies.topic).to.deep.equal([other.one(TOPIC, "alerts-topic").urn]);
        });

        it("declares the dashboard for this stack's load balancer, group and database, and exports its URL", () => {
            const dashboard = run.one("aws:cloudwatch/dashboard:Dashboard");
            expect(run.plain(dashboard).dashboardName).to.equal("webapp-dev");
            const body = json(run, dashboard, "dashboardBody");
            const outputs = run.outputs.aws as Record<string, string>;
            const dimensionValues = new Set(
                body.widgets.flatMap((w: any) => w.properties.metrics.flatMap((m: unknown[]) => m.slice(2))),
            );
            expect(dimensionValues).to.include(outputs.autoScalingGroupName);
            expect(
                [...dimensionValues].some((v) => typeof v === "string" && v.startsWith("app/dev-compute-alb")),
            ).to.equal(true);
            expect(
                [...dimensionValues].some((v) => typeof v === "string" && v.startsWith("targetgroup/dev-compute-tg")),
            ).to.equal(true);
            expect([...dimensionValues].some((v) => typeof v === "string" && v.startsWith("webapp-dev-"))).to.equal(
                true,
            );
            expect(outputs.dashboardUrl).to.equal(dashboardUrl("us-east-1", "webapp-dev"));
        });
    });

    describe("with the email function", () => {
        it("adds the function's widgets and errors alarm", async () => {
            const run = await runOffline(() => {
                new Monitoring("test-monitoring", {
                    region: "us-east-1",
                    dashboardName: "webapp-test",
                    alertTopicArn: "arn:aws:sns:us-east-1:123456789012:ops",
                    loadBalancerArnSuffix: WATCHED.loadBalancer,
                    targetGroupArnSuffix: WATCHED.targetGroup,
                    backend: { widgets: asgWidgets(ASG_NAME, "webapp/test"), alarms: [] },
                    dbInstanceIdentifier: WATCHED.dbInstance,
                    dbAllocatedStorageGb: 20,
                    dbInstanceClass: "db.t3.micro",
                    functionName: "email-fn",
                });
            });
            expect(run.ofType(ALARM).map((a) => a.name)).to.include("test-monitoring-function-errors");
            const body = json(run, run.one("aws:cloudwatch/dashboard:Dashboard"), "dashboardBody");
            expect(plotted(body)).to.include.members(["AWS/Lambda Errors", "AWS/Lambda Duration"]);
        });
    });
});
