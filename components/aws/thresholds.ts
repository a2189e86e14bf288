/**
 * Every alarm threshold of the AWS platform in one typed table: what "unhealthy" means for the load
 * balancer, the instances, the tasks, the database and the NAT instance. The alarms read their
 * values from here only.
 */

import type { DatabaseEngine } from "../../config/database";

export interface AlarmThresholds {
    /** The load balancer's 5xx rate (percent of requests) above which the site is failing. */
    readonly errorRatePercent: number;
    /** Requests per minute below which the 5xx rate does not count (a lone failing request is no outage). */
    readonly minRequestsForErrorRate: number;
    /** The targets' 99th-percentile response time (seconds) above which users wait too long. */
    readonly responseTimeP99Seconds: number;
    /** For this many minutes in a row before the response-time alarm fires. */
    readonly responseTimeMinutes: number;
    /** The database's average CPU (percent) above which it is saturated. */
    readonly dbCpuPercent: number;
    /** Database connections, as a percentage of the instance class's default `max_connections`. */
    readonly dbConnectionsPercent: number;
    /** Free database storage below this percentage of the allocated storage (at least 2 GiB). */
    readonly dbFreeStoragePercent: number;
    /** An instance of the group failing its EC2 status checks for this many minutes. */
    readonly instanceStatusCheckMinutes: number;
    /** A service's average task CPU or memory (percent) above which it needs more tasks. */
    readonly taskUtilizationPercent: number;
    /** The NAT instance's failed system status check for this many minutes: recover it. */
    readonly natSystemCheckMinutes: number;
    /** The NAT instance's failed instance status check for this many minutes: reboot it. */
    readonly natInstanceCheckMinutes: number;
}

export const ALARM_THRESHOLDS = {
    errorRatePercent: 5,
    minRequestsForErrorRate: 10,
    responseTimeP99Seconds: 2,
    responseTimeMinutes: 5,
    dbCpuPercent: 80,
    dbConnectionsPercent: 80,
    dbFreeStoragePercent: 10,
    instanceStatusCheckMinutes: 3,
    taskUtilizationPercent: 80,
    natSystemCheckMinutes: 2,
    natInstanceCheckMinutes: 3,
} as const satisfies AlarmThresholds;

const GIB = 1024 ** 3;

/**
 * The default `max_connections` of RDS's parameter groups per engine: MySQL
 * `{DBInstanceClassMemory/12582880}`, PostgreSQL `LEAST({DBInstanceClassMemory/9531392},5000)`.
 */
const DEFAULT_MAX_CONNECTIONS: Readonly<Record<DatabaseEngine, { bytesPerConnection: number; cap?: number }>> = {
    mysql: { bytesPerConnection: 12582880 },
    postgres: { bytesPerConnection: 9531392, cap: 5000 },
};

/** Memory (GiB) of the burstable classes by size; other classes by vCPU count and family ratio. */
const BURSTABLE_GIB: Readonly<Record<string, number>> = {
    micro: 1,
    small: 2,
    medium: 4,
    large: 8,
    xlarge: 16,
    "2xlarge": 32,
};

/**
 * The memory (GiB) of an RDS instance class such as `db.t3.micro`, `db.m6g.large` or
 * `db.r6g.2xlarge`: burstable (`t*`) classes from their size, the others from their vCPUs
 * (`large` 2, `xlarge` 4, `<n>xlarge` 4n) times the family's GiB per vCPU (`r` 8, `x` 16, others 4).
 */
export function dbClassMemoryGib(instanceClass: string): number {
    const [, family = "", size = ""] = instanceClass.split(".");
    if (family.startsWith("t")) {
        return BURSTABLE_GIB[size] ?? BURSTABLE_GIB.micro;
    }
    const multiple = /^(\d+)xlarge$/.exec(size);
    const vcpus =
        size === "medium" ? 1 : size === "large" ? 2 : size === "xlarge" ? 4 : multiple ? 4 * Number(multiple[1]) : 2;
    const perVcpu = family.startsWith("r") ? 8 : family.startsWith("x") ? 16 : 4;
    return vcpus * perVcpu;
}

/**
 * The connection count the database alarm fires above: `dbConnectionsPercent` of the engine's
 * default maximum for the instance class.
 */
export function dbConnectionsThreshold(engine: DatabaseEngine, instanceClass: string): number {
    const { bytesPerConnection, cap = Infinity } = DEFAULT_MAX_CONNECTIONS[engine];
    const maxConnections = Math.min(cap, Math.floor((dbClassMemoryGib(instanceClass) * GIB) / bytesPerConnection));
    return Math.floor((maxConnections * ALARM_THRESHOLDS.dbConnectionsPercent) / 100);
}
