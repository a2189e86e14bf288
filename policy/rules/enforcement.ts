/**
 * The switch for rules that the program does not meet yet. A rule listed here is advisory: it
 * reports without blocking `pulumi preview`/`up` or the offline plan. Once the components comply,
 * delete its entry and the rule is mandatory. Each entry says what the rule flags in the dev and
 * demo stacks today; a test fails when a listed rule no longer flags anything there, so an entry
 * cannot outlive its reason.
 */
import type { EnforcementLevel } from "./types";

export const ADVISORY_UNTIL_COMPLIANT: Readonly<Record<string, string>> = {
    "log-groups-encrypted-with-cmk":
        "dev and demo: the five log groups (flow logs, application, the two database logs, the e-mail function) " +
        "use CloudWatch's own encryption",
    "default-security-group-closed":
        "dev and demo: the VPC's default security group is not managed, so it keeps AWS's default rules",
    "access-logging-outside-dev":
        "demo: the S3 application bucket and the load balancer have no access logs, the GCS application and " +
        "function-source buckets no usage logs",
};

/** A rule's level: advisory while it is listed in ADVISORY_UNTIL_COMPLIANT, mandatory after. */
export function enforcement(rule: string): EnforcementLevel {
    return rule in ADVISORY_UNTIL_COMPLIANT ? "advisory" : "mandatory";
}
