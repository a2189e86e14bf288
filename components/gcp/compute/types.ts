/**
 * The GCP compute seam: what the load balancer, the other tiers and the stack outputs need from
 * the application backend (a managed instance group today), and what a compute implementation
 * provides to be picked by `gcp.compute` (the table in `./index.ts`).
 */
import type * as gcp from "@pulumi/gcp";
import type * as pulumi from "@pulumi/pulumi";
import type { GcpContext } from "../context";
import type { Cache } from "../cache";
import type { Database } from "../database";
import type { Kms } from "../kms";
import type { GcpBackendMonitoring } from "../monitoring";
import type { Network } from "../network";
import type { Secrets } from "../secrets";
import type { Storage } from "../storage";

/** The registration topic as the backend needs it: its id for the environment, and a publish grant. */
export interface GcpRegistrationTopic {
    readonly topicId: pulumi.Output<string>;
    grantPublish(role: string, member: pulumi.Input<string>): pulumi.Resource;
}

/**
 * What the load balancer's backend service sends traffic to, and how: the backends (an instance
 * group; a serverless NEG for Cloud Run) and the settings that depend on their kind.
 */
export interface LoadBalancerTarget {
    /** The backend service's description, e.g. `webapp instances`. */
    readonly description: string;
    readonly backends: pulumi.Input<Array<pulumi.Input<gcp.types.input.compute.BackendServiceBackend>>>;
    /** The health check the load balancer uses (instance groups; serverless NEGs have none). */
    readonly healthCheck?: pulumi.Input<string>;
    /** The instance group's named port (instance groups only). */
    readonly portName?: string;
    /** Seconds to wait for a backend's answer (not for serverless NEGs). */
    readonly timeoutSec?: number;
    /** Seconds a removed backend keeps serving in-flight requests (not for serverless NEGs). */
    readonly connectionDrainingTimeoutSec?: number;
}

/** What the rest of the platform needs from the application backend. */
export interface GcpAppBackend<O = object> {
    readonly target: LoadBalancerTarget;
    /** The identity the application runs as (it holds the grants on secrets, bucket and topic). */
    readonly serviceAccountEmail: pulumi.Output<string>;
    readonly monitoring: GcpBackendMonitoring;
    /** What the stack exports about the backend (merged into the `gcp` output). */
    readonly outputs: O;
}

/** What a backend is built from: the tiers built before it. */
export interface GcpBackendDeps {
    /** The `Compute` tier component: the backend's resources are its children, named `<tier>-<role>`. */
    readonly tier: pulumi.Resource;
    readonly network: Pick<Network, "subnetSelfLink" | "instanceTag">;
    readonly kms: Pick<Kms, "keyIds" | "agentGrants" | "keyRing">;
    readonly secrets: Pick<Secrets, "databaseSecretId" | "passwordSecretId" | "grantRead">;
    /**
     * The database's address and port (Cloud Run's env values), its connection name and IAM
     * login (`gcp.db.iamAuth`). No backend waits for the connection document's version: the
     * instances' startup script polls the secret's `latest` version (`SECRET_RETRY`).
     */
    readonly database: Pick<Database, "host" | "port" | "connectionName" | "iamUser" | "grantIamLogin">;
    readonly storage: Pick<Storage, "bucketName" | "grantReadWrite">;
    readonly registrationTopic?: GcpRegistrationTopic;
    /**
     * The cache (`features.cache`): its address, port and CA reach the application as values, its
     * AUTH string by reference to its secret, which the backend's account is granted to read.
     */
    readonly cache?: GcpBackendCache;
}

/** What a backend needs from the cache. */
export type GcpBackendCache = Pick<Cache, "host" | "port" | "caCertificate" | "authSecretId" | "grantAuthRead">;

/** One value of `gcp.compute`: how to build that kind of backend. */
export interface GcpComputeImplementation<O = object> {
    /** What the backend's members are called (`instances`): descriptions and grant names. */
    readonly label: string;
    /** The role part of its service account's id, `<environment>-<accountRole>` (e.g. `app-vm`). */
    readonly accountRole: string;
    /**
     * Builds the backend: its resources as children of `deps.tier`, named `<name>-<role>` (`name`
     * is the tier's), its arguments from `ctx.config` (its own keys) and the tiers in `deps`.
     */
    build(ctx: GcpContext, name: string, deps: GcpBackendDeps): GcpAppBackend<O>;
}
