/**
 * The night-time schedule's rules (`aws.schedule`): two 5-field cron expressions (`stopAt`,
 * `startAt`) in an IANA time zone, and their translation into the two cron dialects AWS uses:
 * Unix cron for Auto Scaling groups, `cron(... ?)` for EventBridge Scheduler and Application Auto
 * Scaling.
 */

interface CronField {
    readonly name: string;
    readonly min: number;
    readonly max: number;
    /** Names allowed instead of numbers, the first standing for `min`. */
    readonly names?: readonly string[];
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] as const;
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] as const;

/** The five fields, in order. */
export const CRON_FIELDS: readonly CronField[] = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day-of-month", min: 1, max: 31 },
    { name: "month", min: 1, max: 12, names: MONTHS },
    { name: "day-of-week", min: 0, max: 6, names: DAYS },
];

/** What a cron expression looks like, for messages. */
export const CRON_FORM =
    'a 5-field cron expression (minute hour day-of-month month day-of-week, e.g. "0 20 * * MON-FRI")';

function valueProblem(field: CronField, text: string): string | undefined {
    if (/^\d+$/.test(text)) {
        if (field.name === "day-of-week") {
            // Unix cron counts SUN as 0, EventBridge as 1: a number would mean two different days.
            return `the day-of-week field must use day names (${DAYS.join(", ")}), not numbers like ${text}`;
        }
        const n = Number(text);
        return n < field.min || n > field.max
            ? `the ${field.name} field's ${text} is outside ${field.min}-${field.max}`
            : undefined;
    }
    if (field.names?.includes(text.toUpperCase())) {
        return undefined;
    }
    return `the ${field.name} field's "${text}" is not a ${field.names ? "number or name" : "number"}`;
}

/** Why one field (`*`, `*\/n`, `a`, `a-b`, `a-b/n`, comma lists of these) is wrong, or undefined. */
function fieldProblem(field: CronField, text: string): string | undefined {
    for (const part of text.split(",")) {
        const [range = "", step, extra] = part.split("/");
        if (extra !== undefined || (step !== undefined && !/^[1-9]\d*$/.test(step))) {
            return `the ${field.name} field's step in "${part}" is not a positive number`;
        }
        if (range === "*") {
            continue;
        }
        const bounds = range.split("-");
        if (bounds.length > 2 || bounds.some((b) => b === "")) {
            return `the ${field.name} field's "${part}" is not a value, a range a-b or *`;
        }
        for (const bound of bounds) {
            const problem = valueProblem(field, bound);
            if (problem !== undefined) {
                return problem;
            }
        }
    }
    return undefined;
}

/** Why `expression` is not a usable 5-field cron expression, or undefined when it is one. */
export function cronProblem(expression: unknown): string | undefined {
    if (typeof expression !== "string") {
        return `is not ${CRON_FORM}`;
    }
    const fields = expression.trim().split(/\s+/);
    if (fields.length !== CRON_FIELDS.length) {
        return `is not ${CRON_FORM}: it has ${fields.length} field(s)`;
    }
    for (const [i, field] of CRON_FIELDS.entries()) {
        const problem = fieldProblem(field, fields[i] ?? "");
        if (problem !== undefined) {
            return `is not ${CRON_FORM}: ${problem}`;
        }
    }
    const [, , dayOfMonth, , dayOfWeek] = fields;
    if (dayOfMonth !== "*" && dayOfWeek !== "*") {
        return (
            `is not ${CRON_FORM}: it restricts both day-of-month (${dayOfMonth}) and day-of-week (${dayOfWeek}); ` +
            "EventBridge Scheduler takes one of them only, set the other to *"
        );
    }
    return undefined;
}

/** The Unix cron an Auto Scaling scheduled action takes: the expression, names upper-cased. */
export function unixCron(expression: string): string {
    return expression.trim().split(/\s+/).join(" ").toUpperCase();
}

/**
 * The `cron(minute hour day-of-month month day-of-week year)` form of EventBridge Scheduler and
 * Application Auto Scaling: the unrestricted day field becomes `?`, every year.
 */
export function awsCron(expression: string): string {
    const [minute, hour, dayOfMonth, month, dayOfWeek] = unixCron(expression).split(" ");
    const [day, weekday] = dayOfWeek === "*" ? [dayOfMonth, "?"] : ["?", dayOfWeek];
    return `cron(${[minute, hour, day, month, weekday, "*"].join(" ")})`;
}

/** Whether `zone` is an IANA time zone name this runtime knows (`Europe/Berlin`, `UTC`). */
export function isTimeZone(zone: unknown): zone is string {
    if (typeof zone !== "string" || !/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(zone)) {
        return false;
    }
    try {
        const resolved = new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
        // The runtime ignores case, AWS does not: `europe/berlin` is refused.
        return resolved === zone || resolved.toLowerCase() !== zone.toLowerCase();
    } catch {
        return false;
    }
}
