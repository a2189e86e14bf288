/**
 * The Lambda adapter end to end against the AWS API emulator: the real AWS SDK v3 Secrets Manager
 * client, pointed at moto's server by an endpoint override, reads the Mailgun key that each test
 * stores with the real API (CreateSecret, PutSecretValue, DeleteSecret, KMS keys). Mailgun is the
 * loopback fake of test/fakes/mailgun.ts (no public implementation of it exists).
 *
 * SNS and SQS are moto's too. moto cannot run a Lambda function without Docker, nor does it
 * emulate Lambda's asynchronous retries and on-failure destination: there, SNS delivers to an SQS
 * queue and the test hands each notification to the handler as Lambda's SNS event, and puts
 * Lambda's on-failure record into the dead-letter queue itself (both in the shapes AWS documents).
 */
import {
    CreateSecretCommand,
    DeleteSecretCommand,
    DescribeSecretCommand,
    PutSecretValueCommand,
    RestoreSecretCommand,
    SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
    CreateQueueCommand,
    DeleteMessageCommand,
    GetQueueAttributesCommand,
    ReceiveMessageCommand,
    SendMessageCommand,
    SQSClient,
} from "@aws-sdk/client-sqs";
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { bundleEmailFunction } from "../../functions/bundle";
import { createLambdaHandler, InvalidEventError, type LambdaContext } from "../../functions/email-verification/aws";
import { sharedMoto, type Moto } from "../../tools/emulators/moto";
import { basicAuth, fakeMailgun, formOf, MAILGUN_DOMAIN, mailgunReplies } from "../fakes/mailgun";
import type { FakeServer, Reply } from "../fakes/server";
import { collectingLogger, FakeClock, snsEvent, withEnvCapturingStdout } from "../functions/fakes";
import { awsJson } from "./aws";

const SECRET_NAME = "webapp/dev/mailgun-api-key";
const KEY = "key-live-0123456789abcdef0123456789abcdef";
const NEW_KEY = "key-live-fedcba9876543210fedcba9876543210";
const GET_SECRET_VALUE = "secretsmanager.GetSecretValue";

const JANE = { email: "jane.doe+signup@example.com", token: "tok/en+1=2&x-secret-9f8e7d", firstName: "Jane" };
const registration = (i: number) => ({ email: `user${i}@example.com`, token: `token-${i}-abcdefgh1234` });

interface Setup {
    /** The keys Mailgun accepts; the test may change the array later (a revoked key). */
    mailgunKeys?: string[];
    mailgunScript?: Array<Reply | undefined>;
    /** The secret the function is configured with. Default: a new secret holding KEY. */
    secretArn?: string;
    env?: Record<string, string | undefined>;
    random?: () => number;
}

/** Resolves with the rejection of `promise` (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
    return promise.then(
        () => expect.fail("expected a failure"),
        (e: Error) => e,
    );
}

describe("e-mail verification: Lambda adapter against the AWS API emulator", () => {
    let moto: Moto;
    let secrets: SecretsManagerClient;
    let servers: FakeServer[] = [];

    before(async () => {
        moto = await sharedMoto();
        secrets = new SecretsManagerClient(moto.clientConfig());
    });
    beforeEach(() => moto.reset());
    afterEach(async () => {
        await Promise.all(servers.splice(0).map((s) => s.close()));
    });

    /** Stores the Mailgun key as the program does (a plain-text secret); returns its ARN. */
    async function storeKey(value: string, extra: { KmsKeyId?: string } = {}): Promise<string> {
        const created = await secrets.send(
            new CreateSecretCommand({ Name: SECRET_NAME, SecretString: value, ...extra }),
        );
        return created.ARN!;
    }

    /** The GetSecretValue requests moto answered, by the secret id each asked for. */
    async function secretReads(): Promise<string[]> {
        return (await moto.requests(GET_SECRET_VALUE)).map(
            (r) => (JSON.parse(r.body) as { SecretId: string }).SecretId,
        );
    }

    async function setup(options: Setup = {}) {
        const secretArn = options.secretArn ?? (await storeKey(KEY));
        const mailgun = await fakeMailgun(options.mailgunKeys ?? [KEY], { script: options.mailgunScript });
        servers.push(mailgun);
        const clock = new FakeClock();
        const logs = collectingLogger();
        // The client the function builds, with the endpoint override and dummy credentials.
        const client = new SecretsManagerClient(moto.clientConfig());
        const handler = createLambdaHandler({
            env: {
                DOMAIN_NAME: "api.example.com",
                MAILGUN_DOMAIN,
                MAILGUN_FROM: `noreply@${MAILGUN_DOMAIN}`,
                MAILGUN_API_BASE_URL: mailgun.url,
                MAILGUN_SECRET_ARN: secretArn,
                ...options.env,
            },
            client,
            clock,
            logger: logs.logger,
            random: options.random ?? (() => 0.5),
        });
        return { handler, mailgun, clock, logs, secretArn };
    }

    /** No log line may carry the key or a token (nor the full address). */
    function expectNoSecretsIn(lines: string[], values: string[]) {
        expect(lines.length, "log lines").to.be.greaterThan(0);
        for (const value of values) {
            for (const line of lines) {
                expect(line, `a log line contains "${value}"`).not.to.include(value);
                expect(line).not.to.include(encodeURIComponent(value));
            }
        }
    }

    describe("the Mailgun key from Secrets Manager", () => {
        it("reads the stored key by the configured ARN and sends one e-mail with it", async () => {
            const { handler, mailgun, logs, secretArn } = await setup();

            const result = await handler(snsEvent([JSON.stringify(JANE)]), { awsRequestId: "req-1" });

            expect(result).to.deep.equal({ sent: 1 });
            expect(await secretReads()).to.deep.equal([secretArn]);
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
            expect(sent?.mailgunId).to.match(/^<\d+\.0\.fake@mg\.example\.com>$/);
            expectNoSecretsIn(logs.lines, [KEY, JANE.token, JANE.email]);
        });

        it("reads the key once per cold start: one GetSecretValue for many invocations", async () => {
            const { handler, mailgun, secretArn } = await setup();

            for (let i = 0; i < 5; i++) {
                await handler(snsEvent([JSON.stringify(registration(i))]));
            }

            expect(mailgun.requests).to.have.length(5);
            expect(await secretReads()).to.deep.equal([secretArn]);
        });

        it("after a rotation (PutSecretValue, the old key revoked) a warm instance re-reads on 401 and sends with the new key", async () => {
            const mailgunKeys = [KEY];
            const { handler, mailgun, logs, secretArn } = await setup({ mailgunKeys });
            expect(await handler(snsEvent([JSON.stringify(registration(0))]))).to.deep.equal({ sent: 1 });

            const rotated = await secrets.send(
                new PutSecretValueCommand({ SecretId: secretArn, SecretString: NEW_KEY }),
            );
            const described = await secrets.send(new DescribeSecretCommand({ SecretId: secretArn }));
            expect(described.VersionIdsToStages?.[rotated.VersionId!]).to.deep.equal(["AWSCURRENT"]);
            mailgunKeys.splice(0, 1, NEW_KEY);

            expect(await handler(snsEvent([JSON.stringify(JANE)]))).to.deep.equal({ sent: 1 });
            expect(mailgun.requests.map((r) => r.headers.authorization)).to.deep.equal([
                basicAuth(KEY),
                basicAuth(KEY),
                basicAuth(NEW_KEY),
            ]);
            expect(await secretReads()).to.deep.equal([secretArn, secretArn]);
            expect(logs.records().filter((r) => r.event === "mailgun.key_rotated")).to.have.length(1);

            // The new key is cached from now on.
            expect(await handler(snsEvent([JSON.stringify(registration(1))]))).to.deep.equal({ sent: 1 });
            expect(mailgun.requests[3].headers.authorization).to.equal(basicAuth(NEW_KEY));
            expect(await secretReads()).to.have.length(2);
            expectNoSecretsIn(logs.lines, [KEY, NEW_KEY]);
        });

        it("on a 401 with the secret unchanged: one request, the key re-read once, then a loud failure", async () => {
            const { handler, mailgun, clock, logs } = await setup({ mailgunKeys: [] });

            const error = await rejection(handler(snsEvent([JSON.stringify(JANE)])));

            expect(error.message).to.match(/Mailgun answered 401: Forbidden/);
            expect(mailgun.requests).to.have.length(1);
            expect(clock.sleeps).to.deep.equal([]);
            expect(await secretReads()).to.have.length(2);
            const failed = logs.records().find((r) => r.event === "email.failed");
            expect(failed?.level).to.equal("error");
            expect(failed?.hint).to.match(/rejected the key/);
            expectNoSecretsIn(logs.lines, [KEY, JANE.token]);
        });

        it("fails with Secrets Manager's ResourceNotFoundException for a secret that does not exist, without calling Mailgun", async () => {
            const missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:webapp/dev/missing-AbCdEf";
            const { handler, mailgun, logs } = await setup({ secretArn: missing });

            const error = await rejection(handler(snsEvent([JSON.stringify(JANE)])));

            expect(error.message).to.include("msg-0: Secrets Manager can't find the specified secret.");
            expect(await secretReads()).to.deep.equal([missing]);
            expect(mailgun.requests).to.have.length(0);
            const failed = logs.records().find((r) => r.event === "secret.read_failed");
            expect(failed?.error).to.include({ name: "ResourceNotFoundException" });
        });

        it("does not cache a failed read: a secret marked for deletion fails, and once restored the next invocation reads it", async () => {
            const { handler, mailgun, secretArn } = await setup();
            await secrets.send(new DeleteSecretCommand({ SecretId: secretArn, RecoveryWindowInDays: 7 }));

            const error = await rejection(handler(snsEvent([JSON.stringify(JANE)])));
            expect(error.message).to.match(/msg-0: .*marked (for )?delet/);
            expect(mailgun.requests).to.have.length(0);

            await secrets.send(new RestoreSecretCommand({ SecretId: secretArn }));
            expect(await handler(snsEvent([JSON.stringify(JANE)]))).to.deep.equal({ sent: 1 });
            expect(await secretReads()).to.deep.equal([secretArn, secretArn]);
        });

        it("reads a secret encrypted with a customer-managed KMS key", async () => {
            const key = awsJson(moto, ["kms", "create-key", "--description", "webapp secrets"]).KeyMetadata;
            const secretArn = await storeKey(KEY, { KmsKeyId: key.Arn });
            const described = await secrets.send(new DescribeSecretCommand({ SecretId: secretArn }));
            expect(described.KmsKeyId).to.equal(key.Arn);
            const { handler, mailgun } = await setup({ secretArn });

            expect(await handler(snsEvent([JSON.stringify(JANE)]))).to.deep.equal({ sent: 1 });
            expect(mailgun.requests[0].headers.authorization).to.equal(basicAuth(KEY));
        });

        it("refuses a secret that holds binary data instead of the key as text", async () => {
            const created = await secrets.send(
                new CreateSecretCommand({ Name: SECRET_NAME, SecretBinary: Buffer.from(KEY, "utf8") }),
            );
            const { handler, mailgun } = await setup({ secretArn: created.ARN });

            const error = await rejection(handler(snsEvent([JSON.stringify(JANE)])));

            expect(error.message).to.include("msg-0: the Mailgun key secret has no string value");
            expect(mailgun.requests).to.have.length(0);
        });

        it("names a missing environment variable before reading anything", async () => {
            const { handler } = await setup({ env: { MAILGUN_SECRET_ARN: undefined, DOMAIN_NAME: "" } });

            const error = await rejection(handler(snsEvent([JSON.stringify(JANE)])));

            expect(error.message).to.equal(
                "the function is misconfigured: DOMAIN_NAME is not set; MAILGUN_SECRET_ARN is not set",
            );
            expect(await secretReads()).to.deep.equal([]);
        });
    });

    describe("Mailgun's answers", () => {
        it("retries 503 and 429 with back-off (honouring Retry-After), then succeeds", async () => {
            const { handler, mailgun, clock, logs } = await setup({
                mailgunScript: [mailgunReplies.unavailable(), mailgunReplies.rateLimited(3)],
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
            const fail = mailgunReplies.internalError();
            const { handler, mailgun, clock, logs } = await setup({ mailgunScript: [fail, fail, fail, fail] });

            const error = await rejection(handler(snsEvent([JSON.stringify(JANE)])));

            expect(error.message).to.match(
                /1 of 1 message\(s\) failed: msg-0: Mailgun answered 500: Internal Server Error/,
            );
            expect(mailgun.requests).to.have.length(4);
            expect(clock.sleeps).to.have.length(3);
            expect(error.message).not.to.include(JANE.token);
            expectNoSecretsIn(logs.lines, [KEY, JANE.token]);
        });

        it("does not retry other 4xx answers and does not re-read the key for them", async () => {
            const { handler, mailgun, clock } = await setup({
                mailgunScript: [
                    mailgunReplies.badRequest("'to' parameter is not a valid address. please check documentation"),
                ],
            });

            const error = await rejection(handler(snsEvent([JSON.stringify(JANE)])));

            expect(error.message).to.include("Mailgun answered 400: 'to' parameter is not a valid address");
            expect(mailgun.requests).to.have.length(1);
            expect(await secretReads()).to.have.length(1);
            expect(clock.sleeps).to.deep.equal([]);
        });

        it("stops retrying when the invocation is about to time out", async () => {
            const busy = mailgunReplies.unavailable();
            const { handler, mailgun } = await setup({ mailgunScript: [busy, busy, busy, busy], random: () => 1 });
            const context: LambdaContext = { awsRequestId: "req-2", getRemainingTimeInMillis: () => 2000 };

            const error = await rejection(handler(snsEvent([JSON.stringify(JANE)]), context));

            expect(error.message).to.match(/no time left/);
            expect(mailgun.requests).to.have.length(2);
        });
    });

    describe("SNS events", () => {
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

            const error = await rejection(handler(snsEvent(bodies)));

            expect(mailgun.requests.map((r) => formOf(r).to)).to.deep.equal(["user0@example.com"]);
            expect(error.message).to.match(/^3 of 4 message\(s\) failed/);
            expect(error.message).to.include("msg-1: invalid registration message: the body is not JSON");
            expect(error.message).to.include("msg-2: invalid registration message: token is required");
            expect(error.message).to.include(
                "msg-3: invalid registration message: email is not a valid e-mail address",
            );
            const invalid = logs.records().filter((r) => r.event === "message.invalid");
            expect(invalid.map((r) => r.messageId)).to.deep.equal(["msg-1", "msg-2", "msg-3"]);
            expect(invalid[1].error.problems).to.deep.equal(["token is required"]);
            expect(logs.records().at(-1)).to.include({ event: "invocation.failed", level: "error" });
            expectNoSecretsIn([...logs.lines, error.message], [KEY, "injected-token-12345", "token-0-abcdefgh1234"]);
        });

        it("fails on an event that is not an SNS event, and on a record without a message", async () => {
            const { handler, mailgun } = await setup();

            expect(await rejection(handler({ hello: "world" }))).to.be.instanceOf(InvalidEventError);
            const empty = await rejection(handler({ Records: [{ EventSource: "aws:sns" }] }));
            expect(empty.message).to.include("record-0: invalid registration message: the body is not JSON");
            expect(mailgun.requests).to.have.length(0);
        });
    });

    describe("SNS -> function -> dead-letter queue, and the README's replay", () => {
        /**
         * Lambda's SNS event for one notification as SNS built it (the fields Lambda copies, see
         * https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html).
         */
        function lambdaSnsEvent(notification: Record<string, unknown>, subscriptionArn: string) {
            return {
                Records: [
                    {
                        EventSource: "aws:sns",
                        EventVersion: "1.0",
                        EventSubscriptionArn: subscriptionArn,
                        Sns: { ...notification, MessageAttributes: notification.MessageAttributes ?? {} },
                    },
                ],
            };
        }

        /**
         * The record Lambda's on-failure destination sends once the retries are spent, see
         * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html.
         */
        function onFailureRecord(event: unknown, error: Error, functionArn: string) {
            return {
                version: "1.0",
                timestamp: "2026-01-01T00:03:00.000Z",
                requestContext: {
                    requestId: "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
                    functionArn: `${functionArn}:$LATEST`,
                    condition: "RetriesExhausted",
                    approximateInvokeCount: 3,
                },
                requestPayload: event,
                responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
                responsePayload: { errorType: error.name, errorMessage: error.message, trace: [] },
            };
        }

        it("delivers what the API publishes, dead-letters a failed event with its error, and replays it once fixed", async () => {
            const sns = new SNSClient(moto.clientConfig());
            const sqs = new SQSClient(moto.clientConfig());
            const functionArn = "arn:aws:lambda:us-east-1:123456789012:function:dev-messaging-email-verification";
            const { TopicArn: topicArn } = await sns.send(new CreateTopicCommand({ Name: "dev-registrations" }));
            const { QueueUrl: inbox } = await sqs.send(
                new CreateQueueCommand({ QueueName: "dev-registrations-delivery" }),
            );
            const inboxArn = (
                await sqs.send(new GetQueueAttributesCommand({ QueueUrl: inbox, AttributeNames: ["QueueArn"] }))
            ).Attributes!.QueueArn;
            const { SubscriptionArn: subscriptionArn } = await sns.send(
                new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: inboxArn }),
            );
            const { QueueUrl: dlq } = await sqs.send(
                new CreateQueueCommand({
                    QueueName: "dev-messaging-dlq",
                    Attributes: { MessageRetentionPeriod: String(14 * 24 * 3600) },
                }),
            );

            // What SNS hands the function for the next notification on the topic.
            const nextEvent = async () => {
                const { Messages: received = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: inbox }));
                expect(received, "notifications delivered").to.have.length(1);
                await sqs.send(new DeleteMessageCommand({ QueueUrl: inbox, ReceiptHandle: received[0].ReceiptHandle }));
                return lambdaSnsEvent(JSON.parse(received[0].Body!), subscriptionArn!);
            };

            // Mailgun is down for every attempt of the first delivery, then back.
            const down = mailgunReplies.unavailable();
            const { handler, mailgun, logs } = await setup({ mailgunScript: [down, down, down, down] });

            // The API publishes a registration.
            const message = JSON.stringify(JANE);
            const published = await sns.send(new PublishCommand({ TopicArn: topicArn, Message: message }));
            const event = await nextEvent();
            expect(event.Records[0].Sns).to.include({
                Type: "Notification",
                MessageId: published.MessageId,
                TopicArn: topicArn,
                Message: message,
            });

            const error = await rejection(handler(event));
            expect(error.message).to.match(/^1 of 1 message\(s\) failed: /);
            expect(error.message).to.include(`${published.MessageId}: Mailgun answered 503: Service Unavailable`);
            expect(logs.records().find((r) => r.event === "email.failed")?.messageId).to.equal(published.MessageId);
            expect(mailgun.requests).to.have.length(4);
            await sqs.send(
                new SendMessageCommand({
                    QueueUrl: dlq,
                    MessageBody: JSON.stringify(onFailureRecord(event, error, functionArn)),
                }),
            );

            // The README's replay, with the real CLI: read the queue, publish the message again, delete it.
            const waiting = awsJson(moto, [
                "sqs",
                "receive-message",
                "--queue-url",
                dlq!,
                "--max-number-of-messages",
                "10",
                "--attribute-names",
                "All",
            ]).Messages;
            expect(waiting).to.have.length(1);
            const record = JSON.parse(waiting[0].Body);
            expect(record.responsePayload.errorMessage).to.include("Mailgun answered 503");
            expect(record.responsePayload.errorMessage).not.to.include(JANE.token);
            const replayed = record.requestPayload.Records[0].Sns.Message;
            expect(replayed).to.equal(message);
            awsJson(moto, ["sns", "publish", "--topic-arn", topicArn!, "--message", replayed]);
            awsJson(moto, ["sqs", "delete-message", "--queue-url", dlq!, "--receipt-handle", waiting[0].ReceiptHandle]);

            expect(await handler(await nextEvent())).to.deep.equal({ sent: 1 });
            expect(mailgun.requests).to.have.length(5);
            expect(formOf(mailgun.requests[4]).to).to.equal(JANE.email);
            const left = await sqs.send(
                new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ["ApproximateNumberOfMessages"] }),
            );
            expect(left.Attributes?.ApproximateNumberOfMessages).to.equal("0");
        });
    });

    describe("the deployed bundle", () => {
        let outDir: string;
        beforeEach(() => {
            outDir = mkdtempSync(path.join(tmpdir(), "email-bundle-"));
        });
        afterEach(() => rmSync(outDir, { recursive: true, force: true }));

        it("runs from index.js alone with the client it builds itself, configured by the environment (AWS_ENDPOINT_URL)", async function () {
            this.timeout(120_000);
            bundleEmailFunction("aws", { outDir });
            const secretArn = await storeKey(KEY);
            const mailgun = await fakeMailgun([KEY]);
            servers.push(mailgun);

            const lines = await withEnvCapturingStdout(
                {
                    ...moto.env(),
                    MAILGUN_SECRET_ARN: secretArn,
                    MAILGUN_DOMAIN,
                    MAILGUN_API_BASE_URL: mailgun.url,
                    DOMAIN_NAME: "api.example.com",
                },
                async () => {
                    // The built file alone, as Lambda loads it.
                    const { handler } = require(path.join(outDir, "index.js")) as {
                        handler: (event: unknown) => Promise<{ sent: number }>;
                    };
                    for (const [i, email] of ["a@example.com", "b@example.com"].entries()) {
                        expect(await handler(snsEvent([JSON.stringify({ email, token: `tok-${i}` })]))).to.deep.equal({
                            sent: 1,
                        });
                    }
                },
            );
            expect(await secretReads()).to.deep.equal([secretArn]);
            expect(mailgun.requests.map((r) => formOf(r).to)).to.deep.equal(["a@example.com", "b@example.com"]);
            expect(mailgun.requests[0].headers.authorization).to.equal(basicAuth(KEY));
            expect(lines.map((l) => JSON.parse(l).event)).to.deep.equal([
                "email.sent",
                "delivery.done",
                "email.sent",
                "delivery.done",
            ]);
            expect(lines.join("\n")).not.to.include(KEY);
        });
    });
});
