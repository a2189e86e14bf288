/**
 * The rules that landed as advisory until the program complied (policy/rules/enforcement.ts) are
 * mandatory now, and no rule of the pack but the TLS-policy one (advisory by choice) flags
 * anything in dev or demo.
 */
import { expect } from "chai";
import { ADVISORY_UNTIL_COMPLIANT, evaluate, RULES, type Violation } from "../policy/rules";
import { toStackResource } from "../tools/offline/plan";
import { buildStack, stackConfig } from "./support";

async function findings(stack: string): Promise<Violation[]> {
    const run = await buildStack(stack);
    const cfg = stackConfig(stack);
    return evaluate(run.resources.map(toStackResource), {
        environment: cfg.environment,
        awsKmsRotationDays: cfg.aws.kmsRotationDays,
        gcpKmsRotationDays: cfg.gcp.kmsRotationDays,
    });
}

describe("policy rules the program caught up with (no longer advisory)", () => {
    let dev: Violation[];
    let demo: Violation[];
    before(async () => {
        dev = await findings("dev");
        demo = await findings("demo");
    });

    it("lists no rule as advisory until compliant", () => {
        expect(ADVISORY_UNTIL_COMPLIANT).to.deep.equal({});
    });

    it("the log-group key, default security group and access-logging rules are mandatory and hold on dev and demo", () => {
        const names = [
            "log-groups-encrypted-with-cmk",
            "default-security-group-closed",
            "access-logging-outside-dev",
            "iam-least-privilege",
            "no-wildcard-principals",
            "no-plaintext-secrets",
            "storage-encrypted-with-cmk",
        ];
        expect(names).to.have.length(7);
        for (const name of names) {
            expect(RULES.find((r) => r.name === name)?.enforcementLevel, name).to.equal("mandatory");
            expect(
                [...dev, ...demo].filter((v) => v.policy === name),
                name,
            ).to.deep.equal([]);
        }
    });

    it("nothing in dev or demo violates a rule at all", () => {
        expect(dev.map((v) => `${v.policy}: ${v.name}`)).to.deep.equal([]);
        expect(demo.map((v) => `${v.policy}: ${v.name}`)).to.deep.equal([]);
    });
});
