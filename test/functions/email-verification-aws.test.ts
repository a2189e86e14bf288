/**
 * The Lambda adapter end to end against loopback fakes: Mailgun's HTTP API and Secrets Manager
 * (the real AWS SDK client pointed at a local endpoint with static credentials).
 */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { expect } from "chai";
import { createLambdaHandler, InvalidEventError, type LambdaContext } from "../../functions/email-verification/aws";
import {
    basicAuth,
    collectingLogger,
    FakeClock,
    fakeMailgun,
    fakeSecretsManager,
    formOf,
    MAILGUN_DOMAIN,
    snsEvent,
    type FakeServer,
    type Reply,
} from "./fakes";

const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:webapp-mailgun-AbCdEf";
const KEY = "key-live-0123456789abcdef0123456789abcdef";
const NEW_KEY = "key-live-fedcba9876543210fedcba9876543210";

const JANE = { email: "jane.doe+signup@example.com", token: "tok/en+1=2&x-secret-9f8e7d", firstName: "Jane" };
const registration = (i: number) => ({ email: `user${i}@example.com`, token: `token-${i}-abcdefgh1234` });

interface Setup {
    mailgunKeys?: string[];
    mailgunScript?: Array<Reply | undefined>;
    secretValues?: string[];
    secretFailures?: Array<Reply | undefined>;
    env?: Record<string, string | undefined>;
    random?: () => number;
}

describe("e-mail verification: Lambda adapter against loopback Mailgun and Secrets Manager", () => {
    let servers: FakeServer[] = [];

    afterEach(async () => {
        await Promise.all(servers.map((s) => s.close()));
        servers = [];
    });

    async function setup(options: Setup = {}) {
        const mailgun = await fakeMailgun(options.mailgunKeys ?? [KEY], options.mailgunScript);
        const secrets = await fakeSecretsManager(SECRET_ARN, options.secretValues ?? [KEY], options.secretFailures);
        servers.push(mailgun, secrets);
        const clock = new FakeClock();
        const logs = collectingLogger();
        const client = new SecretsManagerClient({
            endpoint: secrets.url,
            region: "us-east-1",
            credentials: { accessKeyId: "AKIAFAKEFAKEFAKEFAKE", secretAccessKey: "fake-secret-access-key" },
            maxAttempts: 1,
        });
        const handler = createLambdaHandler({
            env: {
                DOMAIN_NAME: "api.example.com",
                MAILGUN_DOMAIN,
                MAILGUN_FROM: `noreply@${MAILGUN_DOMAIN}`,
                MAILGUN_API_BASE_URL: mailgun.url,
                MAILGUN_SECRET_ARN: SECRET_ARN,
                ...options.env,
            },
            client,
            clock,
            logger: logs.logger,
            random: options.random ?? (() => 0.5),
        });
        return { handler, mailgun, secrets, clock, logs };
    }

    /** No log line may carry the key or a token (nor the full address). */
    function expectNoSecretsIn(lines: string[], secrets: string[]) {
        for (const secret of secrets) {
            for (const line of lines) {
                expect(line, `a log line contains "${secret}"`).not.to.include(secret);
                expect(line).not.to.include(encodeURIComponent(secret));
            }
        }
    }

    it("sends one e-mail: Mailgun's messages endpoint, basic auth api:<key>, the form fields and the encoded link", async () => {
        const { handler, mailgun, logs } = await setup();

        const result = await handler(snsEvent([JSON.stringify(JANE)]), { awsRequestId: "req-1" });

        expect(result).to.deep.equal({ sent: 1 });
        expect(mailgun.requests).to.have.length(1);
        const [request] = mailgun.requests;
        expect(request.method).to.equal("POST");
        expect(request.path).to.equal(`/v3/${MAILGUN_DOMAIN}/messages`);
        expect(request.headers.authorization).to.equal(basicAuth(KEY));
        expect(request.headers["content-type"]).to.match(/^application\/x-www-form-urlencoded/);
        const form = formOf(request);
        expect(form.from).to.equal(`noreply@${MAILGUN_DOMAIN}`);
        expect(form.to).to.equal(JANE.email);
        expect(form.subject).to.equal("Verify your e-mail address");
        expect(form["o:tracking-clicks"]).to.equal("no");

        const link =
            "https://api.example.com/v1/user/verify?email=jane.doe%2Bsignup%40example.com&token=tok%2Fen%2B1%3D2%26x-secret-9f8e7d";
        expect(form.text).to.include(link);
        expect(form.text).to.match(/^Hello Jane,/);
        expect(form.html).to.include(`href="${link.replace(/&/g, "&amp;")}"`);
        const parsed = new URL(link);
        expect(parsed.searchParams.get("email")).to.equal(JANE.email);
        expect(parsed.searchParams.get("token")).to.equal(JANE.token);

        const sent = logs.records().find((r) => r.event === "email.sent");
        expect(sent).to.include({ messageId: "msg-0", requestId: "req-1", recipient: "j***@example.com" });
        expectNoSecretsIn(logs.lines, [KEY, JANE.token, JANE.email]);
    });

    it("retries 503 and 429 with back-off (honouring Retry-After), then succeeds", async () => {
        const { handler, mailgun, clock, logs } = await setup({
            mailgunScript: [
                { status: 503, body: "busy" },
                { status: 429, body: "slow down", headers: { "retry-after": "3" } },
            ],
        });

        const result = await handler(snsEvent([JSON.stringify(JANE)]));

        expect(result).to.deep.equal({ sent: 1 });
        expect(mailgun.requests).to.have.length(3);
        expect(clock.sleeps).to.have.length(2);
        expect(clock.sleeps[0]).to.be.within(250, 500);
        expect(clock.sleeps[1]).to.equal(3000);
        expect(logs.records().filter((r) => r.event === "mailgun.retry")).to.have.length(2);
    });

    it("retries network errors (a dropped connection)", async () => {
        const { handler, mailgun } = await setup({ mailgunScript: ["drop"] });

        expect(await handler(snsEvent([JSON.stringify(JANE)]))).to.deep.equal({ sent: 1 });
        expect(mailgun.requests).to.have.length(2);
    });

    it("fails the invocation after four attempts when Mailgun keeps answering 500", async () => {
        const fail: Reply = { status: 500, body: { message: "internal error" } };
        const { handler, mailgun, clock, logs } = await setup({ mailgunScript: [fail, fail, fail, fail] });

        const error = await handler(snsEvent([JSON.stringify(JANE)])).then(
            () => undefined,
            (e: Error) => e,
        );

        expect(error?.message).to.match(/1 of 1 message\(s\) failed: msg-0: Mailgun answered 500: internal error/);
        expect(mailgun.requests).to.have.length(4);
        expect(clock.sleeps).to.have.length(3);
        expect(error?.message).not.to.include(JANE.token);
        expectNoSecretsIn(logs.lines, [KEY, JANE.token]);
    });

    it("does not retry a 401: one request, the key re-read once (it may have rotated), then a loud failure", async () => {
        const { handler, mailgun, secrets, clock, logs } = await setup({ mailgunKeys: [] });

        const error = await handler(snsEvent([JSON.stringify(JANE)])).then(
            () => undefined,
            (e: Error) => e,
        );

        expect(error?.message).to.match(/Mailgun answered 401/);
        expect(mailgun.requests).to.have.length(1);
        expect(clock.sleeps).to.deep.equal([]);
        expect(secrets.requests).to.have.length(2);
        const failed = logs.records().find((r) => r.event === "email.failed");
        expect(failed?.level).to.equal("error");
        expect(failed?.hint).to.match(/rejected the key/);
        expectNoSecretsIn(logs.lines, [KEY, JANE.token]);
    });

    it("after a key rotation a warm instance re-reads the key on 401 and sends with the new one", async () => {
        const { handler, mailgun, secrets } = await setup({ secretValues: [KEY, NEW_KEY], mailgunKeys: [NEW_KEY] });

        expect(await handler(snsEvent([JSON.stringify(JANE)]))).to.deep.equal({ sent: 1 });
        expect(mailgun.requests.map((r) => r.headers.authorization)).to.deep.equal([
            basicAuth(KEY),
            basicAuth(NEW_KEY),
        ]);
        expect(secrets.requests).to.have.length(2);

        // The new key is cached from now on.
        expect(await handler(snsEvent([JSON.stringify(registration(1))]))).to.deep.equal({ sent: 1 });
        expect(mailgun.requests[2].headers.authorization).to.equal(basicAuth(NEW_KEY));
        expect(secrets.requests).to.have.length(2);
    });

    it("does not retry other 4xx answers and does not re-read the key for them", async () => {
        const { handler, mailgun, secrets, clock } = await setup({
            mailgunScript: [{ status: 400, body: { message: "'to' parameter is not a valid address" } }],
        });

        const error = await handler(snsEvent([JSON.stringify(JANE)])).then(
            () => undefined,
            (e: Error) => e,
        );

        expect(error?.message).to.include("Mailgun answered 400: 'to' parameter is not a valid address");
        expect(mailgun.requests).to.have.length(1);
        expect(secrets.requests).to.have.length(1);
        expect(clock.sleeps).to.deep.equal([]);
    });

    it("reads the key once per cold start: one Secrets Manager call for many invocations", async () => {
        const { handler, mailgun, secrets } = await setup();

        for (let i = 0; i < 5; i++) {
            await handler(snsEvent([JSON.stringify(registration(i))]));
        }

        expect(mailgun.requests).to.have.length(5);
        expect(secrets.requests).to.have.length(1);
        expect(secrets.requests[0].headers["x-amz-target"]).to.equal("secretsmanager.GetSecretValue");
        expect(JSON.parse(secrets.requests[0].body)).to.deep.equal({ SecretId: SECRET_ARN });
    });

    it("does not cache a failed secret read: the next invocation reads again", async () => {
        const { handler, mailgun, secrets } = await setup({
            secretFailures: [{ status: 400, body: { __type: "AccessDeniedException", message: "not allowed" } }],
        });

        const error = await handler(snsEvent([JSON.stringify(JANE)])).then(
            () => undefined,
            (e: Error) => e,
        );
        expect(error?.message).to.match(/not allowed/);
        expect(mailgun.requests).to.have.length(0);

        expect(await handler(snsEvent([JSON.stringify(JANE)]))).to.deep.equal({ sent: 1 });
        expect(secrets.requests).to.have.length(2);
    });

    it("sends one e-mail per record of a batch", async () => {
        const { handler, mailgun } = await setup();

        const result = await handler(snsEvent([0, 1, 2].map((i) => JSON.stringify(registration(i)))));

        expect(result).to.deep.equal({ sent: 3 });
        expect(mailgun.requests.map((r) => formOf(r).to)).to.deep.equal([
            "user0@example.com",
            "user1@example.com",
            "user2@example.com",
        ]);
    });

    it("logs malformed messages, sends the valid ones, and fails the invocation so the event is dead-lettered", async () => {
        const { handler, mailgun, logs } = await setup();
        const bodies = [
            JSON.stringify(registration(0)),
            "not json",
            JSON.stringify({ email: "someone@example.com" }),
            JSON.stringify({ email: "a@example.com, victim@example.org", token: "injected-token-12345" }),
        ];

        const error = await handler(snsEvent(bodies)).then(
            () => undefined,
            (e: Error) => e,
        );

        expect(mailgun.requests.map((r) => formOf(r).to)).to.deep.equal(["user0@example.com"]);
        expect(error?.message).to.match(/^3 of 4 message\(s\) failed/);
        expect(error?.message).to.include("msg-1: invalid registration message: the body is not JSON");
        expect(error?.message).to.include("msg-2: invalid registration message: token is required");
        expect(error?.message).to.include("msg-3: invalid registration message: email is not a valid e-mail address");
        const invalid = logs.records().filter((r) => r.event === "message.invalid");
        expect(invalid.map((r) => r.messageId)).to.deep.equal(["msg-1", "msg-2", "msg-3"]);
        expect(invalid[1].error.problems).to.deep.equal(["token is required"]);
        expect(logs.records().at(-1)).to.include({ event: "invocation.failed", level: "error" });
        expectNoSecretsIn([...logs.lines, error?.message ?? ""], [KEY, "injected-token-12345", "token-0-abcdefgh1234"]);
    });

    it("fails on an event that is not an SNS event, and on a record without a message", async () => {
        const { handler, mailgun } = await setup();

        const notSns = await handler({ hello: "world" }).then(
            () => undefined,
            (e: Error) => e,
        );
        expect(notSns).to.be.instanceOf(InvalidEventError);

        const empty = await handler({ Records: [{ EventSource: "aws:sns" }] }).then(
            () => undefined,
            (e: Error) => e,
        );
        expect(empty?.message).to.include("record-0: invalid registration message: the body is not JSON");
        expect(mailgun.requests).to.have.length(0);
    });

    it("stops retrying when the invocation is about to time out", async () => {
        const always503: Reply = { status: 503, body: "busy" };
        const { handler, mailgun } = await setup({
            mailgunScript: [always503, always503, always503, always503],
            random: () => 1,
        });
        const context: LambdaContext = { awsRequestId: "req-2", getRemainingTimeInMillis: () => 2000 };

        const error = await handler(snsEvent([JSON.stringify(JANE)]), context).then(
            () => undefined,
            (e: Error) => e,
        );

        expect(error?.message).to.match(/no time left/);
        expect(mailgun.requests).to.have.length(2);
    });

    it("names a missing environment variable", async () => {
        const { handler } = await setup({ env: { MAILGUN_SECRET_ARN: undefined, DOMAIN_NAME: "" } });

        const error = await handler(snsEvent([JSON.stringify(JANE)])).then(
            () => undefined,
            (e: Error) => e,
        );

        expect(error?.message).to.equal(
            "the function is misconfigured: DOMAIN_NAME is not set; MAILGUN_SECRET_ARN is not set",
        );
    });
});
