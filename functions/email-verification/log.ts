/**
 * Structured logs: one JSON object per line on stdout, which CloudWatch Logs and Cloud Logging both
 * parse into fields (`severity` is the field Cloud Logging reads; `level` is for everyone else).
 *
 * Secrets never reach a line: the code logs no key or token, fields whose name says secret are
 * replaced, and as a last guard every secret value the logger was told about is masked wherever
 * it appears (an error text that quotes a request, a stack trace).
 */

export type Level = "debug" | "info" | "warn" | "error";
export type Fields = Record<string, unknown>;

const SEVERITY: Record<Level, string> = { debug: "DEBUG", info: "INFO", warn: "WARNING", error: "ERROR" };

/** Field names whose values are never written. */
const SECRET_FIELD = /^(api_?key|key|token|authorization|password|secret)$/i;

export const REDACTED = "[redacted]";

/** Shorter values are not masked: they would garble unrelated text and are not credible secrets. */
export const MIN_REDACTED_LENGTH = 8;

export interface Logger {
    debug(event: string, fields?: Fields): void;
    info(event: string, fields?: Fields): void;
    warn(event: string, fields?: Fields): void;
    error(event: string, fields?: Fields): void;
    /** A logger that adds `fields` to every line and also masks `secrets`. */
    child(fields: Fields, secrets?: readonly string[]): Logger;
}

export interface JsonLoggerOptions {
    /** Where lines go. Default: stdout (raw, so the Lambda runtime adds no prefix). */
    readonly sink?: (line: string) => void;
    /** Fields on every line. */
    readonly fields?: Fields;
    /** Values to mask wherever they appear. */
    readonly secrets?: readonly string[];
    /** Lines below this level are dropped. Default `info`. */
    readonly level?: Level;
    readonly now?: () => number;
}

const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function jsonLogger(options: JsonLoggerOptions = {}): Logger {
    const sink = options.sink ?? ((line: string) => void process.stdout.write(`${line}\n`));
    const base = options.fields ?? {};
    const secrets = options.secrets ?? [];
    const threshold = ORDER[options.level ?? "info"];
    const now = options.now ?? Date.now;

    const write = (level: Level, event: string, fields: Fields = {}) => {
        if (ORDER[level] < threshold) {
            return;
        }
        const record = {
            time: new Date(now()).toISOString(),
            level,
            severity: SEVERITY[level],
            event,
            ...base,
            ...fields,
        };
        sink(mask(JSON.stringify(record, replacer), secrets));
    };
    return {
        debug: (event, fields) => write("debug", event, fields),
        info: (event, fields) => write("info", event, fields),
        warn: (event, fields) => write("warn", event, fields),
        error: (event, fields) => write("error", event, fields),
        child: (fields, extra = []) =>
            jsonLogger({ ...options, sink, fields: { ...base, ...fields }, secrets: [...secrets, ...extra] }),
    };
}

function replacer(key: string, value: unknown): unknown {
    if (key !== "" && SECRET_FIELD.test(key)) {
        return REDACTED;
    }
    if (value instanceof Error) {
        const extra = value as Error & { status?: unknown; retryable?: unknown; problems?: unknown };
        return {
            name: value.name,
            message: value.message,
            ...(extra.status !== undefined ? { status: extra.status } : {}),
            ...(extra.retryable !== undefined ? { retryable: extra.retryable } : {}),
            ...(extra.problems !== undefined ? { problems: extra.problems } : {}),
        };
    }
    return value;
}

/**
 * Replaces each secret in `text`, also in its JSON-escaped and URL-encoded forms. Values shorter
 * than `MIN_REDACTED_LENGTH` are left alone.
 */
export function mask(text: string, secrets: readonly string[]): string {
    let result = text;
    for (const secret of secrets.filter((s) => s.length >= MIN_REDACTED_LENGTH)) {
        for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)])) {
            result = result.split(form).join(REDACTED);
        }
    }
    return result;
}
