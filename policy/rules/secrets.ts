/**
 * No secret value in plain inputs. A secret may sit only where a secret belongs (a secret version,
 * a database password); anywhere else (user data, environment variables, tags, names, outputs) it
 * ends up readable in state, consoles and logs.
 *
 * Two callers, two ways of knowing what is secret:
 * - the offline plan sees Pulumi's secret markers, so it flags any string that contains a known
 *   secret value without being marked secret (`secretLeaks` with marked leaves);
 * - the policy pack under `pulumi preview` does not: the policy SDK unwraps secrets before a rule
 *   sees the properties. It takes the values found at the secret-bearing properties
 *   (`SECRET_SINKS`) as the secrets and flags them anywhere else. A secret that never passes
 *   through one of those properties (or is not known yet during preview, like a generated
 *   password) is invisible to it.
 */
import { gunzipSync } from "node:zlib";
import { AWS, GCP, RANDOM } from "./tokens";
import type { StackResource, StackRule, StackViolation } from "./types";
import { isUnknown } from "./values";

/**
 * The properties that are meant to carry secret values, per resource type; list indexes are left
 * out (`origins.customHeaders.value` is every origin's every custom header value).
 */
export const SECRET_SINKS: Readonly<Record<string, readonly string[]>> = {
    [AWS.secretVersion]: ["secretString", "secretBinary"],
    // The CDN's origin header value: CloudFront sends it, the load balancer's rule requires it.
    [AWS.cloudFrontDistribution]: ["origins.customHeaders.value"],
    [AWS.listenerRule]: ["conditions.httpHeader.values"],
    [AWS.rdsInstance]: ["password"],
    [AWS.cacheReplicationGroup]: ["authToken"],
    // Memorystore generates the AUTH string: the instance holds it (an output), its secret version keeps it.
    [GCP.redisInstance]: ["authString"],
    [GCP.secretVersion]: ["secretData"],
    [GCP.sqlUser]: ["password"],
    [GCP.sqlInstance]: ["rootPassword"],
    [RANDOM.password]: ["result", "bcryptHash"],
};

/** Shorter strings are too likely to occur by chance (`true`, `mysql`, a port). */
export const MIN_SECRET_LENGTH = 8;

/** A string somewhere inside a resource's properties. */
export interface Leaf {
    /** Dotted property path, e.g. `environment.variables.API_KEY` or `ingress[0].description`. */
    readonly path: string;
    readonly value: string;
    /** Whether the value may hold a secret here (marked secret, or at a secret-bearing property). */
    readonly secret: boolean;
}

export interface LeafResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly leaves: readonly Leaf[];
}

/** Recognises a secret-marked value and returns what it wraps (the offline plan's markers). */
export type SecretUnwrapper = (value: unknown) => { readonly value: unknown } | undefined;

/**
 * Every string inside a value, with its path and whether it sits inside a secret marker. Object keys
 * count too (a secret used as a map key leaks as well); their path says `<key>` so that a report
 * never repeats the value.
 */
export function stringLeaves(value: unknown, unwrapSecret?: SecretUnwrapper, path = "", inSecret = false): Leaf[] {
    const wrapped = unwrapSecret?.(value);
    if (wrapped) {
        return stringLeaves(wrapped.value, unwrapSecret, path, true);
    }
    if (typeof value === "string") {
        return [{ path, value, secret: inSecret }, ...decodedLeaves(value, path, inSecret)];
    }
    if (Array.isArray(value)) {
        return value.flatMap((item, i) => stringLeaves(item, unwrapSecret, `${path}[${i}]`, inSecret));
    }
    if (value !== null && typeof value === "object") {
        const prefix = path ? `${path}.` : "";
        return Object.entries(value).flatMap(([key, item]) => [
            { path: `${prefix}<key>`, value: key, secret: inSecret },
            ...stringLeaves(item, unwrapSecret, `${prefix}${key}`, inSecret),
        ]);
    }
    return [];
}

/** Shorter base64 strings decode to a few bytes, too few to hold a secret worth finding. */
const MIN_BASE64_LENGTH = 16;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The text a string decodes to when it is base64 (of UTF-8 text, or of gzip-compressed text), else undefined. */
export function base64Text(value: string): { readonly text: string; readonly gzip: boolean } | undefined {
    const compact = value.replace(/\s+/g, "");
    if (compact.length < MIN_BASE64_LENGTH || compact.length % 4 !== 0 || !BASE64.test(compact)) {
        return undefined;
    }
    let bytes = Buffer.from(compact, "base64");
    let gzip = false;
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
        try {
            bytes = gunzipSync(bytes);
            gzip = true;
        } catch {
            return undefined;
        }
    }
    const text = bytes.toString("utf8");
    // Text only: valid UTF-8 (no replacement characters) without control characters other than whitespace.
    return /[\uFFFD\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(text) ? undefined : { text, gzip };
}

/**
 * The leaf that a base64 value decodes to (EC2 user data is base64, often of gzip): a secret
 * inside it is as readable as in plain text. Its path ends in `<base64>` (or `<base64+gzip>`).
 */
function decodedLeaves(value: string, path: string, inSecret: boolean): Leaf[] {
    const decoded = base64Text(value);
    if (!decoded) {
        return [];
    }
    const suffix = decoded.gzip ? "<base64+gzip>" : "<base64>";
    return [{ path: path ? `${path}.${suffix}` : suffix, value: decoded.text, secret: inSecret }];
}

/** Whether `path` is (or lies inside) one of the type's secret-bearing properties. */
export function isSinkPath(type: string, path: string): boolean {
    const bare = path.replace(/\[\d+\]/g, "");
    return (SECRET_SINKS[type] ?? []).some(
        (sink) => bare === sink || bare.startsWith(`${sink}.`),
    );
}

/**
 * Strings that contain one of `secrets` at a place not allowed to hold a secret. Messages name the
 * place, never the value.
 */
export function secretLeaks(resources: readonly LeafResource[], secrets: Iterable<string>): StackViolation[] {
    const needles = [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET_LENGTH && !isUnknown(s));
    if (needles.length === 0) {
        return [];
    }
    return resources.flatMap((r) =>
        r.leaves
            .filter((leaf) => !leaf.secret && needles.some((needle) => leaf.value.includes(needle)))
            .map((leaf) => ({ urn: r.urn, message: `${r.name}: ${leaf.path} holds a secret value in plain text` })),
    );
}

/** The resources' string leaves, where the secret-bearing properties count as secret. */
export function sinkLeaves(
    resources: readonly Pick<StackResource, "urn" | "type" | "name" | "props">[],
): LeafResource[] {
    return resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        leaves: stringLeaves(r.props).map((leaf) => ({
            ...leaf,
            secret: leaf.secret || isSinkPath(r.type, leaf.path),
        })),
    }));
}

export const noPlaintextSecrets: StackRule = {
    kind: "stack",
    name: "no-plaintext-secrets",
    description: "Secret values (passwords, API keys) appear only in secret-bearing properties, never in plain inputs.",
    enforcementLevel: "mandatory",
    remediation:
        "Keep secrets as secret Outputs and pass them only to secret versions and database passwords; " +
        "instances and functions read them at runtime.",
    check: (resources) => {
        const leaves = sinkLeaves(resources);
        const secrets = leaves.flatMap((r) => r.leaves.filter((l) => l.secret).map((l) => l.value));
        return secretLeaks(leaves, secrets);
    },
};
