/**
 * The GCP disaster-recovery region (`gcp.dr.region`): where a copy of what the platform cannot
 * rebuild lives, encrypted with keys of its own.
 *
 * - The database: a cross-region read replica of the Cloud SQL instance in the DR region
 *   (`Database`'s `replica`), encrypted with the DR key ring's Cloud SQL key.
 * - The application bucket: a configurable dual-region of `gcp.region` and the DR region with
 *   turbo replication (`Storage`'s `placement`), encrypted with a key in the multi-region that
 *   holds both (Cloud Storage requires a dual-region bucket's key there).
 *
 * GCP resources take their region as an argument, so the DR pieces use the stack's provider with
 * the DR region (or the multi-region) set on each, not a second provider.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { gcpMultiRegion } from "../../config/regions";
import { cryptoKey, ENCRYPTER_DECRYPTER_ROLE, type Kms } from "./kms";

/** Cloud KMS's name for each Cloud Storage multi-region (cloud.google.com/kms/docs/locations). */
export const KMS_MULTI_REGION = { US: "us", EU: "europe", ASIA: "asia" } as const;

/** Where the application bucket lives with a DR region: a configurable dual-region. */
export interface DualRegionPlacement {
    /** The bucket's location: the multi-region of the pair (`US`, `EU`, `ASIA`). */
    readonly location: string;
    /** The two regions that hold the data, upper-case as Cloud Storage reports them. */
    readonly dataLocations: readonly [string, string];
    /** The Cloud KMS location of the bucket's key: the same multi-region as Cloud KMS names it (`us`, `europe`, `asia`). */
    readonly keyLocation: string;
    /** Turbo replication: every object in both regions within 15 minutes (the default is within 12 hours). */
    readonly rpo: "ASYNC_TURBO";
    /** The bucket's key and the Cloud Storage agent's grant on it. */
    readonly keyId: pulumi.Input<string>;
    readonly keyGrant: pulumi.Resource;
}

/** The dual-region of `primary` and `dr` (pure); throws when they share no multi-region (the schema refuses that). */
export function dualRegionLocation(
    primary: string,
    dr: string,
): Pick<DualRegionPlacement, "location" | "dataLocations" | "keyLocation" | "rpo"> {
    const group = gcpMultiRegion(primary);
    if (group === undefined || gcpMultiRegion(dr) !== group || primary === dr) {
        throw new Error(`dualRegionLocation: ${primary} and ${dr} form no configurable dual-region`);
    }
    return {
        location: group,
        dataLocations: [primary.toUpperCase(), dr.toUpperCase()],
        keyLocation: KMS_MULTI_REGION[group],
        rpo: "ASYNC_TURBO",
    };
}

export interface DrKmsArgs {
    /** The primary region (`gcp.region`): with `region` it names the dual-region. */
    primaryRegion: string;
    /** The DR region (`gcp.dr.region`): the replica's key ring. */
    region: string;
    /** Days between automatic rotations. Default from `gcp.kmsRotationDays`: 90. */
    rotationDays: number;
    /** The platform keys' service agents: Cloud SQL's and Cloud Storage's use the DR keys too. */
    serviceAgents: Pick<Kms["serviceAgents"], "sql" | "storage">;
}

/**
 * The DR keys: a key ring in the DR region with the replica's Cloud SQL key, and a key ring in
 * the multi-region of the pair with the dual-region bucket's key; each usable only by the service
 * agent that encrypts with it, rotated like the platform keys.
 */
export class DrKms extends pulumi.ComponentResource {
    /** The key ring in the DR region. */
    public readonly keyRing: gcp.kms.KeyRing;
    /** The key ring in the pair's multi-region (Cloud KMS's `us`, `europe` or `asia`). */
    public readonly bucketKeyRing: gcp.kms.KeyRing;
    /** The replica's key (in the DR region) and the bucket's key (in the multi-region). */
    public readonly keyIds: Readonly<{ sql: pulumi.Output<string>; storage: pulumi.Output<string> }>;
    /** Each agent's grant on its key: what the encrypted resource must wait for. */
    public readonly agentGrants: Readonly<{ sql: gcp.kms.CryptoKeyIAMMember; storage: gcp.kms.CryptoKeyIAMMember }>;
    /** The bucket's placement, with its key. */
    public readonly placement: DualRegionPlacement;

    constructor(name: string, args: DrKmsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:gcp:DrKms", name, {}, opts);
        const where = dualRegionLocation(args.primaryRegion, args.region);

        this.keyRing = new gcp.kms.KeyRing(`${name}-ring`, { location: args.region }, { parent: this });
        this.bucketKeyRing = new gcp.kms.KeyRing(
            `${name}-bucket-ring`,
            { location: where.keyLocation },
            { parent: this },
        );
        const sql = cryptoKey(
            `${name}-sql`,
            { keyRing: this.keyRing.id, rotationDays: args.rotationDays },
            { parent: this },
        );
        const storage = cryptoKey(
            `${name}-storage`,
            { keyRing: this.bucketKeyRing.id, rotationDays: args.rotationDays },
            { parent: this },
        );
        const grant = (purpose: "sql" | "storage", key: gcp.kms.CryptoKey) =>
            new gcp.kms.CryptoKeyIAMMember(
                `${name}-${purpose}-agent`,
                { cryptoKeyId: key.id, role: ENCRYPTER_DECRYPTER_ROLE, member: args.serviceAgents[purpose] },
                { parent: this },
            );
        this.keyIds = { sql: sql.id, storage: storage.id };
        this.agentGrants = { sql: grant("sql", sql), storage: grant("storage", storage) };
        this.placement = { ...where, keyId: storage.id, keyGrant: this.agentGrants.storage };

        this.registerOutputs({
            keyRingId: this.keyRing.id,
            bucketKeyRingId: this.bucketKeyRing.id,
            keyIds: this.keyIds,
        });
    }
}
