/**
 * The Google APIs a rollout follows, on a loopback port. There is no emulator of Compute Engine's
 * instance group managers or of Cloud Run's Admin API, so this fake answers as Google documents,
 * from a script of states the test advances:
 *
 * Compute Engine API v1 (https://cloud.google.com/compute/docs/reference/rest/v1):
 * - `regionInstanceGroupManagers/get`: `GET /compute/v1/projects/{project}/regions/{region}/instanceGroupManagers/{igm}`
 *   -> InstanceGroupManager (`name`, `versions[]{name, instanceTemplate}`, `instanceTemplate`,
 *   `targetSize`, `currentActions{none, creating, recreating, deleting, abandoning, restarting,
 *   refreshing, verifying, …}`, `status{isStable, versionTarget{isReached}, allInstancesConfig, stateful}`).
 * - `regionInstanceGroupManagers/listManagedInstances`: `POST …/{igm}/listManagedInstances`
 *   -> `{managedInstances[]{instance, id, instanceStatus, currentAction, version{instanceTemplate, name},
 *   instanceHealth[]{healthCheck, detailedHealthState}, lastAttempt{errors{errors[]{code, message}}}}, nextPageToken}`.
 * - `instanceTemplates/get`: `GET /compute/v1/projects/{project}/global/instanceTemplates/{name}`
 *   -> InstanceTemplate (`properties.disks[]{boot, initializeParams{sourceImage}}`).
 * Cloud Run Admin API v2 (https://cloud.google.com/run/docs/reference/rest/v2):
 * - `projects.locations.services/get`: `GET /v2/projects/{project}/locations/{region}/services/{service}`
 *   -> Service (`generation`, `observedGeneration` (int64 as strings), `reconciling`,
 *   `terminalCondition{type, state, message, reason}`, `latestReadyRevision`, `latestCreatedRevision`,
 *   `traffic[]`, `trafficStatuses[]{type, revision, percent}`, `template`).
 * - `projects.locations.services.revisions/get`: `GET /v2/{name}` -> Revision (`containers[]{image}`,
 *   `conditions[]{type: "Ready", state: CONDITION_SUCCEEDED | CONDITION_FAILED | CONDITION_PENDING | …, message}`).
 * Errors (https://cloud.google.com/apis/design/errors): `{"error": {"code", "message", "status"}}`,
 * 401 UNAUTHENTICATED without a bearer token, 404 NOT_FOUND, 429 RESOURCE_EXHAUSTED.
 */
import { OAuth2Client } from "google-auth-library";
import { googleError } from "./google";
import { FakeServer, type RecordedRequest, type Reply } from "./server";

export const FAKE_GOOGLE_TOKEN = "ya29.rollout-test-token";

/** The names the GCP rollout tests share: the demo stack's project and region, a group, its two templates. */
export const DEMO_GCP = {
    project: "example-webapp-demo",
    region: "us-east1",
    group: "webapp-mig-3f2a",
    newTemplate: "webapp-tpl-0002",
    oldTemplate: "webapp-tpl-0001",
} as const;

/** A real google-auth-library client holding an access token (no token endpoint is called). */
export function fakeAuthClient(token: string = FAKE_GOOGLE_TOKEN): OAuth2Client {
    const client = new OAuth2Client();
    client.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
    return client;
}

/** What the fake serves at one moment. */
export interface GoogleState {
    /** Instance group managers by name. */
    readonly groups?: Record<string, unknown>;
    /** Managed instances by group name. */
    readonly instances?: Record<string, unknown[]>;
    /** Cloud Run services by short name. */
    readonly services?: Record<string, unknown>;
}

export interface GoogleFakeOptions {
    readonly project: string;
    readonly region: string;
    /** Instance templates by name (they do not change during a rollout). */
    readonly templates?: Record<string, unknown>;
    /** Cloud Run revisions by short name. */
    readonly revisions?: Record<string, unknown>;
    /** The states in turn: each GET of a group or a service moves to the next one (the last one stays). */
    readonly states: readonly GoogleState[];
}

/** A Compute Engine and Cloud Run stand-in. `throttle(n)` makes the next n requests answer 429. */
export class GoogleRolloutFake {
    /** The state being served: a GET of a group or a service moves on to the next one. */
    private step = -1;
    private throttled = 0;

    private states: readonly GoogleState[];

    private constructor(
        readonly server: FakeServer,
        private readonly options: GoogleFakeOptions,
    ) {
        this.states = options.states;
    }

    /** Serves these states from now on, from the first (what a new `up` leaves behind). */
    script(states: readonly GoogleState[]): void {
        this.states = states;
        this.step = -1;
    }

    static async start(options: GoogleFakeOptions): Promise<GoogleRolloutFake> {
        let fake: GoogleRolloutFake | undefined;
        const server = await FakeServer.start((request) => fake!.answer(request));
        fake = new GoogleRolloutFake(server, options);
        return fake;
    }

    get computeEndpoint(): string {
        return `${this.server.url}/compute/v1/`;
    }

    get runEndpoint(): string {
        return `${this.server.url}/v2/`;
    }

    /** The requests received, as `METHOD path`. */
    get requests(): string[] {
        return this.server.requests.map((r) => `${r.method} ${r.path}`);
    }

    throttle(count: number): void {
        this.throttled = count;
    }

    /** How many looks at a group or a service were answered. */
    get looks(): number {
        return this.step + 1;
    }

    private state(): GoogleState {
        return this.states[Math.min(Math.max(this.step, 0), this.states.length - 1)];
    }

    private advance(): GoogleState {
        this.step++;
        return this.state();
    }

    private answer(request: RecordedRequest): Reply {
        if (request.headers.authorization !== `Bearer ${FAKE_GOOGLE_TOKEN}`) {
            return googleError(401, "UNAUTHENTICATED", "Request is missing required authentication credential.");
        }
        if (this.throttled > 0) {
            this.throttled--;
            return googleError(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Read requests'.");
        }
        const { project, region } = this.options;
        const path = request.path.split("?")[0];
        const compute = `/compute/v1/projects/${project}`;
        const group = new RegExp(
            `^${compute}/regions/${region}/instanceGroupManagers/([^/]+)(/listManagedInstances)?$`,
        ).exec(path);
        if (group) {
            const [, name, list] = group;
            if (list) {
                return request.method === "POST"
                    ? { status: 200, body: { managedInstances: this.state().instances?.[name] ?? [] } }
                    : googleError(405, "METHOD_NOT_ALLOWED", "listManagedInstances is a POST");
            }
            const found = this.advance().groups?.[name];
            return found
                ? { status: 200, body: found }
                : googleError(404, "NOT_FOUND", `The resource '${path}' was not found`);
        }
        const template = new RegExp(`^${compute}/global/instanceTemplates/([^/]+)$`).exec(path);
        if (template) {
            const found = this.options.templates?.[template[1]];
            return found
                ? { status: 200, body: found }
                : googleError(404, "NOT_FOUND", `The resource '${path}' was not found`);
        }
        const services = `/v2/projects/${project}/locations/${region}/services/`;
        if (path.startsWith(services)) {
            const [name, revisions, revision] = path.slice(services.length).split("/");
            if (revisions === "revisions" && revision) {
                const found = this.options.revisions?.[revision];
                return found
                    ? { status: 200, body: found }
                    : googleError(404, "NOT_FOUND", `Revision ${revision} not found`);
            }
            const found = this.advance().services?.[name];
            return found ? { status: 200, body: found } : googleError(404, "NOT_FOUND", `Service ${name} not found`);
        }
        return googleError(404, "NOT_FOUND", `no such API path ${path}`);
    }

    close(): Promise<void> {
        return this.server.close();
    }
}

/** An InstanceGroupManager as `get` returns it. */
export function instanceGroupManager(
    project: string,
    region: string,
    name: string,
    template: string,
    options: { targetSize: number; stable: boolean; reached: boolean; actions?: Record<string, number> },
): unknown {
    const base = `https://www.googleapis.com/compute/v1/projects/${project}`;
    const actions = {
        abandoning: 0,
        creating: 0,
        creatingWithoutRetries: 0,
        deleting: 0,
        none: options.targetSize,
        recreating: 0,
        refreshing: 0,
        restarting: 0,
        resuming: 0,
        starting: 0,
        stopping: 0,
        suspending: 0,
        verifying: 0,
        ...options.actions,
    };
    return {
        kind: "compute#instanceGroupManager",
        name,
        region: `${base}/regions/${region}`,
        baseInstanceName: "webapp",
        instanceTemplate: `${base}/global/instanceTemplates/${template}`,
        versions: [{ name: "primary", instanceTemplate: `${base}/global/instanceTemplates/${template}` }],
        targetSize: options.targetSize,
        currentActions: actions,
        status: {
            isStable: options.stable,
            versionTarget: { isReached: options.reached },
            allInstancesConfig: { effective: true },
            stateful: { hasStatefulConfig: false, perInstanceConfigs: { allEffective: true } },
        },
    };
}

/** A managed instance as `listManagedInstances` returns it. */
export function managedInstance(
    project: string,
    zone: string,
    name: string,
    template: string,
    options: { action?: string; status?: string; health?: string; error?: { code: string; message: string } } = {},
): unknown {
    const base = `https://www.googleapis.com/compute/v1/projects/${project}`;
    return {
        instance: `${base}/zones/${zone}/instances/${name}`,
        id: "4712863120475611202",
        instanceStatus: options.status ?? "RUNNING",
        currentAction: options.action ?? "NONE",
        version: { name: "primary", instanceTemplate: `${base}/global/instanceTemplates/${template}` },
        instanceHealth: [
            {
                healthCheck: `${base}/global/healthChecks/webapp-autohealing`,
                detailedHealthState: options.health ?? "HEALTHY",
            },
        ],
        ...(options.error ? { lastAttempt: { errors: { errors: [options.error] } } } : {}),
    };
}

/** An InstanceTemplate booting from `image` (`projects/<p>/global/images/<name>`). */
export function instanceTemplate(image: string): unknown {
    return {
        kind: "compute#instanceTemplate",
        properties: {
            machineType: "e2-micro",
            disks: [
                {
                    boot: true,
                    autoDelete: true,
                    initializeParams: {
                        sourceImage: `https://www.googleapis.com/compute/v1/${image}`,
                        diskType: "pd-balanced",
                    },
                },
            ],
        },
    };
}

/** A Cloud Run Service as `get` returns it. */
export function runService(
    project: string,
    region: string,
    name: string,
    options: {
        generation: number;
        observedGeneration: number;
        reconciling: boolean;
        created: string;
        ready?: string;
        terminal: "CONDITION_SUCCEEDED" | "CONDITION_FAILED" | "CONDITION_RECONCILING";
        message?: string;
        traffic: Array<{ revision?: string; percent: number; latest?: boolean }>;
        image: string;
    },
): unknown {
    const full = `projects/${project}/locations/${region}/services/${name}`;
    return {
        name: full,
        uid: "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9",
        generation: String(options.generation),
        observedGeneration: String(options.observedGeneration),
        reconciling: options.reconciling,
        ingress: "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
        template: { containers: [{ image: options.image }] },
        terminalCondition: {
            type: "Ready",
            state: options.terminal,
            ...(options.message ? { message: options.message } : {}),
            lastTransitionTime: "2026-01-05T10:01:00Z",
        },
        latestCreatedRevision: `${full}/revisions/${options.created}`,
        ...(options.ready ? { latestReadyRevision: `${full}/revisions/${options.ready}` } : {}),
        traffic: [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 100 }],
        trafficStatuses: options.traffic.map((t) =>
            t.latest
                ? { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: t.percent }
                : { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", revision: t.revision, percent: t.percent },
        ),
        uri: `https://${name}-abc123-ue.a.run.app`,
    };
}

/** A Cloud Run Revision as `get` returns it. */
export function runRevision(
    project: string,
    region: string,
    service: string,
    name: string,
    image: string,
    ready: "CONDITION_SUCCEEDED" | "CONDITION_FAILED" | "CONDITION_PENDING" | "CONDITION_RECONCILING",
    message?: string,
): unknown {
    return {
        name: `projects/${project}/locations/${region}/services/${service}/revisions/${name}`,
        service,
        containers: [{ image }],
        conditions: [{ type: "Ready", state: ready, ...(message ? { message } : {}) }],
    };
}
