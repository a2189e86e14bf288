/**
 * The GCP followers, over the REST APIs with google-auth-library's application default
 * credentials (a workload identity federation file in CI, `gcloud auth application-default login`
 * on a workstation, the metadata server on GCP):
 *
 * Managed instance group (Compute Engine API v1):
 * - `GET compute/v1/projects/{p}/regions/{r}/instanceGroupManagers/{name}`: `versions[]`
 *   (`instanceTemplate`), `targetSize`, `currentActions` (counts: none, creating, recreating,
 *   deleting, refreshing, verifying, …) and `status` (`isStable`, `versionTarget.isReached`).
 * - `POST …/instanceGroupManagers/{name}/listManagedInstances`: `managedInstances[]` with
 *   `currentAction`, `version.instanceTemplate`, `instanceHealth[].detailedHealthState` and
 *   `lastAttempt.errors.errors[]` (why creating an instance failed); paged by `nextPageToken`.
 * - `GET compute/v1/projects/{p}/global/instanceTemplates/{name}`: `properties.disks[]`
 *   (`boot`, `initializeParams.sourceImage`).
 *
 * Cloud Run (Admin API v2):
 * - `GET v2/projects/{p}/locations/{r}/services/{name}`: `generation`, `observedGeneration`,
 *   `reconciling`, `terminalCondition` (`state` CONDITION_SUCCEEDED / CONDITION_FAILED / …,
 *   `message`), `latestCreatedRevision`, `latestReadyRevision` and `trafficStatuses[]` (`type`
 *   TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST or …_REVISION, `revision`, `percent`).
 * - `GET v2/{revision name}`: `containers[].image`, `conditions[]` (`type` Ready, `state`, `message`).
 *
 * Errors are `{"error": {"code", "message", "status"}}`; 429 and 5xx are retried.
 */
import { GoogleAuth, type AuthClient } from "google-auth-library";
import type { CloudRunTarget, MigTarget } from "./contract";
import type { Clock, Follower, Observation } from "./follow";
import { systemClock } from "./follow";
import { describeImage, type GcpImage } from "./images";

export const COMPUTE_API = "https://compute.googleapis.com/compute/v1/";
export const RUN_API = "https://run.googleapis.com/v2/";

/** An error answer of a Google API. */
export class GoogleApiError extends Error {
    override name = "GoogleApiError";
    constructor(
        message: string,
        /** The HTTP status (0 when no answer came). */
        readonly status: number,
        /** The google.rpc status, e.g. `RESOURCE_EXHAUSTED`, or a network error code. */
        readonly code: string,
    ) {
        super(message);
    }

    /** 429, 5xx and network failures clear up on their own. */
    get transient(): boolean {
        return this.status === 0 || this.status === 429 || this.status >= 500;
    }
}

export interface GoogleApiSettings {
    /** An authenticated client; default: application default credentials with the cloud-platform scope. */
    readonly auth?: Pick<AuthClient, "request">;
    /** Base URLs (emulators, private endpoints). Default: the public APIs. */
    readonly computeEndpoint?: string;
    readonly runEndpoint?: string;
    /** Attempts per call, with exponential back-off between them for transient errors. Default 4. */
    readonly attempts?: number;
    readonly clock?: Clock;
}

/** A small REST client: JSON in and out, retries of transient errors, errors as `GoogleApiError`. */
export class GoogleApi {
    private auth: Promise<Pick<AuthClient, "request">> | undefined;

    constructor(private readonly settings: GoogleApiSettings = {}) {}

    /** The base URL of an API, from the settings or the gcloud-style overrides in the environment. */
    base(api: "compute" | "run", env: NodeJS.ProcessEnv = process.env): string {
        const url =
            api === "compute"
                ? (this.settings.computeEndpoint ?? env.CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE ?? COMPUTE_API)
                : (this.settings.runEndpoint ?? env.CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN ?? RUN_API);
        return url.endsWith("/") ? url : `${url}/`;
    }

    private client(): Promise<Pick<AuthClient, "request">> {
        if (this.settings.auth) {
            return Promise.resolve(this.settings.auth);
        }
        this.auth ??= new GoogleAuth({ scopes: ["https://www.googleapis.com/auth/cloud-platform"] }).getClient();
        return this.auth;
    }

    async call<T>(method: "GET" | "POST", url: string): Promise<T> {
        const attempts = this.settings.attempts ?? 4;
        const clock = this.settings.clock ?? systemClock;
        const client = await this.client();
        for (let attempt = 1; ; attempt++) {
            try {
                const response = await client.request<T>({
                    url,
                    method,
                    retry: false,
                    responseType: "json",
                    ...(method === "POST" ? { data: {} } : {}),
                });
                return response.data;
            } catch (error) {
                const failure = toGoogleApiError(error, url);
                if (!failure.transient || attempt >= attempts) {
                    throw failure;
                }
                await clock.sleep(Math.min(1000 * 2 ** (attempt - 1), 16_000));
            }
        }
    }
}

function toGoogleApiError(error: unknown, url: string): GoogleApiError {
    const e = error as {
        status?: number;
        code?: string | number;
        message?: string;
        response?: { status?: number; data?: { error?: { message?: string; status?: string } } };
    };
    const status = e.response?.status ?? e.status ?? 0;
    const body = e.response?.data?.error;
    const code = body?.status ?? (typeof e.code === "string" ? e.code : String(status));
    const text = body?.message ?? e.message ?? String(error);
    return new GoogleApiError(`${url.split("?")[0]}: ${status || code} ${text}`, status, code);
}

/** `projects/p/global/instanceTemplates/t` from a template URL (host, API version and query dropped). */
export function resourcePath(url: string): string {
    return url
        .replace(/^https:\/\/[^/]+\/compute\/(v1|beta|alpha)\//, "")
        .replace(/^https:\/\/[^/]+\//, "")
        .split("?")[0];
}

/** Whether a source image URL is the expected image (a bare name matches in any project). */
export function sameImage(sourceImage: string, expected: GcpImage): boolean {
    const path = resourcePath(sourceImage);
    const match = /^projects\/([^/]+)\/global\/images\/(family\/)?([^/]+)$/.exec(path);
    if (!match) {
        return false;
    }
    const [, project, family, name] = match;
    if (expected.project !== undefined && expected.project !== project) {
        return false;
    }
    return expected.name !== undefined ? !family && name === expected.name : name === expected.family;
}

interface InstanceGroupManager {
    versions?: Array<{ name?: string; instanceTemplate?: string }>;
    instanceTemplate?: string;
    targetSize?: number;
    currentActions?: Record<string, number>;
    status?: { isStable?: boolean; versionTarget?: { isReached?: boolean } };
}

interface ManagedInstance {
    instance?: string;
    currentAction?: string;
    instanceStatus?: string;
    version?: { instanceTemplate?: string };
    instanceHealth?: Array<{ detailedHealthState?: string }>;
    lastAttempt?: { errors?: { errors?: Array<{ code?: string; message?: string }> } };
}

interface InstanceTemplate {
    properties?: { disks?: Array<{ boot?: boolean; initializeParams?: { sourceImage?: string } }> };
}

/** Follows a regional managed instance group until every instance runs the target template. */
export class MigFollower implements Follower {
    readonly label: string;
    private readonly api: GoogleApi;
    private readonly templateImages = new Map<string, string>();

    constructor(
        private readonly target: MigTarget,
        private readonly options: { expectedImage?: GcpImage; google?: GoogleApiSettings | GoogleApi },
    ) {
        this.label = `gcp mig ${target.instanceGroupManagerName}`;
        this.api = options.google instanceof GoogleApi ? options.google : new GoogleApi(options.google);
    }

    private groupUrl(suffix = ""): string {
        const { project, region, instanceGroupManagerName } = this.target;
        return `${this.api.base("compute")}projects/${project}/regions/${region}/instanceGroupManagers/${instanceGroupManagerName}${suffix}`;
    }

    private async templateImage(template: string): Promise<string> {
        const known = this.templateImages.get(template);
        if (known !== undefined) {
            return known;
        }
        const answer = await this.api.call<InstanceTemplate>(
            "GET",
            `${this.api.base("compute")}${resourcePath(template)}`,
        );
        const disks = answer.properties?.disks ?? [];
        const image = (disks.find((d) => d.boot) ?? disks[0])?.initializeParams?.sourceImage ?? "";
        this.templateImages.set(template, image);
        return image;
    }

    private async managedInstances(): Promise<ManagedInstance[]> {
        const all: ManagedInstance[] = [];
        let token: string | undefined;
        do {
            const page = await this.api.call<{ managedInstances?: ManagedInstance[]; nextPageToken?: string }>(
                "POST",
                this.groupUrl(`/listManagedInstances${token ? `?pageToken=${encodeURIComponent(token)}` : ""}`),
            );
            all.push(...(page.managedInstances ?? []));
            token = page.nextPageToken;
        } while (token);
        return all;
    }

    async observe(): Promise<Observation> {
        const group = await this.api.call<InstanceGroupManager>("GET", this.groupUrl());
        const template = group.versions?.[0]?.instanceTemplate ?? group.instanceTemplate;
        if (template === undefined) {
            throw new Error(`${this.label}: the group names no instance template`);
        }
        const templateName = resourcePath(template).split("/").pop();
        const expected = this.options.expectedImage;
        if (expected !== undefined) {
            const image = await this.templateImage(template);
            if (!sameImage(image, expected)) {
                return {
                    state: "failed",
                    summary: `template ${templateName} boots ${resourcePath(image) || "?"}, not ${describeImage(expected)}`,
                    reason: "the group's target template does not use the new image",
                    platformRollback: {
                        outcome: "none",
                        detail: "a managed instance group does not roll back by itself",
                    },
                };
            }
        }
        const instances = await this.managedInstances();
        const onTarget = instances.filter(
            (i) => resourcePath(i.version?.instanceTemplate ?? "") === resourcePath(template),
        );
        const errors = onTarget.flatMap((i) => i.lastAttempt?.errors?.errors ?? []);
        if (errors.length > 0) {
            const first = errors[0];
            return {
                state: "failed",
                summary:
                    `instances of template ${templateName} fail to start: ${first.code ?? ""} ${first.message ?? ""}`.trim(),
                reason: first.message ?? first.code ?? "instance creation failed",
                platformRollback: { outcome: "none", detail: "a managed instance group does not roll back by itself" },
            };
        }
        const ready = onTarget.filter(
            (i) =>
                i.currentAction === "NONE" &&
                i.instanceStatus === "RUNNING" &&
                (i.instanceHealth ?? []).every((h) => h.detailedHealthState === "HEALTHY"),
        );
        const size = Math.max(group.targetSize ?? instances.length, instances.length);
        const busy = Object.entries(group.currentActions ?? {})
            .filter(([action, n]) => action !== "none" && n > 0)
            .map(([action, n]) => `${action} ${n}`);
        const stable = group.status?.isStable === true && group.status?.versionTarget?.isReached === true;
        const summary =
            `${ready.length}/${size} instances running template ${templateName}` +
            (busy.length > 0 ? ` (${busy.join(", ")})` : "") +
            (stable ? "" : group.status?.versionTarget?.isReached ? ", settling" : ", updating");
        if (stable && ready.length === instances.length && ready.length >= (group.targetSize ?? 0)) {
            return { state: "succeeded", summary, percent: 100 };
        }
        return {
            state: "in-progress",
            summary,
            percent: size > 0 ? Math.floor((100 * ready.length) / size) : undefined,
        };
    }
}

interface Condition {
    type?: string;
    state?: string;
    message?: string;
    reason?: string;
}

interface RunService {
    generation?: string | number;
    observedGeneration?: string | number;
    reconciling?: boolean;
    terminalCondition?: Condition;
    latestCreatedRevision?: string;
    latestReadyRevision?: string;
    trafficStatuses?: Array<{ type?: string; revision?: string; percent?: number }>;
}

interface RunRevision {
    containers?: Array<{ image?: string }>;
    conditions?: Condition[];
}

const short = (name: string | undefined) => name?.split("/").pop() ?? "?";

/** Follows a Cloud Run service until a ready revision of the new image takes all traffic. */
export class CloudRunFollower implements Follower {
    readonly label: string;
    private readonly api: GoogleApi;

    constructor(
        private readonly target: CloudRunTarget,
        private readonly options: { expectedImage?: string; google?: GoogleApiSettings | GoogleApi },
    ) {
        this.label = `gcp cloudRun ${target.serviceName}`;
        this.api = options.google instanceof GoogleApi ? options.google : new GoogleApi(options.google);
    }

    private name(): string {
        const { project, region, serviceName } = this.target;
        return serviceName.startsWith("projects/")
            ? serviceName
            : `projects/${project}/locations/${region}/services/${serviceName}`;
    }

    private revision(name: string): Promise<RunRevision> {
        const path = name.includes("/") ? name : `${this.name()}/revisions/${name}`;
        return this.api.call<RunRevision>("GET", `${this.api.base("run")}${path}`);
    }

    async observe(): Promise<Observation> {
        const service = await this.api.call<RunService>("GET", `${this.api.base("run")}${this.name()}`);
        const created = service.latestCreatedRevision;
        const ready = service.latestReadyRevision;
        const terminal = service.terminalCondition;
        const generation = Number(service.generation ?? 0);
        const observed = Number(service.observedGeneration ?? 0);
        const keptOn = { outcome: "rolled-back" as const, detail: `Cloud Run kept the traffic on ${short(ready)}` };
        if (created !== undefined && created !== ready) {
            const revision = await this.revision(created);
            const condition = (revision.conditions ?? []).find((c) => c.type === "Ready");
            if (condition?.state === "CONDITION_FAILED") {
                return {
                    state: "failed",
                    summary: `revision ${short(created)} failed: ${condition.message ?? condition.reason ?? "not ready"}`,
                    reason: condition.message ?? condition.reason ?? "revision not ready",
                    platformRollback: ready ? keptOn : { outcome: "none", detail: "no earlier revision is ready" },
                };
            }
            return {
                state: "in-progress",
                summary: `revision ${short(created)} starting (${condition?.state ?? "CONDITION_PENDING"})`,
            };
        }
        // A failed reconciliation that has not produced a failed revision (e.g. a bad setting).
        if (terminal?.state === "CONDITION_FAILED") {
            return {
                state: "failed",
                summary: `service failed: ${terminal.message ?? terminal.reason ?? "CONDITION_FAILED"}`,
                reason: terminal.message ?? "CONDITION_FAILED",
                platformRollback: ready ? keptOn : { outcome: "none", detail: "no earlier revision is ready" },
            };
        }
        if (service.reconciling === true || observed < generation) {
            return {
                state: "in-progress",
                summary: `reconciling generation ${generation} (revision ${short(created)})`,
            };
        }
        if (ready === undefined) {
            return { state: "in-progress", summary: "no ready revision yet" };
        }
        if (this.options.expectedImage !== undefined) {
            const images = ((await this.revision(ready)).containers ?? []).map((c) => c.image);
            if (!images.includes(this.options.expectedImage)) {
                return {
                    state: "failed",
                    summary: `ready revision ${short(ready)} runs ${images.join(", ") || "?"}, not ${this.options.expectedImage}`,
                    reason: "the service's ready revision does not run the new image",
                    platformRollback: { outcome: "none", detail: "another revision serves" },
                };
            }
        }
        const percent = (service.trafficStatuses ?? [])
            .filter(
                (t) =>
                    t.type === "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST" ||
                    (t.revision !== undefined && short(t.revision) === short(ready)),
            )
            .reduce((sum, t) => sum + (t.percent ?? 0), 0);
        const summary = `revision ${short(ready)} ready, ${percent} % of traffic`;
        return percent >= 100
            ? { state: "succeeded", summary, percent: 100 }
            : { state: "in-progress", summary, percent };
    }
}
