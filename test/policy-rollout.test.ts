/**
 * The rules that land as advisory until the program complies (policy/rules/enforcement.ts): each
 * listed rule still flags something in dev or demo (else it is time to make it mandatory), and the
 * new mandatory rules hold on both stacks.
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

describe("policy rules not met yet (advisory until compliant)", () => {
    let dev: Violation[];
    let demo: Violation[];
    before(async () => {
        dev = await findings("dev");
        demo = await findings("demo");
    });

    it("lists rules that exist, are advisory, and still flag a resource in dev or demo", () => {
        const listed = Object.keys(ADVISORY_UNTIL_COMPLIANT);
        expect(listed).to.have.members([
            "log-groups-encrypted-with-cmk",
            "default-security-group-closed",
            "access-logging-outside-dev",
        ]);
        for (const name of listed) {
            expect(RULES.find((r) => r.name === name)?.enforcementLevel, name).to.equal("advisory");
            const flagged = [...dev, ...demo].filter((v) => v.policy === name);
            expect(
                flagged.length,
                `${name} flags nothing in dev or demo: delete its entry to make it mandatory`,
            ).to.be.greaterThan(0);
        }
    });

    it("flags today what the table says", () => {
        const names = (found: Violation[], policy: string) =>
            found
                .filter((v) => v.policy === policy)
                .map((v) => v.name)
                .sort();
        const logGroups = (env: string) =>
            [
                "compute-app-logs",
                "database-log-error",
                "database-log-slowquery",
                "messaging-logs",
                "network-flow-logs",
            ].map((n) => `${env}-${n}`);
        expect(names(dev, "log-groups-encrypted-with-cmk")).to.deep.equal(logGroups("dev"));
        expect(names(demo, "log-groups-encrypted-with-cmk")).to.deep.equal(logGroups("demo"));
        expect(names(dev, "default-security-group-closed")).to.deep.equal(["dev-network-vpc"]);
        expect(names(demo, "default-security-group-closed")).to.deep.equal(["demo-network-vpc"]);
        expect(names(dev, "access-logging-outside-dev")).to.deep.equal([]);
        expect(names(demo, "access-logging-outside-dev")).to.deep.equal([
            "demo-compute-alb",
            "demo-gcp-messaging-source",
            "demo-gcp-storage-bucket",
            "demo-storage-bucket",
        ]);
    });

    it("the least-privilege and wildcard-principal rules are mandatory and hold on dev and demo", () => {
        for (const name of ["iam-least-privilege", "no-wildcard-principals", "no-plaintext-secrets"]) {
            expect(RULES.find((r) => r.name === name)?.enforcementLevel, name).to.equal("mandatory");
            expect(
                [...dev, ...demo].filter((v) => v.policy === name),
                name,
            ).to.deep.equal([]);
        }
        expect([...dev, ...demo].filter((v) => v.enforcementLevel === "mandatory")).to.deep.equal([]);
    });
});
