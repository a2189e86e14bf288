/**
 * The seams the tiers are built on: the stack context's behaviour flags and names, the DNS step's
 * apex plan, and tiers that ask the compute backend (keys, monitoring) instead of assuming one.
 */
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { Statement } from "../components/aws/iam";
import { Kms } from "../components/aws/kms";
import { Monitoring } from "../components/aws/monitoring";
import { apexPlan, type AwsApex, type GcpEndpoint } from "../components/edge";
import { stackBehaviour, stackNames } from "../components/shared/context";
import { runOffline } from "../tools/offline/run";
import { json, statements } from "./support";

const ACCOUNT = { accountId: "123456789012", partition: "aws", region: "us-east-1" };

describe("stack context", () => {
    it("makes dev disposable", () => {
        expect(stackBehaviour("dev")).to.deep.equal({
            deletionProtection: false,
            retainBackups: false,
            finalSnapshot: false,
            changesInMaintenanceWindow: false,
            destroyWithData: true,
            secretRecoveryDays: 7,
        });
    });

    it("protects every other environment", () => {
        for (const environment of ["demo", "staging", "prod"]) {
            expect(stackBehaviour(environment), environment).to.deep.equal({
                deletionProtection: true,
                retainBackups: true,
                finalSnapshot: true,
                changesInMaintenanceWindow: true,
                destroyWithData: false,
                secretRecoveryDays: 30,
            });
        }
    });

    it("names what must be recognisable per stack after the environment", () => {
        const names = stackNames("demo");
        expect(names.prefix).to.equal("webapp-demo");
        expect(names.scoped("messaging")).to.equal("webapp-demo-messaging");
        expect(names.metricsNamespace).to.equal("webapp/demo");
    });
});

describe("DNS step: the apex plan", () => {
    const aws: AwsApex = { role: "alb", target: { dnsName: "lb.elb.amazonaws.com", zoneId: "Z1", ipv6: false } };
    const gcp: GcpEndpoint = { hostnames: ["gcp.example.com"], address: "34.120.0.10", authorizationRecords: [] };

    it("points the apex at the AWS edge when AWS runs", () => {
        expect(apexPlan({ aws, dnsFailover: false })).to.deep.equal({ kind: "alias", apex: aws });
        expect(apexPlan({ aws, gcp, dnsFailover: false })).to.deep.equal({ kind: "alias", apex: aws });
    });

    it("fails over from the AWS edge to the GCP address with DNS failover", () => {
        expect(apexPlan({ aws, gcp, dnsFailover: true })).to.deep.equal({
            kind: "failover",
            primary: aws.target,
            secondary: { addresses: ["34.120.0.10"] },
        });
    });

    it("uses Cloud DNS on GCP alone", () => {
        expect(apexPlan({ gcp, dnsFailover: false })).to.deep.equal({ kind: "cloudDns", address: "34.120.0.10" });
        expect(() => apexPlan({ dnsFailover: false })).to.throw(/no cloud/);
    });
});

describe("tiers ask the compute backend", () => {
    it("Kms puts the statements a backend needs into that key's policy only", async () => {
        const statement: Statement = {
            Sid: "BackendServiceUsesTheKey",
            Effect: "Allow",
            Principal: { Service: "example.amazonaws.com" },
            Action: "kms:Decrypt",
            Resource: "*",
        };
        const run = await runOffline(() => {
            new Kms("test-kms", {
                account: ACCOUNT,
                rotationDays: 90,
                aliasPrefix: "webapp-test",
                keyStatements: { rds: [statement] },
            });
        });
        const sids = (purpose: string) =>
            statements(json(run, run.one("aws:kms/key:Key", `test-kms-${purpose}`), "policy")).map((s) => s.Sid);
        expect(sids("rds")).to.deep.equal(["AccountAdministersTheKeyThroughIam", "BackendServiceUsesTheKey"]);
        for (const purpose of ["ebs", "s3", "secrets"]) {
            expect(sids(purpose), purpose).to.deep.equal(["AccountAdministersTheKeyThroughIam"]);
        }
    });

    it("Monitoring draws the backend's widgets and creates its alarms", async () => {
        const run = await runOffline(() => {
            new Monitoring("test-monitoring", {
                region: "us-east-1",
                dashboardName: "webapp-test",
                alertTopicArn: "arn:aws:sns:us-east-1:123456789012:ops",
                loadBalancerArnSuffix: "app/lb/1",
                targetGroupArnSuffix: "targetgroup/tg/1",
                backend: {
                    widgets: [
                        {
                            title: "Tasks running",
                            stat: "Average",
                            metrics: [["ECS/ContainerInsights", "RunningTaskCount", "ServiceName", "svc-1"]],
                        },
                    ],
                    alarms: [
                        {
                            role: "tasks-running",
                            args: {
                                namespace: "ECS/ContainerInsights",
                                metricName: "RunningTaskCount",
                                dimensions: { ServiceName: "svc-1" },
                                statistic: "Minimum",
                                period: 60,
                                evaluationPeriods: 2,
                                comparisonOperator: "LessThanThreshold",
                                threshold: 1,
                            },
                        },
                    ],
                },
                dbInstanceIdentifier: "webapp-test-abcdef",
                dbAllocatedStorageGb: 20,
                dbInstanceClass: "db.t3.micro",
            });
        });
        const alarm = run.one("aws:cloudwatch/metricAlarm:MetricAlarm", "test-monitoring-tasks-running");
        expect(run.plain(alarm)).to.deep.include({
            metricName: "RunningTaskCount",
            alarmActions: ["arn:aws:sns:us-east-1:123456789012:ops"],
            okActions: ["arn:aws:sns:us-east-1:123456789012:ops"],
        });
        const body = json(run, run.one("aws:cloudwatch/dashboard:Dashboard"), "dashboardBody");
        const titles = body.widgets.map((w: { properties: { title: string } }) => w.properties.title);
        // After the load balancer's four widgets, before the database's.
        expect(titles.indexOf("Tasks running")).to.equal(4);
        expect(titles[5]).to.equal("Database CPU %");
        expect(titles.some((t: string) => t.startsWith("Instance"))).to.equal(false);
    });
});

/** The module specifiers a TypeScript file imports, split into runtime and type-only imports. */
function importsOf(file: string): { runtime: string[]; typeOnly: string[] } {
    const text = readFileSync(file, "utf8");
    const runtime: string[] = [];
    const typeOnly: string[] = [];
    for (const match of text.matchAll(/^(import|export)\s+(type\s+)?[^;]*?from\s+"([^"]+)";/gms)) {
        (match[2] ? typeOnly : runtime).push(match[3]);
    }
    return { runtime, typeOnly };
}

function sourcesUnder(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory()
            ? sourcesUnder(path.join(dir, entry.name))
            : entry.name.endsWith(".ts")
              ? [path.join(dir, entry.name)]
              : [],
    );
}

describe("layout", () => {
    const components = path.join(__dirname, "..", "components");

    it("keeps each cloud's code to its own provider and shared/", () => {
        for (const [cloud, other] of [
            ["aws", "gcp"],
            ["gcp", "aws"],
        ]) {
            const files = sourcesUnder(path.join(components, cloud));
            expect(files.length, cloud).to.be.greaterThan(15);
            for (const file of files) {
                const { runtime, typeOnly } = importsOf(file);
                for (const spec of [...runtime, ...typeOnly]) {
                    expect(spec, path.relative(components, file)).not.to.match(
                        new RegExp(`(^@pulumi/${other}$|/${other}(/|$))`),
                    );
                }
            }
        }
    });

    it("lets the config schema load the feature registry without a cycle: features import config and the context as types only", () => {
        const files = [
            path.join(components, "features.ts"),
            ...sourcesUnder(path.join(components, "aws", "features")),
            ...sourcesUnder(path.join(components, "gcp", "features")),
        ];
        expect(files.length).to.be.greaterThan(8);
        for (const file of files) {
            for (const spec of importsOf(file).runtime) {
                expect(spec, path.relative(components, file)).not.to.match(
                    /(\/config$|shared\/context$|shared\/tags$|\/context$|^\.\.?$)/,
                );
            }
        }
    });
});
