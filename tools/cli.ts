/**
 * What the project's commands (`plan`, `deploy`) share: argument parsing with `node:util`, the
 * `--stack` check against the stack files, usage errors (exit status 2) and the main wrapper.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { knownStacks } from "./offline/stack-config";
import { mapStack } from "./source-maps";

/** A command-line mistake: the command prints it with its usage line and exits with status 2. */
export class UsageError extends Error {
    override name = "UsageError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** True when the arguments ask for the command's help (`--help` or `-h`, anywhere before a `--`). */
export function helpRequested(argv: readonly string[]): boolean {
    const end = argv.indexOf("--");
    return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

/** Parses options only (no positionals); an unknown or malformed option becomes a `UsageError`. */
export function parseOptions<T extends Options>(argv: readonly string[], options: T) {
    try {
        return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
    } catch (error) {
        throw new UsageError((error as Error).message);
    }
}

/**
 * The `--stack` value, which must name a stack file: `demo` or `<org>/demo` for `Pulumi.demo.yaml`.
 * Returns the stack as given and the stack file's name part.
 */
export function stackOption(value: string | undefined, root: string): { stack: string; settingsName: string } {
    const stacks = knownStacks(root);
    if (!value) {
        throw new UsageError(`--stack is required (stacks: ${stacks.join(", ")})`);
    }
    const settingsName = value.split("/").pop() ?? "";
    if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+){0,2}$/.test(value) || !stacks.includes(settingsName)) {
        throw new UsageError(
            `no stack "${value}": there is no Pulumi.${settingsName}.yaml (stacks: ${stacks.join(", ")})`,
        );
    }
    return { stack: value, settingsName };
}

/** Parses a command's arguments; on a `UsageError` prints it with the usage line and returns exit status 2. */
export function argsOrUsage<A>(command: string, usage: string, fail: (line: string) => void, parse: () => A): A | 2 {
    try {
        return parse();
    } catch (error) {
        if (error instanceof UsageError) {
            fail(`${command}: ${error.message}`);
            fail(usage);
            return 2;
        }
        throw error;
    }
}

/** Runs a command as the program's entry point: its result becomes the exit status, a crash prints its stack. */
export function runAsMain(command: (argv: readonly string[]) => Promise<number>): void {
    command(process.argv.slice(2)).then(
        (code) => {
            process.exitCode = code;
        },
        (error: unknown) => {
            console.error(error instanceof Error ? (mapStack(error.stack) ?? error.message) : String(error));
            process.exitCode = 1;
        },
    );
}
