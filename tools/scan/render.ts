/**
 * Renders the offline plan's resources (`plan/<stack>/resources.json`, or the same document built in
 * memory) as the JSON that `terraform show -json <planfile>` prints for a first apply, so that a
 * scanner written for Terraform plans reads this program's resources:
 *
 * - each Pulumi resource becomes the Terraform resource it is bridged from (data/pulumi-terraform-map.json),
 *   addressed `<terraform type>.<logical name>`;
 * - property names go back to Terraform's (snake_case, the map's renames, Pulumi's plural list
 *   names back to the singular block name), blocks Pulumi flattens go back to one-element lists,
 *   maps (tags, environment variables) keep their keys, JSON documents (policies) stay strings;
 * - a value that is another resource's ID, ARN or name is rendered as Terraform renders a reference
 *   to a resource not yet created: unknown in `planned_values` and `after_unknown`, and a
 *   `references` expression in `configuration`, which is how a scanner links the two; every other
 *   value is known, including strings that embed another resource's ARN (Terraform would show those
 *   as unknown: the scan sees more than a Terraform plan would); an ARN with the log-stream
 *   wildcard (`<arn>:*`) keeps its value and also references the resource;
 * - the AWS provider's default tags are merged into `tags_all`;
 * - resources that exist only in the Pulumi state (`random`) are left out and listed.
 */
import { resourceState, type ProviderContext } from "../offline/mocks";
import { placeResources } from "../offline/plan";
import type { OfflineRun } from "../offline/run";
import { redact } from "../offline/values";
import {
    blockShape,
    fieldShape,
    terraformMap,
    terraformName,
    type FieldShape,
    type ObjectShape,
    type TerraformMap,
} from "./terraform-map";

/** One entry of `resources.json` (the fields the renderer reads). */
export interface PlanDocumentResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly kind: "stack" | "provider" | "component" | "remote" | "resource";
    readonly provider: string | null;
    readonly inputs: Readonly<Record<string, unknown>>;
    readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
}

/** `resources.json` (the fields the renderer reads). */
export interface PlanDocument {
    readonly stack: string;
    readonly resources: readonly PlanDocumentResource[];
}

/** The document of an offline run: what `resources.json` holds for each registration, secrets redacted. */
export function planDocumentOf(run: OfflineRun, stack: string): PlanDocument {
    const providerUrn = (ref: string) => (ref ? ref.split("::").slice(0, -1).join("::") : null);
    return {
        stack,
        resources: placeResources(run.resources).map(({ resource: r, kind }) => ({
            urn: r.urn,
            type: r.type,
            name: r.name,
            kind,
            provider: providerUrn(r.provider),
            inputs: redact(r.inputs) as Record<string, unknown>,
            propertyDependencies: r.propertyDependencies,
        })),
    };
}

/** A resource in the rendered plan, with where it came from. */
export interface RenderedResource {
    readonly address: string;
    readonly tfType: string;
    readonly tfName: string;
    readonly pulumiType: string;
    readonly pulumiName: string;
    readonly urn: string;
    /** Known values, as in `planned_values`. */
    readonly values: Record<string, unknown>;
    /** `configuration` expressions: only the references. */
    readonly expressions: Record<string, unknown>;
    /** `after_unknown`: true where a value is a reference to a resource not yet created. */
    readonly afterUnknown: Record<string, unknown>;
}

export interface SkippedResource {
    readonly urn: string;
    readonly type: string;
    readonly reason: string;
}

export interface RenderedPlan {
    readonly stack: string;
    readonly resources: readonly RenderedResource[];
    readonly skipped: readonly SkippedResource[];
    /** The document a Terraform-plan scanner reads. */
    readonly terraformPlan: Record<string, unknown>;
}

const PROVIDERS: Record<string, { tf: string; source: string }> = {
    aws: { tf: "aws", source: "registry.terraform.io/hashicorp/aws" },
    gcp: { tf: "google", source: "registry.terraform.io/hashicorp/google" },
};

/** Packages whose resources exist only in the Pulumi state. */
const STATE_ONLY: Record<string, string> = {
    random: "a generated value kept in the Pulumi state; it creates nothing in a cloud",
};

/**
 * Pulumi-only properties that stand for a Terraform attribute of another name, and what the
 * renderer writes there: the bridge uploads an asset or archive given as `code` from `filename`.
 */
const ASSET_FIELDS: Record<string, Record<string, string>> = {
    aws_lambda_function: { code: "filename" },
    aws_s3_object: { source: "source" },
    google_storage_bucket_object: { source: "source" },
};

const DEFAULT_CONTEXT: ProviderContext = { awsRegion: "us-east-1", gcpProject: "mock-project", gcpRegion: "us-east1" };

function isObject(value: unknown): value is Record<string, unknown> {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Provider inputs arrive JSON-encoded where they are objects (`defaultTags`). */
function decoded(value: unknown): unknown {
    if (typeof value === "string" && /^[[{]/.test(value)) {
        try {
            return JSON.parse(value);
        } catch {
            return value;
        }
    }
    return value;
}

/** A Terraform resource name from a Pulumi logical name: letters, digits, `_` and `-`, not starting with a digit. */
export function terraformResourceName(logicalName: string): string {
    const cleaned = logicalName.replace(/[^A-Za-z0-9_-]/g, "_");
    return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

interface ProviderInfo {
    readonly cloud: string;
    readonly key: string;
    readonly context: ProviderContext;
    readonly defaultTags: Record<string, string>;
    readonly expressions: Record<string, { constant_value: unknown }>;
}

function providerInfos(resources: readonly PlanDocumentResource[]): Map<string, ProviderInfo> {
    const infos = new Map<string, ProviderInfo>();
    const seen = new Map<string, number>();
    for (const r of resources.filter((x) => x.kind === "provider")) {
        const cloud = r.type.slice("pulumi:providers:".length);
        const tf = PROVIDERS[cloud]?.tf;
        if (!tf) {
            continue;
        }
        const n = seen.get(tf) ?? 0;
        seen.set(tf, n + 1);
        const inputs = r.inputs;
        const region = typeof inputs.region === "string" ? inputs.region : undefined;
        const project = typeof inputs.project === "string" ? inputs.project : undefined;
        const context: ProviderContext = {
            awsRegion: cloud === "aws" && region ? region : DEFAULT_CONTEXT.awsRegion,
            gcpProject: project ?? DEFAULT_CONTEXT.gcpProject,
            gcpRegion: cloud === "gcp" && region ? region : DEFAULT_CONTEXT.gcpRegion,
        };
        const tags = decoded(inputs.defaultTags);
        const expressions: Record<string, { constant_value: unknown }> = {};
        for (const key of ["region", "project", "zone"]) {
            if (typeof inputs[key] === "string") {
                expressions[key] = { constant_value: inputs[key] };
            }
        }
        infos.set(r.urn, {
            cloud,
            key: n === 0 ? tf : `${tf}.${terraformResourceName(r.name)}`,
            context,
            defaultTags: isObject(tags) && isObject(tags.tags) ? (tags.tags as Record<string, string>) : {},
            expressions,
        });
    }
    return infos;
}

/** Resolves a string to a reference (`aws_kms_key.dev-kms-s3.arn`) to one of the resources it depends on. */
type Resolver = (value: string) => string | undefined;

interface Converted {
    /** undefined: unknown at plan time (a reference). */
    readonly value: unknown;
    readonly expression?: unknown;
    readonly unknown?: unknown;
}

function describedAsset(value: unknown): string | undefined {
    if (isObject(value) && typeof value.asset === "string") {
        return typeof value.path === "string" ? value.path : typeof value.uri === "string" ? value.uri : value.asset;
    }
    return undefined;
}

class Converter {
    constructor(private readonly map: TerraformMap) {}

    /** Converts the inputs of one resource; `resolverFor(property)` gives the references a top-level property may hold. */
    resource(
        tfType: string,
        inputs: Readonly<Record<string, unknown>>,
        resolverFor: (property: string) => Resolver,
    ): {
        values: Record<string, unknown>;
        expressions: Record<string, unknown>;
        afterUnknown: Record<string, unknown>;
    } {
        const { value, expression, unknown } = this.fields(
            inputs,
            this.map.shapes[tfType] ?? {},
            resolverFor,
            ASSET_FIELDS[tfType] ?? {},
        );
        return { values: value, expressions: expression ?? {}, afterUnknown: unknown ?? {} };
    }

    private object(value: Record<string, unknown>, shape: ObjectShape | undefined, resolve: Resolver): Converted {
        return this.fields(value, shape, () => resolve, {});
    }

    /** The fields of an object (a resource's inputs or a block), each under its Terraform name. */
    private fields(
        value: Readonly<Record<string, unknown>>,
        shape: ObjectShape | undefined,
        resolverFor: (property: string) => Resolver,
        assets: Readonly<Record<string, string>>,
    ): { value: Record<string, unknown>; expression?: Record<string, unknown>; unknown?: Record<string, unknown> } {
        const out: Record<string, unknown> = {};
        const exprs: Record<string, unknown> = {};
        const unknowns: Record<string, unknown> = {};
        for (const [key, raw] of Object.entries(value)) {
            if (raw === undefined) {
                continue;
            }
            if (key in assets) {
                out[assets[key]] = describedAsset(raw) ?? raw;
                continue;
            }
            const name = terraformName(key, shape);
            const c = this.field(raw, fieldShape(shape, name), resolverFor(key));
            if (c.value !== undefined) {
                out[name] = c.value;
            }
            if (c.expression !== undefined) {
                exprs[name] = c.expression;
            }
            if (c.unknown !== undefined) {
                unknowns[name] = c.unknown;
            }
        }
        return {
            value: out,
            expression: Object.keys(exprs).length > 0 ? exprs : undefined,
            unknown: Object.keys(unknowns).length > 0 ? unknowns : undefined,
        };
    }

    /** A list of blocks: values, and expressions/unknowns aligned with them when any element has one. */
    private blocks(items: readonly unknown[], shape: ObjectShape | undefined, resolve: Resolver): Converted {
        const converted = items.map((item) =>
            isObject(item) ? this.object(item, shape, resolve) : this.leaf(item, resolve),
        );
        const exprs = converted.map((c) => c.expression ?? {});
        const unknowns = converted.map((c) => c.unknown ?? {});
        return {
            value: converted.map((c) => c.value ?? null),
            expression: converted.some((c) => c.expression !== undefined) ? exprs : undefined,
            unknown: converted.some((c) => c.unknown !== undefined) ? unknowns : undefined,
        };
    }

    private field(value: unknown, shape: FieldShape | undefined, resolve: Resolver): Converted {
        if (value === null) {
            return { value: null };
        }
        if (shape === "m") {
            return { value: isObject(value) ? value : decoded(value) };
        }
        if (shape === "l") {
            const list = Array.isArray(value) ? value : [value];
            return list.some(isObject) ? this.blocks(list, undefined, resolve) : this.scalars(list, resolve);
        }
        if (Array.isArray(shape)) {
            const inner = blockShape(shape, this.map);
            if (shape[0] === "o") {
                return isObject(value) ? this.object(value, inner, resolve) : { value };
            }
            const items = Array.isArray(value) ? value : [value];
            return this.blocks(items, inner, resolve);
        }
        // A scalar, or a field the map does not list.
        if (Array.isArray(value)) {
            return value.some(isObject) ? this.blocks(value, undefined, resolve) : this.scalars(value, resolve);
        }
        if (isObject(value)) {
            // AWS shapes list every map and block, so an unlisted object is Pulumi-only (kept as it is);
            // GCP shapes do not list maps, and an unlisted GCP object is one.
            return { value };
        }
        return this.leaf(value, resolve);
    }

    private leaf(value: unknown, resolve: Resolver): Converted {
        const ref = typeof value === "string" ? resolve(value) : undefined;
        if (ref) {
            return {
                value: undefined,
                expression: { references: [ref, ref.split(".").slice(0, 2).join(".")] },
                unknown: true,
            };
        }
        // A log group's ARN with the log-stream wildcard (`<arn>:*`, as CloudTrail and CloudWatch
        // Logs subscriptions take it) is Terraform's `"${aws_cloudwatch_log_group.x.arn}:*"`: the
        // value stays known and the reference links the two.
        const embedded = typeof value === "string" && value.endsWith(":*") ? resolve(value.slice(0, -2)) : undefined;
        if (embedded) {
            return { value, expression: { references: [embedded, embedded.split(".").slice(0, 2).join(".")] } };
        }
        return { value };
    }

    /** A list of scalars; elements that are references are unknown (null), a list of only references is unknown. */
    private scalars(list: readonly unknown[], resolve: Resolver): Converted {
        const refs = list.map((v) => (typeof v === "string" ? resolve(v) : undefined));
        if (refs.every((r) => r === undefined)) {
            return { value: list };
        }
        const references = [...new Set(refs.flatMap((r) => (r ? [r, r.split(".").slice(0, 2).join(".")] : [])))];
        const all = refs.every((r) => r !== undefined);
        return {
            value: all ? undefined : list.map((v, i) => (refs[i] ? null : v)),
            expression: { references },
            unknown: all ? true : refs.map((r) => r !== undefined),
        };
    }
}

/** The computed attributes the mocks give a resource, in the order references prefer them. */
function referableAttributes(state: Readonly<Record<string, unknown>>): Array<[string, string]> {
    const entries = Object.entries(state).filter((e): e is [string, string] => typeof e[1] === "string" && e[1] !== "");
    const rank = (k: string) => (k === "id" ? 0 : k === "arn" ? 1 : 2);
    return entries.sort(([a], [b]) => rank(a) - rank(b));
}

/** One resource, as the scan renders it: Pulumi type, logical name, plain inputs and its computed state. */
interface ScanResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** Inputs, secrets already replaced by a placeholder. */
    readonly inputs: Readonly<Record<string, unknown>>;
    /** Input property -> URNs of the resources its value comes from. */
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
    /** The provider resource's URN ("" for the stack's default provider). */
    readonly provider: string;
    /** What the resource would report once created (inputs echoed, plus IDs, ARNs and names). */
    readonly state: Readonly<Record<string, unknown>>;
}

/**
 * Collects the resources to render: the custom resources; state-only ones are skipped with a
 * reason. A remote (multi-language) component is refused: its children are created by its plugin,
 * so the plan cannot show them to the scanner.
 */
function scanResources(
    doc: PlanDocument,
    providers: Map<string, ProviderInfo>,
): { resources: ScanResource[]; skipped: SkippedResource[] } {
    const resources: ScanResource[] = [];
    const skipped: SkippedResource[] = [];
    const firstAws = [...providers.values()].find((p) => p.cloud === "aws");
    for (const r of doc.resources) {
        const pkg = r.type.split(":")[0];
        const provider = r.provider ?? "";
        const context = providers.get(provider)?.context ?? firstAws?.context ?? DEFAULT_CONTEXT;
        if (r.kind === "resource") {
            if (STATE_ONLY[pkg]) {
                skipped.push({ urn: r.urn, type: r.type, reason: STATE_ONLY[pkg] });
                continue;
            }
            const { state } = resourceState({ type: r.type, name: r.name, inputs: { ...r.inputs }, provider: context });
            resources.push({
                urn: r.urn,
                type: r.type,
                name: r.name,
                inputs: r.inputs,
                propertyDependencies: r.propertyDependencies ?? {},
                provider,
                state,
            });
        } else if (r.kind === "remote") {
            throw new Error(
                `cannot render the remote component ${r.type} (${r.name}): its plugin creates its children, ` +
                    "which the plan does not see; build them as plain resources",
            );
        }
    }
    return { resources, skipped };
}

/** Renders a plan document; throws for a resource type the map does not know (nothing is dropped silently). */
export function renderTerraformPlan(doc: PlanDocument, map: TerraformMap = terraformMap()): RenderedPlan {
    const providers = providerInfos(doc.resources);
    const { resources, skipped } = scanResources(doc, providers);
    const unknownTypes = [...new Set(resources.filter((r) => !map.types[r.type]).map((r) => r.type))];
    if (unknownTypes.length > 0) {
        throw new Error(
            `no Terraform resource type for ${unknownTypes.join(", ")} in tools/scan/data/pulumi-terraform-map.json`,
        );
    }
    const used = new Map<string, number>();
    const addressOf = new Map<string, string>();
    for (const r of resources) {
        const tfType = map.types[r.type];
        const base = terraformResourceName(r.name);
        const key = `${tfType}.${base}`;
        const n = (used.get(key) ?? 0) + 1;
        used.set(key, n);
        addressOf.set(r.urn, n === 1 ? key : `${key}_${n}`);
    }
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const converter = new Converter(map);
    const rendered: RenderedResource[] = resources.map((r) => {
        const tfType = map.types[r.type];
        const cloud = r.type.split(":")[0];
        const resolverFor = (property: string): Resolver => {
            const targets = (r.propertyDependencies[property] ?? [])
                .map((urn) => byUrn.get(urn))
                .filter((t): t is ScanResource => t !== undefined && t.urn !== r.urn);
            if (targets.length === 0) {
                return () => undefined;
            }
            return (value) => {
                for (const t of targets) {
                    const hit = referableAttributes(t.state).find(([, v]) => v === value);
                    if (hit) {
                        const shape = map.shapes[map.types[t.type]];
                        return `${addressOf.get(t.urn)}.${terraformName(hit[0], shape)}`;
                    }
                }
                return undefined;
            };
        };
        const { values, expressions, afterUnknown } = converter.resource(tfType, r.inputs, resolverFor);
        const info = providers.get(r.provider) ?? [...providers.values()].find((p) => p.cloud === cloud);
        const shape = map.shapes[tfType] ?? {};
        if (cloud === "aws" && "tags_all" in shape) {
            const own = isObject(values.tags) ? values.tags : {};
            values.tags_all = { ...(info?.defaultTags ?? {}), ...own };
        }
        const address = addressOf.get(r.urn) ?? "";
        return {
            address,
            tfType,
            tfName: address.slice(tfType.length + 1),
            pulumiType: r.type,
            pulumiName: r.name,
            urn: r.urn,
            values,
            expressions,
            afterUnknown,
        };
    });
    return {
        stack: doc.stack,
        resources: rendered,
        skipped,
        terraformPlan: terraformPlanJson(rendered, resources, providers),
    };
}

function terraformPlanJson(
    rendered: readonly RenderedResource[],
    resources: readonly ScanResource[],
    providers: Map<string, ProviderInfo>,
): Record<string, unknown> {
    const providerOf = new Map(resources.map((r) => [r.urn, r.provider]));
    const keyOf = (r: RenderedResource) => {
        const cloud = r.pulumiType.split(":")[0];
        const info = providers.get(providerOf.get(r.urn) ?? "");
        return info?.key ?? PROVIDERS[cloud]?.tf ?? cloud;
    };
    const header = (r: RenderedResource) => ({ address: r.address, mode: "managed", type: r.tfType, name: r.tfName });
    const sourceOf = (r: RenderedResource) => PROVIDERS[r.pulumiType.split(":")[0]]?.source ?? "";
    const providerConfig: Record<string, unknown> = {};
    for (const info of providers.values()) {
        const [name, alias] = info.key.split(".");
        providerConfig[info.key] = {
            name,
            full_name: PROVIDERS[info.cloud].source,
            ...(alias ? { alias } : {}),
            expressions: info.expressions,
        };
    }
    return {
        format_version: "1.2",
        terraform_version: "1.9.8",
        planned_values: {
            root_module: {
                resources: rendered.map((r) => ({
                    ...header(r),
                    provider_name: sourceOf(r),
                    schema_version: 0,
                    values: r.values,
                    sensitive_values: {},
                })),
            },
        },
        resource_changes: rendered.map((r) => ({
            ...header(r),
            provider_name: sourceOf(r),
            change: {
                actions: ["create"],
                before: null,
                after: r.values,
                after_unknown: r.afterUnknown,
                before_sensitive: false,
                after_sensitive: {},
            },
        })),
        configuration: {
            provider_config: providerConfig,
            root_module: {
                resources: rendered.map((r) => ({
                    ...header(r),
                    provider_config_key: keyOf(r),
                    expressions: r.expressions,
                    schema_version: 0,
                })),
            },
        },
    };
}
