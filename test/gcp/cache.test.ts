/**
 * The cache on GCP (`features.cache`): the Memorystore instance's network, TLS, AUTH, key and tier
 * per environment, its AUTH string's secret and who may read it, how the backends get it, its
 * alerts, the API, and its cost row.
 */
import { expect } from "chai";
import { memorystoreTier, redisMetricFilter, redisServiceAgent } from "../../components/gcp/cache";
import { containerEnv } from "../../components/gcp/compute";
import { ENCRYPTER_DECRYPTER_ROLE } from "../../components/gcp/kms";
import { SECRET_ACCESSOR_ROLE } from "../../components/gcp/secrets";
import { mockRedisAuthString } from "../../tools/offline/mocks";
import type { OfflineRun } from "../../tools/offline/run";
import { build, buildStack, childrenOf, mandatoryViolations, referenced } from "../support";
import { expectDependsOn, gcpOnly, TEST_PROJECT } from "./helpers";

const T = {
    cache: "webapp:gcp:Cache",
    instance: "gcp:redis/instance:Instance",
    key: "gcp:kms/cryptoKey:CryptoKey",
    keyMember: "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
    secret: "gcp:secretmanager/secret:Secret",
    version: "gcp:secretmanager/secretVersion:SecretVersion",
    secretMember: "gcp:secretmanager/secretIamMember:SecretIamMember",
    alert: "gcp:monitoring/alertPolicy:AlertPolicy",
    service: "gcp:projects/service:Service",
    range: "gcp:compute/globalAddress:GlobalAddress",
    peering: "gcp:servicenetworking/connection:Connection",
    network: "gcp:compute/network:Network",
    template: "gcp:compute/instanceTemplate:InstanceTemplate",
    run: "gcp:cloudrunv2/service:Service",
    account: "gcp:serviceaccount/account:Account",
};

/** The AUTH string secret's id (auto-named: `<name>-<suffix>`). */
const AUTH_SECRET_ID = new RegExp(`^projects/${TEST_PROJECT}/secrets/dev-gcp-cache-auth-string-[0-9a-f]{7}$`);

describe("GCP cache (features.cache)", () => {
    let prod: OfflineRun;
    let dev: OfflineRun;
    before(async () => {
        prod = await buildStack("prod");
        dev = await build(gcpOnly({ features: { cache: true } }));
    });

    it("is off unless turned on: the dev and demo stacks have no Memorystore and no Redis API", async () => {
        for (const plain of [await buildStack("dev"), await buildStack("demo")]) {
            expect(plain.ofType(T.cache)).to.have.length(0);
            expect(plain.ofType(T.instance)).to.have.length(0);
            expect(plain.ofType(T.service).map((s) => s.inputs.service)).not.to.include("redis.googleapis.com");
        }
        expect(dev.ofType(T.service).map((s) => s.inputs.service)).to.include("redis.googleapis.com");
        expect(prod.ofType(T.service).map((s) => s.inputs.service)).to.include("redis.googleapis.com");
    });

    it("lives on the VPC's private services range, with TLS (server authentication) and AUTH on", () => {
        const instance = dev.plain(dev.one(T.instance));
        expect(instance).to.include({
            connectMode: "PRIVATE_SERVICE_ACCESS",
            transitEncryptionMode: "SERVER_AUTHENTICATION",
            authEnabled: true,
            redisVersion: "REDIS_7_2",
            memorySizeGb: 1,
            region: "us-east1",
        });
        expect(instance.redisConfigs).to.deep.equal({ "maxmemory-policy": "volatile-lru" });
        const range = referenced(dev, dev.one(T.instance), "reservedIpRange", T.range);
        expect(dev.plain(range)).to.include({ purpose: "VPC_PEERING", addressType: "INTERNAL" });
        expect(instance.reservedIpRange).to.match(/^dev-gcp-network-private-services-[0-9a-f]{7}$/);
        const network = referenced(dev, dev.one(T.instance), "authorizedNetwork", T.network);
        expect(network.name).to.equal("dev-gcp-network-vpc");
        // The address comes from the peering: the instance waits for it.
        expectDependsOn(dev.one(T.instance), dev.one(T.peering));
    });

    it("is encrypted with its own key in the key ring, which only the Memorystore agent may use", () => {
        const key = referenced(dev, dev.one(T.instance), "customerManagedKey", T.key);
        expect(key.parent).to.equal(dev.one(T.cache).urn);
        expect(dev.plain(key)).to.include({ rotationPeriod: "7776000s", purpose: "ENCRYPT_DECRYPT" });
        expect(String(dev.plain(key).keyRing)).to.match(/\/keyRings\/dev-gcp-kms-ring/);
        const grants = dev.ofType(T.keyMember).filter((g) => g.name === "dev-gcp-cache-key-agent");
        expect(grants).to.have.length(1);
        expect(dev.plain(grants[0])).to.include({
            role: ENCRYPTER_DECRYPTER_ROLE,
            member: "serviceAccount:service-123456789012@cloud-redis.iam.gserviceaccount.com",
        });
        expect(referenced(dev, grants[0], "cryptoKeyId", T.key).urn).to.equal(key.urn);
        expectDependsOn(dev.one(T.instance), grants[0]);
        expect(redisServiceAgent("42")).to.equal("service-42@cloud-redis.iam.gserviceaccount.com");
    });

    it("is STANDARD_HA with daily RDB snapshots outside dev, BASIC without persistence in dev", () => {
        expect(prod.plain(prod.one(T.instance))).to.include({ tier: "STANDARD_HA" });
        expect(prod.plain(prod.one(T.instance)).persistenceConfig).to.deep.equal({
            persistenceMode: "RDB",
            rdbSnapshotPeriod: "TWENTY_FOUR_HOURS",
        });
        expect(dev.plain(dev.one(T.instance))).to.include({ tier: "BASIC" });
        expect(dev.plain(dev.one(T.instance)).persistenceConfig).to.deep.equal({ persistenceMode: "DISABLED" });
        expect([memorystoreTier(true), memorystoreTier(false)]).to.deep.equal(["STANDARD_HA", "BASIC"]);
    });

    it("keeps the AUTH string in its own secret (CMEK, the region only), as a secret", () => {
        const version = dev.one(T.version, "-cache-auth-string");
        expect(dev.plain(version).secretData).to.equal(mockRedisAuthString("dev-gcp-cache-redis"));
        const secret = referenced(dev, version, "secret", T.secret);
        expect(secret.name).to.equal("dev-gcp-cache-auth-string");
        const [replica] = dev.plain(secret).replication.userManaged.replicas;
        expect(replica.location).to.equal("us-east1");
        expect(replica.customerManagedEncryption.kmsKeyName).to.match(/\/cryptoKeys\/dev-gcp-kms-secrets-[0-9a-f]{7}$/);
        expect(referenced(dev, secret, "replication", T.key).name).to.equal("dev-gcp-kms-secrets");
        expect(dev.plain(secret)).to.include({ versionDestroyTtl: "604800s", deletionProtection: false });
        expect(prod.plain(prod.one(T.secret, "-cache-auth-string"))).to.include({
            versionDestroyTtl: "2592000s",
            deletionProtection: true,
        });
    });

    it("lets the instances read the AUTH string and writes the cache's values into their startup script", () => {
        const readers = dev.ofType(T.secretMember).filter((m) => /-cache-auth-reader-/.test(m.name));
        expect(readers.map((r) => r.name)).to.deep.equal(["dev-gcp-cache-auth-reader-instances"]);
        const account = dev.one(T.account, "-compute-instances");
        expect(dev.plain(readers[0]).secretId).to.match(AUTH_SECRET_ID);
        expect(dev.plain(readers[0])).to.include({ role: SECRET_ACCESSOR_ROLE });
        expect(dev.plain(readers[0]).member).to.match(/^serviceAccount:dev-app-vm@my-project-123\.iam\.gserviceaccount\.com$/);
        expect(account.inputs.accountId).to.equal("dev-app-vm");
        const script = String(dev.plain(dev.one(T.template)).metadata["startup-script"]);
        const lines = script.split("\n");
        const secretLine = lines.find((l) => l.startsWith("CACHE_SECRET_ID="));
        expect(secretLine?.slice("CACHE_SECRET_ID=".length).replace(/'/g, "")).to.match(AUTH_SECRET_ID);
        expect(lines).to.include.members([
            "CACHE_CA_FILE='/opt/webapp/cache-ca.pem'",
            "CACHE_HOST='10.200.16.4'",
            "CACHE_PORT='6378'",
            "CACHE_TLS='true'",
        ]);
        expect(script).to.include("-----BEGIN CERTIFICATE-----");
        expect(script).not.to.include(mockRedisAuthString("dev-gcp-cache-redis"));
    });

    it("gives the Cloud Run service the address, port and CA as values and the AUTH string by reference", () => {
        const envs = prod.plain(prod.one(T.run)).template.containers[0].envs as Array<Record<string, any>>;
        const byName = Object.fromEntries(envs.map((e) => [e.name, e]));
        expect(byName.CACHE_HOST).to.deep.equal({ name: "CACHE_HOST", value: "10.200.16.4" });
        expect(byName.CACHE_PORT).to.deep.equal({ name: "CACHE_PORT", value: "6378" });
        expect(byName.CACHE_TLS).to.deep.equal({ name: "CACHE_TLS", value: "true" });
        expect(byName.CACHE_CA_CERT.value).to.match(/^-----BEGIN CERTIFICATE-----\n/);
        expect(Object.keys(byName.CACHE_AUTH_TOKEN)).to.deep.equal(["name", "valueSource"]);
        expect(byName.CACHE_AUTH_TOKEN.valueSource.secretKeyRef.version).to.equal("latest");
        expect(byName.CACHE_AUTH_TOKEN.valueSource.secretKeyRef.secret).to.match(
            /^projects\/example-webapp-prod\/secrets\/prod-gcp-cache-auth-string-[0-9a-f]{7}$/,
        );
        const reader = prod.one(T.secretMember, "-cache-auth-reader-service");
        expect(prod.plain(reader).member).to.equal(
            "serviceAccount:prod-app-run@example-webapp-prod.iam.gserviceaccount.com",
        );
        // The service starts after its account may read the string.
        expectDependsOn(prod.one(T.run), reader);
        // Without the cache, no cache key at all.
        const plain = containerEnv({
            projectId: "p",
            port: 80,
            bucketName: "b",
            database: { host: "h", port: 3306, name: "n", user: "u" },
            passwordSecretId: "s",
        });
        expect(plain.map((e) => e.name).filter((n) => /^CACHE_/.test(String(n)))).to.deep.equal([]);
    });

    it("alerts the ops channel on main-thread CPU, memory usage ratio and evictions of its instance", () => {
        const alerts = dev.ofType(T.alert).filter((a) => a.parent === dev.one(T.cache).urn);
        expect(alerts.map((a) => a.name).sort()).to.deep.equal([
            "dev-gcp-cache-cpu",
            "dev-gcp-cache-evictions",
            "dev-gcp-cache-memory",
        ]);
        const filter = String(dev.plain(dev.one(T.alert, "-cache-cpu")).conditions[0].conditionThreshold.filter);
        const instanceId = /instance_id = "([^"]+)"/.exec(filter)?.[1] ?? "";
        expect(instanceId).to.match(/^projects\/my-project-123\/locations\/us-east1\/instances\/dev-gcp-cache-redis-[0-9a-f]{7}$/);
        const condition = (role: string) =>
            dev.plain(dev.one(T.alert, `-cache-${role}`)).conditions[0].conditionThreshold as Record<string, any>;
        expect(condition("cpu")).to.include({
            filter: redisMetricFilter(instanceId, "stats/cpu_utilization_main_thread"),
            comparison: "COMPARISON_GT",
            thresholdValue: 0.8,
            duration: "900s",
        });
        expect(condition("memory")).to.include({
            filter: redisMetricFilter(instanceId, "stats/memory/usage_ratio"),
            thresholdValue: 0.8,
        });
        expect(condition("evictions")).to.include({
            filter: redisMetricFilter(instanceId, "stats/evicted_keys"),
            thresholdValue: 0,
            duration: "0s",
        });
        const channels = prod.plain(prod.one(T.alert, "prod-gcp-cache-cpu")).notificationChannels;
        expect(channels).to.have.length(1);
        expect(channels[0]).to.match(/^projects\/example-webapp-prod\/notificationChannels\//);
        expect(
            referenced(prod, prod.one(T.alert, "prod-gcp-cache-cpu"), "notificationChannels", "gcp:monitoring/notificationChannel:NotificationChannel").name,
        ).to.equal("prod-gcp-alerts-email");
    });

    it("exports the address, port and the AUTH string's secret id, never the string", () => {
        const gcpOut = dev.outputs.gcp as Record<string, any>;
        expect(Object.keys(gcpOut.cache).sort()).to.deep.equal(["authSecretId", "host", "port"]);
        expect(gcpOut.cache).to.include({ host: "10.200.16.4", port: 6378 });
        expect(gcpOut.cache.authSecretId).to.match(AUTH_SECRET_ID);
        expect(JSON.stringify(dev.outputs)).not.to.include(mockRedisAuthString("dev-gcp-cache-redis"));
    });

    it("builds what the component says and passes the mandatory policy rules", () => {
        expect(childrenOf(dev, dev.one(T.cache))).to.deep.equal([
            "AlertPolicy dev-gcp-cache-cpu",
            "AlertPolicy dev-gcp-cache-evictions",
            "AlertPolicy dev-gcp-cache-memory",
            "CryptoKey dev-gcp-cache-key",
            "CryptoKeyIAMMember dev-gcp-cache-key-agent",
            "Instance dev-gcp-cache-redis",
            "Secret dev-gcp-cache-auth-string",
            "SecretIamMember dev-gcp-cache-auth-reader-instances",
            "SecretVersion dev-gcp-cache-auth-string",
        ]);
        expect(mandatoryViolations(dev, "dev")).to.deep.equal([]);
        expect(mandatoryViolations(prod, "prod")).to.deep.equal([]);
    });
});
