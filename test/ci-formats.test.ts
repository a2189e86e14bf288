/** The policy results for CI: SARIF 2.1.0 for code scanning and JUnit XML. */
import { expect } from "chai";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { RULES } from "../policy/rules";
import { configKeyLine, renderJunit, renderSarif } from "../tools/offline/ci-formats";
import { buildPlan, type Plan } from "../tools/offline/plan";
import { PROJECT_ROOT } from "../tools/offline/stack-config";
import { stackPlan } from "./support";

interface SarifResult {
    ruleId: string;
    ruleIndex: number;
    level: string;
    message: { text: string };
    locations: Array<{
        physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
        logicalLocations: Array<{ name: string; fullyQualifiedName: string }>;
    }>;
    properties: { configKey?: string };
}

/** The 1-based line of the first line of `file` containing `text`. */
function lineOf(file: string, text: string): number {
    const lines = readFileSync(path.join(PROJECT_ROOT, file), "utf8").split("\n");
    const i = lines.findIndex((l) => l.includes(text));
    if (i < 0) {
        throw new Error(`${file} has no line with ${text}`);
    }
    return i + 1;
}

describe("CI formats of the policy results", () => {
    let dev: Plan;
    let staging: Plan;
    let root: string;
    const stagingYaml =
        "config:\n  webapp-infra:domainName: staging.example.com\n  webapp-infra:aws:\n    db:\n      deletionProtection: false\n";

    /** dev with two findings added (dev itself has none): a mandatory one and an advisory one on its flow log group. */
    let flagged: Plan;

    before(async () => {
        dev = await stackPlan("dev");
        const flowLogs = dev.run.resources.find(
            (r) => r.name === "dev-network-flow-logs" && r.type === "aws:cloudwatch/logGroup:LogGroup",
        )!;
        const finding = { urn: flowLogs.urn, type: flowLogs.type, name: flowLogs.name };
        flagged = {
            ...dev,
            violations: [
                {
                    ...finding,
                    policy: "log-groups-encrypted-with-cmk",
                    enforcementLevel: "mandatory",
                    message: "kmsKeyId is not set: logs use CloudWatch's own encryption",
                },
                {
                    ...finding,
                    policy: "https-listener-modern-tls",
                    enforcementLevel: "advisory",
                    message: "an advisory finding",
                },
            ],
        };
        root = mkdtempSync(path.join(tmpdir(), "plan-sarif-"));
        copyFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
        writeFileSync(path.join(root, "Pulumi.staging.yaml"), stagingYaml);
        staging = await buildPlan("staging", { root });
    });
    after(() => rmSync(root, { recursive: true, force: true }));

    it("SARIF: version 2.1.0, one rule per policy with its level, one result per finding", () => {
        const sarif = renderSarif(dev) as { version: string; runs: Array<Record<string, any>> };
        expect(sarif.version).to.equal("2.1.0");
        expect(sarif.runs).to.have.length(1);
        const rules = sarif.runs[0].tool.driver.rules as Array<{ id: string; defaultConfiguration: { level: string } }>;
        expect(rules.map((r) => r.id)).to.deep.equal(RULES.map((r) => r.name));
        expect(rules.find((r) => r.id === "no-public-database")?.defaultConfiguration.level).to.equal("error");
        expect(rules.find((r) => r.id === "log-groups-encrypted-with-cmk")?.defaultConfiguration.level).to.equal(
            "error",
        );
        expect(rules.find((r) => r.id === "https-listener-modern-tls")?.defaultConfiguration.level).to.equal("warning");
        // dev meets every rule.
        expect(dev.violations).to.deep.equal([]);
        expect(sarif.runs[0].results).to.deep.equal([]);
        const results = (renderSarif(flagged) as { runs: Array<{ results: SarifResult[] }> }).runs[0].results;
        expect(results).to.have.length(2);
        expect(results.map((r) => r.level)).to.deep.equal(["error", "warning"]);
        for (const r of results) {
            expect(rules[r.ruleIndex].id).to.equal(r.ruleId);
        }
    });

    it("SARIF: a finding points at the line of the program that created the resource, and names the resource", () => {
        const results = (renderSarif(flagged) as { runs: Array<{ results: SarifResult[] }> }).runs[0].results;
        const flow = results.find((r) => r.locations[0].logicalLocations[0].name === "dev-network-flow-logs")!;
        expect(flow.ruleId).to.equal("log-groups-encrypted-with-cmk");
        expect(flow.level).to.equal("error");
        expect(flow.locations[0].physicalLocation.artifactLocation.uri).to.equal("components/aws/network.ts");
        expect(flow.locations[0].physicalLocation.region.startLine).to.equal(
            lineOf("components/aws/network.ts", "new aws.cloudwatch.LogGroup("),
        );
        expect(flow.locations[0].logicalLocations[0].fullyQualifiedName).to.match(
            /^urn:pulumi:dev::webapp-infra::webapp:aws:Network\$aws:cloudwatch\/logGroup:LogGroup::dev-network-flow-logs$/,
        );
    });

    it("SARIF: a finding a config key causes points at that key in the stack file", () => {
        const results = (renderSarif(staging, root) as { runs: Array<{ results: SarifResult[] }> }).runs[0].results;
        const db = results.find((r) => r.ruleId === "deletion-protection-outside-dev")!;
        expect(db.level).to.equal("error");
        expect(db.locations[0].physicalLocation.artifactLocation.uri).to.equal("Pulumi.staging.yaml");
        expect(db.locations[0].physicalLocation.region.startLine).to.equal(5);
        expect(db.properties.configKey).to.equal("aws.db.deletionProtection");
        expect(db.message.text).to.include("(config key aws.db.deletionProtection)");
    });

    it("finds a nested key's line, and nothing for a key that is not set", () => {
        expect(configKeyLine(stagingYaml, "aws.db.deletionProtection")).to.equal(5);
        expect(configKeyLine(stagingYaml, "aws.db")).to.equal(4);
        expect(configKeyLine(stagingYaml, "gcp.db.deletionProtection")).to.equal(undefined);
    });

    it("JUnit: a test case per rule; a mandatory violation fails its case, advisories are output", () => {
        const passing = renderJunit(dev);
        expect(passing.match(/<testcase /g)).to.have.length(RULES.length);
        expect(passing).to.include(`<testsuite name="policy webapp-infra/dev" tests="${RULES.length}" failures="0"`);
        expect(passing).not.to.include("<system-out>");
        const advisory = renderJunit({ ...flagged, violations: flagged.violations.slice(1) });
        expect(advisory).to.include(`failures="0"`);
        expect(advisory).to.include(
            "<system-out>advisory:\ndev-network-flow-logs (aws:cloudwatch:LogGroup): an advisory finding",
        );
        const failing = renderJunit(staging);
        expect(failing.match(/<failure /g)).to.have.length(1);
        expect(failing).to.match(
            /<testcase classname="webapp-infra\.policy\.staging" name="deletion-protection-outside-dev" time="0">\n {6}<failure message="1 violation: /,
        );
    });
});
