/**
 * Reading resource properties safely. During `pulumi preview` a value computed from another
 * resource (a key ARN, a bucket id) is not known yet and arrives as a sentinel string; a rule
 * treats such a value as "set" (it comes from somewhere) but never as a specific value.
 */
import type { Props, ResourceCheck, RuleOptions, StackResource } from "./types";

/** The engine's stand-ins for values not known until the update runs (one per value kind). */
const UNKNOWN_SENTINELS: ReadonlySet<unknown> = new Set([
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58",
    "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

export function isUnknown(value: unknown): boolean {
    return UNKNOWN_SENTINELS.has(value);
}

/** Set: present and not empty. An unknown value counts as set. */
export function isSet(value: unknown): boolean {
    return value !== undefined && value !== null && value !== "";
}

/** Explicitly true (the AWS provider types some flags as the strings "true"/"false"). Unknown counts as true. */
export function isTrue(value: unknown): boolean {
    return value === true || value === "true" || isUnknown(value);
}

/** Explicitly true (an unknown value is not). For flags that must not be on. */
export function isOn(value: unknown): boolean {
    return value === true || value === "true";
}

/** Explicitly false. */
export function isFalse(value: unknown): boolean {
    return value === false || value === "false";
}

/** A nested object property, or undefined. */
export function obj(value: unknown): Props | undefined {
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Props) : undefined;
}

/** A list property (absent or unknown lists are empty). */
export function list(value: unknown): unknown[] {
    return Array.isArray(value) ? value : [];
}

/** The string values of a list property. */
export function strings(value: unknown): string[] {
    return list(value).filter((v): v is string => typeof v === "string");
}

/** A known number (numbers may arrive as strings), or undefined. */
export function num(value: unknown): number | undefined {
    if (typeof value === "number") {
        return value;
    }
    if (typeof value === "string" && /^\d+(\.\d+)?$/.test(value)) {
        return Number(value);
    }
    return undefined;
}

/** The whole IPv4 or IPv6 internet. */
export function isWholeInternet(cidr: unknown): boolean {
    return cidr === "0.0.0.0/0" || cidr === "::/0";
}

/** One check function per resource type; other types are not applicable. */
export function byType(
    checks: Readonly<Record<string, (props: Props, options: RuleOptions) => string[]>>,
): ResourceCheck {
    return (type, props, options) => checks[type]?.(props, options) ?? [];
}

/** The problems that were found: each argument is a message or `false` (no problem). */
export function problems(...found: Array<string | false | undefined>): string[] {
    return found.filter((p): p is string => typeof p === "string");
}

/** Resources of `types` whose `property` refers to `target` (by dependency or by value). */
export function referrers(
    resources: readonly StackResource[],
    types: readonly string[],
    property: string,
    target: StackResource,
    targetValues: readonly unknown[] = [],
): StackResource[] {
    const values = targetValues.filter((v) => typeof v === "string" && v !== "");
    return resources.filter(
        (r) =>
            types.includes(r.type) &&
            ((r.propertyDependencies[property] ?? []).includes(target.urn) || values.includes(r.props[property])),
    );
}
