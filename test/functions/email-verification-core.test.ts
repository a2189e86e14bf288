/** The cloud-neutral pieces of the e-mail function, without servers: validation, content, retries, logs. */
import { expect } from "chai";
import { escapeHtml, verificationEmail, verificationLink } from "../../functions/email-verification/email";
import { jsonLogger, mask, REDACTED } from "../../functions/email-verification/log";
import { InvalidMessageError, maskEmail, parseRegistration } from "../../functions/email-verification/message";
import {
    backoffDelay,
    DEFAULT_RETRY_POLICY,
    parseRetryAfter,
    withRetry,
    type RetryOptions,
} from "../../functions/email-verification/retry";
import { settingsFromEnv } from "../../functions/email-verification/settings";
import { FakeClock } from "./fakes";

function problemsOf(body: string): readonly string[] {
    try {
        parseRegistration(body);
    } catch (error) {
        if (error instanceof InvalidMessageError) {
            return error.problems;
        }
        throw error;
    }
    return [];
}

describe("e-mail verification: registration messages", () => {
    it("accepts email, token and an optional first name (trimmed), ignoring other fields", () => {
        expect(
            parseRegistration('{"email":"a.b+c@example.co.uk","token":"t0k-EN_1","firstName":"  Ana ","id":7}'),
        ).to.deep.equal({
            email: "a.b+c@example.co.uk",
            token: "t0k-EN_1",
            firstName: "Ana",
        });
        expect(parseRegistration('{"email":"a@example.com","token":"x","firstName":null}')).to.deep.equal({
            email: "a@example.com",
            token: "x",
        });
    });

    it("lists every problem at once, naming the field", () => {
        expect(problemsOf("{}")).to.deep.equal(["email is required", "token is required"]);
        expect(problemsOf('{"email":5,"token":[],"firstName":3}')).to.deep.equal([
            "email must be a string",
            "token must be a string",
            "firstName must be a string when present",
        ]);
        expect(problemsOf("nope")).to.deep.equal(["the body is not JSON"]);
        expect(problemsOf("[1]")).to.deep.equal(["the body must be a JSON object with email and token"]);
        expect(problemsOf("null")).to.deep.equal(["the body must be a JSON object with email and token"]);
    });

    it("rejects addresses that could add recipients or headers", () => {
        for (const email of [
            "a@example.com, b@example.org",
            "Ana <a@example.com>",
            "a@example.com\r\nBcc: b@example.org",
            '"a b"@example.com',
            "a@localhost",
            `${"x".repeat(250)}@example.com`,
        ]) {
            expect(problemsOf(JSON.stringify({ email, token: "t" })), email).to.have.length(1);
        }
    });

    it("rejects tokens with spaces or control characters, and never quotes the token in the error", () => {
        const token = "secret token value";
        let error: Error | undefined;
        try {
            parseRegistration(JSON.stringify({ email: "a@example.com", token }));
        } catch (e) {
            error = e as Error;
        }
        expect(error?.message).to.match(/token must be printable ASCII without spaces/);
        expect(error?.message).not.to.include(token);
        expect(problemsOf(JSON.stringify({ email: "a@example.com", token: "x".repeat(513) }))).to.have.length(1);
        expect(problemsOf(JSON.stringify({ email: "a@example.com", token: "t", firstName: "A\u0007" }))).to.have.length(
            1,
        );
    });

    it("masks addresses for the logs", () => {
        expect(maskEmail("jane.doe@example.com")).to.equal("j***@example.com");
        expect(maskEmail("nobody")).to.equal("***");
    });
});

describe("e-mail verification: link and content", () => {
    it("percent-encodes both query values so the API reads back exactly what was registered", () => {
        const link = verificationLink("api.example.com", "a+b@example.com", "x/y+z=&?#%");
        expect(link).to.equal(
            "https://api.example.com/v1/user/verify?email=a%2Bb%40example.com&token=x%2Fy%2Bz%3D%26%3F%23%25",
        );
        const url = new URL(link);
        expect(url.searchParams.get("email")).to.equal("a+b@example.com");
        expect(url.searchParams.get("token")).to.equal("x/y+z=&?#%");
    });

    it("writes a text and an HTML body, escaping the name and the link in HTML", () => {
        const link = "https://api.example.com/v1/user/verify?email=a%40example.com&token=t";
        const content = verificationEmail({ email: "a@example.com", token: "t", firstName: "<b>Ana</b> & Co" }, link);
        expect(content.subject).to.equal("Verify your e-mail address");
        expect(content.text).to.include("Hello <b>Ana</b> & Co,");
        expect(content.text).to.include(`\n${link}\n`);
        expect(content.html).to.include("<p>Hello &lt;b&gt;Ana&lt;/b&gt; &amp; Co,</p>");
        expect(content.html).to.include(
            'href="https://api.example.com/v1/user/verify?email=a%40example.com&amp;token=t"',
        );
        expect(content.html).not.to.include("<b>Ana</b>");
        expect(verificationEmail({ email: "a@example.com", token: "t" }, link).text).to.match(/^Hello,\n/);
        expect(escapeHtml(`'"`)).to.equal("&#39;&quot;");
    });
});

describe("e-mail verification: retry policy", () => {
    it("backs off exponentially with equal jitter, capped, and honours Retry-After up to the cap", () => {
        const policy = DEFAULT_RETRY_POLICY;
        expect([1, 2, 3].map((n) => backoffDelay(policy, n, () => 0))).to.deep.equal([250, 500, 1000]);
        expect([1, 2, 3].map((n) => backoffDelay(policy, n, () => 1))).to.deep.equal([500, 1000, 2000]);
        expect(backoffDelay(policy, 10, () => 1)).to.equal(policy.maxDelayMs);
        expect(backoffDelay(policy, 1, () => 0, 3000)).to.equal(3000);
        expect(backoffDelay(policy, 1, () => 0, 60_000)).to.equal(policy.maxDelayMs);
    });

    it("reads Retry-After as seconds or an HTTP date", () => {
        const now = Date.UTC(2026, 0, 1, 12, 0, 0);
        expect(parseRetryAfter("7", now)).to.equal(7000);
        expect(parseRetryAfter("Thu, 01 Jan 2026 12:00:05 GMT", now)).to.equal(5000);
        expect(parseRetryAfter("soon", now)).to.equal(undefined);
        expect(parseRetryAfter(null, now)).to.equal(undefined);
    });

    it("stops at the first non-retryable error, after the last attempt, or before passing the deadline", async () => {
        const run = async (failures: Error[], extra: Partial<RetryOptions> = {}) => {
            const clock = new FakeClock(0);
            let calls = 0;
            const outcome = await withRetry(
                async () => {
                    const failure = failures[calls++];
                    if (failure) {
                        throw failure;
                    }
                    return "ok";
                },
                {
                    policy: DEFAULT_RETRY_POLICY,
                    clock,
                    random: () => 0,
                    isRetryable: (e) => e instanceof Error && e.message === "again",
                    ...extra,
                },
            ).catch((e: Error) => e.message);
            return { outcome, calls, sleeps: clock.sleeps };
        };
        const again = () => new Error("again");
        expect(await run([again(), again()])).to.deep.equal({ outcome: "ok", calls: 3, sleeps: [250, 500] });
        expect(await run([again(), new Error("stop")])).to.deep.equal({ outcome: "stop", calls: 2, sleeps: [250] });
        expect(await run([again(), again(), again(), again(), again()])).to.deep.equal({
            outcome: "again",
            calls: 4,
            sleeps: [250, 500, 1000],
        });
        expect(await run([again(), again()], { deadline: 600 })).to.deep.equal({
            outcome: "again",
            calls: 2,
            sleeps: [250],
        });
    });
});

describe("e-mail verification: logs", () => {
    it("writes one JSON object per line with level and Cloud Logging severity", () => {
        const lines: string[] = [];
        const log = jsonLogger({ sink: (l) => lines.push(l), fields: { fn: "email" }, now: () => 0 });
        log.child({ messageId: "m-1" }).warn("mailgun.retry", { attempt: 1 });
        log.debug("hidden");
        expect(lines.map((l) => JSON.parse(l))).to.deep.equal([
            {
                time: "1970-01-01T00:00:00.000Z",
                level: "warn",
                severity: "WARNING",
                event: "mailgun.retry",
                fn: "email",
                messageId: "m-1",
                attempt: 1,
            },
        ]);
    });

    it("never writes a secret: secret-named fields are replaced and known values masked everywhere", () => {
        const lines: string[] = [];
        const secret = "key-abcdef0123456789";
        const log = jsonLogger({ sink: (l) => lines.push(l), secrets: [secret] }).child({}, ["tok/en+value"]);
        log.error("failed", {
            apiKey: "anything",
            token: "anything",
            error: new Error(`request with ${secret} and token tok%2Fen%2Bvalue failed`),
            detail: `quoted "${secret}"`,
        });
        const [record] = lines.map((l) => JSON.parse(l));
        expect(record.apiKey).to.equal(REDACTED);
        expect(record.token).to.equal(REDACTED);
        expect(record.error).to.deep.equal({
            name: "Error",
            message: `request with ${REDACTED} and token ${REDACTED} failed`,
        });
        expect(lines[0]).not.to.include(secret);
        expect(mask("short abc", ["abc"])).to.equal("short abc");
    });
});

describe("e-mail verification: settings from the environment", () => {
    const env = { DOMAIN_NAME: "api.example.com", MAILGUN_DOMAIN: "mg.example.com" };

    it("defaults the sender and the Mailgun base URL", () => {
        expect(settingsFromEnv(env)).to.deep.equal({
            domainName: "api.example.com",
            mailgun: {
                apiBaseUrl: "https://api.mailgun.net",
                domain: "mg.example.com",
                from: "noreply@mg.example.com",
            },
            extra: [],
        });
    });

    it("names every missing or malformed variable", () => {
        expect(() => settingsFromEnv({ MAILGUN_API_BASE_URL: "api.mailgun.net/v3" }, ["MAILGUN_SECRET_ARN"])).to.throw(
            "the function is misconfigured: DOMAIN_NAME is not set; MAILGUN_DOMAIN is not set; " +
                "MAILGUN_API_BASE_URL must be a base URL such as https://api.mailgun.net; MAILGUN_SECRET_ARN is not set",
        );
        expect(() => settingsFromEnv({ ...env, DOMAIN_NAME: "https://api.example.com/" })).to.throw(
            "DOMAIN_NAME must be a host name",
        );
    });
});
