/**
 * Helpers for the property values the mock monitor sees. Secrets arrive wrapped as
 * `{ [specialSigKey]: specialSecretSig, value }`, assets and archives with their own signatures.
 */
import { specialArchiveSig, specialAssetSig, specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";

/** The text that stands in for a secret value in anything the offline tools print or write. */
export const SECRET_PLACEHOLDER = "[secret]";

type Wrapped = { [specialSigKey]: string; value?: unknown };

function signature(value: unknown): string | undefined {
    return value !== null && typeof value === "object" && specialSigKey in value
        ? String((value as Wrapped)[specialSigKey])
        : undefined;
}

/** True for a secret-wrapped property value. */
export function isSecretValue(value: unknown): boolean {
    return signature(value) === specialSecretSig;
}

/** The value with every secret wrapper removed (what the provider would receive). */
export function reveal(value: unknown): unknown {
    return mapValue(value, (secret) => reveal(secret));
}

/** The value with every secret replaced by `[secret]` (what may be printed or written). */
export function redact(value: unknown): unknown {
    return mapValue(value, () => SECRET_PLACEHOLDER);
}

function mapValue(value: unknown, onSecret: (inner: unknown) => unknown): unknown {
    const sig = signature(value);
    if (sig === specialSecretSig) {
        return onSecret((value as Wrapped).value);
    }
    if (sig === specialAssetSig || sig === specialArchiveSig) {
        return describeAsset(value as Record<string, unknown>);
    }
    if (Array.isArray(value)) {
        return value.map((v) => mapValue(v, onSecret));
    }
    if (value !== null && typeof value === "object") {
        if (isPulumiAsset(value)) {
            return describeAsset(value as Record<string, unknown>);
        }
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapValue(v, onSecret)]));
    }
    return value;
}

function isPulumiAsset(value: object): boolean {
    const ctor = (value as { constructor?: { name?: string } }).constructor?.name ?? "";
    return /^(File|String|Remote)(Asset|Archive)$|^AssetArchive$/.test(ctor);
}

function describeAsset(value: Record<string, unknown>): Record<string, unknown> {
    const kind = String(value.constructor?.name ?? "Asset");
    const described: Record<string, unknown> = { asset: kind };
    for (const key of ["path", "uri"]) {
        if (typeof value[key] === "string") {
            described[key] = value[key];
        }
    }
    if (kind === "AssetArchive" && value.assets && typeof value.assets === "object") {
        described.assets = Object.keys(value.assets as object).sort();
    }
    return described;
}

/** Where a string occurs inside a value: the dotted property path and whether it sits in a secret. */
export interface Occurrence {
    readonly path: string;
    readonly inSecret: boolean;
}

/** Every place where `needle` occurs inside a string of `value`. */
export function findString(value: unknown, needle: string): Occurrence[] {
    const found: Occurrence[] = [];
    const walk = (v: unknown, path: string, inSecret: boolean): void => {
        if (isSecretValue(v)) {
            walk((v as Wrapped).value, path, true);
        } else if (typeof v === "string") {
            if (v.includes(needle)) {
                found.push({ path, inSecret });
            }
        } else if (Array.isArray(v)) {
            v.forEach((item, i) => walk(item, `${path}[${i}]`, inSecret));
        } else if (v !== null && typeof v === "object") {
            for (const [k, item] of Object.entries(v)) {
                walk(item, path ? `${path}.${k}` : k, inSecret);
            }
        }
    };
    walk(value, "", false);
    return found;
}
