/**
 * The config keys the schema declares, read from the schema itself (so docs, tests and spelling
 * hints cannot drift from it): every leaf, in `--path` syntax, e.g. `aws.db.engineVersion`.
 * Lists (`clouds`, `aws.allowedAccountIds`) are leaves.
 */
import type { z } from "zod";
import { formatPath } from "./paths";
import { configSchema } from "./schema";

type Node = z.core.$ZodType;

function def(node: Node): z.core.$ZodTypeDef & Record<string, unknown> {
    return node._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
}

/** The object shape inside defaults, optionals, pipes (preprocess / transform), or undefined. */
function shapeOf(node: Node): Record<string, Node> | undefined {
    let current: Node | undefined = node;
    for (let depth = 0; current !== undefined && depth < 10; depth++) {
        const d = def(current);
        switch (d.type) {
            case "object":
                return d.shape as Record<string, Node>;
            case "default":
            case "prefault":
            case "optional":
            case "nullable":
            case "readonly":
                current = d.innerType as Node;
                break;
            case "pipe": {
                const input = d.in as Node;
                current = def(input).type === "transform" ? (d.out as Node) : input;
                break;
            }
            default:
                return undefined;
        }
    }
    return undefined;
}

/** Every leaf key of the schema, in declaration order. */
export function schemaKeys(environment = "dev"): string[] {
    const keys: string[] = [];
    const walk = (node: Node, path: string[]) => {
        const shape = shapeOf(node);
        if (shape === undefined) {
            keys.push(formatPath(path));
            return;
        }
        for (const [key, child] of Object.entries(shape)) {
            walk(child, [...path, key]);
        }
    };
    walk(configSchema(environment) as unknown as Node, []);
    return keys;
}

/** The keys directly under `path` (`[]` for the top level), or undefined when `path` is not an object. */
export function childKeys(path: readonly string[], environment = "dev"): string[] | undefined {
    let node: Node | undefined = configSchema(environment) as unknown as Node;
    for (const key of path) {
        node = shapeOf(node)?.[key];
        if (node === undefined) {
            return undefined;
        }
    }
    const shape = shapeOf(node);
    return shape && Object.keys(shape);
}

/** The edit distance between two words (insertions, deletions, substitutions). */
export function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(
                previous[j] + 1,
                current[j - 1] + 1,
                previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
            );
        }
        previous = current;
    }
    return previous[b.length];
}

/** The candidate closest to `word` when it is a likely misspelling (same letters ignoring case, or 1-2 edits). */
export function closestKey(word: string, candidates: readonly string[]): string | undefined {
    const limit = word.length <= 4 ? 1 : 2;
    let best: { key: string; distance: number } | undefined;
    for (const key of candidates) {
        const distance = key.toLowerCase() === word.toLowerCase() ? 0 : editDistance(word, key);
        if (distance <= limit && (best === undefined || distance < best.distance)) {
            best = { key, distance };
        }
    }
    return best?.key;
}
