/** GCP usage logs: the application and function-source buckets log into the stack's log bucket. */
import { expect } from "chai";
import { USAGE_LOG_DAYS, USAGE_LOG_WRITER } from "../../components/gcp/storage";
import { autoName } from "../../tools/offline/mocks";
import type { OfflineRun } from "../../tools/offline/run";
import { buildStack } from "../support";

const BUCKET = "gcp:storage/bucket:Bucket";
const MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember";

describe("gcp usage logs (demo stack)", () => {
    let run: OfflineRun;
    before(async () => {
        run = await buildStack("demo");
    });

    it("sends the application and function-source buckets' usage logs to the log bucket", () => {
        const logs = run.one(BUCKET, "demo-gcp-storage-logs");
        // The bucket's auto-name, as the mocks give it.
        const name = autoName(logs.name, 63);
        const logged = run
            .ofType(BUCKET)
            .filter((b) => run.plain(b).logging !== undefined)
            .map((b) => [b.name, run.plain(b).logging, (b.propertyDependencies.logging ?? []).includes(logs.urn)]);
        expect(logged).to.deep.equal([
            ["demo-gcp-messaging-source", { logBucket: name, logObjectPrefix: "messaging-source" }, true],
            ["demo-gcp-storage-bucket", { logBucket: name, logObjectPrefix: "storage" }, true],
        ]);
        expect(run.plain(logs).logging).to.equal(undefined);
    });

    it("keeps the log bucket private, encrypted, versioned and expiring, written by the analytics group only", () => {
        const logs = run.one(BUCKET, "demo-gcp-storage-logs");
        const inputs = run.plain(logs);
        expect(inputs.publicAccessPrevention).to.equal("enforced");
        expect(inputs.uniformBucketLevelAccess).to.equal(true);
        expect(inputs.versioning).to.deep.equal({ enabled: true });
        expect(inputs.encryption.defaultKmsKeyName).to.be.a("string").and.not.equal("");
        expect(inputs.lifecycleRules[0]).to.deep.equal({
            action: { type: "Delete" },
            condition: { age: USAGE_LOG_DAYS },
        });
        const writers = run
            .ofType(MEMBER)
            .filter((m) => (m.propertyDependencies.bucket ?? []).includes(logs.urn))
            .map((m) => [run.plain(m).role, run.plain(m).member]);
        expect(writers).to.deep.equal([["roles/storage.objectCreator", USAGE_LOG_WRITER]]);
        expect(USAGE_LOG_WRITER).to.equal("group:cloud-storage-analytics@google.com");
    });

    it("versions the function's source bucket", () => {
        expect(run.plain(run.one(BUCKET, "demo-gcp-messaging-source")).versioning).to.deep.equal({ enabled: true });
    });
});
