/**
 * The feature registry (`components/features.ts`): one entry per `features.*` key, its checks run
 * by the schema, each feature off by default and doing something when on, README's table.
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { enabledFeatures, FEATURES, featureProblems, isOn, type Feature } from "../components/features";
import { CLOUDS, ConfigError, parseConfig } from "../config";
import type { OfflineRun } from "../tools/offline/run";
import { build, stackConfig } from "./support";

/** The config value that turns a feature on. */
function onValue(feature: Feature): unknown {
    return feature.key === "monthlyBudgetUsd" ? 100 : true;
}

/** The demo stack (both clouds) with one feature on, and what it needs. */
function withFeature(feature: Feature): Record<string, unknown> {
    return {
        // Governance's CIS filters read the trail's log group: it needs features.auditLogs.
        features: { [feature.key]: onValue(feature), ...(feature.key === "governance" ? { auditLogs: true } : {}) },
        ...(feature.key === "monthlyBudgetUsd" ? { monitoring: { alarmEmail: "ops@example.com" } } : {}),
    };
}

/** The features demo has on (its stack file's and its profile's), turned off. */
const DEMO_FEATURES_OFF = { waf: false, auditLogs: false, governance: false };

function problemsOf(make: () => unknown): string[] {
    try {
        make();
    } catch (error) {
        if (error instanceof ConfigError) {
            return error.problems.map((p) => p.message);
        }
        throw error;
    }
    return [];
}

/** What the engine would see as resources: custom resources by URN. */
function resourceUrns(run: OfflineRun): Set<string> {
    return new Set(run.resources.filter((r) => r.custom).map((r) => r.urn));
}

describe("opt-in features (the registry)", () => {
    it("has one entry per features.* key of the schema", () => {
        // Every key set, so that keys without a default (the budget) show in the parsed config too.
        const all = Object.fromEntries(FEATURES.map((f) => [f.key, onValue(f)]));
        const parsed = stackConfig("demo", { features: all, monitoring: { alarmEmail: "ops@example.com" } });
        expect(Object.keys(parsed.features).sort()).to.deep.equal([
            "auditLogs",
            "backup",
            "cache",
            "cdn",
            "dnsFailover",
            "governance",
            "monthlyBudgetUsd",
            "vpcEndpoints",
            "waf",
        ]);
        expect(FEATURES.map((f) => f.key).sort()).to.deep.equal(Object.keys(parsed.features).sort());
    });

    it("names real clouds, and builds parts only for the clouds it acts on", () => {
        expect(FEATURES).to.have.length(9);
        for (const feature of FEATURES) {
            expect(feature.clouds.length, feature.key).to.be.greaterThan(0);
            expect(CLOUDS, feature.key).to.include.members([...feature.clouds]);
            if (feature.aws !== undefined) {
                expect(feature.clouds, `${feature.key} builds on aws`).to.include("aws");
            }
            if (feature.gcp !== undefined) {
                expect(feature.clouds, `${feature.key} builds on gcp`).to.include("gcp");
            }
        }
    });

    it("are all off in the default config and in dev; demo's stack file turns on the account security services; WAF is on outside dev", () => {
        const defaults = parseConfig(
            { domainName: "dev.example.com", mailgun: { apiKey: stackConfig("dev").mailgun.apiKey } },
            "dev",
        );
        expect(FEATURES).to.have.length(9);
        for (const feature of FEATURES) {
            expect(isOn(defaults.features[feature.key]), feature.key).to.equal(false);
            expect(isOn(stackConfig("dev").features[feature.key]), `dev ${feature.key}`).to.equal(false);
            expect(isOn(stackConfig("demo").features[feature.key]), `demo ${feature.key}`).to.equal(
                ["auditLogs", "governance", "waf"].includes(feature.key),
            );
        }
        expect(enabledFeatures(stackConfig("demo")).map((f) => f.key)).to.deep.equal([
            "auditLogs",
            "governance",
            "waf",
        ]);
    });

    it("refuses a feature on none of the stack's clouds, naming the key and the clouds", () => {
        const cases = FEATURES.flatMap((feature) =>
            CLOUDS.filter((cloud) => !feature.clouds.includes(cloud)).map((cloud) => ({ feature, cloud })),
        );
        expect(cases.map((c) => `${c.feature.key}@${c.cloud}`)).to.deep.equal([
            "backup@gcp",
            "vpcEndpoints@gcp",
            "monthlyBudgetUsd@gcp",
        ]);
        for (const { feature, cloud } of cases) {
            const problems = problemsOf(() =>
                stackConfig("dev", {
                    clouds: [cloud],
                    gcp: { project: "my-project-123" },
                    ...withFeature(feature),
                }),
            );
            expect(problems, feature.key).to.include(
                `features.${feature.key}: ${JSON.stringify(onValue(feature))} does nothing on clouds [${cloud}]: it acts on aws only`,
            );
        }
    });

    it("runs each feature's own rules only when it is on", () => {
        expect(featureProblems({ clouds: ["aws"], features: { dnsFailover: false } })).to.deep.equal([]);
        expect(featureProblems({ clouds: ["aws"], features: { dnsFailover: true } })).to.deep.equal([
            {
                path: ["features", "dnsFailover"],
                message: 'needs clouds to include both "aws" and "gcp" (GCP is the standby for the AWS endpoint)',
                input: true,
            },
        ]);
        expect(
            featureProblems({ clouds: ["aws"], features: { monthlyBudgetUsd: 10 } }).map((p) => p.message),
        ).to.deep.equal(["needs monitoring.alarmEmail: budget and cost-anomaly alerts are sent there"]);
        expect(
            featureProblems({
                clouds: ["aws"],
                features: { monthlyBudgetUsd: 10 },
                monitoring: { alarmEmail: "a@b.co" },
            }),
        ).to.deep.equal([]);
    });

    it("are listed in README's feature table with their clouds and what they build", () => {
        const readme = readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
        const section = readme.slice(readme.indexOf("## Opt-in features"));
        const rows = section
            .split("\n")
            .filter((line) => /^\| `features\./.test(line))
            .map((line) =>
                line
                    .split("|")
                    .slice(1, -1)
                    .map((cell) => cell.trim()),
            );
        expect(rows).to.deep.equal(FEATURES.map((f) => [`\`features.${f.key}\``, f.clouds.join(", "), f.summary]));
    });
});

describe("opt-in features, each turned on in the demo stack", () => {
    let baseline: Set<string>;
    before(async () => {
        // demo with every feature off (WAF is on by default outside dev; the stack file turns on
        // the audit trail and governance).
        baseline = resourceUrns(await build(stackConfig("demo", { features: DEMO_FEATURES_OFF })));
    });

    it("are nine", () => {
        expect(FEATURES.map((f) => f.key)).to.deep.equal([
            "auditLogs",
            "governance",
            "waf",
            "dnsFailover",
            "cdn",
            "backup",
            "vpcEndpoints",
            "monthlyBudgetUsd",
            "cache",
        ]);
    });

    for (const feature of FEATURES) {
        it(`${feature.key}: adds resources and takes none of the stack's away`, async () => {
            const on = withFeature(feature);
            const after = resourceUrns(
                await build(
                    stackConfig("demo", { ...on, features: { ...DEMO_FEATURES_OFF, ...(on.features as object) } }),
                ),
            );
            const added = [...after].filter((urn) => !baseline.has(urn));
            const removed = [...baseline].filter((urn) => !after.has(urn));
            expect(added.length, `${feature.key} adds resources`).to.be.greaterThan(0);
            // DNS failover replaces the apex alias with the failover pair; the CDN closes the load
            // balancer to the internet (no port 80, no HTTP listener; 443 from CloudFront only); every
            // other feature only adds.
            const compute = "urn:pulumi:demo::webapp-infra::webapp:aws:Compute$";
            const removedBy: Record<string, string[]> = {
                dnsFailover: [
                    "urn:pulumi:demo::webapp-infra::webapp:aws:Dns$aws:route53/record:Record::demo-dns-alb-a",
                ],
                cdn: [
                    `${compute}aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::demo-compute-alb-in-80`,
                    `${compute}aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::demo-compute-alb-in-443`,
                    `${compute}aws:lb/listener:Listener::demo-compute-http`,
                ],
            };
            expect(removed).to.deep.equal(removedBy[feature.key] ?? []);
        });
    }
});
