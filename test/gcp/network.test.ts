import { expect } from "chai";
import {
    FIREWALL_PRIORITY,
    firewallPlan,
    FLOW_LOGS,
    GOOGLE_HEALTH_CHECK_RANGES,
    INSTANCE_TAG,
    PRIVATE_SERVICES_PREFIX_LENGTH,
} from "../../components/gcp/network";
import { IAP_SSH_RANGE } from "../../config";
import type { OfflineRun } from "../../tools/offline/run";
import { build } from "../support";
import { expectDependsOn, gcpOnly } from "./helpers";

const FIREWALL = "gcp:compute/firewall:Firewall";

describe("gcp Network: firewallPlan", () => {
    const plan = firewallPlan({ subnetCidr: "10.10.0.0/20", appPort: 8080, sshSourceRanges: [IAP_SSH_RANGE] });
    const rule = (role: string) => {
        const found = plan.find((r) => r.role === role);
        expect(found, role).to.not.equal(undefined);
        return found!;
    };

    it("lets only the health checks and load balancer proxies reach the application port", () => {
        const app = plan.filter((r) => r.action === "allow" && r.rules.some((p) => p.ports?.includes("8080")));
        expect(app.map((r) => r.role)).to.deep.equal(["allow-app-port"]);
        expect(app[0].sourceRanges).to.have.members(["35.191.0.0/16", "130.211.0.0/22"]);
        expect(app[0].targetTags).to.deep.equal([INSTANCE_TAG]);
    });

    it("opens HTTP and HTTPS to tagged instances from the Google load balancer ranges only", () => {
        const web = rule("allow-lb-http");
        expect(web.rules).to.deep.equal([{ protocol: "tcp", ports: ["80", "443"] }]);
        expect(web.sourceRanges).to.have.members([...GOOGLE_HEALTH_CHECK_RANGES]);
        expect(web.targetTags).to.deep.equal([INSTANCE_TAG]);
    });

    it("opens SSH to the configured ranges only, and logs it", () => {
        const ssh = rule("allow-ssh");
        expect(ssh.rules).to.deep.equal([{ protocol: "tcp", ports: ["22"] }]);
        expect(ssh.sourceRanges).to.deep.equal([IAP_SSH_RANGE]);
        expect(ssh.logged).to.equal(true);
        const sshRules = plan.filter((r) => r.action === "allow" && r.rules.some((p) => p.ports?.includes("22")));
        expect(sshRules).to.have.length(1);
    });

    it("allows traffic inside the subnet", () => {
        const internal = rule("allow-internal");
        expect(internal.sourceRanges).to.deep.equal(["10.10.0.0/20"]);
        expect(internal.rules.map((p) => p.protocol)).to.have.members(["tcp", "udp", "icmp"]);
    });

    it("ends with a logged deny-all at 65534, and no allow rule is open to the internet", () => {
        const deny = rule("deny-all-ingress");
        expect(deny).to.include({ action: "deny", priority: 65534, logged: true });
        expect(deny.rules).to.deep.equal([{ protocol: "all" }]);
        expect(deny.sourceRanges).to.deep.equal(["0.0.0.0/0"]);
        for (const allow of plan.filter((r) => r.action === "allow")) {
            expect(allow.sourceRanges, allow.role).to.not.include("0.0.0.0/0");
            expect(allow.priority, allow.role).to.be.below(deny.priority);
        }
    });
});

describe("gcp Network (gcp-only dev stack)", () => {
    let run: OfflineRun;
    before(async () => {
        run = await build(
            gcpOnly({ app: { port: 8080 }, gcp: { sshSourceRanges: ["35.235.240.0/20", "203.0.113.0/24"] } }),
        );
    });

    it("is a custom-mode VPC with regional routing", () => {
        const vpc = run.plain(run.one("gcp:compute/network:Network", "-vpc"));
        expect(vpc).to.include({ autoCreateSubnetworks: false, routingMode: "REGIONAL" });
    });

    it("has one private subnet with Private Google Access and flow logs", () => {
        const subnet = run.one("gcp:compute/subnetwork:Subnetwork", "-private");
        const inputs = run.plain(subnet);
        expect(inputs).to.include({ ipCidrRange: "10.10.0.0/20", region: "us-east1", privateIpGoogleAccess: true });
        expect(inputs.logConfig).to.deep.equal({
            aggregationInterval: "INTERVAL_1_MIN",
            flowSampling: 0.5,
            metadata: "INCLUDE_ALL_METADATA",
        });
        expect(inputs.logConfig).to.deep.equal({ ...FLOW_LOGS });
        expectDependsOn(subnet, run.one("gcp:compute/network:Network", "-vpc"));
    });

    it("sends the subnet's egress through Cloud NAT on a Cloud Router, logging errors", () => {
        const router = run.one("gcp:compute/router:Router");
        const nat = run.one("gcp:compute/routerNat:RouterNat");
        const subnet = run.one("gcp:compute/subnetwork:Subnetwork", "-private");
        const inputs = run.plain(nat);
        expect(inputs).to.include({
            natIpAllocateOption: "AUTO_ONLY",
            sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
            region: "us-east1",
        });
        expect(inputs.logConfig).to.deep.equal({ enable: true, filter: "ERRORS_ONLY" });
        expect(inputs.subnetworks).to.have.length(1);
        expect(inputs.subnetworks[0].sourceIpRangesToNats).to.deep.equal(["ALL_IP_RANGES"]);
        expect(nat.propertyDependencies.subnetworks).to.include(subnet.urn);
        expect(nat.propertyDependencies.router).to.include(router.urn);
        expect(run.plain(router).region).to.equal("us-east1");
    });

    it("creates the five ingress rules with explicit priorities", () => {
        const rules: Array<Record<string, any>> = run.ofType(FIREWALL).map((r) => ({ ...run.plain(r), name: r.name }));
        expect(rules.map((r) => r.name)).to.have.members([
            "dev-gcp-network-allow-internal",
            "dev-gcp-network-allow-lb-http",
            "dev-gcp-network-allow-app-port",
            "dev-gcp-network-allow-ssh",
            "dev-gcp-network-deny-all-ingress",
        ]);
        for (const rule of rules) {
            expect(rule.direction, rule.name).to.equal("INGRESS");
            expect(rule.priority, rule.name).to.be.a("number");
        }
        const byName = Object.fromEntries(rules.map((r) => [r.name.replace("dev-gcp-network-", ""), r]));
        expect(byName["deny-all-ingress"]).to.include({ priority: FIREWALL_PRIORITY.denyAllIngress });
        expect(byName["deny-all-ingress"].priority).to.equal(65534);
        expect(byName["deny-all-ingress"].denies).to.deep.equal([{ protocol: "all" }]);
        expect(byName["deny-all-ingress"].allows).to.equal(undefined);
        expect(byName["allow-app-port"].allows).to.deep.equal([{ protocol: "tcp", ports: ["8080"] }]);
        expect(byName["allow-app-port"].sourceRanges).to.have.members(["35.191.0.0/16", "130.211.0.0/22"]);
        expect(byName["allow-ssh"].sourceRanges).to.deep.equal(["35.235.240.0/20", "203.0.113.0/24"]);
        expect(byName["allow-ssh"].logConfig).to.deep.equal({ metadata: "INCLUDE_ALL_METADATA" });
        expect(byName["allow-internal"].sourceRanges).to.deep.equal(["10.10.0.0/20"]);
        for (const name of ["allow-lb-http", "allow-app-port", "allow-ssh"]) {
            expect(byName[name].targetTags, name).to.deep.equal([INSTANCE_TAG]);
            expect(byName[name].priority, name).to.equal(1000);
        }
    });

    it("attaches every rule to the platform's VPC", () => {
        const vpc = run.one("gcp:compute/network:Network", "-vpc");
        for (const rule of run.ofType(FIREWALL)) {
            expect(rule.propertyDependencies.network, rule.name).to.include(vpc.urn);
        }
    });

    it("reserves a range for private services access and peers it with Google's service network", () => {
        const vpc = run.one("gcp:compute/network:Network", "-vpc");
        const range = run.one("gcp:compute/globalAddress:GlobalAddress", "-private-services");
        const connection = run.one("gcp:servicenetworking/connection:Connection");
        expect(run.plain(range)).to.include({
            purpose: "VPC_PEERING",
            addressType: "INTERNAL",
            prefixLength: PRIVATE_SERVICES_PREFIX_LENGTH,
        });
        expect(range.propertyDependencies.network).to.include(vpc.urn);
        expect(run.plain(connection)).to.include({ service: "servicenetworking.googleapis.com" });
        expect(connection.propertyDependencies.reservedPeeringRanges).to.include(range.urn);
        expect(connection.propertyDependencies.network).to.include(vpc.urn);
    });
});
