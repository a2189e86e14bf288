import { expect } from "chai";
import { APP_TIER_APIS, CLOUD_DNS_API, DATA_TIER_APIS } from "../../components/gcp/apis";
import { ENCRYPTER_DECRYPTER_ROLE, KEY_PURPOSES, rotationPeriod } from "../../components/gcp/kms";
import { computeServiceAgent, daysAsDuration } from "../../components/gcp/project";
import { MOCK_GCP_PROJECT_NUMBER } from "../../tools/offline/mocks";
import type { OfflineRun } from "../../tools/offline/run";
import { build } from "../support";
import { expectDependsOn, gcpOnly, TEST_PROJECT } from "./helpers";

const KEY = "gcp:kms/cryptoKey:CryptoKey";
const BINDING = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember";
const n = MOCK_GCP_PROJECT_NUMBER;

describe("gcp Kms: durations and agents", () => {
    it("turns days into Cloud KMS durations", () => {
        expect(rotationPeriod(90)).to.equal("7776000s");
        expect(rotationPeriod(1)).to.equal("86400s");
        expect(daysAsDuration(30)).to.equal("2592000s");
    });

    it("rejects rotation periods that are not whole days of at least one", () => {
        expect(() => rotationPeriod(0)).to.throw(RangeError);
        expect(() => rotationPeriod(1.5)).to.throw(RangeError);
    });

    it("names the Compute Engine service agent after the project number", () => {
        expect(computeServiceAgent("42")).to.equal("service-42@compute-system.iam.gserviceaccount.com");
    });
});

describe("gcp Kms (gcp-only dev stack)", () => {
    let run: OfflineRun;
    before(async () => {
        run = await build(gcpOnly({ gcp: { kmsRotationDays: 30 } }));
    });

    it("keeps four symmetric keys (and the messaging tier's own) in one key ring in the stack's region", () => {
        const ring = run.one("gcp:kms/keyRing:KeyRing");
        expect(run.plain(ring).location).to.equal("us-east1");
        const keys = run.ofType(KEY);
        expect(keys.map((k) => k.name)).to.have.members([
            ...KEY_PURPOSES.map((p) => `dev-gcp-kms-${p}`),
            "dev-gcp-messaging-key",
        ]);
        expect(keys).to.have.length(5);
        for (const key of keys) {
            expect(key.propertyDependencies.keyRing, key.name).to.include(ring.urn);
            expect(run.plain(key), key.name).to.deep.include({
                purpose: "ENCRYPT_DECRYPT",
                versionTemplate: { algorithm: "GOOGLE_SYMMETRIC_ENCRYPTION", protectionLevel: "SOFTWARE" },
                destroyScheduledDuration: "2592000s",
            });
        }
    });

    it("rotates every key every gcp.kmsRotationDays days", () => {
        const keys = run.ofType(KEY);
        expect(keys, "the four platform keys and the messaging key").to.have.length(5);
        for (const key of keys) {
            expect(run.plain(key).rotationPeriod, key.name).to.equal("2592000s");
        }
    });

    it("lets each service agent encrypt and decrypt with its own key only", () => {
        const expected: Record<string, string> = {
            disk: `serviceAccount:service-${n}@compute-system.iam.gserviceaccount.com`,
            sql: `serviceAccount:service-${n}@gcp-sa-cloud-sql.iam.gserviceaccount.com`,
            storage: `serviceAccount:service-${n}@gs-project-accounts.iam.gserviceaccount.com`,
            secrets: `serviceAccount:service-${n}@gcp-sa-secretmanager.iam.gserviceaccount.com`,
        };
        const bindings = run.ofType(BINDING).filter((b) => b.name.startsWith("dev-gcp-kms-"));
        expect(bindings).to.have.length(4);
        for (const purpose of KEY_PURPOSES) {
            const binding = run.one(BINDING, `-${purpose}-agent`);
            const key = run.one(KEY, `-kms-${purpose}`);
            expect(run.plain(binding), purpose).to.include({
                role: ENCRYPTER_DECRYPTER_ROLE,
                member: expected[purpose],
            });
            expect(binding.propertyDependencies.cryptoKeyId, purpose).to.deep.equal([key.urn]);
        }
    });

    it("asks for the Cloud SQL and Secret Manager agents and looks up the Storage agent and project number", () => {
        const identities = run.ofType("gcp:projects/serviceIdentity:ServiceIdentity").map((r) => run.plain(r).service);
        expect(identities).to.have.members([
            "sqladmin.googleapis.com",
            "secretmanager.googleapis.com",
            "pubsub.googleapis.com",
        ]);
        expectDependsOn(
            run.one(BINDING, "-sql-agent"),
            run.one("gcp:projects/serviceIdentity:ServiceIdentity", "-sql-agent"),
        );
        const tokens = run.invokes.map((i) => i.token);
        expect(tokens).to.include("gcp:storage/getProjectServiceAccount:getProjectServiceAccount");
        const project = run.invokes.find((i) => i.token === "gcp:organizations/getProject:getProject");
        expect(project?.inputs).to.deep.include({ projectId: TEST_PROJECT });
    });
});

describe("gcp Apis (gcp-only dev stack)", () => {
    let run: OfflineRun;
    before(async () => {
        run = await build(gcpOnly());
    });

    it("enables the APIs of every tier and Cloud DNS, and leaves them enabled on destroy", () => {
        const services = run.ofType("gcp:projects/service:Service");
        expect(services.map((s) => run.plain(s).service)).to.have.members([
            ...DATA_TIER_APIS,
            ...APP_TIER_APIS,
            CLOUD_DNS_API,
        ]);
        for (const service of services) {
            expect(run.plain(service), service.name).to.include({ disableOnDestroy: false });
        }
    });

    it("builds every tier after the APIs are enabled", () => {
        const services = run.ofType("gcp:projects/service:Service");
        expect(services, "6 data-tier, 9 application-tier APIs and Cloud DNS").to.have.length(16);
        for (const tier of [
            "Network",
            "Kms",
            "Secrets",
            "Database",
            "Storage",
            "Messaging",
            "Compute",
            "Dns",
            "Monitoring",
        ]) {
            const component = run.one(`webapp:gcp:${tier}`);
            for (const service of services) {
                expectDependsOn(component, service);
            }
        }
    });
});
