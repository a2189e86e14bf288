/**
 * The AWS compute seam: what the load balancer, the other tiers and the stack outputs need from
 * the application backend (an Auto Scaling group today), and what a compute implementation
 * provides to be picked by `aws.compute` (the table in `./index.ts`).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { Cache } from "../cache";
import type { AwsContext } from "../context";
import type { Database } from "../database";
import type { Statement, AwsAccount } from "../iam";
import type { Kms, KeyPurpose } from "../kms";
import type { AlarmDefinition, Widget } from "../monitoring";
import type { Network } from "../network";
import type { Secrets } from "../secrets";
import type { Storage } from "../storage";
import type { TargetType } from "./loadBalancer";

/**
 * The topic the application publishes user-registration events to. Optional for the application
 * tier: without it the backend gets no publish permission and no topic in its environment.
 */
export interface RegistrationTopic {
    readonly topicArn: pulumi.Output<string>;
    /** IAM statements that let a role publish to the topic (and use its key). */
    publishStatements(): Statement[];
}

/** The backend's part of the dashboard and alarms (the `Monitoring` tier creates them). */
export interface AwsBackendMonitoring {
    /** Widgets placed after the load balancer's (values may be Outputs, e.g. a group name). */
    readonly widgets: ReadonlyArray<Widget<pulumi.Input<string>>>;
    /** Alarms besides the load balancer's, each named `<monitoring>-<role>`, notifying the ops topic. */
    readonly alarms: readonly AlarmDefinition[];
}

/** What the rest of the platform needs from the application backend. */
export interface AwsAppBackend<O = object> {
    /**
     * The backend's security group: the load balancer sends to it, the database admits it. The
     * backend itself admits the app port from the load balancer's group only.
     */
    readonly securityGroupId: pulumi.Output<string>;
    readonly monitoring: AwsBackendMonitoring;
    /** What the stack exports about the backend (merged into the `aws` output). */
    readonly outputs: O;
}

/** What a backend is built from: the tiers built before it. */
export interface AwsBackendDeps {
    /** The `Compute` tier component: the backend's resources are its children, named `<tier>-<role>`. */
    readonly tier: pulumi.Resource;
    readonly network: Pick<Network, "networkId" | "privateSubnetIds">;
    /**
     * The load balancer's security group (the app port comes from it only), target group, and the
     * listener that forwards to it (a backend registering its own targets waits for it).
     */
    readonly loadBalancer: {
        securityGroupId: pulumi.Output<string>;
        targetGroupArn: pulumi.Output<string>;
        httpsListener: pulumi.Resource;
    };
    readonly kms: Pick<Kms, "keyArns" | "useStatements">;
    /** The database secret the backend reads (and the Mailgun one, for implementations that need it). */
    readonly secrets: Pick<Secrets, "databaseSecretId" | "mailgunSecretId" | "readStatements">;
    /**
     * The database's security group and engine (its port); the connection document's version id
     * (Fargate's tasks restart with a new one); the RDS-managed credentials secret and the
     * statements to read it. No backend waits for the connection document itself: the instances'
     * boot script polls for it (`SECRET_RETRY`), ECS retries a task whose secrets it cannot read.
     */
    readonly database: Pick<
        Database,
        "securityGroupId" | "engine" | "credentialsVersionId" | "credentialsSecretArn" | "credentialsReadStatements"
    >;
    readonly storage: Pick<Storage, "bucketName" | "readWriteStatements">;
    readonly registrationTopic?: RegistrationTopic;
    /**
     * The cache (`features.cache`): its endpoint is in the connection document, its AUTH token in
     * the secret these statements read. The cache tier grants the backend's group itself.
     */
    readonly cache?: Pick<Cache, "authSecretArn" | "authReadStatements">;
}

/** One value of `aws.compute`: how to build that kind of backend. */
export interface AwsComputeImplementation<O = object> {
    /**
     * What the backend's members are called (`instances`, `tasks`): descriptions, and the names of
     * the rules other tiers add for it (the database's `<database>-from-<label>`).
     */
    readonly label: string;
    /** How the load balancer's target group registers this backend's targets. */
    readonly targetType: TargetType;
    /**
     * Statements the platform keys' policies must hold for this backend, by key (the keys exist
     * before the backend): e.g. the Auto Scaling service-linked role on the EBS key.
     */
    keyPolicyStatements(account: AwsAccount): Partial<Record<KeyPurpose, Statement[]>>;
    /**
     * Builds the backend: its resources as children of `deps.tier`, named `<name>-<role>` (`name`
     * is the tier's), its arguments from `ctx.config` (its own keys) and the tiers in `deps`.
     */
    build(ctx: AwsContext, name: string, deps: AwsBackendDeps): AwsAppBackend<O>;
}
