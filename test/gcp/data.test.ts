import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { backupConfiguration, editionFor } from "../../components/gcp/database";
import { createGcpPlatform, gcpContext } from "../../components/gcp";
import { SECRET_ACCESSOR_ROLE } from "../../components/gcp/secrets";
import { lifecycleRules, OBJECT_READ_WRITE_ROLE } from "../../components/gcp/storage";
import { mockPassword } from "../../tools/offline/mocks";
import { runOffline, type OfflineRun } from "../../tools/offline/run";
import { isSecretValue } from "../../tools/offline/values";
import { build, stackConfig, TEST_MAILGUN_KEY } from "../support";
import { expectDependsOn, gcpOnly, TEST_PROJECT } from "./helpers";

const INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance";
const SECRET = "gcp:secretmanager/secret:Secret";
const VERSION = "gcp:secretmanager/secretVersion:SecretVersion";
const BUCKET = "gcp:storage/bucket:Bucket";
const KEY = "gcp:kms/cryptoKey:CryptoKey";
const BINDING = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember";

describe("gcp Database: pure settings", () => {
    it("picks the edition the tier exists in", () => {
        expect(editionFor("db-g1-small")).to.equal("ENTERPRISE");
        expect(editionFor("db-custom-2-7680")).to.equal("ENTERPRISE");
        expect(editionFor("db-perf-optimized-N-2")).to.equal("ENTERPRISE_PLUS");
    });

    it("keeps binary logs for as much of the backup window as Cloud SQL allows", () => {
        expect(backupConfiguration("mysql", 3)).to.deep.include({ binaryLogEnabled: true, transactionLogRetentionDays: 3 });
        expect(backupConfiguration("postgres", 3)).to.deep.include({
            pointInTimeRecoveryEnabled: true,
            transactionLogRetentionDays: 3,
        });
        expect(backupConfiguration("postgres", 3)).not.to.have.property("binaryLogEnabled");
        expect(backupConfiguration("mysql", 30)).to.deep.include({
            transactionLogRetentionDays: 7,
            backupRetentionSettings: { retainedBackups: 30, retentionUnit: "COUNT" },
        });
    });
});

describe("gcp Storage: lifecycle rules", () => {
    it("tiers to NEARLINE, expires old versions and aborts abandoned uploads", () => {
        const rules = lifecycleRules({ nearlineAfterDays: 45, noncurrentVersionExpirationDays: 90 });
        expect(rules).to.deep.include({
            action: { type: "SetStorageClass", storageClass: "NEARLINE" },
            condition: { age: 45, matchesStorageClasses: ["STANDARD"] },
        });
        expect(rules).to.deep.include({
            action: { type: "Delete" },
            condition: { daysSinceNoncurrentTime: 90, withState: "ARCHIVED" },
        });
        expect(rules.map((r) => (r.action as { type: string }).type)).to.include("AbortIncompleteMultipartUpload");
    });
});

describe("gcp data tiers (gcp-only dev stack)", () => {
    let run: OfflineRun;
    const password = mockPassword("dev-gcp-secrets-db-password");
    before(async () => {
        run = await build(gcpOnly({ gcp: { storage: { nearlineAfterDays: 45 } } }));
    });

    describe("Secrets", () => {
        it("keeps both secrets in the stack's region, encrypted with the Secret Manager key", () => {
            const key = run.one(KEY, "-kms-secrets");
            const grant = run.one(BINDING, "-secrets-agent");
            const secrets = run.ofType(SECRET);
            expect(secrets).to.have.length(2);
            for (const secret of secrets) {
                const replicas = run.plain(secret).replication.userManaged.replicas;
                expect(replicas, secret.name).to.have.length(1);
                expect(replicas[0].location, secret.name).to.equal("us-east1");
                expect(replicas[0].customerManagedEncryption.kmsKeyName, secret.name).to.match(
                    /\/cryptoKeys\/dev-gcp-kms-secrets-/,
                );
                expect(secret.propertyDependencies.replication, secret.name).to.include(key.urn);
                expectDependsOn(secret, grant);
                expect(run.plain(secret), secret.name).to.include({
                    versionDestroyTtl: "604800s",
                    deletionProtection: false,
                });
            }
        });

        it("stores the Mailgun key as a secret in its own secret only", () => {
            const version = run.one(VERSION, "-secrets-mailgun-api-key");
            expect(isSecretValue(version.inputs.secretData)).to.equal(true);
            expect(run.plain(version).secretData).to.equal(TEST_MAILGUN_KEY);
            expectDependsOn(version, run.one(SECRET, "-mailgun-api-key"));
            const hits = run.locate(TEST_MAILGUN_KEY);
            expect(hits.map((h) => `${h.type} ${h.where}.${h.path}`)).to.deep.equal([
                `${VERSION} dev-gcp-secrets-mailgun-api-key.secretData`,
            ]);
            expect(hits.every((h) => h.inSecret)).to.equal(true);
        });
    });

    describe("Database", () => {
        it("runs MySQL 8.4 with a private address only, on the platform's VPC and reserved range", () => {
            const instance = run.one(INSTANCE);
            const inputs = run.plain(instance);
            expect(inputs.databaseVersion).to.equal("MYSQL_8_4");
            expect(inputs.region).to.equal("us-east1");
            const ip = inputs.settings.ipConfiguration;
            expect(ip).to.include({ ipv4Enabled: false, sslMode: "ENCRYPTED_ONLY" });
            expect(ip.authorizedNetworks ?? []).to.deep.equal([]);
            const vpc = run.one("gcp:compute/network:Network", "-vpc");
            const range = run.one("gcp:compute/globalAddress:GlobalAddress", "-private-services");
            expect(ip.privateNetwork).to.match(/\/global\/networks\/dev-gcp-network-vpc-/);
            expect(ip.allocatedIpRange).to.match(/^dev-gcp-network-private-services-/);
            expect(instance.propertyDependencies.settings).to.include.members([vpc.urn, range.urn]);
            expectDependsOn(instance, run.one("gcp:servicenetworking/connection:Connection"));
        });

        it("encrypts with the Cloud SQL key, after Cloud SQL's agent may use it", () => {
            const instance = run.one(INSTANCE);
            expect(run.plain(instance).encryptionKeyName).to.match(/\/cryptoKeys\/dev-gcp-kms-sql-/);
            expect(instance.propertyDependencies.encryptionKeyName).to.deep.equal([run.one(KEY, "-kms-sql").urn]);
            expectDependsOn(instance, run.one(BINDING, "-sql-agent"));
        });

        it("takes daily backups with binary logs (point-in-time recovery) for gcp.db.backupRetentionDays", () => {
            const backups = run.plain(run.one(INSTANCE)).settings.backupConfiguration;
            expect(backups).to.deep.include({
                enabled: true,
                binaryLogEnabled: true,
                transactionLogRetentionDays: 7,
                backupRetentionSettings: { retainedBackups: 7, retentionUnit: "COUNT" },
            });
        });

        it("sizes the instance from gcp.db and is deletable in dev", () => {
            const inputs = run.plain(run.one(INSTANCE));
            expect(inputs.deletionProtection).to.equal(false);
            expect(inputs.settings).to.include({
                tier: "db-g1-small",
                edition: "ENTERPRISE",
                availabilityType: "ZONAL",
                diskSize: 20,
                diskAutoresize: true,
                deletionProtectionEnabled: false,
                retainBackupsOnDelete: false,
            });
            // Slow queries logged; LOAD DATA LOCAL INFILE (reading the client's files) off.
            expect(inputs.settings.databaseFlags).to.deep.equal([
                { name: "slow_query_log", value: "on" },
                { name: "long_query_time", value: "2" },
                { name: "local_infile", value: "off" },
            ]);
        });

        it("creates the application's database and user", () => {
            const instance = run.one(INSTANCE);
            const database = run.one("gcp:sql/database:Database");
            const user = run.one("gcp:sql/user:User");
            expect(run.plain(database)).to.include({ name: "webapp", charset: "utf8mb4" });
            expect(run.plain(user)).to.include({ name: "webapp", host: "%" });
            expect(database.propertyDependencies.instance).to.deep.equal([instance.urn]);
            expect(user.propertyDependencies.instance).to.deep.equal([instance.urn]);
            expect(isSecretValue(user.inputs.password)).to.equal(true);
        });

        it("writes the connection document into the database secret", () => {
            const version = run.one(VERSION, "-database-credentials");
            expect(isSecretValue(version.inputs.secretData)).to.equal(true);
            expectDependsOn(version, run.one(SECRET, "-db-credentials"));
            expect(JSON.parse(run.plain(version).secretData)).to.deep.equal({
                engine: "mysql",
                host: "10.200.0.3",
                port: 3306,
                dbname: "webapp",
                username: "webapp",
                password,
            });
        });

        it("uses the generated password only in the database user and the credentials secret", () => {
            const hits = run.locate(password);
            expect(hits.map((h) => `${h.type} ${h.where}.${h.path}`)).to.have.members([
                "gcp:sql/user:User dev-gcp-database-user.password",
                `${VERSION} dev-gcp-database-credentials.secretData`,
            ]);
            expect(hits.every((h) => h.inSecret)).to.equal(true);
        });
    });

    describe("Storage", () => {
        it("is a private, uniform-access, versioned bucket in the stack's region", () => {
            const inputs = run.plain(run.one(BUCKET, "-storage-bucket"));
            expect(inputs).to.include({
                location: "US-EAST1",
                uniformBucketLevelAccess: true,
                publicAccessPrevention: "enforced",
                forceDestroy: true,
            });
            expect(inputs.versioning).to.deep.equal({ enabled: true });
        });

        it("encrypts with the Cloud Storage key and refuses Google-managed and customer-supplied keys", () => {
            const bucket = run.one(BUCKET, "-storage-bucket");
            const encryption = run.plain(bucket).encryption;
            expect(encryption.defaultKmsKeyName).to.match(/\/cryptoKeys\/dev-gcp-kms-storage-/);
            expect(encryption.googleManagedEncryptionEnforcementConfig).to.deep.equal({
                restrictionMode: "FullyRestricted",
            });
            expect(encryption.customerSuppliedEncryptionEnforcementConfig).to.deep.equal({
                restrictionMode: "FullyRestricted",
            });
            expect(bucket.propertyDependencies.encryption).to.deep.equal([run.one(KEY, "-kms-storage").urn]);
            expectDependsOn(bucket, run.one(BINDING, "-storage-agent"));
        });

        it("moves objects to NEARLINE after gcp.storage.nearlineAfterDays and expires old versions", () => {
            expect(run.plain(run.one(BUCKET, "-storage-bucket")).lifecycleRules).to.deep.equal(
                lifecycleRules({ nearlineAfterDays: 45, noncurrentVersionExpirationDays: 90 }),
            );
        });
    });
});

describe("gcp data tiers outside dev (demo stack)", () => {
    let run: OfflineRun;
    before(async () => {
        run = await build(stackConfig("demo", { gcp: { db: { highAvailability: true } } }));
    });

    it("protects the database from deletion in Pulumi and in the Cloud SQL API", () => {
        const inputs = run.plain(run.one(INSTANCE));
        expect(inputs.deletionProtection).to.equal(true);
        expect(inputs.settings).to.include({
            deletionProtectionEnabled: true,
            retainBackupsOnDelete: true,
            availabilityType: "REGIONAL",
        });
    });

    it("protects the secrets and keeps destroyed versions restorable for 30 days", () => {
        for (const secret of run.ofType(SECRET)) {
            expect(run.plain(secret), secret.name).to.include({
                deletionProtection: true,
                versionDestroyTtl: "2592000s",
            });
        }
    });

    it("never force-deletes a bucket that holds objects", () => {
        expect(run.plain(run.one(BUCKET, "-storage-bucket")).forceDestroy).to.equal(false);
    });
});

describe("gcp access granted by the owner", () => {
    const member = `serviceAccount:app@${TEST_PROJECT}.iam.gserviceaccount.com`;
    let run: OfflineRun;
    let passwordIsSecret: boolean;
    before(async () => {
        const cfg = gcpOnly();
        run = await runOffline(
            async () => {
                const platform = createGcpPlatform(gcpContext(cfg));
                platform.secrets.grantRead("database", "app", member);
                platform.storage.grantReadWrite("app", member);
                passwordIsSecret = await pulumi.isSecret(platform.secrets.databasePassword);
                return {};
            },
            { stack: "dev" },
        );
    });

    it("grants read access to one secret's payload", () => {
        const binding = run.one("gcp:secretmanager/secretIamMember:SecretIamMember", "-reader-app");
        expect(binding.name).to.equal("dev-gcp-secrets-database-reader-app");
        expect(run.plain(binding)).to.include({ role: SECRET_ACCESSOR_ROLE, member });
        expect(binding.propertyDependencies.secretId).to.deep.equal([run.one(SECRET, "-db-credentials").urn]);
    });

    it("grants object read, write and delete on the bucket", () => {
        const binding = run.one("gcp:storage/bucketIAMMember:BucketIAMMember", "-read-write-app");
        expect(run.plain(binding)).to.include({ role: OBJECT_READ_WRITE_ROLE, member });
        expect(binding.propertyDependencies.bucket).to.deep.equal([run.one(BUCKET, "-storage-bucket").urn]);
    });

    it("hands out the generated password only as a secret", () => {
        expect(passwordIsSecret).to.equal(true);
    });
});
