/**
 * The stack outputs a rollout follows: for each compute shape, the output keys (inside the stack's
 * `aws` and `gcp` outputs) that name the resource whose progress it watches. A compute
 * implementation that a rollout supports exports exactly these keys.
 *
 * | shape      | outputs (in `aws` / `gcp`)                                                     |
 * |------------|--------------------------------------------------------------------------------|
 * | `asg`      | `region`, `autoScalingGroupName`                                               |
 * | `fargate`  | `region`, `ecsClusterName`, `ecsServiceNames` (the web service, then workers)  |
 * | `mig`      | `project`, `region`, `instanceGroupManagerName` (a regional group)             |
 * | `cloudRun` | `project`, `region`, `cloudRunServiceName`                                     |
 */
import type { AwsShape, GcpShape, Shape } from "./images";

/** The AWS outputs a rollout reads. */
export interface AwsRolloutOutputs {
    readonly region: string;
    /** `asg`: the Auto Scaling group the instance refresh runs in. */
    readonly autoScalingGroupName?: string;
    /** `fargate`: the ECS cluster of the services. */
    readonly ecsClusterName?: string;
    /** `fargate`: every ECS service that runs the image: the load-balanced one first, then each worker. */
    readonly ecsServiceNames?: readonly string[];
}

/** The GCP outputs a rollout reads. */
export interface GcpRolloutOutputs {
    readonly project: string;
    readonly region: string;
    /** `mig`: the regional managed instance group. */
    readonly instanceGroupManagerName?: string;
    /** `cloudRun`: the Cloud Run service (its short name, in `project` and `region`). */
    readonly cloudRunServiceName?: string;
}

export interface AsgTarget {
    readonly shape: "asg";
    readonly region: string;
    readonly autoScalingGroupName: string;
}

export interface FargateTarget {
    readonly shape: "fargate";
    readonly region: string;
    readonly clusterName: string;
    readonly serviceNames: readonly string[];
}

export interface MigTarget {
    readonly shape: "mig";
    readonly project: string;
    readonly region: string;
    readonly instanceGroupManagerName: string;
}

export interface CloudRunTarget {
    readonly shape: "cloudRun";
    readonly project: string;
    readonly region: string;
    readonly serviceName: string;
}

/** What a rollout follows on one cloud. */
export type RolloutTarget = AsgTarget | FargateTarget | MigTarget | CloudRunTarget;

/** The stack's outputs lack a key the rollout needs: a program defect, named by its output path. */
export class ContractError extends Error {
    override name = "ContractError";
}

/** The required outputs of each shape, as output paths (for messages and the README). */
export const REQUIRED_OUTPUTS: Readonly<Record<Shape, readonly string[]>> = {
    asg: ["aws.region", "aws.autoScalingGroupName"],
    fargate: ["aws.region", "aws.ecsClusterName", "aws.ecsServiceNames"],
    mig: ["gcp.project", "gcp.region", "gcp.instanceGroupManagerName"],
    cloudRun: ["gcp.project", "gcp.region", "gcp.cloudRunServiceName"],
};

/** Plain output values by top-level key (`aws`, `gcp`), as `outputs()` returns their `value`s. */
export type OutputValues = Readonly<Record<string, unknown>>;

/**
 * The targets of a rollout from the stack's outputs, for the shapes being rolled out. Throws
 * `ContractError` naming every missing or malformed output.
 */
export function rolloutTargets(outputs: OutputValues, shapes: { aws?: AwsShape; gcp?: GcpShape }): RolloutTarget[] {
    const problems: string[] = [];
    const read = (path: string, kind: "string" | "strings"): unknown => {
        const [cloud, key] = path.split(".");
        const group = outputs[cloud];
        const value = group !== null && typeof group === "object" ? (group as Record<string, unknown>)[key] : undefined;
        const ok =
            kind === "string"
                ? typeof value === "string" && value !== ""
                : Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string" && v !== "");
        if (!ok) {
            problems.push(
                value === undefined
                    ? `${path}: missing from the stack's outputs`
                    : `${path}: ${JSON.stringify(value)} is not ${kind === "string" ? "a name" : "a non-empty list of names"}`,
            );
        }
        return value;
    };
    const targets: RolloutTarget[] = [];
    if (shapes.aws === "asg") {
        targets.push({
            shape: "asg",
            region: read("aws.region", "string") as string,
            autoScalingGroupName: read("aws.autoScalingGroupName", "string") as string,
        });
    } else if (shapes.aws === "fargate") {
        targets.push({
            shape: "fargate",
            region: read("aws.region", "string") as string,
            clusterName: read("aws.ecsClusterName", "string") as string,
            serviceNames: read("aws.ecsServiceNames", "strings") as string[],
        });
    }
    if (shapes.gcp === "mig") {
        targets.push({
            shape: "mig",
            project: read("gcp.project", "string") as string,
            region: read("gcp.region", "string") as string,
            instanceGroupManagerName: read("gcp.instanceGroupManagerName", "string") as string,
        });
    } else if (shapes.gcp === "cloudRun") {
        targets.push({
            shape: "cloudRun",
            project: read("gcp.project", "string") as string,
            region: read("gcp.region", "string") as string,
            serviceName: read("gcp.cloudRunServiceName", "string") as string,
        });
    }
    if (problems.length > 0) {
        throw new ContractError(
            `The stack's outputs do not say what to follow (${problems.length} problem${problems.length > 1 ? "s" : ""}):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
    }
    return targets;
}
