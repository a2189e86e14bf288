/**
 * A value the validated config guarantees (a rule of the schema requires it when the code path
 * is taken). Reaching the error means the config was not parsed by `parseConfig`.
 */
export function required<T>(value: T | undefined, key: string): T {
    if (value === undefined) {
        throw new Error(`${key} is not set: the config must be parsed with parseConfig, whose rules require it here`);
    }
    return value;
}
