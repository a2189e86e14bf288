/** The `cloudRun` backend: its config rules, its pure parts, and the stack it builds under mocks. */
import { expect } from "chai";
import {
    AR_KEEP_VERSIONS,
    cleanupPolicies,
    CLOUD_RUN_INGRESS,
    containerEnv,
    repositoryUrl,
} from "../../components/gcp/compute";
import { ENCRYPTER_DECRYPTER_ROLE } from "../../components/gcp/kms";
import { SECRET_ACCESSOR_ROLE } from "../../components/gcp/secrets";
import { OBJECT_READ_WRITE_ROLE } from "../../components/gcp/storage";
import { parseConfig } from "../../config";
import { cloudRunSizeProblem } from "../../config/cloudRun";
import { evaluate, DEFAULT_RULE_OPTIONS } from "../../policy/rules";
import { mockPassword } from "../../tools/offline/mocks";
import type { OfflineRun, RecordedResource } from "../../tools/offline/run";
import {
    build,
    childrenOf,
    configProblems as problemsOf,
    mandatoryViolations,
    rawStackConfig,
    referenced,
    TEST_MAILGUN_KEY,
} from "../support";
import { expectDependsOn, gcpOnly, TEST_PROJECT } from "./helpers";

const IMAGE = "us-east1-docker.pkg.dev/my-project-123/webapp-dev/api:1.0.0";
const SERVICE = "gcp:cloudrunv2/service:Service";
const REPOSITORY = "gcp:artifactregistry/repository:Repository";
const NEG = "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup";
const BACKEND = "gcp:compute/backendService:BackendService";
const ACCOUNT = "gcp:serviceaccount/account:Account";
const SECRET = "gcp:secretmanager/secret:Secret";
const ALERT = "gcp:monitoring/alertPolicy:AlertPolicy";

const onCloudRun = (cloudRun: Record<string, unknown> = {}, gcp: Record<string, unknown> = {}) => ({
    clouds: ["gcp"],
    gcp: { project: TEST_PROJECT, compute: "cloudRun", cloudRun: { image: IMAGE, ...cloudRun }, ...gcp },
});

/** The problems of the dev stack file with `overrides`. */
const configProblems = (overrides: Record<string, unknown>) => problemsOf(rawStackConfig("dev", overrides));

describe("gcp.cloudRun config", () => {
    it("defaults: 1 CPU, 512 MiB, 1-2 instances, 80 requests each; the image is required", () => {
        const cfg = gcpOnly(onCloudRun());
        expect(cfg.gcp.compute).to.equal("cloudRun");
        expect(cfg.gcp.cloudRun).to.deep.equal({ image: IMAGE, cpu: 1, memory: 512, min: 1, max: 2, concurrency: 80 });
        expect(configProblems(onCloudRun({ image: undefined }))).to.deep.equal([
            "gcp.cloudRun.image: is required when gcp.compute is cloudRun: pulumi config set --path gcp.cloudRun.image <region>-docker.pkg.dev/<project>/<repository>/<image>:<tag>",
        ]);
        expect(configProblems(onCloudRun({ image: "not an image" }))).to.deep.equal([
            'gcp.cloudRun.image: "not an image" is not an image URI with a tag or digest (<registry>/<repository>:<tag>)',
        ]);
    });

    it("refuses a CPU Cloud Run has not, memory outside the CPU's range, and min above max, naming each key", () => {
        expect(configProblems(onCloudRun({ cpu: 3 }))).to.deep.equal([
            "gcp.cloudRun.cpu: 3 is not a Cloud Run CPU size (one of 1, 2, 4, 6, 8)",
        ]);
        expect(configProblems(onCloudRun({ memory: 8192 }))).to.deep.equal([
            "gcp.cloudRun.memory: 8192 is not a memory size Cloud Run offers with 1 CPU (512-4096 MiB)",
        ]);
        expect(configProblems(onCloudRun({ cpu: 4, memory: 1024 }))).to.deep.equal([
            "gcp.cloudRun.memory: 1024 is not a memory size Cloud Run offers with 4 CPU (2048-16384 MiB)",
        ]);
        expect(configProblems(onCloudRun({ min: 3, max: 2 }))).to.deep.equal([
            "gcp.cloudRun.min: 3 must not exceed gcp.cloudRun.max (2)",
        ]);
        expect(configProblems(onCloudRun({ concurrency: 0 }))[0]).to.match(/^gcp\.cloudRun\.concurrency: 0 /);
        expect(cloudRunSizeProblem(2, 8192)).to.equal(undefined);
    });

    it("reports each instance key a Cloud Run stack sets, and none it leaves at its default", () => {
        expect(
            configProblems(onCloudRun({}, { machineType: "e2-small", image: { family: "webapp-x" }, mig: { min: 2 } })),
        ).to.deep.equal([
            'gcp.machineType: "e2-small" is set, but gcp.compute is "cloudRun", which runs no instances: remove it (pulumi config rm --path gcp.machineType)',
            'gcp.image: {"family":"webapp-x"} is set, but gcp.compute is "cloudRun", which runs no instances: remove it (pulumi config rm --path gcp.image)',
            'gcp.mig: {"min":2,"max":2,"cpuTarget":50} is set, but gcp.compute is "cloudRun", which runs no instances: remove it (pulumi config rm --path gcp.mig)',
        ]);
        expect(() =>
            parseConfig(
                rawStackConfig("dev", onCloudRun({}, { machineType: "e2-micro", image: { family: "webapp" } })),
                "dev",
            ),
        ).to.not.throw();
        // On the instances, the Cloud Run keys are checked but not reported as set.
        expect(configProblems({ clouds: ["gcp"], gcp: { project: TEST_PROJECT, cloudRun: { cpu: 3 } } })).to.deep.equal(
            ["gcp.cloudRun.cpu: 3 is not a Cloud Run CPU size (one of 1, 2, 4, 6, 8)"],
        );
    });
});

describe("gcp Compute with cloudRun: pure parts", () => {
    it("keeps the newest versions, deletes untagged ones after a day and old tagged ones after 30 days", () => {
        expect(AR_KEEP_VERSIONS).to.equal(30);
        expect(cleanupPolicies(5)).to.deep.equal([
            { id: "delete-untagged", action: "DELETE", condition: { tagState: "UNTAGGED", olderThan: "86400s" } },
            { id: "delete-old", action: "DELETE", condition: { tagState: "TAGGED", olderThan: "2592000s" } },
            { id: "keep-newest-5", action: "KEEP", mostRecentVersions: { keepCount: 5 } },
        ]);
        expect(() => cleanupPolicies(0)).to.throw(RangeError);
        expect(repositoryUrl("us-east1", "p-1", "webapp-dev")).to.equal("us-east1-docker.pkg.dev/p-1/webapp-dev");
    });

    it("puts the instances' env keys in the container, the password only by Secret Manager reference", () => {
        const env = containerEnv({
            projectId: "p-1",
            port: 8080,
            bucketName: "b",
            registrationTopic: "projects/p-1/topics/t",
            database: { host: "10.0.0.3", port: 3306, name: "webapp", user: "webapp" },
            passwordSecretId: "projects/p-1/secrets/pw",
        });
        expect(env).to.deep.equal([
            { name: "APP_PORT", value: "8080" },
            { name: "GOOGLE_CLOUD_PROJECT", value: "p-1" },
            { name: "GCS_BUCKET_NAME", value: "b" },
            { name: "PUBSUB_TOPIC", value: "projects/p-1/topics/t" },
            { name: "DB_HOST", value: "10.0.0.3" },
            { name: "DB_PORT", value: "3306" },
            { name: "DB_NAME", value: "webapp" },
            { name: "DB_USER", value: "webapp" },
            {
                name: "DB_PASSWORD",
                valueSource: { secretKeyRef: { secret: "projects/p-1/secrets/pw", version: "latest" } },
            },
        ]);
    });
});

describe("gcp Compute with cloudRun (gcp-only dev stack)", () => {
    let run: OfflineRun;
    /** The password secret's id, as the service's env names it. */
    let passwordSecretId: string;
    before(async () => {
        run = await build(gcpOnly(onCloudRun({ cpu: 2, memory: 1024, min: 0, max: 5, concurrency: 40 })));
        const envs = (run.plain(run.one(SERVICE)).template as Record<string, any>).containers[0].envs;
        passwordSecretId = envs[envs.length - 1].valueSource.secretKeyRef.secret;
    });
    const service = () => run.plain(run.one(SERVICE));
    const serviceName = () => (run.outputs.gcp as Record<string, unknown>).cloudRunServiceName as string;
    const account = () => referenced(run, run.one(SERVICE), "template", ACCOUNT);
    const member = () => `serviceAccount:${run.plain(account()).accountId}@${TEST_PROJECT}.iam.gserviceaccount.com`;
    const grantsTo = (m: string): Array<{ resource: RecordedResource; role: string }> =>
        run.resources
            .filter((r) => /iam[mM]ember:/i.test(r.type) && run.plain(r).member === m)
            .map((resource) => ({ resource, role: run.plain(resource).role as string }));

    it("builds the repository, service and NEG in the Compute tier, and no instance group", () => {
        const children = childrenOf(run, run.one("webapp:gcp:Compute"));
        expect(children).to.include.members([
            "CryptoKey dev-gcp-compute-registry",
            "ServiceIdentity dev-gcp-compute-registry-agent",
            "CryptoKeyIAMMember dev-gcp-compute-registry-key-agent",
            "Repository dev-gcp-compute-registry",
            "Account dev-gcp-compute-service",
            "IAMMember dev-gcp-compute-service-logWriter",
            "IAMMember dev-gcp-compute-service-metricWriter",
            "Service dev-gcp-compute-service",
            "RegionNetworkEndpointGroup dev-gcp-compute-neg",
            "BackendService dev-gcp-compute-backend",
        ]);
        // The backend's 9 resources and the load balancer's 13.
        expect(children).to.have.length(22);
        expect(run.ofType("gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager")).to.have.length(0);
        expect(run.ofType("gcp:compute/instanceTemplate:InstanceTemplate")).to.have.length(0);
        expect(run.ofType("gcp:compute/healthCheck:HealthCheck")).to.have.length(0);
        expect(run.plain(account()).accountId).to.equal("dev-app-run");
    });

    it("takes traffic from the load balancer only, through a serverless NEG on the backend service", () => {
        const s = service();
        expect(s.ingress).to.equal(CLOUD_RUN_INGRESS);
        expect(s.ingress).to.equal("INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCING");
        expect(s.invokerIamDisabled).to.equal(true);
        const neg = run.plain(run.one(NEG));
        expect(neg).to.deep.include({ networkEndpointType: "SERVERLESS", region: "us-east1" });
        expect(neg.cloudRun.service).to.equal(serviceName());
        expect(referenced(run, run.one(NEG), "cloudRun", SERVICE).urn).to.equal(run.one(SERVICE).urn);
        const backend = run.plain(run.one(BACKEND));
        expect(referenced(run, run.one(BACKEND), "backends", NEG).urn).to.equal(run.one(NEG).urn);
        expect(backend.backends).to.have.length(1);
        expect(Object.keys(backend.backends[0])).to.deep.equal(["group"]);
        expect(backend.healthChecks).to.equal(undefined);
        expect(backend.description).to.equal("webapp Cloud Run service");
        // No principal holds run.invoker on the service.
        const invokers = run
            .ofType("gcp:cloudrunv2/serviceIamMember:ServiceIamMember")
            .filter((r) => (r.propertyDependencies.name ?? []).includes(run.one(SERVICE).urn));
        expect(invokers).to.have.length(0);
    });

    it("runs the image at the configured size and scale, 2nd gen, with Direct VPC egress to private ranges", () => {
        const t = service().template as Record<string, any>;
        expect(t.executionEnvironment).to.equal("EXECUTION_ENVIRONMENT_GEN2");
        expect(t.maxInstanceRequestConcurrency).to.equal(40);
        expect(t.scaling).to.deep.equal({ minInstanceCount: 0, maxInstanceCount: 5 });
        expect(t.vpcAccess.egress).to.equal("PRIVATE_RANGES_ONLY");
        expect(t.vpcAccess.networkInterfaces).to.have.length(1);
        expect(t.vpcAccess.networkInterfaces[0].tags).to.deep.equal(["webapp"]);
        expect(t.vpcAccess.networkInterfaces[0].subnetwork).to.match(
            /\/subnetworks\/dev-gcp-network-private-[0-9a-f]{7}$/,
        );
        expect(run.one(SERVICE).propertyDependencies.template).to.include(
            run.one("gcp:compute/subnetwork:Subnetwork").urn,
        );
        expect(t.containers).to.have.length(1);
        const c = t.containers[0];
        expect(c.image).to.equal(IMAGE);
        expect(c.ports).to.deep.equal({ containerPort: 80 });
        expect(c.resources.limits).to.deep.equal({ cpu: "2", memory: "1024Mi" });
        expect(c.startupProbe.httpGet).to.deep.equal({ path: "/healthz", port: 80 });
        expect(c.livenessProbe.httpGet).to.deep.equal({ path: "/healthz", port: 80 });
        expect(service().deletionProtection).to.equal(false);
    });

    it("injects the password by reference to a secret of its own; no secret value is in the service", () => {
        const envs = (service().template as Record<string, any>).containers[0].envs as Array<Record<string, any>>;
        expect(envs.map((e) => e.name)).to.deep.equal([
            "APP_PORT",
            "GOOGLE_CLOUD_PROJECT",
            "GCS_BUCKET_NAME",
            "PUBSUB_TOPIC",
            "DB_HOST",
            "DB_PORT",
            "DB_NAME",
            "DB_USER",
            "DB_PASSWORD",
        ]);
        expect(envs.filter((e) => e.valueSource !== undefined)).to.have.length(1);
        expect(envs[8]).to.deep.equal({
            name: "DB_PASSWORD",
            valueSource: { secretKeyRef: { secret: passwordSecretId, version: "latest" } },
        });
        expect(passwordSecretId).to.match(/\/secrets\/dev-gcp-secrets-db-password-[0-9a-f]{7}$/);
        expect(run.one(SERVICE).propertyDependencies.template).to.include(run.one(SECRET, "-db-password").urn);
        // The service reads version `latest`: it starts after the version exists.
        expect(run.one(SERVICE).propertyDependencies.template).to.include(
            run.one("gcp:secretmanager/secretVersion:SecretVersion", "-db-password").urn,
        );
        expect(envs[4].value).to.equal((run.outputs.gcp as Record<string, unknown>).databaseHost);
        const text = JSON.stringify(service());
        expect(text).to.not.include(mockPassword(run.one("random:index/randomPassword:RandomPassword").name));
        expect(text).to.not.include(TEST_MAILGUN_KEY);
    });

    it("gives the service's account the instances' grants: the password secret, the bucket, the topic, logs and metrics", () => {
        const grants = grantsTo(member());
        expect(grants.map((g) => `${g.resource.type.split(":").pop()} ${g.role}`).sort()).to.deep.equal(
            [
                `SecretIamMember ${SECRET_ACCESSOR_ROLE}`,
                `BucketIAMMember ${OBJECT_READ_WRITE_ROLE}`,
                "TopicIAMMember roles/pubsub.publisher",
                "IAMMember roles/logging.logWriter",
                "IAMMember roles/monitoring.metricWriter",
            ].sort(),
        );
        const secretGrant = grants.find((g) => g.resource.type.endsWith("SecretIamMember"))!.resource;
        expect(run.plain(secretGrant).secretId).to.equal(passwordSecretId);
        expect(referenced(run, secretGrant, "secretId", SECRET).urn).to.equal(run.one(SECRET, "-db-password").urn);
        for (const g of grants) {
            expectDependsOn(run.one(SERVICE), g.resource);
        }
    });

    it("keeps images in a CMEK repository with immutable tags and cleanup policies", () => {
        const repo = run.plain(run.one(REPOSITORY));
        expect(repo).to.deep.include({ repositoryId: "webapp-dev", format: "DOCKER", location: "us-east1" });
        expect(repo.dockerConfig).to.deep.equal({ immutableTags: true });
        expect(repo.cleanupPolicyDryRun).to.equal(false);
        expect(repo.cleanupPolicies).to.deep.equal(cleanupPolicies());
        const key = run.one("gcp:kms/cryptoKey:CryptoKey", "compute-registry");
        expect(referenced(run, run.one(REPOSITORY), "kmsKeyName", "gcp:kms/cryptoKey:CryptoKey").urn).to.equal(key.urn);
        const keyGrant = run.one("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "registry-key-agent");
        expect(run.plain(keyGrant).role).to.equal(ENCRYPTER_DECRYPTER_ROLE);
        expect(run.plain(keyGrant).cryptoKeyId).to.equal(repo.kmsKeyName);
        expect(run.plain(keyGrant).member).to.match(/^serviceAccount:service-\d+@gcp-sa-artifactregistry\./);
        expectDependsOn(run.one(REPOSITORY), keyGrant);
    });

    it("exports what the rollout follows and where to push images", () => {
        const gcp = run.outputs.gcp as Record<string, unknown>;
        expect(gcp.cloudRunServiceName).to.match(/^dev-gcp-compute-service-[0-9a-f]{7}$/);
        expect(gcp.artifactRegistryRepositoryUrl).to.equal(`us-east1-docker.pkg.dev/${TEST_PROJECT}/webapp-dev`);
        expect(gcp).to.not.have.property("instanceGroupManagerName");
    });

    it("alerts on the service's 5xx rate, p95 latency and 503s, and charts it instead of the instances", () => {
        const names = run.ofType(ALERT).map((a) => a.name);
        expect(names.filter((n) => /-run-/.test(n)).sort()).to.deep.equal([
            "dev-gcp-monitoring-run-503",
            "dev-gcp-monitoring-run-5xx-rate",
            "dev-gcp-monitoring-run-latency",
        ]);
        expect(names).to.not.include("dev-gcp-monitoring-unhealthy-backend");
        const latency = run.plain(run.one(ALERT, "-run-latency")) as Record<string, any>;
        expect(latency.conditions[0].conditionThreshold.filter).to.equal(
            `resource.type = "cloud_run_revision" AND resource.labels.service_name = "${serviceName()}" AND metric.type = "run.googleapis.com/request_latencies"`,
        );
        expect(latency.conditions[0].conditionThreshold.thresholdValue).to.equal(2000);
        const dashboard = JSON.parse(String(run.plain(run.one("gcp:monitoring/dashboard:Dashboard")).dashboardJson));
        const titles = dashboard.mosaicLayout.tiles.map((t: { widget: { title: string } }) => t.widget.title);
        expect(titles).to.include.members([
            "Cloud Run instances; 5xx responses / s",
            "Cloud Run request latency p95 (ms)",
            "Cloud Run container CPU and memory (p95)",
        ]);
        expect(titles).to.not.include("Instance CPU");
    });

    it("passes the policy pack, whose Cloud Run and Artifact Registry rules refuse the open and mutable forms", () => {
        expect(mandatoryViolations(run, "dev")).to.deep.equal([]);
        const resources = [
            {
                urn: "u1",
                type: SERVICE,
                name: "open",
                props: { ingress: "INGRESS_TRAFFIC_ALL", invokerIamDisabled: true },
            },
            {
                urn: "u2",
                type: SERVICE,
                name: "plain",
                props: {
                    ingress: CLOUD_RUN_INGRESS,
                    template: { containers: [{ name: "app", envs: [{ name: "DB_PASSWORD", value: "x" }] }] },
                },
            },
            { urn: "u3", type: REPOSITORY, name: "repo", props: { format: "DOCKER", dockerConfig: {} } },
        ];
        const found = evaluate(
            resources.map((r) => ({ ...r, dependencies: [], propertyDependencies: {} })),
            DEFAULT_RULE_OPTIONS,
        ).map((v) => `${v.policy}: ${v.message}`);
        expect(found).to.have.length(5);
        expect(found).to.include.members([
            'cloud-run-ingress-behind-load-balancer: ingress is "INGRESS_TRAFFIC_ALL": the service\'s run.app URL answers the whole internet, past the load balancer',
            "cloud-run-ingress-behind-load-balancer: invokerIamDisabled is true with ingress from everywhere: anyone on the internet can invoke the service",
            'cloud-run-secrets-by-reference: container "app" sets DB_PASSWORD as a plain value: reference a Secret Manager secret (valueSource.secretKeyRef) instead',
            "artifact-registry-immutable-and-cmk: dockerConfig.immutableTags is not true: a tag could be re-pointed to another image",
            "artifact-registry-immutable-and-cmk: kmsKeyName is not set: images would be encrypted with a Google-managed key",
        ]);
    });
});
