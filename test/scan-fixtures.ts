/** Plan documents for the IaC scan's tests: resources registered with one explicit AWS provider. */
import type { PlanDocumentResource } from "../tools/scan/render";

export const TEST_PROVIDER = "urn:pulumi:t::p::pulumi:providers:aws::t-aws";

/** The stack's AWS provider in `region`, with default tags. */
export function awsProvider(region: string, defaultTags?: Record<string, string>): PlanDocumentResource {
    return {
        urn: TEST_PROVIDER,
        type: "pulumi:providers:aws",
        name: "t-aws",
        kind: "provider",
        provider: null,
        inputs: { region, ...(defaultTags ? { defaultTags: JSON.stringify({ tags: defaultTags }) } : {}) },
    };
}

/** A custom resource of the document, registered with the test provider. */
export function planResource(
    type: string,
    name: string,
    inputs: Record<string, unknown>,
    propertyDependencies: Record<string, string[]> = {},
): PlanDocumentResource {
    return {
        urn: `urn:pulumi:t::p::${type}::${name}`,
        type,
        name,
        kind: "resource",
        provider: TEST_PROVIDER,
        inputs,
        propertyDependencies,
    };
}
