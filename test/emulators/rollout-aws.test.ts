/**
 * The AWS followers for real, through the SDK clients: against moto's server where it implements
 * the API (Auto Scaling groups and their instances, EC2 instances and launch templates, ECS
 * clusters, task definitions and services), and against a loopback overlay in front of moto for
 * what moto lacks (instance refreshes; ECS deployments that fail, roll back or throttle).
 */
import { expect } from "chai";
import { AsgFollower, EcsFollower } from "../../automation/rollout/aws";
import { follow } from "../../automation/rollout/follow";
import { Moto, sharedMoto } from "../../tools/emulators/moto";
import { AwsOverlay, instanceRefreshesXml, jsonError, jsonReply, queryError, type RefreshSpec } from "./aws-overlay";
import { fakeClock, followSeen } from "../rollout-support";
import { AsgFixture, credentials, ecsService, NEW_AMI, NEW_IMAGE, OLD_AMI, OLD_IMAGE, REGION } from "./fixtures";

describe("rollout followers on AWS (moto and an overlay for what moto lacks)", function () {
    let moto: Moto;
    before(async () => {
        moto = await sharedMoto();
    });
    beforeEach(() => moto.reset());

    describe("Auto Scaling instance refresh", () => {
        const group = "webapp-asg";
        let overlay: AwsOverlay;
        let script: Array<RefreshSpec[] | "throttle">;
        let onRefresh: Array<(() => Promise<void>) | undefined>;
        let calls: number;
        let asg: AsgFixture;
        const since = new Date(Date.parse("2026-01-05T10:00:00Z"));
        const newVersion = (ami: string) => asg.newVersion(ami);
        const replaceInstances = () => asg.replaceInstances();
        const refresh = (status: RefreshSpec["status"], extra: Partial<RefreshSpec> = {}): RefreshSpec => ({
            id: "08b91cf7-8fa6-48af-b6a6-d227f40f1b9b",
            group,
            status,
            startTime: new Date(since.getTime() + 5_000),
            launchTemplate: { id: asg.launchTemplateId, version: "2" },
            ...extra,
        });
        const earlier: RefreshSpec = {
            id: "11111111-2222-3333-4444-555555555555",
            group,
            status: "Successful",
            startTime: new Date(since.getTime() - 86_400_000),
            percentageComplete: 100,
            instancesToUpdate: 0,
        };

        beforeEach(async () => {
            asg = await AsgFixture.create(moto.endpoint, group);
            script = [];
            onRefresh = [];
            calls = 0;
            overlay = await AwsOverlay.start(moto, async (operation) => {
                if (operation !== "DescribeInstanceRefreshes") {
                    return undefined;
                }
                const step = script[Math.min(calls, script.length - 1)];
                await onRefresh[calls]?.();
                calls++;
                return step === "throttle" ? queryError("Throttling", "Rate exceeded") : instanceRefreshesXml(step);
            });
        });
        afterEach(() => overlay.close());

        const follower = (maxAttempts = 4) =>
            new AsgFollower(
                { shape: "asg", region: REGION, autoScalingGroupName: group },
                { expectedImage: NEW_AMI, since, aws: { endpoint: overlay.endpoint, credentials, maxAttempts } },
            );

        it("follows a refresh to Successful and checks that every instance runs the new AMI", async () => {
            await newVersion(NEW_AMI);
            script = [
                [refresh("Pending"), earlier],
                [refresh("InProgress", { percentageComplete: 50, instancesToUpdate: 1 }), earlier],
                [refresh("Successful", { percentageComplete: 100, instancesToUpdate: 0 }), earlier],
            ];
            onRefresh = [undefined, undefined, replaceInstances];
            const clock = fakeClock();
            const { result, seen } = await followSeen([follower()], clock);
            expect(result.outcome).to.equal("succeeded");
            expect(seen.map((o) => o.summary)).to.deep.equal([
                "refresh 08b91cf7: Pending, 0 % done",
                "refresh 08b91cf7: InProgress, 50 % done, 1 instance to update",
                `refresh 08b91cf7: Successful; 2/2 instances in service on ${NEW_AMI}`,
            ]);
            expect(seen.map((o) => o.percent)).to.deep.equal([undefined, 50, 100]);
            expect(clock.slept).to.deep.equal([15_000, 15_000]);
            // The group and the instances' AMIs came from moto itself.
            expect(overlay.operations()).to.deep.equal([
                "DescribeInstanceRefreshes",
                "DescribeInstanceRefreshes",
                "DescribeInstanceRefreshes",
                ">DescribeAutoScalingGroups",
                ">DescribeInstances",
            ]);
        });

        it("stays in progress after Successful while an instance still runs the old AMI", async () => {
            await newVersion(NEW_AMI);
            script = [[refresh("Successful", { percentageComplete: 100, instancesToUpdate: 0 })]];
            const observation = await follower().observe();
            expect(observation).to.deep.equal({
                state: "in-progress",
                summary: `refresh 08b91cf7: Successful; 0/2 instances in service on ${NEW_AMI}`,
                percent: 100,
            });
        });

        it("reports a failed refresh that Auto Scaling rolled back, with its reason", async () => {
            await newVersion(NEW_AMI);
            const rollback = {
                reason: "Instance refresh failed: instances failed the ELB health checks",
                startTime: new Date(since.getTime() + 600_000),
                percentageCompleteOnRollback: 0,
                instancesToUpdateOnRollback: 1,
            };
            script = [
                [refresh("InProgress", { percentageComplete: 50, instancesToUpdate: 1 })],
                [refresh("RollbackInProgress", { rollback: { ...rollback, percentageCompleteOnRollback: 40 } })],
                [
                    refresh("RollbackSuccessful", {
                        statusReason: "Rollback completed",
                        rollback: { ...rollback, percentageCompleteOnRollback: 100 },
                    }),
                ],
            ];
            const { result, seen } = await followSeen([follower()], fakeClock());
            expect(result.outcome).to.equal("failed");
            expect(seen[1]).to.deep.equal({
                state: "in-progress",
                summary: `refresh 08b91cf7: RollbackInProgress, 40 % rolled back (${rollback.reason})`,
                percent: 40,
            });
            expect(result.results[0].last).to.deep.equal({
                state: "failed",
                summary: "refresh 08b91cf7: RollbackSuccessful (Rollback completed)",
                reason: rollback.reason,
                platformRollback: {
                    outcome: "rolled-back",
                    detail: "instance refresh auto-rollback: RollbackSuccessful",
                },
            });
        });

        it("reports a refresh that failed without a rollback, and one whose rollback failed", async () => {
            script = [[refresh("Failed", { statusReason: "Insufficient capacity" })]];
            expect(await follower().observe()).to.deep.include({
                state: "failed",
                reason: "Insufficient capacity",
                platformRollback: { outcome: "none", detail: "instance refresh Failed, not rolled back" },
            });
            calls = 0;
            script = [
                [
                    refresh("RollbackFailed", {
                        rollback: {
                            reason: "health checks",
                            startTime: since,
                            percentageCompleteOnRollback: 10,
                            instancesToUpdateOnRollback: 1,
                        },
                    }),
                ],
            ];
            expect((await follower().observe()).platformRollback).to.deep.equal({
                outcome: "failed",
                detail: "instance refresh auto-rollback: RollbackFailed",
            });
        });

        it("times out on a refresh that stays in progress", async () => {
            script = [[refresh("InProgress", { percentageComplete: 50, instancesToUpdate: 1 })]];
            const clock = fakeClock();
            const result = await follow([follower()], { timeoutMs: 60_000, clock });
            expect(result.outcome).to.equal("timeout");
            expect(result.results[0]).to.deep.include({ outcome: "timeout" });
            expect(result.results[0].last?.summary).to.equal(
                "refresh 08b91cf7: InProgress, 50 % done, 1 instance to update",
            );
            // Looks at 0, 15, 30, 45 and 60 s; the next one would be past the minute.
            expect(calls).to.equal(5);
            expect(clock.slept).to.have.length(4);
        });

        it("retries throttled calls: the SDK's own attempts first, then the next look", async () => {
            await newVersion(NEW_AMI);
            await replaceInstances();
            script = ["throttle", "throttle", "throttle", [refresh("Successful", { percentageComplete: 100 })]];
            const retries: string[] = [];
            const result = await follow([follower(2)], {
                timeoutMs: 30 * 60_000,
                clock: fakeClock(),
                onRetry: (label, error) => retries.push(`${label}: ${(error as Error).name}`),
            });
            expect(result.outcome).to.equal("succeeded");
            // Two attempts per look: the first look gives up on two throttled answers, the second gets through.
            expect(retries).to.deep.equal([`aws asg ${group}: Throttling`]);
            expect(overlay.operations().filter((o) => o === "DescribeInstanceRefreshes")).to.have.length(4);
        });

        it("needs no refresh when nothing changed and every instance already runs the image", async () => {
            script = [[earlier]];
            const unchanged = new AsgFollower(
                { shape: "asg", region: REGION, autoScalingGroupName: group },
                { expectedImage: OLD_AMI, since, aws: { endpoint: overlay.endpoint, credentials } },
            );
            expect(await unchanged.observe()).to.deep.equal({
                state: "succeeded",
                summary: `no instance refresh needed: 2/2 instances in service on ${OLD_AMI}`,
                percent: 100,
            });
        });

        it("ends with an error naming the group when it does not exist", async () => {
            script = [[]];
            const missing = new AsgFollower(
                { shape: "asg", region: REGION, autoScalingGroupName: "no-such-group" },
                { since, aws: { endpoint: overlay.endpoint, credentials } },
            );
            const result = await follow([missing], { timeoutMs: 60_000, clock: fakeClock() });
            expect(result.outcome).to.equal("error");
            expect(result.results[0].error).to.equal("no Auto Scaling group named no-such-group in us-east-1");
        });
    });

    describe("ECS deployments", () => {
        const cluster = "webapp";
        const service = ecsService;
        const follower = (endpoint: string, maxAttempts = 4) =>
            new EcsFollower(
                { region: REGION, clusterName: cluster, serviceName: "api" },
                { expectedImage: NEW_IMAGE, aws: { endpoint, credentials, maxAttempts } },
            );

        describe("against moto", () => {
            let running: Moto;
            before(async () => {
                // moto reports MOTO_ECS_SERVICE_RUNNING tasks running for each new service (default 0).
                process.env.MOTO_ECS_SERVICE_RUNNING = "2";
                try {
                    running = await Moto.start();
                } finally {
                    delete process.env.MOTO_ECS_SERVICE_RUNNING;
                }
            });
            after(() => running.stop());
            beforeEach(() => running.reset());

            it("follows the new task definition's deployment to COMPLETED", async () => {
                await service(running.endpoint, NEW_IMAGE);
                const { result, seen } = await followSeen([follower(running.endpoint)], fakeClock(), 60_000);
                expect(result.outcome).to.equal("succeeded");
                expect(seen).to.have.length(1);
                expect(seen[0].summary).to.match(
                    /^deployment ecs-svc\/\d+ \(webapp-api:2\): COMPLETED, 2\/2 tasks running, 0 pending, 0 failed$/,
                );
            });

            it("times out on a deployment whose tasks never start", async () => {
                // The shared server reports no running task: the deployment stays IN_PROGRESS.
                await service(moto.endpoint, NEW_IMAGE);
                const result = await follow([follower(moto.endpoint)], { timeoutMs: 45_000, clock: fakeClock() });
                expect(result.outcome).to.equal("timeout");
                expect(result.results[0].last?.summary).to.match(
                    /^deployment ecs-svc\/\d+ \(webapp-api:2\): IN_PROGRESS, 0\/2 tasks running, 2 pending, 0 failed$/,
                );
                expect(result.results[0].last?.percent).to.equal(0);
            });

            it("waits while the service still runs the previous task definition", async () => {
                await service(running.endpoint, OLD_IMAGE);
                const observation = await follower(running.endpoint).observe();
                expect(observation).to.deep.equal({
                    state: "in-progress",
                    summary: `waiting for a deployment of ${NEW_IMAGE} (PRIMARY: webapp-api:1)`,
                });
            });
        });

        describe("scripted deployments (the overlay)", () => {
            let overlay: AwsOverlay;
            let answers: Array<((arns: { old: string; fresh: string }) => ReturnType<typeof jsonReply>) | "moto">;
            let arns: { old: string; fresh: string };
            let calls: number;

            const deployment = (
                id: string,
                status: string,
                taskDefinition: string,
                rolloutState: string,
                extra: object = {},
            ) => ({
                id,
                status,
                taskDefinition,
                desiredCount: 2,
                pendingCount: 0,
                runningCount: 0,
                failedTasks: 0,
                createdAt: 1767607200,
                updatedAt: 1767607260,
                launchType: "FARGATE",
                rolloutState,
                rolloutStateReason: `ECS deployment ${id} ${rolloutState === "COMPLETED" ? "completed" : "in progress"}.`,
                ...extra,
            });
            const services = (deployments: object[]) =>
                jsonReply({
                    services: [
                        {
                            serviceName: "api",
                            clusterArn: `arn:aws:ecs:${REGION}:123456789012:cluster/${cluster}`,
                            status: "ACTIVE",
                            desiredCount: 2,
                            deploymentConfiguration: {
                                deploymentCircuitBreaker: { enable: true, rollback: true },
                                maximumPercent: 200,
                                minimumHealthyPercent: 50,
                            },
                            deployments,
                        },
                    ],
                    failures: [],
                });

            beforeEach(async () => {
                arns = await service(moto.endpoint, NEW_IMAGE);
                calls = 0;
                overlay = await AwsOverlay.start(moto, (operation) => {
                    if (operation !== "DescribeServices") {
                        return undefined;
                    }
                    const answer = answers[Math.min(calls++, answers.length - 1)];
                    return answer === "moto" ? undefined : answer(arns);
                });
            });
            afterEach(() => overlay.close());

            it("reports a deployment the circuit breaker failed and rolled back", async () => {
                const failedReason = "ECS deployment circuit breaker: tasks failed to start.";
                answers = [
                    (a) =>
                        services([
                            deployment("ecs-svc/new", "PRIMARY", a.fresh, "IN_PROGRESS", { failedTasks: 2 }),
                            deployment("ecs-svc/old", "ACTIVE", a.old, "COMPLETED", { runningCount: 2 }),
                        ]),
                    (a) =>
                        services([
                            deployment("ecs-svc/back", "PRIMARY", a.old, "IN_PROGRESS", { runningCount: 1 }),
                            deployment("ecs-svc/new", "ACTIVE", a.fresh, "FAILED", {
                                failedTasks: 4,
                                rolloutStateReason: failedReason,
                            }),
                        ]),
                    (a) =>
                        services([
                            deployment("ecs-svc/back", "PRIMARY", a.old, "COMPLETED", { runningCount: 2 }),
                            deployment("ecs-svc/new", "ACTIVE", a.fresh, "FAILED", {
                                failedTasks: 4,
                                rolloutStateReason: failedReason,
                            }),
                        ]),
                ];
                const { result, seen } = await followSeen([follower(overlay.endpoint)], fakeClock());
                expect(result.outcome).to.equal("failed");
                expect(seen.map((o) => o.summary)).to.deep.equal([
                    "deployment ecs-svc/new (webapp-api:2): IN_PROGRESS, 0/2 tasks running, 0 pending, 2 failed, 1 older deployment draining",
                    "deployment ecs-svc/new (webapp-api:2): FAILED; circuit breaker rolling back to webapp-api:1",
                    `deployment ecs-svc/new (webapp-api:2): FAILED: ${failedReason}`,
                ]);
                expect(result.results[0].last?.platformRollback).to.deep.equal({
                    outcome: "rolled-back",
                    detail: "circuit breaker rolled back to webapp-api:1",
                });
                // The task definitions' images came from moto.
                expect(overlay.operations().filter((o) => o === ">DescribeTaskDefinition")).to.have.length(2);
            });

            it("retries a throttled DescribeServices, then reads moto's answer", async () => {
                answers = [
                    () => jsonError("ThrottlingException", "Rate exceeded"),
                    () => jsonError("ThrottlingException", "Rate exceeded"),
                    "moto",
                ];
                const retries: string[] = [];
                const result = await follow([follower(overlay.endpoint, 2)], {
                    timeoutMs: 60_000,
                    clock: fakeClock(),
                    onRetry: (_, error) => retries.push((error as Error).name),
                });
                // Moto reports no running task on the shared server: in progress until the deadline, after the retry.
                expect(retries).to.deep.equal(["ThrottlingException"]);
                expect(result.outcome).to.equal("timeout");
                expect(result.results[0].last?.summary).to.match(/IN_PROGRESS, 0\/2 tasks running/);
                expect(overlay.operations().slice(0, 3)).to.deep.equal([
                    "DescribeServices",
                    "DescribeServices",
                    ">DescribeServices",
                ]);
            });

            it("fails a deployment superseded by another one", async () => {
                answers = [
                    (a) => services([deployment("ecs-svc/new", "PRIMARY", a.fresh, "IN_PROGRESS")]),
                    (a) =>
                        services([
                            deployment("ecs-svc/other", "PRIMARY", a.old, "IN_PROGRESS"),
                            deployment("ecs-svc/new", "ACTIVE", a.fresh, "IN_PROGRESS"),
                        ]),
                ];
                const f = follower(overlay.endpoint);
                expect((await f.observe()).state).to.equal("in-progress");
                expect(await f.observe()).to.deep.include({
                    state: "failed",
                    summary: "deployment ecs-svc/new (webapp-api:2) was superseded by webapp-api:1",
                });
            });
        });
    });
});
