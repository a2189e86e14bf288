/**
 * Loopback fakes for the e-mail function's tests: an HTTP server that records every request and
 * answers from a script, and stand-ins for Mailgun, Secrets Manager, the GCP metadata server and
 * Secret Manager built on it. Plus a fake clock and a log collector.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { jsonLogger, type Logger } from "../../functions/email-verification/log";
import type { Clock } from "../../functions/email-verification/retry";

// The function runs on Node.js 22; the SDK's notice about this machine's Node.js 20 is not about it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export interface RecordedRequest {
    readonly method: string;
    /** Path and query, e.g. `/v3/mg.example.com/messages`. */
    readonly path: string;
    readonly headers: IncomingHttpHeaders;
    readonly body: string;
}

/** An answer: a status with a JSON (object) or text body, or `drop` to cut the connection. */
export type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | "drop";

export type Responder = (request: RecordedRequest, index: number) => Reply;

export class FakeServer {
    readonly requests: RecordedRequest[] = [];

    private constructor(
        private readonly server: Server,
        readonly url: string,
    ) {}

    static async start(respond: Responder): Promise<FakeServer> {
        let fake: FakeServer | undefined;
        const server = createServer((req, res) => {
            const chunks: Buffer[] = [];
            req.on("data", (chunk: Buffer) => chunks.push(chunk));
            req.on("end", () => {
                const recorded: RecordedRequest = {
                    method: req.method ?? "",
                    path: req.url ?? "",
                    headers: req.headers,
                    body: Buffer.concat(chunks).toString("utf8"),
                };
                fake!.requests.push(recorded);
                const reply = respond(recorded, fake!.requests.length - 1);
                if (reply === "drop") {
                    req.socket.destroy();
                    return;
                }
                const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body ?? {});
                res.writeHead(reply.status, {
                    "content-type": typeof reply.body === "string" ? "text/plain" : "application/json",
                    ...reply.headers,
                });
                res.end(text);
            });
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const { port } = server.address() as AddressInfo;
        fake = new FakeServer(server, `http://127.0.0.1:${port}`);
        return fake;
    }

    /** `host:port`, for variables that take no scheme. */
    get host(): string {
        return this.url.replace(/^http:\/\//, "");
    }

    close(): Promise<void> {
        this.server.closeAllConnections();
        return new Promise((resolve) => this.server.close(() => resolve()));
    }
}

export const MAILGUN_DOMAIN = "mg.example.com";

/**
 * Mailgun: answers 200 with a message id when basic auth carries one of `acceptedKeys`, else 401.
 * `script[i]`, when given, overrides the answer to the i-th request.
 */
export function fakeMailgun(acceptedKeys: readonly string[], script: ReadonlyArray<Reply | undefined> = []) {
    return FakeServer.start((request, index) => {
        const scripted = script[index];
        if (scripted) {
            return scripted;
        }
        const auth = String(request.headers.authorization ?? "");
        const accepted = acceptedKeys.some((key) => auth === basicAuth(key));
        return accepted
            ? { status: 200, body: { id: `<${index}.fake@${MAILGUN_DOMAIN}>`, message: "Queued. Thank you." } }
            : { status: 401, body: "Forbidden" };
    });
}

export function basicAuth(key: string): string {
    return `Basic ${Buffer.from(`api:${key}`).toString("base64")}`;
}

/** The form fields of a recorded Mailgun request. */
export function formOf(request: RecordedRequest): Record<string, string> {
    return Object.fromEntries(new URLSearchParams(request.body));
}

/**
 * Secrets Manager (JSON 1.1 protocol): `GetSecretValue` for `secretId` answers the next of
 * `values` (the last one repeats); `failures` scripts error answers by request index.
 */
export function fakeSecretsManager(
    secretId: string,
    values: readonly string[],
    failures: ReadonlyArray<Reply | undefined> = [],
) {
    let served = 0;
    return FakeServer.start((request, index) => {
        const failure = failures[index];
        if (failure) {
            return failure;
        }
        const target = request.headers["x-amz-target"];
        const asked = (JSON.parse(request.body || "{}") as { SecretId?: string }).SecretId;
        if (target !== "secretsmanager.GetSecretValue" || asked !== secretId) {
            return {
                status: 400,
                body: { __type: "ResourceNotFoundException", message: "Secrets Manager can't find the secret." },
            };
        }
        const value = values[Math.min(served++, values.length - 1)];
        return {
            status: 200,
            body: { ARN: secretId, Name: "mailgun", SecretString: value, VersionId: `v${served}`, CreatedDate: 1.7e9 },
            headers: { "content-type": "application/x-amz-json-1.1" },
        };
    });
}

/** The GCP metadata server: an access token for the default service account. */
export function fakeMetadataServer(token = "ya29.fake-access-token") {
    return FakeServer.start((request) =>
        request.path === "/computeMetadata/v1/instance/service-accounts/default/token" &&
        request.headers["metadata-flavor"] === "Google"
            ? { status: 200, body: { access_token: token, expires_in: 3599, token_type: "Bearer" } }
            : { status: 403, body: "missing Metadata-Flavor" },
    );
}

/** Secret Manager REST: `GET /v1/<version>:access` with the expected bearer token. */
export function fakeSecretManager(versionName: string, value: string, token = "ya29.fake-access-token") {
    return FakeServer.start((request) => {
        if (request.headers.authorization !== `Bearer ${token}`) {
            return { status: 401, body: { error: { code: 401, status: "UNAUTHENTICATED" } } };
        }
        if (request.method !== "GET" || request.path !== `/v1/${versionName}:access`) {
            return { status: 404, body: { error: { code: 404, status: "NOT_FOUND" } } };
        }
        return {
            status: 200,
            body: { name: versionName, payload: { data: Buffer.from(value).toString("base64"), dataCrc32c: "0" } },
        };
    });
}

/** A clock whose sleeps return at once and move time forward; it records every sleep. */
export class FakeClock implements Clock {
    readonly sleeps: number[] = [];
    constructor(private time = Date.UTC(2026, 0, 1)) {}
    now(): number {
        return this.time;
    }
    async sleep(ms: number): Promise<void> {
        this.sleeps.push(ms);
        this.time += ms;
    }
}

/** A logger that keeps its lines, parsed, for assertions. */
export function collectingLogger(): { logger: Logger; lines: string[]; records: () => Array<Record<string, any>> } {
    const lines: string[] = [];
    return {
        logger: jsonLogger({ sink: (line) => lines.push(line) }),
        lines,
        records: () => lines.map((line) => JSON.parse(line) as Record<string, any>),
    };
}

/** An SNS event as Lambda delivers it, one record per body. */
export function snsEvent(bodies: readonly string[], topicArn = "arn:aws:sns:us-east-1:123456789012:registrations") {
    return {
        Records: bodies.map((body, i) => ({
            EventSource: "aws:sns",
            EventVersion: "1.0",
            EventSubscriptionArn: `${topicArn}:sub-${i}`,
            Sns: {
                Type: "Notification",
                MessageId: `msg-${i}`,
                TopicArn: topicArn,
                Subject: null,
                Message: body,
                Timestamp: "2026-01-01T00:00:00.000Z",
                MessageAttributes: {},
            },
        })),
    };
}

/** A Pub/Sub "message published" CloudEvent carrying `body`. */
export function pubSubEvent(body: string, messageId = "pubsub-1") {
    return {
        specversion: "1.0",
        id: `event-${messageId}`,
        source: "//pubsub.googleapis.com/projects/demo/topics/registrations",
        type: "google.cloud.pubsub.topic.v1.messagePublished",
        data: {
            message: { data: Buffer.from(body).toString("base64"), messageId, publishTime: "2026-01-01T00:00:00Z" },
            subscription: "projects/demo/subscriptions/registrations-push",
        },
    };
}
