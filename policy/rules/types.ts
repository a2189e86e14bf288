/**
 * The shapes every rule works on. Rules are plain functions over these, so the policy pack
 * (`pulumi preview --policy-pack policy`), the offline plan and the unit tests all call the same code.
 */

/** Resource properties as a rule reads them: plain JSON-like values, secrets already unwrapped. */
export type Props = Readonly<Record<string, unknown>>;

/** `mandatory` blocks a deployment (and fails the offline plan); `advisory` only reports. */
export type EnforcementLevel = "mandatory" | "advisory";

/** What a rule needs to know about the stack besides the resource itself. */
export interface RuleOptions {
    /** The stack's environment (`environment` config, e.g. `dev` or `demo`). Everything but `dev` is treated as production. */
    readonly environment: string;
    /** Longest allowed automatic rotation period of an AWS KMS key, in days (`aws.kmsRotationDays`). Default 90. */
    readonly awsKmsRotationDays: number;
    /** Longest allowed automatic rotation period of a Cloud KMS key, in days (`gcp.kmsRotationDays`). Default 90. */
    readonly gcpKmsRotationDays: number;
}

/** Used when nothing says otherwise: production rules and the config defaults. */
export const DEFAULT_RULE_OPTIONS: RuleOptions = {
    environment: "production",
    awsKmsRotationDays: 90,
    gcpKmsRotationDays: 90,
};

/** A resource as a stack rule sees it: its properties and how it is wired to the others (by URN). */
export interface StackResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    /** The parent's URN, if any. */
    readonly parent?: string;
    readonly props: Props;
    readonly dependencies: readonly string[];
    /** Per property, the URNs of the resources its value comes from. */
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
}

/** Checks one resource; returns one message per problem (none when compliant or not applicable). */
export type ResourceCheck = (type: string, props: Props, options: RuleOptions) => string[];

export interface StackViolation {
    readonly message: string;
    /** The offending resource; absent when the stack as a whole is at fault. */
    readonly urn?: string;
}

/** Checks the whole stack (rules that relate resources to each other). */
export type StackCheck = (resources: readonly StackResource[], options: RuleOptions) => StackViolation[];

interface RuleInfo {
    /** Stable kebab-case name, used in reports and in policy pack config. */
    readonly name: string;
    readonly description: string;
    readonly enforcementLevel: EnforcementLevel;
    /** What to change when the rule fires. */
    readonly remediation: string;
}

export interface ResourceRule extends RuleInfo {
    readonly kind: "resource";
    readonly check: ResourceCheck;
}

export interface StackRule extends RuleInfo {
    readonly kind: "stack";
    readonly check: StackCheck;
}

export type Rule = ResourceRule | StackRule;

/** One finding, as the offline plan reports it. */
export interface Violation {
    readonly policy: string;
    readonly enforcementLevel: EnforcementLevel;
    readonly message: string;
    readonly urn?: string;
    readonly type?: string;
    readonly name?: string;
}
