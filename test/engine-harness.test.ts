/**
 * The engine harness's own logic, without the engine (fast; `npm run test:engine` runs the engine):
 * the pinned CLI version, the build-when-missing script, the stand-in provider's diff and outputs,
 * reading secrets back from a checkpoint, engine events per resource, the identity command's
 * arguments and expectations.
 */
import { expect } from "chai";
import { execFileSync, spawnSync } from "node:child_process";
import {
    chmodSync,
    copyFileSync,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readFileSync,
    rmSync,
    symlinkSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { parseIdentityArgs, unmetExpectations } from "../tools/engine/identity";
import { contextFromConfig, diffInputs, nextVersion, parseUrn, resourceOutputs } from "../tools/engine/provider";
import { providerPackages, REPO_ROOT, writePluginLaunchers } from "../tools/engine/session";
import { countLocations, locate } from "../tools/engine/state";
import { countSteps, describeStep, policyPacksRun, policyViolations, resourceSteps } from "../tools/engine/steps";
import { UsageError } from "../tools/cli";
import { mockPassword } from "../tools/offline/mocks";

const secret = (value: unknown) => ({ [specialSigKey]: specialSecretSig, value });
const tmp = (prefix: string) => mkdtempSync(path.join(tmpdir(), prefix));
const CONTEXT = { awsRegion: "eu-west-1", gcpProject: "p", gcpRegion: "europe-west1" };

describe("engine harness: the pinned Pulumi CLI", () => {
    const goMod = readFileSync(path.join(REPO_ROOT, "tools", "engine", "go.mod"), "utf8");
    const required = (module: string) =>
        new RegExp(`^\\s*${module.replace(/[./]/g, "\\$&")} (v\\S+)`, "m").exec(goMod)?.[1];
    const sdkVersion = (file: string) =>
        (JSON.parse(readFileSync(path.join(REPO_ROOT, file), "utf8")) as { dependencies: Record<string, string> })
            .dependencies["@pulumi/pulumi"];

    it("builds the CLI of the same version as @pulumi/pulumi (program and policy pack)", () => {
        expect(sdkVersion("package.json")).to.equal("3.248.0");
        expect(sdkVersion(path.join("policy", "package.json"))).to.equal(sdkVersion("package.json"));
        expect(required("github.com/pulumi/pulumi/pkg/v3")).to.equal(`v${sdkVersion("package.json")}`);
        expect(required("github.com/pulumi/pulumi/sdk/v3")).to.equal(`v${sdkVersion("package.json")}`);
        expect(goMod).to.match(/^tool github\.com\/pulumi\/pulumi\/pkg\/v3\/cmd\/pulumi$/m);
    });

    it("ignores the CLI cache folder", () => {
        const ignored = spawnSync("git", ["check-ignore", "-q", ".cache/engine/pulumi-v3.248.0/bin/pulumi"], {
            cwd: REPO_ROOT,
        });
        expect(ignored.status).to.equal(0);
    });

    describe("build-cli.sh builds only when the binary is missing", () => {
        let root: string;
        let bin: string;
        let goLog: string;

        // A copy of the script and go.mod in a scratch repository layout, with a `go` that records
        // its arguments and writes a CLI printing the version it was stamped with.
        beforeEach(() => {
            root = tmp("engine-build-");
            mkdirSync(path.join(root, "tools", "engine"), { recursive: true });
            for (const file of ["build-cli.sh", "go.mod"]) {
                copyFileSync(path.join(REPO_ROOT, "tools", "engine", file), path.join(root, "tools", "engine", file));
            }
            bin = path.join(root, "fake-bin");
            mkdirSync(bin);
            goLog = path.join(root, "go.log");
            writeFileSync(
                path.join(bin, "go"),
                [
                    "#!/bin/sh",
                    `echo "$PWD $*" >> ${goLog}`,
                    'while [ $# -gt 0 ]; do case "$1" in',
                    "  -ldflags) version=${2##*=}; shift 2;;",
                    "  -o) out=$2; shift 2;;",
                    "  *) shift;;",
                    "esac; done",
                    'printf "#!/bin/sh\\necho %s\\n" "$version" > "$out"',
                    'chmod +x "$out"',
                    "",
                ].join("\n"),
            );
            chmodSync(path.join(bin, "go"), 0o755);
        });

        afterEach(() => rmSync(root, { recursive: true, force: true }));

        const bash = execFileSync("sh", ["-c", "command -v bash"], { encoding: "utf8" }).trim();
        const build = (env: Record<string, string> = {}) =>
            spawnSync(bash, [path.join(root, "tools", "engine", "build-cli.sh")], {
                encoding: "utf8",
                env: { PATH: `${bin}:/usr/bin:/bin`, HOME: root, ...env },
            });

        it("builds with the version stamped, once", () => {
            const first = build();
            expect(first.status, first.stderr).to.equal(0);
            const cli = path.join(root, ".cache", "engine", "pulumi-v3.248.0", "bin", "pulumi");
            expect(first.stdout.trim()).to.equal(cli);
            expect(execFileSync(cli, ["version"], { encoding: "utf8" }).trim()).to.equal("v3.248.0");
            const calls = readFileSync(goLog, "utf8").trim().split("\n");
            expect(calls).to.deep.equal([
                `${path.join(root, "tools", "engine")} build -ldflags -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v3.248.0 -o ${cli}.partial github.com/pulumi/pulumi/pkg/v3/cmd/pulumi`,
            ]);
            const second = build();
            expect(second.status).to.equal(0);
            expect(second.stdout.trim()).to.equal(cli);
            expect(readFileSync(goLog, "utf8").trim().split("\n")).to.have.length(1);
        });

        it("rebuilds a cached binary that reports another version", () => {
            const cli = path.join(root, ".cache", "engine", "pulumi-v3.248.0", "bin", "pulumi");
            mkdirSync(path.dirname(cli), { recursive: true });
            writeFileSync(cli, "#!/bin/sh\necho v3.100.0\n");
            chmodSync(cli, 0o755);
            expect(build().status).to.equal(0);
            expect(readFileSync(goLog, "utf8").trim().split("\n")).to.have.length(1);
            expect(execFileSync(cli, ["version"], { encoding: "utf8" }).trim()).to.equal("v3.248.0");
        });

        it("keeps the binary under $WEBAPP_CACHE_DIR when it is set", () => {
            const cache = path.join(root, "shared-cache");
            const result = build({ WEBAPP_CACHE_DIR: cache });
            expect(result.stdout.trim()).to.equal(path.join(cache, "engine", "pulumi-v3.248.0", "bin", "pulumi"));
            expect(existsSync(path.join(root, ".cache"))).to.equal(false);
        });

        it("uses PULUMI_ENGINE_CLI when it reports the pinned version, and refuses another", () => {
            const other = path.join(root, "other-pulumi");
            writeFileSync(other, "#!/bin/sh\necho v3.248.0\n");
            chmodSync(other, 0o755);
            const ok = build({ PULUMI_ENGINE_CLI: other });
            expect(ok.stdout.trim()).to.equal(other);
            expect(existsSync(goLog)).to.equal(false);
            writeFileSync(other, "#!/bin/sh\necho v3.200.0\n");
            const refused = build({ PULUMI_ENGINE_CLI: other });
            expect(refused.status).to.equal(1);
            expect(refused.stderr).to.include(`PULUMI_ENGINE_CLI=${other} is not a Pulumi CLI reporting v3.248.0`);
        });

        it("says how to install Go when it is missing", () => {
            // Only the tools the script needs besides Go, so a Go installed system-wide stays out of sight.
            const tools = path.join(root, "tools-only");
            mkdirSync(tools);
            for (const tool of ["awk", "dirname", "mkdir", "mv"]) {
                const found = execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim();
                symlinkSync(found, path.join(tools, tool));
            }
            const result = build({ PATH: tools });
            expect(result.status).to.equal(1);
            expect(result.stderr).to.include("Go is needed to build the Pulumi CLI for the engine tests");
        });
    });
});

describe("engine harness: plugin launchers", () => {
    it("serves one stand-in provider per Pulumi package of the program and of earlier revisions (awsx), and the policy analyzer", () => {
        expect(providerPackages()).to.deep.equal(["aws", "awsx", "gcp", "random"]);
        const dir = tmp("engine-launchers-");
        try {
            writePluginLaunchers(dir);
            const files = ["aws", "awsx", "gcp", "random"].map((p) => `pulumi-resource-${p}`);
            for (const file of files) {
                const text = readFileSync(path.join(dir, file), "utf8");
                expect(text).to.include(path.join(REPO_ROOT, "tools", "engine", "provider.ts"));
                expect(text).to.match(new RegExp(` ${file.slice("pulumi-resource-".length)} "\\$@"\\n$`));
            }
            expect(readFileSync(path.join(dir, "pulumi-analyzer-policy-nodejs"), "utf8")).to.equal(
                '#!/bin/sh\nexec node ./node_modules/@pulumi/pulumi/cmd/run-policy-pack "$@"\n',
            );
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("engine harness: the stand-in provider", () => {
    it("loads neither the program nor the offline plan (a provider process registers nothing)", () => {
        const script =
            'require("./tools/engine/provider");' +
            "console.log(JSON.stringify(Object.keys(require.cache).map((f) => require('path').relative(process.cwd(), f))));";
        const loaded = JSON.parse(
            execFileSync(process.execPath, ["-r", "./tools/register.js", "-e", script], {
                cwd: REPO_ROOT,
                encoding: "utf8",
            }),
        ) as string[];
        const project = loaded.filter((f) => !f.startsWith("node_modules")).sort();
        expect(project).to.deep.equal([
            "tools/code-cache.js",
            "tools/engine/provider.ts",
            "tools/lazy-sdk.js",
            "tools/offline/mocks.ts",
            "tools/offline/replace.ts",
            "tools/register.js",
            "tools/source-maps.js",
        ]);
    });

    it("takes the resource type from a URN whose type names its parent", () => {
        expect(
            parseUrn(
                "urn:pulumi:dev::webapp-infra::webapp:aws:Secrets$aws:secretsmanager/secret:Secret::dev-secrets-db",
            ),
        ).to.deep.equal({ type: "aws:secretsmanager/secret:Secret", name: "dev-secrets-db" });
    });

    it("reads region and project from the provider configuration", () => {
        expect(contextFromConfig("aws", { region: "eu-west-1" }).awsRegion).to.equal("eu-west-1");
        expect(contextFromConfig("aws", { "aws:config:region": "eu-central-1" }).awsRegion).to.equal("eu-central-1");
        expect(contextFromConfig("gcp", { project: "p1", region: "europe-west1" })).to.deep.include({
            gcpProject: "p1",
            gcpRegion: "europe-west1",
        });
    });

    it("an update of a launch template moves its latestVersion on by one, as EC2 does; other types keep theirs", () => {
        expect(
            nextVersion("aws:ec2/launchTemplate:LaunchTemplate", { latestVersion: 3, defaultVersion: 1 }),
        ).to.deep.equal({
            latestVersion: 4,
        });
        expect(nextVersion("aws:ec2/launchTemplate:LaunchTemplate", {})).to.deep.equal({});
        expect(nextVersion("aws:ecs/taskDefinition:TaskDefinition", { revision: 1 })).to.deep.equal({});
    });

    it("compares inputs with inputs: key order and secretness alone are no change", () => {
        const olds = { tags: { a: "1", b: "2" }, password: "pw" };
        const news = { password: secret("pw"), tags: { b: "2", a: "1" } };
        expect(diffInputs("aws:rds/instance:Instance", olds, news).changed).to.deep.equal([]);
    });

    it("reports added, removed and changed properties; an unknown new value is a change", () => {
        const diff = diffInputs(
            "aws:autoscaling/group:Group",
            { maxSize: 2, minSize: 1, name: "a" },
            { maxSize: 3, minSize: 1, desiredCapacity: 1, name: unknownValue },
        );
        expect(diff).to.deep.equal({
            changed: ["desiredCapacity", "maxSize", "name"],
            added: ["desiredCapacity"],
            removed: [],
            // An ASG's name is ForceNew (tools/offline/replace.ts): an unknown one may replace it.
            replaces: ["name"],
        });
        expect(
            diffInputs("aws:kms/key:Key", { description: "k", enableKeyRotation: true }, { description: "k" }),
        ).to.deep.include({ changed: ["enableKeyRotation"], removed: ["enableKeyRotation"] });
    });

    it("names a nested change by its path; an absent and a null property are the same", () => {
        const diff = diffInputs(
            "aws:ec2/securityGroup:SecurityGroup",
            {
                tags: { env: "dev", team: "web" },
                ingress: [{ fromPort: 80 }, { fromPort: 443 }],
                revokeRulesOnDelete: null,
            },
            { tags: { env: "prod", team: "web", cost: "a" }, ingress: [{ fromPort: 80 }, { fromPort: 8443 }] },
        );
        expect(diff).to.deep.equal({
            changed: ["ingress[1].fromPort", "tags.cost", "tags.env"],
            added: ["tags.cost"],
            removed: [],
            replaces: [],
        });
    });

    it("replaces only where the provider rules say so", () => {
        const version = diffInputs(
            "aws:secretsmanager/secretVersion:SecretVersion",
            { secretId: "s", secretString: secret("old") },
            { secretId: "s", secretString: secret("new") },
        );
        expect(version.replaces).to.deep.equal(["secretString"]);
        expect(
            diffInputs("random:index/randomPassword:RandomPassword", { length: 32 }, { length: 40 }).replaces,
        ).to.deep.equal(["length"]);
        const db = diffInputs(
            "aws:rds/instance:Instance",
            { instanceClass: "db.t3.micro", storageEncrypted: true },
            { instanceClass: "db.t3.small", storageEncrypted: false },
        );
        expect(db).to.deep.include({ changed: ["instanceClass", "storageEncrypted"], replaces: ["storageEncrypted"] });
        // The offline plan's table (tools/offline/replace.ts): an ASG's size is updated, its name replaces it.
        const asg = diffInputs("aws:autoscaling/group:Group", { name: "a", maxSize: 2 }, { name: "b", maxSize: 3 });
        expect(asg).to.deep.include({ changed: ["maxSize", "name"], replaces: ["name"] });
        // A ForceNew input below the top level, matched through list indexes.
        const record = diffInputs(
            "gcp:dns/recordSet:RecordSet",
            { routingPolicy: { healthCheck: "hc-1", wrrs: [{ weight: 1 }] } },
            { routingPolicy: { healthCheck: "hc-2", wrrs: [{ weight: 2 }] } },
        );
        expect(record).to.deep.include({
            changed: ["routingPolicy.healthCheck", "routingPolicy.wrrs[0].weight"],
            replaces: ["routingPolicy.healthCheck"],
        });
    });

    it("returns the inputs (secret ones still secret) and the mock table's computed attributes as plain values", async () => {
        const { id, outs } = await resourceOutputs(
            "random:index/randomPassword:RandomPassword",
            "dev-secrets-db-password",
            { length: 32 },
            CONTEXT,
        );
        expect(id).to.be.a("string").and.not.equal("");
        expect(outs.length).to.equal(32);
        // Plain: the engine marks it secret (additionalSecretOutputs), as for the real provider.
        expect(outs.result).to.equal(mockPassword("dev-secrets-db-password"));
        const version = await resourceOutputs(
            "aws:secretsmanager/secretVersion:SecretVersion",
            "v",
            { secretId: "arn:aws:secretsmanager:eu-west-1:1:secret:s", secretString: secret('{"password":"x"}') },
            CONTEXT,
        );
        expect(version.outs.secretString).to.deep.equal(secret('{"password":"x"}'));
        expect(version.outs.versionId).to.be.a("string");
        const key = await resourceOutputs("aws:kms/key:Key", "k", { description: "d" }, CONTEXT);
        expect(String(key.outs.arn)).to.match(/^arn:aws:kms:eu-west-1:\d{12}:key\//);
    });
});

describe("engine harness: secrets in the checkpoint", () => {
    const sig = { [specialSigKey]: specialSecretSig };
    const urn = "urn:pulumi:dev::p::aws:rds/instance:Instance::db";
    const checkpoint = (resources: unknown[]) => ({ version: 3, checkpoint: { latest: { resources } } });
    const exported = (resources: unknown[]) => ({ version: 3, deployment: { resources } });

    it("finds each secret that holds the value, and whether the checkpoint holds it as ciphertext", () => {
        const raw = checkpoint([
            {
                urn,
                type: "aws:rds/instance:Instance",
                inputs: { password: { ...sig, ciphertext: "AAA" }, name: "db" },
                outputs: { password: { ...sig, ciphertext: "BBB" }, leaked: "xx-pw-xx" },
            },
        ]);
        const shown = exported([
            {
                urn,
                type: "aws:rds/instance:Instance",
                inputs: { password: { ...sig, plaintext: '"pw"' }, name: "db" },
                outputs: { password: { ...sig, plaintext: '"pw"' }, leaked: "xx-pw-xx" },
            },
        ]);
        const places = locate(raw, shown, "pw");
        expect(places.map((p) => [p.path, p.encrypted])).to.deep.equal([
            ["inputs.password", true],
            ["outputs.password", true],
            ["outputs.leaked", false],
        ]);
        expect(countLocations(places)).to.deep.equal({
            "aws:rds/instance:Instance inputs.password": 1,
            "aws:rds/instance:Instance outputs.leaked": 1,
            "aws:rds/instance:Instance outputs.password": 1,
        });
    });
});

describe("engine harness: engine events per resource", () => {
    const pre = (op: string, urn: string, extra: Record<string, unknown> = {}): EngineEvent =>
        ({
            sequence: 0,
            timestamp: 0,
            resourcePreEvent: {
                metadata: { op, urn, type: urn.split("::")[2].split("$").pop(), provider: "", ...extra },
            },
        }) as unknown as EngineEvent;
    const urn = (type: string, name: string) => `urn:pulumi:dev::p::${type}::${name}`;

    it("counts one step per resource, a replacement once, with the changed properties", () => {
        const events = [
            pre("same", urn("aws:kms/key:Key", "k")),
            pre("update", urn("aws:autoscaling/group:Group", "asg"), { detailedDiff: { maxSize: {}, "tags.a": {} } }),
            pre("create-replacement", urn("aws:secretsmanager/secretVersion:SecretVersion", "v")),
            pre("replace", urn("aws:secretsmanager/secretVersion:SecretVersion", "v"), {
                diffs: ["secretString"],
                keys: ["secretString"],
            }),
            pre("delete-replaced", urn("aws:secretsmanager/secretVersion:SecretVersion", "v")),
        ];
        const steps = resourceSteps(events);
        expect(countSteps(steps)).to.deep.equal({ same: 1, update: 1, replace: 1 });
        expect(steps.map(describeStep)).to.deep.equal([
            "same aws:kms/key:Key k",
            "update aws:autoscaling/group:Group asg: maxSize, tags.a",
            "replace aws:secretsmanager/secretVersion:SecretVersion v: secretString (replaced because of secretString)",
        ]);
    });

    it("sorts policy violations by enforcement level and names the packs that ran", () => {
        const events = [
            { policyEvent: { policyName: "a", enforcementLevel: "mandatory", resourceUrn: urn("t:m:T", "x") } },
            { policyEvent: { policyName: "b", enforcementLevel: "advisory" } },
            { summaryEvent: { PolicyPacks: { "webapp-infra-policy|local|/tmp/p": "0.1.0" } } },
        ] as unknown as EngineEvent[];
        expect(policyViolations(events)).to.deep.equal({ mandatory: ["a: x"], advisory: ["b: stack"] });
        expect(policyPacksRun(events)).to.deep.equal({ "webapp-infra-policy": "0.1.0" });
    });
});

describe("engine harness: engine:identity arguments", () => {
    it("needs --base; takes repeated --stack and --expect", () => {
        expect(() => parseIdentityArgs([])).to.throw(UsageError, "--base <git-rev> is required");
        expect(
            parseIdentityArgs(["--base", "main", "--stack", "dev", "--stack", "demo", "--expect", "update=2"]),
        ).to.deep.equal({
            base: "main",
            stacks: ["dev", "demo"],
            expect: { create: 0, update: 2, replace: 0, delete: 0 },
            json: false,
            help: false,
        });
        expect(() => parseIdentityArgs(["--base", "main", "--expect", "same=3"])).to.throw(
            UsageError,
            "--expect same=3: expected <op>=<count> with op one of create, update, replace, delete",
        );
        expect(() => parseIdentityArgs(["--base", "main", "--stack", "../x"])).to.throw(UsageError, "--stack ../x");
        expect(parseIdentityArgs(["--help"]).help).to.equal(true);
    });

    it("compares the counts with the expectation, operation by operation", () => {
        const none = { create: 0, update: 0, replace: 0, delete: 0 };
        expect(unmetExpectations({ same: 99 }, none)).to.deep.equal([]);
        expect(unmetExpectations({ same: 97, update: 1, replace: 1 }, { ...none, update: 1 })).to.deep.equal([
            "replace: 1 (expected 0)",
        ]);
        expect(unmetExpectations({ same: 99 }, { ...none, create: 2 })).to.deep.equal(["create: 0 (expected 2)"]);
    });
});
