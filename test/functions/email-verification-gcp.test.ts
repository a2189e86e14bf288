/**
 * The Cloud Functions adapter end to end against loopback fakes that answer as the providers
 * document (test/fakes/): the metadata server (access token), Secret Manager's REST API and
 * Mailgun, reached through the test-only URL overrides.
 */
import { expect } from "chai";
import {
    createCloudEventHandler,
    createPushHandler,
    messageFromCloudEvent,
    type CloudEventHandlerOptions,
    type PushResponse,
} from "../../functions/email-verification/gcp";
import { FAKE_ACCESS_TOKEN, fakeMetadataServer, FakeSecretManager } from "../fakes/google";
import { basicAuth, fakeMailgun, formOf, MAILGUN_DOMAIN } from "../fakes/mailgun";
import type { FakeServer } from "../fakes/server";
import { collectingLogger, FakeClock, pubSubEvent } from "./fakes";

const VERSION = "projects/demo-project/secrets/mailgun-api-key/versions/latest";
const KEY = "key-gcp-0123456789abcdef0123456789abcdef";
const TOKEN = "verify-token-0123456789";

interface FakeGoogleOptions {
    readonly mailgunKeys?: string[];
    readonly env?: Record<string, string | undefined>;
}

/**
 * Loopback fakes of the metadata server, Secret Manager (holding KEY at VERSION) and Mailgun
 * (added to `servers` for closing), and handler options that reach them.
 */
async function fakeGoogle(servers: FakeServer[], options: FakeGoogleOptions = {}) {
    const metadata = await fakeMetadataServer();
    const secretManager = await FakeSecretManager.start({ project: "demo-project" });
    secretManager.addVersion("mailgun-api-key", KEY);
    const mailgun = await fakeMailgun(options.mailgunKeys ?? [KEY]);
    servers.push(metadata, secretManager.server, mailgun);
    const logs = collectingLogger();
    const clock = new FakeClock();
    const handlerOptions: CloudEventHandlerOptions = {
        env: {
            DOMAIN_NAME: "api.example.com",
            MAILGUN_DOMAIN,
            MAILGUN_API_BASE_URL: mailgun.url,
            MAILGUN_SECRET_VERSION: VERSION,
            GCE_METADATA_HOST: metadata.host,
            SECRET_MANAGER_API_URL: secretManager.url,
            ...options.env,
        },
        clock,
        logger: logs.logger,
        random: () => 0.5,
    };
    return { options: handlerOptions, metadata, secretManager, mailgun, logs, clock };
}

describe("e-mail verification: Cloud Functions adapter against loopback metadata, Secret Manager and Mailgun", () => {
    let servers: FakeServer[] = [];

    afterEach(async () => {
        await Promise.all(servers.map((s) => s.close()));
        servers = [];
    });

    async function setup(options: FakeGoogleOptions = {}) {
        const google = await fakeGoogle(servers, options);
        return { handler: createCloudEventHandler(google.options), ...google };
    }

    it("reads the key with a metadata-server token and sends the e-mail", async () => {
        const { handler, metadata, secretManager, mailgun, logs } = await setup();

        await handler(pubSubEvent(JSON.stringify({ email: "ana@example.com", token: TOKEN, firstName: "Ana" })));

        expect(metadata.requests).to.have.length(1);
        expect(metadata.requests[0].headers["metadata-flavor"]).to.equal("Google");
        expect(secretManager.accessRequests).to.have.length(1);
        expect(secretManager.accessRequests[0].path).to.equal(`/v1/${VERSION}:access`);
        expect(secretManager.accessRequests[0].headers.authorization).to.equal(`Bearer ${FAKE_ACCESS_TOKEN}`);
        expect(mailgun.requests).to.have.length(1);
        expect(mailgun.requests[0].path).to.equal(`/v3/${MAILGUN_DOMAIN}/messages`);
        expect(mailgun.requests[0].headers.authorization).to.equal(basicAuth(KEY));
        const form = formOf(mailgun.requests[0]);
        expect(form.from).to.equal(`noreply@${MAILGUN_DOMAIN}`);
        expect(form.to).to.equal("ana@example.com");
        expect(form.text).to.include(`https://api.example.com/v1/user/verify?email=ana%40example.com&token=${TOKEN}`);
        expect(logs.records().find((r) => r.event === "email.sent")).to.include({
            messageId: "pubsub-1",
            eventId: "event-pubsub-1",
            severity: "INFO",
        });
        for (const line of logs.lines) {
            expect(line).not.to.include(KEY);
            expect(line).not.to.include(TOKEN);
            expect(line).not.to.include(FAKE_ACCESS_TOKEN);
        }
    });

    it("reads the token and the key once per instance", async () => {
        const { handler, metadata, secretManager, mailgun } = await setup();

        for (let i = 0; i < 3; i++) {
            await handler(pubSubEvent(JSON.stringify({ email: `u${i}@example.com`, token: TOKEN }), `m-${i}`));
        }

        expect(mailgun.requests).to.have.length(3);
        expect(metadata.requests).to.have.length(1);
        expect(secretManager.accessRequests).to.have.length(1);
    });

    it("fails on a malformed payload (so the push subscription dead-letters it) without calling Mailgun", async () => {
        const { handler, mailgun, logs } = await setup();

        for (const event of [
            pubSubEvent("{not json"),
            pubSubEvent(JSON.stringify({ email: "ana@example.com" })),
            { id: "no-data", type: "google.cloud.pubsub.topic.v1.messagePublished" },
        ]) {
            const error = await handler(event).then(
                () => undefined,
                (e: Error) => e,
            );
            expect(error?.message).to.match(/invalid registration message/);
        }
        expect(mailgun.requests).to.have.length(0);
        expect(logs.records().filter((r) => r.event === "message.invalid")).to.have.length(3);
    });

    it("fails without a retry loop when Mailgun rejects the key", async () => {
        const { handler, mailgun, secretManager, clock } = await setup({ mailgunKeys: [] });

        const error = await handler(pubSubEvent(JSON.stringify({ email: "ana@example.com", token: TOKEN }))).then(
            () => undefined,
            (e: Error) => e,
        );

        expect(error?.message).to.match(/Mailgun answered 401/);
        expect(mailgun.requests).to.have.length(1);
        expect(secretManager.accessRequests).to.have.length(2);
        expect(clock.sleeps).to.deep.equal([]);
    });

    it("reports a Secret Manager refusal and a malformed secret reference clearly", async () => {
        const other = "projects/demo-project/secrets/other/versions/1";
        const { handler, mailgun } = await setup({ env: { MAILGUN_SECRET_VERSION: other } });
        const refused = await handler(pubSubEvent(JSON.stringify({ email: "ana@example.com", token: TOKEN }))).then(
            () => undefined,
            (e: Error) => e,
        );
        expect(refused?.message).to.include(`Secret Manager answered 404 for ${other}`);
        expect(mailgun.requests).to.have.length(0);

        const { handler: misconfigured } = await setup({ env: { MAILGUN_SECRET_VERSION: "mailgun-api-key" } });
        const error = await misconfigured(pubSubEvent("{}")).then(
            () => undefined,
            (e: Error) => e,
        );
        expect(error?.message).to.match(/^MAILGUN_SECRET_VERSION must look like projects\//);
    });

    it("decodes the base64 Pub/Sub payload and takes the Pub/Sub message id", () => {
        expect(messageFromCloudEvent(pubSubEvent('{"a":"é"}', "m-9"))).to.deep.equal({ id: "m-9", body: '{"a":"é"}' });
        expect(messageFromCloudEvent({ id: "e-1", data: {} })).to.deep.equal({ id: "e-1", body: "" });
        expect(messageFromCloudEvent(undefined)).to.deep.equal({ id: "unknown", body: "" });
    });
});

/** A recording stand-in for the Functions Framework's response. */
function recordingResponse(): PushResponse & { code?: number; body?: string } {
    const response: PushResponse & { code?: number; body?: string } = {
        status(code: number) {
            response.code = code;
            return response;
        },
        send(body?: string) {
            response.body = body;
        },
    };
    return response;
}

describe("e-mail verification: the push endpoint (HTTP function behind the Pub/Sub push subscription)", () => {
    let servers: FakeServer[] = [];

    afterEach(async () => {
        await Promise.all(servers.map((s) => s.close()));
        servers = [];
    });

    async function setup() {
        const google = await fakeGoogle(servers);
        return { handler: createPushHandler(google.options), ...google };
    }

    /** What Pub/Sub POSTs: the wrapped push body, `{message, subscription}`. */
    const push = (body: string, messageId = "push-1") => ({ method: "POST", body: pubSubEvent(body, messageId).data });

    it("sends the e-mail and acknowledges with 204", async () => {
        const { handler, mailgun, logs } = await setup();
        const response = recordingResponse();

        await handler(push(JSON.stringify({ email: "ana@example.com", token: TOKEN })), response);

        expect(response.code).to.equal(204);
        expect(mailgun.requests.map((r) => formOf(r).to)).to.deep.equal(["ana@example.com"]);
        expect(logs.records().find((r) => r.event === "email.sent")).to.include({
            messageId: "push-1",
            eventId: "push-1",
        });
    });

    it("answers 500 to a malformed message, so Pub/Sub retries and then dead-letters it", async () => {
        const { handler, mailgun, logs } = await setup();
        for (const request of [push("{not json"), { method: "POST", body: "not json at all" }, { method: "POST" }]) {
            const response = recordingResponse();
            await handler(request, response);
            expect(response.code).to.equal(500);
            expect(response.body).to.equal("not delivered");
        }
        expect(mailgun.requests).to.have.length(0);
        expect(logs.records().filter((r) => r.event === "message.invalid")).to.have.length(3);
    });

    it("parses a body that arrives as text", async () => {
        const { handler, mailgun } = await setup();
        const response = recordingResponse();
        const text = JSON.stringify(pubSubEvent(JSON.stringify({ email: "bo@example.com", token: TOKEN })).data);

        await handler({ method: "POST", body: Buffer.from(text) }, response);

        expect(response.code).to.equal(204);
        expect(mailgun.requests.map((r) => formOf(r).to)).to.deep.equal(["bo@example.com"]);
    });

    it("refuses anything but POST without touching Mailgun", async () => {
        const { handler, mailgun } = await setup();
        const response = recordingResponse();
        await handler({ method: "GET" }, response);
        expect(response.code).to.equal(405);
        expect(mailgun.requests).to.have.length(0);
    });
});
