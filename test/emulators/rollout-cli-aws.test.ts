/**
 * `npm run rollout` end to end on AWS: the Pulumi side stood in (config edits recorded; its `up`
 * does to moto what the real one does to AWS), the followers for real against moto and the
 * overlay that scripts instance refreshes and ECS deployment states moto lacks.
 */
import { expect } from "chai";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../automation";
import { EXIT, type RolloutDeps } from "../../automation/rollout/cli";
import { readStackConfig } from "../../tools/offline/stack-config";
import { sharedMoto, type Moto } from "../../tools/emulators/moto";
import { fakePulumiBin, pulumiStandIn, removeDir, rollout, rolloutEnv } from "../rollout-support";
import {
    AwsOverlay,
    instanceRefreshesXml,
    jsonReply,
    queryError,
    type OverlayReply,
    type RefreshSpec,
} from "./aws-overlay";
import { AsgFixture, credentials, ecsService, NEW_AMI, NEW_IMAGE, OLD_AMI, OLD_IMAGE, REGION } from "./fixtures";

describe("npm run rollout (AWS, against moto and the overlay)", () => {
    const bin = fakePulumiBin();
    after(() => removeDir(bin));
    let moto: Moto;
    let overlay: AwsOverlay | undefined;
    before(async () => {
        moto = await sharedMoto();
    });
    beforeEach(() => moto.reset());
    afterEach(async () => {
        await overlay?.close();
        overlay = undefined;
    });
    /** The overlay in front of moto, answering one operation from `answer` (the others go to moto). */
    const scriptOperation = async (operation: string, answer: () => Promise<OverlayReply> | OverlayReply) => {
        await overlay?.close();
        overlay = await AwsOverlay.start(moto, (op) => (op === operation ? answer() : undefined));
    };

    const deps = (operations: RolloutDeps["operations"], extra: Partial<RolloutDeps> = {}): RolloutDeps => ({
        env: rolloutEnv(bin),
        operations,
        followers: { aws: { endpoint: overlay?.endpoint, credentials, maxAttempts: 2 } },
        ...extra,
    });
    /** The dev stack's state: the launch template runs the previous AMI (chosen by the image filter). */
    const devState = {
        deployment: { resources: [{ type: "aws:ec2/launchTemplate:LaunchTemplate", outputs: { imageId: OLD_AMI } }] },
    };

    describe("Auto Scaling group", () => {
        let asg: AsgFixture;
        beforeEach(async () => {
            asg = await AsgFixture.create(moto.endpoint);
        });
        const outputs = () => ({ aws: { region: REGION, autoScalingGroupName: asg.group } });
        /** Answers DescribeInstanceRefreshes from a list, one entry per call (the last repeats); `throttle` answers Throttling. */
        const refreshes = (steps: Array<RefreshSpec["status"] | "throttle">, onStep?: (i: number) => Promise<void>) => {
            let i = 0;
            const start = new Date();
            return async () => {
                const status = steps[Math.min(i, steps.length - 1)];
                await onStep?.(i);
                i++;
                return status === "throttle"
                    ? queryError("Throttling", "Rate exceeded")
                    : instanceRefreshesXml([
                          {
                              id: "08b91cf7-8fa6-48af-b6a6-d227f40f1b9b",
                              group: asg.group,
                              status,
                              startTime: start,
                              percentageComplete: status === "Successful" ? 100 : 50,
                              instancesToUpdate: status === "Successful" ? 0 : 1,
                              ...(status.startsWith("Rollback")
                                  ? {
                                        rollback: {
                                            reason: "instances failed the ELB health checks",
                                            startTime: start,
                                            percentageCompleteOnRollback: 100,
                                            instancesToUpdateOnRollback: 0,
                                        },
                                    }
                                  : {}),
                          },
                      ]);
            };
        };

        it("rolls out an AMI: aws.imageId replaces the filter, the refresh is followed to every instance (exit 0)", async () => {
            const pulumi = pulumiStandIn({
                config: readStackConfig("dev"),
                state: devState,
                up: async () => {
                    await asg.newVersion(NEW_AMI);
                    return outputs();
                },
            });
            // InProgress, a throttled look, then Successful once the instances are replaced.
            const answer = refreshes(["InProgress", "throttle", "throttle", "Successful"], async (i) => {
                if (i === 3) {
                    await asg.replaceInstances();
                }
            });
            await scriptOperation("DescribeInstanceRefreshes", answer);
            const run = await rollout(["--stack", "dev", "--image", NEW_AMI, "--yes"], deps(pulumi));
            expect(run.err.filter((l) => !l.includes("retrying"))).to.deep.equal([]);
            expect(run.code).to.equal(EXIT.ok);
            expect(pulumi.calls).to.deep.equal(["export", `setConfig aws.imageId=${NEW_AMI} -aws.imageFilter`, "up"]);
            expect(pulumi.config.aws).to.deep.include({ imageId: NEW_AMI });
            expect(pulumi.config.aws).to.not.have.property("imageFilter");
            expect(run.out).to.include(`[00:15] aws asg webapp-asg: retrying after Throttling: Rate exceeded`);
            expect(run.out.at(-1)).to.equal(`Rolled out ${NEW_AMI} to dev: the new image serves everywhere.`);
            expect(run.out).to.include(
                `rollout: aws asg webapp-asg: succeeded - refresh 08b91cf7: Successful; 2/2 instances in service on ${NEW_AMI}`,
            );
        });

        it("after Auto Scaling rolled a failed refresh back, pins the AMI that ran and follows that rollout (exit 3)", async () => {
            let phase = 1;
            const failed = refreshes(["InProgress", "RollbackInProgress", "RollbackSuccessful"]);
            const back = refreshes(["InProgress", "Successful"], async (i) => {
                if (i === 1) {
                    await asg.replaceInstances();
                }
            });
            await scriptOperation("DescribeInstanceRefreshes", () => (phase === 1 ? failed() : back()));
            const pulumi = pulumiStandIn({
                config: readStackConfig("dev"),
                state: devState,
                up: async ({ n, config }) => {
                    phase = n;
                    await asg.newVersion((config.aws as { imageId: string }).imageId);
                    return outputs();
                },
            });
            const run = await rollout(["--stack", "dev", "--image", NEW_AMI, "--yes"], deps(pulumi));
            expect(run.code).to.equal(EXIT.rolledBack);
            expect(pulumi.calls).to.deep.equal([
                "export",
                `setConfig aws.imageId=${NEW_AMI} -aws.imageFilter`,
                "up",
                `setConfig aws.imageId=${OLD_AMI} -aws.imageFilter`,
                "up",
            ]);
            expect(run.err).to.deep.equal([
                "rollout: aws asg webapp-asg: failed - refresh 08b91cf7: RollbackSuccessful",
                "  platform rollback: rolled-back (instance refresh auto-rollback: RollbackSuccessful)",
            ]);
            expect(run.out).to.include(
                `rollback aws (asg): aws.imageId = ${OLD_AMI}, aws.imageFilter removed (previous image from the state)`,
            );
            expect(run.out).to.include(
                `rollback: aws asg webapp-asg: succeeded - refresh 08b91cf7: Successful; 2/2 instances in service on ${OLD_AMI}`,
            );
            expect(run.out.at(-1)).to.equal(`Rolled back dev to the previous image: aws ${OLD_AMI}.`);
        });

        it("reports the auto-rollback and keeps the config with --no-rollback (exit 4); times out (exit 6)", async () => {
            const failed = refreshes(["RollbackSuccessful"]);
            await scriptOperation("DescribeInstanceRefreshes", failed);
            const up = async () => (await asg.newVersion(NEW_AMI), outputs());
            const kept = pulumiStandIn({ config: readStackConfig("dev"), state: devState, up });
            const run = await rollout(["--stack", "dev", "--image", NEW_AMI, "--yes", "--no-rollback"], deps(kept));
            expect(run.code).to.equal(EXIT.failed);
            expect(run.err.at(-1)).to.equal(
                `rollout: failed; --no-rollback: the stack's config still names ${NEW_AMI}.`,
            );
            expect(kept.calls.filter((c) => c === "up")).to.have.length(1);

            const slow = refreshes(["InProgress"]);
            await scriptOperation("DescribeInstanceRefreshes", slow);
            const waited = pulumiStandIn({ config: readStackConfig("dev"), state: devState, up });
            const timeout = await rollout(
                ["--stack", "dev", "--image", NEW_AMI, "--yes", "--no-rollback", "--timeout", "1m"],
                deps(waited),
            );
            expect(timeout.code).to.equal(EXIT.timedOut);
            expect(timeout.err[0]).to.equal(
                "rollout: aws asg webapp-asg: timeout - refresh 08b91cf7: InProgress, 50 % done, 1 instance to update",
            );
        });
    });

    describe("ECS service", () => {
        it("rolls back a deployment the circuit breaker failed, to the previous image URI (exit 3)", async () => {
            const arns = await ecsService(moto.endpoint, NEW_IMAGE);
            const root = mkdtempSync(path.join(tmpdir(), "rollout-root-"));
            try {
                copyFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
                // The committed prod stack (Fargate beside a GCP instance group), running the fixture's
                // previous image: the command validates it with the program's own schema.
                const prodFile = readFileSync(path.join(PROJECT_ROOT, "Pulumi.prod.yaml"), "utf8");
                const prodImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/webapp-prod:1.0.0";
                expect(prodFile).to.include(`      image: ${prodImage}\n`);
                writeFileSync(path.join(root, "Pulumi.prod.yaml"), prodFile.replace(prodImage, OLD_IMAGE));
                const deployment = (id: string, status: string, taskDefinition: string, rolloutState: string) => ({
                    id,
                    status,
                    taskDefinition,
                    desiredCount: 2,
                    runningCount: rolloutState === "COMPLETED" ? 2 : 0,
                    pendingCount: 0,
                    failedTasks: rolloutState === "FAILED" ? 3 : 0,
                    createdAt: 1767607200,
                    rolloutState,
                    rolloutStateReason:
                        rolloutState === "FAILED" ? "ECS deployment circuit breaker: tasks failed to start." : "",
                });
                let phase = 1;
                await scriptOperation("DescribeServices", () => {
                    const deployments =
                        phase === 1
                            ? [
                                  deployment("ecs-svc/back", "PRIMARY", arns.old, "COMPLETED"),
                                  deployment("ecs-svc/new", "ACTIVE", arns.fresh, "FAILED"),
                              ]
                            : [deployment("ecs-svc/again", "PRIMARY", arns.old, "COMPLETED")];
                    return jsonReply({
                        services: [
                            {
                                serviceName: "api",
                                status: "ACTIVE",
                                deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
                                deployments,
                            },
                        ],
                        failures: [],
                    });
                });
                const pulumi = pulumiStandIn({
                    config: readStackConfig("prod", { root }),
                    up: ({ n }) => {
                        phase = n;
                        return { aws: { region: REGION, ecsClusterName: "webapp", ecsServiceNames: ["api"] } };
                    },
                });
                const run = await rollout(["--stack", "prod", "--image", NEW_IMAGE, "--yes"], deps(pulumi, { root }));
                expect(run.code).to.equal(EXIT.rolledBack);
                expect(run.out.slice(0, 2)).to.deep.equal([
                    `aws (fargate): ${NEW_IMAGE} (was aws.fargate.image ${OLD_IMAGE})`,
                    `  config: aws.fargate.image = ${NEW_IMAGE}`,
                ]);
                expect(pulumi.calls).to.deep.equal([
                    "export",
                    `setConfig aws.fargate.image=${NEW_IMAGE}`,
                    "up",
                    `setConfig aws.fargate.image=${OLD_IMAGE}`,
                    "up",
                ]);
                expect(run.err).to.deep.equal([
                    "rollout: aws ecs webapp/api: failed - deployment ecs-svc/new (webapp-api:2): FAILED: ECS deployment circuit breaker: tasks failed to start.",
                    "  platform rollback: rolled-back (circuit breaker rolled back to webapp-api:1)",
                ]);
                expect(run.out).to.include(
                    "rollback: aws ecs webapp/api: succeeded - deployment ecs-svc/again (webapp-api:1): COMPLETED, 2/2 tasks running, 0 pending, 0 failed",
                );
            } finally {
                removeDir(root);
            }
        });
    });
});
