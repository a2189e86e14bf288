/**
 * Reading what the engine stored: the raw checkpoint file of a `file://` backend (secrets as the
 * secrets provider encrypted them) beside `pulumi stack export --show-secrets` (the same document
 * with each secret decrypted), to say where a secret value is kept and that it is kept encrypted.
 */
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";

/** One resource of a deployment as the checkpoint and the export hold it. */
export interface StateResource {
    readonly urn: string;
    readonly type: string;
    readonly inputs?: Record<string, unknown>;
    readonly outputs?: Record<string, unknown>;
}

/** The resources of a raw checkpoint file (`{ checkpoint: { latest: ... } }`). */
export function checkpointResources(checkpoint: unknown): StateResource[] {
    const latest = (checkpoint as { checkpoint?: { latest?: { resources?: StateResource[] } } }).checkpoint?.latest;
    return latest?.resources ?? [];
}

/** The resources of `pulumi stack export` (`{ deployment: ... }`). */
export function exportedResources(exported: unknown): StateResource[] {
    return (exported as { deployment?: { resources?: StateResource[] } }).deployment?.resources ?? [];
}

function secretField(value: unknown, field: "ciphertext" | "plaintext"): string | undefined {
    if (value === null || typeof value !== "object") {
        return undefined;
    }
    const record = value as Record<string, unknown>;
    return record[specialSigKey] === specialSecretSig && typeof record[field] === "string"
        ? (record[field] as string)
        : undefined;
}

/** Where a value was found: `<type> inputs.<path>` or `<type> outputs.<path>`. */
export interface Location {
    readonly type: string;
    readonly urn: string;
    /** `inputs.password`, `outputs.secretString`, `outputs.aws.url`. */
    readonly path: string;
    /** True when the checkpoint holds it as ciphertext (inside a secret). */
    readonly encrypted: boolean;
}

/**
 * Every place of the decrypted export whose value contains `needle`, and whether the checkpoint
 * holds that place as ciphertext. A secret counts once (the whole secret), wherever inside it the
 * needle sits (e.g. the password inside a JSON credentials document).
 */
export function locate(checkpoint: unknown, exported: unknown, needle: string): Location[] {
    const raw = new Map(checkpointResources(checkpoint).map((r) => [r.urn, r]));
    const found: Location[] = [];
    const walk = (shown: unknown, stored: unknown, at: string, resource: StateResource) => {
        const plaintext = secretField(shown, "plaintext");
        if (plaintext !== undefined) {
            if (plaintext.includes(needle)) {
                const encrypted = secretField(stored, "ciphertext") !== undefined;
                found.push({ type: resource.type, urn: resource.urn, path: at, encrypted });
            }
            return;
        }
        if (typeof shown === "string") {
            if (shown.includes(needle)) {
                found.push({ type: resource.type, urn: resource.urn, path: at, encrypted: false });
            }
            return;
        }
        if (shown !== null && typeof shown === "object") {
            for (const [key, value] of Object.entries(shown)) {
                const next = Array.isArray(shown) ? `${at}[${key}]` : `${at}.${key}`;
                walk(value, (stored as Record<string, unknown> | undefined)?.[key], next, resource);
            }
        }
    };
    for (const resource of exportedResources(exported)) {
        const stored = raw.get(resource.urn);
        walk(resource.inputs ?? {}, stored?.inputs, "inputs", resource);
        walk(resource.outputs ?? {}, stored?.outputs, "outputs", resource);
    }
    return found;
}

/** Locations counted per `<type> <path>`, sorted: a literal, readable expectation for tests. */
export function countLocations(locations: readonly Location[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const l of [...locations].sort((a, b) => `${a.type} ${a.path}`.localeCompare(`${b.type} ${b.path}`))) {
        const key = `${l.type} ${l.path}`;
        counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
}
