/**
 * The known region name shapes of both clouds, in one place. A name is checked by its geography
 * prefix and direction, not against a closed list, so a new region in a known geography passes
 * (`us-south2`) while a made-up one does not (`mars-east1`, `xx-east-1`).
 *
 * Sources, checked 2026-12-01:
 * - AWS: "AWS Regions" in the AWS General Reference / Global Infrastructure guide
 *   (docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html), and the `Region`
 *   enum of @pulumi/aws 7.48.0 (node_modules/@pulumi/aws/types/enums), which adds the isolated and
 *   sovereign partitions (`us-iso-east-1`, `eu-isoe-west-1`, `eusc-de-east-1`).
 * - Google Cloud: "Regions and zones" of Compute Engine (cloud.google.com/compute/docs/regions-zones)
 *   and "Geography and regions" (cloud.google.com/docs/geography-and-regions).
 */

/** The directions both clouds use inside region names. */
export const REGION_DIRECTIONS = [
    "central",
    "east",
    "north",
    "northeast",
    "northwest",
    "south",
    "southeast",
    "southwest",
    "west",
] as const;

/** AWS region prefixes: the part before `-<direction>-<n>` (`ap` in `ap-southeast-2`, `us-gov` in `us-gov-west-1`). */
export const AWS_REGION_PREFIXES = [
    "af",
    "ap",
    "ca",
    "cn",
    "eu",
    "il",
    "me",
    "mx",
    "sa",
    "us",
    "us-gov",
    "us-iso",
    "us-isob",
    "us-isof",
    "eu-isoe",
    "eusc-de",
] as const;

/** Google Cloud region prefixes: the part before `-<direction><n>` (`europe` in `europe-west4`). */
export const GCP_REGION_PREFIXES = [
    "africa",
    "asia",
    "australia",
    "europe",
    "me",
    "northamerica",
    "southamerica",
    "us",
] as const;

const directions = REGION_DIRECTIONS.join("|");

/** An AWS region name (`us-east-1`, `us-gov-west-1`). */
export const AWS_REGION_PATTERN = new RegExp(`^(${AWS_REGION_PREFIXES.join("|")})-(${directions})-[1-9]\\d?$`);

/** A Google Cloud region name (`us-east1`, `europe-west12`). */
export const GCP_REGION_PATTERN = new RegExp(`^(${GCP_REGION_PREFIXES.join("|")})-(${directions})[1-9]\\d?$`);

/** A Google Cloud zone name: a region and a letter (`us-east1-b`). */
export const GCP_ZONE_PATTERN = new RegExp(`^(${GCP_REGION_PREFIXES.join("|")})-(${directions})[1-9]\\d?-[a-z]$`);

/** The region of a Google Cloud zone: `us-east1-b` -> `us-east1`. */
export function gcpZoneRegion(zone: string): string {
    return zone.slice(0, zone.lastIndexOf("-"));
}

/**
 * The Cloud Storage multi-region each Google Cloud geography belongs to: a configurable
 * dual-region bucket pairs two regions of one of them (Cloud Storage "Bucket locations",
 * cloud.google.com/storage/docs/locations, checked 2026-12-02). Other geographies have no
 * configurable dual-region.
 */
export const GCP_DUAL_REGION_GROUPS: Readonly<Record<string, "US" | "EU" | "ASIA">> = {
    us: "US",
    northamerica: "US",
    europe: "EU",
    asia: "ASIA",
};

/** The multi-region (`US`, `EU`, `ASIA`) of a Google Cloud region, or undefined: `us-west1` -> `US`. */
export function gcpMultiRegion(region: string): "US" | "EU" | "ASIA" | undefined {
    return GCP_DUAL_REGION_GROUPS[region.slice(0, region.indexOf("-"))];
}

/**
 * Why `dr` cannot be the DR region of `primary` (the text after the key), or undefined: it must
 * differ, and the two must form a configurable dual-region for the application bucket.
 */
export function gcpDrRegionProblem(primary: string, dr: string): string | undefined {
    if (dr === primary) {
        return "must differ from gcp.region: the DR region stands in for it";
    }
    const group = gcpMultiRegion(primary);
    if (group === undefined || gcpMultiRegion(dr) !== group) {
        return (
            `must be in the same Cloud Storage multi-region as gcp.region (${primary}): the application ` +
            "bucket becomes a dual-region of the two (US: us-*, northamerica-*; EU: europe-*; ASIA: asia-*)"
        );
    }
    return undefined;
}
