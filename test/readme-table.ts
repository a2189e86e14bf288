/**
 * README's config table, read and compared with the schema key by key, default by default.
 *
 * The table is the first one under `## Configuration`, with the columns `key | default | rule`,
 * one row per schema key (`schemaKeys()`), in any order. The default cell is one of:
 * - `` `80` `` (then any explanation): the default of every environment; the text in backticks is
 *   read as YAML (`[aws, gcp]` is a list, `true` a boolean), `<stack>` stands for the stack name
 *   and `<a.key>` for that key's own default (`noreply@<mailgun.domain>`);
 * - `` dev `10.0.0.0/16`, demo `10.1.0.0/16`, staging `10.2.0.0/16`, prod `10.3.0.0/16` ``: per
 *   environment profile (`config/profiles.ts`), naming every profile;
 * - `none ...`: no default (the key is optional);
 * - `required ...`: no default, and a config without it is refused with `<key>: is required`.
 */
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { ConfigError, ENVIRONMENTS, parseConfig, schemaKeys } from "../config";

export interface ReadmeRow {
    /** 1-based line number in README.md. */
    readonly line: number;
    readonly key: string;
    readonly defaultCell: string;
}

/** The environments checked: every profile (a stack's environment must be one). */
function environments(): string[] {
    return [...ENVIRONMENTS];
}

/** The rows of the config table. */
export function readmeConfigRows(readme: string): ReadmeRow[] {
    const lines = readme.split("\n");
    const start = lines.findIndex((l) => l.trim() === "## Configuration");
    if (start < 0) {
        throw new Error("README.md has no '## Configuration' section");
    }
    const header = lines.findIndex((l, i) => i > start && /^\|\s*key\s*\|\s*default\s*\|\s*rule\s*\|/.test(l));
    if (header < 0) {
        throw new Error("README.md's Configuration section has no '| key | default | rule |' table");
    }
    const rows: ReadmeRow[] = [];
    for (let i = header + 2; i < lines.length && lines[i].startsWith("|"); i++) {
        const cells = splitRow(lines[i]);
        const key = /^`([^`]+)`$/.exec(cells[0] ?? "")?.[1] ?? `(not one key in backticks: ${cells[0]})`;
        rows.push({ line: i + 1, key, defaultCell: cells[1] ?? "" });
    }
    return rows;
}

/** The cells of a table row (a `|` inside backticks does not split). */
function splitRow(line: string): string[] {
    const cells: string[] = [];
    let cell = "";
    let code = false;
    for (const c of line.trim().replace(/^\||\|$/g, "")) {
        if (c === "`") {
            code = !code;
        }
        if (c === "|" && !code) {
            cells.push(cell.trim());
            cell = "";
        } else {
            cell += c;
        }
    }
    cells.push(cell.trim());
    return cells;
}

/** The smallest config that parses in every environment (both clouds, so gcp.project counts as required). */
function base(): Record<string, unknown> {
    return {
        domainName: "api.example.org",
        clouds: ["aws", "gcp"],
        gcp: { project: "example-project-1" },
        mailgun: { apiKey: pulumi.secret("key-readme-table") },
    };
}

/** Keys `base()` sets only so the config parses: their defaults are read from a config without them. */
const SET_BY_BASE = new Set(["domainName", "clouds", "gcp.project", "mailgun.apiKey"]);

function valueAt(obj: unknown, key: string): unknown {
    return key
        .split(".")
        .reduce<unknown>((o, k) => (o === null || typeof o !== "object" ? undefined : (o as never)[k]), obj);
}

function withoutKey(raw: Record<string, unknown>, key: string): Record<string, unknown> {
    const copy = structuredCloneKeepingOutputs(raw) as Record<string, unknown>;
    const parts = key.split(".");
    const parent = parts
        .slice(0, -1)
        .reduce<Record<string, unknown> | undefined>((o, k) => o?.[k] as Record<string, unknown> | undefined, copy);
    if (parent) {
        delete parent[parts[parts.length - 1]];
    }
    return copy;
}

function structuredCloneKeepingOutputs(value: unknown): unknown {
    if (value === null || typeof value !== "object" || pulumi.Output.isInstance(value)) {
        return value;
    }
    if (Array.isArray(value)) {
        return value.map(structuredCloneKeepingOutputs);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, structuredCloneKeepingOutputs(v)]));
}

const parsed = new Map<string, unknown>();

/** `base()` without `omit`, parsed for `environment` (memoized: building the schema is not free). */
function parsedWithout(omit: string | undefined, environment: string): unknown {
    const cacheKey = `${omit ?? ""}|${environment}`;
    if (!parsed.has(cacheKey)) {
        try {
            parsed.set(cacheKey, parseConfig(omit === undefined ? base() : withoutKey(base(), omit), environment));
        } catch (error) {
            if (!(error instanceof ConfigError)) {
                throw error;
            }
            parsed.set(cacheKey, error);
        }
    }
    return parsed.get(cacheKey);
}

/** The schema's default of `key` in `environment`: the parsed value of a config that does not set it. */
function schemaDefault(key: string, environment: string): unknown {
    const result = parsedWithout(SET_BY_BASE.has(key) ? key : undefined, environment);
    return result instanceof ConfigError ? { refused: result.problems.map((p) => p.message) } : valueAt(result, key);
}

function isRequired(key: string): boolean {
    const result = parsedWithout(key, "dev");
    return result instanceof ConfigError && result.problems.some((p) => p.message.startsWith(`${key}: is required`));
}

function same(a: unknown, b: unknown): boolean {
    return JSON.stringify(a) === JSON.stringify(b);
}

/** A default as the table writes it: `10.0.0.0/16`, `[aws, gcp]`, `true`. */
export function tableValue(value: unknown): string {
    if (Array.isArray(value)) {
        return `[${value.map(tableValue).join(", ")}]`;
    }
    return String(value);
}

/** The text in backticks, read as YAML, with `<stack>` and `<a.key>` replaced. */
function cellValue(text: string, environment: string): unknown {
    const substituted = text.replace(/<([A-Za-z.]+)>/g, (_, key: string) =>
        key === "stack" ? environment : String(schemaDefault(key, environment)),
    );
    return parse(substituted);
}

/** Every mismatch between the table and the schema, one sentence each; empty when they agree. */
export function readmeConfigProblems(rows: readonly ReadmeRow[]): string[] {
    const problems: string[] = [];
    const keys = schemaKeys();
    const known = new Set(keys);
    const seen = new Map<string, number>();
    for (const row of rows) {
        const where = `README.md:${row.line}, row \`${row.key}\``;
        if (!known.has(row.key)) {
            problems.push(`${where}: not a schema key (remove the row, or fix the key's spelling)`);
            continue;
        }
        if (seen.has(row.key)) {
            problems.push(`${where}: the key has a row already (line ${seen.get(row.key)}); keep one`);
            continue;
        }
        seen.set(row.key, row.line);
        problems.push(...checkDefault(row, where));
    }
    for (const key of keys.filter((k) => !seen.has(k))) {
        problems.push(`README.md config table: no row for \`${key}\`; add one: ${suggestedRow(key)}`);
    }
    return problems;
}

/** The row to add for a key, with its default written as the table wants it. */
export function suggestedRow(key: string): string {
    return `| \`${key}\` | ${expectedCell(key)} | <what it does and its rule> |`;
}

function expectedCell(key: string): string {
    if (isRequired(key)) {
        return "required";
    }
    const envs = environments();
    const values = envs.map((e) => schemaDefault(key, e));
    if (values.every((v) => v === undefined)) {
        return "none";
    }
    if (values.every((v) => same(v, values[0]))) {
        return `\`${tableValue(values[0])}\``;
    }
    if (values.every((v, i) => v === envs[i])) {
        return "`<stack>`";
    }
    return envs.map((e, i) => `${e} \`${tableValue(values[i])}\``).join(", ");
}

function checkDefault(row: ReadmeRow, where: string): string[] {
    const cell = row.defaultCell;
    const expected = expectedCell(row.key);
    const fix = `write ${expected}`;
    if (/^required\b/.test(cell)) {
        return isRequired(row.key) ? [] : [`${where}: says required, but the schema does not require it; ${fix}`];
    }
    if (isRequired(row.key)) {
        return [`${where}: the schema requires this key (no default); write required`];
    }
    if (/^none\b/.test(cell)) {
        const values = environments().map((e) => schemaDefault(row.key, e));
        return values.every((v) => v === undefined)
            ? []
            : [`${where}: says none, but the schema has a default; ${fix}`];
    }
    const perEnvironment = /^([a-z][a-z0-9-]*) `([^`]*)`(?:, ([a-z][a-z0-9-]*) `([^`]*)`)*/.exec(cell);
    if (perEnvironment) {
        const named = new Map(
            [...perEnvironment[0].matchAll(/([a-z][a-z0-9-]*) `([^`]*)`/g)].map((m) => [m[1], m[2]] as const),
        );
        const unknown = [...named.keys()].filter((e) => !environments().includes(e));
        if (unknown.length > 0) {
            return [`${where}: ${unknown.join(", ")} is not an environment profile; ${fix}`];
        }
        const missing = environments().filter((e) => !named.has(e));
        if (missing.length > 0) {
            return [`${where}: a per-environment default names every profile, not ${missing.join(", ")}; ${fix}`];
        }
        const wrong = environments()
            .map((environment) => {
                const text = named.get(environment)!;
                const actual = schemaDefault(row.key, environment);
                return same(cellValue(text, environment), actual)
                    ? undefined
                    : `${environment} \`${text}\` but the schema's is \`${tableValue(actual)}\``;
            })
            .filter((w): w is string => w !== undefined);
        return wrong.length === 0 ? [] : [`${where}: default ${wrong.join("; ")}; ${fix}`];
    }
    const single = /^`([^`]*)`/.exec(cell);
    if (single) {
        const wrong = environments().filter((e) => !same(cellValue(single[1], e), schemaDefault(row.key, e)));
        const some = wrong.length < environments().length ? ` in ${wrong.join(", ")}` : "";
        return wrong.length === 0 ? [] : [`${where}: default \`${single[1]}\` is not the schema's${some}; ${fix}`];
    }
    return [`${where}: the default cell must start with \`value\`, "<env> \`value\`, ...", none or required; ${fix}`];
}
