/**
 * The AWS followers: an Auto Scaling instance refresh (`asg`) and an ECS service deployment
 * (`fargate`), through the AWS SDK v3 clients.
 *
 * Instance refresh (API reference, DescribeInstanceRefreshes / InstanceRefresh): `Status` is
 * Pending, InProgress, Successful, Failed, Cancelling, Cancelled, RollbackInProgress,
 * RollbackFailed, RollbackSuccessful or Baking; `PercentageComplete`, `InstancesToUpdate`,
 * `StatusReason`, and `RollbackDetails` (RollbackReason, PercentageCompleteOnRollback) once an
 * auto-rollback started. The program's group starts each refresh with `AutoRollback` and the
 * launch template version as the desired configuration, so a failed refresh rolls back by itself.
 *
 * ECS (API reference, DescribeServices / Deployment): each deployment has `status` PRIMARY
 * (the newest), ACTIVE (still running tasks) or INACTIVE, `rolloutState` IN_PROGRESS, COMPLETED
 * or FAILED (with `rolloutStateReason`), and task counts. With the deployment circuit breaker's
 * rollback on, a FAILED deployment is followed by a new PRIMARY one with the previous task
 * definition.
 */
import {
    AutoScalingClient,
    DescribeAutoScalingGroupsCommand,
    DescribeInstanceRefreshesCommand,
    type AutoScalingGroup,
    type InstanceRefresh,
} from "@aws-sdk/client-auto-scaling";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import {
    DescribeServicesCommand,
    DescribeTaskDefinitionCommand,
    ECSClient,
    type Deployment,
} from "@aws-sdk/client-ecs";
import type { AsgTarget, FargateTarget } from "./contract";
import type { Follower, Observation } from "./follow";

/** Settings shared by the AWS clients a rollout builds. */
export interface AwsClientSettings {
    readonly region: string;
    /** An endpoint override (an emulator); default: the SDK's own resolution (`AWS_ENDPOINT_URL` included). */
    readonly endpoint?: string;
    readonly credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    /** Attempts per call, the SDK retrying throttling and server errors in between. Default 4. */
    readonly maxAttempts?: number;
}

function clientConfig(settings: AwsClientSettings) {
    return {
        region: settings.region,
        maxAttempts: settings.maxAttempts ?? 4,
        ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
        ...(settings.credentials === undefined ? {} : { credentials: settings.credentials }),
    };
}

/** A refresh that started this long before the rollout's `up` is still the rollout's (clock skew). */
export const REFRESH_CLOCK_SKEW_MS = 60_000;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The refresh the rollout started: the newest one that began after `since` (less clock skew). */
export function rolloutRefresh(refreshes: readonly InstanceRefresh[], since: Date): InstanceRefresh | undefined {
    return [...refreshes]
        .filter((r) => r.StartTime !== undefined && r.StartTime.getTime() >= since.getTime() - REFRESH_CLOCK_SKEW_MS)
        .sort((a, b) => (b.StartTime?.getTime() ?? 0) - (a.StartTime?.getTime() ?? 0))[0];
}

/** Whether every instance of the group runs its launch template version (and the expected AMI). */
export interface GroupInstances {
    readonly complete: boolean;
    readonly summary: string;
}

/** Follows the instance refresh of an Auto Scaling group, then checks the instances themselves. */
export class AsgFollower implements Follower {
    readonly label: string;
    private readonly autoScaling: AutoScalingClient;
    private readonly ec2: EC2Client;

    constructor(
        private readonly target: AsgTarget,
        private readonly options: {
            /** The AMI every instance runs at the end; undefined checks the launch template version only. */
            readonly expectedImage?: string;
            /** When the rollout's `up` started: older refreshes are not this rollout's. */
            readonly since: Date;
            readonly aws?: Omit<AwsClientSettings, "region">;
        },
    ) {
        this.label = `aws asg ${target.autoScalingGroupName}`;
        const settings = { ...options.aws, region: target.region };
        this.autoScaling = new AutoScalingClient(clientConfig(settings));
        this.ec2 = new EC2Client(clientConfig(settings));
    }

    async observe(): Promise<Observation> {
        const name = this.target.autoScalingGroupName;
        const answer = await this.autoScaling.send(
            new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: name, MaxRecords: 10 }),
        );
        const refresh = rolloutRefresh(answer.InstanceRefreshes ?? [], this.options.since);
        if (refresh === undefined) {
            const instances = await this.instances();
            return instances.complete
                ? { state: "succeeded", summary: `no instance refresh needed: ${instances.summary}`, percent: 100 }
                : { state: "in-progress", summary: `waiting for an instance refresh: ${instances.summary}` };
        }
        const id = (refresh.InstanceRefreshId ?? "").slice(0, 8);
        const reason = refresh.StatusReason ? ` (${refresh.StatusReason})` : "";
        const rollback = refresh.RollbackDetails;
        switch (refresh.Status) {
            case "Successful": {
                const instances = await this.instances();
                return instances.complete
                    ? { state: "succeeded", summary: `refresh ${id}: Successful; ${instances.summary}`, percent: 100 }
                    : {
                          state: "in-progress",
                          summary: `refresh ${id}: Successful; ${instances.summary}`,
                          percent: 100,
                      };
            }
            case "Failed":
            case "Cancelled":
                return {
                    state: "failed",
                    summary: `refresh ${id}: ${refresh.Status}${reason}`,
                    reason: refresh.StatusReason ?? refresh.Status,
                    platformRollback: {
                        outcome: "none",
                        detail: `instance refresh ${refresh.Status}, not rolled back`,
                    },
                };
            case "RollbackSuccessful":
            case "RollbackFailed":
                return {
                    state: "failed",
                    summary: `refresh ${id}: ${refresh.Status}${reason}`,
                    reason: rollback?.RollbackReason ?? refresh.StatusReason ?? refresh.Status,
                    platformRollback: {
                        outcome: refresh.Status === "RollbackSuccessful" ? "rolled-back" : "failed",
                        detail: `instance refresh auto-rollback: ${refresh.Status}`,
                    },
                };
            case "RollbackInProgress":
                return {
                    state: "in-progress",
                    summary:
                        `refresh ${id}: RollbackInProgress, ${rollback?.PercentageCompleteOnRollback ?? 0} % rolled back` +
                        (rollback?.RollbackReason ? ` (${rollback.RollbackReason})` : ""),
                    percent: rollback?.PercentageCompleteOnRollback,
                };
            default: {
                const toUpdate =
                    refresh.InstancesToUpdate === undefined
                        ? ""
                        : `, ${plural(refresh.InstancesToUpdate, "instance")} to update`;
                return {
                    state: "in-progress",
                    summary: `refresh ${id}: ${refresh.Status ?? "Pending"}, ${refresh.PercentageComplete ?? 0} % done${toUpdate}${reason}`,
                    percent: refresh.PercentageComplete,
                };
            }
        }
    }

    /** The group's instances against its launch template version and the expected AMI. */
    async instances(): Promise<GroupInstances> {
        const name = this.target.autoScalingGroupName;
        const groups = await this.autoScaling.send(
            new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
        );
        const group = groups.AutoScalingGroups?.[0];
        if (group === undefined) {
            throw new Error(`no Auto Scaling group named ${name} in ${this.target.region}`);
        }
        const ids = (group.Instances ?? [])
            .filter((i) => !/^(Terminat|Detach)/.test(i.LifecycleState ?? ""))
            .map((i) => i.InstanceId ?? "");
        const images = new Map<string, string>();
        if (ids.length > 0) {
            const described = await this.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
            for (const instance of (described.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
                images.set(instance.InstanceId ?? "", instance.ImageId ?? "");
            }
        }
        return groupInstances(group, images, this.options.expectedImage);
    }
}

/** Pure: whether the group's live instances all serve from its launch template version (and AMI). */
export function groupInstances(
    group: AutoScalingGroup,
    images: ReadonlyMap<string, string>,
    expectedImage: string | undefined,
): GroupInstances {
    const version =
        group.LaunchTemplate?.Version ??
        group.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification?.Version;
    const live = (group.Instances ?? []).filter((i) => !/^(Terminat|Detach)/.test(i.LifecycleState ?? ""));
    const current = live.filter(
        (i) =>
            i.LifecycleState === "InService" &&
            i.HealthStatus === "Healthy" &&
            i.LaunchTemplate?.Version === version &&
            (expectedImage === undefined || images.get(i.InstanceId ?? "") === expectedImage),
    );
    const desired = group.DesiredCapacity ?? live.length;
    const what = expectedImage ?? `launch template version ${version ?? "?"}`;
    return {
        complete: current.length === live.length && current.length >= desired,
        summary: `${current.length}/${Math.max(desired, live.length)} instances in service on ${what}`,
    };
}

/** `family:revision` of a task definition ARN. */
export function taskDefinitionName(arn: string | undefined): string {
    return arn?.split("/").pop() ?? "?";
}

/** Follows the deployment of one ECS service. */
export class EcsFollower implements Follower {
    readonly label: string;
    private readonly ecs: ECSClient;
    private readonly images = new Map<string, readonly string[]>();
    /** The deployment of the new image, once seen. */
    private deploymentId: string | undefined;

    constructor(
        private readonly target: { region: string; clusterName: string; serviceName: string },
        private readonly options: {
            /** The image the service's new deployment runs; undefined follows the PRIMARY deployment. */
            readonly expectedImage?: string;
            readonly aws?: Omit<AwsClientSettings, "region">;
        },
    ) {
        this.label = `aws ecs ${target.clusterName}/${target.serviceName}`;
        this.ecs = new ECSClient(clientConfig({ ...options.aws, region: target.region }));
    }

    /** One follower per service of a `fargate` target. */
    static forTarget(
        target: FargateTarget,
        options: { expectedImage?: string; aws?: Omit<AwsClientSettings, "region"> },
    ): EcsFollower[] {
        return target.serviceNames.map(
            (serviceName) =>
                new EcsFollower({ region: target.region, clusterName: target.clusterName, serviceName }, options),
        );
    }

    private async imagesOf(taskDefinition: string | undefined): Promise<readonly string[]> {
        if (taskDefinition === undefined) {
            return [];
        }
        const known = this.images.get(taskDefinition);
        if (known) {
            return known;
        }
        const answer = await this.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition }));
        const images = (answer.taskDefinition?.containerDefinitions ?? []).map((c) => c.image ?? "");
        this.images.set(taskDefinition, images);
        return images;
    }

    async observe(): Promise<Observation> {
        const { clusterName, serviceName } = this.target;
        const answer = await this.ecs.send(
            new DescribeServicesCommand({ cluster: clusterName, services: [serviceName] }),
        );
        const service = answer.services?.[0];
        if (service === undefined || service.status === "INACTIVE") {
            const why = answer.failures?.[0]?.reason ?? service?.status ?? "MISSING";
            throw new Error(`ECS service ${serviceName} in cluster ${clusterName}: ${why}`);
        }
        const deployments = service.deployments ?? [];
        let ours: Deployment | undefined;
        if (this.deploymentId !== undefined) {
            ours = deployments.find((d) => d.id === this.deploymentId);
        } else {
            for (const deployment of deployments) {
                const images = await this.imagesOf(deployment.taskDefinition);
                const matches =
                    this.options.expectedImage === undefined
                        ? deployment.status === "PRIMARY"
                        : images.includes(this.options.expectedImage);
                if (
                    matches &&
                    (ours === undefined || (deployment.createdAt?.getTime() ?? 0) > (ours.createdAt?.getTime() ?? 0))
                ) {
                    ours = deployment;
                }
            }
            this.deploymentId = ours?.id;
        }
        const primary = deployments.find((d) => d.status === "PRIMARY");
        if (ours === undefined) {
            if (this.deploymentId !== undefined) {
                return {
                    state: "failed",
                    summary: `deployment ${this.deploymentId} is gone; the service runs ${taskDefinitionName(primary?.taskDefinition)}`,
                    reason: "the deployment was replaced before it completed",
                    platformRollback: { outcome: "none", detail: "the deployment was replaced by another one" },
                };
            }
            return {
                state: "in-progress",
                summary: `waiting for a deployment of ${this.options.expectedImage ?? "the new task definition"} (PRIMARY: ${taskDefinitionName(primary?.taskDefinition)})`,
            };
        }
        const td = taskDefinitionName(ours.taskDefinition);
        const counts = `${ours.runningCount ?? 0}/${ours.desiredCount ?? 0} tasks running, ${ours.pendingCount ?? 0} pending, ${ours.failedTasks ?? 0} failed`;
        if (ours.rolloutState === "FAILED") {
            const breaker = service.deploymentConfiguration?.deploymentCircuitBreaker;
            const reason = ours.rolloutStateReason ?? "rollout FAILED";
            const back = deployments.find((d) => d.status === "PRIMARY" && d.id !== ours?.id);
            if (!breaker?.rollback || back === undefined) {
                return {
                    state: "failed",
                    summary: `deployment ${ours.id} (${td}): FAILED: ${reason}`,
                    reason,
                    platformRollback: { outcome: "none", detail: "the circuit breaker does not roll back" },
                };
            }
            const to = taskDefinitionName(back.taskDefinition);
            if (back.rolloutState === "IN_PROGRESS") {
                return {
                    state: "in-progress",
                    summary: `deployment ${ours.id} (${td}): FAILED; circuit breaker rolling back to ${to}`,
                };
            }
            return {
                state: "failed",
                summary: `deployment ${ours.id} (${td}): FAILED: ${reason}`,
                reason,
                platformRollback:
                    back.rolloutState === "COMPLETED"
                        ? { outcome: "rolled-back", detail: `circuit breaker rolled back to ${to}` }
                        : {
                              outcome: "failed",
                              detail: `circuit breaker rollback to ${to}: ${back.rolloutState ?? "?"}`,
                          },
            };
        }
        if (ours.status !== "PRIMARY") {
            return {
                state: "failed",
                summary: `deployment ${ours.id} (${td}) was superseded by ${taskDefinitionName(primary?.taskDefinition)}`,
                reason: "another deployment started before this one completed",
                platformRollback: { outcome: "none", detail: "superseded, not rolled back" },
            };
        }
        const others = deployments.filter((d) => d.id !== ours?.id && d.status !== "INACTIVE");
        const running = (ours.runningCount ?? 0) >= (ours.desiredCount ?? 0);
        // Without the circuit breaker ECS leaves rolloutState unset: a lone PRIMARY deployment with every task running is done.
        const completed = ours.rolloutState === "COMPLETED" || (ours.rolloutState === undefined && running);
        if (completed && running && others.length === 0) {
            return { state: "succeeded", summary: `deployment ${ours.id} (${td}): COMPLETED, ${counts}`, percent: 100 };
        }
        const desired = ours.desiredCount ?? 0;
        return {
            state: "in-progress",
            summary:
                `deployment ${ours.id} (${td}): ${ours.rolloutState ?? "IN_PROGRESS"}, ${counts}` +
                (others.length > 0 ? `, ${plural(others.length, "older deployment")} draining` : ""),
            percent: desired > 0 ? Math.floor((100 * (ours.runningCount ?? 0)) / desired) : undefined,
        };
    }
}
