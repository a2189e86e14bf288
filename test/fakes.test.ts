/**
 * The providers' fakes (test/fakes/) answer as the providers document: the status codes, bodies
 * and headers the code under test is tested against.
 */
import { expect } from "chai";
import { crc32c, FAKE_ACCESS_TOKEN, fakeMetadataServer, FakeSecretManager, METADATA_TOKEN_PATH } from "./fakes/google";
import { basicAuth, fakeMailgun, MAILGUN_DOMAIN } from "./fakes/mailgun";
import type { FakeServer } from "./fakes/server";

describe("provider fakes", () => {
    let servers: FakeServer[] = [];
    afterEach(async () => {
        await Promise.all(servers.splice(0).map((s) => s.close()));
    });

    describe("Secret Manager", () => {
        let fake: FakeSecretManager;
        const auth = { authorization: `Bearer ${FAKE_ACCESS_TOKEN}` };
        beforeEach(async () => {
            fake = await FakeSecretManager.start({ project: "demo", projectNumber: "42" });
            servers.push(fake.server);
        });

        it("computes CRC32C (the check value of RFC 3720, B.4)", () => {
            expect(crc32c(Buffer.from("123456789"))).to.equal(0xe3069283);
        });

        it("answers `latest` with the newest version, named with the project number, with its CRC32C as a string", async () => {
            fake.addVersion("db", "one");
            fake.addVersion("db", "two");
            const response = await fetch(`${fake.url}/v1/projects/demo/secrets/db/versions/latest:access`, {
                headers: auth,
            });
            expect(response.status).to.equal(200);
            expect(response.headers.get("content-type")).to.equal("application/json");
            expect(await response.json()).to.deep.equal({
                name: "projects/42/secrets/db/versions/2",
                payload: {
                    data: Buffer.from("two").toString("base64"),
                    dataCrc32c: String(crc32c(Buffer.from("two"))),
                },
            });
            const first = await fetch(`${fake.url}/v1/projects/demo/secrets/db/versions/1:access`, { headers: auth });
            expect(((await first.json()) as { name: string }).name).to.equal("projects/42/secrets/db/versions/1");
        });

        it("answers errors as google.rpc.Status: 401 with WWW-Authenticate, 403 for a denied secret, 404 for a missing one", async () => {
            const url = `${fake.url}/v1/projects/demo/secrets/db/versions/latest:access`;
            const unauthenticated = await fetch(url);
            expect(unauthenticated.status).to.equal(401);
            expect(unauthenticated.headers.get("www-authenticate")).to.equal(
                'Bearer realm="https://accounts.google.com/"',
            );
            expect(((await unauthenticated.json()) as { error: { status: string } }).error.status).to.equal(
                "UNAUTHENTICATED",
            );

            const missing = await fetch(url, { headers: auth });
            expect(missing.status).to.equal(404);
            expect(await missing.json()).to.deep.equal({
                error: {
                    code: 404,
                    message: "Secret [projects/42/secrets/db] not found or has no versions.",
                    status: "NOT_FOUND",
                },
            });

            fake.addVersion("db", "x");
            fake.denied.add("db");
            const denied = await fetch(url, { headers: auth });
            expect(denied.status).to.equal(403);
            expect(((await denied.json()) as { error: { message: string } }).error.message).to.equal(
                "Permission 'secretmanager.versions.access' denied for resource 'projects/demo/secrets/db/versions/latest' (or it may not exist).",
            );
        });
    });

    describe("metadata server", () => {
        it("serves a token only with Metadata-Flavor: Google and without X-Forwarded-For, flavouring its answers", async () => {
            const metadata = await fakeMetadataServer();
            servers.push(metadata);
            const url = `${metadata.url}${METADATA_TOKEN_PATH}`;

            const ok = await fetch(url, { headers: { "Metadata-Flavor": "Google" } });
            expect(ok.status).to.equal(200);
            expect(ok.headers.get("metadata-flavor")).to.equal("Google");
            expect(await ok.json()).to.deep.equal({
                access_token: FAKE_ACCESS_TOKEN,
                expires_in: 3599,
                token_type: "Bearer",
            });

            const bare = await fetch(url);
            expect(bare.status).to.equal(403);
            expect(await bare.text()).to.include("Missing Metadata-Flavor:Google header.");

            const forwarded = await fetch(url, {
                headers: { "Metadata-Flavor": "Google", "X-Forwarded-For": "10.0.0.1" },
            });
            expect(forwarded.status).to.equal(403);
        });
    });

    describe("Mailgun", () => {
        const send = (url: string, key: string, fields: Record<string, string>, domain = MAILGUN_DOMAIN) =>
            fetch(`${url}/v3/${domain}/messages`, {
                method: "POST",
                headers: { authorization: basicAuth(key) },
                body: new URLSearchParams(fields),
            });
        const message = { from: `noreply@${MAILGUN_DOMAIN}`, to: "a@example.com", subject: "s", text: "t" };

        it("queues a complete message, answers 401 Forbidden to a wrong key, 400 to a missing field, 404 to another domain", async () => {
            const mailgun = await fakeMailgun(["key-1"]);
            servers.push(mailgun);

            const queued = await send(mailgun.url, "key-1", message);
            expect(queued.status).to.equal(200);
            expect(((await queued.json()) as { message: string }).message).to.equal("Queued. Thank you.");

            const wrongKey = await send(mailgun.url, "key-2", message);
            expect([wrongKey.status, await wrongKey.text()]).to.deep.equal([401, "Forbidden"]);

            const { from: _from, ...noFrom } = message;
            const missing = await send(mailgun.url, "key-1", noFrom);
            expect([missing.status, await missing.json()]).to.deep.equal([
                400,
                { message: "from parameter is missing" },
            ]);

            const { text: _text, ...noBody } = message;
            const empty = await send(mailgun.url, "key-1", noBody);
            expect(((await empty.json()) as { message: string }).message).to.match(
                /^Need at least one of 'text', 'html'/,
            );

            const elsewhere = await send(mailgun.url, "key-1", message, "other.example.com");
            expect([elsewhere.status, await elsewhere.json()]).to.deep.equal([
                404,
                { message: "Domain not found: other.example.com" },
            ]);
        });
    });
});
