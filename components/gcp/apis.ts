import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/**
 * The Google APIs the data tiers call: VPC, NAT and firewall (compute), private services access
 * (servicenetworking), Cloud SQL (sqladmin), keys (cloudkms), Secret Manager and Cloud Storage.
 * `serviceusage` and `cloudresourcemanager`, which enabling these needs, are on in every new project.
 */
export const DATA_TIER_APIS: readonly string[] = [
    "compute.googleapis.com",
    "servicenetworking.googleapis.com",
    "sqladmin.googleapis.com",
    "cloudkms.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
];

/**
 * The APIs the application tier adds: the load balancer and instances (compute, already above),
 * Certificate Manager, Pub/Sub, the function (Cloud Functions, Cloud Run, Cloud Build, Artifact
 * Registry), service accounts (IAM), and logs, metrics, dashboards and alerts.
 */
export const APP_TIER_APIS: readonly string[] = [
    "certificatemanager.googleapis.com",
    "pubsub.googleapis.com",
    "cloudfunctions.googleapis.com",
    "run.googleapis.com",
    "cloudbuild.googleapis.com",
    "artifactregistry.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
];

/** Cloud DNS, used only when the stack runs on GCP alone (otherwise Route 53 holds the records). */
export const CLOUD_DNS_API = "dns.googleapis.com";

/** The part of an API name used in resource names: `sqladmin.googleapis.com` -> `sqladmin`. */
export function apiRole(api: string): string {
    return api.split(".")[0];
}

export interface ApisArgs {
    /**
     * APIs to enable, e.g. `sqladmin.googleapis.com`. From the builder: `DATA_TIER_APIS` and
     * `APP_TIER_APIS`, plus `CLOUD_DNS_API` on GCP alone.
     */
    apis: readonly string[];
}

/**
 * Enables the APIs the platform uses, so a fresh project deploys in one `pulumi up`. The tiers
 * depend on this component. `pulumi destroy` leaves the APIs enabled (other stacks and tools in the
 * project may use them, and disabling one can cascade to its dependants).
 */
export class Apis extends pulumi.ComponentResource {
    /** The enabled services by API name. */
    public readonly services: Readonly<Record<string, gcp.projects.Service>>;

    constructor(name: string, args: ApisArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:gcp:Apis", name, {}, opts);
        this.services = Object.fromEntries(
            args.apis.map((api) => [
                api,
                new gcp.projects.Service(
                    `${name}-${apiRole(api)}`,
                    { service: api, disableOnDestroy: false, disableDependentServices: false },
                    { parent: this },
                ),
            ]),
        );
        this.registerOutputs({ services: Object.keys(this.services) });
    }
}
