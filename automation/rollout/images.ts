/**
 * What a rollout changes in a stack's config: which compute shapes a stack runs, which of them an
 * `--image` argument fits, and the config edits (`--path` keys) that put that image in place or set
 * the previous one back. Pure functions: no CLI, no cloud.
 */
import { patterns } from "../../config/rules";

/** The compute shapes (`aws.compute`, `gcp.compute`) and the image each one runs. */
export type AwsShape = "asg" | "fargate";
export type GcpShape = "mig" | "cloudRun";
export type Shape = AwsShape | GcpShape;
export type RolloutCloud = "aws" | "gcp";

/** The config key holding the image of each shape (the keys `pulumi config set --path` takes). */
export const IMAGE_KEYS: Readonly<Record<Shape, string>> = {
    asg: "aws.imageId",
    fargate: "aws.fargate.image",
    mig: "gcp.image",
    cloudRun: "gcp.cloudRun.image",
};

/** What each shape accepts as `--image`, for messages. */
export const IMAGE_FORMS: Readonly<Record<Shape, string>> = {
    asg: "an AMI id (ami-0123456789abcdef0)",
    fargate: "an image URI with a tag or digest (<registry>/<repository>:<tag> or …@sha256:<digest>)",
    mig: "a Compute Engine image (<name>, projects/<project>/global/images/<name> or …/images/family/<family>)",
    cloudRun: "an image URI with a tag or digest (<region>-docker.pkg.dev/<project>/<repository>/<image>:<tag>)",
};

/** A Compute Engine image reference: one image by name, or the newest of a family; in a project or the stack's own. */
export interface GcpImage {
    readonly name?: string;
    readonly family?: string;
    readonly project?: string;
}

/** The ways `--image` can be read. A string can fit more than one (an AMI id is also a valid GCE image name). */
export interface ImageReadings {
    readonly ami?: string;
    readonly gcpImage?: GcpImage;
    readonly container?: string;
}

const GCE_IMAGE_PATH =
    /^(?:https:\/\/(?:www|compute)\.googleapis\.com\/compute\/v1\/)?projects\/([a-z][a-z0-9-]{4,28}[a-z0-9])\/global\/images\/(family\/)?([a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)$/;

/**
 * An OCI image reference with an explicit tag or digest: `[host[:port]/]path[:tag][@sha256:hex]`.
 * A reference without either would deploy whatever `latest` is at pull time.
 */
const CONTAINER_IMAGE =
    /^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::([\w][\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;

/** Reads `--image` every way it can be read. */
export function readImage(image: string): ImageReadings {
    const readings: { ami?: string; gcpImage?: GcpImage; container?: string } = {};
    if (patterns.awsAmiId.test(image)) {
        readings.ami = image;
    }
    const path = GCE_IMAGE_PATH.exec(image);
    if (path) {
        readings.gcpImage = path[2] ? { family: path[3], project: path[1] } : { name: path[3], project: path[1] };
    } else if (patterns.gcpImageName.test(image)) {
        readings.gcpImage = { name: image };
    }
    const container = CONTAINER_IMAGE.exec(image);
    if (container && (container[1] !== undefined || container[2] !== undefined) && image.length <= 1024) {
        readings.container = image;
    }
    return readings;
}

/** Registries only one cloud's container runtime pulls from without extra credentials. */
export function containerRegistryCloud(image: string): RolloutCloud | undefined {
    const host = image.includes("/") ? image.split("/")[0] : "";
    if (/^\d{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(host)) {
        return "aws";
    }
    if (/(^|\.)gcr\.io$/.test(host) || /-docker\.pkg\.dev$/.test(host)) {
        return "gcp";
    }
    return undefined;
}

/** The image as a shape takes it, or undefined when it does not fit that shape. */
export function imageFor(shape: Shape, readings: ImageReadings, raw: string): string | GcpImage | undefined {
    switch (shape) {
        case "asg":
            return readings.ami;
        case "mig":
            return readings.gcpImage;
        case "fargate":
            return readings.container !== undefined && containerRegistryCloud(raw) !== "gcp"
                ? readings.container
                : undefined;
        case "cloudRun":
            return readings.container !== undefined && containerRegistryCloud(raw) !== "aws"
                ? readings.container
                : undefined;
    }
}

/** One edit of the stack's config: set a `--path` key to a string, or remove it (`value` undefined). */
export interface ConfigChange {
    readonly path: string;
    readonly value: string | undefined;
}

/** The stack's project config as plain data (keys without the `webapp-infra:` prefix). */
export type RawConfig = Readonly<Record<string, unknown>>;

function section(raw: RawConfig, key: string): Record<string, unknown> {
    const value = raw[key];
    return value !== null && typeof value === "object" && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : {};
}

/** The value at a dotted path, or undefined. */
export function valueAt(raw: RawConfig, path: string): unknown {
    let value: unknown = raw;
    for (const part of path.split(".")) {
        if (value === null || typeof value !== "object" || Array.isArray(value)) {
            return undefined;
        }
        value = (value as Record<string, unknown>)[part];
    }
    return value;
}

/** The config's compute shapes for the clouds it uses (the defaults: `asg`, `mig`). */
export function stackShapes(raw: RawConfig): { aws?: AwsShape; gcp?: GcpShape; unknown: string[] } {
    const clouds = Array.isArray(raw.clouds) ? raw.clouds : ["aws"];
    const result: { aws?: AwsShape; gcp?: GcpShape; unknown: string[] } = { unknown: [] };
    if (clouds.includes("aws")) {
        const compute = section(raw, "aws").compute ?? "asg";
        if (compute === "asg" || compute === "fargate") {
            result.aws = compute;
        } else {
            result.unknown.push(
                `aws.compute: ${JSON.stringify(compute)} is not a shape the rollout knows (asg, fargate)`,
            );
        }
    }
    if (clouds.includes("gcp")) {
        const compute = section(raw, "gcp").compute ?? "mig";
        if (compute === "mig" || compute === "cloudRun") {
            result.gcp = compute;
        } else {
            result.unknown.push(
                `gcp.compute: ${JSON.stringify(compute)} is not a shape the rollout knows (mig, cloudRun)`,
            );
        }
    }
    return result;
}

/** The config edits that make `shape` run `image`, given the stack's current config. */
export function imageChanges(shape: Shape, image: string | GcpImage, raw: RawConfig): ConfigChange[] {
    switch (shape) {
        case "asg": {
            const changes: ConfigChange[] = [{ path: "aws.imageId", value: image as string }];
            if (section(raw, "aws").imageFilter !== undefined) {
                changes.push({ path: "aws.imageFilter", value: undefined });
            }
            return changes;
        }
        case "fargate":
            return [{ path: "aws.fargate.image", value: image as string }];
        case "cloudRun":
            return [{ path: "gcp.cloudRun.image", value: image as string }];
        case "mig": {
            const wanted = image as GcpImage;
            const current = section(section(raw, "gcp"), "image") as GcpImage;
            const changes: ConfigChange[] = [];
            const set = (key: keyof GcpImage, value: string | undefined) => {
                if (value !== undefined) {
                    changes.push({ path: `gcp.image.${key}`, value });
                } else if (current[key] !== undefined) {
                    changes.push({ path: `gcp.image.${key}`, value: undefined });
                }
            };
            set("name", wanted.name);
            set("family", wanted.family);
            // A bare name is looked up where the current image lives (gcp.image.project, if set).
            if (wanted.project !== undefined) {
                set("project", wanted.project);
            }
            return changes;
        }
    }
}

/** The config with the changes applied (for validating it offline before anything runs). */
export function applyChanges(raw: RawConfig, changes: readonly ConfigChange[]): Record<string, unknown> {
    const copy = structuredCloneConfig(raw);
    for (const change of changes) {
        const parts = change.path.split(".");
        let node = copy;
        for (const part of parts.slice(0, -1)) {
            const next = node[part];
            if (next === null || typeof next !== "object" || Array.isArray(next)) {
                node[part] = {};
            }
            node = node[part] as Record<string, unknown>;
        }
        const leaf = parts[parts.length - 1];
        if (change.value === undefined) {
            delete node[leaf];
        } else {
            node[leaf] = change.value;
        }
    }
    return copy;
}

/** A copy of plain config data; anything that is not plain data (a secret placeholder) is kept as is. */
function structuredCloneConfig(raw: RawConfig): Record<string, unknown> {
    const copy = (value: unknown): unknown => {
        if (Array.isArray(value)) {
            return value.map(copy);
        }
        if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
            return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v)]));
        }
        return value;
    };
    return copy(raw) as Record<string, unknown>;
}

/** The edits that set every key the forward changes touched back to its value in `before`. */
export function restoreChanges(forward: readonly ConfigChange[], before: RawConfig): ConfigChange[] {
    const changes: ConfigChange[] = [];
    const leaves = (path: string, value: unknown): void => {
        if (isObject(value)) {
            Object.entries(value).forEach(([key, inner]) => leaves(`${path}.${key}`, inner));
        } else if (value !== undefined) {
            changes.push({ path, value: String(value) });
        }
    };
    for (const change of forward) {
        const value = valueAt(before, change.path);
        if (value === undefined) {
            changes.push({ path: change.path, value: undefined });
            continue;
        }
        if (isObject(value) && change.value !== undefined) {
            // A group replaced by a plain value: clear the value before setting the group's keys.
            changes.push({ path: change.path, value: undefined });
        }
        leaves(change.path, value);
    }
    return changes;
}

function isObject(value: unknown): value is Record<string, unknown> {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The image a shape's config selects by a moving reference (the newest AMI of a filter, the newest of a family). */
export function selectsMovingImage(shape: Shape, raw: RawConfig): boolean {
    if (shape === "asg") {
        return section(raw, "aws").imageId === undefined;
    }
    if (shape === "mig") {
        return section(section(raw, "gcp"), "image").name === undefined;
    }
    return false;
}

/** The pinned image the config names for a shape, or undefined when it names a moving one. */
export function configuredImage(shape: Shape, raw: RawConfig): string | GcpImage | undefined {
    const value = valueAt(raw, IMAGE_KEYS[shape]);
    if (shape === "mig") {
        const image = section(section(raw, "gcp"), "image") as GcpImage;
        return image.name !== undefined ? image : undefined;
    }
    return typeof value === "string" ? value : undefined;
}

/** `projects/<p>/global/images/<name>` or the bare name, for messages and comparisons. */
export function describeImage(image: string | GcpImage): string {
    if (typeof image === "string") {
        return image;
    }
    const what = image.name !== undefined ? image.name : `family/${image.family}`;
    return image.project !== undefined ? `projects/${image.project}/global/images/${what}` : what;
}
