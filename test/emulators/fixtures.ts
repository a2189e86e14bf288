/**
 * What the rollout's AWS tests build in moto: an Auto Scaling group from a launch template (and what
 * a rollout's `up` and its refresh do to it), and an ECS service with two task definitions.
 */
import {
    AutoScalingClient,
    CreateAutoScalingGroupCommand,
    SetDesiredCapacityCommand,
    UpdateAutoScalingGroupCommand,
} from "@aws-sdk/client-auto-scaling";
import {
    CreateLaunchTemplateCommand,
    CreateLaunchTemplateVersionCommand,
    EC2Client,
    ModifyLaunchTemplateCommand,
} from "@aws-sdk/client-ec2";
import {
    CreateClusterCommand,
    CreateServiceCommand,
    ECSClient,
    RegisterTaskDefinitionCommand,
} from "@aws-sdk/client-ecs";

export const REGION = "us-east-1";
export const OLD_AMI = "ami-0aaaaaaaaaaaaaaa1";
export const NEW_AMI = "ami-0bbbbbbbbbbbbbbb2";
export const OLD_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/webapp:1.0.0";
export const NEW_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/webapp:1.1.0";
export const credentials = { accessKeyId: "testing", secretAccessKey: "testing" };

/** An Auto Scaling group of two instances from launch template version 1 (`OLD_AMI`), in moto at `endpoint`. */
export class AsgFixture {
    private constructor(
        private readonly endpoint: string,
        readonly group: string,
        readonly launchTemplateId: string,
    ) {}

    static async create(endpoint: string, group = "webapp-asg"): Promise<AsgFixture> {
        const ec2 = new EC2Client({ region: REGION, endpoint, credentials });
        const lt = await ec2.send(
            new CreateLaunchTemplateCommand({
                LaunchTemplateName: `${group}-lt`,
                LaunchTemplateData: { ImageId: OLD_AMI, InstanceType: "t3.micro" },
            }),
        );
        const id = lt.LaunchTemplate?.LaunchTemplateId ?? "";
        await new AutoScalingClient({ region: REGION, endpoint, credentials }).send(
            new CreateAutoScalingGroupCommand({
                AutoScalingGroupName: group,
                LaunchTemplate: { LaunchTemplateId: id, Version: "1" },
                MinSize: 2,
                MaxSize: 3,
                DesiredCapacity: 2,
                AvailabilityZones: ["us-east-1a", "us-east-1b"],
            }),
        );
        return new AsgFixture(endpoint, group, id);
    }

    private autoScaling() {
        return new AutoScalingClient({ region: REGION, endpoint: this.endpoint, credentials });
    }

    /** What `up` does: a new launch template version (the default one) on the group. Returns its number. */
    async newVersion(ami: string): Promise<string> {
        const ec2 = new EC2Client({ region: REGION, endpoint: this.endpoint, credentials });
        const version = await ec2.send(
            new CreateLaunchTemplateVersionCommand({
                LaunchTemplateId: this.launchTemplateId,
                LaunchTemplateData: { ImageId: ami, InstanceType: "t3.micro" },
            }),
        );
        const number = String(version.LaunchTemplateVersion?.VersionNumber);
        await ec2.send(
            new ModifyLaunchTemplateCommand({ LaunchTemplateId: this.launchTemplateId, DefaultVersion: number }),
        );
        await this.autoScaling().send(
            new UpdateAutoScalingGroupCommand({
                AutoScalingGroupName: this.group,
                LaunchTemplate: { LaunchTemplateId: this.launchTemplateId, Version: number },
            }),
        );
        return number;
    }

    /** What a refresh does: every instance replaced by one from the group's current launch template. */
    async replaceInstances(): Promise<void> {
        await this.autoScaling().send(
            new SetDesiredCapacityCommand({ AutoScalingGroupName: this.group, DesiredCapacity: 0 }),
        );
        await this.autoScaling().send(
            new SetDesiredCapacityCommand({ AutoScalingGroupName: this.group, DesiredCapacity: 2 }),
        );
    }
}

/** An ECS cluster `webapp` with task definitions webapp-api:1 (`OLD_IMAGE`) and :2 (`NEW_IMAGE`) and a service `api` on `image`. */
export async function ecsService(
    endpoint: string,
    image: string,
    circuitBreaker = true,
): Promise<{ old: string; fresh: string }> {
    const client = new ECSClient({ region: REGION, endpoint, credentials });
    await client.send(new CreateClusterCommand({ clusterName: "webapp" }));
    const register = (img: string) =>
        client.send(
            new RegisterTaskDefinitionCommand({
                family: "webapp-api",
                requiresCompatibilities: ["FARGATE"],
                networkMode: "awsvpc",
                cpu: "256",
                memory: "512",
                containerDefinitions: [{ name: "app", image: img, essential: true }],
            }),
        );
    const old = await register(OLD_IMAGE);
    const fresh = await register(NEW_IMAGE);
    const arn = (image === NEW_IMAGE ? fresh : old).taskDefinition?.taskDefinitionArn ?? "";
    await client.send(
        new CreateServiceCommand({
            cluster: "webapp",
            serviceName: "api",
            taskDefinition: arn,
            desiredCount: 2,
            launchType: "FARGATE",
            deploymentConfiguration: {
                minimumHealthyPercent: 50,
                maximumPercent: 200,
                deploymentCircuitBreaker: { enable: circuitBreaker, rollback: circuitBreaker },
            },
        }),
    );
    return { old: old.taskDefinition?.taskDefinitionArn ?? "", fresh: fresh.taskDefinition?.taskDefinitionArn ?? "" };
}
