import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { alertPolicy, anyInFiveMinutes } from "../alerts";
import type { GcpFeature } from "./types";

/** One CIS Google Cloud logging-and-monitoring control: a log-based metric and an alert on it. */
export interface GcpCisControl {
    /** Resource name suffix and metric name suffix, e.g. `firewall-changes`. */
    readonly role: string;
    /** The alert's title. */
    readonly displayName: string;
    /** What the alert means, for whoever is paged. */
    readonly documentation: string;
    /** The Cloud Logging filter over the project's audit logs. */
    readonly filter: string;
}

/** The controls (CIS Google Cloud Platform Foundation Benchmark, "Logging and Monitoring"). */
export const GCP_CIS_CONTROLS: readonly GcpCisControl[] = [
    {
        role: "iam-policy-changes",
        displayName: "CIS: project IAM policy changed",
        documentation:
            "A binding of the project's IAM policy was added or removed (who did it: the Admin Activity audit log).",
        filter: 'protoPayload.serviceName="cloudresourcemanager.googleapis.com" AND protoPayload.methodName="SetIamPolicy" AND protoPayload.serviceData.policyDelta.bindingDeltas.action=("ADD" OR "REMOVE")',
    },
    {
        role: "audit-config-changes",
        displayName: "CIS: audit logging configuration changed",
        documentation: "The project's audit log configuration changed (a Data Access log may have been turned off).",
        filter: 'protoPayload.methodName="SetIamPolicy" AND protoPayload.serviceData.policyDelta.auditConfigDeltas:*',
    },
    {
        role: "custom-role-changes",
        displayName: "CIS: custom IAM role changed",
        documentation: "A custom IAM role was created, changed or deleted.",
        filter: 'resource.type="iam_role" AND (protoPayload.methodName="google.iam.admin.v1.CreateRole" OR protoPayload.methodName="google.iam.admin.v1.DeleteRole" OR protoPayload.methodName="google.iam.admin.v1.UpdateRole")',
    },
    {
        role: "firewall-changes",
        displayName: "CIS: VPC firewall rule changed",
        documentation: "A VPC firewall rule was created, changed or deleted.",
        filter: 'resource.type="gce_firewall_rule" AND (protoPayload.methodName:"compute.firewalls.patch" OR protoPayload.methodName:"compute.firewalls.insert" OR protoPayload.methodName:"compute.firewalls.delete")',
    },
    {
        role: "sql-config-changes",
        displayName: "CIS: Cloud SQL instance configuration changed",
        documentation: "A Cloud SQL instance's configuration was changed.",
        filter: 'protoPayload.methodName="cloudsql.instances.update"',
    },
];

export interface GcpGovernanceArgs {
    /** Prefixes the metric names, e.g. `webapp-prod` -> `webapp-prod-cis-firewall-changes`. */
    prefix: string;
    /** The ops notification channels (`Alerts.channelIds`). */
    notificationChannels: pulumi.Input<string>[];
}

/**
 * `features.governance` on GCP: a log-based metric per CIS logging-and-monitoring control over the
 * project's Admin Activity audit logs (always on, free), and an alert policy on each that notifies
 * the ops channel as soon as one entry matches.
 */
export class GcpGovernance extends pulumi.ComponentResource {
    constructor(name: string, args: GcpGovernanceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:gcp:Governance", name, {}, opts);
        for (const control of GCP_CIS_CONTROLS) {
            const metric = new gcp.logging.Metric(
                `${name}-${control.role}`,
                {
                    name: `${args.prefix}-cis-${control.role}`,
                    description: control.displayName,
                    filter: control.filter,
                    metricDescriptor: { metricKind: "DELTA", valueType: "INT64", unit: "1" },
                },
                { parent: this },
            );
            alertPolicy(
                name,
                anyInFiveMinutes({
                    role: `${control.role}-alert`,
                    displayName: control.displayName,
                    documentation: control.documentation,
                    // Audit entries carry the resource they concern: the metric is watched over all of them.
                    filter: pulumi.interpolate`metric.type = "logging.googleapis.com/user/${metric.name}"`,
                }),
                args.notificationChannels,
                this,
            );
        }
        this.registerOutputs({});
    }
}

/** `features.governance` on GCP. */
export const GCP_GOVERNANCE: GcpFeature = {
    build: (ctx, platform) => {
        new GcpGovernance(
            ctx.name("governance"),
            { prefix: ctx.names.prefix, notificationChannels: platform.alerts.channelIds },
            ctx.tierOpts,
        );
    },
};
