/**
 * The plan of a rollout, before anything runs: which clouds and shapes the image goes to, the
 * config edits that put it in place, and the edits (and image) a rollback sets back.
 */
import { UsageError } from "../../tools/cli";
import {
    applyChanges,
    configuredImage,
    describeImage,
    IMAGE_FORMS,
    IMAGE_KEYS,
    imageChanges,
    imageFor,
    readImage,
    restoreChanges,
    selectsMovingImage,
    stackShapes,
    valueAt,
    type AwsShape,
    type ConfigChange,
    type GcpImage,
    type GcpShape,
    type RawConfig,
    type RolloutCloud,
    type Shape,
} from "./images";
import type { DeployedImages } from "./state";

/** The rollout on one cloud. */
export interface CloudRollout {
    readonly cloud: RolloutCloud;
    readonly shape: Shape;
    /** The image, as the shape takes it. */
    readonly image: string | GcpImage;
    /** The config edits that put the image in place. */
    readonly changes: readonly ConfigChange[];
    /** Whether the config already names this image (the edits change nothing). */
    readonly unchanged: boolean;
}

/** Which clouds an image goes to: the ones `--cloud` names, or every cloud whose shape takes it. */
export function planRollout(raw: RawConfig, image: string, cloud: RolloutCloud | undefined): CloudRollout[] {
    const shapes = stackShapes(raw);
    if (shapes.unknown.length > 0) {
        throw new UsageError(shapes.unknown.join("; "));
    }
    const clouds: Array<[RolloutCloud, Shape]> = [];
    if (shapes.aws) {
        clouds.push(["aws", shapes.aws]);
    }
    if (shapes.gcp) {
        clouds.push(["gcp", shapes.gcp]);
    }
    const used = clouds.map(([c, s]) => `${c} runs ${s}`).join(", ");
    if (cloud !== undefined && !clouds.some(([c]) => c === cloud)) {
        throw new UsageError(`--cloud ${cloud}: the stack does not use ${cloud} (${used})`);
    }
    const readings = readImage(image);
    const candidates = clouds.filter(([c]) => cloud === undefined || c === cloud);
    let fits = candidates.filter(([, shape]) => imageFor(shape, readings, image) !== undefined);
    // An AMI id is also a valid Compute Engine image name: without --cloud it means the AMI.
    if (cloud === undefined && readings.ami !== undefined && fits.some(([, s]) => s === "asg")) {
        fits = fits.filter(([, s]) => s === "asg");
    } else if (cloud === undefined && readings.ami !== undefined) {
        fits = [];
    }
    if (fits.length === 0) {
        const expected = candidates.map(([c, s]) => `${c} (${s}) takes ${IMAGE_FORMS[s]}`).join("; ");
        const hint =
            cloud === undefined && readings.ami !== undefined && candidates.some(([, s]) => s === "mig")
                ? ` (to use "${image}" as a Compute Engine image name, pass --cloud gcp)`
                : "";
        throw new UsageError(`--image ${JSON.stringify(image)} fits no compute shape of the stack: ${expected}${hint}`);
    }
    return fits.map(([c, shape]) => {
        const wanted = imageFor(shape, readings, image) as string | GcpImage;
        const changes = imageChanges(shape, wanted, raw);
        const after = applyChanges(raw, changes);
        const unchanged = changes.every((ch) => valueAt(after, ch.path) === valueAt(raw, ch.path));
        return { cloud: c, shape, image: wanted, changes, unchanged };
    });
}

/** What a rollback of one cloud sets back, and the image it expects then. */
export interface CloudRollback {
    readonly cloud: RolloutCloud;
    readonly shape: Shape;
    readonly changes: readonly ConfigChange[];
    /** The image that serves after the rollback, when it is known. */
    readonly image?: string | GcpImage;
    /** How the previous image was found, for the report. */
    readonly source: "config" | "state" | "config (moving)";
}

/**
 * The rollback of each cloud: the previous config values back; but when the config selected a
 * moving image (an AMI filter, an image family) and the state says which image ran, that image
 * pinned, since the moving reference may now select the new image.
 */
export function planRollback(
    raw: RawConfig,
    rollouts: readonly CloudRollout[],
    deployed: DeployedImages,
): CloudRollback[] {
    return rollouts
        .filter((r) => !r.unchanged)
        .map((rollout) => {
            const previous = deployed[rollout.shape];
            if (selectsMovingImage(rollout.shape, raw) && previous !== undefined) {
                // Edits against the config as it was: they also remove the moving key, should the
                // rollout's own edits have stopped half-way (removing a missing key changes nothing).
                return {
                    cloud: rollout.cloud,
                    shape: rollout.shape,
                    changes: imageChanges(rollout.shape, previous, raw),
                    image: previous,
                    source: "state" as const,
                };
            }
            const configured = configuredImage(rollout.shape, raw);
            return {
                cloud: rollout.cloud,
                shape: rollout.shape,
                changes: restoreChanges(rollout.changes, raw),
                image: configured ?? previous,
                source: configured !== undefined ? ("config" as const) : ("config (moving)" as const),
            };
        });
}

/** `aws.imageId = ami-1, aws.imageFilter removed`. */
export function describeChanges(changes: readonly ConfigChange[]): string {
    return changes.map((c) => (c.value === undefined ? `${c.path} removed` : `${c.path} = ${c.value}`)).join(", ");
}

/** What the config names for a shape now, for the report (`aws.imageFilter {owner: self, …}`). */
export function describeCurrent(shape: Shape, raw: RawConfig): string {
    const pinned = configuredImage(shape, raw);
    if (pinned !== undefined) {
        return `${IMAGE_KEYS[shape]} ${describeImage(pinned)}`;
    }
    if (shape === "asg") {
        return `aws.imageFilter ${JSON.stringify(valueAt(raw, "aws.imageFilter") ?? {})}`;
    }
    if (shape === "mig") {
        return `gcp.image ${JSON.stringify(valueAt(raw, "gcp.image") ?? {})}`;
    }
    return `${IMAGE_KEYS[shape]} (not set)`;
}

export type { AwsShape, GcpShape };
