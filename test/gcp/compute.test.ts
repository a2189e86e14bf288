import { expect } from "chai";
import { HSTS_HEADER } from "../../components/shared/web";
import {
    AUTOHEALING_INITIAL_DELAY_SECONDS,
    GCP_COMPUTE,
    imageQuery,
    INSTANCE_WARMUP_SECONDS,
    updatePolicy,
} from "../../components/gcp/compute";
import { serviceAccountId } from "../../components/gcp/project";
import { SECRET_ACCESSOR_ROLE } from "../../components/gcp/secrets";
import { OBJECT_READ_WRITE_ROLE } from "../../components/gcp/storage";
import { mockPassword } from "../../tools/offline/mocks";
import type { OfflineRun, RecordedResource } from "../../tools/offline/run";
import { build, childrenOf, inside, referenced, TEST_MAILGUN_KEY, waitsFor } from "../support";
import { expectDependsOn, gcpOnly, TEST_PROJECT } from "./helpers";

const TEMPLATE = "gcp:compute/instanceTemplate:InstanceTemplate";
const MIG = "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager";
const HEALTH_CHECK = "gcp:compute/healthCheck:HealthCheck";
const URL_MAP = "gcp:compute/uRLMap:URLMap";
const FORWARDING_RULE = "gcp:compute/globalForwardingRule:GlobalForwardingRule";
const ACCOUNT = "gcp:serviceaccount/account:Account";
const TIER = "webapp:gcp:Compute";

/** The IAM member of the instances' service account (the one the instance template runs as). */
function instancesMember(run: OfflineRun): string {
    const inputs = run.plain(referenced(run, run.one(TEMPLATE), "serviceAccount", ACCOUNT));
    return `serviceAccount:${inputs.accountId}@${TEST_PROJECT}.iam.gserviceaccount.com`;
}

/** Every IAM grant (any `*IAMMember`/`*IamMember` resource) to `member`, as `type role`. */
function grantsTo(run: OfflineRun, member: string): Array<{ resource: RecordedResource; role: string }> {
    return run.resources
        .filter((r) => /iam[mM]ember:/i.test(r.type) && run.plain(r).member === member)
        .map((resource) => ({ resource, role: run.plain(resource).role as string }));
}

describe("gcp Compute: pure parts", () => {
    it("rolls with a surge of one instance per zone and none unavailable", () => {
        expect(updatePolicy(3)).to.deep.include({
            type: "PROACTIVE",
            minimalAction: "REPLACE",
            replacementMethod: "SUBSTITUTE",
            maxSurgeFixed: 3,
            maxUnavailableFixed: 0,
            minReadySec: INSTANCE_WARMUP_SECONDS,
        });
        expect(updatePolicy(4).maxSurgeFixed, "a regional group's surge is at least its zone count").to.equal(4);
        expect(() => updatePolicy(0)).to.throw(RangeError);
    });

    it("looks an image up by family or by name, in another project when asked", () => {
        expect(imageQuery({ family: "webapp" })).to.deep.equal({ family: "webapp" });
        expect(imageQuery({ name: "webapp-20261101", project: "images-prj" })).to.deep.equal({
            name: "webapp-20261101",
            project: "images-prj",
        });
        expect(() => imageQuery({})).to.throw(/exactly one of family and name/);
        expect(() => imageQuery({ family: "a", name: "b" })).to.throw(/exactly one of family and name/);
    });

    it("names service accounts within the 6-30 character rule", () => {
        expect(serviceAccountId("dev", "app-vm")).to.equal("dev-app-vm");
        expect(serviceAccountId("abcdefghijklmnop", "email-build")).to.have.length(28);
        expect(() => serviceAccountId("abcdefghijklmnopqrstu", "email-build")).to.throw(/not a 6-30 character/);
    });
});

describe("gcp Compute (gcp-only dev stack)", () => {
    let run: OfflineRun;
    before(async () => {
        run = await build(gcpOnly());
    });

    const template = () => run.plain(run.one(TEMPLATE));

    describe("the compute seam", () => {
        it("builds the load balancer and the instance group as parts of the Compute tier, under the names they always had", () => {
            const tier = run.one(TIER);
            // Every resource is the tier's own child, as before the split, so no identity changed.
            expect(inside(run, tier).every((r) => r.parent === tier.urn)).to.equal(true);
            expect(childrenOf(run, tier)).to.deep.equal(
                [
                    "Account dev-gcp-compute-instances",
                    "IAMMember dev-gcp-compute-instances-logWriter",
                    "IAMMember dev-gcp-compute-instances-metricWriter",
                    "InstanceTemplate dev-gcp-compute-template",
                    "HealthCheck dev-gcp-compute-lb-health",
                    "HealthCheck dev-gcp-compute-autohealing",
                    "RegionInstanceGroupManager dev-gcp-compute-mig",
                    "RegionAutoscaler dev-gcp-compute-autoscaler",
                    "BackendService dev-gcp-compute-backend",
                    "DnsAuthorization dev-gcp-compute-dns-auth-0",
                    "Certificate dev-gcp-compute-certificate",
                    "CertificateMap dev-gcp-compute-certificates",
                    "CertificateMapEntry dev-gcp-compute-certificates-primary",
                    "GlobalAddress dev-gcp-compute-address",
                    "SSLPolicy dev-gcp-compute-tls",
                    "URLMap dev-gcp-compute-https",
                    "TargetHttpsProxy dev-gcp-compute-https",
                    "GlobalForwardingRule dev-gcp-compute-https-443",
                    "URLMap dev-gcp-compute-http-redirect",
                    "TargetHttpProxy dev-gcp-compute-http",
                    "GlobalForwardingRule dev-gcp-compute-http-80",
                ].sort(),
            );
        });

        it("builds the backend gcp.compute names (mig by default) and exports its group", () => {
            expect(gcpOnly().gcp.compute).to.equal("mig");
            expect(Object.keys(GCP_COMPUTE)).to.deep.equal(["mig", "cloudRun"]);
            expect(() => gcpOnly({ gcp: { compute: "fargate" } })).to.throw(
                'gcp.compute: "fargate" must be one of "mig", "cloudRun"',
            );
            expect((run.outputs.gcp as Record<string, unknown>).instanceGroupManagerName).to.match(
                /^dev-gcp-compute-mig-/,
            );
        });
    });

    describe("instances", () => {
        it("carry the network tag the firewall rules admit on the app port", () => {
            const tags = template().tags as string[];
            const appPort = run.plain(run.one("gcp:compute/firewall:Firewall", "-allow-app-port"));
            expect(tags).to.have.length(1);
            expect(appPort.targetTags).to.deep.equal(tags);
            expect(appPort.allows).to.deep.equal([{ protocol: "tcp", ports: ["80"] }]);
            const backend = run.one("gcp:compute/backendService:BackendService");
            const lbCheck = run.plain(referenced(run, backend, "healthChecks", HEALTH_CHECK));
            expect(lbCheck.httpHealthCheck.port).to.equal(80);
        });

        it("have no external address", () => {
            const interfaces = template().networkInterfaces as Array<Record<string, unknown>>;
            expect(interfaces).to.have.length(1);
            expect(interfaces[0]).to.not.have.property("accessConfigs");
            expect(interfaces[0]).to.not.have.property("ipv6AccessConfigs");
            const subnet = run.one("gcp:compute/subnetwork:Subnetwork");
            expect(run.one(TEMPLATE).propertyDependencies.networkInterfaces).to.include(subnet.urn);
        });

        it("are Shielded VMs with OS Login and no project-wide SSH keys", () => {
            expect(template().shieldedInstanceConfig).to.deep.equal({
                enableSecureBoot: true,
                enableVtpm: true,
                enableIntegrityMonitoring: true,
            });
            expect(template().metadata).to.include({ "enable-oslogin": "TRUE", "block-project-ssh-keys": "TRUE" });
            expect(template().canIpForward).to.equal(false);
        });

        it("boot from the custom image's family on a disk encrypted with the disk key", () => {
            const image = run.invokes.find((i) => i.token === "gcp:compute/getImage:getImage");
            expect(image?.inputs).to.deep.equal({ family: "webapp" });
            const [disk] = template().disks;
            expect(disk).to.deep.include({ boot: true, autoDelete: true });
            expect(disk.sourceImage).to.match(/\/global\/images\/webapp-/);
            const key = run.one("gcp:kms/cryptoKey:CryptoKey", "-kms-disk");
            expect(run.one(TEMPLATE).propertyDependencies.disks).to.include(key.urn);
            expect(disk.diskEncryptionKey.kmsKeySelfLink).to.match(/\/cryptoKeys\/dev-gcp-kms-disk-/);
            expectDependsOn(run.one(TEMPLATE), run.one("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "-disk-agent"));
        });

        it("run as their own service account with the cloud-platform scope (IAM decides)", () => {
            expect(template().serviceAccount).to.deep.equal({
                email: `dev-app-vm@${TEST_PROJECT}.iam.gserviceaccount.com`,
                scopes: ["cloud-platform"],
            });
        });

        it("get a startup script with ids but no secret value", () => {
            const script = template().metadata["startup-script"] as string;
            expect(script).to.match(/^#!\/bin\/bash\n/);
            expect(script).to.match(/DB_SECRET_ID='projects\/my-project-123\/secrets\/dev-gcp-secrets-db-credentials-/);
            expect(script).to.include("GOOGLE_CLOUD_PROJECT='my-project-123'");
            expect(script).to.match(/PUBSUB_TOPIC='projects\/my-project-123\/topics\/dev-gcp-messaging-topic-/);
            const passwords = run.ofType("random:index/randomPassword:RandomPassword");
            expect(passwords).to.have.length(1);
            for (const password of passwords) {
                expect(script).not.to.include(mockPassword(password.name));
            }
            expect(script).not.to.include(TEST_MAILGUN_KEY);
        });
        it("do not wait for the database: the script reads the secret's latest version and names none", () => {
            const script = template().metadata["startup-script"] as string;
            expect(script.match(/\/versions\/[^\s"']*/g)).to.deep.equal(["/versions/latest:access"]);
            expect(script).not.to.match(/secret version/i);
            expect(script).to.include("SECRET_ATTEMPTS='45'");
            const database = run.one("webapp:gcp:Database");
            const credentials = run.one("gcp:secretmanager/secretVersion:SecretVersion", "-database-credentials");
            for (const r of [run.one(TEMPLATE), run.one(MIG)]) {
                const waited = waitsFor(run, r);
                expect(waited.has(credentials.urn), `${r.name} waits for the credentials version`).to.equal(false);
                for (const d of [database, ...inside(run, database)]) {
                    expect(waited.has(d.urn), `${r.name} waits for ${d.name}`).to.equal(false);
                }
            }
            expect(waitsFor(run, run.one(MIG)).has(run.one(TEMPLATE).urn)).to.equal(true);
        });
    });

    describe("instance service account", () => {
        it("may read the database secret, use the bucket, publish events and write logs and metrics, nothing else", () => {
            const grants = grantsTo(run, instancesMember(run));
            expect(grants.map((g) => `${g.resource.type} ${g.role}`)).to.have.members([
                `gcp:secretmanager/secretIamMember:SecretIamMember ${SECRET_ACCESSOR_ROLE}`,
                `gcp:storage/bucketIAMMember:BucketIAMMember ${OBJECT_READ_WRITE_ROLE}`,
                "gcp:pubsub/topicIAMMember:TopicIAMMember roles/pubsub.publisher",
                "gcp:projects/iAMMember:IAMMember roles/logging.logWriter",
                "gcp:projects/iAMMember:IAMMember roles/monitoring.metricWriter",
            ]);
            const secretGrant = grants.find((g) => g.role === SECRET_ACCESSOR_ROLE)!.resource;
            expect(secretGrant.propertyDependencies.secretId).to.deep.equal([
                run.one("gcp:secretmanager/secret:Secret", "-db-credentials").urn,
            ]);
            const topicGrant = grants.find((g) => g.role === "roles/pubsub.publisher")!.resource;
            expect(topicGrant.propertyDependencies.topic).to.deep.equal([
                run.one("gcp:pubsub/topic:Topic", "-messaging-topic").urn,
            ]);
        });

        it("has its grants in place before the group starts instances", () => {
            const group = run.one(MIG);
            const grants = grantsTo(run, instancesMember(run));
            expect(grants).to.have.length(5);
            for (const { resource } of grants) {
                expectDependsOn(group, resource);
            }
        });
    });

    describe("managed instance group", () => {
        it("runs the template in every zone of the region, behind the named port", () => {
            const group = run.plain(run.one(MIG));
            expect(group).to.include({ region: "us-east1", baseInstanceName: "webapp-dev" });
            expect(group.distributionPolicyZones).to.deep.equal(["us-east1-b", "us-east1-c", "us-east1-d"]);
            expect(group.versions).to.have.length(1);
            expect(group.versions[0].instanceTemplate).to.match(/\/instanceTemplates\/.*\?uniqueId=/);
            expect(run.one(MIG).propertyDependencies.versions).to.deep.equal([run.one(TEMPLATE).urn]);
            expect(group.namedPorts).to.deep.equal([{ name: "http", port: 80 }]);
        });

        it("recreates instances that fail the HTTP health check of app.healthCheckPath", () => {
            const group = run.one(MIG);
            const healing = referenced(run, group, "autoHealingPolicies", HEALTH_CHECK);
            expect(run.plain(group).autoHealingPolicies.initialDelaySec).to.equal(AUTOHEALING_INITIAL_DELAY_SECONDS);
            // The startup script's wait for the secret on a first deploy (SECRET_RETRY, about 20 minutes).
            expect(AUTOHEALING_INITIAL_DELAY_SECONDS).to.equal(1200);
            expect(group.propertyDependencies.autoHealingPolicies).to.deep.equal([healing.urn]);
            expect(run.plain(healing).httpHealthCheck).to.deep.equal({ port: 80, requestPath: "/healthz" });
        });

        it("rolls a new template with a surge per zone and no instance unavailable, and waits for it", () => {
            const group = run.plain(run.one(MIG));
            expect(group.updatePolicy).to.deep.equal(updatePolicy(3));
            expect(group).to.include({ waitForInstances: true, waitForInstancesStatus: "UPDATED" });
        });

        it("scales on CPU between gcp.mig.min and gcp.mig.max", () => {
            const scaler = run.one("gcp:compute/regionAutoscaler:RegionAutoscaler");
            expect(run.plain(scaler).autoscalingPolicy).to.deep.include({
                minReplicas: 1,
                maxReplicas: 2,
                mode: "ON",
                cpuUtilization: { target: 0.5 },
            });
            expect(scaler.propertyDependencies.target).to.deep.equal([run.one(MIG).urn]);
        });
    });

    describe("load balancer", () => {
        it("serves HTTPS on 443 with the certificate map and a restricted TLS 1.2+ policy", () => {
            const proxy = run.one("gcp:compute/targetHttpsProxy:TargetHttpsProxy");
            const map = run.one("gcp:certificatemanager/certificateMap:CertificateMap");
            expect(run.plain(proxy).certificateMap).to.match(
                /^\/\/certificatemanager\.googleapis\.com\/projects\/my-project-123\/locations\/global\/certificateMaps\//,
            );
            expect(proxy.propertyDependencies.certificateMap).to.deep.equal([map.urn]);
            expect(run.plain(run.one("gcp:compute/sSLPolicy:SSLPolicy"))).to.include({
                profile: "RESTRICTED",
                minTlsVersion: "TLS_1_2",
            });
            const https = run.one(FORWARDING_RULE, "-https-443");
            expect(run.plain(https)).to.include({ portRange: "443", loadBalancingScheme: "EXTERNAL_MANAGED" });
            expect(https.propertyDependencies.target).to.deep.equal([proxy.urn]);
            const httpsMap = referenced(run, proxy, "urlMap", URL_MAP);
            expect(run.plain(httpsMap)).to.have.property("defaultService");
        });

        it("answers HTTP on 80, on the same address, with a 301 to HTTPS", () => {
            const http = run.one(FORWARDING_RULE, "-http-80");
            const https = run.one(FORWARDING_RULE, "-https-443");
            expect(run.plain(http).portRange).to.equal("80");
            expect(run.plain(http).ipAddress).to.equal(run.plain(https).ipAddress);
            const address = referenced(run, https, "ipAddress", "gcp:compute/globalAddress:GlobalAddress");
            expect(run.plain(address)).to.include({ addressType: "EXTERNAL", ipVersion: "IPV4" });
            expect(http.propertyDependencies.ipAddress).to.deep.equal([address.urn]);
            const httpProxy = run.one("gcp:compute/targetHttpProxy:TargetHttpProxy");
            expect(http.propertyDependencies.target).to.deep.equal([httpProxy.urn]);
            const redirect = run.one(URL_MAP, "-http-redirect");
            expect(httpProxy.propertyDependencies.urlMap).to.deep.equal([redirect.urn]);
            expect(run.plain(redirect).defaultUrlRedirect).to.deep.equal({
                httpsRedirect: true,
                redirectResponseCode: "MOVED_PERMANENTLY_DEFAULT",
                stripQuery: false,
            });
            expect(run.plain(redirect)).to.not.have.property("defaultService");
        });

        it("sends traffic to the group over its named port, health-checked, logged, with HSTS", () => {
            const backend = run.one("gcp:compute/backendService:BackendService");
            const inputs = run.plain(backend);
            expect(inputs).to.deep.include({
                loadBalancingScheme: "EXTERNAL_MANAGED",
                protocol: "HTTP",
                portName: "http",
                logConfig: { enable: true, sampleRate: 1 },
                customResponseHeaders: [`Strict-Transport-Security: ${HSTS_HEADER}`],
            });
            expect(inputs.backends[0].group).to.match(/\/regions\/us-east1\/instanceGroups\//);
            expect(backend.propertyDependencies.backends).to.deep.equal([run.one(MIG).urn]);
            const lbCheck = referenced(run, backend, "healthChecks", HEALTH_CHECK);
            expect(run.plain(lbCheck)).to.deep.include({
                checkIntervalSec: 15,
                timeoutSec: 5,
                healthyThreshold: 2,
                unhealthyThreshold: 3,
                logConfig: { enable: true },
            });
            expect(inputs).to.not.have.property("securityPolicy");
            const maps = run.ofType(URL_MAP).filter((m) => (m.propertyDependencies.defaultService ?? []).length > 0);
            expect(maps).to.have.length(1);
            expect(maps[0].propertyDependencies.defaultService).to.deep.equal([backend.urn]);
        });

        it("gets a Certificate Manager certificate for domainName, authorized by DNS", () => {
            const certificate = run.one("gcp:certificatemanager/certificate:Certificate");
            const authorization = run.one("gcp:certificatemanager/dnsAuthorization:DnsAuthorization");
            expect(run.plain(authorization).domain).to.equal("dev.example.com");
            expect(run.plain(certificate).managed.domains).to.deep.equal(["dev.example.com"]);
            expect(certificate.propertyDependencies.managed).to.deep.equal([authorization.urn]);
            const entry = run.one("gcp:certificatemanager/certificateMapEntry:CertificateMapEntry");
            expect(run.plain(entry).matcher).to.equal("PRIMARY");
            expect(entry.propertyDependencies.certificates).to.deep.equal([certificate.urn]);
        });

        it("exports the URL, the address and the group", () => {
            const gcp = run.outputs.gcp as Record<string, unknown>;
            expect(gcp.url).to.equal("https://dev.example.com");
            expect(gcp.loadBalancerIp).to.equal("34.120.0.10");
            expect(gcp.instanceGroupManagerName).to.match(/^dev-gcp-compute-mig-/);
        });
    });
});

describe("gcp Compute with its settings (gcp-only dev stack)", () => {
    let run: OfflineRun;
    before(async () => {
        run = await build(
            gcpOnly({
                app: { port: 8080, healthCheckPath: "/health/live" },
                gcp: {
                    machineType: "e2-small",
                    image: { name: "webapp-20261101", project: "images-prj" },
                    mig: { min: 2, max: 6, cpuTarget: 70 },
                },
            }),
        );
    });

    it("uses the configured machine type, image, port, path and scaling", () => {
        expect(run.plain(run.one(TEMPLATE)).machineType).to.equal("e2-small");
        const image = run.invokes.find((i) => i.token === "gcp:compute/getImage:getImage");
        expect(image?.inputs).to.deep.equal({ name: "webapp-20261101", project: "images-prj" });
        expect(run.plain(run.one(TEMPLATE)).disks[0].sourceImage).to.equal(
            "https://www.googleapis.com/compute/v1/projects/images-prj/global/images/webapp-20261101",
        );
        expect(run.plain(run.one(MIG)).namedPorts).to.deep.equal([{ name: "http", port: 8080 }]);
        const checks = run.ofType(HEALTH_CHECK);
        expect(checks, "the load balancer's and auto-healing's").to.have.length(2);
        for (const check of checks) {
            expect(run.plain(check).httpHealthCheck, check.name).to.deep.equal({
                port: 8080,
                requestPath: "/health/live",
            });
        }
        expect(run.plain(run.one("gcp:compute/regionAutoscaler:RegionAutoscaler")).autoscalingPolicy).to.deep.include({
            minReplicas: 2,
            maxReplicas: 6,
            cpuUtilization: { target: 0.7 },
        });
    });
});
