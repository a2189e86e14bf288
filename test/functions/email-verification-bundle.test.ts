/**
 * The bundles as they are deployed: built with esbuild, loaded from the output file alone, and run
 * against the loopback fakes with the platform's own configuration mechanisms (environment
 * variables, the SDK's endpoint override, default credentials from the environment).
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
    bundleEmailFunction,
    emailFunctionArchive,
    EMAIL_FUNCTION_DIST,
    BUNDLE_CACHE,
    freshEmailFunctionBundle,
    GCP_PACKAGE_JSON,
} from "../../functions/bundle";
import {
    basicAuth,
    fakeMailgun,
    fakeMetadataServer,
    fakeSecretManager,
    fakeSecretsManager,
    formOf,
    MAILGUN_DOMAIN,
    pubSubEvent,
    snsEvent,
    type FakeServer,
} from "./fakes";

const KEY = "key-bundle-0123456789abcdef0123456789ab";

/**
 * Runs `body` with extra environment variables and stdout captured (the bundles log there), then
 * restores both and returns the captured lines.
 */
async function run(vars: Record<string, string>, body: () => Promise<void>): Promise<string[]> {
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

describe("e-mail verification: bundles", function () {
    this.timeout(60_000);
    let outDir: string;
    let servers: FakeServer[] = [];

    beforeEach(() => {
        outDir = mkdtempSync(path.join(tmpdir(), "email-bundle-"));
    });

    afterEach(async () => {
        await Promise.all(servers.map((s) => s.close()));
        servers = [];
        rmSync(outDir, { recursive: true, force: true });
    });

    it("the AWS bundle runs on its own: Secrets Manager once, then Mailgun per event", async () => {
        const bundle = bundleEmailFunction("aws", { outDir });
        expect(Object.keys(bundle.files)).to.deep.equal(["index.js"]);
        expect(bundle.entryPoint).to.equal("index.handler");
        expect(bundle.inputs.some((f) => f.includes(`${path.sep}@aws-sdk${path.sep}client-secrets-manager`))).to.equal(
            true,
        );

        const secretArn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:mailgun-AbCdEf";
        const secrets = await fakeSecretsManager(secretArn, [KEY]);
        const mailgun = await fakeMailgun([KEY]);
        servers.push(secrets, mailgun);

        const logs = await run(
            {
                AWS_REGION: "us-east-1",
                AWS_ACCESS_KEY_ID: "AKIAFAKEFAKEFAKEFAKE",
                AWS_SECRET_ACCESS_KEY: "fake-secret-access-key",
                AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
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
                expect(
                    await handler(snsEvent([JSON.stringify({ email: "a@example.com", token: "tok-1" })])),
                ).to.deep.equal({
                    sent: 1,
                });
                expect(
                    await handler(snsEvent([JSON.stringify({ email: "b@example.com", token: "tok-2" })])),
                ).to.deep.equal({
                    sent: 1,
                });
            },
        );
        expect(secrets.requests).to.have.length(1);
        expect(mailgun.requests.map((r) => formOf(r).to)).to.deep.equal(["a@example.com", "b@example.com"]);
        expect(mailgun.requests[0].headers.authorization).to.equal(basicAuth(KEY));
        expect(logs.map((l) => JSON.parse(l).event)).to.deep.equal([
            "email.sent",
            "delivery.done",
            "email.sent",
            "delivery.done",
        ]);
        expect(logs.join("\n")).not.to.include(KEY);
    });

    it("the GCP bundle runs on its own, with the package.json Cloud Functions needs", async () => {
        const bundle = bundleEmailFunction("gcp", { outDir });
        expect(Object.keys(bundle.files).sort()).to.deep.equal(["index.js", "package.json"]);
        expect(bundle.entryPoint).to.equal("verifyEmail");
        expect(JSON.parse(readFileSync(bundle.files["package.json"], "utf8"))).to.deep.equal(GCP_PACKAGE_JSON);
        expect(GCP_PACKAGE_JSON.main).to.equal("index.js");
        expect(bundle.inputs.some((f) => f.includes("@aws-sdk"))).to.equal(false);

        const version = "projects/demo/secrets/mailgun/versions/latest";
        const metadata = await fakeMetadataServer();
        const secretManager = await fakeSecretManager(version, KEY);
        const mailgun = await fakeMailgun([KEY]);
        servers.push(metadata, secretManager, mailgun);

        const logs = await run(
            {
                GCE_METADATA_HOST: metadata.host,
                SECRET_MANAGER_API_URL: secretManager.url,
                MAILGUN_SECRET_VERSION: version,
                MAILGUN_DOMAIN,
                MAILGUN_API_BASE_URL: mailgun.url,
                DOMAIN_NAME: "api.example.com",
            },
            async () => {
                const { verifyEmail } = require(path.join(outDir, "index.js")) as {
                    verifyEmail: (request: unknown, response: unknown) => Promise<void>;
                };
                let status: number | undefined;
                const response = {
                    status(code: number) {
                        status = code;
                        return response;
                    },
                    send() {},
                };
                const body = pubSubEvent(JSON.stringify({ email: "c@example.com", token: "tok-3" })).data;
                await verifyEmail({ method: "POST", body }, response);
                expect(status, "the push is acknowledged").to.equal(204);
            },
        );
        expect(metadata.requests).to.have.length(1);
        expect(secretManager.requests).to.have.length(1);
        expect(mailgun.requests.map((r) => formOf(r).to)).to.deep.equal(["c@example.com"]);
        expect(logs.map((l) => JSON.parse(l).severity)).to.deep.equal(["INFO", "INFO"]);
    });

    it("deploys a fresh bundle: built on first use, reused while nothing changed, rebuilt when the output is gone", () => {
        const first = freshEmailFunctionBundle("aws");
        expect(first.directory).to.equal(path.join(EMAIL_FUNCTION_DIST, "aws"));
        expect(freshEmailFunctionBundle("aws")).to.equal(first);

        rmSync(first.files["index.js"]);
        const rebuilt = freshEmailFunctionBundle("aws");
        expect(rebuilt).not.to.equal(first);
        expect(existsSync(rebuilt.files["index.js"])).to.equal(true);
        expect(statSync(rebuilt.files["index.js"]).size).to.be.greaterThan(10_000);

        // A stale or hand-edited bundle is replaced, not deployed.
        writeFileSync(rebuilt.files["index.js"], "exports.handler = async () => 'stale';\n");
        const replaced = freshEmailFunctionBundle("aws");
        expect(readFileSync(replaced.files["index.js"], "utf8")).to.include("/v1/user/verify");
    });

    it("rebuilds when a source file changed since the last bundle", () => {
        const before = freshEmailFunctionBundle("aws");
        const source = before.inputs.find((f) => f.endsWith(path.join("email-verification", "email.ts")));
        expect(source, "the link builder is an input of the bundle").to.be.a("string");
        const { atime, mtime } = statSync(source!);
        try {
            utimesSync(source!, atime, new Date(mtime.getTime() + 5000));
            expect(freshEmailFunctionBundle("aws")).not.to.equal(before);
        } finally {
            utimesSync(source!, atime, mtime);
        }
    });

    it("a new process reuses the bundle while every input and output has the same content hash", () => {
        const bundle = freshEmailFunctionBundle("aws");
        const recordFile = path.join(BUNDLE_CACHE, "aws.json");
        const record = JSON.parse(readFileSync(recordFile, "utf8"));
        expect(Object.keys(record.inputs)).to.include(path.join("functions", "email-verification", "aws.ts"));
        expect(Object.keys(record.outputs)).to.deep.equal(["index.js"]);
        // Another process: the bundle's file is not written again (its modification time stays).
        const inAnotherProcess = () =>
            execFileSync(
                process.execPath,
                ["-r", "./tools/register.js", "-e", 'require("./functions/bundle.ts").freshEmailFunctionBundle("aws")'],
                { cwd: path.resolve(__dirname, "..", "..") },
            );
        const written = statSync(bundle.files["index.js"]).mtimeMs;
        inAnotherProcess();
        expect(statSync(bundle.files["index.js"]).mtimeMs).to.equal(written);
        // An input whose content no longer matches its recorded hash builds anew.
        const input = path.join("functions", "email-verification", "aws.ts");
        writeFileSync(recordFile, JSON.stringify({ ...record, inputs: { ...record.inputs, [input]: "0".repeat(64) } }));
        inAnotherProcess();
        expect(statSync(bundle.files["index.js"]).mtimeMs).to.be.greaterThan(written);
        expect(JSON.parse(readFileSync(recordFile, "utf8")).inputs[input]).to.equal(record.inputs[input]);
    });

    it("archives hold exactly the deployable files", async () => {
        const entries = async (cloud: "aws" | "gcp") => {
            const archive = emailFunctionArchive(cloud);
            const assets = (await archive.assets) as Record<string, { path: Promise<string> }>;
            return Object.fromEntries(
                await Promise.all(Object.entries(assets).map(async ([name, asset]) => [name, await asset.path])),
            );
        };
        expect(await entries("aws")).to.deep.equal({ "index.js": path.join(EMAIL_FUNCTION_DIST, "aws", "index.js") });
        expect(await entries("gcp")).to.deep.equal({
            "index.js": path.join(EMAIL_FUNCTION_DIST, "gcp", "index.js"),
            "package.json": path.join(EMAIL_FUNCTION_DIST, "gcp", "package.json"),
        });
    });
});
