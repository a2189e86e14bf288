/** The hosted zone (looked up or created) and the apex alias records to the load balancer. */
import { expect } from "chai";
import { aliasRecordTypes, Dns } from "../components/aws/dns";
import { apexPlan, type AwsApex } from "../components/edge";
import { loadBalancerRegion } from "../config/drStandby";
import { runOffline, type OfflineRun } from "../tools/offline/run";
import { build, buildStack, mandatoryViolations, referenced, stackConfig } from "./support";

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

    describe("failover to the DR region's standby (aws.dr.standby)", () => {
        const STANDBY = { dnsName: "webapp-dr-1234567890.us-west-2.elb.amazonaws.com", zoneId: "Z1H1FL5HABSF5" };
        const HEALTH = "aws:route53/healthCheck:HealthCheck";
        const drConfig = (extra: Record<string, unknown> = {}) =>
            stackConfig("dev", { aws: { dr: { region: "us-west-2", standby: STANDBY } }, ...extra });
        let run: OfflineRun;
        before(async () => {
            run = await build(drConfig());
        });
        const record = (name: string) => run.plain(run.one(RECORD, name));

        it("parses the standby's two keys, and leaves them unset by default", () => {
            expect(drConfig().aws.dr.standby).to.deep.equal(STANDBY);
            expect(stackConfig("dev").aws.dr.standby).to.equal(undefined);
            expect(stackConfig("prod").aws.dr.standby).to.equal(undefined);
            expect(mandatoryViolations(run, "dev")).to.deep.equal([]);
        });

        it("replaces the apex alias with a PRIMARY alias at the load balancer, checked by Route 53", () => {
            expect(
                apexRecords(run)
                    .map((r) => r.name)
                    .sort(),
            ).to.deep.equal(["dev-dns-apex-primary-a", "dev-dns-apex-secondary-a"]);
            const outputs = run.outputs.aws as Record<string, string>;
            const primary = record("dev-dns-apex-primary-a");
            expect(primary).to.include({ name: "dev.example.com", type: "A", setIdentifier: "apex-primary" });
            expect(primary.failoverRoutingPolicies).to.deep.equal([{ type: "PRIMARY" }]);
            expect(primary.aliases).to.deep.equal([
                { name: outputs.loadBalancerDnsName, zoneId: "Z35SXDOTRQ7X7K", evaluateTargetHealth: true },
            ]);
            const check = run.one(HEALTH);
            expect(referenced(run, run.one(RECORD, "dev-dns-apex-primary-a"), "healthCheckId", HEALTH).urn).to.equal(
                check.urn,
            );
            expect(run.plain(check)).to.deep.equal({
                type: "HTTPS",
                fqdn: outputs.loadBalancerDnsName,
                port: 443,
                resourcePath: "/healthz",
                enableSni: true,
                requestInterval: 30,
                failureThreshold: 3,
            });
        });

        it("answers with a SECONDARY alias at the standby that follows the standby's health", () => {
            const secondary = record("dev-dns-apex-secondary-a");
            expect(secondary).to.include({ name: "dev.example.com", type: "A", setIdentifier: "apex-secondary" });
            expect(secondary.failoverRoutingPolicies).to.deep.equal([{ type: "SECONDARY" }]);
            expect(secondary.aliases).to.deep.equal([
                { name: STANDBY.dnsName, zoneId: "Z1H1FL5HABSF5", evaluateTargetHealth: true },
            ]);
            expect(secondary.records).to.equal(undefined);
            expect(secondary.ttl).to.equal(undefined);
            expect(secondary.healthCheckId).to.equal(undefined);
        });

        it("fails over from the CDN with features.cdn: the distribution is checked, A and AAAA fail over", async () => {
            const cdn = await build(drConfig({ features: { cdn: true } }));
            const names = cdn
                .ofType(RECORD)
                .filter((r) => r.name.startsWith("dev-dns-apex-"))
                .map((r) => r.name);
            expect(names.sort()).to.deep.equal([
                "dev-dns-apex-primary-a",
                "dev-dns-apex-primary-aaaa",
                "dev-dns-apex-secondary-a",
                "dev-dns-apex-secondary-aaaa",
            ]);
            const distribution = cdn.one("aws:cloudfront/distribution:Distribution");
            const primary = cdn.one(RECORD, "dev-dns-apex-primary-aaaa");
            expect(referenced(cdn, primary, "aliases", "aws:cloudfront/distribution:Distribution").urn).to.equal(
                distribution.urn,
            );
            const check = cdn.plain(cdn.one(HEALTH));
            expect(check.fqdn).to.match(/\.cloudfront\.net$/);
            expect(check.fqdn).to.equal(cdn.plain(primary).aliases[0].name);
            expect(check.resourcePath).to.equal("/healthz");
            const secondary = cdn.plain(cdn.one(RECORD, "dev-dns-apex-secondary-aaaa"));
            expect(secondary.type).to.equal("AAAA");
            expect(secondary.aliases).to.deep.equal([
                { name: STANDBY.dnsName, zoneId: "Z1H1FL5HABSF5", evaluateTargetHealth: true },
            ]);
        });

        it("keeps the plain apex alias and no health check with a DR region but no standby", async () => {
            const plain = await build(stackConfig("dev", { aws: { dr: { region: "us-west-2" } } }));
            expect(plain.ofType(HEALTH)).to.have.length(0);
            const apex = plain.ofType(RECORD).filter((r) => r.name.startsWith("dev-dns-"));
            expect(apex.map((r) => r.name)).to.deep.equal(["dev-dns-alb-a"]);
            expect(plain.plain(apex[0]).failoverRoutingPolicies).to.equal(undefined);
            expect(plain.plain(apex[0]).setIdentifier).to.equal(undefined);
        });

        it("plans the failover to the standby only when one is given", () => {
            const aws: AwsApex = {
                role: "alb",
                target: { dnsName: "lb.elb.amazonaws.com", zoneId: "Z1", ipv6: false },
            };
            expect(apexPlan({ aws, dnsFailover: false, drStandby: STANDBY })).to.deep.equal({
                kind: "failover",
                primary: aws.target,
                secondary: { alias: STANDBY },
            });
            expect(apexPlan({ aws, dnsFailover: false })).to.deep.equal({ kind: "alias", apex: aws });
        });

        it("reads the region from an ALB's and an NLB's DNS name, and none from another name", () => {
            expect(loadBalancerRegion(STANDBY.dnsName)).to.equal("us-west-2");
            expect(loadBalancerRegion("dualstack.web-1.eu-central-1.elb.amazonaws.com")).to.equal("eu-central-1");
            expect(loadBalancerRegion("net-0123456789abcdef.elb.ap-southeast-2.amazonaws.com")).to.equal(
                "ap-southeast-2",
            );
            expect(loadBalancerRegion("standby.example.com")).to.equal(undefined);
        });
    });
});
