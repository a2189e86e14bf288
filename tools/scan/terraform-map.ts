/**
 * The map from this program's Pulumi resource types to the Terraform resources they are bridged
 * from (`data/pulumi-terraform-map.json` beside this file, derived from @pulumi/aws 7.48.0 / hashicorp/aws
 * 5.100.0 and @pulumi/gcp 9.37.0), and the name rules that turn a Pulumi property back into its
 * Terraform attribute.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";

/**
 * How a Terraform field holds its value: `m` a map (keys are data, kept as they are), `l` a list or
 * set of scalars, `["1", shape]` a block Terraform holds as a one-element list (Pulumi flattens it to
 * an object), `["L", shape]` a list or set of blocks, `["o", shape]` a single object. A missing
 * shape is a block without non-scalar fields; a string `@N` stands for `defs[N]`.
 */
export type FieldShape = "m" | "l" | readonly [BlockKind, (ObjectShape | string)?];
export type BlockKind = "1" | "L" | "o";

/** The non-scalar fields of a Terraform schema (or block), plus `#x`: Pulumi name -> Terraform name. */
export type ObjectShape = Readonly<Record<string, unknown>>;

export interface TerraformMap {
    readonly sources: Readonly<Record<string, Readonly<Record<string, string>>>>;
    /** Whether a provider's shapes list every non-scalar field (`aws`) or only lists and sets (`gcp`). */
    readonly complete: Readonly<Record<string, string>>;
    /** Pulumi type token -> Terraform resource type. */
    readonly types: Readonly<Record<string, string>>;
    /** Terraform resource type -> its shape. */
    readonly shapes: Readonly<Record<string, ObjectShape>>;
    readonly defs: readonly ObjectShape[];
}

export const TERRAFORM_MAP_FILE = path.join(__dirname, "data", "pulumi-terraform-map.json");

let loaded: TerraformMap | undefined;

/** The map shipped in data/ (read once). */
export function terraformMap(): TerraformMap {
    loaded ??= JSON.parse(readFileSync(TERRAFORM_MAP_FILE, "utf8")) as TerraformMap;
    return loaded;
}

/** `cidrIpv4` -> `cidr_ipv4`, `enableHttp2` -> `enable_http2`, `kmsKeyID` -> `kms_key_id`. */
export function snakeCase(name: string): string {
    return name
        .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
        .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
        .toLowerCase();
}

/** Singular forms Pulumi's pluralisation of a list name may have come from: `rules` -> `rule`, `policies` -> `policy`. */
function singulars(snake: string): string[] {
    const forms: string[] = [];
    if (snake.endsWith("ies")) {
        forms.push(`${snake.slice(0, -3)}y`);
    }
    if (snake.endsWith("es")) {
        forms.push(snake.slice(0, -2));
    }
    if (snake.endsWith("s")) {
        forms.push(snake.slice(0, -1));
    }
    return forms;
}

/** A field Pulumi may have given a plural name: a list, a set or a block (not a map). */
function isListLike(shape: unknown): boolean {
    return shape === "l" || Array.isArray(shape);
}

/**
 * The Terraform name of a Pulumi property within `shape`: the explicit rename (`#x`), else the
 * snake_case name, else (Pulumi pluralises list and block fields: `defaultActions` for
 * `default_action`, `aliases` for `alias`) the singular form that the shape lists as a list or block.
 */
export function terraformName(pulumiName: string, shape: ObjectShape | undefined): string {
    const renames = shape?.["#x"] as Readonly<Record<string, string>> | undefined;
    const renamed = renames?.[pulumiName];
    if (renamed) {
        return renamed;
    }
    const snake = snakeCase(pulumiName);
    if (!shape || snake in shape) {
        return snake;
    }
    return singulars(snake).find((s) => isListLike(shape[s])) ?? snake;
}

/** The shape of a field's content: the object shape of a block, with `@N` references followed. */
export function blockShape(field: FieldShape | undefined, map: TerraformMap): ObjectShape | undefined {
    if (!Array.isArray(field)) {
        return undefined;
    }
    const inner = field[1];
    if (typeof inner === "string") {
        const index = Number(inner.slice(1));
        const def = map.defs[index];
        if (!inner.startsWith("@") || def === undefined) {
            throw new Error(`pulumi-terraform-map.json: bad shape reference ${inner}`);
        }
        return def;
    }
    return inner ?? {};
}

/** The field shape of `name` in `shape` (undefined for a scalar, or a field the map does not list). */
export function fieldShape(shape: ObjectShape | undefined, name: string): FieldShape | undefined {
    const field = shape?.[name];
    return name === "#x" ? undefined : (field as FieldShape | undefined);
}
