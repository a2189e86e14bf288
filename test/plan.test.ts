/** The offline plan: arguments, the tree, the written files, the policy gate and the secret check. */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { markedSecretLeaks, packageOf, displayType } from "../tools/offline/plan";
import { runOffline } from "../tools/offline/run";
import { PLACEHOLDER_SECRET, PROJECT_ROOT } from "../tools/offline/stack-config";
import { parsePlanArgs, PLAN_USAGE, runPlan, UsageError } from "../tools/plan";

/** The files every plan writes (diff.json only with --compare). */
const PLAN_FILES = [
    "resources.json",
    "graph.mmd",
    "policy.json",
    "policy.md",
    "policy.sarif",
    "junit.xml",
    "cost.json",
    "cost.md",
    "index.html",
];

interface Captured {
    code: number;
    out: string[];
    err: string[];
}

async function plan(argv: string[], root?: string): Promise<Captured> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runPlan(argv, { print: (l) => out.push(l), fail: (l) => err.push(l), root });
    return { code, out, err };
}

/** A project folder with the real Pulumi.yaml and one stack file. */
function projectWith(stack: string, stackYaml: string): string {
    const root = mkdtempSync(path.join(tmpdir(), "plan-root-"));
    copyFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
    writeFileSync(path.join(root, `Pulumi.${stack}.yaml`), stackYaml);
    return root;
}

describe("offline plan", () => {
    let out: string;
    before(() => {
        out = mkdtempSync(path.join(tmpdir(), "plan-out-"));
    });
    after(() => rmSync(out, { recursive: true, force: true }));

    describe("arguments", () => {
        it("needs a stack that has a stack file, and defaults the output folder to plan/", () => {
            expect(parsePlanArgs(["--stack", "dev"])).to.deep.equal({ stack: "dev", out: "plan", format: "tree" });
            expect(parsePlanArgs(["--stack=demo", "--out", "x", "--json"])).to.deep.equal({
                stack: "demo",
                out: "x",
                format: "json",
            });
            expect(
                parsePlanArgs(["--stack", "dev", "--format", "markdown", "--compare", "old", "--usage", "u.yaml"]),
            ).to.deep.equal({ stack: "dev", out: "plan", format: "markdown", compare: "old", usage: "u.yaml" });
            expect(() => parsePlanArgs(["--stack", "dev", "--format", "html"])).to.throw(
                UsageError,
                '--format must be one of tree, json, markdown (got "html")',
            );
            expect(() => parsePlanArgs(["--stack", "dev", "--json", "--format", "tree"])).to.throw(
                UsageError,
                "--json contradicts --format tree",
            );
            expect(() => parsePlanArgs([])).to.throw(
                UsageError,
                "--stack is required (stacks: demo, dev, prod, staging)",
            );
            expect(() => parsePlanArgs(["--stack", "qa"])).to.throw(
                UsageError,
                'no stack "qa": there is no Pulumi.qa.yaml',
            );
            expect(() => parsePlanArgs(["--stack", "dev", "--yes"])).to.throw(UsageError, "Unknown option '--yes'");
        });

        it("exits 2 with the usage line on a bad argument", async () => {
            const r = await plan(["--stak", "dev"]);
            expect(r.code).to.equal(2);
            expect(r.err[1]).to.match(/^usage: npm run plan -- --stack <name>/);
        });
    });

    for (const stack of ["dev", "demo"]) {
        describe(`stack ${stack}`, () => {
            let r: Captured;
            const file = (name: string) => readFileSync(path.join(out, stack, name), "utf8");
            before(async () => {
                r = await plan(["--stack", stack, "--out", out]);
            });

            it("passes the policy gate with zero mandatory violations", () => {
                expect(r.err).to.deep.equal([]);
                expect(r.code).to.equal(0);
                const report = JSON.parse(file("policy.json"));
                expect(report.passed).to.equal(true);
                expect(report.summary.mandatory).to.equal(0);
                expect(report.rules.map((x: { name: string }) => x.name)).to.include("no-plaintext-secrets");
                expect(r.out.join("\n")).to.match(/Policy: \d+ rules, 0 mandatory violations/);
            });

            it("prints the tree: stack, provider, components, their resources, counts per type and cloud", () => {
                const text = r.out.join("\n");
                expect(r.out[0]).to.match(
                    new RegExp(
                        `^webapp-infra/${stack}  \\(environment ${stack}, clouds .*\\): \\d+ resources in \\d+ components, ${stack === "demo" ? "2 providers" : "1 provider"}`,
                    ),
                );
                expect(text).to.include(`├── provider aws  ${stack}-aws  (region us-east-1)`);
                expect(text).to.match(new RegExp(`webapp:aws:Database  ${stack}-database  \\(\\d+ resources\\)`));
                expect(text).to.match(new RegExp(`│   [├└]── aws:rds:Instance  ${stack}-database-mysql`));
                // dev: the five platform keys, the messaging and alerts keys; demo also the audit trail's.
                expect(text).to.match(stack === "demo" ? /^  aws:kms:Key\s+8$/m : /^  aws:kms:Key\s+7$/m);
                expect(text).to.match(
                    stack === "demo"
                        ? /^Resources by cloud: aws \d+, gcp \d+, random 2 \(in state only\)/m
                        : /^Resources by cloud: aws \d+, random 1 \(in state only\)/m,
                );
                expect(r.out).to.include("Not visible offline:");
                expect(r.out).to.include(
                    `  mailgun.apiKey: not set in Pulumi.${stack}.yaml; the plan uses a secret stand-in, a deploy stops without it: pulumi config set --secret --path --stack ${stack} mailgun.apiKey <value>`,
                );
            });

            it("writes resources.json with types, parents, providers, redacted inputs and dependency edges", () => {
                const doc = JSON.parse(file("resources.json"));
                expect(doc.stack).to.equal(stack);
                expect(doc.summary.resources).to.equal(
                    doc.resources.filter((x: { kind: string }) => ["resource", "remote"].includes(x.kind)).length,
                );
                const db = doc.resources.find((x: { type: string }) => x.type === "aws:rds/instance:Instance");
                expect(db.component).to.equal(`${stack}-database`);
                expect(db.parent).to.match(/webapp:aws:Database::/);
                expect(db.provider).to.match(/pulumi:providers:aws::/);
                // RDS manages the master password: the database gets none from the program.
                expect(db.inputs.password).to.equal(undefined);
                expect(db.inputs.manageMasterUserPassword).to.equal(true);
                expect(db.dependencies.some((u: string) => u.endsWith(`aws:kms/key:Key::${stack}-kms-rds`))).to.equal(
                    true,
                );
                expect(db.propertyDependencies.kmsKeyId).to.have.length(1);
                const version = doc.resources.find(
                    (x: { name: string; type: string }) =>
                        x.name === `${stack}-secrets-mailgun-api-key` && x.type.endsWith("SecretVersion"),
                );
                expect(version.inputs.secretString).to.equal("[secret]");
            });

            it("never writes a secret value: not the placeholder key, not the generated password", () => {
                for (const name of PLAN_FILES) {
                    const text = file(name);
                    expect(text, name).to.not.include(PLACEHOLDER_SECRET);
                    expect(text, name).to.not.match(/MockPw-/);
                }
            });

            it("draws the components and the dependencies between them", () => {
                const graph = file("graph.mmd");
                const id = (tier: string) => `${stack}_${tier}`;
                expect(graph).to.match(/^flowchart LR$/m);
                expect(graph).to.include(`${id("database")}["${stack}-database<br/>Database · `);
                expect(graph).to.match(new RegExp(`${id("database")} -->\\|\\d+\\| ${id("network")}`));
                expect(graph).to.match(new RegExp(`${id("database")} -->\\|\\d+\\| ${id("secrets")}`));
                expect(graph).to.match(new RegExp(`${id("storage")} -->\\|\\d+\\| ${id("kms")}`));
                // Dependencies point from user to owner only.
                expect(graph).to.not.match(new RegExp(`${id("network")} -->\\|\\d+\\| ${id("database")}`));
            });
        });
    }

    it("prints a config error as is, exits 2 and removes that stack's previous results", async () => {
        const root = projectWith(
            "broken",
            "config:\n  webapp-infra:environment: dev\n  webapp-infra:domainName: broken.example.com\n  webapp-infra:aws:\n    vpcCidr: 10.0.0.0/33\n",
        );
        try {
            mkdirSync(path.join(out, "broken"), { recursive: true });
            writeFileSync(path.join(out, "broken", "resources.json"), "{}");
            const r = await plan(["--stack", "broken", "--out", out], root);
            expect(r.code).to.equal(2);
            expect(existsSync(path.join(out, "broken"))).to.equal(false);
            expect(r.out).to.deep.equal([]);
            expect(r.err.join("\n")).to.equal(
                'Invalid webapp-infra config for stack "broken" (1 problem):\n  - aws.vpcCidr: "10.0.0.0/33" is not a valid IPv4 CIDR',
            );
        } finally {
            rmSync(root, { recursive: true, force: true });
        }
    });

    it("exits 1 on a mandatory violation and names it", async () => {
        // A production-like environment without deletion protection on the database.
        const yaml =
            "config:\n  webapp-infra:domainName: staging.example.com\n  webapp-infra:aws:\n    db:\n      deletionProtection: false\n";
        const root = projectWith("staging", yaml);
        try {
            const r = await plan(["--stack", "staging", "--out", out], root);
            expect(r.code).to.equal(1);
            const text = r.out.join("\n");
            expect(text).to.match(/Policy: \d+ rules, 1 mandatory violation, /);
            expect(text).to.include(
                "[mandatory] deletion-protection-outside-dev: staging-database-mysql (aws:rds:Instance): deletionProtection is not true in staging",
            );
            expect(JSON.parse(readFileSync(path.join(out, "staging", "policy.json"), "utf8")).passed).to.equal(false);
        } finally {
            rmSync(root, { recursive: true, force: true });
        }
    });

    it("--json prints a machine-readable summary", async () => {
        const r = await plan(["--stack", "dev", "--out", out, "--json"]);
        const summary = JSON.parse(r.out.join("\n"));
        expect(summary).to.include({ ok: true, exitCode: 0, stack: "dev" });
        expect(summary.byCloud.aws).to.be.greaterThan(0);
        expect(summary.monthlyUsd).to.be.greaterThan(0);
        expect(summary.files.map((f: string) => path.basename(f))).to.deep.equal(PLAN_FILES);
    });

    describe("errors and help", () => {
        it("--json prints errors as JSON on stdout: a config error with every problem, exit 2", async () => {
            const root = projectWith(
                "broken",
                "config:\n  webapp-infra:environment: dev\n  webapp-infra:domainName: broken.example.com\n  webapp-infra:aws:\n    vpcCidr: 10.0.0.0/33\n    azCount: 9\n",
            );
            try {
                const r = await plan(["--stack", "broken", "--out", out, "--json"], root);
                expect(r.code).to.equal(2);
                expect(r.err).to.deep.equal([]);
                const doc = JSON.parse(r.out.join("\n"));
                expect(doc).to.deep.include({ ok: false, stack: "broken", exitCode: 2 });
                expect(doc.error.kind).to.equal("config");
                expect(doc.error.problems.map((p: { path: string }) => p.path)).to.deep.equal([
                    "aws.vpcCidr",
                    "aws.azCount",
                ]);
            } finally {
                rmSync(root, { recursive: true, force: true });
            }
        });

        it("--json prints a usage error as JSON too", async () => {
            const r = await plan(["--stack", "nope", "--json"]);
            expect(r.code).to.equal(2);
            const doc = JSON.parse(r.out.join("\n"));
            expect(doc).to.deep.equal({
                ok: false,
                stack: null,
                exitCode: 2,
                error: {
                    kind: "usage",
                    message: 'no stack "nope": there is no Pulumi.nope.yaml (stacks: demo, dev, prod, staging)',
                },
            });
        });

        it("names the file, line and column of a YAML syntax error, without a stack trace, and exits 2", async () => {
            const root = projectWith(
                "typo",
                "config:\n  webapp-infra:aws:\n    region: us-east-1\n   vpcCidr: 10.0.0.0/16\n",
            );
            try {
                const r = await plan(["--stack", "typo", "--out", out], root);
                expect(r.code).to.equal(2);
                expect(r.out).to.deep.equal([]);
                const text = r.err.join("\n");
                expect(text).to.match(/^.*Pulumi\.typo\.yaml:4:\d+: YAML syntax error: /);
                expect(text).to.not.match(/\n\s+at /);
                const json = await plan(["--stack", "typo", "--out", out, "--json"], root);
                expect(JSON.parse(json.out.join("\n")).error.kind).to.equal("stack-file");
            } finally {
                rmSync(root, { recursive: true, force: true });
            }
        });

        it("--help prints the options and exits 0", async () => {
            const r = await plan(["--help"]);
            expect(r.code).to.equal(0);
            expect(r.out[0]).to.equal(PLAN_USAGE);
            expect(r.out.join("\n")).to.include("--compare <path>");
            expect((await plan(["-h", "--stack", "nope"])).code).to.equal(0);
        });

        it("refuses a --compare that is not a plan, and a bad --usage file, with exit 2", async () => {
            const bogus = path.join(out, "bogus.json");
            writeFileSync(bogus, '{"resources": 3}');
            const r = await plan(["--stack", "dev", "--out", out, "--compare", bogus]);
            expect(r.code).to.equal(2);
            expect(r.err[0]).to.equal(
                `plan: --compare: ${bogus} is not a plan's resources.json (no resources with urn, type and inputs)`,
            );
            const usage = path.join(out, "usage.yaml");
            writeFileSync(usage, "aws:\n  natDataGB: 5\n");
            const u = await plan(["--stack", "dev", "--out", out, "--usage", usage]);
            expect(u.code).to.equal(2);
            expect(u.err[0]).to.equal(`plan: ${usage}: invalid usage assumptions:`);
            expect(u.err[1]).to.equal("  - aws.natDataGB: is not a known usage key");
            expect(existsSync(path.join(out, "dev"))).to.equal(false);
        });
    });

    it("the marker-based secret check flags a secret that lost its marker", async () => {
        const secret = "offline-secret-value-123";
        const run = await runOffline(
            () => {
                const provider = new aws.Provider("p", { region: "us-east-1" });
                const value = pulumi.secret(secret);
                new aws.secretsmanager.SecretVersion("v", { secretId: "s", secretString: value }, { provider });
                new aws.s3.Bucket("b", { tags: { note: pulumi.unsecret(value) } }, { provider });
                return { leaked: pulumi.unsecret(value), kept: value };
            },
            { stack: "leak" },
        );
        const found = markedSecretLeaks(run, "urn:stack");
        expect(found.map((v) => `${v.policy} ${v.message}`)).to.deep.equal([
            "no-plaintext-secrets b: tags.note holds a secret value in plain text",
            "no-plaintext-secrets stack outputs: leaked holds a secret value in plain text",
        ]);
    });

    it("takes only a known secret property's value as the secret when a marker covers a whole input", async () => {
        const header = "origin-header-value-456";
        const run = await runOffline(
            () => {
                const provider = new aws.Provider("p", { region: "us-east-1" });
                // The header value makes the whole condition list secret; the header's name is no secret.
                const conditions = pulumi.secret([
                    { httpHeader: { httpHeaderName: "X-Origin-Verify", values: [header] } },
                ]);
                new aws.lb.ListenerRule(
                    "r",
                    { listenerArn: "arn:l", actions: [{ type: "forward", targetGroupArn: "arn:t" }], conditions },
                    { provider },
                );
                new aws.s3.Bucket("b", { tags: { header: "X-Origin-Verify" } }, { provider });
                new aws.s3.Bucket("c", { tags: { note: header } }, { provider });
                return {};
            },
            { stack: "leak" },
        );
        expect(markedSecretLeaks(run, "urn:stack").map((v) => v.message)).to.deep.equal([
            "c: tags.note holds a secret value in plain text",
        ]);
    });

    it("names types and clouds as Pulumi does", () => {
        expect(displayType("aws:kms/key:Key")).to.equal("aws:kms:Key");
        expect(displayType("awsx:ec2:Vpc")).to.equal("awsx:ec2:Vpc");
        expect(displayType("webapp:aws:Vpc")).to.equal("webapp:aws:Vpc");
        expect(packageOf("pulumi:providers:gcp")).to.equal("gcp");
        expect(packageOf("awsx:ec2:Vpc")).to.equal("awsx");
        expect(packageOf("webapp:gcp:Network")).to.equal("gcp");
    });
});
