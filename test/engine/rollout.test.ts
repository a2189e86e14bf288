/**
 * A rollout through the real engine: the rollout command's preview (`npm run rollout -- --dry-run`,
 * run by the command itself) and its rollout step (the command's config edits, then `up`) on the
 * Pulumi CLI with the stand-in providers, for a stack of each AWS compute shape. A new image changes
 * the launch template or the task definition and the group or service that runs it, nothing else,
 * and replaces nothing. (Following the instance refresh / ECS deployment afterwards is tested
 * against the stand-in cloud APIs in test/emulators/.)
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import * as api from "../../automation";
import { EXIT, runRollout, type RolloutOperations } from "../../automation/rollout/cli";
import { stackShapes, valueAt } from "../../automation/rollout/images";
import { planRollout } from "../../automation/rollout/plan";
import { readStackConfig } from "../../tools/offline/stack-config";
import { initStack, withTimeLimit } from "../../tools/engine/session";
import { countSteps, logicalName, resourceSteps, type ResourceStep } from "../../tools/engine/steps";
import { engineSessionForSuite, OPERATION_LIMIT_MS } from "./support";

const NEW_AMI = "ami-0fedcba9876543210";
const NEW_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/webapp-prod:1.1.0";

interface Case {
    readonly stack: string;
    readonly shape: "asg" | "fargate";
    readonly image: string;
    /** The rollout's config edits, as the command prints them. */
    readonly edits: ReadonlyArray<{ path: string; value: string | undefined }>;
    /** `op type logical-name: changed properties`, sorted: every step of the preview that is not `same`. */
    readonly previewed: readonly string[];
    /** The same for the `up`. */
    readonly changed: readonly string[];
}

const CASES: readonly Case[] = [
    {
        stack: "dev",
        shape: "asg",
        image: NEW_AMI,
        edits: [
            { path: "aws.imageId", value: NEW_AMI },
            { path: "aws.imageFilter", value: undefined },
        ],
        // The template's next version; the group takes it through launchTemplate.version, in place
        // (its instance refresh then replaces the instances, outside the engine).
        previewed: [
            "update aws:autoscaling/group:Group dev-compute-asg: launchTemplate.version",
            "update aws:ec2/launchTemplate:LaunchTemplate dev-compute-lt: imageId",
        ],
        changed: [
            "update aws:autoscaling/group:Group dev-compute-asg: launchTemplate.version",
            "update aws:ec2/launchTemplate:LaunchTemplate dev-compute-lt: imageId",
        ],
    },
    {
        stack: "prod",
        shape: "fargate",
        image: NEW_IMAGE,
        edits: [{ path: "aws.fargate.image", value: NEW_IMAGE }],
        // A task definition is immutable: a new revision per service (the API's and the worker's),
        // which each service takes through taskDefinition, in place. The stand-in registers the new
        // revision under the same ARN as the old one, so in its `up` the services see no change.
        previewed: [
            "replace aws:ecs/taskDefinition:TaskDefinition prod-compute-web-task: containerDefinitions",
            "replace aws:ecs/taskDefinition:TaskDefinition prod-compute-worker-worker-task: containerDefinitions",
            "update aws:ecs/service:Service prod-compute-web: taskDefinition",
            "update aws:ecs/service:Service prod-compute-worker-worker: taskDefinition",
        ],
        changed: [
            "replace aws:ecs/taskDefinition:TaskDefinition prod-compute-web-task: containerDefinitions",
            "replace aws:ecs/taskDefinition:TaskDefinition prod-compute-worker-worker-task: containerDefinitions",
        ],
    },
];

/** `update aws:ec2/launchTemplate:LaunchTemplate dev-compute-lt: imageId` for every step that changes something. */
function changedSteps(steps: readonly ResourceStep[]): string[] {
    return steps
        .filter((s) => s.op !== "same")
        .map((s) => `${s.op} ${s.type} ${logicalName(s.urn)}: ${s.properties.join(", ")}`)
        .sort();
}

describe("a rollout through the real engine (stand-in providers, file backend)", function () {
    this.timeout(OPERATION_LIMIT_MS + 60_000);
    const engine = engineSessionForSuite();

    it("covers both AWS compute shapes with the committed stack files", () => {
        expect(CASES.map((c) => c.shape)).to.deep.equal(["asg", "fargate"]);
        for (const c of CASES) {
            expect(stackShapes(readStackConfig(c.stack)).aws).to.equal(c.shape);
        }
    });

    for (const c of CASES) {
        describe(`stack ${c.stack} (${c.shape}): --image ${c.image}`, () => {
            const options = (extra: Partial<api.StackOptions> = {}): api.StackOptions => ({
                stackName: c.stack,
                workDir: engine.work,
                envVars: engine.session.env,
                ...extra,
            });
            let previewSteps: ResourceStep[];
            let dryRun: { code: number; out: string[]; err: string[] };
            let upSteps: ResourceStep[];
            let up: api.UpResult;
            let stateCount: number;
            let committedStackFile: string;
            let dryRunStackFile: string;

            before(async function () {
                this.timeout(4 * OPERATION_LIMIT_MS);
                await initStack(engine.session, engine.work, c.stack);
                const created = await withTimeLimit(`up of ${c.stack}`, OPERATION_LIMIT_MS, (signal) =>
                    api.up(options({ signal })),
                );
                expect(created.result).to.equal("succeeded");
                stateCount = Object.values(created.changes).reduce((a, b) => a + b, 0);

                committedStackFile = readFileSync(path.join(engine.work, `Pulumi.${c.stack}.yaml`), "utf8");
                // The command itself, --dry-run: it previews its edits in a copy of the stack file.
                const previewEvents: EngineEvent[] = [];
                const operations: RolloutOperations = {
                    preview: (o) =>
                        api.preview({
                            ...options(),
                            ...o,
                            envVars: engine.session.env,
                            onEvent: (e) => previewEvents.push(e),
                        }),
                    up: (o) => api.up({ ...options(), ...o, envVars: engine.session.env }),
                    setConfig: (o, edits) => api.setConfig({ ...options(), ...o, envVars: engine.session.env }, edits),
                    exportState: (o) => api.exportState({ ...options(), ...o, envVars: engine.session.env }),
                };
                const out: string[] = [];
                const err: string[] = [];
                const code = await withTimeLimit(`rollout --dry-run of ${c.stack}`, OPERATION_LIMIT_MS, () =>
                    runRollout(["--stack", c.stack, "--image", c.image, "--dry-run"], {
                        root: engine.work,
                        env: engine.session.env,
                        home: engine.session.dir,
                        print: (line) => out.push(line),
                        fail: (line) => err.push(line),
                        write: () => undefined,
                        operations,
                    }),
                );
                dryRun = { code, out, err };
                dryRunStackFile = readFileSync(path.join(engine.work, `Pulumi.${c.stack}.yaml`), "utf8");
                previewSteps = resourceSteps(previewEvents);

                // The rollout step: the command's edits in the stack file, then up.
                const [plan] = planRollout(readStackConfig(c.stack, { root: engine.work }), c.image, "aws");
                await operations.setConfig({ stackName: c.stack }, plan.changes);
                const upEvents: EngineEvent[] = [];
                up = await withTimeLimit(`rollout up of ${c.stack}`, OPERATION_LIMIT_MS, (signal) =>
                    api.up(options({ signal, onEvent: (e) => upEvents.push(e) })),
                );
                upSteps = resourceSteps(upEvents);
            });

            after(async function () {
                this.timeout(OPERATION_LIMIT_MS + 60_000);
                await withTimeLimit(`destroy of ${c.stack}`, OPERATION_LIMIT_MS, (signal) =>
                    api.destroy(options({ signal })),
                );
            });

            it("the dry run prints the config edits and previews, leaving the stack file as it was", () => {
                // No cloud credentials in the session: the command warns, the stand-ins need none.
                expect(dryRun.err.map((line) => line.split(":")[0] + ":" + line.split(":")[1])).to.deep.equal(
                    c.stack === "prod"
                        ? [
                              "warning: No AWS credentials found (AWS_ACCESS_KEY_ID, AWS_PROFILE, web identity, ~/.aws)",
                              "warning: No Google Cloud credentials found (GOOGLE_APPLICATION_CREDENTIALS, application default credentials)",
                          ]
                        : ["warning: No AWS credentials found (AWS_ACCESS_KEY_ID, AWS_PROFILE, web identity, ~/.aws)"],
                );
                expect(dryRun.code).to.equal(EXIT.ok);
                expect(dryRun.out).to.have.length(3);
                expect(dryRun.out[1]).to.equal(
                    `  config: ${c.edits.map((e) => (e.value === undefined ? `${e.path} removed` : `${e.path} = ${e.value}`)).join(", ")}`,
                );
                expect(dryRun.out[2]).to.match(new RegExp(`^Preview of ${c.stack} with the new image: `));
                expect(dryRunStackFile).to.equal(committedStackFile);
            });

            it("the rollout's edits are the image keys only", () => {
                const raw = readStackConfig(c.stack, { root: engine.work });
                for (const edit of c.edits) {
                    expect(valueAt(raw, edit.path)).to.equal(edit.value);
                }
                expect(readFileSync(path.join(engine.work, `Pulumi.${c.stack}.yaml`), "utf8")).to.include(c.image);
            });

            it("up changes only the image's resources, replacing nothing", () => {
                expect(up.result).to.equal("succeeded");
                expect(changedSteps(upSteps)).to.deep.equal(c.changed);
                // Nothing but the immutable task definitions is replaced; the group or services stay.
                expect(upSteps.filter((s) => s.op === "replace").map((s) => s.type)).to.deep.equal(
                    c.shape === "fargate"
                        ? ["aws:ecs/taskDefinition:TaskDefinition", "aws:ecs/taskDefinition:TaskDefinition"]
                        : [],
                );
                expect(countSteps(upSteps).same).to.equal(upSteps.length - c.changed.length);
                // The steps also hold the default provider (random's), which the change summary leaves out.
                expect(upSteps.length).to.equal(stateCount + 1);
            });

            it("the preview of the dry run showed the same changes", () => {
                expect(changedSteps(previewSteps)).to.deep.equal(c.previewed);
                expect(previewSteps.length).to.equal(stateCount + 1);
            });
        });
    }
});
