/**
 * The GCP project the provider deploys into, and the naming rules of the Google-managed service
 * agents that act in it.
 */
import type * as pulumi from "@pulumi/pulumi";

export interface GcpProject {
    /** Project id, e.g. `my-project-123`. From `gcp.project`. */
    readonly projectId: string;
    /** Project number (from `gcp.organizations.getProjectOutput`): service agents are named after it. */
    readonly number: pulumi.Input<string>;
    /** From `gcp.region`. */
    readonly region: string;
}

/** An IAM member string for a service account e-mail address. */
export function serviceAccountMember(email: string): string {
    return `serviceAccount:${email}`;
}

/**
 * The Compute Engine service agent, which encrypts and decrypts persistent disks with a CMEK key
 * (it exists once the Compute Engine API is enabled).
 */
export function computeServiceAgent(projectNumber: string): string {
    return `service-${projectNumber}@compute-system.iam.gserviceaccount.com`;
}

/** Whole days as the duration string Google APIs take, e.g. 7 -> `604800s`. */
export function daysAsDuration(days: number): string {
    if (!Number.isInteger(days) || days < 1) {
        throw new RangeError(`daysAsDuration: ${days} is not a whole number of days >= 1`);
    }
    return `${days * 86400}s`;
}

/**
 * The id (the part before `@`) of one of the stack's service accounts: `<environment>-<role>`, e.g.
 * `dev-app-vm`. Service account ids are 6-30 characters (`[a-z][a-z0-9-]*[a-z0-9]`) and unique in
 * the project, and Pulumi's auto-naming does not fit every environment name in 30, so they are
 * named after the environment (unique per project) and the account's role.
 */
export function serviceAccountId(environment: string, role: string): string {
    const id = `${environment}-${role}`;
    if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(id)) {
        throw new RangeError(`serviceAccountId: ${JSON.stringify(id)} is not a 6-30 character service account id`);
    }
    return id;
}
