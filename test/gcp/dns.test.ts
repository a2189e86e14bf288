/**
 * DNS for the GCP load balancer in its three shapes: Cloud DNS on GCP alone, `gcp.<domainName>` in
 * Route 53 next to AWS, and the apex as a Route 53 failover pair (AWS primary, GCP secondary).
 */
import { expect } from "chai";
import { CLOUD_DNS_API } from "../../components/gcp/apis";
import { findZone } from "../../components/gcp/dns";
import { fqdn, gcpHostnames } from "../../components/shared/hostnames";
import type { OfflineRun } from "../../tools/offline/run";
import { build, stackConfig } from "../support";
import { gcpOnly } from "./helpers";

const RECORD_SET = "gcp:dns/recordSet:RecordSet";
const ROUTE53 = "aws:route53/record:Record";
const LB_IP = "34.120.0.10";

const certificateDomains = (run: OfflineRun) =>
    run.plain(run.one("gcp:certificatemanager/certificate:Certificate")).managed.domains as string[];
const authorizedDomains = (run: OfflineRun) =>
    run.ofType("gcp:certificatemanager/dnsAuthorization:DnsAuthorization").map((a) => run.plain(a).domain);
const enabledApis = (run: OfflineRun) => run.ofType("gcp:projects/service:Service").map((s) => run.plain(s).service);

describe("gcp Dns: pure parts", () => {
    it("serves domainName alone, gcp.<domainName> next to AWS, and the apex too with failover", () => {
        expect(gcpHostnames({ domainName: "a.example.com", withAws: false, dnsFailover: false })).to.deep.equal([
            "a.example.com",
        ]);
        expect(gcpHostnames({ domainName: "a.example.com", withAws: true, dnsFailover: false })).to.deep.equal([
            "gcp.a.example.com",
        ]);
        expect(gcpHostnames({ domainName: "a.example.com", withAws: true, dnsFailover: true })).to.deep.equal([
            "gcp.a.example.com",
            "a.example.com",
        ]);
    });

    it("finds the project's public zone of the domain, and says what to do when there is none", () => {
        const zones = [
            { name: "internal", dnsName: "dev.example.com.", visibility: "private" },
            { name: "dev-public", dnsName: "dev.example.com.", visibility: "public" },
            { name: "other", dnsName: "example.org.", visibility: "public" },
        ];
        expect(findZone(zones, "dev.example.com")).to.equal("dev-public");
        expect(() => findZone(zones.slice(0, 1), "dev.example.com")).to.throw(
            "no public Cloud DNS zone for dev.example.com. in the project: create it, or set gcp.dns.createZone",
        );
        expect(fqdn("a.example.com")).to.equal("a.example.com.");
        expect(fqdn("a.example.com.")).to.equal("a.example.com.");
    });
});

describe("gcp Dns on GCP alone (Cloud DNS, zone looked up)", () => {
    let run: OfflineRun;
    before(async () => {
        run = await build(gcpOnly());
    });

    it("looks the zone up and points domainName at the load balancer", () => {
        expect(run.invokes.map((i) => i.token)).to.include("gcp:dns/getManagedZones:getManagedZones");
        expect(run.ofType("gcp:dns/managedZone:ManagedZone")).to.deep.equal([]);
        const a = run.one(RECORD_SET, "-dns-a");
        expect(run.plain(a)).to.deep.include({
            managedZone: "dev-example-com",
            name: "dev.example.com.",
            type: "A",
            rrdatas: [LB_IP],
        });
        expect(a.propertyDependencies.rrdatas).to.deep.equal([
            run.one("gcp:compute/globalAddress:GlobalAddress", "-compute-address").urn,
        ]);
    });

    it("writes the certificate's DNS authorization CNAME into the zone", () => {
        expect(certificateDomains(run)).to.deep.equal(["dev.example.com"]);
        const cname = run.plain(run.one(RECORD_SET, "-dns-cert-auth-0"));
        expect(cname).to.deep.include({
            managedZone: "dev-example-com",
            name: "_acme-challenge.dev.example.com.",
            type: "CNAME",
        });
        expect(cname.rrdatas[0]).to.match(/\.authorize\.certificatemanager\.goog\.$/);
    });

    it("enables Cloud DNS and touches no Route 53", () => {
        expect(enabledApis(run)).to.include(CLOUD_DNS_API);
        expect(run.ofType(ROUTE53)).to.deep.equal([]);
        expect(run.outputs.gcp).to.not.have.property("nameServers");
    });
});

describe("gcp Dns on GCP alone (Cloud DNS, zone created)", () => {
    let run: OfflineRun;
    before(async () => {
        run = await build(gcpOnly({ gcp: { dns: { createZone: true } } }));
    });

    it("creates a signed public zone, writes the records there and exports its name servers", () => {
        const zone = run.one("gcp:dns/managedZone:ManagedZone");
        expect(run.plain(zone)).to.deep.include({
            dnsName: "dev.example.com.",
            visibility: "public",
            dnssecConfig: { state: "on" },
        });
        expect(run.invokes.map((i) => i.token)).to.not.include("gcp:dns/getManagedZones:getManagedZones");
        for (const record of run.ofType(RECORD_SET)) {
            expect(record.propertyDependencies.managedZone, record.name).to.deep.equal([zone.urn]);
        }
        expect((run.outputs.gcp as Record<string, unknown>).nameServers).to.have.length(4);
    });
});

describe("gcp Dns next to AWS (demo stack: gcp.<domainName> in Route 53)", () => {
    let run: OfflineRun;
    before(async () => {
        run = await build(stackConfig("demo"));
    });

    it("publishes the GCP load balancer as gcp.<domainName> in the AWS zone", () => {
        const a = run.one(ROUTE53, "-dns-gcp-lb-a");
        expect(run.plain(a)).to.deep.include({ name: "gcp.demo.example.com", type: "A", records: [LB_IP], ttl: 300 });
        const zoneId = run.plain(run.one(ROUTE53, "-dns-alb-a")).zoneId;
        expect(run.plain(a).zoneId).to.equal(zoneId);
        expect(a.parent).to.equal(run.one("webapp:aws:Dns").urn);
    });

    it("certifies gcp.<domainName> only, authorized by a CNAME in Route 53", () => {
        expect(certificateDomains(run)).to.deep.equal(["gcp.demo.example.com"]);
        expect(authorizedDomains(run)).to.deep.equal(["gcp.demo.example.com"]);
        const cname = run.plain(run.one(ROUTE53, "-dns-gcp-cert-auth-0"));
        expect(cname).to.deep.include({ name: "_acme-challenge.gcp.demo.example.com.", type: "CNAME" });
    });

    it("leaves the apex to the AWS load balancer and uses no Cloud DNS", () => {
        const apex = run.ofType(ROUTE53).filter((r) => run.plain(r).name === "demo.example.com");
        expect(apex.map((r) => r.name)).to.deep.equal(["demo-dns-alb-a"]);
        expect(run.plain(apex[0])).to.not.have.property("failoverRoutingPolicies");
        expect(run.ofType(RECORD_SET)).to.deep.equal([]);
        expect(run.ofType("webapp:gcp:Dns")).to.deep.equal([]);
        expect(enabledApis(run)).to.not.include(CLOUD_DNS_API);
        expect(run.ofType("aws:route53/healthCheck:HealthCheck")).to.deep.equal([]);
    });

    it("exports the GCP URL under its own name", () => {
        expect((run.outputs.gcp as Record<string, unknown>).url).to.equal("https://gcp.demo.example.com");
        expect((run.outputs.aws as Record<string, unknown>).url).to.equal("https://demo.example.com");
    });
});

describe("gcp Dns with DNS failover (demo stack, features.dnsFailover)", () => {
    let run: OfflineRun;
    before(async () => {
        run = await build(stackConfig("demo", { features: { dnsFailover: true } }));
    });

    it("checks the AWS load balancer's health over HTTPS", () => {
        const check = run.one("aws:route53/healthCheck:HealthCheck");
        expect(run.plain(check)).to.deep.include({
            type: "HTTPS",
            port: 443,
            resourcePath: "/healthz",
            enableSni: true,
            requestInterval: 30,
            failureThreshold: 3,
        });
        expect(check.propertyDependencies.fqdn).to.deep.equal([run.one("aws:lb/loadBalancer:LoadBalancer").urn]);
        expect(run.plain(check).fqdn).to.match(/\.elb\.amazonaws\.com$/);
    });

    it("answers the apex with the AWS load balancer while it is healthy, else with the GCP one", () => {
        const apex = run.ofType(ROUTE53).filter((r) => run.plain(r).name === "demo.example.com");
        expect(apex.map((r) => r.name)).to.have.members(["demo-dns-apex-primary-a", "demo-dns-apex-secondary-a"]);
        const primary = run.one(ROUTE53, "-apex-primary-a");
        const secondary = run.one(ROUTE53, "-apex-secondary-a");
        expect(run.plain(primary).failoverRoutingPolicies).to.deep.equal([{ type: "PRIMARY" }]);
        expect(run.plain(primary).aliases[0]).to.deep.include({ zoneId: "Z35SXDOTRQ7X7K", evaluateTargetHealth: true });
        expect(primary.propertyDependencies.healthCheckId).to.deep.equal([
            run.one("aws:route53/healthCheck:HealthCheck").urn,
        ]);
        expect(run.plain(secondary)).to.deep.include({
            type: "A",
            failoverRoutingPolicies: [{ type: "SECONDARY" }],
            records: [LB_IP],
            ttl: 60,
        });
        expect(run.plain(primary).setIdentifier).to.not.equal(run.plain(secondary).setIdentifier);
    });

    it("certifies the apex on GCP too, with a DNS authorization CNAME for each name", () => {
        expect(certificateDomains(run)).to.deep.equal(["gcp.demo.example.com", "demo.example.com"]);
        expect(authorizedDomains(run)).to.deep.equal(["gcp.demo.example.com", "demo.example.com"]);
        const cnames = run
            .ofType(ROUTE53)
            .filter((r) => run.plain(r).name.startsWith("_acme-challenge."))
            .map((r) => run.plain(r).name);
        expect(cnames).to.have.members(["_acme-challenge.gcp.demo.example.com.", "_acme-challenge.demo.example.com."]);
    });
});
