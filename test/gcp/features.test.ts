import { expect } from "chai";
import {
    DEFAULT_RULE_PRIORITY,
    OWASP_RULE_SETS,
    RATE_LIMIT,
    securityPolicyRules,
} from "../../components/gcp/features/armor";
import { AUDITED_SERVICES, DATA_ACCESS_LOG_TYPES } from "../../components/gcp/features/audit";
import type { OfflineRun } from "../../tools/offline/run";
import { build, stackConfig } from "../support";
import { gcpOnly, TEST_PROJECT } from "./helpers";

const POLICY = "gcp:compute/securityPolicy:SecurityPolicy";
const AUDIT = "gcp:projects/iAMAuditConfig:IAMAuditConfig";

describe("gcp Cloud Armor rules", () => {
    it("blocks the OWASP rule sets, then rate-limits per IP, then allows the rest", () => {
        const rules = securityPolicyRules({ preview: false });
        const priorities = rules.map((r) => r.priority as number);
        expect(priorities, "in evaluation order, no ties").to.deep.equal([...priorities].sort((a, b) => a - b));
        expect(new Set(priorities).size).to.equal(priorities.length);

        const waf = rules.filter((r) => r.action === "deny(403)");
        expect(waf.map((r) => (r.match as any).expr.expression)).to.deep.equal(
            OWASP_RULE_SETS.map((set) => `evaluatePreconfiguredWaf('${set}', {'sensitivity': 1})`),
        );
        expect(waf.every((r) => r.preview === false)).to.equal(true);
        expect(OWASP_RULE_SETS).to.include.members(["sqli-v33-stable", "xss-v33-stable", "rce-v33-stable"]);

        const throttle = rules.find((r) => r.action === "throttle")!;
        expect(throttle.rateLimitOptions).to.deep.equal({
            conformAction: "allow",
            exceedAction: "deny(429)",
            enforceOnKey: "IP",
            rateLimitThreshold: { ...RATE_LIMIT },
        });
        const last = rules[rules.length - 1];
        expect(last).to.deep.include({ priority: DEFAULT_RULE_PRIORITY, action: "allow" });
    });

    it("in preview, logs the WAF matches without blocking; the rate limit still applies", () => {
        const rules = securityPolicyRules({ preview: true });
        expect(rules.filter((r) => r.action === "deny(403)").every((r) => r.preview === true)).to.equal(true);
        expect(rules.find((r) => r.action === "throttle")).to.not.have.property("preview");
    });
});

describe("gcp opt-in features off (gcp-only dev stack)", () => {
    let run: OfflineRun;
    before(async () => {
        run = await build(gcpOnly());
    });

    it("attaches no Cloud Armor policy and changes no audit config", () => {
        expect(run.ofType(POLICY)).to.deep.equal([]);
        expect(run.ofType(AUDIT)).to.deep.equal([]);
    });
});

describe("gcp opt-in features on (gcp-only dev stack: features.waf, features.auditLogs)", () => {
    let run: OfflineRun;
    before(async () => {
        run = await build(gcpOnly({ features: { waf: true, auditLogs: true } }));
    });

    it("puts a Cloud Armor policy with those rules in front of the backend service", () => {
        const policy = run.one(POLICY);
        expect(run.plain(policy)).to.deep.include({
            type: "CLOUD_ARMOR",
            advancedOptionsConfig: { jsonParsing: "STANDARD", logLevel: "VERBOSE" },
            rules: securityPolicyRules({ preview: false }),
        });
        const backend = run.one("gcp:compute/backendService:BackendService");
        expect(run.plain(backend).securityPolicy).to.match(/\/global\/securityPolicies\/dev-gcp-armor-policy-/);
        expect(backend.propertyDependencies.securityPolicy).to.deep.equal([policy.urn]);
    });

    it("turns on Data Access audit logs for the services that hold the platform's data", () => {
        const configs = run.ofType(AUDIT).map((c) => run.plain(c));
        expect(configs.map((c) => c.service)).to.have.members([...AUDITED_SERVICES]);
        for (const config of configs) {
            expect(config.project, config.service).to.equal(TEST_PROJECT);
            expect(
                config.auditLogConfigs.map((l: { logType: string }) => l.logType),
                config.service,
            ).to.deep.equal([...DATA_ACCESS_LOG_TYPES]);
        }
    });
});

describe("gcp opt-in features next to AWS (demo stack, features.waf)", () => {
    let run: OfflineRun;
    before(async () => {
        run = await build(stackConfig("demo", { features: { waf: true } }));
    });

    it("protects the GCP load balancer with Cloud Armor too", () => {
        const policy = run.one(POLICY);
        const backend = run.one("gcp:compute/backendService:BackendService");
        expect(backend.propertyDependencies.securityPolicy).to.deep.equal([policy.urn]);
    });
});
