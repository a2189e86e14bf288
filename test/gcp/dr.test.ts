import { expect } from "chai";
import { dualRegionLocation } from "../../components/gcp/dr";
import { gcpDrRegionProblem, gcpMultiRegion } from "../../config/regions";
import type { OfflineRun, RecordedResource } from "../../tools/offline/run";
import { build, buildStack, inside, referenced, stackConfig } from "../support";
import { expectDependsOn, gcpOnly, TEST_PROJECT } from "./helpers";

const T = {
    drKms: "webapp:gcp:DrKms",
    database: "webapp:gcp:Database",
    storage: "webapp:gcp:Storage",
    ring: "gcp:kms/keyRing:KeyRing",
    key: "gcp:kms/cryptoKey:CryptoKey",
    binding: "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
    instance: "gcp:sql/databaseInstance:DatabaseInstance",
    bucket: "gcp:storage/bucket:Bucket",
    identity: "gcp:projects/serviceIdentity:ServiceIdentity",
    provider: "pulumi:providers:gcp",
};

describe("gcp DR region: pure rules", () => {
    it("pairs two regions of one multi-region as a configurable dual-region", () => {
        expect(dualRegionLocation("us-east1", "us-west1")).to.deep.equal({
            location: "US",
            dataLocations: ["US-EAST1", "US-WEST1"],
            keyLocation: "us",
            rpo: "ASYNC_TURBO",
        });
        expect(dualRegionLocation("europe-west1", "europe-north1")).to.deep.equal({
            location: "EU",
            dataLocations: ["EUROPE-WEST1", "EUROPE-NORTH1"],
            keyLocation: "europe",
            rpo: "ASYNC_TURBO",
        });
        expect(dualRegionLocation("asia-east1", "asia-northeast1").keyLocation).to.equal("asia");
        expect(() => dualRegionLocation("us-east1", "europe-west1")).to.throw(/form no configurable dual-region/);
    });

    it("knows each geography's multi-region", () => {
        expect(gcpMultiRegion("northamerica-northeast1")).to.equal("US");
        expect(gcpMultiRegion("us-central1")).to.equal("US");
        expect(gcpMultiRegion("southamerica-east1")).to.equal(undefined);
        expect(gcpDrRegionProblem("us-east1", "us-west1")).to.equal(undefined);
        expect(gcpDrRegionProblem("us-east1", "us-east1")).to.match(/^must differ from gcp.region/);
    });
});

describe("gcp DR region (gcp.dr.region)", () => {
    let run: OfflineRun;
    const drKms = () => run.one(T.drKms);
    const primaryDb = () => run.one(T.instance, "-mysql");
    const replica = () => run.one(T.instance, "-replica");
    const appBucket = () => run.one(T.bucket, "-storage-bucket");
    const keyRingOf = (key: RecordedResource) => referenced(run, key, "keyRing", T.ring);

    before(async () => {
        run = await build(gcpOnly({ environment: "demo", gcp: { dr: { region: "us-west1" } } }));
    });

    it("is off unless gcp.dr.region is set: demo has no DR keys, no replica, a single-region bucket", async () => {
        const demo = await buildStack("demo");
        expect(demo.ofType(T.drKms)).to.have.length(0);
        const instances = demo.ofType(T.instance);
        expect(instances).to.have.length(1);
        expect(demo.plain(instances[0]).masterInstanceName).to.equal(undefined);
        const bucket = demo.one(T.bucket, "-storage-bucket");
        expect(demo.plain(bucket).location).to.equal("US-EAST1");
        expect(demo.plain(bucket).customPlacementConfig).to.equal(undefined);
        expect(demo.plain(bucket).rpo).to.equal(undefined);
    });

    it("builds a key ring in the DR region and one in the pair's multi-region, one rotated key in each", () => {
        const rings = inside(run, drKms(), T.ring);
        expect(rings).to.have.length(2);
        expect(rings.map((r) => run.plain(r).location).sort()).to.deep.equal(["us", "us-west1"]);
        const keys = inside(run, drKms(), T.key);
        expect(keys).to.have.length(2);
        for (const key of keys) {
            expect(run.plain(key).rotationPeriod, key.name).to.equal("7776000s");
            expect(run.plain(key).purpose, key.name).to.equal("ENCRYPT_DECRYPT");
        }
        // Each key is usable by exactly the agent that encrypts with it: Cloud SQL's and Cloud Storage's.
        const bindings = inside(run, drKms(), T.binding);
        expect(bindings).to.have.length(2);
        const sqlAgent = run.one(T.identity, "-sql-agent");
        const sqlBinding = bindings.find((b) => b.name.endsWith("-sql-agent"))!;
        expect(run.plain(sqlBinding).role).to.equal("roles/cloudkms.cryptoKeyEncrypterDecrypter");
        expect(sqlBinding.propertyDependencies.member).to.include(sqlAgent.urn);
        const storageBinding = bindings.find((b) => b.name.endsWith("-storage-agent"))!;
        expect(run.plain(storageBinding).member).to.equal(
            `serviceAccount:service-123456789012@gs-project-accounts.iam.gserviceaccount.com`,
        );
    });

    it("replicates the Cloud SQL instance into the DR region, encrypted with the DR region's key", () => {
        const rep = run.plain(replica());
        expect(rep.region).to.equal("us-west1");
        expect(referenced(run, replica(), "masterInstanceName", T.instance).urn).to.equal(primaryDb().urn);
        const key = referenced(run, replica(), "encryptionKeyName", T.key);
        expect(inside(run, drKms(), T.key).map((k) => k.urn)).to.include(key.urn);
        expect(run.plain(keyRingOf(key)).location).to.equal("us-west1");
        expect(rep.encryptionKeyName).to.match(
            new RegExp(`^projects/${TEST_PROJECT}/locations/us-west1/keyRings/[^/]+/cryptoKeys/[^/]+$`),
        );
        // Cloud SQL checks the key on create: the replica waits for the agent's grant.
        expectDependsOn(
            replica(),
            inside(run, drKms(), T.binding).find((b) => b.name.endsWith("-sql-agent"))!,
        );
        expect(run.plain(primaryDb()).region).to.equal("us-east1");
        expect(run.plain(primaryDb()).encryptionKeyName).to.match(/\/locations\/us-east1\//);
    });

    it("keeps the replica private, TLS-only, protected, with the primary's machine, disk and flags", () => {
        const rep = run.plain(replica());
        const primary = run.plain(primaryDb());
        expect(rep.databaseVersion).to.equal("MYSQL_8_4");
        expect(rep.deletionProtection).to.equal(true);
        expect(rep.settings.deletionProtectionEnabled).to.equal(true);
        expect(rep.settings.ipConfiguration.ipv4Enabled).to.equal(false);
        expect(rep.settings.ipConfiguration.sslMode).to.equal("ENCRYPTED_ONLY");
        expect(rep.settings.ipConfiguration.privateNetwork).to.equal(primary.settings.ipConfiguration.privateNetwork);
        expect(rep.settings.tier).to.equal("db-g1-small");
        expect(rep.settings.diskSize).to.equal(20);
        expect(rep.settings.availabilityType).to.equal("ZONAL");
        expect(rep.settings.databaseFlags).to.deep.equal([
            { name: "slow_query_log", value: "on" },
            { name: "long_query_time", value: "2" },
            { name: "local_infile", value: "off" },
        ]);
        // Replicas take no automated backups (the primary's are the backups); binary logs stay on.
        expect(rep.settings.backupConfiguration).to.deep.equal({ enabled: false, binaryLogEnabled: true });
        expect(rep.rootPassword).to.equal(undefined);
    });

    it("makes the application bucket a dual-region of the two regions with turbo replication", () => {
        const bucket = run.plain(appBucket());
        expect(bucket.location).to.equal("US");
        expect(bucket.customPlacementConfig).to.deep.equal({ dataLocations: ["US-EAST1", "US-WEST1"] });
        expect(bucket.rpo).to.equal("ASYNC_TURBO");
        expect(bucket.versioning).to.deep.equal({ enabled: true });
        expect(bucket.publicAccessPrevention).to.equal("enforced");
        expect(referenced(run, appBucket(), "logging", T.bucket).urn).to.equal(run.one(T.bucket, "-storage-logs").urn);
    });

    it("encrypts the dual-region bucket with the DR key in the multi-region holding both regions", () => {
        const key = referenced(run, appBucket(), "encryption", T.key);
        expect(inside(run, drKms(), T.key).map((k) => k.urn)).to.include(key.urn);
        expect(run.plain(keyRingOf(key)).location).to.equal("us");
        expect(run.plain(appBucket()).encryption.defaultKmsKeyName).to.match(/\/locations\/us\/keyRings\//);
        expectDependsOn(
            appBucket(),
            inside(run, drKms(), T.binding).find((b) => b.name.endsWith("-storage-agent"))!,
        );
        // The log bucket stays in the primary region under the platform key.
        const logs = run.plain(run.one(T.bucket, "-storage-logs"));
        expect(logs.location).to.equal("US-EAST1");
        expect(logs.encryption.defaultKmsKeyName).to.match(/\/locations\/us-east1\//);
    });

    it("uses the stack's one GCP provider: every DR resource names its region itself", () => {
        expect(run.ofType(T.provider)).to.have.length(1);
        const drResources = [...inside(run, drKms()).filter((r) => r.custom), replica()];
        expect(drResources).to.have.length(7);
        for (const r of drResources) {
            expect(r.provider.startsWith(`${run.one(T.provider).urn}::`), r.name).to.equal(true);
        }
    });

    it("exports the replica, the bucket's regions and the DR keys", () => {
        const dr = (run.outputs.gcp as Record<string, any>).dr;
        expect(Object.keys(dr).sort()).to.deep.equal([
            "bucketDataLocations",
            "kmsKeyIds",
            "region",
            "replicaConnectionName",
            "replicaName",
        ]);
        expect(dr.region).to.equal("us-west1");
        expect(dr.bucketDataLocations).to.deep.equal(["US-EAST1", "US-WEST1"]);
        expect(dr.replicaConnectionName).to.match(new RegExp(`^${TEST_PROJECT}:us-west1:`));
        expect(dr.kmsKeyIds.sql).to.match(/\/locations\/us-west1\//);
        expect(dr.kmsKeyIds.storage).to.match(/\/locations\/us\//);
    });

    it("works next to AWS with both DR regions", async () => {
        const both = await build(
            stackConfig("demo", { aws: { dr: { region: "us-west-2" } }, gcp: { dr: { region: "us-west1" } } }),
        );
        expect(both.ofType(T.drKms)).to.have.length(1);
        expect(both.plain(both.one(T.instance, "-replica")).region).to.equal("us-west1");
    });
});
