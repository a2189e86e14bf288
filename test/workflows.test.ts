/** The CI workflows: valid YAML, the steps the pipeline promises, real action inputs, no secret in the repository. */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse } from "yaml";

const ROOT = path.resolve(__dirname, "..");

interface Step {
    id?: string;
    name?: string;
    uses?: string;
    run?: string;
    if?: string;
    with?: Record<string, unknown>;
    env?: Record<string, unknown>;
    "working-directory"?: string;
}

interface Job {
    name?: string;
    outputs?: Record<string, string>;
    "timeout-minutes"?: number;
    needs?: string | string[];
    if?: string;
    environment?: string | { name: string };
    permissions?: Record<string, string>;
    strategy?: { matrix?: Record<string, unknown> };
    steps: Step[];
}

interface Workflow {
    on: Record<string, unknown>;
    permissions?: Record<string, string>;
    concurrency?: { group: string; "cancel-in-progress"?: boolean };
    jobs: Record<string, Job>;
}

function workflow(file: string): Workflow {
    return parse(readFileSync(path.join(ROOT, ".github", "workflows", file), "utf8")) as Workflow;
}

/**
 * The inputs each action declares in its action.yml (pulumi/actions v7, aws-actions/configure-aws-credentials v4,
 * google-github-actions/auth v2, actions/setup-node v4, actions/setup-go v5, actions/cache v4,
 * actions/upload-artifact v4, actions/checkout v4, github/codeql-action/upload-sarif v3): a misspelt input is
 * silently ignored by GitHub, so the test refuses it.
 */
const ACTION_INPUTS: Record<string, readonly string[]> = {
    "pulumi/actions": [
        "command",
        "stack-name",
        "pulumi-version",
        "pulumi-version-file",
        "work-dir",
        "comment-on-pr",
        "comment-on-pr-number",
        "comment-on-summary",
        "github-token",
        "cloud-url",
        "secrets-provider",
        "parallel",
        "message",
        "config-map",
        "expect-no-changes",
        "diff",
        "replace",
        "exclude",
        "exclude-dependents",
        "target",
        "target-dependents",
        "policyPacks",
        "policyPackConfigs",
        "refresh",
        "upsert",
        "remove",
        "edit-pr-comment",
        "color",
        "exclude-protected",
        "plan",
        "suppress-outputs",
        "suppress-progress",
        "always-include-summary",
        "continue-on-error",
        "log-verbosity",
        "log-flow",
        "debug",
    ],
    "aws-actions/configure-aws-credentials": [
        "audience",
        "aws-access-key-id",
        "aws-secret-access-key",
        "aws-session-token",
        "aws-region",
        "mask-aws-account-id",
        "role-to-assume",
        "web-identity-token-file",
        "role-duration-seconds",
        "role-session-name",
        "role-external-id",
        "role-skip-session-tagging",
        "http-proxy",
    ],
    "google-github-actions/auth": [
        "workload_identity_provider",
        "service_account",
        "audience",
        "create_credentials_file",
        "activate_credentials_file",
        "token_format",
        "delegates",
        "access_token_lifetime",
        "access_token_scopes",
        "id_token_audience",
        "id_token_include_email",
    ],
    "actions/setup-node": ["node-version", "node-version-file", "cache", "cache-dependency-path", "registry-url"],
    "actions/setup-go": [
        "go-version",
        "go-version-file",
        "check-latest",
        "token",
        "cache",
        "cache-dependency-path",
        "architecture",
    ],
    "actions/cache": [
        "path",
        "key",
        "restore-keys",
        "upload-chunk-size",
        "enableCrossOsArchive",
        "fail-on-cache-miss",
        "lookup-only",
        "save-always",
    ],
    "actions/upload-artifact": ["name", "path", "if-no-files-found", "retention-days"],
    "actions/checkout": ["repository", "ref", "path", "token", "fetch-depth", "persist-credentials", "sparse-checkout"],
    "github/codeql-action/upload-sarif": [
        "sarif_file",
        "checkout_path",
        "ref",
        "sha",
        "token",
        "matrix",
        "category",
        "wait-for-processing",
    ],
};

const action = (step: Step) => step.uses?.split("@")[0];
const stepsUsing = (job: Job, name: string) => job.steps.filter((s) => action(s) === name);
const runs = (job: Job) => job.steps.map((s) => s.run ?? "");

/** Every string in a value (the whole workflow), with its path. */
function strings(value: unknown, at = ""): Array<[string, string]> {
    if (typeof value === "string") {
        return [[at, value]];
    }
    if (Array.isArray(value)) {
        return value.flatMap((v, i) => strings(v, `${at}[${i}]`));
    }
    if (value !== null && typeof value === "object") {
        return Object.entries(value).flatMap(([k, v]) => strings(v, at ? `${at}.${k}` : k));
    }
    return [];
}

function checkCommon(wf: Workflow): void {
    for (const [jobName, job] of Object.entries(wf.jobs)) {
        for (const step of job.steps) {
            const name = action(step);
            if (!name) {
                continue;
            }
            expect(step.uses, `${jobName}: ${name} is pinned to a version`).to.match(/@v\d+$/);
            const known = ACTION_INPUTS[name];
            expect(known, `${jobName}: ${name} is a known action`).to.not.equal(undefined);
            for (const input of Object.keys(step.with ?? {})) {
                expect(known, `${jobName}: ${name} has input ${input}`).to.include(input);
            }
        }
        const setup = stepsUsing(job, "actions/setup-node")[0];
        expect(setup?.with?.["node-version"], `${jobName}: Node 20`).to.equal(20);
        expect(setup?.with?.cache, `${jobName}: npm cache`).to.equal("npm");
        expect(runs(job), `${jobName}: installs with npm ci`).to.include("npm ci");
    }
    // No expression inside a script: values (a dispatch payload above all) reach the shell as environment variables.
    for (const [jobName, job] of Object.entries(wf.jobs)) {
        for (const step of job.steps) {
            expect(step.run ?? "", `${jobName}: ${step.name ?? step.uses}`).to.not.include("${{");
        }
    }
    // No credential in the repository: secrets only through the secret store, cloud access through OIDC.
    for (const [at, text] of strings(wf)) {
        expect(text, at).to.not.match(/AKIA[0-9A-Z]{16}|pul-[0-9a-f]{40}|-----BEGIN|"type": "service_account"/);
        // A credential-looking environment variable or action input takes its value from the secret store.
        const name = /\.(?:env|with)\.([^.[]+)$/.exec(at)?.[1] ?? "";
        // (The job's own GITHUB_TOKEN is `github.token`.)
        if (/token|secret|password|passphrase|access-key|_key$/i.test(name) && name !== "github-token") {
            expect(text, at).to.match(/^\$\{\{ (secrets\.[A-Z_]+|github\.token) \}\}$/);
        }
    }
    for (const job of Object.values(wf.jobs)) {
        for (const step of stepsUsing(job, "aws-actions/configure-aws-credentials")) {
            expect(step.with).to.have.property("role-to-assume");
            expect(step.with).to.not.have.property("aws-access-key-id");
            expect(job.permissions?.["id-token"]).to.equal("write");
        }
        for (const step of stepsUsing(job, "google-github-actions/auth")) {
            expect(step.with).to.have.property("workload_identity_provider");
            expect(job.permissions?.["id-token"]).to.equal("write");
        }
        // A pulumi/actions step without a command only installs the CLI.
        for (const step of stepsUsing(job, "pulumi/actions").filter((s) => s.with?.command !== undefined)) {
            expect(step.env?.PULUMI_ACCESS_TOKEN).to.equal("${{ secrets.PULUMI_ACCESS_TOKEN }}");
            expect(step.with?.policyPacks, "enforces the policy pack").to.equal("policy");
            const install = job.steps.findIndex((s) => s.run === "npm ci --prefix policy");
            expect(install, "installs the policy pack first").to.be.within(0, job.steps.indexOf(step));
        }
    }
}

/**
 * The engine job: every stack through the real Pulumi engine (npm run test:engine), with Go from
 * tools/engine/go.mod and the built CLI cached under the key of its pins.
 */
function checkEngineJob(job: Job | undefined): void {
    expect(job, "an engine job").to.not.equal(undefined);
    const steps = job?.steps ?? [];
    const go = stepsUsing(job as Job, "actions/setup-go");
    expect(go.map((s) => s.with)).to.deep.equal([{ "go-version-file": "tools/engine/go.mod", cache: false }]);
    const cache = stepsUsing(job as Job, "actions/cache");
    expect(cache.map((s) => s.with)).to.deep.equal([
        {
            path: ".cache/engine",
            key: "pulumi-cli-${{ runner.os }}-${{ hashFiles('tools/engine/go.mod', 'tools/engine/go.sum') }}",
        },
    ]);
    const order = (pred: (s: Step) => boolean) => steps.findIndex(pred);
    const testStep = order((s) => s.run === "npm run test:engine");
    expect(testStep, "runs npm run test:engine").to.be.greaterThan(-1);
    expect(order((s) => action(s) === "actions/setup-go")).to.be.lessThan(testStep);
    expect(order((s) => action(s) === "actions/cache")).to.be.lessThan(testStep);
    expect(order((s) => s.run === "npm ci")).to.be.lessThan(testStep);
    // The CLI build script caches under .cache/engine unless WEBAPP_CACHE_DIR moves it.
    expect(JSON.stringify(job)).to.not.include("WEBAPP_CACHE_DIR");
}

describe("CI workflows", () => {
    describe("pull-request.yml", () => {
        const wf = workflow("pull-request.yml");

        it("runs on pull requests with read-only default permissions", () => {
            expect(wf.on).to.have.property("pull_request");
            expect(wf.permissions).to.deep.equal({ contents: "read" });
            checkCommon(wf);
        });

        it("type-checks, tests (against the AWS API emulator too) and plans every stack offline, uploading plan/", () => {
            const check = wf.jobs.check;
            expect(runs(check)).to.include.members([
                "npx tsc --noEmit",
                "npm test",
                "npm run test:emulators",
                "bash .github/plan-summary.sh dev",
                "bash .github/plan-summary.sh demo",
                "bash .github/plan-summary.sh staging",
                "bash .github/plan-summary.sh prod",
            ]);
            const upload = stepsUsing(check, "actions/upload-artifact")[0];
            expect(upload.with?.path).to.equal("plan/");
            expect(upload.if).to.equal("always()");
        });

        it("runs every stack through the real Pulumi engine before the cloud preview", () => {
            checkEngineJob(wf.jobs.engine);
            expect(wf.jobs.engine.permissions).to.deep.equal({ contents: "read" });
            expect(wf.jobs.preview.needs).to.deep.equal(["check", "engine", "gates"]);
        });

        it("runs the security gates as npm run gates does, each in its own step, over the whole history", () => {
            const gates = wf.jobs.gates;
            expect(gates.permissions).to.equal(undefined);
            expect(stepsUsing(gates, "actions/checkout")[0].with).to.deep.equal({ "fetch-depth": 0 });
            expect(stepsUsing(gates, "actions/setup-go")[0].with).to.deep.equal({ "go-version": "1.26", cache: false });
            expect(
                gates.steps.map((s) => [s.name, s.run]).filter(([, run]) => run?.startsWith("npm run")),
            ).to.deep.equal([
                ["Build the gate tools (gitleaks, actionlint)", "npm run setup:gates"],
                ["Secret scan (gitleaks, whole history)", "npm run gates -- --only secrets"],
                ["Dependency audit (npm audit --omit=dev, high and critical)", "npm run gates -- --only audit"],
                ["Workflow lint (actionlint with shellcheck)", "npm run gates -- --only workflows"],
            ]);
            const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
                scripts: Record<string, string>;
            };
            expect(pkg.scripts.gates).to.equal("bash tools/gates/gates.sh");
            expect(pkg.scripts["setup:gates"]).to.equal("bash tools/gates/setup.sh");
        });

        it("points the HTML report's browser test at the runner's Chrome", () => {
            for (const wf of [workflow("pull-request.yml"), workflow("deploy-demo.yml")]) {
                const tests = wf.jobs.check.steps.find((s) => s.run === "npm test");
                expect(tests?.env?.CHROMIUM_PATH).to.equal("/usr/bin/google-chrome");
            }
        });

        it("compares each plan with the base branch's and writes it to the job summary", () => {
            const check = wf.jobs.check;
            const base = stepsUsing(check, "actions/checkout").find((s) => s.with?.path === "base");
            expect(base?.with?.ref).to.equal("${{ github.event.pull_request.base.sha }}");
            const basePlan = check.steps.find((s) => s.name === "Offline plan of the base branch");
            expect(basePlan?.["working-directory"]).to.equal("base");
            expect(basePlan?.run).to.include('npm run plan -- --stack "$stack"');
            // The base plans come before the plans that compare with them.
            const order = (name: string) => check.steps.findIndex((s) => s.name === name);
            expect(order("Offline plan of the base branch")).to.be.lessThan(order("Offline plan (dev)"));
            const script = readFileSync(path.join(ROOT, ".github", "plan-summary.sh"), "utf8");
            expect(script).to.include('compare=(--compare "base/plan/${stack}")');
            expect(script).to.include('--format markdown | tee -a "$summary"');
            expect(script).to.include("summary=${GITHUB_STEP_SUMMARY:-/dev/null}");
        });

        it("uploads each stack's policy.sarif to code scanning, with the permission it needs", () => {
            const check = wf.jobs.check;
            expect(check.permissions).to.deep.equal({ contents: "read", "security-events": "write", actions: "read" });
            const uploads = stepsUsing(check, "github/codeql-action/upload-sarif");
            expect(uploads.map((u) => u.with)).to.deep.equal([
                { sarif_file: "plan/dev/policy.sarif", category: "offline-plan-dev" },
                { sarif_file: "plan/demo/policy.sarif", category: "offline-plan-demo" },
                { sarif_file: "plan/staging/policy.sarif", category: "offline-plan-staging" },
                { sarif_file: "plan/prod/policy.sarif", category: "offline-plan-prod" },
            ]);
            for (const u of uploads) {
                // Forks get a read-only token: they stop at the artifact.
                expect(u.if).to.include("github.event.pull_request.head.repo.full_name == github.repository");
                expect(u.if).to.match(/^always\(\) && /);
            }
        });

        it("previews dev and demo with the policy pack after the checks, commenting on the pull request", () => {
            const preview = wf.jobs.preview;
            expect(preview.needs).to.deep.equal(["check", "engine", "gates"]);
            expect(preview.strategy?.matrix?.stack).to.deep.equal(["dev", "demo"]);
            expect(preview.permissions).to.include({ "pull-requests": "write", "id-token": "write" });
            const pulumi = stepsUsing(preview, "pulumi/actions")[0];
            expect(pulumi.uses).to.equal("pulumi/actions@v7");
            expect(pulumi.with).to.include({ command: "preview", "comment-on-pr": true, "work-dir": "./" });
            expect(pulumi.with?.["stack-name"]).to.equal("${{ vars.PULUMI_ORG }}/${{ matrix.stack }}");
            // GCP credentials only where the stack uses GCP.
            expect(stepsUsing(preview, "google-github-actions/auth")[0].if).to.equal("matrix.stack == 'demo'");
        });
    });

    describe("deploy-demo.yml", () => {
        const wf = workflow("deploy-demo.yml");

        it("runs on main, one deployment at a time", () => {
            expect(wf.on.push).to.deep.equal({ branches: ["main"] });
            expect(wf.concurrency).to.deep.equal({ group: "pulumi-demo", "cancel-in-progress": false });
            checkCommon(wf);
        });

        it("runs pulumi up on demo only after the checks and behind the demo environment's approval", () => {
            const up = wf.jobs.up;
            expect(up.needs).to.deep.equal(["check", "engine"]);
            checkEngineJob(wf.jobs.engine);
            expect(up.environment).to.equal("demo");
            const pulumi = stepsUsing(up, "pulumi/actions")[0];
            expect(pulumi.with).to.include({ command: "up", "stack-name": "${{ vars.PULUMI_ORG }}/demo" });
            expect(runs(wf.jobs.check)).to.include.members(["npm test", "npm run plan -- --stack demo"]);
            // Nothing else in the repository deploys.
            const ups = Object.values(wf.jobs).flatMap((j) => stepsUsing(j, "pulumi/actions"));
            expect(ups).to.have.length(1);
        });
    });

    describe("rollout.yml", () => {
        const wf = workflow("rollout.yml");
        const check = wf.jobs.check;
        const roll = wf.jobs.rollout;
        const step = (job: Job, name: string) => {
            const found = job.steps.find((s) => s.name === name);
            expect(found, name).to.not.equal(undefined);
            return found as Step;
        };

        /** Runs a step's script with bash, `npm` standing in to print its arguments one a line. */
        function runScript(
            script: string,
            env: Record<string, string>,
        ): { status: number | null; args: string[]; stdout: string } {
            const dir = mkdtempSync(path.join(tmpdir(), "fake-npm-"));
            try {
                writeFileSync(path.join(dir, "npm"), '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n');
                chmodSync(path.join(dir, "npm"), 0o755);
                const result = spawnSync("bash", ["-e", "-c", script], {
                    env: { PATH: `${dir}:/usr/bin:/bin`, ...env },
                    encoding: "utf8",
                });
                return {
                    status: result.status,
                    args: result.stdout.split("\n").filter((l) => l !== ""),
                    stdout: result.stdout,
                };
            } finally {
                rmSync(dir, { recursive: true, force: true });
            }
        }

        it("starts by hand or on an image-published dispatch, one rollout per stack, sharing deploy-demo's group", () => {
            expect(Object.keys(wf.on)).to.deep.equal(["workflow_dispatch", "repository_dispatch"]);
            expect(wf.on.repository_dispatch).to.deep.equal({ types: ["image-published"] });
            const inputs = (
                wf.on.workflow_dispatch as {
                    inputs: Record<string, { type: string; required?: boolean; options?: string[] }>;
                }
            ).inputs;
            expect(Object.keys(inputs)).to.deep.equal(["stack", "image", "cloud", "rollback", "timeout"]);
            expect(inputs.stack.options).to.deep.equal(["demo", "dev", "prod"]);
            expect(inputs.image).to.include({ type: "string", required: true });
            expect(wf.permissions).to.deep.equal({ contents: "read" });
            expect(wf.concurrency).to.deep.equal({
                group: "pulumi-${{ inputs.stack || github.event.client_payload.stack }}",
                "cancel-in-progress": false,
            });
            // For demo the group is deploy-demo's: a rollout and a deployment of demo never overlap.
            expect(wf.concurrency?.group.replace(/\$\{\{.*\}\}/, "demo")).to.equal(
                workflow("deploy-demo.yml").concurrency?.group,
            );
            checkCommon(wf);
        });

        it("checks the request offline, before the approval and without secrets", () => {
            expect(check.environment).to.equal(undefined);
            expect(check.permissions).to.equal(undefined);
            expect(check.outputs).to.deep.equal({
                stack: "${{ steps.check.outputs.stack }}",
                clouds: "${{ steps.check.outputs.clouds }}",
            });
            const checking = step(check, "Check the stack, the image and the config (offline)");
            expect(checking.id).to.equal("check");
            expect(checking.env).to.deep.equal({
                STACK: "${{ inputs.stack || github.event.client_payload.stack }}",
                IMAGE: "${{ inputs.image || github.event.client_payload.image }}",
                CLOUD: "${{ inputs.cloud || github.event.client_payload.cloud || 'any' }}",
                REF: "${{ github.ref }}",
                DEFAULT_BRANCH: "${{ github.event.repository.default_branch }}",
            });
            const onMain = { REF: "refs/heads/main", DEFAULT_BRANCH: "main" };
            const ok = runScript(checking.run ?? "", {
                STACK: "demo",
                IMAGE: "ami-0123456789abcdef0",
                CLOUD: "any",
                ...onMain,
            });
            expect(ok.status).to.equal(0);
            expect(ok.args).to.deep.equal([
                "run",
                "--silent",
                "rollout",
                "--",
                "--stack",
                "demo",
                "--image",
                "ami-0123456789abcdef0",
                "--check",
            ]);
            const narrowed = runScript(checking.run ?? "", {
                STACK: "demo",
                IMAGE: "webapp-1",
                CLOUD: "gcp",
                ...onMain,
            });
            expect(narrowed.args.slice(-2)).to.deep.equal(["--cloud", "gcp"]);
            // A payload cannot smuggle a command or an option in.
            const hostile = runScript(checking.run ?? "", {
                STACK: "demo; touch /tmp/pwned",
                IMAGE: "x",
                CLOUD: "any",
                ...onMain,
            });
            expect(hostile.status).to.equal(2);
            expect(hostile.stdout).to.equal("::error::stack must be a stack file name such as demo\n");
            const quoted = runScript(checking.run ?? "", {
                STACK: "demo",
                IMAGE: "$(id) --yes",
                CLOUD: "any",
                ...onMain,
            });
            expect(quoted.args).to.include("$(id) --yes");
        });

        it("rolls out to prod from the default branch only, behind the prod environment", () => {
            const checking = step(check, "Check the stack, the image and the config (offline)");
            const prod = { STACK: "prod", IMAGE: "123456789012.dkr.ecr.us-east-1.amazonaws.com/webapp-prod:1.1.0" };
            const fromMain = runScript(checking.run ?? "", {
                ...prod,
                CLOUD: "any",
                REF: "refs/heads/main",
                DEFAULT_BRANCH: "main",
            });
            expect(fromMain.status).to.equal(0);
            expect(fromMain.args).to.deep.equal([
                "run",
                "--silent",
                "rollout",
                "--",
                "--stack",
                "prod",
                "--image",
                prod.IMAGE,
                "--check",
            ]);
            const fromBranch = runScript(checking.run ?? "", {
                ...prod,
                CLOUD: "any",
                REF: "refs/heads/feature",
                DEFAULT_BRANCH: "main",
            });
            expect(fromBranch.status).to.equal(2);
            expect(fromBranch.stdout).to.equal(
                "::error::prod rolls out from main only (this run is on refs/heads/feature)\n",
            );
            // Other stacks may roll out from a branch (their environment's rules decide).
            const demoFromBranch = runScript(checking.run ?? "", {
                STACK: "demo",
                IMAGE: "ami-0123456789abcdef0",
                CLOUD: "any",
                REF: "refs/heads/feature",
                DEFAULT_BRANCH: "main",
            });
            expect(demoFromBranch.status).to.equal(0);
            // The approval: the job's environment is the stack's own (prod -> prod), and concurrency is per stack.
            expect(roll.environment).to.equal("${{ needs.check.outputs.stack }}");
            expect(wf.concurrency?.group.replace(/\$\{\{.*\}\}/, "prod")).to.equal("pulumi-prod");
            expect(readFileSync(path.join(ROOT, ".github", "workflows", "rollout.yml"), "utf8")).to.include(
                "configure required reviewers on `demo` and on `prod`",
            );
        });

        it("rolls out behind the stack's environment, with OIDC credentials for the clouds it touches", () => {
            expect(roll.needs).to.equal("check");
            expect(roll.environment).to.equal("${{ needs.check.outputs.stack }}");
            expect(roll.permissions).to.deep.equal({
                contents: "write",
                "id-token": "write",
                "pull-requests": "write",
            });
            expect(roll["timeout-minutes"]).to.equal(120);
            expect(step(roll, "AWS credentials (OIDC)").if).to.equal("contains(needs.check.outputs.clouds, 'aws')");
            expect(step(roll, "Google Cloud credentials (workload identity)").if).to.equal(
                "contains(needs.check.outputs.clouds, 'gcp')",
            );
            const cli = stepsUsing(roll, "pulumi/actions");
            expect(cli).to.have.length(1);
            expect(cli[0].with).to.equal(undefined);
            const names = roll.steps.map((s) => s.name ?? s.uses);
            expect(names.indexOf("Install the policy pack")).to.be.lessThan(names.indexOf("npm run rollout"));
        });

        it("runs npm run rollout with --yes, the policy pack, the timeout and the rollback choice", () => {
            const rollout = step(roll, "npm run rollout");
            expect(rollout.env?.PULUMI_ACCESS_TOKEN).to.equal("${{ secrets.PULUMI_ACCESS_TOKEN }}");
            expect(rollout.env?.STACK).to.equal("${{ vars.PULUMI_ORG }}/${{ needs.check.outputs.stack }}");
            const env = {
                STACK: "acme/demo",
                IMAGE: "ami-0123456789abcdef0",
                CLOUD: "any",
                ROLLBACK: "true",
                TIMEOUT: "30m",
            };
            expect(runScript(rollout.run ?? "", env).args).to.deep.equal([
                "run",
                "--silent",
                "rollout",
                "--",
                "--stack",
                "acme/demo",
                "--image",
                "ami-0123456789abcdef0",
                "--yes",
                "--policy-pack",
                "--timeout",
                "30m",
            ]);
            const kept = runScript(rollout.run ?? "", { ...env, ROLLBACK: "false", CLOUD: "aws" });
            expect(kept.args.slice(-3)).to.deep.equal(["--cloud", "aws", "--no-rollback"]);
        });

        it("proposes the stack file with the new image as a pull request after a rollout that succeeded", () => {
            const propose = step(roll, "Propose the stack file with the new image");
            expect(propose.if).to.equal(undefined);
            expect(propose.env?.GH_TOKEN).to.equal("${{ github.token }}");
            expect(propose.run).to.include('git commit -m "Roll out $IMAGE to $STACK" -- "Pulumi.$STACK.yaml"');
            expect(propose.run).to.include("gh pr create");
            const names = roll.steps.map((s) => s.name);
            expect(names.at(-1)).to.equal("Propose the stack file with the new image");
        });
    });
});
