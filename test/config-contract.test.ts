/**
 * The config contract as real users meet it, through both readers: the program (the engine's
 * config, `pulumi.runtime.allConfig()`) and the offline tools (the stack file, read as the CLI reads
 * it). Pulumi's rule for declared keys, provider namespaces, keys set without `--path`, numbers
 * from YAML, ESC environments and the Mailgun key.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { runDeploy, type Operations } from "../automation/cli";
import { ConfigError, formatPath, loadConfig, PROJECT } from "../config";
import {
    knownStacks,
    loadStackConfig,
    parsePulumiYaml,
    PROJECT_ROOT,
    readStackFile,
} from "../tools/offline/stack-config";
import { runPlan } from "../tools/plan";
import { build, TEST_MAILGUN_KEY } from "./support";

const tmp = (prefix: string) => mkdtempSync(path.join(tmpdir(), prefix));

/** A project folder with the real Pulumi.yaml (or `projectYaml`) and the given stack files. */
function project(stacks: Record<string, string>, projectYaml?: string): string {
    const root = tmp("contract-");
    if (projectYaml === undefined) {
        copyFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
    } else {
        writeFileSync(path.join(root, "Pulumi.yaml"), projectYaml);
    }
    for (const [stack, text] of Object.entries(stacks)) {
        writeFileSync(path.join(root, `Pulumi.${stack}.yaml`), text);
    }
    return root;
}

/** The problems `loadStackConfig` reports for a stack file. */
function offlineProblems(stackYaml: string, stack = "staging"): string[] {
    const root = project({ [stack]: stackYaml });
    try {
        loadStackConfig(stack, { root, missingMailgunKey: "standIn" });
        return [];
    } catch (error) {
        if (!(error instanceof ConfigError)) {
            throw error;
        }
        return error.problems.map((p) => p.message);
    } finally {
        rmSync(root, { recursive: true, force: true });
    }
}

/** Sets the engine's config as the CLI hands it to a program: every value a string, objects as JSON. */
function engineConfig(values: Record<string, unknown>, secretKeys: string[] = []): void {
    const config = Object.fromEntries(
        Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
    );
    pulumi.runtime.setAllConfig(config, secretKeys);
}

/** The dev stack's config as the engine sees it (with a Mailgun key), plus `extra` keys. */
function devEngineConfig(extra: Record<string, unknown> = {}, extraSecrets: string[] = []): void {
    const file = readStackFile("dev");
    const mailgun = { ...(file.values[`${PROJECT}:mailgun`] as object), apiKey: TEST_MAILGUN_KEY };
    engineConfig({ ...file.values, [`${PROJECT}:mailgun`]: mailgun, ...extra }, [
        `${PROJECT}:mailgun`,
        ...extraSecrets,
    ]);
}

function runtimeProblems(): string[] {
    try {
        loadConfig();
        return [];
    } catch (error) {
        expect(error).to.be.instanceOf(ConfigError);
        return (error as ConfigError).problems.map((p) => p.message);
    }
}

const DEV_FILE = readFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8");

describe("config contract: Pulumi's rule for keys declared in Pulumi.yaml", () => {
    it("every stack file sets every key Pulumi.yaml declares without a default", () => {
        const stacks = knownStacks();
        expect(stacks.length).to.be.greaterThanOrEqual(2);
        for (const stack of stacks) {
            expect(readStackFile(stack).missingDeclared, `Pulumi.${stack}.yaml`).to.deep.equal([]);
        }
    });

    it("reports a declared key without default that a stack file leaves out, in the CLI's words", () => {
        const declared =
            "name: webapp-infra\nruntime: nodejs\nconfig:\n  environment:\n    type: string\n  domainName:\n    type: string\n  clouds:\n    type: array\n    items:\n      type: string\n    default: [aws]\n";
        const root = project({ dev: DEV_FILE }, declared);
        try {
            expect(readStackFile("dev", { root }).missingDeclared).to.deep.equal(["environment"]);
            expect(() => loadStackConfig("dev", { root })).to.throw(
                ConfigError,
                `environment: is declared in Pulumi.yaml without a default, so the Pulumi CLI stops with "Stack 'dev' is missing configuration value 'environment'": pulumi config set --stack dev environment <value>`,
            );
        } finally {
            rmSync(root, { recursive: true, force: true });
        }
    });

    it("says once, in the CLI's words, that a stack file lacks domainName", () => {
        expect(offlineProblems("config:\n  webapp-infra:clouds: [aws]\n")).to.deep.equal([
            `domainName: is declared in Pulumi.yaml without a default, so the Pulumi CLI stops with "Stack 'staging' is missing configuration value 'domainName'": pulumi config set --stack staging domainName <value>`,
        ]);
    });
});

describe("config contract: provider namespaces", () => {
    afterEach(() => pulumi.runtime.setAllConfig({}, []));

    it("reads aws:region, aws:profile, aws:allowedAccountIds and gcp:project/region/zone as the project's keys, and the providers get them", async () => {
        await pulumi.runtime.setMocks({ newResource: () => ({ id: "", state: {} }), call: () => ({}) }, PROJECT, "dev");
        const file = readStackFile("dev");
        const aws = { ...(file.values[`${PROJECT}:aws`] as Record<string, unknown>) };
        delete aws.region;
        devEngineConfig({
            [`${PROJECT}:aws`]: aws,
            [`${PROJECT}:clouds`]: ["aws", "gcp"],
            "aws:region": "eu-west-1",
            "aws:profile": "webapp-admin",
            "aws:allowedAccountIds": ["012345678901"],
            "gcp:project": "acme-web-1",
            "gcp:region": "europe-west4",
            "gcp:zone": "europe-west4-a",
        });
        const cfg = loadConfig();
        expect(cfg.aws).to.include({ region: "eu-west-1", profile: "webapp-admin" });
        expect(cfg.aws.allowedAccountIds).to.deep.equal(["012345678901"]);
        expect(cfg.gcp).to.include({ project: "acme-web-1", region: "europe-west4", zone: "europe-west4-a" });
        const run = await build(cfg);
        const awsProviders = run.ofType("pulumi:providers:aws");
        expect(awsProviders).to.have.length(1);
        expect(run.plain(awsProviders[0])).to.include({ region: "eu-west-1", profile: "webapp-admin" });
        expect(JSON.parse(run.plain(awsProviders[0]).allowedAccountIds as string)).to.deep.equal(["012345678901"]);
        const gcpProviders = run.ofType("pulumi:providers:gcp");
        expect(gcpProviders).to.have.length(1);
        expect(run.plain(gcpProviders[0])).to.include({
            project: "acme-web-1",
            region: "europe-west4",
            zone: "europe-west4-a",
        });
    });

    it("stops when a provider key and the project's key disagree, naming both and the commands", async () => {
        await pulumi.runtime.setMocks({ newResource: () => ({ id: "", state: {} }), call: () => ({}) }, PROJECT, "dev");
        devEngineConfig({ "aws:region": "eu-west-1" });
        expect(runtimeProblems()).to.deep.equal([
            'aws:region: "eu-west-1" disagrees with aws.region ("us-east-1"); both set the same thing, keep one: pulumi config rm --stack dev aws:region, or pulumi config rm --path --stack dev aws.region',
        ]);
    });

    it("refuses the provider keys it does not read, with what to use instead, never printing a secret", async () => {
        await pulumi.runtime.setMocks({ newResource: () => ({ id: "", state: {} }), call: () => ({}) }, PROJECT, "dev");
        devEngineConfig(
            {
                "aws:secretKey": "very-secret-key-value",
                "aws:skipMetadataApiCheck": "false",
                "gcp:credentials": "/keys/sa.json",
                "random:anything": "x",
                "pulumi:tags": JSON.stringify({ team: "web" }),
            },
            ["aws:secretKey"],
        );
        const problems = runtimeProblems();
        expect(problems).to.deep.equal([
            "aws:secretKey: is not read: static keys in a stack file are not used: export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or name a profile with aws.profile. Remove it: pulumi config rm --stack dev aws:secretKey",
            "aws:skipMetadataApiCheck: is not read: its AWS provider is explicit and takes aws.region, aws.profile and aws.allowedAccountIds (aws:region, aws:profile and aws:allowedAccountIds are read as those). Remove it: pulumi config rm --stack dev aws:skipMetadataApiCheck",
            "gcp:credentials: is not read: credentials are not read from the stack file: run gcloud auth application-default login, or export GOOGLE_APPLICATION_CREDENTIALS (a key file) or GOOGLE_OAUTH_ACCESS_TOKEN. Remove it: pulumi config rm --stack dev gcp:credentials",
            "random:anything: is not read: the random provider takes no configuration. Remove it: pulumi config rm --stack dev random:anything",
        ]);
        expect(problems.join("\n")).not.to.contain("very-secret-key-value");
    });

    it("reports a misspelt project namespace with the commands that move the key, in both readers", async () => {
        const expected = [
            'webapp-infa:domainName: "webapp-infa" is not the project\'s namespace (webapp-infra), so nothing reads this key. Move it: pulumi config rm --stack staging webapp-infa:domainName && pulumi config set --stack staging domainName api.example.org',
        ];
        expect(
            offlineProblems(
                "config:\n  webapp-infra:domainName: qa.example.com\n  webapp-infa:domainName: api.example.org\n",
            ),
        ).to.deep.equal(expected);

        await pulumi.runtime.setMocks(
            { newResource: () => ({ id: "", state: {} }), call: () => ({}) },
            PROJECT,
            "staging",
        );
        devEngineConfig({ "webapp-infa:domainName": "api.example.org" });
        expect(runtimeProblems()).to.deep.equal(expected);
    });

    it("reads provider keys from a stack file the same way (offline plan and deploy)", () => {
        const root = project({
            staging:
                "config:\n  webapp-infra:domainName: qa.example.com\n  aws:region: eu-central-1\n  aws:profile: qa-admin\n",
        });
        try {
            const { config } = loadStackConfig("staging", { root });
            expect(config.aws).to.include({ region: "eu-central-1", profile: "qa-admin" });
        } finally {
            rmSync(root, { recursive: true, force: true });
        }
        expect(
            offlineProblems("config:\n  webapp-infra:domainName: qa.example.com\n  aws:defaultTags: {}\n"),
        ).to.deep.equal([
            "aws:defaultTags: is not read: the program sets the default tags itself (project, environment, stack, managed-by). Remove it: pulumi config rm --stack staging aws:defaultTags",
        ]);
        expect(
            offlineProblems("config:\n  webapp-infra:domainName: qa.example.com\n  kubernetes:context: prod\n"),
        ).to.deep.equal([
            'kubernetes:context: is not read: "kubernetes" is neither this project (webapp-infra) nor a package it uses. Remove it: pulumi config rm --stack staging kubernetes:context',
        ]);
    });
});

describe("config contract: a nested key set without --path", () => {
    afterEach(() => pulumi.runtime.setAllConfig({}, []));

    it("says so and shows the rm / set --path commands, in both readers", async () => {
        const expected =
            'aws.asg.max: is one key named "aws.asg.max" (set without --path), which the program does not read. Replace it: pulumi config rm --stack staging aws.asg.max && pulumi config set --path --stack staging aws.asg.max 4';
        // What `pulumi config set aws.asg.max 4` (no --path) writes, as the CLI 3.248 wrote it.
        expect(
            offlineProblems('config:\n  webapp-infra:domainName: qa.example.com\n  webapp-infra:aws.asg.max: "4"\n'),
        ).to.deep.equal([expected]);

        await pulumi.runtime.setMocks(
            { newResource: () => ({ id: "", state: {} }), call: () => ({}) },
            PROJECT,
            "staging",
        );
        devEngineConfig({ [`${PROJECT}:aws.asg.max`]: "4" });
        expect(runtimeProblems()).to.deep.equal([expected]);
    });

    it("quotes a path with an index for the shell, and never prints a secret set without --path", async () => {
        expect(
            offlineProblems(
                'config:\n  webapp-infra:domainName: qa.example.com\n  webapp-infra:aws.allowedAccountIds[0]: "012345678901"\n  webapp-infra:mailgun.apiKey:\n    secure: v1:c2FsdA==:Y2lwaGVy\n',
            ),
        ).to.deep.equal([
            `aws.allowedAccountIds[0]: is one key named "aws.allowedAccountIds[0]" (set without --path), which the program does not read. Replace it: pulumi config rm --stack staging 'aws.allowedAccountIds[0]' && pulumi config set --path --stack staging 'aws.allowedAccountIds[0]' 012345678901`,
            'mailgun.apiKey: is one key named "mailgun.apiKey" (set without --path), which the program does not read. Replace it: pulumi config rm --stack staging mailgun.apiKey && pulumi config set --secret --path --stack staging mailgun.apiKey <value>',
        ]);
        await pulumi.runtime.setMocks({ newResource: () => ({ id: "", state: {} }), call: () => ({}) }, PROJECT, "dev");
        devEngineConfig({ [`${PROJECT}:mailgun.apiKey`]: "key-set-without-path" }, [`${PROJECT}:mailgun.apiKey`]);
        const problems = runtimeProblems();
        expect(problems).to.deep.equal([
            'mailgun.apiKey: is one key named "mailgun.apiKey" (set without --path), which the program does not read. Replace it: pulumi config rm --stack dev mailgun.apiKey && pulumi config set --secret --path --stack dev mailgun.apiKey <value>',
        ]);
        expect(problems.join("\n")).not.to.contain("key-set-without-path");
    });

    it("writes paths in --path syntax: indexes in brackets, odd keys quoted", () => {
        expect(formatPath(["aws", "allowedAccountIds", 0])).to.equal("aws.allowedAccountIds[0]");
        expect(formatPath(["clouds", 1])).to.equal("clouds[1]");
        expect(formatPath(["aws", "odd.key", "x"])).to.equal('aws["odd.key"].x');
        expect(formatPath([])).to.equal("");
    });
});

describe("config contract: account ids and versions as users type them", () => {
    afterEach(() => pulumi.runtime.setAllConfig({}, []));

    it("takes what the Pulumi CLI 3.248 writes for --path account ids and versions", async () => {
        await pulumi.runtime.setMocks({ newResource: () => ({ id: "", state: {} }), call: () => ({}) }, PROJECT, "dev");
        // `pulumi config set --path 'aws.allowedAccountIds[0]' 012345678901`, `... [1] 123456789012` and
        // `--path aws.db.engineVersion 8.4`: the program receives this JSON for webapp-infra:aws.
        const file = readStackFile("dev");
        const aws = file.values[`${PROJECT}:aws`] as Record<string, unknown>;
        devEngineConfig({
            [`${PROJECT}:aws`]: {
                ...aws,
                allowedAccountIds: ["012345678901", 123456789012],
                db: { ...(aws.db as object), engineVersion: "8.4" },
            },
        });
        const cfg = loadConfig();
        expect(cfg.aws.allowedAccountIds).to.deep.equal(["012345678901", "123456789012"]);
        expect(cfg.aws.db.engineVersion).to.equal("8.4");
    });

    it("reads a stack file's YAML as the CLI does (Go's YAML: a leading 0 is octal, 8.10 is 8.1)", () => {
        // The values `pulumi config get extra` printed for this block, CLI 3.248.
        const yaml =
            "big: 999999999999\ne: 1e3\nhex: 0x1F\noc: 012345670123\noct: 0o17\non: on\ntilde: ~\nv10: 8.10\nv8: 8.0\nv80: 8.40\nyes: yes\nzero: 0123\nid: 012345678901\n";
        expect(parsePulumiYaml(yaml)).to.deep.equal({
            big: 999999999999,
            e: 1000,
            hex: 31,
            oc: 1402433619,
            oct: 15,
            on: "on",
            tilde: null,
            v10: 8.1,
            v8: 8,
            v80: 8.4,
            yes: "yes",
            zero: 83,
            id: 12345678901,
        });
    });

    it("refuses an unquoted account id that lost its leading zero, and an unquoted version, with the fix", () => {
        const stack =
            "config:\n  webapp-infra:domainName: qa.example.com\n  webapp-infra:aws:\n    allowedAccountIds:\n      - 012345678901\n      - 123456789012\n    imageFilter:\n      owner: 123456789012\n      namePrefix: webapp-\n    db:\n      engineVersion: 8.4\n";
        expect(offlineProblems(stack)).to.deep.equal([
            `aws.allowedAccountIds[0]: 12345678901 is a number, not a 12-digit account id: YAML reads an unquoted id as a number and drops its leading zeros. Quote the id, zeros included, in the stack file ("<12-digit id>"), or set it with pulumi config set --path 'aws.allowedAccountIds[0]' <12-digit id>`,
            'aws.db.engineVersion: 8.4 is a number, not a database version (8.4.8, 16.9): YAML reads an unquoted version as a number (8.10 becomes 8.1). Quote it in the stack file ("8.4"), or set it with pulumi config set --path aws.db.engineVersion 8.4',
        ]);
    });
});

describe("config contract: ESC environments and the Mailgun key", () => {
    const fakeBin = () => {
        const dir = tmp("fake-pulumi-");
        writeFileSync(path.join(dir, "pulumi"), "#!/bin/sh\necho v3.248.0\n");
        chmodSync(path.join(dir, "pulumi"), 0o755);
        return dir;
    };

    async function deploy(root: string, stack: string) {
        const bin = fakeBin();
        const err: string[] = [];
        const calls: string[] = [];
        const operations = {
            preview: async (o: { stackName: string }) => (calls.push("preview"), { stack: o.stackName, changes: {} }),
        } as unknown as Operations;
        try {
            const code = await runDeploy(["--stack", stack, "--preview"], {
                root,
                env: { PATH: bin, PULUMI_ACCESS_TOKEN: "t", AWS_PROFILE: "x", GOOGLE_APPLICATION_CREDENTIALS: "/x" },
                home: bin,
                print: () => undefined,
                fail: (l) => err.push(l),
                write: () => undefined,
                interactive: false,
                operations,
            });
            return { code, err, calls };
        } finally {
            rmSync(bin, { recursive: true, force: true });
        }
    }

    async function plan(root: string, stack: string, json = false) {
        const out: string[] = [];
        const err: string[] = [];
        const dir = tmp("contract-plan-");
        try {
            const code = await runPlan(["--stack", stack, "--out", dir, ...(json ? ["--json"] : [])], {
                print: (l) => out.push(l),
                fail: (l) => err.push(l),
                root,
            });
            return { code, out, err };
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    }

    const esc = "environment:\n  - acme/webapp-qa\nconfig:\n  webapp-infra:clouds: [aws, gcp]\n";

    it("the plan says which keys it cannot see from the ESC environments and runs with stand-ins", async () => {
        const root = project({ staging: esc });
        try {
            const r = await plan(root, "staging");
            expect(r.err).to.deep.equal([]);
            expect(r.code).to.equal(0);
            const notes = r.out.slice(r.out.indexOf("Not visible offline:"), -1);
            expect(notes).to.deep.equal([
                "Not visible offline:",
                "  mailgun.apiKey: not in Pulumi.staging.yaml, left to the ESC environment acme/webapp-qa; offline a secret stand-in is used",
                '  domainName: not in Pulumi.staging.yaml, left to the ESC environment acme/webapp-qa; offline "placeholder.example.com" is used',
                '  gcp.project: not in Pulumi.staging.yaml, left to the ESC environment acme/webapp-qa; offline "placeholder-project" is used',
                "  ESC environments acme/webapp-qa (imported by Pulumi.staging.yaml): their values cannot be seen offline; keys the stack file does not set take their defaults here",
            ]);
        } finally {
            rmSync(root, { recursive: true, force: true });
        }
    });

    it("deploy lets the CLI resolve ESC environments instead of blocking in preflight", async () => {
        const root = project({
            staging: esc,
            bad: "environment:\n  - acme/webapp-bad\nconfig:\n  webapp-infra:domainName: bad.example.com\n  webapp-infra:features:\n    monthlyBudgetUsd: 50\n",
        });
        try {
            const ok = await deploy(root, "staging");
            expect(ok.code).to.equal(0);
            expect(ok.calls).to.deep.equal(["preview"]);
            expect(ok.err).to.deep.equal([
                "note: mailgun.apiKey, domainName, gcp.project not in the stack file: left to the ESC environments acme/webapp-qa",
            ]);
            // monitoring.alarmEmail may well come from the environment: warned, not blocked.
            const warned = await deploy(root, "bad");
            expect(warned.code).to.equal(0);
            expect(warned.calls).to.deep.equal(["preview"]);
            expect(warned.err).to.deep.equal([
                'warning: the offline check of "bad" found problems, but the stack imports the ESC environments acme/webapp-bad, whose values only the Pulumi CLI can see: it resolves them and the program checks the result before creating anything.',
                'warning:   - environment: "bad" is not an environment profile: use one of dev, demo, staging, prod (it defaults to the stack name; pulumi config set environment <profile>)',
                "warning:   - features.monthlyBudgetUsd: 50 needs monitoring.alarmEmail: budget and cost-anomaly alerts are sent there",
            ]);
        } finally {
            rmSync(root, { recursive: true, force: true });
        }
    });

    it("tells a missing Mailgun key from an encrypted one: the plan says which, deploy stops on a missing one", async () => {
        const encrypted = DEV_FILE.replace(
            "    from: noreply@mg.example.com\n",
            "    from: noreply@mg.example.com\n    apiKey:\n      secure: v1:c2FsdA==:Y2lwaGVydGV4dA==\n",
        );
        expect(encrypted).to.contain("secure:");
        const missingRoot = project({ dev: DEV_FILE });
        const encryptedRoot = project({ dev: encrypted });
        try {
            const missingPlan = await plan(missingRoot, "dev", true);
            expect(missingPlan.code).to.equal(0);
            const summary = JSON.parse(missingPlan.out.join("\n"));
            expect(summary.unseen).to.deep.equal([
                { path: "mailgun.apiKey", reason: "not set", standIn: "a secret stand-in" },
            ]);
            expect(summary.environments).to.deep.equal([]);
            const encryptedPlan = await plan(encryptedRoot, "dev");
            expect(encryptedPlan.code).to.equal(0);
            expect(encryptedPlan.out).to.include(
                "  mailgun.apiKey: encrypted (secure:) in Pulumi.dev.yaml; offline it cannot be decrypted, so a secret stand-in is used",
            );

            const missing = await deploy(missingRoot, "dev");
            expect(missing.code).to.equal(1);
            expect(missing.calls).to.deep.equal([]);
            expect(missing.err).to.deep.equal([
                'Invalid webapp-infra config for stack "dev" (1 problem):\n  - mailgun.apiKey: is required: pulumi config set --secret --path mailgun.apiKey <key>',
            ]);
            const present = await deploy(encryptedRoot, "dev");
            expect(present.code).to.equal(0);
            expect(present.calls).to.deep.equal(["preview"]);
        } finally {
            rmSync(missingRoot, { recursive: true, force: true });
            rmSync(encryptedRoot, { recursive: true, force: true });
        }
    });
});
