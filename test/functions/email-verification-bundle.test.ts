/**
 * The bundles as they are deployed: built with esbuild, loaded from the output file alone, and run
 * with the platform's own configuration mechanisms (environment variables). The GCP bundle runs
 * here against the Google and Mailgun fakes; the AWS bundle runs against the AWS API emulator in
 * test/emulators/email-verification-aws.test.ts.
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
import { fakeMetadataServer, FakeSecretManager } from "../fakes/google";
import { fakeMailgun, formOf, MAILGUN_DOMAIN } from "../fakes/mailgun";
import type { FakeServer } from "../fakes/server";
import { pubSubEvent, withEnvCapturingStdout } from "./fakes";

const KEY = "key-bundle-0123456789abcdef0123456789ab";

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

    it("the AWS bundle is one file with the Secrets Manager client in it, for the handler index.handler", () => {
        const bundle = bundleEmailFunction("aws", { outDir });
        expect(Object.keys(bundle.files)).to.deep.equal(["index.js"]);
        expect(bundle.entryPoint).to.equal("index.handler");
        expect(bundle.inputs.some((f) => f.includes(`${path.sep}@aws-sdk${path.sep}client-secrets-manager`))).to.equal(
            true,
        );
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
        const secretManager = await FakeSecretManager.start({ project: "demo" });
        secretManager.addVersion("mailgun", KEY);
        const mailgun = await fakeMailgun([KEY]);
        servers.push(metadata, secretManager.server, mailgun);

        const logs = await withEnvCapturingStdout(
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
        expect(secretManager.accessRequests).to.have.length(1);
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
        const recordFile = path.join(BUNDLE_CACHE, "email-verification-aws.json");
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
