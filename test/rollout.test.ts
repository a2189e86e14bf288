/** The rollout's pure parts: reading --image, the config edits and their undoing, the outputs contract, the follow loop, the display. */
import { expect } from "chai";
import { groupInstances, rolloutRefresh } from "../automation/rollout/aws";
import { parseDuration, parseRolloutArgs } from "../automation/rollout/cli";
import { ContractError, REQUIRED_OUTPUTS, rolloutTargets } from "../automation/rollout/contract";
import { follow, isTransient, type Follower, type Observation } from "../automation/rollout/follow";
import { applyChanges, imageChanges, readImage, restoreChanges, stackShapes } from "../automation/rollout/images";
import { planRollback, planRollout } from "../automation/rollout/plan";
import { bar, elapsed, plainDisplay, terminalDisplay } from "../automation/rollout/progress";
import { deployedImages } from "../automation/rollout/state";
import { UsageError } from "../tools/cli";
import { fakeClock } from "./rollout-support";

const AMI = "ami-0123456789abcdef0";
const ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com/webapp:1.2.3";
const AR = "us-east1-docker.pkg.dev/example-webapp-demo/webapp/api@sha256:" + "a".repeat(64);

const demo = {
    clouds: ["aws", "gcp"],
    aws: { region: "us-east-1", imageFilter: { owner: "self", namePrefix: "webapp-" } },
    gcp: { project: "example-webapp-demo", image: { family: "webapp" } },
};

/** A follower that answers from a list (the last answer repeats); a string throws an error of that name. */
function scripted(
    label: string,
    answers: Array<Observation | { error: string; transient?: boolean }>,
): Follower & { looks: number } {
    const f = {
        label,
        looks: 0,
        async observe(): Promise<Observation> {
            const answer = answers[Math.min(f.looks++, answers.length - 1)];
            if ("error" in answer) {
                throw Object.assign(new Error(`${answer.error} happened`), { name: answer.error });
            }
            return answer;
        },
    };
    return f;
}

const going: Observation = { state: "in-progress", summary: "going" };
const done: Observation = { state: "succeeded", summary: "done", percent: 100 };
const broken: Observation = {
    state: "failed",
    summary: "broken",
    reason: "health checks",
    platformRollback: { outcome: "rolled-back", detail: "auto" },
};

describe("rollout: --image and the stack's shapes", () => {
    it("reads an AMI id, a Compute Engine image (name, path, family, URL) and a container image", () => {
        expect(readImage(AMI)).to.deep.equal({ ami: AMI, gcpImage: { name: AMI } });
        expect(readImage("webapp-20260105")).to.deep.equal({ gcpImage: { name: "webapp-20260105" } });
        expect(readImage("projects/p-12345/global/images/webapp-1")).to.deep.equal({
            gcpImage: { name: "webapp-1", project: "p-12345" },
        });
        expect(
            readImage("https://www.googleapis.com/compute/v1/projects/p-12345/global/images/family/webapp"),
        ).to.deep.equal({
            gcpImage: { family: "webapp", project: "p-12345" },
        });
        expect(readImage(ECR)).to.deep.equal({ container: ECR });
        expect(readImage(AR)).to.deep.equal({ container: AR });
        expect(readImage("nginx:1.27")).to.deep.equal({ container: "nginx:1.27" });
        // No tag and no digest: not a container image one can roll out.
        expect(readImage("docker.io/library/nginx")).to.deep.equal({});
        expect(readImage("Not An Image")).to.deep.equal({});
    });

    it("knows each cloud's shape from aws.compute and gcp.compute (asg and mig by default)", () => {
        expect(stackShapes(demo)).to.deep.equal({ aws: "asg", gcp: "mig", unknown: [] });
        expect(stackShapes({ clouds: ["aws"], aws: { compute: "fargate" } })).to.deep.equal({
            aws: "fargate",
            unknown: [],
        });
        expect(stackShapes({ clouds: ["gcp"], gcp: { compute: "cloudRun" } })).to.deep.equal({
            gcp: "cloudRun",
            unknown: [],
        });
        expect(stackShapes({ clouds: ["aws"], aws: { compute: "lambda" } }).unknown).to.deep.equal([
            'aws.compute: "lambda" is not a shape the rollout knows (asg, fargate)',
        ]);
    });

    it("puts the image where each shape reads it, replacing a filter or a family", () => {
        expect(imageChanges("asg", AMI, demo)).to.deep.equal([
            { path: "aws.imageId", value: AMI },
            { path: "aws.imageFilter", value: undefined },
        ]);
        expect(imageChanges("mig", { name: "webapp-2" }, demo)).to.deep.equal([
            { path: "gcp.image.name", value: "webapp-2" },
            { path: "gcp.image.family", value: undefined },
        ]);
        expect(imageChanges("mig", { name: "webapp-2", project: "images-prj" }, demo)).to.deep.equal([
            { path: "gcp.image.name", value: "webapp-2" },
            { path: "gcp.image.family", value: undefined },
            { path: "gcp.image.project", value: "images-prj" },
        ]);
        expect(imageChanges("fargate", ECR, demo)).to.deep.equal([{ path: "aws.fargate.image", value: ECR }]);
        expect(imageChanges("cloudRun", AR, demo)).to.deep.equal([{ path: "gcp.cloudRun.image", value: AR }]);
        const after = applyChanges(demo, imageChanges("asg", AMI, demo));
        expect(after.aws).to.deep.equal({ region: "us-east-1", imageId: AMI });
        expect(demo.aws.imageFilter).to.deep.equal({ owner: "self", namePrefix: "webapp-" });
    });

    it("sets back exactly what it changed, an object key by key", () => {
        const forward = imageChanges("asg", AMI, demo);
        const back = restoreChanges(forward, demo);
        expect(back).to.deep.equal([
            { path: "aws.imageId", value: undefined },
            { path: "aws.imageFilter.owner", value: "self" },
            { path: "aws.imageFilter.namePrefix", value: "webapp-" },
        ]);
        expect(applyChanges(applyChanges(demo, forward), back)).to.deep.equal(demo);
    });

    it("sends an image to the clouds whose shape takes it; --cloud narrows; an AMI id means AWS", () => {
        expect(planRollout(demo, AMI, undefined).map((r) => [r.cloud, r.shape])).to.deep.equal([["aws", "asg"]]);
        expect(planRollout(demo, "webapp-2", undefined).map((r) => [r.cloud, r.shape])).to.deep.equal([["gcp", "mig"]]);
        expect(planRollout(demo, AMI, "gcp")[0].image).to.deep.equal({ name: AMI });
        const containers = { clouds: ["aws", "gcp"], aws: { compute: "fargate" }, gcp: { compute: "cloudRun" } };
        expect(planRollout(containers, "nginx:1.27", undefined).map((r) => r.cloud)).to.deep.equal(["aws", "gcp"]);
        expect(planRollout(containers, ECR, undefined).map((r) => r.cloud)).to.deep.equal(["aws"]);
        expect(planRollout(containers, AR, undefined).map((r) => r.cloud)).to.deep.equal(["gcp"]);
        const same = planRollout({ clouds: ["aws"], aws: { imageId: AMI } }, AMI, undefined)[0];
        expect(same.unchanged).to.equal(true);
    });

    it("refuses an image no shape of the stack takes, saying what each one takes", () => {
        expect(() => planRollout(demo, ECR, undefined)).to.throw(
            UsageError,
            `--image "${ECR}" fits no compute shape of the stack: aws (asg) takes an AMI id (ami-0123456789abcdef0); gcp (mig) takes a Compute Engine image`,
        );
        expect(() => planRollout({ clouds: ["gcp"], gcp: {} }, AMI, undefined)).to.throw(
            UsageError,
            `(to use "${AMI}" as a Compute Engine image name, pass --cloud gcp)`,
        );
        expect(() => planRollout({ clouds: ["aws"] }, AMI, "gcp")).to.throw(
            UsageError,
            "--cloud gcp: the stack does not use gcp (aws runs asg)",
        );
    });

    it("rolls back a moving image selector to the image the state says ran, else to the config as it was", () => {
        const rollouts = planRollout(demo, AMI, undefined);
        expect(planRollback(demo, rollouts, { asg: "ami-0fedcba9876543210" })).to.deep.equal([
            {
                cloud: "aws",
                shape: "asg",
                changes: [
                    { path: "aws.imageId", value: "ami-0fedcba9876543210" },
                    { path: "aws.imageFilter", value: undefined },
                ],
                image: "ami-0fedcba9876543210",
                source: "state",
            },
        ]);
        expect(planRollback(demo, rollouts, {})[0]).to.deep.include({ source: "config (moving)", image: undefined });
        const pinned = { clouds: ["aws"], aws: { imageId: "ami-0aaaaaaaaaaaaaaa1" } };
        expect(
            planRollback(pinned, planRollout(pinned, AMI, undefined), { asg: "ami-0fedcba9876543210" })[0],
        ).to.deep.equal({
            cloud: "aws",
            shape: "asg",
            changes: [{ path: "aws.imageId", value: "ami-0aaaaaaaaaaaaaaa1" }],
            image: "ami-0aaaaaaaaaaaaaaa1",
            source: "config",
        });
        // Nothing to go back to when the config already named the image.
        expect(planRollback(pinned, planRollout(pinned, "ami-0aaaaaaaaaaaaaaa1", undefined), {})).to.deep.equal([]);
    });

    it("reads the running images from the stack's state", () => {
        const state = {
            deployment: {
                resources: [
                    { type: "aws:ec2/launchTemplate:LaunchTemplate", outputs: { imageId: AMI } },
                    {
                        type: "aws:ecs/taskDefinition:TaskDefinition",
                        outputs: { containerDefinitions: JSON.stringify([{ name: "app", image: ECR }]) },
                    },
                    {
                        type: "gcp:compute/instanceTemplate:InstanceTemplate",
                        outputs: {
                            disks: [
                                {
                                    boot: true,
                                    sourceImage:
                                        "https://www.googleapis.com/compute/v1/projects/p-12345/global/images/webapp-1",
                                },
                            ],
                        },
                    },
                    { type: "gcp:cloudrunv2/service:Service", outputs: { template: { containers: [{ image: AR }] } } },
                ],
            },
        };
        expect(deployedImages(state)).to.deep.equal({
            asg: AMI,
            fargate: ECR,
            mig: { name: "webapp-1", project: "p-12345" },
            cloudRun: AR,
        });
        expect(deployedImages({})).to.deep.equal({});
    });
});

describe("rollout: the outputs it follows", () => {
    it("reads each shape's resource from the stack's aws and gcp outputs", () => {
        const outputs = {
            aws: {
                region: "us-east-1",
                autoScalingGroupName: "webapp-asg-1",
                ecsClusterName: "c",
                ecsServiceNames: ["api", "worker"],
            },
            gcp: {
                project: "p-12345",
                region: "us-east1",
                instanceGroupManagerName: "mig-1",
                cloudRunServiceName: "api",
            },
        };
        expect(rolloutTargets(outputs, { aws: "asg", gcp: "mig" })).to.deep.equal([
            { shape: "asg", region: "us-east-1", autoScalingGroupName: "webapp-asg-1" },
            { shape: "mig", project: "p-12345", region: "us-east1", instanceGroupManagerName: "mig-1" },
        ]);
        expect(rolloutTargets(outputs, { aws: "fargate", gcp: "cloudRun" })).to.deep.equal([
            { shape: "fargate", region: "us-east-1", clusterName: "c", serviceNames: ["api", "worker"] },
            { shape: "cloudRun", project: "p-12345", region: "us-east1", serviceName: "api" },
        ]);
        expect(REQUIRED_OUTPUTS.fargate).to.deep.equal(["aws.region", "aws.ecsClusterName", "aws.ecsServiceNames"]);
    });

    it("names every output that is missing or malformed", () => {
        expect(() =>
            rolloutTargets({ aws: { region: "us-east-1", ecsServiceNames: [] } }, { aws: "fargate", gcp: "cloudRun" }),
        ).to.throw(
            ContractError,
            "The stack's outputs do not say what to follow (5 problems):\n" +
                "  - aws.ecsClusterName: missing from the stack's outputs\n" +
                "  - aws.ecsServiceNames: [] is not a non-empty list of names\n" +
                "  - gcp.project: missing from the stack's outputs\n" +
                "  - gcp.region: missing from the stack's outputs\n" +
                "  - gcp.cloudRunServiceName: missing from the stack's outputs",
        );
    });
});

describe("rollout: following", () => {
    it("polls every 15 s until each follower succeeds", async () => {
        const a = scripted("a", [going, going, done]);
        const b = scripted("b", [going, done]);
        const clock = fakeClock();
        const result = await follow([a, b], { timeoutMs: 600_000, clock });
        expect(result).to.deep.equal({
            outcome: "succeeded",
            results: [
                { label: "a", outcome: "succeeded", last: done },
                { label: "b", outcome: "succeeded", last: done },
            ],
        });
        expect([a.looks, b.looks]).to.deep.equal([3, 2]);
        expect(clock.slept).to.deep.equal([15_000, 15_000]);
    });

    it("stops at the first failure, marking the others stopped", async () => {
        const result = await follow([scripted("a", [going]), scripted("b", [broken])], {
            timeoutMs: 600_000,
            clock: fakeClock(),
        });
        expect(result.outcome).to.equal("failed");
        expect(result.results.map((r) => r.outcome)).to.deep.equal(["stopped", "failed"]);
        expect(result.results[1].last?.platformRollback).to.deep.equal({ outcome: "rolled-back", detail: "auto" });
    });

    it("times out, keeping the last observation", async () => {
        const clock = fakeClock();
        const result = await follow([scripted("a", [going])], { timeoutMs: 40_000, intervalMs: 10_000, clock });
        expect(result.outcome).to.equal("timeout");
        expect(result.results[0]).to.deep.equal({ label: "a", outcome: "timeout", last: going });
        expect(clock.slept).to.have.length(4);
    });

    it("retries transient errors on the next look; any other error ends that follower", async () => {
        const retries: string[] = [];
        const flaky = scripted("flaky", [{ error: "ThrottlingException" }, { error: "ECONNRESET" }, done]);
        const result = await follow([flaky], {
            timeoutMs: 600_000,
            clock: fakeClock(),
            onRetry: (l, e) => retries.push(`${l} ${(e as Error).name}`),
        });
        expect(result.outcome).to.equal("succeeded");
        expect(retries).to.deep.equal(["flaky ThrottlingException", "flaky ECONNRESET"]);
        const denied = await follow([scripted("denied", [{ error: "AccessDeniedException" }])], {
            timeoutMs: 600_000,
            clock: fakeClock(),
        });
        expect(denied.outcome).to.equal("error");
        expect(denied.results[0].error).to.equal("AccessDeniedException happened");
    });

    it("tells transient errors apart as the SDKs report them", () => {
        expect(isTransient({ name: "Throttling" })).to.equal(true);
        expect(isTransient({ name: "X", $metadata: { httpStatusCode: 503 } })).to.equal(true);
        expect(isTransient({ name: "X", $metadata: { httpStatusCode: 400 } })).to.equal(false);
        expect(isTransient({ status: 429 })).to.equal(true);
        expect(isTransient(Object.assign(new Error("fetch failed"), { cause: { code: "ECONNREFUSED" } }))).to.equal(
            true,
        );
        expect(isTransient(new Error("ValidationError"))).to.equal(false);
    });
});

describe("rollout: pure helpers", () => {
    it("picks the refresh that started with the rollout", () => {
        const since = new Date("2026-01-05T10:00:00Z");
        const at = (iso: string, id: string) => ({ InstanceRefreshId: id, StartTime: new Date(iso) });
        expect(
            rolloutRefresh([at("2026-01-04T10:00:00Z", "old"), at("2026-01-05T10:00:30Z", "new")], since)
                ?.InstanceRefreshId,
        ).to.equal("new");
        expect(rolloutRefresh([at("2026-01-05T09:59:30Z", "skewed")], since)?.InstanceRefreshId).to.equal("skewed");
        expect(rolloutRefresh([at("2026-01-05T09:58:00Z", "before")], since)).to.equal(undefined);
    });

    it("counts a group complete only when every live instance is healthy on its version and AMI", () => {
        const instance = (id: string, version: string, state = "InService") => ({
            InstanceId: id,
            LifecycleState: state,
            HealthStatus: "Healthy",
            LaunchTemplate: { Version: version },
        });
        const group = {
            AutoScalingGroupName: "g",
            DesiredCapacity: 2,
            LaunchTemplate: { Version: "3" },
            Instances: [instance("i-1", "3"), instance("i-2", "3"), instance("i-0", "2", "Terminating")],
        } as never;
        const images = new Map([
            ["i-1", AMI],
            ["i-2", AMI],
        ]);
        expect(groupInstances(group, images, AMI)).to.deep.equal({
            complete: true,
            summary: `2/2 instances in service on ${AMI}`,
        });
        expect(groupInstances(group, new Map([["i-1", AMI]]), AMI).complete).to.equal(false);
        expect(groupInstances(group, images, undefined).summary).to.equal(
            "2/2 instances in service on launch template version 3",
        );
    });

    it("parses --timeout durations and the rollout's arguments", () => {
        expect([parseDuration("90s"), parseDuration("30m"), parseDuration("1h30m"), parseDuration("45")]).to.deep.equal(
            [90_000, 1_800_000, 5_400_000, 2_700_000],
        );
        expect(() => parseDuration("soon")).to.throw(
            UsageError,
            '--timeout "soon": give a duration such as 90s, 30m or 1h30m',
        );
        expect(() => parseDuration("0m")).to.throw(UsageError, "must be longer than 0");
        expect(parseRolloutArgs(["--stack", "demo", "--image", AMI])).to.deep.equal({
            stack: "demo",
            settingsName: "demo",
            image: AMI,
            cloud: undefined,
            yes: false,
            dryRun: false,
            check: false,
            rollback: true,
            timeoutMs: 1_800_000,
            policyPack: false,
        });
        expect(
            parseRolloutArgs(["-s", "dev", "-i", AMI, "--no-rollback", "--timeout", "10m", "--cloud", "aws", "--yes"]),
        ).to.include({
            rollback: false,
            timeoutMs: 600_000,
            cloud: "aws",
            yes: true,
        });
        expect(() => parseRolloutArgs(["--stack", "dev"])).to.throw(UsageError, "--image is required");
        expect(() => parseRolloutArgs(["--stack", "dev", "--image", AMI, "--cloud", "azure"])).to.throw(
            UsageError,
            '--cloud "azure": must be aws or gcp',
        );
        expect(() => parseRolloutArgs(["--stack", "dev", "--image", AMI, "--rollback", "--no-rollback"])).to.throw(
            UsageError,
        );
    });

    it("shows progress as plain lines on change, or as a live block on a terminal", () => {
        expect([elapsed(0), elapsed(61_000), elapsed(3_723_000)]).to.deep.equal(["00:00", "01:01", "1:02:03"]);
        expect(bar(50, 10)).to.equal("[#####.....]");
        expect(bar(undefined, 4)).to.equal("[    ]");
        let now = 0;
        const lines: string[] = [];
        const plain = plainDisplay(
            (l) => lines.push(l),
            () => now,
        );
        plain.observe("aws asg g", going);
        now = 15_000;
        plain.observe("aws asg g", going);
        now = 30_000;
        plain.observe("aws asg g", done);
        expect(lines).to.deep.equal(["[00:00] aws asg g: in-progress - going", "[00:30] aws asg g: succeeded - done"]);

        let screen = "";
        const live = terminalDisplay(
            (t) => (screen += t),
            () => 0,
            80,
        );
        live.observe("a", going);
        live.observe("b", going);
        live.observe("a", done);
        expect(screen).to.equal(
            "\r\x1b[2K… [                    ] 00:00 a: going\n" +
                "\x1b[1A\r\x1b[2K… [                    ] 00:00 a: going\n\r\x1b[2K… [                    ] 00:00 b: going\n" +
                "\x1b[2A\r\x1b[2K✓ [####################] 00:00 a: done\n\r\x1b[2K… [                    ] 00:00 b: going\n",
        );
    });
});
