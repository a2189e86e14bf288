/**
 * Helpers for the e-mail function's tests: a fake clock, a log collector and the events the
 * platforms deliver. The providers' fakes (Mailgun, Google) are in `test/fakes/`.
 */
import { jsonLogger, type Logger } from "../../functions/email-verification/log";
import type { Clock } from "../../functions/email-verification/retry";

// The function runs on Node.js 22; the SDK's notice about this machine's Node.js 20 is not about it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

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

/**
 * Runs `body` with extra environment variables and stdout captured (the bundles log there), then
 * restores both and returns the captured lines.
 */
export async function withEnvCapturingStdout(
    vars: Record<string, string>,
    body: () => Promise<void>,
): Promise<string[]> {
    const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
    Object.assign(process.env, vars);
    const lines: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => {
        lines.push(...String(chunk).split("\n").filter(Boolean));
        return true;
    }) as typeof process.stdout.write;
    try {
        await body();
        return lines;
    } finally {
        process.stdout.write = write;
        for (const [k, v] of Object.entries(saved)) {
            if (v === undefined) {
                delete process.env[k];
            } else {
                process.env[k] = v;
            }
        }
    }
}
