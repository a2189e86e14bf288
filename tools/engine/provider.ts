/**
 * A stand-in resource provider for the real Pulumi engine: one process per provider instance, served
 * with `@pulumi/pulumi/provider`'s `main` for the package named by the first argument (`aws`, `gcp`,
 * `random`, `awsx`). It creates nothing anywhere: every resource is accepted, its outputs are its
 * inputs plus the computed attributes of `tools/offline/mocks.ts` (the table the unit tests and the
 * offline plan use), and invokes are answered from the same table.
 *
 * What it decides, and where that comes from:
 * - Outputs: the inputs as given (secret inputs stay secret, as a real provider keeps them), plus the
 *   mock table's computed attributes as plain values. Marking computed outputs secret is left to the
 *   engine and the SDK (`additionalSecretOutputs`), as with the real providers.
 * - Diff: the new inputs against the inputs stored with the resource (the engine sends both); every
 *   changed property is reported by its path (`tags.env`, `ingress[0].fromPort`). A change replaces
 *   the resource where the real provider's schema says so: `tools/offline/replace.ts`, the table of
 *   ForceNew inputs per type that the offline plan's diff uses too (one source of truth, with a row
 *   for every type the program creates); everything else is an in-place update. A change of a
 *   provider's own configuration is diffed the same way and is always an update (the stand-in knows
 *   no configuration key that replaces a provider).
 * - Previews: as the real (bridged) providers, it plans creates as their inputs (computed attributes
 *   unknown) and updates as their outputs after the update (computed attributes kept).
 * - awsx's `Vpc` (a remote component, declared by revisions before the program built its VPC from
 *   plain resources; `LEGACY_PACKAGES`): `construct` registers the component and creates its
 *   children as awsx does (`awsx-vpc.ts`), so a later revision's plain VPC finds them by alias.
 *   Any other remote component is registered with the mock table's outputs and no children.
 */
import * as pulumi from "@pulumi/pulumi";
import { main, type ConstructResult, type Provider } from "@pulumi/pulumi/provider";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { invokeResult, resourceState, type ProviderContext } from "../offline/mocks";
import { changedPaths, replacingInputs } from "../offline/replace";

type Props = Record<string, unknown>;

/** The part of a URN after the last `$` of its type segment, and the resource's name. */
export function parseUrn(urn: string): { type: string; name: string } {
    const parts = urn.split("::");
    const qualifiedType = parts[2] ?? "";
    return { type: qualifiedType.split("$").pop() ?? qualifiedType, name: parts.slice(3).join("::") };
}

function isSecret(value: unknown): value is { value: unknown } {
    return (
        value !== null &&
        typeof value === "object" &&
        (value as Record<string, unknown>)[specialSigKey] === specialSecretSig
    );
}

/** The value without secret wrappers (what a provider works with). */
export function unwrap(value: unknown): unknown {
    if (isSecret(value)) {
        return unwrap(value.value);
    }
    if (Array.isArray(value)) {
        return value.map(unwrap);
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
    }
    return value;
}

function containsSecret(value: unknown): boolean {
    if (isSecret(value)) {
        return true;
    }
    if (Array.isArray(value)) {
        return value.some(containsSecret);
    }
    return value !== null && typeof value === "object" && Object.values(value).some(containsSecret);
}

/** The value without secret wrappers and without absent (null or undefined) object properties. */
function comparable(value: unknown): unknown {
    const plain = unwrap(value);
    const prune = (v: unknown): unknown => {
        if (Array.isArray(v)) {
            return v.map(prune);
        }
        if (v !== null && typeof v === "object") {
            return Object.fromEntries(
                Object.entries(v)
                    .filter(([, item]) => item !== null && item !== undefined)
                    .map(([k, item]) => [k, prune(item)]),
            );
        }
        return v;
    };
    return prune(plain);
}

/** Structural equality of two plain property values (object key order does not matter). */
export function sameValue(a: unknown, b: unknown): boolean {
    return changedPaths(a, b).length === 0;
}

/** The value at a path of `changedPaths` (`tags.env`, `rules[2].action`), or undefined. */
function valueAt(root: unknown, at: string): unknown {
    let value = root;
    for (const [, key, index] of at.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
        if (value === null || typeof value !== "object") {
            return undefined;
        }
        value = (value as Record<string, unknown>)[key ?? index];
    }
    return value;
}

/** The top-level property of a path (`tags` for `tags.env`, `ingress` for `ingress[0].fromPort`). */
function topLevel(at: string): string {
    return /^[^.[]+/.exec(at)?.[0] ?? at;
}

/** The result of comparing stored inputs with new ones. */
export interface InputDiff {
    /** The paths of the properties that changed, were added or were removed, sorted. */
    readonly changed: string[];
    readonly added: string[];
    readonly removed: string[];
    /** The changed paths that force a new resource (the provider's ForceNew inputs). */
    readonly replaces: string[];
}

/**
 * Compares inputs with inputs, path by path: secretness, key order and absent properties alone are
 * no change; a new value that is unknown (a preview) is a change.
 */
export function diffInputs(type: string, olds: Props, news: Props): InputDiff {
    const oldPlain = comparable(olds);
    const newPlain = comparable(news);
    const changed = changedPaths(oldPlain, newPlain).sort();
    const added = changed.filter((p) => valueAt(oldPlain, p) === undefined);
    const removed = changed.filter((p) => valueAt(newPlain, p) === undefined);
    return { changed, added, removed, replaces: replacingInputs(type, changed) };
}

async function settled(value: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) {
        // The mock table returns some computed attributes as secret Outputs (for the unit tests);
        // here they go back as plain values and the engine decides what is secret.
        const inner = await new Promise<unknown>((resolve) => value.apply((v) => (resolve(v), v)));
        return settled(inner);
    }
    if (Array.isArray(value)) {
        return Promise.all(value.map(settled));
    }
    if (value !== null && typeof value === "object") {
        const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await settled(v)]));
        return Object.fromEntries(entries);
    }
    return value;
}

/**
 * A resource's outputs: its inputs as they came (secret ones stay wrapped) and the computed
 * attributes of the mock table. A computed value derived from a secret input is kept secret.
 */
export async function resourceOutputs(
    type: string,
    name: string,
    inputs: Props,
    context: ProviderContext,
): Promise<{ id: string; outs: Props }> {
    const { id, state } = resourceState({ type, name, inputs: unwrap(inputs) as Props, provider: context });
    const plainState = (await settled(state)) as Props;
    const outs: Props = {};
    for (const [key, value] of Object.entries(plainState)) {
        const given = inputs[key];
        if (given !== undefined && sameValue(unwrap(given), value)) {
            outs[key] = given;
        } else if (given !== undefined && containsSecret(given)) {
            outs[key] = { [specialSigKey]: specialSecretSig, value };
        } else {
            outs[key] = value;
        }
    }
    return { id, outs };
}

/** Region and project of a provider instance, from its `Configure` request. */
export function contextFromConfig(pkg: string, config: Props): ProviderContext {
    const text = (key: string) => {
        const value = config[key] ?? config[`${pkg}:config:${key}`] ?? config[`${pkg}:${key}`];
        return typeof value === "string" && value !== "" ? value : undefined;
    };
    return {
        awsRegion: (pkg === "aws" && text("region")) || "us-east-1",
        gcpProject: (pkg === "gcp" && text("project")) || "mock-project",
        gcpRegion: (pkg === "gcp" && text("region")) || "us-east1",
    };
}

/**
 * Packages the program no longer depends on whose stand-ins are still served, at the version
 * their last revision pinned, so that a base revision using them deploys (the identity proof).
 */
export const LEGACY_PACKAGES: Readonly<Record<string, string>> = { awsx: "3.9.0" };

/** A remote component as the stand-in builds it; `finish` registers its outputs. */
class RemoteComponent extends pulumi.ComponentResource {
    constructor(type: string, name: string, opts: pulumi.ComponentResourceOptions) {
        super(type, name, {}, opts);
    }

    finish(outputs: Props): void {
        this.registerOutputs(outputs);
    }
}

/**
 * Attributes an update moves on by one, as the cloud does: updating a launch template creates its
 * next version (the group that names `latestVersion` then updates too).
 */
export const VERSIONED_ON_UPDATE: Readonly<Record<string, string>> = {
    "aws:ec2/launchTemplate:LaunchTemplate": "latestVersion",
};

/** The versioned attribute of `type` one past its old value (nothing for other types). */
export function nextVersion(type: string, olds: Props): Props {
    const key = VERSIONED_ON_UPDATE[type];
    const old = key === undefined ? undefined : Number(olds[key]);
    return key !== undefined && Number.isInteger(old) ? { [key]: (old as number) + 1 } : {};
}

/** The stand-in for one package; `context()` is read at each call (set by `Configure`). */
export function standInProvider(version: string, context: () => ProviderContext): Provider {
    return {
        version,
        async create(urn, inputs) {
            const { type, name } = parseUrn(urn);
            return resourceOutputs(type, name, inputs, context());
        },
        async update(id, urn, olds, news) {
            const { type, name } = parseUrn(urn);
            const { outs } = await resourceOutputs(type, name, news, context());
            return { outs: { ...outs, ...nextVersion(type, olds), id } };
        },
        async delete() {
            // Nothing exists anywhere: deleting is forgetting, which the engine does.
        },
        async invoke(token, inputs) {
            return { outputs: invokeResult(token, unwrap(inputs) as Props, context()) };
        },
        async construct(name, type, inputs, options): Promise<ConstructResult> {
            const plainInputs = (await settled(pulumi.unsecret(pulumi.output(inputs)))) as Props;
            const component = new RemoteComponent(type, name, options);
            let outputs: Props;
            if (type === "awsx:ec2:Vpc") {
                // Loaded here: only a base revision that declares awsx's VPC needs it.
                const { constructAwsxVpc } = await import("./awsx-vpc");
                outputs = constructAwsxVpc(name, plainInputs, component);
            } else {
                const { state } = resourceState({ type, name, inputs: plainInputs, provider: context() });
                outputs = Object.fromEntries(Object.entries(state).filter(([k]) => k !== "id" && !(k in inputs)));
            }
            component.finish(outputs);
            return { urn: component.urn, state: outputs };
        },
    };
}

interface Struct {
    toJavaScript(): Props;
}
interface GrpcCall {
    request: {
        getUrn(): string;
        getOlds?(): Struct | undefined;
        getOldInputs?(): Struct | undefined;
        getNews?(): Struct | undefined;
        getProperties?(): Struct | undefined;
        getPreview?(): boolean;
        getArgs?(): Struct | undefined;
        getVariablesMap?(): { toObject(): Array<[string, string]> };
    };
}
type GrpcCallback = (error: unknown, response?: any) => void;
type Handler = (call: GrpcCall, callback: GrpcCallback) => void;

// The generated protobuf classes of the SDK (no type declarations).
const proto = require("@pulumi/pulumi/proto/provider_pb") as Record<string, any>;
const { Struct: StructClass } = require(
    require.resolve("google-protobuf/google/protobuf/struct_pb", {
        paths: [path.dirname(require.resolve("@pulumi/pulumi/package.json"))],
    }),
) as {
    Struct: { fromJavaScript(value: Props): unknown };
};

/**
 * The engine's DiffResponse for a diff of inputs: the changed and replacing top-level properties
 * (as the bridged providers name them), and a detailed diff per changed path.
 */
function diffResponse(diff: InputDiff): unknown {
    const resp = new proto.DiffResponse();
    const { DiffChanges } = proto.DiffResponse;
    const Kind = proto.PropertyDiff.Kind;
    const topLevels = (paths: readonly string[]) => [...new Set(paths.map(topLevel))];
    resp.setChanges(diff.changed.length > 0 ? DiffChanges.DIFF_SOME : DiffChanges.DIFF_NONE);
    resp.setDiffsList(topLevels(diff.changed));
    resp.setReplacesList(topLevels(diff.replaces));
    resp.setHasdetaileddiff(true);
    const details = resp.getDetaileddiffMap();
    for (const key of diff.changed) {
        const replace = diff.replaces.includes(key);
        const kind = diff.added.includes(key)
            ? replace
                ? Kind.ADD_REPLACE
                : Kind.ADD
            : diff.removed.includes(key)
              ? replace
                  ? Kind.DELETE_REPLACE
                  : Kind.DELETE
              : replace
                ? Kind.UPDATE_REPLACE
                : Kind.UPDATE;
        const detail = new proto.PropertyDiff();
        detail.setKind(kind);
        detail.setInputdiff(true);
        details.set(key, detail);
    }
    return resp;
}

/**
 * Where the SDK's provider server leaves the provider less than a real one, on the service
 * implementation it registers with gRPC:
 * - `Configure`: the server ignores the configuration; here it sets the region and project the
 *   outputs use, and says the provider supports previews, as the real (bridged) providers do: a
 *   preview of an update then shows the computed attributes the update would keep (an ARN, a name)
 *   instead of unknown values that would make every dependent look changed.
 * - `Create` during a preview: the planned state is the inputs; computed attributes stay unknown.
 * - `Diff` and `DiffConfig`: the server hands over old outputs; these compare old inputs (the
 *   engine sends them) with new inputs, and name each changed property.
 */
function extendServer(setConfig: (config: Props) => void): void {
    const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
    const grpc = require(require.resolve("@grpc/grpc-js", { paths: [sdkDir] })) as {
        Server: { prototype: { addService(service: unknown, impl: Record<string, Handler>): void } };
    };
    const addService = grpc.Server.prototype.addService;
    grpc.Server.prototype.addService = function (service, impl) {
        const configure = impl.configure.bind(impl);
        impl.configure = (call, callback) => {
            const vars = Object.fromEntries(call.request.getVariablesMap?.().toObject() ?? []);
            setConfig({ ...vars, ...(call.request.getArgs?.()?.toJavaScript() ?? {}) });
            configure(call, (error, response) => {
                response?.setSupportspreview(true);
                callback(error, response);
            });
        };
        const create = impl.create.bind(impl);
        impl.create = (call, callback) => {
            if (!call.request.getPreview?.()) {
                create(call, callback);
                return;
            }
            const resp = new proto.CreateResponse();
            resp.setId("");
            resp.setProperties(StructClass.fromJavaScript(call.request.getProperties?.()?.toJavaScript() ?? {}));
            callback(undefined, resp);
        };
        const diff: Handler = (call, callback) => {
            try {
                const req = call.request;
                const olds = req.getOldInputs?.()?.toJavaScript() ?? req.getOlds?.()?.toJavaScript() ?? {};
                const news = req.getNews?.()?.toJavaScript() ?? {};
                callback(undefined, diffResponse(diffInputs(parseUrn(req.getUrn()).type, olds, news)));
            } catch (error) {
                callback(error);
            }
        };
        impl.diff = diff;
        impl.diffConfig = diff;
        return addService.call(this, service, impl);
    };
}

function packageVersion(pkg: string): string {
    const legacy = LEGACY_PACKAGES[pkg];
    if (legacy !== undefined) {
        return legacy;
    }
    const file = require.resolve(`@pulumi/${pkg}/package.json`);
    return String((JSON.parse(readFileSync(file, "utf8")) as { version: string }).version);
}

if (require.main === module) {
    const [pkg, ...args] = process.argv.slice(2);
    if (!pkg) {
        console.error("usage: provider.ts <package> [engine address]");
        process.exit(2);
    }
    let context = contextFromConfig(pkg, {});
    extendServer((config) => {
        context = contextFromConfig(pkg, config);
    });
    void main(
        standInProvider(packageVersion(pkg), () => context),
        args,
    );
}
