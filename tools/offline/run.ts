/**
 * Runs a Pulumi program function under strict mocks and records every registration: type, name,
 * parent, provider, inputs (secrets still marked), dependencies, and the stack outputs.
 * The unit tests and the offline plan both build stacks through `runOffline`.
 */
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor, type MockCallArgs, type MockResourceArgs } from "@pulumi/pulumi/runtime/mocks";
import { deserializeProperties } from "@pulumi/pulumi/runtime/rpc";
import { setMockOptions } from "@pulumi/pulumi/runtime/settings";
import { fileURLToPath } from "node:url";
import { originalPosition } from "../source-maps";
import { invokeResult, resourceState, type ProviderContext } from "./mocks";
import { findString, reveal, type Occurrence } from "./values";

/** One `registerResource` call as the engine would receive it. */
export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    /** The parent's URN ("" for the stack itself). */
    readonly parent: string;
    /** The provider reference (`<provider urn>::<id>`), "" for components and default providers. */
    readonly provider: string;
    readonly custom: boolean;
    /** Inputs as serialized for the engine: secrets are `{sig, value}` wrappers. */
    readonly inputs: Record<string, unknown>;
    /** URNs this resource depends on (dependsOn and the resources its inputs come from). */
    readonly dependencies: readonly string[];
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
    /** The aliases (former identities) the resource declares, as sent to the engine. */
    readonly aliases: readonly RecordedAlias[];
    /** Where the program registered it (the `new` expression), as the SDK reports it to the engine. */
    readonly source?: SourcePosition;
}

/** A position in the program's source: a file URI (`file:///...`), 1-based line and column. */
export interface SourcePosition {
    readonly uri: string;
    readonly line: number;
    readonly column: number;
}

/**
 * One alias: a full former URN, or a spec whose empty parts mean "as now" (name, type) and whose
 * `parentUrn` is the former parent (`noParent`: it had none).
 */
export interface RecordedAlias {
    readonly urn?: string;
    readonly name?: string;
    readonly type?: string;
    readonly parentUrn?: string;
    readonly noParent?: boolean;
}

interface AliasMessage {
    getUrn(): string;
    hasSpec(): boolean;
    getSpec(): { getName(): string; getType(): string; getParenturn(): string; getNoparent(): boolean } | undefined;
}

function aliasRecord(alias: AliasMessage): RecordedAlias {
    const spec = alias.hasSpec() ? alias.getSpec() : undefined;
    if (spec === undefined) {
        return { urn: alias.getUrn() };
    }
    return {
        ...(spec.getName() ? { name: spec.getName() } : {}),
        ...(spec.getType() ? { type: spec.getType() } : {}),
        ...(spec.getParenturn() ? { parentUrn: spec.getParenturn() } : {}),
        ...(spec.getNoparent() ? { noParent: true } : {}),
    };
}

export interface RecordedInvoke {
    readonly token: string;
    readonly inputs: Record<string, unknown>;
    /** The provider reference (`<provider urn>::<id>`), "" for a default provider. */
    readonly provider: string;
}

interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getProvider(): string;
    getCustom(): boolean;
    getObject(): Parameters<typeof deserializeProperties>[0];
    getDependenciesList(): string[];
    getPropertydependenciesMap(): { forEach(cb: (deps: { getUrnsList(): string[] }, key: string) => void): void };
    getAliasesList(): AliasMessage[];
    getSourceposition?(): PositionMessage | undefined;
    getStacktrace?(): { getFramesList(): Array<{ getPc(): PositionMessage | undefined }> } | undefined;
}

interface PositionMessage {
    getUri(): string;
    getLine(): number;
    getColumn(): number;
}

/**
 * Where the program registered a resource: the SDK's source position, or when it has none (a
 * resource created in a callback such as `Array.map`), the innermost frame of the stack trace
 * that lies in the project outside node_modules.
 */
function registrationPosition(req: RegisterRequest): SourcePosition | undefined {
    const frames = (req.getStacktrace?.()?.getFramesList() ?? [])
        .map((f) => f.getPc())
        .filter((pc): pc is PositionMessage => pc !== undefined && pc.getUri() !== "");
    const position = req.getSourceposition?.() ?? frames.find((pc) => !pc.getUri().includes("/node_modules/"));
    return position ? typeScriptPosition(position.getUri(), position.getLine(), position.getColumn()) : undefined;
}

interface OutputsRequest {
    getUrn(): string;
    getOutputs(): Parameters<typeof deserializeProperties>[0] | undefined;
}

type Callback = (err: unknown, response: { getUrn(): string } | undefined) => void;

const DEFAULT_CONTEXT: ProviderContext = { awsRegion: "us-east-1", gcpProject: "mock-project", gcpRegion: "us-east1" };

/** A source position as the SDK reports it, mapped to the TypeScript line when the project's loader transpiled the file. */
function typeScriptPosition(uri: string, line: number, column: number): SourcePosition {
    let file: string | undefined;
    try {
        file = fileURLToPath(uri);
    } catch {
        file = undefined;
    }
    const original = file ? originalPosition(file, line, column) : undefined;
    return { uri, line: original?.line ?? line, column: original?.column ?? column };
}

class RecordingMonitor extends MockMonitor {
    readonly recorded: RecordedResource[] = [];
    readonly invokes: RecordedInvoke[] = [];
    stackOutputs: Record<string, unknown> = {};
    /** Provider URN -> what its inputs say (region, project), so ARNs and links look real. */
    readonly providers = new Map<string, ProviderContext>();

    constructor() {
        super({
            newResource: (args: MockResourceArgs) => this.newResource(args),
            call: (args: MockCallArgs) => this.call(args),
        });
    }

    private context(providerRef: string | undefined): ProviderContext {
        const urn = providerRef?.split("::").slice(0, -1).join("::") ?? "";
        return this.providers.get(urn) ?? DEFAULT_CONTEXT;
    }

    private newResource(args: MockResourceArgs) {
        if (!args.custom) {
            // Components: remote ones (any package's but the program's) still need their outputs;
            // the program's own need nothing.
            return !args.type.startsWith("webapp:")
                ? resourceState({
                      type: args.type,
                      name: args.name,
                      inputs: args.inputs,
                      provider: this.context(args.provider),
                  })
                : { id: "", state: {} };
        }
        return resourceState({
            type: args.type,
            name: args.name,
            inputs: args.inputs,
            provider: this.context(args.provider),
        });
    }

    private call(args: MockCallArgs) {
        this.invokes.push({ token: args.token, inputs: args.inputs, provider: args.provider ?? "" });
        return invokeResult(args.token, args.inputs, this.context(args.provider));
    }

    override async registerResource(req: RegisterRequest, callback: Callback): Promise<void> {
        const inputs = deserializeProperties(req.getObject(), true) as Record<string, unknown>;
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((deps, key) => {
            propertyDependencies[key] = deps.getUrnsList();
        });
        const source = registrationPosition(req);
        return super.registerResource(req, (err, response) => {
            if (!err && response) {
                const urn = response.getUrn();
                const type = req.getType();
                if (type.startsWith("pulumi:providers:")) {
                    this.rememberProvider(urn, reveal(inputs) as Record<string, unknown>);
                }
                this.recorded.push({
                    type,
                    name: req.getName(),
                    urn,
                    parent: req.getParent(),
                    provider: req.getProvider(),
                    custom: req.getCustom(),
                    inputs,
                    dependencies: req.getDependenciesList(),
                    propertyDependencies,
                    aliases: req.getAliasesList().map(aliasRecord),
                    ...(source ? { source } : {}),
                });
            }
            callback(err, response);
        });
    }

    override registerResourceOutputs(req: OutputsRequest, callback: (err: unknown, response: unknown) => void): void {
        if (req.getUrn().includes("::pulumi:pulumi:Stack::")) {
            const outputs = req.getOutputs();
            this.stackOutputs = outputs ? (deserializeProperties(outputs, true) as Record<string, unknown>) : {};
        }
        super.registerResourceOutputs(req, callback);
    }

    private rememberProvider(urn: string, inputs: Record<string, unknown>): void {
        this.providers.set(urn, {
            awsRegion:
                typeof inputs.region === "string" && urn.includes("pulumi:providers:aws")
                    ? inputs.region
                    : DEFAULT_CONTEXT.awsRegion,
            gcpProject: typeof inputs.project === "string" ? inputs.project : DEFAULT_CONTEXT.gcpProject,
            gcpRegion:
                typeof inputs.region === "string" && urn.includes("pulumi:providers:gcp")
                    ? inputs.region
                    : DEFAULT_CONTEXT.gcpRegion,
        });
    }
}

/** The result of building a stack offline. */
export class OfflineRun {
    constructor(
        readonly resources: readonly RecordedResource[],
        readonly invokes: readonly RecordedInvoke[],
        /** Stack outputs as the engine would store them (secrets still marked). */
        readonly outputs: Record<string, unknown>,
    ) {}

    /** Every resource of a type, e.g. `aws:kms/key:Key`. */
    ofType(type: string): RecordedResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    /** The one resource of a type whose logical name ends with `suffix`; throws when there is not exactly one. */
    one(type: string, suffix = ""): RecordedResource {
        const matches = this.ofType(type).filter((r) => r.name.endsWith(suffix));
        if (matches.length !== 1) {
            const names = this.ofType(type).map((r) => r.name);
            throw new Error(
                `expected one ${type} named *${suffix}, found ${matches.length} among [${names.join(", ")}]`,
            );
        }
        return matches[0];
    }

    /** The resource with this URN. */
    byUrn(urn: string): RecordedResource {
        const found = this.resources.find((r) => r.urn === urn);
        if (!found) {
            throw new Error(`no resource with URN ${urn}`);
        }
        return found;
    }

    /** The inputs of a resource with secrets unwrapped, typed loosely for assertions. */
    plain(resource: RecordedResource): Record<string, any> {
        return reveal(resource.inputs) as Record<string, any>;
    }

    /** Every resource input and stack output that contains `needle`. */
    locate(needle: string): Array<{ where: string; type: string } & Occurrence> {
        const hits: Array<{ where: string; type: string } & Occurrence> = [];
        for (const r of this.resources) {
            for (const o of findString(r.inputs, needle)) {
                hits.push({ where: r.name, type: r.type, ...o });
            }
        }
        for (const o of findString(this.outputs, needle)) {
            hits.push({ where: "<stack outputs>", type: "pulumi:pulumi:Stack", ...o });
        }
        return hits;
    }
}

/** A program that failed offline; `run` holds what was registered before the failure. */
export class OfflineRunError extends Error {
    constructor(
        readonly cause: unknown,
        readonly run: OfflineRun,
    ) {
        super(cause instanceof Error ? cause.message : String(cause));
        this.name = "OfflineRunError";
    }
}

export interface OfflineOptions {
    readonly project?: string;
    readonly stack?: string;
    /** Run as `pulumi preview` would (unknown outputs stay unknown). Default false. */
    readonly preview?: boolean;
}

let running = false;

/** The SDK module holding its promise wrapper; the SDK's modules call it through this object. */
const debuggable = require("@pulumi/pulumi/runtime/debuggable") as {
    debuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T>;
};

/**
 * The SDK wraps each of its promises (about 15,000 in the demo plan) for the promise-leak report
 * of a real deployment: a stack trace, three properties, two chained promises and a set entry
 * each. Under mocks no engine waits on them and the run ends with `waitForRPCs`, so offline runs
 * use the promises as they are (a sixth of the plan's time), unless PULUMI_DEBUG_PROMISE_LEAKS
 * asks for the report. Restored when the run ends.
 */
function withPlainPromises(): () => void {
    if (process.env.PULUMI_DEBUG_PROMISE_LEAKS) {
        return () => undefined;
    }
    const wrapper = debuggable.debuggablePromise;
    debuggable.debuggablePromise = (p) => p;
    return () => {
        debuggable.debuggablePromise = wrapper;
    };
}

/**
 * Runs `program` as the body of a stack under mocks and resolves once every registration has
 * finished. Runs must not overlap (the Pulumi runtime is process-global). A failing program
 * rejects with `OfflineRunError`, which carries what was registered until then.
 */
export async function runOffline(
    program: () => Record<string, unknown> | void | Promise<Record<string, unknown> | void>,
    options: OfflineOptions = {},
): Promise<OfflineRun> {
    if (running) {
        throw new Error("runOffline: another offline run is still in progress");
    }
    running = true;
    const restorePromises = withPlainPromises();
    try {
        const project = options.project ?? "webapp-infra";
        const stack = options.stack ?? "dev";
        const monitor = new RecordingMonitor();
        // setMocks turns on the mock feature set (secrets, resource references); then swap in our monitor.
        await pulumi.runtime.setMocks(monitor.mocks, project, stack, options.preview ?? false);
        setMockOptions(monitor, project, stack, options.preview ?? false);
        const snapshot = () => new OfflineRun([...monitor.recorded], [...monitor.invokes], monitor.stackOutputs);
        try {
            await pulumi.runtime.runInPulumiStack(async () => (await program()) ?? undefined);
            await settle();
        } catch (error) {
            await settle().catch(() => undefined);
            throw new OfflineRunError(error, snapshot());
        }
        return snapshot();
    } finally {
        restorePromises();
        running = false;
    }
}

/** Waits until the runtime has no RPC in flight (registrations started by late `apply`s included). */
async function settle(): Promise<void> {
    const settings = (await import("@pulumi/pulumi/runtime/settings")) as unknown as {
        waitForRPCs?: () => Promise<void>;
    };
    if (typeof settings.waitForRPCs !== "function") {
        throw new Error("@pulumi/pulumi no longer exports runtime/settings.waitForRPCs; update tools/offline/run.ts");
    }
    await settings.waitForRPCs();
}
