/**
 * The images a stack runs now, read from its state (`pulumi stack export`): the previous image a
 * rollback sets back when the config names a moving one (the newest AMI of `aws.imageFilter`, the
 * newest image of a `gcp.image.family`), which by then may be the very image being rolled out.
 */
import { readImage, type GcpImage, type Shape } from "./images";

/** The part of a deployment (`pulumi stack export`) read here. */
export interface DeploymentState {
    readonly deployment?: { readonly resources?: ReadonlyArray<{ type?: string; outputs?: Record<string, unknown> }> };
}

export type DeployedImages = Partial<Record<Shape, string | GcpImage>>;

const first = (state: DeploymentState, type: string) =>
    (state.deployment?.resources ?? []).filter((r) => r.type === type).map((r) => r.outputs ?? {});

/** The image each shape's resource runs in the state; a shape without that resource is left out. */
export function deployedImages(state: DeploymentState): DeployedImages {
    const images: DeployedImages = {};
    const ami = first(state, "aws:ec2/launchTemplate:LaunchTemplate")
        .map((o) => o.imageId)
        .find((v): v is string => typeof v === "string");
    if (ami !== undefined && readImage(ami).ami) {
        images.asg = ami;
    }
    for (const outputs of first(state, "aws:ecs/taskDefinition:TaskDefinition")) {
        try {
            const definitions = JSON.parse(String(outputs.containerDefinitions)) as Array<{ image?: unknown }>;
            const image = definitions.map((d) => d.image).find((v): v is string => typeof v === "string");
            if (image !== undefined) {
                images.fargate = image;
                break;
            }
        } catch {
            // not plain JSON (a secret): unknown
        }
    }
    for (const outputs of first(state, "gcp:compute/instanceTemplate:InstanceTemplate")) {
        const disks = Array.isArray(outputs.disks) ? (outputs.disks as Array<Record<string, unknown>>) : [];
        const boot = disks.find((d) => d.boot === true) ?? disks[0];
        const image = typeof boot?.sourceImage === "string" ? readImage(boot.sourceImage).gcpImage : undefined;
        if (image !== undefined) {
            images.mig = image;
            break;
        }
    }
    for (const outputs of first(state, "gcp:cloudrunv2/service:Service")) {
        const template = outputs.template as { containers?: Array<{ image?: unknown }> } | undefined;
        const image = template?.containers?.map((c) => c.image).find((v): v is string => typeof v === "string");
        if (image !== undefined) {
            images.cloudRun = image;
            break;
        }
    }
    return images;
}
