/**
 * The config schema: every key, its default and its rule. Defaults that depend on the environment
 * (dev or demo) come from `environmentDefaults`, or from `isProduction` where dev differs from every
 * other environment; everything else is the same for every stack.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { featureProblems } from "../components/features";
import { ALB_MIN_SUBNET_PREFIX, awsSubnetPrefixes, cidrsOverlap, parseCidr } from "./cidr";
import { cloudRunProblems } from "./cloudRun";
import { drStandbyProblems, HOSTED_ZONE_ID } from "./drStandby";
import { ANY_ENGINE_VERSION, DATABASE_ENGINES, ENGINE_VERSIONS, engineVersionProblem } from "./database";
import { fargateProblems, FARGATE_ARCHITECTURES, WORKER_NAME } from "./fargate";
import { ENVIRONMENTS, environmentProfile, isEnvironmentName, NAT_MODES, type EnvironmentProfile } from "./profiles";
import { gcpDrRegionProblem, gcpZoneRegion } from "./regions";
import { cronProblem, isTimeZone } from "./schedule";
import {
    accountId,
    awsRegion,
    boolean,
    cidr,
    gcpRegion,
    gcpZone,
    integer,
    oneOf,
    patterns,
    REQUIRED,
    rule,
    text,
    version,
} from "./rules";

export const CLOUDS = ["aws", "gcp"] as const;
export type Cloud = (typeof CLOUDS)[number];

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** The DR region's VPC block: apart from every stack's primary VPC (10.0-10.x), so the two can be peered. */
export const DR_VPC_CIDR = "10.100.0.0/16";

/** The IAP TCP-forwarding range: SSH through `gcloud compute ssh --tunnel-through-iap` only. */
export const IAP_SSH_RANGE = "35.235.240.0/20";

/** Config paths whose values are secret: errors never print them. */
export const SECRET_PATHS: ReadonlySet<string> = new Set(["mailgun.apiKey"]);

const SET_MAILGUN_KEY = "pulumi config set --secret --path mailgun.apiKey <key>";

const SET_DOMAIN_NAME = "pulumi config set domainName <the API's DNS name, e.g. api.example.org>";

/**
 * Whether an environment gets production-like protections (deletion protection, final snapshots,
 * changes in the maintenance window, no force-destroy): its profile says (every profile but dev).
 */
export function isProduction(environment: string): boolean {
    return environmentProfile(environment).productionLike;
}

/** The defaults that differ between environments: the environment's profile (`config/profiles.ts`). */
export function environmentDefaults(environment: string): EnvironmentProfile {
    return environmentProfile(environment);
}

const SET_ENVIRONMENT = "pulumi config set environment <profile>";

/** The message of a standby key set without the other one. */
const STANDBY_BOTH = (other: string) =>
    `is required with ${other}: set both aws.dr.standby.dnsName and aws.dr.standby.zoneId, or neither`;

const OBJECT_EXPECTED = "must be an object of keys (set nested keys with pulumi config set --path)";

/** A nested group of keys: unknown keys are errors, and an absent group gets its defaults. */
function section<T extends z.core.$ZodLooseShape>(shape: T) {
    return z.strictObject(shape, { error: OBJECT_EXPECTED }).prefault({} as never);
}

const mailgunApiKey = z
    .custom<pulumi.Output<string>>((v) => pulumi.Output.isInstance(v), {
        abort: false,
        error: (issue) =>
            issue.input === undefined
                ? `${REQUIRED}: ${SET_MAILGUN_KEY}`
                : `must be a secret, not plain text: ${SET_MAILGUN_KEY}`,
    })
    .transform((v) => pulumi.secret(v));

const imageFilter = z.strictObject({
    /** Image owner: `self`, an account id, or an alias such as `amazon`. */
    owner: accountId(
        patterns.awsAccountOrAlias,
        "an AMI owner (self, amazon, aws-marketplace or an account id)",
    ).default("self"),
    /** The newest available image whose name starts with this prefix is used. */
    namePrefix: text(patterns.imageNamePrefix, "an AMI name prefix"),
});

/** A 5-field cron expression of `aws.schedule`; both times are required once the schedule is set. */
const cron = () =>
    z.custom<string>((v) => cronProblem(v) === undefined, {
        abort: false,
        error: (issue) =>
            issue.input === undefined
                ? "is required with aws.schedule: set both aws.schedule.stopAt and aws.schedule.startAt, or neither"
                : cronProblem(issue.input),
    });

const scaling = (defaults: { min: number; max: number; cpuTarget: number }) =>
    section({
        min: integer(1, 100).default(defaults.min),
        max: integer(1, 100).default(defaults.max),
        cpuTarget: integer(10, 90).default(defaults.cpuTarget),
    });

export function configSchema(environment: string) {
    const env = environmentDefaults(environment);

    const app = section({
        port: integer(1, 65535).default(80),
        healthCheckPath: text(patterns.urlPath, "a URL path starting with /").default("/healthz"),
        user: text(patterns.unixName, "a Unix user name").default("webapp"),
        directory: text(patterns.absolutePath, "an absolute path").default("/opt/webapp"),
        serviceName: text(patterns.unixName, "a systemd unit name").default("webapp"),
        /** The database engine of both clouds (the application is one image). */
        databaseEngine: oneOf(DATABASE_ENGINES).default("mysql"),
        databaseName: text(patterns.dbIdentifier, "a database name").default("webapp"),
        databaseUser: text(patterns.dbIdentifier, "a database user name").default("webapp"),
    });

    const aws = section({
        region: awsRegion().default("us-east-1"),
        profile: text(patterns.awsProfile, "an AWS CLI profile name").optional(),
        allowedAccountIds: z.array(accountId(), { error: "must be a list of 12-digit AWS account ids" }).optional(),
        vpcCidr: cidr(16, 24).default(env.vpcCidr),
        azCount: integer(2, 6).default(env.azCount),
        /** How private subnets reach the internet: no NAT, a NAT instance, one NAT gateway or one per AZ. */
        natGateways: oneOf(NAT_MODES).default(env.natGateways),
        subnets: section({
            /** A third tier per AZ, without any route out, for the database (and the cache). */
            isolated: boolean().default(env.isolatedSubnets),
        }),
        /** The application backend behind the load balancer (`components/aws/compute/`). */
        compute: oneOf(["asg", "fargate"]).default("asg"),
        /** The `fargate` backend's settings (ignored for `asg`). */
        fargate: section({
            image: text(
                patterns.containerImage,
                "an image URI with a tag or digest (<registry>/<repository>:<tag>)",
            ).optional(),
            cpu: integer(256, 16384).default(256),
            memory: integer(512, 122880).default(512),
            min: integer(1, 100).default(1),
            max: integer(1, 100).default(2),
            cpuTarget: integer(10, 90).default(50),
            architecture: oneOf(FARGATE_ARCHITECTURES).default("X86_64"),
            workers: z
                .array(
                    z.strictObject(
                        {
                            name: text(
                                WORKER_NAME,
                                "a worker name (a-z, 0-9, -; 1-24 characters, starting with a letter)",
                            ),
                            command: z
                                .array(z.string({ error: "must be a list of strings" }), {
                                    error: 'must be a list of strings, e.g. ["node", "worker.js"]',
                                })
                                .min(1, { error: "must not be empty" }),
                            cpu: integer(256, 16384).default(256),
                            memory: integer(512, 122880).default(512),
                            count: integer(1, 100).default(1),
                        },
                        { error: "must be an object with name, command, cpu, memory and count" },
                    ),
                    { error: "must be a list of workers ({ name, command, cpu, memory, count })" },
                )
                .default([]),
        }),
        instanceType: text(patterns.awsInstanceType, "an EC2 instance type").default("t2.micro"),
        imageId: text(patterns.awsAmiId, "an AMI id").optional(),
        imageFilter: imageFilter.optional(),
        asg: scaling({ min: 1, max: 2, cpuTarget: 50 }),
        db: section({
            /** Default per `app.databaseEngine` (`ENGINE_VERSIONS`); the engine's rule is a cross-field one. */
            engineVersion: version(ANY_ENGINE_VERSION, "a database version (8.4.8, 16.9)").optional(),
            instanceClass: text(patterns.awsDbInstanceClass, "an RDS instance class").default("db.t3.micro"),
            allocatedStorage: integer(20, 65536).default(20),
            maxAllocatedStorage: integer(20, 65536).default(100),
            deletionProtection: boolean().default(env.deletionProtection),
            backupRetentionDays: integer(1, 35).default(env.backupRetentionDays),
            multiAz: boolean().default(env.standbyDatabase),
            passwordRotationDays: integer(1, 365).default(isProduction(environment) ? 7 : 30),
        }),
        certificateArn: text(patterns.awsAcmArn, "an ACM certificate ARN").optional(),
        kmsRotationDays: integer(90, 2560).default(90),
        logRetentionDays: z.preprocess(
            (v) => (typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v),
            rule<number>(`must be one of ${LOG_RETENTION_DAYS.join(", ")} (CloudWatch Logs periods)`, (v) =>
                (LOG_RETENTION_DAYS as readonly unknown[]).includes(v),
            ).default(env.logRetentionDays),
        ),
        storage: section({
            infrequentAccessAfterDays: integer(30).default(30),
            noncurrentVersionExpirationDays: integer(1).default(90),
        }),
        dns: section({ createZone: boolean().default(false) }),
        emailFunction: section({
            timeoutSeconds: integer(3, 900).default(30),
            memoryMb: integer(128, 10240).default(256),
            reservedConcurrency: integer(1, 1000).optional(),
        }),
        /** The cache (`features.cache`, `components/aws/cache.ts`). */
        cache: section({
            nodeType: text(patterns.awsCacheNodeType, "an ElastiCache node type").default("cache.t4g.micro"),
            multiAz: boolean().default(isProduction(environment)),
            snapshotRetentionDays: integer(0, 35).default(isProduction(environment) ? 7 : 0),
        }),
        /** Night-time shutdown of a non-production stack (`components/aws/schedule.ts`); off while unset. */
        schedule: z
            .strictObject(
                {
                    stopAt: cron(),
                    startAt: cron(),
                    timezone: rule<string>(
                        'is not an IANA time zone name (e.g. "Europe/Berlin", "America/New_York", "UTC")',
                        isTimeZone,
                    ).default("UTC"),
                },
                {
                    error: "must be an object { stopAt, startAt, timezone } (set its keys with pulumi config set --path)",
                },
            )
            .optional(),
        /** The disaster-recovery region (`components/aws/dr.ts`); off while `region` is unset. */
        dr: section({
            region: awsRegion().optional(),
            vpcCidr: cidr(16, 24).default(DR_VPC_CIDR),
            promotion: section({
                dryRun: boolean().default(false),
                graceSeconds: integer(0, 600).default(300),
            }),
            /** The DR region's standby load balancer: the apex's secondary failover record (`components/edge.ts`). */
            standby: z
                .strictObject(
                    {
                        dnsName: text(patterns.dnsName, "a DNS name", STANDBY_BOTH("aws.dr.standby.zoneId")),
                        zoneId: text(
                            HOSTED_ZONE_ID,
                            "a Route 53 hosted-zone ID (the load balancer's canonical zone, e.g. Z1H1FL5HABSF5)",
                            STANDBY_BOTH("aws.dr.standby.dnsName"),
                        ),
                    },
                    {
                        error: "must be an object { dnsName, zoneId } (set its keys with pulumi config set --path)",
                    },
                )
                .optional(),
        }),
        cdn: section({
            /** Change it to rotate the CloudFront origin header's secret (`features.cdn`). */
            originSecretGeneration: integer(1, 1_000_000).default(1),
        }),
    });

    const gcp = section({
        project: text(patterns.gcpProject, "a GCP project id").optional(),
        region: gcpRegion().default("us-east1"),
        zone: gcpZone().default("us-east1-b"),
        subnetCidr: cidr(8, 29).default(env.gcpSubnetCidr),
        /** The application backend behind the load balancer (`components/gcp/compute/`). */
        compute: oneOf(["mig", "cloudRun"]).default("mig"),
        /** The `cloudRun` backend's settings (ignored for `mig`). */
        cloudRun: section({
            image: text(
                patterns.containerImage,
                "an image URI with a tag or digest (<registry>/<repository>:<tag>)",
            ).optional(),
            cpu: integer(1, 8).default(1),
            memory: integer(512, 32768).default(512),
            min: integer(0, 100).default(1),
            max: integer(1, 1000).default(2),
            concurrency: integer(1, 1000).default(80),
        }),
        machineType: text(patterns.gcpMachineType, "a Compute Engine machine type").default("e2-micro"),
        image: section({
            family: text(patterns.gcpImageName, "an image family name").optional(),
            name: text(patterns.gcpImageName, "an image name").optional(),
            project: text(patterns.gcpProject, "a GCP project id").optional(),
        }),
        kmsRotationDays: integer(1, 36500).default(90),
        storage: section({ nearlineAfterDays: integer(1).default(30) }),
        sshSourceRanges: z.array(cidr(), { error: "must be a list of IPv4 CIDRs" }).default([IAP_SSH_RANGE]),
        mig: scaling({ min: 1, max: 2, cpuTarget: 50 }),
        dns: section({ createZone: boolean().default(false) }),
        db: section({
            tier: text(patterns.gcpDbTier, "a Cloud SQL tier").default("db-g1-small"),
            diskSizeGb: integer(10, 65536).default(20),
            deletionProtection: boolean().default(env.deletionProtection),
            backupRetentionDays: integer(1, 365).default(env.backupRetentionDays),
            highAvailability: boolean().default(env.standbyDatabase),
            /** Cloud SQL IAM database authentication for the application's service account (`components/gcp/database.ts`). */
            iamAuth: boolean().default(false),
        }),
        /** The disaster-recovery region (`components/gcp/dr.ts`); off while `region` is unset. */
        dr: section({ region: gcpRegion().optional() }),
    });

    const mailgun = section({
        domain: text(patterns.dnsName, "a DNS name").default("mg.example.com"),
        from: text(patterns.email, "an e-mail address").optional(),
        apiBaseUrl: text(patterns.httpsUrl, "an https:// base URL without a path").default("https://api.mailgun.net"),
        apiKey: mailgunApiKey,
    });

    const monitoring = section({ alarmEmail: text(patterns.email, "an e-mail address").optional() });

    /** Opt-in hardening and cost controls beyond the seed; each is off unless the stack turns it on (WAF: on outside dev). */
    const features = section({
        auditLogs: boolean().default(false),
        governance: boolean().default(false),
        backup: boolean().default(false),
        vpcEndpoints: boolean().default(false),
        waf: boolean().default(isProduction(environment)),
        dnsFailover: boolean().default(false),
        cdn: boolean().default(false),
        monthlyBudgetUsd: integer(1, 1_000_000).optional(),
        cache: boolean().default(false),
    });

    return z
        .strictObject(
            {
                clouds: z
                    .array(oneOf(CLOUDS), { error: 'must be a list of clouds, e.g. ["aws", "gcp"]' })
                    .min(1, { error: "must name at least one cloud" })
                    .default(["aws"]),
                environment: rule<string>(
                    `is not an environment profile: use one of ${ENVIRONMENTS.join(", ")} ` +
                        `(it defaults to the stack name; ${SET_ENVIRONMENT})`,
                    isEnvironmentName,
                ),
                domainName: text(patterns.dnsName, "a DNS name", `${REQUIRED}: ${SET_DOMAIN_NAME}`),
                app,
                aws,
                gcp,
                mailgun,
                monitoring,
                features,
            },
            { error: OBJECT_EXPECTED },
        )
        .superRefine(crossFieldRules, { when: () => true })
        .transform((cfg) => ({
            ...cfg,
            aws: {
                ...cfg.aws,
                db: {
                    ...cfg.aws.db,
                    engineVersion: cfg.aws.db.engineVersion ?? ENGINE_VERSIONS[cfg.app.databaseEngine].defaultVersion,
                },
                imageFilter:
                    cfg.aws.imageId === undefined && cfg.aws.imageFilter === undefined
                        ? { owner: "self", namePrefix: "webapp-" }
                        : cfg.aws.imageFilter,
            },
            gcp: {
                ...cfg.gcp,
                image:
                    cfg.gcp.image.family === undefined && cfg.gcp.image.name === undefined
                        ? { ...cfg.gcp.image, family: "webapp" }
                        : cfg.gcp.image,
            },
            mailgun: { ...cfg.mailgun, from: cfg.mailgun.from ?? `noreply@${cfg.mailgun.domain}` },
        }));
}

type Parsed = z.output<ReturnType<typeof configSchema>>;

/** The validated, typed config every component receives. */
export type InfraConfig = Parsed;

/** The cross-field rules. They run even when some fields are invalid, so read values defensively. */
function crossFieldRules(raw: unknown, ctx: z.RefinementCtx): void {
    const cfg = (raw ?? {}) as DeepPartial<Parsed>;
    const problem = (path: (string | number)[], message: string, input: unknown) =>
        ctx.addIssue({ code: "custom", path, message, input });

    const clouds = Array.isArray(cfg.clouds) ? cfg.clouds : [];
    const seen = new Set<unknown>();
    clouds.forEach((cloud, i) => {
        if (seen.has(cloud)) {
            problem(["clouds", i], "is listed twice", cloud);
        }
        seen.add(cloud);
    });

    for (const [group, label] of [
        ["asg", "aws.asg"],
        ["mig", "gcp.mig"],
    ] as const) {
        const scaling = group === "asg" ? cfg.aws?.asg : cfg.gcp?.mig;
        if (isInt(scaling?.min) && isInt(scaling?.max) && scaling.min > scaling.max) {
            problem(
                [group === "asg" ? "aws" : "gcp", group, "min"],
                `must not exceed ${label}.max (${scaling.max})`,
                scaling.min,
            );
        }
    }

    // The fargate backend's rules, and instance keys set for a stack that runs no instances.
    for (const p of fargateProblems(cfg.aws ?? {})) {
        problem([...p.path], p.message, p.input);
    }
    for (const p of cloudRunProblems(cfg.gcp ?? {})) {
        problem([...p.path], p.message, p.input);
    }
    for (const p of drStandbyProblems(cfg)) {
        problem([...p.path], p.message, p.input);
    }

    const db = cfg.aws?.db;
    const engine = cfg.app?.databaseEngine ?? "mysql";
    if (
        typeof db?.engineVersion === "string" &&
        ANY_ENGINE_VERSION.test(db.engineVersion) &&
        (DATABASE_ENGINES as readonly unknown[]).includes(engine)
    ) {
        const message = engineVersionProblem(engine, db.engineVersion);
        if (message !== undefined) {
            problem(["aws", "db", "engineVersion"], message, db.engineVersion);
        }
    }
    if (isInt(db?.allocatedStorage) && isInt(db?.maxAllocatedStorage) && db.maxAllocatedStorage < db.allocatedStorage) {
        problem(
            ["aws", "db", "maxAllocatedStorage"],
            `must be at least aws.db.allocatedStorage (${db.allocatedStorage})`,
            db.maxAllocatedStorage,
        );
    }

    if (cfg.aws?.imageId !== undefined && cfg.aws?.imageFilter !== undefined) {
        problem(["aws", "imageId"], "is set together with aws.imageFilter: set exactly one of them", cfg.aws.imageId);
    }

    const certRegion =
        typeof cfg.aws?.certificateArn === "string" ? patterns.awsAcmArn.exec(cfg.aws.certificateArn)?.[1] : undefined;
    if (certRegion && typeof cfg.aws?.region === "string" && certRegion !== cfg.aws.region) {
        problem(
            ["aws", "certificateArn"],
            `is in ${certRegion}, but the load balancer is in aws.region (${cfg.aws.region})`,
            cfg.aws.certificateArn,
        );
    }

    const image = cfg.gcp?.image;
    if (image?.family !== undefined && image?.name !== undefined) {
        problem(
            ["gcp", "image", "family"],
            "is set together with gcp.image.name: set exactly one of them",
            image.family,
        );
    }

    const { region, zone } = cfg.gcp ?? {};
    if (
        typeof region === "string" &&
        typeof zone === "string" &&
        patterns.gcpRegion.test(region) &&
        patterns.gcpZone.test(zone) &&
        gcpZoneRegion(zone) !== region
    ) {
        problem(["gcp", "zone"], `is not a zone of gcp.region (${region})`, zone);
    }

    const ssh = Array.isArray(cfg.gcp?.sshSourceRanges) ? cfg.gcp.sshSourceRanges : [];
    ssh.forEach((range, i) => {
        if (range === "0.0.0.0/0") {
            problem(["gcp", "sshSourceRanges", i], "would open SSH to the whole internet", range);
        }
    });

    const usesGcp = clouds.includes("gcp");
    if (usesGcp && cfg.gcp?.project === undefined) {
        problem(["gcp", "project"], `${REQUIRED} when clouds includes "gcp"`, undefined);
    }

    const bothClouds = usesGcp && clouds.includes("aws");
    // The opt-in features' own rules, and features turned on for none of the clouds they act on.
    for (const p of featureProblems(cfg)) {
        problem([...p.path], p.message, p.input);
    }
    if (cfg.aws?.natGateways === "none" && clouds.includes("aws") && cfg.features?.vpcEndpoints !== true) {
        problem(
            ["aws", "natGateways"],
            "needs features.vpcEndpoints: true (without NAT the instances reach the AWS APIs only " +
                "through VPC endpoints); turn features.vpcEndpoints on or choose another aws.natGateways",
            "none",
        );
    }
    if (cfg.gcp?.dns?.createZone === true && bothClouds) {
        problem(
            ["gcp", "dns", "createZone"],
            "is only used when clouds is [gcp]: with both clouds the GCP records go into the Route 53 zone",
            true,
        );
    }

    const vpc = typeof cfg.aws?.vpcCidr === "string" ? parseCidr(cfg.aws.vpcCidr) : undefined;
    const azCount = cfg.aws?.azCount;
    if (vpc && isInt(azCount) && azCount >= 2 && azCount <= 6) {
        const publicPrefix = awsSubnetPrefixes(vpc.prefix, azCount).public;
        if (publicPrefix > ALB_MIN_SUBNET_PREFIX) {
            problem(
                ["aws", "vpcCidr"],
                `is too small for aws.azCount (${azCount}): public subnets would be /${publicPrefix}, ` +
                    `the load balancer needs /${ALB_MIN_SUBNET_PREFIX} or larger`,
                cfg.aws?.vpcCidr,
            );
        }
    }
    const dr = cfg.aws?.dr;
    if (typeof dr?.region === "string" && dr.region === (cfg.aws?.region ?? "us-east-1")) {
        problem(["aws", "dr", "region"], "must differ from aws.region: the DR region stands in for it", dr.region);
    }
    const drVpc = typeof dr?.vpcCidr === "string" ? parseCidr(dr.vpcCidr) : undefined;
    if (typeof dr?.region === "string" && vpc && drVpc && cidrsOverlap(vpc, drVpc)) {
        problem(
            ["aws", "dr", "vpcCidr"],
            `overlaps aws.vpcCidr (${cfg.aws?.vpcCidr}): the two VPCs could not be peered`,
            dr.vpcCidr,
        );
    }
    const schedule = cfg.aws?.schedule;
    if (schedule !== undefined && typeof cfg.environment === "string" && isProduction(cfg.environment)) {
        problem(
            ["aws", "schedule"],
            `is refused in the production-like environment ${cfg.environment} (its profile in config/profiles.ts): ` +
                "only a dev stack may shut down at night; remove aws.schedule",
            schedule,
        );
    }
    if (schedule !== undefined && typeof dr?.region === "string") {
        problem(
            ["aws", "schedule"],
            `cannot stop the database while aws.dr.region (${dr.region}) gives it a read replica: RDS does not stop ` +
                "an instance that has read replicas; remove aws.schedule or aws.dr.region",
            schedule,
        );
    }
    const gcpDr = cfg.gcp?.dr?.region;
    if (typeof gcpDr === "string" && patterns.gcpRegion.test(gcpDr)) {
        const primary = typeof cfg.gcp?.region === "string" ? cfg.gcp.region : "us-east1";
        const problemText = gcpDrRegionProblem(primary, gcpDr);
        if (problemText !== undefined) {
            problem(["gcp", "dr", "region"], problemText, gcpDr);
        }
    }
    const subnet = typeof cfg.gcp?.subnetCidr === "string" ? parseCidr(cfg.gcp.subnetCidr) : undefined;
    if (bothClouds && vpc && subnet && cidrsOverlap(vpc, subnet)) {
        problem(["gcp", "subnetCidr"], `overlaps aws.vpcCidr (${cfg.aws?.vpcCidr})`, cfg.gcp?.subnetCidr);
    }
}

function isInt(v: unknown): v is number {
    return Number.isInteger(v);
}

type DeepPartial<T> = T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;
