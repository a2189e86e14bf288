import { expect } from "chai";
import { ENCRYPTER_DECRYPTER_ROLE } from "../../components/gcp/kms";
import {
    DEAD_LETTER_RETENTION_DAYS,
    FUNCTION_SERVICE,
    PUSH_DELIVERY,
    RUN_INVOKER_ROLE,
    serviceName,
    TOKEN_CREATOR_ROLE,
} from "../../components/gcp/messaging";
import { SECRET_ACCESSOR_ROLE } from "../../components/gcp/secrets";
import * as path from "node:path";
import { EMAIL_FUNCTION_DIST, EMAIL_FUNCTION_ENTRY_POINT } from "../../functions/bundle";
import { ENV } from "../../functions/email-verification/settings";
import { MOCK_GCP_PROJECT_NUMBER } from "../../tools/offline/mocks";
import type { OfflineRun, RecordedResource } from "../../tools/offline/run";
import { isSecretValue } from "../../tools/offline/values";
import { build, stackConfig, TEST_MAILGUN_KEY } from "../support";
import { expectDependsOn, gcpOnly, TEST_PROJECT } from "./helpers";

const TOPIC = "gcp:pubsub/topic:Topic";
const SUBSCRIPTION = "gcp:pubsub/subscription:Subscription";
const FUNCTION = "gcp:cloudfunctionsv2/function:Function";
const ACCOUNT = "gcp:serviceaccount/account:Account";
const PUBSUB_AGENT = `serviceAccount:service-${MOCK_GCP_PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com`;

const account = (env: string, role: string) => `${env}-${role}@${TEST_PROJECT}.iam.gserviceaccount.com`;

/** Every IAM grant (any IAM member resource) to `member`. */
function grantsTo(run: OfflineRun, member: string): RecordedResource[] {
    return run.resources.filter((r) => /iam[mM]ember:/i.test(r.type) && run.plain(r).member === member);
}

describe("gcp Messaging: pure parts", () => {
    it("takes the Cloud Run service name from the function's service", () => {
        expect(serviceName("projects/p/locations/us-east1/services/fn-123")).to.equal("fn-123");
        expect(() => serviceName(undefined)).to.throw(/no Cloud Run service/);
    });

    it("waits longer for an answer than the function may run", () => {
        expect(PUSH_DELIVERY.ackDeadlineSeconds).to.be.greaterThan(FUNCTION_SERVICE.timeoutSeconds);
        expect(PUSH_DELIVERY.maxDeliveryAttempts).to.be.within(5, 100);
    });
});

describe("gcp Messaging (gcp-only dev stack)", () => {
    let run: OfflineRun;
    before(async () => {
        run = await build(gcpOnly());
    });

    const fn = () => run.one(FUNCTION);

    it("encrypts both topics with the tier's own key, which only the Pub/Sub agent may use", () => {
        const key = run.one("gcp:kms/cryptoKey:CryptoKey", "-messaging-key");
        expect(key.propertyDependencies.keyRing).to.deep.equal([run.one("gcp:kms/keyRing:KeyRing").urn]);
        const grant = run.one("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "-messaging-key-pubsub-agent");
        expect(run.plain(grant)).to.include({ role: ENCRYPTER_DECRYPTER_ROLE, member: PUBSUB_AGENT });
        expect(grant.propertyDependencies.cryptoKeyId).to.deep.equal([key.urn]);
        const topics = run.ofType(TOPIC);
        expect(topics.map((t) => t.name)).to.have.members(["dev-gcp-messaging-topic", "dev-gcp-messaging-dead-letter"]);
        for (const topic of topics) {
            expect(run.plain(topic).kmsKeyName, topic.name).to.match(/\/cryptoKeys\/dev-gcp-messaging-key-/);
            expect(topic.propertyDependencies.kmsKeyName, topic.name).to.deep.equal([key.urn]);
            expectDependsOn(topic, grant);
        }
    });

    it("pushes each event to the function with an OIDC token of its own identity", () => {
        const push = run.one(SUBSCRIPTION, "-messaging-push");
        const inputs = run.plain(push);
        expect(push.propertyDependencies.topic).to.deep.equal([run.one(TOPIC, "-messaging-topic").urn]);
        expect(inputs.pushConfig.pushEndpoint).to.match(/^https:\/\/dev-gcp-messaging-function-.*\.run\.app$/);
        expect(inputs.pushConfig.oidcToken).to.deep.equal({
            serviceAccountEmail: account("dev", "email-push"),
            audience: inputs.pushConfig.pushEndpoint,
        });
        expect(push.propertyDependencies.pushConfig).to.include(fn().urn);
        expect(inputs.ackDeadlineSeconds).to.equal(PUSH_DELIVERY.ackDeadlineSeconds);
        expect(inputs.retryPolicy).to.deep.equal({ minimumBackoff: "10s", maximumBackoff: "600s" });
        expect(inputs.expirationPolicy).to.deep.equal({ ttl: "" });
    });

    it("moves an event that failed 5 deliveries to the dead-letter topic, which keeps it 14 days", () => {
        const push = run.one(SUBSCRIPTION, "-messaging-push");
        const deadLetter = run.one(TOPIC, "-messaging-dead-letter");
        const policy = run.plain(push).deadLetterPolicy;
        expect(policy.maxDeliveryAttempts).to.equal(5);
        expect(policy.deadLetterTopic).to.match(
            new RegExp(`^projects/${TEST_PROJECT}/topics/dev-gcp-messaging-dead-letter-\\w+$`),
        );
        expect(push.propertyDependencies.deadLetterPolicy).to.deep.equal([deadLetter.urn]);
        const keeper = run.one(SUBSCRIPTION, "-messaging-dead-letter");
        expect(keeper.propertyDependencies.topic).to.deep.equal([deadLetter.urn]);
        expect(run.plain(keeper)).to.deep.include({
            messageRetentionDuration: `${DEAD_LETTER_RETENTION_DAYS * 86400}s`,
            expirationPolicy: { ttl: "" },
        });
        expect(run.plain(keeper)).to.not.have.property("pushConfig");
    });

    it("lets the Pub/Sub agent dead-letter (publish there, acknowledge here) and mint the push tokens", () => {
        const grants = grantsTo(run, PUBSUB_AGENT).filter((g) => !g.type.startsWith("gcp:kms/"));
        expect(grants.map((g) => `${g.name} ${run.plain(g).role}`)).to.have.members([
            "dev-gcp-messaging-dead-letter-publisher roles/pubsub.publisher",
            "dev-gcp-messaging-push-dead-letter-subscriber roles/pubsub.subscriber",
            `dev-gcp-messaging-push-token-creator ${TOKEN_CREATOR_ROLE}`,
        ]);
        const byName = (suffix: string) => grants.find((g) => g.name.endsWith(suffix))!;
        expect(byName("-dead-letter-publisher").propertyDependencies.topic).to.deep.equal([
            run.one(TOPIC, "-messaging-dead-letter").urn,
        ]);
        expect(byName("-push-dead-letter-subscriber").propertyDependencies.subscription).to.deep.equal([
            run.one(SUBSCRIPTION, "-messaging-push").urn,
        ]);
        expect(byName("-push-token-creator").propertyDependencies.serviceAccountId).to.deep.equal([
            run.one(ACCOUNT, "-email-push").urn,
        ]);
    });

    it("runs the bundled handler on Node.js 22, private, as its own service account", () => {
        const inputs = run.plain(fn());
        expect(inputs.location).to.equal("us-east1");
        expect(inputs.buildConfig).to.deep.include({
            runtime: "nodejs22",
            entryPoint: EMAIL_FUNCTION_ENTRY_POINT.gcp,
            serviceAccount: `projects/${TEST_PROJECT}/serviceAccounts/${account("dev", "email-build")}`,
        });
        expect(inputs.serviceConfig).to.deep.include({
            ingressSettings: "ALLOW_INTERNAL_ONLY",
            serviceAccountEmail: account("dev", "email-fn"),
            maxInstanceRequestConcurrency: 1,
        });
        expect(inputs).to.not.have.property("eventTrigger");
    });

    it("builds from the bundle in a private, CMEK-encrypted source bucket", async () => {
        const bucket = run.one("gcp:storage/bucket:Bucket", "-messaging-source");
        expect(run.plain(bucket)).to.deep.include({
            uniformBucketLevelAccess: true,
            publicAccessPrevention: "enforced",
            forceDestroy: true,
        });
        expect(run.plain(bucket).encryption.defaultKmsKeyName).to.match(/\/cryptoKeys\/dev-gcp-kms-storage-/);
        expectDependsOn(bucket, run.one("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "-storage-agent"));
        const object = run.one("gcp:storage/bucketObject:BucketObject");
        const archive = object.inputs.source as { assets: Promise<Record<string, { path: Promise<string> }>> };
        const assets = await archive.assets;
        expect(Object.keys(assets).sort()).to.deep.equal(["index.js", "package.json"]);
        expect(await assets["index.js"].path).to.equal(path.join(EMAIL_FUNCTION_DIST, "gcp", "index.js"));
        expect(object.propertyDependencies.bucket).to.deep.equal([bucket.urn]);
        const source = run.plain(fn()).buildConfig.source.storageSource;
        expect(source.bucket).to.equal(run.plain(object).bucket);
        expect(source.generation).to.be.a("number");
        expect(fn().propertyDependencies.buildConfig).to.include.members([bucket.urn, object.urn]);
    });

    it("configures the function with names only: no secret value in its environment", () => {
        const env = run.plain(fn()).serviceConfig.environmentVariables;
        expect(env).to.have.all.keys([
            ENV.gcpSecretVersion,
            ENV.domainName,
            ENV.mailgunDomain,
            ENV.mailgunFrom,
            ENV.mailgunApiBaseUrl,
        ]);
        expect(env[ENV.gcpSecretVersion]).to.match(
            new RegExp(`^projects/${TEST_PROJECT}/secrets/dev-gcp-secrets-mailgun-api-key-\\w+/versions/latest$`),
        );
        expect(env).to.include({
            [ENV.domainName]: "dev.example.com",
            [ENV.mailgunDomain]: "mg.example.com",
            [ENV.mailgunFrom]: "noreply@mg.example.com",
            [ENV.mailgunApiBaseUrl]: "https://api.mailgun.net",
        });
        expect(JSON.stringify(env)).not.to.include(TEST_MAILGUN_KEY);
        const raw = fn().inputs.serviceConfig as Record<string, unknown>;
        expect(isSecretValue(raw), "the service config is not secret (it holds no secret)").to.equal(false);
    });

    it("gives the function's account read access to the Mailgun secret and nothing else", () => {
        const grants = grantsTo(run, `serviceAccount:${account("dev", "email-fn")}`);
        expect(grants.map((g) => `${g.type} ${run.plain(g).role}`)).to.deep.equal([
            `gcp:secretmanager/secretIamMember:SecretIamMember ${SECRET_ACCESSOR_ROLE}`,
        ]);
        expect(grants[0].propertyDependencies.secretId).to.deep.equal([
            run.one("gcp:secretmanager/secret:Secret", "-mailgun-api-key").urn,
        ]);
    });

    it("lets only the push identity invoke the function", () => {
        const invokers = run.ofType("gcp:cloudrunv2/serviceIamMember:ServiceIamMember");
        expect(invokers).to.have.length(1);
        expect(run.plain(invokers[0])).to.include({
            role: RUN_INVOKER_ROLE,
            member: `serviceAccount:${account("dev", "email-push")}`,
            location: "us-east1",
        });
        expect(run.plain(invokers[0]).name).to.match(/^dev-gcp-messaging-function-/);
        expect(invokers[0].propertyDependencies.name).to.deep.equal([fn().urn]);
        const push = run.one(SUBSCRIPTION, "-messaging-push");
        expectDependsOn(push, invokers[0]);
        expectDependsOn(push, run.one("gcp:serviceaccount/iAMMember:IAMMember", "-push-token-creator"));
        expect(grantsTo(run, `serviceAccount:${account("dev", "email-push")}`)).to.deep.equal([invokers[0]]);
    });

    it("builds with its own account: logs, images, and read access to the source bucket", () => {
        const grants = grantsTo(run, `serviceAccount:${account("dev", "email-build")}`);
        expect(grants.map((g) => run.plain(g).role)).to.have.members([
            "roles/logging.logWriter",
            "roles/artifactregistry.writer",
            "roles/storage.objectViewer",
        ]);
        for (const grant of grants) {
            expectDependsOn(fn(), grant);
        }
        const viewer = grants.find((g) => run.plain(g).role === "roles/storage.objectViewer")!;
        expect(viewer.propertyDependencies.bucket).to.deep.equal([
            run.one("gcp:storage/bucket:Bucket", "-messaging-source").urn,
        ]);
    });

    it("alerts as soon as an event waits in the dead-letter subscription", () => {
        const alert = run.one("gcp:monitoring/alertPolicy:AlertPolicy", "-messaging-dead-letter-alert");
        const condition = run.plain(alert).conditions[0].conditionThreshold;
        expect(condition.filter).to.include("pubsub.googleapis.com/subscription/num_undelivered_messages");
        expect(condition.filter).to.match(/resource\.labels\.subscription_id = "dev-gcp-messaging-dead-letter-\w+"/);
        expect(alert.propertyDependencies.conditions).to.deep.equal([
            run.one(SUBSCRIPTION, "-messaging-dead-letter").urn,
        ]);
        expect(condition).to.include({ comparison: "COMPARISON_GT", thresholdValue: 0 });
        expect(run.plain(alert).notificationChannels, "no channel without monitoring.alarmEmail").to.deep.equal([]);
    });

    it("exports the topic, the function and the dead-letter topic", () => {
        const gcp = run.outputs.gcp as Record<string, string>;
        expect(gcp.registrationTopic).to.match(new RegExp(`^projects/${TEST_PROJECT}/topics/dev-gcp-messaging-topic-`));
        expect(gcp.emailFunctionName).to.match(/^dev-gcp-messaging-function-/);
        expect(gcp.emailDeadLetterTopic).to.match(/\/topics\/dev-gcp-messaging-dead-letter-/);
        expect(gcp.emailDeadLetterSubscription).to.match(/\/subscriptions\/dev-gcp-messaging-dead-letter-/);
    });
});

describe("gcp Messaging outside dev (demo stack)", () => {
    let run: OfflineRun;
    before(async () => {
        run = await build(stackConfig("demo", { monitoring: { alarmEmail: "ops@example.com" } }));
    });

    it("keeps the source bucket on destroy and notifies the ops channel", () => {
        expect(run.plain(run.one("gcp:storage/bucket:Bucket", "-messaging-source")).forceDestroy).to.equal(false);
        const channel = run.one("gcp:monitoring/notificationChannel:NotificationChannel");
        const alert = run.one("gcp:monitoring/alertPolicy:AlertPolicy", "-messaging-dead-letter-alert");
        expect(alert.propertyDependencies.notificationChannels).to.deep.equal([channel.urn]);
    });

    it("names the service accounts after the environment", () => {
        expect(run.ofType(ACCOUNT).map((a) => run.plain(a).accountId)).to.have.members([
            "demo-app-vm",
            "demo-email-fn",
            "demo-email-push",
            "demo-email-build",
        ]);
    });
});
