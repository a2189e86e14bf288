/**
 * `npm run rollout` end to end on GCP: the command's arguments, checks and confirmation, then real
 * followers against the loopback Compute Engine and Cloud Run APIs, with the Pulumi side stood in
 * (config edits and `up` recorded): success, a failure rolled back, a timeout with and without
 * the rollback, a rollback that fails, outputs that do not say what to follow.
 */
import { expect } from "chai";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../automation";
import { EXIT, markdownSummary, type RolloutDeps } from "../automation/rollout/cli";
import { MISSING_CLI } from "../automation/preflight";
import { readStackConfig } from "../tools/offline/stack-config";
import {
    DEMO_GCP,
    fakeAuthClient,
    GoogleRolloutFake,
    instanceGroupManager,
    instanceTemplate,
    managedInstance,
    runRevision,
    runService,
    type GoogleState,
} from "./fakes/gcp-rollout";
import { fakePulumiBin, pulumiStandIn, removeDir, rollout, rolloutEnv, type PulumiScenario } from "./rollout-support";

const {
    project: PROJECT,
    region: REGION,
    group: GROUP,
    newTemplate: NEW_TEMPLATE,
    oldTemplate: OLD_TEMPLATE,
} = DEMO_GCP;
const NEW_NAME = "webapp-20260105";
const OLD_NAME = "webapp-20251201";
const image = (name: string) => `projects/${PROJECT}/global/images/${name}`;

const group = (template: string, stable: boolean) =>
    instanceGroupManager(PROJECT, REGION, GROUP, template, {
        targetSize: 2,
        stable,
        reached: stable,
        actions: stable ? {} : { none: 1, creating: 1 },
    });
const instance = (name: string, template: string, options?: Parameters<typeof managedInstance>[4]) =>
    managedInstance(PROJECT, "us-east1-b", name, template, options);
const converged = (template: string): GoogleState => ({
    groups: { [GROUP]: group(template, true) },
    instances: { [GROUP]: [instance("webapp-x", template), instance("webapp-y", template)] },
});
const updating = (template: string): GoogleState => ({
    groups: { [GROUP]: group(template, false) },
    instances: {
        [GROUP]: [
            instance("webapp-x", template),
            instance("webapp-y", template, { action: "CREATING", status: "PROVISIONING" }),
        ],
    },
});
const failing = (template: string): GoogleState => ({
    groups: { [GROUP]: group(template, false) },
    instances: {
        [GROUP]: [
            instance("webapp-y", template, {
                action: "CREATING",
                status: "PROVISIONING",
                error: { code: "ZONE_RESOURCE_POOL_EXHAUSTED", message: "The zone does not have enough resources" },
            }),
        ],
    },
});

/** The demo stack's state: the instance template boots the previous image (found through the family). */
const demoState = {
    deployment: {
        resources: [
            {
                type: "gcp:compute/instanceTemplate:InstanceTemplate",
                outputs: {
                    disks: [{ boot: true, sourceImage: `https://www.googleapis.com/compute/v1/${image(OLD_NAME)}` }],
                },
            },
        ],
    },
};

describe("npm run rollout (GCP, against loopback Compute Engine and Cloud Run APIs)", () => {
    const bin = fakePulumiBin();
    after(() => removeDir(bin));
    let fake: GoogleRolloutFake;
    let summaryDir: string;
    beforeEach(async () => {
        fake = await GoogleRolloutFake.start({
            project: PROJECT,
            region: REGION,
            templates: {
                [NEW_TEMPLATE]: instanceTemplate(image(NEW_NAME)),
                [OLD_TEMPLATE]: instanceTemplate(image(OLD_NAME)),
            },
            states: [converged(OLD_TEMPLATE)],
        });
        summaryDir = mkdtempSync(path.join(tmpdir(), "rollout-summary-"));
    });
    afterEach(async () => {
        await fake.close();
        removeDir(summaryDir);
    });

    const deps = (operations: RolloutDeps["operations"], extra: Partial<RolloutDeps> = {}): RolloutDeps => ({
        env: rolloutEnv(bin, { GITHUB_STEP_SUMMARY: path.join(summaryDir, "summary.md") }),
        operations,
        followers: {
            google: { auth: fakeAuthClient(), computeEndpoint: fake.computeEndpoint, runEndpoint: fake.runEndpoint },
        },
        ...extra,
    });
    const gcpOutputs = { gcp: { project: PROJECT, region: REGION, instanceGroupManagerName: GROUP } };
    const demo = (up: PulumiScenario["up"], state: unknown = demoState) =>
        pulumiStandIn({ config: readStackConfig("demo"), state, up });
    const summary = () => readFileSync(path.join(summaryDir, "summary.md"), "utf8");

    describe("managed instance group", () => {
        it("rolls out a new image: pins gcp.image.name, runs up, follows the group until it converges", async () => {
            const pulumi = demo(({ n }) => {
                fake.script([updating(NEW_TEMPLATE), converged(NEW_TEMPLATE)]);
                return n === 1 ? gcpOutputs : {};
            });
            const run = await rollout(["--stack", "demo", "--image", NEW_NAME, "--yes"], deps(pulumi));
            expect(run.err).to.deep.equal([]);
            expect(run.code).to.equal(EXIT.ok);
            expect(pulumi.calls).to.deep.equal([
                "export",
                `setConfig gcp.image.name=${NEW_NAME} -gcp.image.family`,
                "up",
            ]);
            expect((pulumi.config.gcp as Record<string, unknown>).image).to.deep.equal({ name: NEW_NAME });
            expect(run.out).to.deep.equal([
                `gcp (mig): ${NEW_NAME} (was gcp.image {"family":"webapp"})`,
                `  config: gcp.image.name = ${NEW_NAME}, gcp.image.family removed`,
                `[00:00] rollout: following gcp mig ${GROUP} (timeout 1800 s)`,
                `[00:00] gcp mig ${GROUP}: in-progress - 1/2 instances running template ${NEW_TEMPLATE} (creating 1), updating`,
                `[00:15] gcp mig ${GROUP}: succeeded - 2/2 instances running template ${NEW_TEMPLATE}`,
                `rollout: gcp mig ${GROUP}: succeeded - 2/2 instances running template ${NEW_TEMPLATE}`,
                `Rolled out ${NEW_NAME} to demo: the new image serves everywhere.`,
            ]);
            expect(summary()).to.include("**Result:** the new image serves everywhere (exit 0)");
            expect(summary()).to.include(
                `| gcp mig ${GROUP} | succeeded | 2/2 instances running template ${NEW_TEMPLATE} |  |`,
            );
        });

        it("rolls back a failed update to the image the state says ran, and follows that too (exit 3)", async () => {
            const configs: unknown[] = [];
            const pulumi = demo(({ n, config }) => {
                configs.push((config.gcp as Record<string, unknown>).image);
                fake.script(n === 1 ? [failing(NEW_TEMPLATE)] : [updating(OLD_TEMPLATE), converged(OLD_TEMPLATE)]);
                return gcpOutputs;
            });
            const run = await rollout(["--stack", "demo", "--image", NEW_NAME, "--yes"], deps(pulumi));
            expect(run.code).to.equal(EXIT.rolledBack);
            expect(pulumi.calls).to.deep.equal([
                "export",
                `setConfig gcp.image.name=${NEW_NAME} -gcp.image.family`,
                "up",
                `setConfig gcp.image.name=${OLD_NAME} -gcp.image.family gcp.image.project=${PROJECT}`,
                "up",
            ]);
            // The family would now select the new image: the rollback pins the one that ran.
            expect(configs).to.deep.equal([{ name: NEW_NAME }, { name: OLD_NAME, project: PROJECT }]);
            expect(run.err).to.deep.equal([
                `rollout: gcp mig ${GROUP}: failed - instances of template ${NEW_TEMPLATE} fail to start: ZONE_RESOURCE_POOL_EXHAUSTED The zone does not have enough resources`,
                "  platform rollback: none (a managed instance group does not roll back by itself)",
            ]);
            expect(run.out.at(-1)).to.equal(`Rolled back demo to the previous image: gcp ${image(OLD_NAME)}.`);
            expect(summary()).to.include("**Result:** failed; rolled back to the previous image (exit 3)");
            expect(summary()).to.include("### rollback");
        });

        it("times out and rolls back (exit 5), or leaves the new image with --no-rollback (exit 6)", async () => {
            const rollingBack = demo(({ n }) => {
                fake.script(n === 1 ? [updating(NEW_TEMPLATE)] : [converged(OLD_TEMPLATE)]);
                return gcpOutputs;
            });
            const timedOut = await rollout(
                ["--stack", "demo", "--image", NEW_NAME, "--yes", "--timeout", "2m"],
                deps(rollingBack),
            );
            expect(timedOut.code).to.equal(EXIT.timedOutRolledBack);
            expect(timedOut.err[0]).to.equal(
                `rollout: gcp mig ${GROUP}: timeout - 1/2 instances running template ${NEW_TEMPLATE} (creating 1), updating`,
            );
            expect(rollingBack.calls.filter((c) => c === "up")).to.have.length(2);

            const kept = demo(() => {
                fake.script([updating(NEW_TEMPLATE)]);
                return gcpOutputs;
            });
            const noRollback = await rollout(
                ["--stack", "demo", "--image", NEW_NAME, "--yes", "--timeout", "1m", "--no-rollback"],
                deps(kept),
            );
            expect(noRollback.code).to.equal(EXIT.timedOut);
            expect(kept.calls).to.deep.equal([
                "export",
                `setConfig gcp.image.name=${NEW_NAME} -gcp.image.family`,
                "up",
            ]);
            expect(noRollback.err.at(-1)).to.equal(
                `rollout: timed out; --no-rollback: the stack's config still names ${NEW_NAME}.`,
            );
        });

        it("exits 7 when the rollback's up fails too", async () => {
            const pulumi = demo(({ n }) => {
                if (n === 2) {
                    throw new Error("error: update failed: quota exceeded");
                }
                fake.script([failing(NEW_TEMPLATE)]);
                return gcpOutputs;
            });
            const run = await rollout(["--stack", "demo", "--image", NEW_NAME, "--yes"], deps(pulumi));
            expect(run.code).to.equal(EXIT.rollbackFailed);
            expect(run.err.slice(-2)).to.deep.equal([
                "rollback: pulumi up failed: error: update failed: quota exceeded",
                "rollout: the rollback of demo did not complete: the stack needs attention.",
            ]);
        });

        it("rolls back when the rollout's own up fails", async () => {
            const pulumi = demo(({ n }) => {
                if (n === 1) {
                    throw new Error("error: instance template creation failed");
                }
                fake.script([converged(OLD_TEMPLATE)]);
                return gcpOutputs;
            });
            const run = await rollout(["--stack", "demo", "--image", NEW_NAME, "--yes"], deps(pulumi));
            expect(run.code).to.equal(EXIT.rolledBack);
            expect(run.err[0]).to.equal("rollout: pulumi up failed: error: instance template creation failed");
        });

        it("sets the config back when editing it fails half-way", async () => {
            const pulumi = demo(() => {
                fake.script([converged(OLD_TEMPLATE)]);
                return gcpOutputs;
            });
            let edits = 0;
            const flaky = {
                ...pulumi,
                setConfig: async (...args: Parameters<typeof pulumi.setConfig>) => {
                    if (edits++ === 0) {
                        throw new Error("error: the stack is locked by another update");
                    }
                    return pulumi.setConfig(...args);
                },
            };
            const run = await rollout(["--stack", "demo", "--image", NEW_NAME, "--yes"], deps(flaky));
            expect(run.err[0]).to.equal(
                "rollout: pulumi up failed: setting the config failed: error: the stack is locked by another update",
            );
            expect(pulumi.calls).to.deep.equal([
                "export",
                `setConfig gcp.image.name=${OLD_NAME} -gcp.image.family gcp.image.project=${PROJECT}`,
                "up",
            ]);
            expect(run.code).to.equal(EXIT.rolledBack);
        });

        it("exits 1 without a rollback when the outputs do not say what to follow", async () => {
            const pulumi = demo(() => ({ gcp: { project: PROJECT, region: REGION } }));
            const run = await rollout(["--stack", "demo", "--image", NEW_NAME, "--yes"], deps(pulumi));
            expect(run.code).to.equal(EXIT.error);
            expect(run.err[0]).to.equal(
                "rollout: The stack's outputs do not say what to follow (1 problem):\n  - gcp.instanceGroupManagerName: missing from the stack's outputs",
            );
            expect(pulumi.calls.filter((c) => c === "up")).to.have.length(1);
        });
    });

    describe("Cloud Run", () => {
        const NEW_URI = "us-east1-docker.pkg.dev/example-webapp-demo/webapp/api:1.1.0";
        const OLD_URI = "us-east1-docker.pkg.dev/example-webapp-demo/webapp/api:1.0.0";
        const service = (
            created: string,
            ready: string,
            terminal: "CONDITION_SUCCEEDED" | "CONDITION_FAILED",
            img: string,
        ) =>
            runService(PROJECT, REGION, "webapp-api", {
                generation: 3,
                observedGeneration: 3,
                reconciling: false,
                created,
                ready,
                terminal,
                traffic: [{ latest: true, percent: 100 }],
                image: img,
            });

        it("rolls back a revision that failed to start to the previous image URI (exit 3)", async () => {
            // A stack on Cloud Run, validated by the real schema (the default `validate`).
            const root = mkdtempSync(path.join(tmpdir(), "rollout-root-"));
            try {
                copyFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
                writeFileSync(
                    path.join(root, "Pulumi.run.yaml"),
                    `config:\n  webapp-infra:environment: demo\n  webapp-infra:domainName: run.example.com\n  webapp-infra:clouds: [gcp]\n  webapp-infra:gcp:\n    project: ${PROJECT}\n    compute: cloudRun\n    cloudRun:\n      image: ${OLD_URI}\n`,
                );
                await fake.close();
                fake = await GoogleRolloutFake.start({
                    project: PROJECT,
                    region: REGION,
                    revisions: {
                        "webapp-api-00003-new": runRevision(
                            PROJECT,
                            REGION,
                            "webapp-api",
                            "webapp-api-00003-new",
                            NEW_URI,
                            "CONDITION_FAILED",
                            "Container failed to start",
                        ),
                        "webapp-api-00004-old": runRevision(
                            PROJECT,
                            REGION,
                            "webapp-api",
                            "webapp-api-00004-old",
                            OLD_URI,
                            "CONDITION_SUCCEEDED",
                        ),
                    },
                    states: [],
                });
                const pulumi = pulumiStandIn({
                    config: readStackConfig("run", { root }),
                    up: ({ n }) => {
                        fake.script([
                            n === 1
                                ? {
                                      services: {
                                          "webapp-api": service(
                                              "webapp-api-00003-new",
                                              "webapp-api-00002-old",
                                              "CONDITION_FAILED",
                                              NEW_URI,
                                          ),
                                      },
                                  }
                                : {
                                      services: {
                                          "webapp-api": service(
                                              "webapp-api-00004-old",
                                              "webapp-api-00004-old",
                                              "CONDITION_SUCCEEDED",
                                              OLD_URI,
                                          ),
                                      },
                                  },
                        ]);
                        return { gcp: { project: PROJECT, region: REGION, cloudRunServiceName: "webapp-api" } };
                    },
                });
                const run = await rollout(["--stack", "run", "--image", NEW_URI, "--yes"], deps(pulumi, { root }));
                expect(run.code).to.equal(EXIT.rolledBack);
                expect(pulumi.calls).to.deep.equal([
                    "export",
                    `setConfig gcp.cloudRun.image=${NEW_URI}`,
                    "up",
                    `setConfig gcp.cloudRun.image=${OLD_URI}`,
                    "up",
                ]);
                expect(run.err).to.deep.equal([
                    "rollout: gcp cloudRun webapp-api: failed - revision webapp-api-00003-new failed: Container failed to start",
                    "  platform rollback: rolled-back (Cloud Run kept the traffic on webapp-api-00002-old)",
                ]);
            } finally {
                removeDir(root);
            }
        });
    });

    describe("arguments and checks", () => {
        const never = () => pulumiStandIn({ config: {}, up: () => ({}) });

        it("exits 2 with the usage line on a bad argument or an image no shape takes", async () => {
            const missing = await rollout(["--stack", "demo"], deps(never()));
            expect(missing.code).to.equal(EXIT.usage);
            expect(missing.err).to.deep.equal([
                "rollout: --image is required (an AMI id, a container image URI, or a Compute Engine image)",
                "usage: npm run rollout -- --stack <name> --image <ami-id | image URI | gcp image> [--cloud aws|gcp] [--yes] [--dry-run | --check] [--timeout 30m] [--no-rollback] [--policy-pack]",
            ]);
            const container = await rollout(["--stack", "dev", "--image", "nginx:1.27", "--yes"], deps(never()));
            expect(container.code).to.equal(EXIT.usage);
            expect(container.err[0]).to.equal(
                'rollout: --image "nginx:1.27" fits no compute shape of the stack: aws (asg) takes an AMI id (ami-0123456789abcdef0)',
            );
        });

        it("refuses without --yes when nobody can confirm, and cancels on a wrong answer", async () => {
            const pulumi = never();
            const refused = await rollout(["--stack", "demo", "--image", NEW_NAME], deps(pulumi));
            expect(refused.code).to.equal(EXIT.usage);
            expect(refused.err.at(-1)).to.equal(
                'rollout: this changes real infrastructure in "demo": pass --yes (no terminal to confirm)',
            );
            const cancelled = await rollout(
                ["--stack", "demo", "--image", NEW_NAME],
                deps(pulumi, { interactive: true, ask: async () => "dev" }),
            );
            expect(cancelled.code).to.equal(EXIT.error);
            expect(cancelled.err.at(-1)).to.equal("Cancelled: nothing was changed.");
            expect(pulumi.calls).to.deep.equal([]);
        });

        it("stops on the preflight before any Pulumi call", async () => {
            const pulumi = never();
            const run = await rollout(
                ["--stack", "demo", "--image", NEW_NAME, "--yes"],
                deps(pulumi, { env: { PATH: "/nonexistent" } }),
            );
            expect(run.code).to.equal(EXIT.error);
            expect(run.err).to.deep.equal([MISSING_CLI]);
            expect(pulumi.calls).to.deep.equal([]);
        });

        it("validates the stack's config with the new image offline, naming the key", async () => {
            const root = mkdtempSync(path.join(tmpdir(), "rollout-root-"));
            try {
                copyFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
                writeFileSync(
                    path.join(root, "Pulumi.bad.yaml"),
                    "config:\n  webapp-infra:environment: dev\n  webapp-infra:domainName: bad.example.com\n  webapp-infra:aws:\n    vpcCidr: 10.0.0.0/33\n",
                );
                const pulumi = never();
                const run = await rollout(
                    ["--stack", "bad", "--image", "ami-0123456789abcdef0", "--yes"],
                    deps(pulumi, { root }),
                );
                expect(run.code).to.equal(EXIT.error);
                expect(run.err.join("\n")).to.match(
                    /^Invalid webapp-infra config for stack "bad" \(1 problem\):\n {2}- aws\.vpcCidr: /,
                );
                expect(pulumi.calls).to.deep.equal([]);
            } finally {
                removeDir(root);
            }
        });

        it("--check validates offline, without the Pulumi CLI, and names the stack and clouds for CI", async () => {
            const pulumi = never();
            const outputFile = path.join(summaryDir, "output");
            const run = await rollout(
                ["--stack", "demo", "--image", NEW_NAME, "--check"],
                deps(pulumi, { env: { PATH: "/nonexistent", GITHUB_OUTPUT: outputFile } }),
            );
            expect(run.code).to.equal(EXIT.ok);
            expect(run.err).to.deep.equal([]);
            expect(readFileSync(outputFile, "utf8")).to.equal("stack=demo\nclouds=gcp\n");
            expect(pulumi.calls).to.deep.equal([]);
        });

        it("--dry-run previews with the new image in a copy of the stack file, which stays as it was", async () => {
            const before = readFileSync(path.join(PROJECT_ROOT, "Pulumi.demo.yaml"), "utf8");
            const pulumi = pulumiStandIn({ config: readStackConfig("demo"), up: () => ({}) });
            const run = await rollout(
                ["--stack", "demo", "--image", NEW_NAME, "--dry-run", "--policy-pack"],
                deps(pulumi),
            );
            expect(run.code).to.equal(EXIT.ok);
            expect(pulumi.calls).to.deep.equal([
                `setConfig (in a copy) gcp.image.name=${NEW_NAME} -gcp.image.family`,
                "preview",
            ]);
            expect(pulumi.previews[0].workDir).to.not.equal(PROJECT_ROOT);
            expect(pulumi.previews[0].policyPacks).to.have.length(1);
            expect(run.out.at(-1)).to.equal("Preview of demo with the new image: update 2, same 40");
            expect(readFileSync(path.join(PROJECT_ROOT, "Pulumi.demo.yaml"), "utf8")).to.equal(before);
        });
    });

    it("writes a job summary with the result, the config and each resource", () => {
        const text = markdownSummary(
            {
                stack: "demo",
                settingsName: "demo",
                image: "ami-0123456789abcdef0",
                yes: true,
                dryRun: false,
                check: false,
                rollback: true,
                timeoutMs: 60_000,
                policyPack: false,
            },
            [
                {
                    cloud: "aws",
                    shape: "asg",
                    image: "ami-0123456789abcdef0",
                    changes: [{ path: "aws.imageId", value: "ami-0123456789abcdef0" }],
                    unchanged: false,
                },
            ],
            [
                {
                    name: "rollout",
                    up: { stack: "demo", result: "succeeded", changes: { update: 2 }, outputs: {} },
                    follow: {
                        outcome: "failed",
                        results: [
                            {
                                label: "aws asg g",
                                outcome: "failed",
                                last: {
                                    state: "failed",
                                    summary: "refresh 1: RollbackSuccessful",
                                    platformRollback: {
                                        outcome: "rolled-back",
                                        detail: "instance refresh auto-rollback: RollbackSuccessful",
                                    },
                                },
                            },
                        ],
                    },
                },
            ],
            EXIT.failed,
        );
        expect(text).to.equal(
            [
                "## Rollout of `ami-0123456789abcdef0` to `demo`",
                "",
                "**Result:** failed; not rolled back (exit 4)",
                "",
                "| cloud | shape | config |",
                "|---|---|---|",
                "| aws | asg | `aws.imageId = ami-0123456789abcdef0` |",
                "",
                "### rollout",
                "",
                "- `pulumi up` succeeded: update 2",
                "",
                "| resource | outcome | last seen | platform rollback |",
                "|---|---|---|---|",
                "| aws asg g | failed | refresh 1: RollbackSuccessful | rolled-back: instance refresh auto-rollback: RollbackSuccessful |",
                "",
            ].join("\n"),
        );
    });
});
