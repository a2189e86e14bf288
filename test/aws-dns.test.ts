/** The hosted zone (looked up or created) and the apex alias records to the load balancer. */
import { expect } from "chai";
import { aliasRecordTypes, Dns } from "../components/aws/dns";
import { runOffline, type OfflineRun } from "../tools/offline/run";
import { build, buildStack, stackConfig } from "./support";

const RECORD = "aws:route53/record:Record";
const ZONE = "aws:route53/zone:Zone";
const GET_ZONE = "aws:route53/getZone:getZone";

/** The alias records of the apex (not the certificate's validation record). */
function apexRecords(run: OfflineRun) {
    return run.ofType(RECORD).filter((r) => r.name.startsWith("dev-dns-"));
}

describe("AWS DNS", () => {
    describe("with an existing hosted zone (the default)", () => {
        let run: OfflineRun;
        before(async () => {
            run = await buildStack("dev");
        });

        it("looks the public zone up by the domain name and creates none", () => {
            const lookups = run.invokes.filter((i) => i.token === GET_ZONE);
            expect(lookups.map((l) => l.inputs)).to.deep.equal([{ name: "dev.example.com", privateZone: false }]);
            expect(run.ofType(ZONE)).to.have.length(0);
            expect(run.outputs.aws).not.to.have.property("nameServers");
        });

        it("points the apex at the load balancer with an alias A record that follows its health", () => {
            const records = apexRecords(run);
            expect(records.map((r) => run.plain(r).type)).to.deep.equal(["A"]);
            const record = run.plain(records[0]);
            const outputs = run.outputs.aws as Record<string, string>;
            expect(record.name).to.equal("dev.example.com");
            expect(record.zoneId).to.match(/^Z[0-9A-F]{20}$/);
            expect(record.aliases).to.deep.equal([
                { name: outputs.loadBalancerDnsName, zoneId: "Z35SXDOTRQ7X7K", evaluateTargetHealth: true },
            ]);
            expect(records[0].propertyDependencies.aliases).to.include(run.one("aws:lb/loadBalancer:LoadBalancer").urn);
        });

        it("exports the URL of the domain", () => {
            expect((run.outputs.aws as Record<string, string>).url).to.equal("https://dev.example.com");
        });
    });

    describe("with aws.dns.createZone", () => {
        let run: OfflineRun;
        before(async () => {
            run = await build(stackConfig("dev", { aws: { dns: { createZone: true } } }));
        });

        it("creates the public zone instead of looking it up, and exports its name servers", () => {
            expect(run.invokes.filter((i) => i.token === GET_ZONE)).to.have.length(0);
            const zone = run.one(ZONE);
            expect(run.plain(zone).name).to.equal("dev.example.com");
            expect(run.plain(zone).vpcs ?? [], "a public zone").to.deep.equal([]);
            expect((run.outputs.aws as Record<string, unknown>).nameServers).to.have.length(4);
        });

        it("puts the alias and the certificate's validation record in that zone", () => {
            const zone = run.one(ZONE);
            for (const record of run.ofType(RECORD)) {
                expect(record.propertyDependencies.zoneId, record.name).to.deep.equal([zone.urn]);
            }
            expect(run.ofType(RECORD)).to.have.length(2);
        });
    });

    describe("alias records", () => {
        it("are A for an IPv4 target and A plus AAAA for a dual-stack one", async () => {
            expect(aliasRecordTypes({ ipv6: false })).to.deep.equal(["A"]);
            expect(aliasRecordTypes({ ipv6: true })).to.deep.equal(["A", "AAAA"]);
            const run = await runOffline(() => {
                const dns = new Dns("test-dns", { domainName: "test.example.com", createZone: true });
                dns.aliasTo("alb", {
                    dnsName: "lb-1.us-east-1.elb.amazonaws.com",
                    zoneId: "Z35SXDOTRQ7X7K",
                    ipv6: true,
                });
            });
            const records = run.ofType(RECORD).map((r) => run.plain(r));
            expect(records.map((r) => r.type)).to.deep.equal(["A", "AAAA"]);
            for (const record of records) {
                expect(record.name).to.equal("test.example.com");
                expect(record.aliases).to.deep.equal([
                    { name: "lb-1.us-east-1.elb.amazonaws.com", zoneId: "Z35SXDOTRQ7X7K", evaluateTargetHealth: true },
                ]);
            }
        });
    });
});
