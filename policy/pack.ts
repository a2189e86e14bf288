/**
 * Adapts the plain rules to CrossGuard policies: unwraps the SDK's property proxies, works out the
 * rule options (environment, rotation limits) and reports each message as a violation.
 */
import type {
    PolicyConfigSchema,
    PolicyProviderResource,
    PolicyResource,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import { DEFAULT_RULE_OPTIONS, RULES, type Props, type Rule, type RuleOptions, type StackResource } from "./rules";

/**
 * The SDK wraps properties in a proxy that throws when a rule reads a value unknown during preview.
 * The rules handle unknown values themselves (a computed reference counts as set), so they read the
 * object underneath; this key is how the SDK's proxy hands it out.
 */
const PROXY_TARGET = "__getSpecialProxyTarget";

/** The plain object behind a (possibly proxied) property bag. */
export function unwrapProps(props: unknown): Props {
    if (props === null || typeof props !== "object") {
        return {};
    }
    const target = (props as Record<string, unknown>)[PROXY_TARGET];
    return (target !== null && typeof target === "object" ? target : props) as Props;
}

/** Policy config (`--policy-pack-config`), per policy. Everything is optional. */
export interface PackConfig {
    /** Overrides the environment read from the provider's default tags/labels. */
    environment?: string;
    awsKmsRotationDays?: number;
    gcpKmsRotationDays?: number;
}

/** Which policies take which config keys. */
export const CONFIG_SCHEMAS: Readonly<Record<string, PolicyConfigSchema>> = {
    "key-rotation": {
        properties: {
            awsKmsRotationDays: { type: "integer", minimum: 90, maximum: 2560, default: 90 },
            gcpKmsRotationDays: { type: "integer", minimum: 1, default: 90 },
        },
    },
    "deletion-protection-outside-dev": {
        properties: {
            environment: {
                type: "string",
                description: "The stack's environment (default: the provider's `environment` tag).",
            },
        },
    },
};

/**
 * A provider property as an object. The provider SDKs send every non-string provider input to the
 * engine as JSON text (`defaultTags: "{\"tags\":{...}}"`), and that is what the analyzer sees.
 */
function providerObject(value: unknown): Props {
    if (typeof value === "string") {
        try {
            return unwrapProps(JSON.parse(value));
        } catch {
            return {};
        }
    }
    return unwrapProps(value);
}

/**
 * The stack's environment as the program stamped it on the provider: the AWS provider's default
 * tags or the GCP provider's default labels carry `environment`.
 */
export function providerEnvironment(provider: PolicyProviderResource | undefined): string | undefined {
    const props = unwrapProps(provider?.props);
    const tags = providerObject(providerObject(props.defaultTags).tags);
    const labels = providerObject(props.defaultLabels);
    const env = tags.environment ?? labels.environment;
    return typeof env === "string" && env !== "" ? env : undefined;
}

/** The rule options from policy config, falling back to the provider's tags and then to the defaults. */
export function ruleOptions(config: PackConfig, provider: PolicyProviderResource | undefined): RuleOptions {
    return {
        environment: config.environment ?? providerEnvironment(provider) ?? DEFAULT_RULE_OPTIONS.environment,
        awsKmsRotationDays: config.awsKmsRotationDays ?? DEFAULT_RULE_OPTIONS.awsKmsRotationDays,
        gcpKmsRotationDays: config.gcpKmsRotationDays ?? DEFAULT_RULE_OPTIONS.gcpKmsRotationDays,
    };
}

/** A stack resource as the rules see it. */
export function toStackResource(r: PolicyResource): StackResource {
    return {
        type: r.type,
        name: r.name,
        urn: r.urn,
        parent: r.parent?.urn,
        props: unwrapProps(r.props),
        dependencies: r.dependencies.map((d) => d.urn),
        propertyDependencies: Object.fromEntries(
            Object.entries(r.propertyDependencies).map(([key, deps]) => [key, deps.map((d) => d.urn)]),
        ),
    };
}

/** One CrossGuard policy for one rule. */
export function toPolicy(rule: Rule): ResourceValidationPolicy | StackValidationPolicy {
    const info = {
        name: rule.name,
        description: rule.description,
        enforcementLevel: rule.enforcementLevel,
        remediationSteps: rule.remediation,
        configSchema: CONFIG_SCHEMAS[rule.name],
    };
    if (rule.kind === "resource") {
        return {
            ...info,
            validateResource: (args, reportViolation) => {
                const options = ruleOptions(args.getConfig<PackConfig>(), args.provider);
                for (const message of rule.check(args.type, unwrapProps(args.props), options)) {
                    reportViolation(message);
                }
            },
        };
    }
    return {
        ...info,
        validateStack: (args, reportViolation) => {
            const provider = args.resources.find((r) => providerEnvironment(r.provider) !== undefined)?.provider;
            const options = ruleOptions(args.getConfig<PackConfig>(), provider);
            for (const v of rule.check(args.resources.map(toStackResource), options)) {
                reportViolation(v.message, v.urn);
            }
        },
    };
}

/** Every rule as a policy. */
export function packPolicies(): Array<ResourceValidationPolicy | StackValidationPolicy> {
    return RULES.map(toPolicy);
}
