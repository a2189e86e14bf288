/** Shared pieces of the GCP tests: a gcp-only stack config and lookups in a recorded run. */
import { expect } from "chai";
import type { InfraConfig } from "../../config";
import type { OfflineRun, RecordedResource } from "../../tools/offline/run";
import { merge, stackConfig } from "../support";

export const TEST_PROJECT = "my-project-123";

/** The dev stack on GCP only, plus overrides. */
export function gcpOnly(overrides: Record<string, unknown> = {}): InfraConfig {
    return stackConfig("dev", merge({ clouds: ["gcp"], gcp: { project: TEST_PROJECT } }, overrides));
}

/** Asserts that `resource` depends on `dependency` (through an input or `dependsOn`). */
export function expectDependsOn(resource: RecordedResource, dependency: RecordedResource): void {
    expect(resource.dependencies, `${resource.name} should depend on ${dependency.name}`).to.include(dependency.urn);
}

/** The URN of the explicit GCP provider of a run (there must be exactly one). */
export function gcpProviderUrn(run: OfflineRun): string {
    return run.one("pulumi:providers:gcp").urn;
}
