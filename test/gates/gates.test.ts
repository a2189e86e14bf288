/**
 * The security gates (tools/gates/gates.sh) as `npm run gates` runs them: the real gitleaks and
 * actionlint that `npm run setup:gates` builds, in throwaway repositories holding a copy of the
 * script and the project's gitleaks config; npm stands in where the gate reads its report
 * (npm audit, the offline plan), since the registry's audit service and the plan are not under test.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const BIN = path.join(process.env.WEBAPP_CACHE_DIR ?? path.join(ROOT, ".cache"), "gates", "bin");

function requireTools(): void {
    for (const tool of ["gitleaks", "actionlint"]) {
        if (!existsSync(path.join(BIN, tool))) {
            throw new Error(`${tool} is not installed at ${BIN}: run \`npm run setup:gates\``);
        }
    }
}

/** A git repository with the gates script, the project's gitleaks config and `files`, committed. */
function repository(files: Record<string, string>): string {
    const dir = mkdtempSync(path.join(tmpdir(), "gates-repo-"));
    mkdirSync(path.join(dir, "tools", "gates"), { recursive: true });
    copyFileSync(path.join(ROOT, "tools", "gates", "gates.sh"), path.join(dir, "tools", "gates", "gates.sh"));
    copyFileSync(path.join(ROOT, ".gitleaks.toml"), path.join(dir, ".gitleaks.toml"));
    for (const [file, text] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        writeFileSync(path.join(dir, file), text);
    }
    const git = (...args: string[]) => {
        const r = spawnSync("git", args, { cwd: dir, encoding: "utf8" });
        if (r.status !== 0) {
            throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
        }
    };
    git("init", "-q", "-b", "main");
    git("add", "-A");
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "files");
    return dir;
}

/** A folder with a stand-in `npm` that prints `output` and exits with `status`. */
function fakeNpm(output: string, status: number): string {
    const dir = mkdtempSync(path.join(tmpdir(), "fake-npm-"));
    writeFileSync(path.join(dir, "npm"), `#!/bin/sh\ncat <<'JSON'\n${output}\nJSON\nexit ${status}\n`);
    chmodSync(path.join(dir, "npm"), 0o755);
    return dir;
}

function gates(repo: string, args: string[], extraPath: string[] = []) {
    const result = spawnSync("bash", [path.join(repo, "tools", "gates", "gates.sh"), ...args], {
        env: {
            PATH: [...extraPath, path.dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
            HOME: process.env.HOME ?? "/root",
            WEBAPP_GATES_BIN: BIN,
        },
        encoding: "utf8",
    });
    return { status: result.status, out: result.stdout, err: result.stderr };
}

const cleanup: string[] = [];
const track = (dir: string) => (cleanup.push(dir), dir);

describe("security gates (npm run gates)", () => {
    before(requireTools);
    after(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })));

    describe("secrets", () => {
        it("fails on a credential anywhere in the history, even after it was deleted", () => {
            // Made up at run time, so that this file holds no credential-looking text itself.
            const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
            const id = `AKIA${[...randomBytes(16)].map((b) => alphabet[b % 32]).join("")}`;
            const repo = track(repository({ "deploy.sh": `export AWS_ACCESS_KEY_ID=${id}\n` }));
            spawnSync("git", ["rm", "-q", "deploy.sh"], { cwd: repo });
            spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "remove"], {
                cwd: repo,
            });
            const run = gates(repo, ["--only", "secrets"]);
            expect(run.status).to.equal(1);
            expect(run.out).to.include(
                "secrets: gitleaks found secrets in the git history (listed above, redacted). Remove them from the history and rotate them",
            );
            expect(run.out).to.match(/FAIL secrets \(\d+ s\)\n$/);
            expect(run.out + run.err).to.not.include(id);
        });

        it("passes the stand-in values the project's tests use", () => {
            const repo = track(
                repository({
                    "test/support.ts": 'export const TEST_MAILGUN_KEY = "key-test-0123456789abcdef0123456789abcdef";\n',
                    "test/policy.test.ts":
                        'const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";\nconst apiKey = "key-0123456789abcdef";\n' +
                        'const db = { password: "Generated-Pw-0123" };\n',
                    "components/storage.ts": "    public readonly accessLogPolicy: aws.s3.BucketPolicy;\n",
                }),
            );
            const run = gates(repo, ["--only", "secrets"]);
            expect(run.status, run.out + run.err).to.equal(0);
            expect(run.out).to.match(/PASS secrets \(\d+ s\)\n$/);
        });

        it("reads the history of the checked-out commit, not the other branches of the repository", () => {
            const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
            const id = `AKIA${[...randomBytes(16)].map((b) => alphabet[b % 32]).join("")}`;
            const repo = track(repository({ "README.md": "clean\n" }));
            const git = (...args: string[]) =>
                spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: repo });
            git("switch", "-q", "-c", "other");
            writeFileSync(path.join(repo, "deploy.sh"), `export AWS_ACCESS_KEY_ID=${id}\n`);
            git("add", "deploy.sh");
            git("commit", "-qm", "on another branch");
            expect(gates(repo, ["--only", "secrets"]).status).to.equal(1);
            git("switch", "-q", "main");
            const run = gates(repo, ["--only", "secrets"]);
            expect(run.status, run.out + run.err).to.equal(0);
        });
    });

    describe("workflows", () => {
        const workflow = (run: string) =>
            `name: w\non:\n  push: {}\npermissions:\n  contents: read\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ${run}\n`;

        it("fails on a workflow error and on a shellcheck finding in a run: script, naming them", () => {
            const repo = track(
                repository({
                    ".github/workflows/bad.yml":
                        workflow('echo "${{ github.event.pull_request.title }}"') + "    timeout-minute: 5\n",
                    ".github/workflows/shell.yml": workflow("cd $HOME/src && ls"),
                }),
            );
            const run = gates(repo, ["--only", "workflows"]);
            expect(run.status).to.equal(1);
            expect(run.out).to.match(
                /bad\.yml:\d+:\d+: .*"github\.event\.pull_request\.title" is potentially untrusted/,
            );
            expect(run.out).to.match(/bad\.yml:\d+:\d+: unexpected key "timeout-minute" for "job" section/);
            expect(run.out).to.match(/shell\.yml:\d+:\d+: shellcheck reported issue in this script: SC2086/);
            expect(run.out).to.include("workflows: actionlint found problems in .github/workflows (listed above).");
        });

        it("passes the project's workflows", () => {
            const run = gates(ROOT, ["--only", "workflows"]);
            expect(run.status, run.out + run.err).to.equal(0);
            expect(run.out).to.match(/PASS workflows/);
        });
    });

    describe("audit", () => {
        const repo = () => track(repository({ "package.json": "{}\n", "policy/package.json": "{}\n" }));

        it("fails on a high or critical vulnerability in runtime dependencies, naming the packages", () => {
            const report = JSON.stringify({
                vulnerabilities: {
                    "fast-xml-parser": { name: "fast-xml-parser", severity: "high", fixAvailable: true },
                    "tiny-lib": { name: "tiny-lib", severity: "moderate", fixAvailable: false },
                },
                metadata: { vulnerabilities: { info: 0, low: 0, moderate: 1, high: 1, critical: 0, total: 2 } },
            });
            const run = gates(repo(), ["--only", "audit"], [track(fakeNpm(report, 1))]);
            expect(run.status).to.equal(1);
            expect(run.out).to.include(
                "audit: 1 high or critical vulnerabilities in the runtime dependencies of .: fast-xml-parser (high, fix available). Run npm audit in . for the advisories",
            );
        });

        it("passes when only moderate or low ones remain, and fails when the audit service does not answer", () => {
            const clean = JSON.stringify({
                vulnerabilities: {},
                metadata: { vulnerabilities: { low: 2, moderate: 1, high: 0, critical: 0 } },
            });
            const ok = gates(repo(), ["--only", "audit"], [track(fakeNpm(clean, 0))]);
            expect(ok.status, ok.out).to.equal(0);
            expect(ok.out).to.include(
                "audit: policy: no high or critical vulnerability in runtime dependencies (1 moderate, 2 low).",
            );
            const down = JSON.stringify({
                message: "405 Method Not Allowed - POST https://registry.example/-/npm/v1/security/advisories/bulk",
                statusCode: 405,
            });
            const run = gates(repo(), ["--only", "audit"], [track(fakeNpm(down, 1))]);
            expect(run.status).to.equal(1);
            expect(run.out).to.include(
                "audit: npm audit could not get advisories for . (405 Method Not Allowed - POST https://registry.example/-/npm/v1/security/advisories/bulk): the registry audit endpoint must answer for this gate.",
            );
        });
    });

    describe("policy and arguments", () => {
        it("fails when the offline plan of a stack fails, naming the stack", () => {
            const repo = track(repository({ "Pulumi.dev.yaml": "config: {}\n", "Pulumi.demo.yaml": "config: {}\n" }));
            const run = gates(repo, ["--only", "policy"], [track(fakeNpm("1 mandatory policy violation", 1))]);
            expect(run.status).to.equal(1);
            // The failing plan's own output is shown above the gate's line, once per stack.
            expect(run.out.split("1 mandatory policy violation")).to.have.length(3);
            expect(run.out).to.include(
                "policy: the offline plan of demo failed or has a mandatory policy violation (see above; npm run plan -- --stack demo).",
            );
            expect(run.out).to.include("policy: the offline plan of dev failed");
        });

        it("refuses an unknown gate", () => {
            const run = gates(ROOT, ["--only", "secrets,lint"]);
            expect(run.status).to.equal(2);
            expect(run.err).to.equal('gates: no gate named "lint" (gates: secrets audit workflows policy)\n');
        });
    });
});
