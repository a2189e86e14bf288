/** The Automation API command: arguments, preflight errors, confirmation, dispatch, and the inline program under mocks. */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse, parseDocument } from "yaml";
import * as api from "../automation";
import {
    describeChanges,
    needsConfirmation,
    parseDeployArgs,
    renderOutputs,
    runDeploy,
    type Operations,
} from "../automation/cli";
import {
    cloudCredentialWarnings,
    findExecutable,
    MISSING_CLI,
    MISSING_LOGIN,
    PreflightError,
    pulumiLogin,
} from "../automation/preflight";
import { loadConfig } from "../config";
import { OfflineRunError, runOffline } from "../tools/offline/run";
import { UsageError } from "../tools/cli";
import { TEST_MAILGUN_KEY } from "./support";

const tmp = (prefix: string) => mkdtempSync(path.join(tmpdir(), prefix));

/** A folder with a stand-in `pulumi` executable (never run by these tests, only found on PATH). */
function fakePulumiBin(): string {
    const dir = tmp("fake-pulumi-");
    const file = path.join(dir, "pulumi");
    writeFileSync(file, "#!/bin/sh\necho v3.200.0\n");
    chmodSync(file, 0o755);
    return dir;
}

interface Calls {
    action: string;
    options: api.StackOptions;
}

function fakeOperations(calls: Calls[], result: "succeeded" | "failed" = "succeeded"): Operations {
    return {
        preview: async (options) => (
            calls.push({ action: "preview", options }),
            { stack: options.stackName, changes: { create: 34 } }
        ),
        up: async (options) => (
            calls.push({ action: "up", options }),
            {
                stack: options.stackName,
                result,
                changes: { create: 30, same: 4 },
                outputs: {
                    environment: { value: "demo", secret: false },
                    token: { value: "hunter2-secret", secret: true },
                },
            }
        ),
        destroy: async (options) => (
            calls.push({ action: "destroy", options }),
            { stack: options.stackName, result, changes: { delete: 34 } }
        ),
        outputs: async (options) => (
            calls.push({ action: "outputs", options }),
            { vpcId: { value: "vpc-1", secret: false } }
        ),
    };
}

interface Run {
    code: number;
    out: string[];
    err: string[];
    calls: Calls[];
}

/**
 * A project folder with the real Pulumi.yaml and stack files, each with an encrypted Mailgun key
 * (`pulumi config set --secret --path mailgun.apiKey` writes one): what a deploy needs.
 */
function projectWithMailgunKeys(): string {
    const root = tmp("deploy-project-");
    copyFileSync(path.join(api.PROJECT_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
    for (const stack of ["dev", "demo"]) {
        const doc = parseDocument(readFileSync(path.join(api.PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8"));
        doc.setIn(["config", "webapp-infra:mailgun", "apiKey"], { secure: "v1:c2FsdA==:Y2lwaGVydGV4dA==" });
        writeFileSync(path.join(root, `Pulumi.${stack}.yaml`), doc.toString());
    }
    return root;
}

describe("automation", () => {
    const home = tmp("home-");
    const bin = fakePulumiBin();
    const project = projectWithMailgunKeys();
    const loggedIn = {
        PATH: bin,
        PULUMI_ACCESS_TOKEN: "pul-test",
        AWS_PROFILE: "test",
        GOOGLE_APPLICATION_CREDENTIALS: "/x.json",
    };

    async function deploy(argv: string[], overrides: Record<string, unknown> = {}): Promise<Run> {
        const out: string[] = [];
        const err: string[] = [];
        const calls: Calls[] = [];
        const code = await runDeploy(argv, {
            env: loggedIn,
            home,
            root: project,
            print: (l) => out.push(l),
            fail: (l) => err.push(l),
            write: () => undefined,
            interactive: false,
            operations: fakeOperations(calls, overrides.result as "succeeded" | "failed" | undefined),
            ...overrides,
        });
        return { code, out, err, calls };
    }

    after(() => {
        rmSync(home, { recursive: true, force: true });
        rmSync(bin, { recursive: true, force: true });
        rmSync(project, { recursive: true, force: true });
    });

    describe("arguments", () => {
        it("defaults to up, and takes one of --preview, --destroy, --outputs", () => {
            expect(parseDeployArgs(["--stack", "demo"])).to.deep.equal({
                stack: "demo",
                settingsName: "demo",
                action: "up",
                yes: false,
                policyPack: false,
            });
            expect(parseDeployArgs(["--stack", "dev", "--preview", "--policy-pack"]).action).to.equal("preview");
            expect(parseDeployArgs(["--stack", "dev", "--destroy", "--yes"])).to.include({
                action: "destroy",
                yes: true,
            });
            expect(parseDeployArgs(["-s", "dev", "--outputs"]).action).to.equal("outputs");
            expect(parseDeployArgs(["--stack", "my-org/demo"])).to.include({
                stack: "my-org/demo",
                settingsName: "demo",
            });
        });

        it("rejects what it cannot do, saying why", () => {
            expect(() => parseDeployArgs([])).to.throw(
                UsageError,
                "--stack is required (stacks: demo, dev, prod, staging)",
            );
            expect(() => parseDeployArgs(["--stack", "qa"])).to.throw(UsageError, "there is no Pulumi.qa.yaml");
            expect(() => parseDeployArgs(["--stack", "dev", "--preview", "--destroy"])).to.throw(
                UsageError,
                "choose one of --preview, --destroy, --outputs (got --preview and --destroy)",
            );
            expect(() => parseDeployArgs(["--stack", "dev", "--destroy", "--policy-pack"])).to.throw(
                UsageError,
                "--policy-pack applies to up",
            );
            expect(() => parseDeployArgs(["--stack", "dev", "--force"])).to.throw(
                UsageError,
                "Unknown option '--force'",
            );
            expect(() => parseDeployArgs(["--stack", "dev", "extra"])).to.throw(UsageError);
        });

        it("asks for confirmation only for up and destroy without --yes", () => {
            const args = (a: string[]) => parseDeployArgs(["--stack", "dev", ...a]);
            expect(needsConfirmation(args([]))).to.equal(true);
            expect(needsConfirmation(args(["--destroy"]))).to.equal(true);
            expect(needsConfirmation(args(["--yes"]))).to.equal(false);
            expect(needsConfirmation(args(["--preview"]))).to.equal(false);
            expect(needsConfirmation(args(["--outputs"]))).to.equal(false);
        });

        it("--help prints the options and exits 0 without running anything", async () => {
            const r = await deploy(["--help"]);
            expect(r.code).to.equal(0);
            expect(r.out[0]).to.match(/^usage: npm run deploy -- --stack <name>/);
            expect(r.out.join("\n")).to.include("--policy-pack    enforce the policy pack");
            expect(r.calls).to.deep.equal([]);
        });

        it("exits 2 with the usage line on a bad argument", async () => {
            const r = await deploy(["--stack", "dev", "--preview", "--destroy"]);
            expect(r.code).to.equal(2);
            expect(r.err[1]).to.match(/^usage: npm run deploy -- --stack <name>/);
            expect(r.calls).to.deep.equal([]);
        });
    });

    describe("preflight", () => {
        it("stops with a clear message when the Pulumi CLI is not on PATH", async () => {
            const empty = tmp("empty-path-");
            try {
                const r = await deploy(["--stack", "dev", "--preview"], { env: { ...loggedIn, PATH: empty } });
                expect(r.code).to.equal(1);
                expect(r.err).to.deep.equal([MISSING_CLI]);
                expect(r.calls).to.deep.equal([]);
                expect(findExecutable("pulumi", { PATH: [empty, bin].join(path.delimiter) })).to.equal(
                    path.join(bin, "pulumi"),
                );
                // The API itself refuses the same way, before the SDK spawns anything.
                let thrown: unknown;
                try {
                    await api.pulumiCli({ PATH: empty });
                } catch (error) {
                    thrown = error;
                }
                expect(thrown).to.be.instanceOf(PreflightError);
                expect((thrown as Error).message).to.equal(MISSING_CLI);
            } finally {
                rmSync(empty, { recursive: true, force: true });
            }
        });

        it("stops when there is no Pulumi login, and accepts a token, a self-managed backend or pulumi login", async () => {
            const r = await deploy(["--stack", "dev", "--preview"], { env: { PATH: bin } });
            expect(r.code).to.equal(1);
            expect(r.err).to.deep.equal([MISSING_LOGIN]);

            expect(pulumiLogin({ PULUMI_ACCESS_TOKEN: "t" }, home)).to.equal("PULUMI_ACCESS_TOKEN");
            expect(pulumiLogin({ PULUMI_BACKEND_URL: "s3://state-bucket" }, home)).to.equal(
                "backend s3://state-bucket",
            );
            expect(pulumiLogin({ PULUMI_BACKEND_URL: "https://api.pulumi.com" }, home)).to.equal(undefined);
            const pulumiHome = tmp("pulumi-home-");
            try {
                writeFileSync(
                    path.join(pulumiHome, "credentials.json"),
                    JSON.stringify({ current: "file://~", accessTokens: {} }),
                );
                expect(pulumiLogin({ PULUMI_HOME: pulumiHome }, home)).to.equal("pulumi login (file://~)");
                writeFileSync(
                    path.join(pulumiHome, "credentials.json"),
                    JSON.stringify({ current: "https://api.pulumi.com", accessTokens: {} }),
                );
                expect(pulumiLogin({ PULUMI_HOME: pulumiHome }, home)).to.equal(undefined);
            } finally {
                rmSync(pulumiHome, { recursive: true, force: true });
            }
        });

        it("warns (does not stop) when no cloud credentials are in sight, per cloud the stack uses", async () => {
            const r = await deploy(["--stack", "demo", "--preview"], { env: { PATH: bin, PULUMI_ACCESS_TOKEN: "t" } });
            expect(r.code).to.equal(0);
            expect(r.err).to.have.length(2);
            expect(r.err[0]).to.match(/^warning: No AWS credentials found \(AWS_ACCESS_KEY_ID, AWS_PROFILE/);
            expect(r.err[1]).to.match(/^warning: No Google Cloud credentials found/);
            expect(cloudCredentialWarnings(["aws"], { AWS_PROFILE: "x" }, home)).to.deep.equal([]);
            const awsHome = tmp("aws-home-");
            try {
                mkdirSync(path.join(awsHome, ".aws"));
                writeFileSync(path.join(awsHome, ".aws", "config"), "[default]\nregion = us-east-1\n");
                expect(cloudCredentialWarnings(["aws", "gcp"], {}, awsHome)).to.have.length(1);
            } finally {
                rmSync(awsHome, { recursive: true, force: true });
            }
        });

        it("validates the stack's config offline first and prints the error as is", async () => {
            const root = tmp("deploy-root-");
            try {
                copyFileSync(path.join(api.PROJECT_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
                writeFileSync(path.join(root, "Pulumi.bad.yaml"), "config:\n  webapp-infra:clouds:\n    - azure\n");
                const r = await deploy(["--stack", "bad", "--preview"], { root });
                expect(r.code).to.equal(1);
                expect(r.err).to.deep.equal([
                    'Invalid webapp-infra config for stack "bad" (4 problems):\n' +
                        `  - domainName: is declared in Pulumi.yaml without a default, so the Pulumi CLI stops with "Stack 'bad' is missing configuration value 'domainName'": pulumi config set --stack bad domainName <value>\n` +
                        '  - clouds[0]: "azure" must be one of "aws", "gcp"\n' +
                        '  - environment: "bad" is not an environment profile: use one of dev, demo, staging, prod (it defaults to the stack name; pulumi config set environment <profile>)\n' +
                        "  - mailgun.apiKey: is required: pulumi config set --secret --path mailgun.apiKey <key>",
                ]);
                expect(r.calls).to.deep.equal([]);
            } finally {
                rmSync(root, { recursive: true, force: true });
            }
        });
    });

    describe("operations", () => {
        it("previews with the stack name, streaming output, and the policy pack when asked", async () => {
            const r = await deploy(["--stack", "dev", "--preview", "--policy-pack"]);
            expect(r.code).to.equal(0);
            expect(r.calls.map((c) => c.action)).to.deep.equal(["preview"]);
            expect(r.calls[0].options.stackName).to.equal("dev");
            expect(r.calls[0].options.onOutput).to.be.a("function");
            expect(r.calls[0].options.policyPacks).to.deep.equal([api.POLICY_PACK]);
            expect(r.out).to.deep.equal(["Preview of dev: create 34"]);
        });

        it("refuses up and destroy without --yes when nobody can confirm", async () => {
            for (const argv of [
                ["--stack", "demo"],
                ["--stack", "demo", "--destroy"],
            ]) {
                const r = await deploy(argv);
                expect(r.code, argv.join(" ")).to.equal(2);
                expect(r.err.at(-1)).to.match(/changes real infrastructure in "demo": pass --yes/);
                expect(r.calls).to.deep.equal([]);
            }
        });

        it("asks in a terminal: the stack name confirms, anything else cancels", async () => {
            const questions: string[] = [];
            const ask = (answer: string) => async (q: string) => (questions.push(q), answer);
            const cancelled = await deploy(["--stack", "demo"], { interactive: true, ask: ask("y") });
            expect(cancelled.code).to.equal(1);
            expect(cancelled.err.at(-1)).to.equal("Cancelled: nothing was changed.");
            expect(cancelled.calls).to.deep.equal([]);
            expect(questions[0]).to.equal('Deploy stack "demo" (aws, gcp)? Type the stack name to continue: ');

            const confirmed = await deploy(["--stack", "demo"], { interactive: true, ask: ask("demo\n") });
            expect(confirmed.code).to.equal(0);
            expect(confirmed.calls.map((c) => c.action)).to.deep.equal(["up"]);
        });

        it("up with --yes prints the change summary and the outputs with secrets hidden", async () => {
            const r = await deploy(["--stack", "demo", "--yes"]);
            expect(r.code).to.equal(0);
            expect(r.out[0]).to.equal("Update of demo succeeded: create 30, same 4");
            expect(JSON.parse(r.out[1])).to.deep.equal({ environment: "demo", token: "[secret]" });
            expect(r.out.join("\n")).to.not.include("hunter2");
        });

        it("exits 1 when the operation fails or throws", async () => {
            expect((await deploy(["--stack", "dev", "--destroy", "--yes"], { result: "failed" })).code).to.equal(1);
            const throwing: Operations = {
                ...fakeOperations([]),
                preview: async () => {
                    throw new Error("error: could not load plugin for aws provider");
                },
            };
            const r = await deploy(["--stack", "dev", "--preview"], { operations: throwing });
            expect(r.code).to.equal(1);
            expect(r.err.at(-1)).to.equal(
                'deploy: preview of "dev" failed: error: could not load plugin for aws provider',
            );
        });

        it("prints outputs without confirmation", async () => {
            const r = await deploy(["--stack", "dev", "--outputs"]);
            expect(r.code).to.equal(0);
            expect(JSON.parse(r.out[0])).to.deep.equal({ vpcId: "vpc-1" });
            expect(renderOutputs({ a: { value: 1, secret: true } })).to.equal('{\n  "a": "[secret]"\n}');
            expect(describeChanges({ create: 0, same: 3 })).to.equal("same 3");
            expect(describeChanges({})).to.equal("no changes");
        });
    });

    describe("inline program", () => {
        /** The stack's config as the engine hands it to a program: objects as JSON, path secrets mark their key secret. */
        function engineConfig(stack: string): Record<string, string> {
            const file = parse(readFileSync(path.join(api.PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
                config: Record<string, unknown>;
            };
            const config = Object.fromEntries(
                Object.entries(file.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
            );
            const mailgun = JSON.parse(config["webapp-infra:mailgun"] ?? "{}");
            config["webapp-infra:mailgun"] = JSON.stringify({ ...mailgun, apiKey: TEST_MAILGUN_KEY });
            return config;
        }

        afterEach(() => pulumi.runtime.setAllConfig({}, []));

        it("loads a path secret as secret and its sibling keys as plain text", async () => {
            pulumi.runtime.setAllConfig(engineConfig("dev"), ["webapp-infra:mailgun"]);
            // Read inside a run of stack dev, as the program reads it (the stack name is the
            // environment's default; outside a run the SDK's stack is whatever ran last).
            let cfg: ReturnType<typeof loadConfig> | undefined;
            await runOffline(
                () => {
                    cfg = loadConfig();
                },
                { stack: "dev" },
            );
            if (cfg === undefined) {
                throw new Error("the program did not run");
            }
            expect(cfg.mailgun.domain).to.equal("mg.example.com");
            expect(await pulumi.isSecret(cfg.mailgun.apiKey)).to.equal(true);
        });

        it("is the program index.ts runs: builds the stack from the stack's config, keeping the Mailgun key secret", async () => {
            pulumi.runtime.setAllConfig(engineConfig("dev"), ["webapp-infra:mailgun"]);
            const run = await runOffline(api.inlineProgram, { stack: "dev" });
            expect(run.ofType("aws:rds/instance:Instance")).to.have.length(1);
            expect(run.one("aws:ec2/flowLog:FlowLog").type).to.equal("aws:ec2/flowLog:FlowLog");
            const providers = run.ofType("pulumi:providers:aws");
            expect(run.plain(providers[0]).region).to.equal("us-east-1");
            expect(run.outputs.environment).to.equal("dev");
            expect(Object.keys(run.outputs).sort()).to.deep.equal(["aws", "clouds", "environment"]);
            const hits = run.locate(TEST_MAILGUN_KEY);
            expect(hits.length).to.be.greaterThan(0);
            expect(hits.filter((h) => !h.inSecret)).to.deep.equal([]);
        });

        it("ends with the config error only, no stack trace, when the config is invalid", async () => {
            pulumi.runtime.setAllConfig({ ...engineConfig("dev"), "webapp-infra:clouds": '["azure"]' }, [
                "webapp-infra:mailgun",
            ]);
            let thrown: unknown;
            try {
                await runOffline(api.inlineProgram, { stack: "dev" });
            } catch (error) {
                thrown = error;
            }
            expect(thrown).to.be.instanceOf(OfflineRunError);
            const cause = (thrown as OfflineRunError).cause;
            expect(cause).to.be.instanceOf(pulumi.RunError);
            expect((cause as Error).message).to.match(
                /^Invalid webapp-infra config for stack "dev" \(1 problem\):\n {2}- clouds\[0\]: /,
            );
        });
    });
});
