/**
 * Config key paths as the Pulumi CLI writes them (`pulumi config set --path`), so that every path in
 * an error message can be pasted into a command: `aws.allowedAccountIds[0]`, `aws["odd.key"]`.
 */

/**
 * Pulumi's property path syntax: keys made of letters, digits and `_` are joined with `.`, other keys
 * are written `["key"]`, array indexes `[n]` (the same rules as the CLI's `PropertyPath.String`).
 */
export function formatPath(segments: readonly PropertyKey[]): string {
    let path = "";
    for (const segment of segments) {
        if (typeof segment === "number") {
            path += `[${segment}]`;
            continue;
        }
        const key = String(segment);
        if (/^[A-Za-z0-9_]+$/.test(key)) {
            path += path === "" ? key : `.${key}`;
        } else {
            path += `["${key.replace(/"/g, '\\"')}"]`;
        }
    }
    return path;
}

/** A word for a POSIX shell: left bare when it is safe, otherwise in single quotes. */
export function shellWord(word: string): string {
    return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The value as `pulumi config set` takes it on the command line (a scalar as text, a list/object as JSON). */
function commandValue(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

export interface SetCommandOptions {
    /** `--path` (a nested key). */
    readonly path?: boolean;
    /** `--secret`: the value is never printed, `<value>` stands for it. */
    readonly secret?: boolean;
    /** `--stack <name>`. */
    readonly stack?: string;
}

/** `pulumi config set [--secret] [--path] [--stack <s>] <key> <value>`, ready to paste; an undefined value shows as `<value>`. */
export function setCommand(key: string, value: unknown, options: SetCommandOptions = {}): string {
    const flags = [
        options.secret ? "--secret" : "",
        options.path ? "--path" : "",
        options.stack ? `--stack ${shellWord(options.stack)}` : "",
    ].filter((f) => f !== "");
    const shown = options.secret || value === undefined ? "<value>" : shellWord(commandValue(value));
    return ["pulumi config set", ...flags, shellWord(key), shown].join(" ");
}

/** `pulumi config rm <key>` (without `--path`: removes a key literally named so). */
export function rmCommand(key: string, options: Pick<SetCommandOptions, "path" | "stack"> = {}): string {
    const flags = [options.path ? "--path" : "", options.stack ? `--stack ${shellWord(options.stack)}` : ""].filter(
        (f) => f !== "",
    );
    return ["pulumi config rm", ...flags, shellWord(key)].join(" ");
}
