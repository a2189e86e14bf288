/**
 * The promotion function's settings from its environment: which replica to promote, which primary
 * it stands in for, where to report, and how patient to be. Names and numbers only; the function
 * needs no secret.
 */
import { AWS_REGION_PATTERN } from "../../config/regions";
import { required, SettingsError, type Env } from "../email-verification/settings";

/**
 * The function's environment variables. The deploying program imports these names, so the
 * component and the handler cannot drift apart.
 */
export const ENV = {
    /** The cross-region read replica to promote, `arn:aws:rds:<dr-region>:<account>:db:<id>`. */
    replicaArn: "REPLICA_ARN",
    /** The primary the replica follows, `arn:aws:rds:<region>:<account>:db:<id>`. */
    primaryArn: "PRIMARY_ARN",
    /** The SNS topic (in the replica's region) that gets a message for each promotion. */
    topicArn: "TOPIC_ARN",
    /** Comma-separated CloudWatch alarm ARNs whose ALARM state asks for a promotion. Default none. */
    alarmArns: "ALARM_ARNS",
    /** `true`: decide and record, but change nothing. Default `false`. */
    dryRun: "DRY_RUN",
    /** Seconds after the trigger during which a primary that comes back cancels the promotion. Default 300. */
    graceSeconds: "GRACE_SECONDS",
    /** Seconds between two looks at the primary (grace) or the replica (verification). Default 15. */
    pollSeconds: "POLL_SECONDS",
    /** Longest wait for the promoted instance to become a standalone, available primary. Default 600. */
    verifySeconds: "VERIFY_SECONDS",
    /** Automated backup retention of the promoted instance, 1-35 days. Default 7. */
    backupRetentionDays: "BACKUP_RETENTION_DAYS",
    /** Daily backup window of the promoted instance, `hh24:mi-hh24:mi` UTC. Default: RDS picks one. */
    backupWindow: "BACKUP_WINDOW",
} as const;

export const DEFAULTS = {
    graceSeconds: 300,
    pollSeconds: 15,
    verifySeconds: 600,
    backupRetentionDays: 7,
} as const;

/** Bounds of the numeric settings (inclusive). A Lambda invocation lasts 900 s at most. */
export const LIMITS = {
    graceSeconds: [0, 600],
    pollSeconds: [1, 60],
    verifySeconds: [0, 840],
    backupRetentionDays: [1, 35],
} as const;

/** The parts of an RDS DB instance ARN. */
export interface RdsInstanceArn {
    readonly arn: string;
    readonly partition: string;
    readonly region: string;
    readonly account: string;
    /** The DB instance identifier. */
    readonly identifier: string;
}

/** `arn:<partition>:rds:<region>:<account>:db:<identifier>`; identifiers are 1-63 letters, digits, hyphens. */
const RDS_INSTANCE_ARN = /^arn:(aws(?:-[a-z]+)*):rds:([^:]+):(\d{12}):db:([a-zA-Z][a-zA-Z0-9-]{0,62})$/;

/** The parts of a DB instance ARN, or undefined when `value` is not one. */
export function parseRdsInstanceArn(value: string): RdsInstanceArn | undefined {
    const match = RDS_INSTANCE_ARN.exec(value);
    if (!match || !AWS_REGION_PATTERN.test(match[2])) {
        return undefined;
    }
    const [, partition, region, account, identifier] = match;
    return { arn: value, partition, region, account, identifier };
}

/** Whether `value` is an ARN of `service` whose resource part matches `resource`, in a real region. */
function isArnOf(value: string, service: string, resource: RegExp): boolean {
    const parts = value.split(":");
    return (
        parts.length >= 6 &&
        parts[0] === "arn" &&
        /^aws(-[a-z]+)*$/.test(parts[1]) &&
        parts[2] === service &&
        AWS_REGION_PATTERN.test(parts[3]) &&
        /^\d{12}$/.test(parts[4]) &&
        resource.test(parts.slice(5).join(":"))
    );
}

const SNS_TOPIC = /^[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const ALARM = /^alarm:.+$/;
const BACKUP_WINDOW = /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/;

export interface PromotionSettings {
    readonly replica: RdsInstanceArn;
    readonly primary: RdsInstanceArn;
    readonly topicArn: string;
    /** Alarms whose ALARM state is a trigger. */
    readonly alarmArns: readonly string[];
    readonly dryRun: boolean;
    readonly graceMs: number;
    readonly pollMs: number;
    readonly verifyMs: number;
    readonly backupRetentionDays: number;
    readonly backupWindow?: string;
}

/** The length of an `hh:mm-hh:mm` window in minutes (a window may cross midnight). */
function windowMinutes(window: string): number {
    const [start, end] = window.split("-").map((time) => {
        const [hours, minutes] = time.split(":").map(Number);
        return hours * 60 + minutes;
    });
    return (end - start + 24 * 60) % (24 * 60);
}

function integer(env: Env, name: string, fallback: number, [min, max]: readonly [number, number], problems: string[]) {
    const raw = env[name]?.trim();
    if (!raw) {
        return fallback;
    }
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
        problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
        return fallback;
    }
    return Number(raw);
}

/** Reads and checks every setting; throws `SettingsError` listing every problem at once. */
export function settingsFromEnv(env: Env): PromotionSettings {
    const problems: string[] = [];
    const arn = (name: string): RdsInstanceArn | undefined => {
        const value = required(env, name, problems);
        if (!value) {
            return undefined;
        }
        const parsed = parseRdsInstanceArn(value);
        if (!parsed) {
            problems.push(
                `${name} must be a DB instance ARN such as arn:aws:rds:us-west-2:123456789012:db:webapp-replica`,
            );
        }
        return parsed;
    };
    const replica = arn(ENV.replicaArn);
    const primary = arn(ENV.primaryArn);
    if (replica && primary) {
        if (replica.arn === primary.arn) {
            problems.push(`${ENV.replicaArn} and ${ENV.primaryArn} must name two different instances`);
        } else if (replica.account !== primary.account || replica.partition !== primary.partition) {
            problems.push(`${ENV.replicaArn} and ${ENV.primaryArn} must be in the same account`);
        }
    }

    const topicArn = required(env, ENV.topicArn, problems);
    if (topicArn && !isArnOf(topicArn, "sns", SNS_TOPIC)) {
        problems.push(`${ENV.topicArn} must be an SNS topic ARN`);
    }

    const alarmArns = (env[ENV.alarmArns] ?? "")
        .split(",")
        .map((value) => value.trim())
        .filter(Boolean);
    for (const alarm of alarmArns) {
        if (!isArnOf(alarm, "cloudwatch", ALARM)) {
            problems.push(`${ENV.alarmArns}: "${alarm}" is not a CloudWatch alarm ARN`);
        }
    }

    const dryRunRaw = env[ENV.dryRun]?.trim().toLowerCase() || "false";
    if (dryRunRaw !== "true" && dryRunRaw !== "false") {
        problems.push(`${ENV.dryRun} must be "true" or "false"`);
    }

    const graceSeconds = integer(env, ENV.graceSeconds, DEFAULTS.graceSeconds, LIMITS.graceSeconds, problems);
    const pollSeconds = integer(env, ENV.pollSeconds, DEFAULTS.pollSeconds, LIMITS.pollSeconds, problems);
    const verifySeconds = integer(env, ENV.verifySeconds, DEFAULTS.verifySeconds, LIMITS.verifySeconds, problems);
    const backupRetentionDays = integer(
        env,
        ENV.backupRetentionDays,
        DEFAULTS.backupRetentionDays,
        LIMITS.backupRetentionDays,
        problems,
    );
    const backupWindow = env[ENV.backupWindow]?.trim() || undefined;
    if (backupWindow !== undefined && (!BACKUP_WINDOW.test(backupWindow) || windowMinutes(backupWindow) < 30)) {
        problems.push(`${ENV.backupWindow} must be a UTC window of at least 30 minutes such as 03:00-03:30`);
    }

    if (problems.length > 0 || !replica || !primary) {
        throw new SettingsError(problems);
    }
    return {
        replica,
        primary,
        topicArn,
        alarmArns,
        dryRun: dryRunRaw === "true",
        graceMs: graceSeconds * 1000,
        pollMs: pollSeconds * 1000,
        verifyMs: verifySeconds * 1000,
        backupRetentionDays,
        ...(backupWindow !== undefined ? { backupWindow } : {}),
    };
}
