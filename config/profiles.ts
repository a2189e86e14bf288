/**
 * The environment profiles: every environment a stack may be, with its address plan, its size and
 * its protections, in one table. A stack's `environment` (default: its stack name) must name one;
 * an unknown name is a config problem, never a silent fallback.
 */

/** How private subnets reach the internet (`aws.natGateways`). */
export const NAT_MODES = ["none", "instance", "single", "onePerAz"] as const;
export type NatMode = (typeof NAT_MODES)[number];

export interface EnvironmentProfile {
    /**
     * Production-like: deletion protection, final snapshots, changes in the maintenance window, no
     * force-destroy of data, 30-day secret recovery, no night-time shutdown (`aws.schedule`).
     */
    readonly productionLike: boolean;
    /** `aws.vpcCidr`: each environment its own block, so environments can be peered later. */
    readonly vpcCidr: string;
    /** `gcp.subnetCidr`. */
    readonly gcpSubnetCidr: string;
    /** `aws.azCount`. */
    readonly azCount: number;
    /** `aws.natGateways`. */
    readonly natGateways: NatMode;
    /** `aws.subnets.isolated`: the database in its own tier without any route out. */
    readonly isolatedSubnets: boolean;
    /** `aws.db.deletionProtection` and `gcp.db.deletionProtection`. */
    readonly deletionProtection: boolean;
    /** `aws.db.multiAz` and `gcp.db.highAvailability`: a standby in another zone. */
    readonly standbyDatabase: boolean;
    /** `aws.db.backupRetentionDays` and `gcp.db.backupRetentionDays`. */
    readonly backupRetentionDays: number;
    /** `aws.logRetentionDays` (a CloudWatch Logs period). */
    readonly logRetentionDays: number;
}

export const ENVIRONMENT_PROFILES = {
    /** Disposable and cheap: one NAT instance, two subnet tiers, no protections. */
    dev: {
        productionLike: false,
        vpcCidr: "10.0.0.0/16",
        gcpSubnetCidr: "10.10.0.0/20",
        azCount: 2,
        natGateways: "instance",
        isolatedSubnets: false,
        deletionProtection: false,
        standbyDatabase: false,
        backupRetentionDays: 7,
        logRetentionDays: 30,
    },
    /** The showcase: production-like protections at a small size. */
    demo: {
        productionLike: true,
        vpcCidr: "10.1.0.0/16",
        gcpSubnetCidr: "10.11.0.0/20",
        azCount: 2,
        natGateways: "onePerAz",
        isolatedSubnets: true,
        deletionProtection: true,
        standbyDatabase: true,
        backupRetentionDays: 7,
        logRetentionDays: 365,
    },
    /** Production's shape at a lower cost: one NAT gateway, no database standby; a year of logs. */
    staging: {
        productionLike: true,
        vpcCidr: "10.2.0.0/16",
        gcpSubnetCidr: "10.12.0.0/20",
        azCount: 2,
        natGateways: "single",
        isolatedSubnets: true,
        deletionProtection: true,
        standbyDatabase: false,
        backupRetentionDays: 7,
        logRetentionDays: 365,
    },
    /** Three zones, a NAT gateway per zone, a database standby, a month of backups. */
    prod: {
        productionLike: true,
        vpcCidr: "10.3.0.0/16",
        gcpSubnetCidr: "10.13.0.0/20",
        azCount: 3,
        natGateways: "onePerAz",
        isolatedSubnets: true,
        deletionProtection: true,
        standbyDatabase: true,
        backupRetentionDays: 30,
        logRetentionDays: 365,
    },
} as const satisfies Record<string, EnvironmentProfile>;

export type EnvironmentName = keyof typeof ENVIRONMENT_PROFILES;

/** The profile names, in table order. */
export const ENVIRONMENTS = Object.keys(ENVIRONMENT_PROFILES) as readonly EnvironmentName[];

export function isEnvironmentName(name: unknown): name is EnvironmentName {
    return typeof name === "string" && Object.prototype.hasOwnProperty.call(ENVIRONMENT_PROFILES, name);
}

/**
 * The profile of `environment`. An unknown name (refused by the schema with a problem at
 * `environment`) gets prod's profile, so code that runs before validation errs on the safe side.
 */
export function environmentProfile(environment: string): EnvironmentProfile {
    return isEnvironmentName(environment) ? ENVIRONMENT_PROFILES[environment] : ENVIRONMENT_PROFILES.prod;
}
