/**
 * The switch for rules that the program does not meet yet. A rule listed here is advisory: it
 * reports without blocking `pulumi preview`/`up` or the offline plan. Once the components comply,
 * delete its entry and the rule is mandatory. Each entry says what the rule flags in the dev and
 * demo stacks today; a test fails when a listed rule no longer flags anything there, so an entry
 * cannot outlive its reason.
 */
import type { EnforcementLevel } from "./types";

// Empty: the log-group key, default security group and access-logging rules, the last ones
// listed, became mandatory once dev and demo met them.

export const ADVISORY_UNTIL_COMPLIANT: Readonly<Record<string, string>> = {};

/** A rule's level: advisory while it is listed in ADVISORY_UNTIL_COMPLIANT, mandatory after. */
export function enforcement(rule: string): EnforcementLevel {
    return rule in ADVISORY_UNTIL_COMPLIANT ? "advisory" : "mandatory";
}
