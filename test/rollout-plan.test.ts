/**
 * What a rollout's config edits change in a stack, planned offline against the stack as it is:
 * only the image input of the launch template or instance template; the group that uses it takes
 * the new template through an input that updates it in place; nothing else changes or is replaced.
 * And the program's outputs hold what the rollout follows (the contract in automation/rollout/contract.ts).
 */
import { expect } from "chai";
import { rolloutTargets } from "../automation/rollout/contract";
import { applyChanges, stackShapes } from "../automation/rollout/images";
import { planRollout } from "../automation/rollout/plan";
import { parseConfig } from "../config";
import { compareWith, type PlanDiff, type ResourcesDocument } from "../tools/offline/diff";
import { placeResources } from "../tools/offline/plan";
import { replacingInputs } from "../tools/offline/replace";
import type { OfflineRun } from "../tools/offline/run";
import { redact, reveal } from "../tools/offline/values";
import { build, buildStack, rawStackConfig } from "./support";

function document(run: OfflineRun): ResourcesDocument {
    return {
        resources: placeResources(run.resources).map(({ resource: r, kind }) => ({
            urn: r.urn,
            type: r.type,
            name: r.name,
            kind,
            inputs: redact(r.inputs) as Record<string, unknown>,
        })),
    };
}

/** The stack file as it is, and the same stack after `npm run rollout`'s config edits. */
async function rolloutDiff(
    stack: string,
    image: string,
    cloud?: "aws" | "gcp",
): Promise<{ diff: PlanDiff; before: OfflineRun }> {
    const raw = rawStackConfig(stack);
    const edits = planRollout(raw, image, cloud).flatMap((r) => r.changes);
    const before = await buildStack(stack);
    const after = await build(parseConfig(applyChanges(raw, edits), stack));
    return { diff: compareWith(document(before), document(after)), before };
}

const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
const GROUP = "aws:autoscaling/group:Group";
const INSTANCE_TEMPLATE = "gcp:compute/instanceTemplate:InstanceTemplate";
const MIG = "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager";
const TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition";
const SERVICE = "aws:ecs/service:Service";

/** The group's input that names the template, and the template's URN it depends on. */
function groupTakesTemplate(run: OfflineRun, groupType: string, input: string, templateType: string): void {
    const groups = run.resources.filter((r) => r.type === groupType);
    const templates = run.resources.filter((r) => r.type === templateType);
    expect(groups).to.have.length(1);
    expect(templates).to.have.length(1);
    expect(groups[0].propertyDependencies[input]).to.include(templates[0].urn);
}

describe("rollout: what the config edits change in the stack (offline plan)", () => {
    it("an AMI on dev updates the launch template's imageId only; the group takes its new version in place", async () => {
        const { diff, before } = await rolloutDiff("dev", "ami-0fedcba9876543210");
        expect(diff.changes.map((c) => [c.op, c.type, c.inputs])).to.deep.equal([
            ["update", LAUNCH_TEMPLATE, ["imageId"]],
        ]);
        expect(diff.summary).to.deep.include({ create: 0, replace: 0, delete: 0 });
        // The group's launchTemplate.version is the template's latestVersion: an in-place update.
        groupTakesTemplate(before, GROUP, "launchTemplate", LAUNCH_TEMPLATE);
        expect(replacingInputs(GROUP, ["launchTemplate.version"])).to.deep.equal([]);
        expect(replacingInputs(LAUNCH_TEMPLATE, ["imageId"])).to.deep.equal([]);
    });

    it("an AMI on demo (both clouds) changes AWS's launch template only, and nothing on GCP", async () => {
        const { diff } = await rolloutDiff("demo", "ami-0fedcba9876543210");
        expect(diff.changes.map((c) => [c.op, c.type, c.inputs])).to.deep.equal([
            ["update", LAUNCH_TEMPLATE, ["imageId"]],
        ]);
    });

    it("a Compute Engine image on demo replaces the instance template (immutable) and nothing else; the group moves to it in place", async () => {
        const { diff, before } = await rolloutDiff("demo", "webapp-20260105", "gcp");
        expect(diff.changes.map((c) => [c.op, c.type, c.inputs])).to.deep.equal([
            ["replace", INSTANCE_TEMPLATE, ["disks[0].sourceImage"]],
        ]);
        expect(diff.summary).to.deep.include({ create: 0, update: 0, delete: 0 });
        groupTakesTemplate(before, MIG, "versions", INSTANCE_TEMPLATE);
        expect(replacingInputs(MIG, ["versions[0].instanceTemplate"])).to.deep.equal([]);
    });

    it("an image URI on prod (Fargate) registers a new task definition revision per service; each service moves to it in place", async () => {
        const { diff, before } = await rolloutDiff(
            "prod",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/webapp-prod:1.1.0",
        );
        expect(diff.changes.map((c) => [c.op, c.type, c.name, c.inputs])).to.deep.equal([
            ["replace", TASK_DEFINITION, "prod-compute-web-task", ["containerDefinitions"]],
            ["replace", TASK_DEFINITION, "prod-compute-worker-worker-task", ["containerDefinitions"]],
        ]);
        expect(diff.summary).to.deep.include({ create: 0, update: 0, delete: 0 });
        // A task definition is immutable (a new revision); each service names its own by ARN, an in-place update.
        const services = before.resources.filter((r) => r.type === SERVICE);
        const tasks = before.resources.filter((r) => r.type === TASK_DEFINITION);
        expect(services).to.have.length(2);
        expect(tasks).to.have.length(2);
        expect(
            services.map((s) => tasks.filter((t) => s.propertyDependencies.taskDefinition?.includes(t.urn)).length),
        ).to.deep.equal([1, 1]);
        expect(replacingInputs(SERVICE, ["taskDefinition"])).to.deep.equal([]);
        expect(replacingInputs(TASK_DEFINITION, ["containerDefinitions"])).to.deep.equal(["containerDefinitions"]);
    });

    it("the program's outputs name what a rollout follows on each cloud of demo", async () => {
        const run = await buildStack("demo");
        const outputs = reveal(run.outputs) as Record<string, unknown>;
        const targets = rolloutTargets(outputs, stackShapes(rawStackConfig("demo")));
        expect(targets).to.have.length(2);
        const [asg, mig] = targets;
        expect(asg).to.deep.include({ shape: "asg", region: "us-east-1" });
        expect(asg.shape === "asg" && asg.autoScalingGroupName).to.match(/^demo-compute-asg-[0-9a-f]{7}$/);
        expect(mig).to.deep.include({ shape: "mig", project: "example-webapp-demo", region: "us-east1" });
        expect(mig.shape === "mig" && mig.instanceGroupManagerName).to.match(/^demo-gcp-compute-mig-[0-9a-f]{7}$/);
    });
});
