/**
 * Why the GCP network has no firewall rule for the database's or the cache's port (README,
 * "Database engines"): every rule is an ingress rule for the VPC's own instances, none restricts
 * egress, and Cloud SQL and Memorystore are reached over private services access. If a rule of
 * another direction or one for a data port appears, the reasoning (and README) must be revisited.
 */
import { expect } from "chai";
import type { OfflineRun } from "../../tools/offline/run";
import { build, buildStack } from "../support";
import { gcpOnly } from "./helpers";

const FIREWALL = "gcp:compute/firewall:Firewall";
const DATA_PORTS = ["3306", "5432", "6378", "6379"];

function firewallFacts(run: OfflineRun) {
    return run.ofType(FIREWALL).map((rule) => {
        const inputs = run.plain(rule);
        const entries = [...(inputs.allows ?? []), ...(inputs.denies ?? [])] as Array<{ ports?: string[] }>;
        return {
            name: rule.name,
            direction: inputs.direction,
            destinationRanges: inputs.destinationRanges,
            ports: entries.flatMap((e) => e.ports ?? []),
        };
    });
}

describe("GCP data ports: no firewall rule, by design", () => {
    const stacks: Array<[string, () => Promise<OfflineRun>]> = [
        ["demo (MySQL)", () => buildStack("demo")],
        ["prod (PostgreSQL, Memorystore)", () => buildStack("prod")],
        ["GCP alone with the cache and IAM authentication", () => build(gcpOnly({ features: { cache: true }, gcp: { db: { iamAuth: true } } }))],
    ];
    for (const [label, make] of stacks) {
        it(`${label}: every rule is ingress, none restricts egress, none names a data port`, async () => {
            const run = await make();
            const facts = firewallFacts(run);
            expect(facts.map((f) => f.name.replace(/^[a-z]+-gcp-network-/, "")).sort()).to.deep.equal([
                "allow-app-port",
                "allow-internal",
                "allow-lb-http",
                "allow-ssh",
                "deny-all-ingress",
            ]);
            expect(facts.map((f) => f.direction)).to.deep.equal(facts.map(() => "INGRESS"));
            expect(facts.filter((f) => f.destinationRanges !== undefined)).to.deep.equal([]);
            expect(facts.flatMap((f) => f.ports).filter((p) => DATA_PORTS.includes(p))).to.deep.equal([]);
            // The data services sit on the private services range, not in the subnet the rules guard.
            for (const instance of run.ofType("gcp:redis/instance:Instance")) {
                expect(instance.inputs.connectMode).to.equal("PRIVATE_SERVICE_ACCESS");
            }
            for (const db of run.ofType("gcp:sql/databaseInstance:DatabaseInstance")) {
                expect(run.plain(db).settings.ipConfiguration).to.include({ ipv4Enabled: false });
            }
        });
    }
});
