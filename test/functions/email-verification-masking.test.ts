/**
 * Masking by value: a Mailgun stand-in that quotes the key it was sent (and the message's token)
 * back in its error text. Neither may reach a log line or the error the invocation fails with.
 */
import { expect } from "chai";
import type { Fetch } from "../../functions/email-verification/mailgun";
import { BatchError, EmailVerifier } from "../../functions/email-verification/verifier";
import { MAILGUN_DOMAIN } from "../fakes/mailgun";
import { collectingLogger, FakeClock } from "./fakes";

const KEY = "key-echo-0123456789abcdef0123456789abcd";
const TOKEN = "token-echo-9f8e7d6c5b4a";
const BODY = JSON.stringify({ email: "jane@example.com", token: TOKEN });

/** Answers 400 with a message that quotes the basic-auth key and the request's form. */
const echoingFetch: Fetch = async (_url, init) => {
    const auth = new Headers(init?.headers).get("authorization") ?? "";
    const key = Buffer.from(auth.replace(/^Basic /, ""), "base64")
        .toString("utf8")
        .replace(/^api:/, "");
    const form = String(init?.body ?? "");
    return new Response(JSON.stringify({ message: `rejected key ${key} for ${decodeURIComponent(form)}` }), {
        status: 400,
        headers: { "content-type": "application/json" },
    });
};

function verifier(logger: ReturnType<typeof collectingLogger>["logger"]): EmailVerifier {
    return new EmailVerifier(
        {
            domainName: "api.example.com",
            mailgun: {
                apiBaseUrl: "https://mailgun.invalid",
                domain: MAILGUN_DOMAIN,
                from: `noreply@${MAILGUN_DOMAIN}`,
            },
        },
        { secret: { read: async () => KEY }, fetch: echoingFetch, logger, clock: new FakeClock(), random: () => 0.5 },
    );
}

describe("e-mail verification: masking what Mailgun quotes back", () => {
    it("masks the key and the token in every log line", async () => {
        const logs = collectingLogger();
        await verifier(logs.logger)
            .send({ id: "m-1", body: BODY })
            .then(
                () => expect.fail("the send should fail"),
                () => undefined,
            );
        const failed = logs.records().filter((r) => r.event === "email.failed");
        expect(failed).to.have.length(1);
        expect(JSON.stringify(failed[0])).to.include("Mailgun answered 400: rejected key");
        expect(logs.lines.length).to.be.greaterThan(0);
        for (const line of logs.lines) {
            expect(line).not.to.include(KEY);
            expect(line).not.to.include(TOKEN);
        }
    });

    it("masks the key and the token in the error a failed delivery throws", async () => {
        const logs = collectingLogger();
        const error = await verifier(logs.logger)
            .sendAll([{ id: "m-1", body: BODY }])
            .then(
                () => expect.fail("the delivery should fail"),
                (e: unknown) => e,
            );
        expect(error).to.be.instanceOf(BatchError);
        const message = (error as BatchError).message;
        expect(message).to.match(/^1 of 1 message\(s\) failed: m-1: Mailgun answered 400: rejected key /);
        expect(message).not.to.include(KEY);
        expect(message).not.to.include(TOKEN);
    });
});
