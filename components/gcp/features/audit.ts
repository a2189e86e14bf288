import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { apiRole } from "../apis";
import type { GcpFeature } from "./types";

/**
 * The services whose Data Access audit logs are turned on: those that hold or guard the
 * platform's data (who read a secret, used a key, read or wrote an object or the database's
 * settings, published or pulled a message). Admin Activity logs are always on and need nothing.
 */
export const AUDITED_SERVICES: readonly string[] = [
    "secretmanager.googleapis.com",
    "cloudkms.googleapis.com",
    "storage.googleapis.com",
    "sqladmin.googleapis.com",
    "pubsub.googleapis.com",
];

/** Every Data Access log type: reads of metadata and configuration, reads and writes of data. */
export const DATA_ACCESS_LOG_TYPES: readonly string[] = ["ADMIN_READ", "DATA_READ", "DATA_WRITE"];

export interface AuditArgs {
    /** The project whose audit config is set (`gcp.project`). */
    projectId: string;
    /** Services to audit. Default: `AUDITED_SERVICES`. */
    services?: readonly string[];
}

/**
 * Cloud Audit Logs beyond the default (`features.auditLogs`): Data Access logs (admin reads, data
 * reads and writes) for the services that hold the platform's data. The logs go to the project's
 * `_Default` bucket (30 days); they are billed by volume (KMS and Storage are the chatty ones).
 * Each service's audit config is authoritative: it replaces one set elsewhere for that service.
 */
export class Audit extends pulumi.ComponentResource {
    public readonly services: readonly string[];

    constructor(name: string, args: AuditArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:gcp:Audit", name, {}, opts);
        this.services = [...(args.services ?? AUDITED_SERVICES)];
        for (const service of this.services) {
            new gcp.projects.IAMAuditConfig(
                `${name}-${apiRole(service)}`,
                {
                    project: args.projectId,
                    service,
                    auditLogConfigs: DATA_ACCESS_LOG_TYPES.map((logType) => ({ logType })),
                },
                { parent: this },
            );
        }
        this.registerOutputs({ services: this.services });
    }
}

/** `features.auditLogs` on GCP: Data Access audit logs of the data services. */
export const GCP_AUDIT: GcpFeature = {
    build: (ctx) => {
        new Audit(ctx.name("audit"), { projectId: ctx.project.projectId }, ctx.tierOpts);
    },
};
