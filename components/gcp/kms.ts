import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { computeServiceAgent, daysAsDuration, serviceAccountMember, type GcpProject } from "./project";

/** What each of the platform's customer-managed keys protects. */
export const KEY_PURPOSES = ["disk", "sql", "storage", "secrets"] as const;
export type KeyPurpose = (typeof KEY_PURPOSES)[number];

/** The role a service agent needs to use a key for CMEK. */
export const ENCRYPTER_DECRYPTER_ROLE = "roles/cloudkms.cryptoKeyEncrypterDecrypter";

/**
 * How long destroyed key versions wait before they are gone for good (Google's default, stated):
 * time to notice and restore a key whose data is still needed.
 */
export const KEY_DESTROY_SCHEDULED_DURATION = daysAsDuration(30);

/** The Cloud KMS rotation period for a number of days (at least one), e.g. 90 -> `7776000s`. */
export function rotationPeriod(days: number): string {
    return daysAsDuration(days);
}

export interface CryptoKeyArgs {
    /** The key ring's id. */
    keyRing: pulumi.Input<string>;
    /** Days between automatic rotations. */
    rotationDays: number;
}

/**
 * One symmetric software key with automatic rotation and the stated destroy delay. Used by `Kms`
 * for the four platform keys and by tiers that own a key of their own.
 */
export function cryptoKey(name: string, args: CryptoKeyArgs, opts: pulumi.CustomResourceOptions): gcp.kms.CryptoKey {
    return new gcp.kms.CryptoKey(
        name,
        {
            keyRing: args.keyRing,
            purpose: "ENCRYPT_DECRYPT",
            versionTemplate: { algorithm: "GOOGLE_SYMMETRIC_ENCRYPTION", protectionLevel: "SOFTWARE" },
            rotationPeriod: rotationPeriod(args.rotationDays),
            destroyScheduledDuration: KEY_DESTROY_SCHEDULED_DURATION,
        },
        opts,
    );
}

export interface KmsArgs {
    /** The project (its number names the service agents) and region (where the keys live). */
    project: GcpProject;
    /** Automatic rotation period in days. Default from `gcp.kmsRotationDays`: 90. */
    rotationDays: number;
}

/**
 * The platform's four customer-managed keys in one regional key ring (compute disks, Cloud SQL,
 * Cloud Storage, Secret Manager), each usable only by the Google service agent that encrypts with
 * it. A key per service limits the blast radius and lets each be rotated or disabled on its own.
 * Key rings and keys cannot be deleted in GCP: destroy removes the key versions after
 * `KEY_DESTROY_SCHEDULED_DURATION`, and auto-naming lets a new stack start with fresh names.
 */
export class Kms extends pulumi.ComponentResource {
    public readonly keyRing: gcp.kms.KeyRing;
    /** The keys by purpose. */
    public readonly keys: Readonly<Record<KeyPurpose, gcp.kms.CryptoKey>>;
    /** Key ids (`projects/.../cryptoKeys/...`) by purpose: what CMEK settings take. */
    public readonly keyIds: Readonly<Record<KeyPurpose, pulumi.Output<string>>>;
    /** The service agent (IAM member) that uses each key. */
    public readonly serviceAgents: Readonly<Record<KeyPurpose, pulumi.Output<string>>>;
    /**
     * Each agent's permission on its key. A resource encrypted with a key must be created after
     * this grant (the service checks it on create): put it in the resource's `dependsOn`.
     */
    public readonly agentGrants: Readonly<Record<KeyPurpose, gcp.kms.CryptoKeyIAMMember>>;
    private readonly baseName: string;

    constructor(name: string, args: KmsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:gcp:Kms", name, {}, opts);
        this.baseName = name;

        this.keyRing = new gcp.kms.KeyRing(`${name}-ring`, { location: args.project.region }, { parent: this });
        const make = (purpose: KeyPurpose) =>
            cryptoKey(
                `${name}-${purpose}`,
                { keyRing: this.keyRing.id, rotationDays: args.rotationDays },
                { parent: this },
            );
        this.keys = { disk: make("disk"), sql: make("sql"), storage: make("storage"), secrets: make("secrets") };
        this.keyIds = {
            disk: this.keys.disk.id,
            sql: this.keys.sql.id,
            storage: this.keys.storage.id,
            secrets: this.keys.secrets.id,
        };

        // Cloud SQL's and Secret Manager's agents exist only once asked for; Cloud Storage's is
        // created by the lookup that names it.
        const identity = (service: string, role: string) =>
            new gcp.projects.ServiceIdentity(`${name}-${role}-agent`, { service }, { parent: this }).member;
        const storageAgent = gcp.storage.getProjectServiceAccountOutput(
            { project: args.project.projectId },
            { parent: this },
        );
        this.serviceAgents = {
            disk: pulumi.output(args.project.number).apply((n) => serviceAccountMember(computeServiceAgent(n))),
            sql: identity("sqladmin.googleapis.com", "sql"),
            storage: storageAgent.member,
            secrets: identity("secretmanager.googleapis.com", "secrets"),
        };
        const grant = (purpose: KeyPurpose) => this.grantUse(purpose, "agent", this.serviceAgents[purpose]);
        this.agentGrants = {
            disk: grant("disk"),
            sql: grant("sql"),
            storage: grant("storage"),
            secrets: grant("secrets"),
        };

        this.registerOutputs({ keyRingId: this.keyRing.id, keyIds: this.keyIds, serviceAgents: this.serviceAgents });
    }

    /**
     * Lets `member` (an IAM member string such as `serviceAccount:...`) encrypt and decrypt with one
     * key, and nothing else. `role` names the binding: `${name}-<purpose>-<role>`.
     */
    grantUse(purpose: KeyPurpose, role: string, member: pulumi.Input<string>): gcp.kms.CryptoKeyIAMMember {
        return new gcp.kms.CryptoKeyIAMMember(
            `${this.baseName}-${purpose}-${role}`,
            { cryptoKeyId: this.keyIds[purpose], role: ENCRYPTER_DECRYPTER_ROLE, member },
            { parent: this },
        );
    }
}
