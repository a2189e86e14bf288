/**
 * `npm run deploy -- --stack <name> [--preview | --destroy | --outputs] [--yes] [--policy-pack]`
 *
 * Runs `up` (default), `preview`, `destroy` or prints the outputs of a stack through the
 * Automation API, streaming the engine's progress. `up` and `destroy` change real infrastructure:
 * they need `--yes` or, in a terminal, typing the stack name. Before the Pulumi CLI starts, the
 * stack's config is validated offline and the CLI and login are checked (see preflight.ts).
 * Exit status: 0 ok, 1 failed (config, preflight, operation or cancelled), 2 bad arguments.
 */
import { homedir } from "node:os";
import { createInterface } from "node:readline/promises";
import { ConfigError } from "../config";
import { argsOrUsage, helpRequested, parseOptions, runAsMain, stackOption, UsageError } from "../tools/cli";
import { StackFileError } from "../tools/offline/stack-config";
import * as api from "./index";
import {
    cloudCredentialWarnings,
    PreflightError,
    preflightConfig,
    requirePulumiCli,
    requirePulumiLogin,
    type Env,
} from "./preflight";

export const DEPLOY_USAGE =
    "usage: npm run deploy -- --stack <name> [--preview | --destroy | --outputs] [--yes] [--policy-pack]";

export const DEPLOY_HELP = `${DEPLOY_USAGE}

Runs the stack through the Pulumi CLI (Automation API), after an offline check of its config,
the CLI and the login.

Options:
  -s, --stack <name>   the stack: <name> or <org>/<name> (config from Pulumi.<name>.yaml)
      --preview        show what would change (pulumi preview)
      --destroy        delete every resource of the stack
      --outputs        print the stack outputs (secret outputs as [secret])
  -y, --yes            do not ask before up or destroy (needed without a terminal)
      --policy-pack    enforce the policy pack in policy/ (up and --preview)
  -h, --help           this help

Without --preview, --destroy or --outputs the command runs up. Exit status: 0 ok, 1 failed
(config, preflight, the operation, or a cancelled confirmation), 2 bad arguments.`;

export type Action = "up" | "preview" | "destroy" | "outputs";

export interface DeployArgs {
    /** As given: `demo` or `<org>/demo`. */
    readonly stack: string;
    /** The stack file's name part (`demo`): config comes from `Pulumi.<settingsName>.yaml`. */
    readonly settingsName: string;
    readonly action: Action;
    readonly yes: boolean;
    /** Enforce the policy pack in `policy/` (preview and up). */
    readonly policyPack: boolean;
}

export function parseDeployArgs(argv: readonly string[], root = api.PROJECT_ROOT): DeployArgs {
    const values = parseOptions(argv, {
        stack: { type: "string", short: "s" },
        preview: { type: "boolean" },
        destroy: { type: "boolean" },
        outputs: { type: "boolean" },
        yes: { type: "boolean", short: "y" },
        "policy-pack": { type: "boolean" },
    });
    const { stack, settingsName } = stackOption(values.stack, root);
    const chosen = (["preview", "destroy", "outputs"] as const).filter((flag) => values[flag]);
    if (chosen.length > 1) {
        throw new UsageError(
            `choose one of --preview, --destroy, --outputs (got ${chosen.map((c) => `--${c}`).join(" and ")})`,
        );
    }
    const action: Action = chosen[0] ?? "up";
    const policyPack = values["policy-pack"] ?? false;
    if (policyPack && (action === "destroy" || action === "outputs")) {
        throw new UsageError(`--policy-pack applies to up and --preview, not --${action}`);
    }
    return { stack, settingsName, action, yes: values.yes ?? false, policyPack };
}

/** `up` and `destroy` change infrastructure and need an explicit yes. */
export function needsConfirmation(args: DeployArgs): boolean {
    return (args.action === "up" || args.action === "destroy") && !args.yes;
}

/** The stack operations the command runs (the Automation API; tests substitute fakes). */
export interface Operations {
    preview(options: api.StackOptions): Promise<api.PreviewResult>;
    up(options: api.StackOptions): Promise<api.UpResult>;
    destroy(options: api.StackOptions): Promise<api.DestroyResult>;
    outputs(options: api.StackOptions): Promise<api.StackOutputs>;
}

export interface DeployDeps {
    /** Folder holding Pulumi.yaml and the stack files. Default: the project root. */
    readonly root?: string;
    readonly env?: Env;
    readonly home?: string;
    /** A whole line for the user (summaries). */
    readonly print?: (line: string) => void;
    /** A line on stderr (errors, warnings). */
    readonly fail?: (line: string) => void;
    /** The engine's streamed output, as it comes. */
    readonly write?: (text: string) => void;
    /** Whether a person can answer a question (stdin is a terminal). */
    readonly interactive?: boolean;
    readonly ask?: (question: string) => Promise<string>;
    readonly operations?: Operations;
}

/** Asks on the terminal (stderr), returning the answer. */
export async function askOnTerminal(question: string): Promise<string> {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
        return await rl.question(question);
    } finally {
        rl.close();
    }
}

/** Changes as `create 34, update 2` (operations with a zero count left out). */
export function describeChanges(changes: api.ChangeCounts): string {
    const parts = Object.entries(changes)
        .filter(([, n]) => (n ?? 0) > 0)
        .map(([op, n]) => `${op} ${n}`);
    return parts.length > 0 ? parts.join(", ") : "no changes";
}

/** Outputs as JSON with every secret output shown as `[secret]`. */
export function renderOutputs(outputs: api.StackOutputs): string {
    return JSON.stringify(
        Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value])),
        null,
        2,
    );
}

/** Runs the command; returns the exit status. */
export async function runDeploy(argv: readonly string[], deps: DeployDeps = {}): Promise<number> {
    const env = deps.env ?? process.env;
    const home = deps.home ?? homedir();
    const print = deps.print ?? ((line: string) => console.log(line));
    const fail = deps.fail ?? ((line: string) => console.error(line));
    const write = deps.write ?? ((text: string) => process.stdout.write(text));
    const operations = deps.operations ?? api;

    if (helpRequested(argv)) {
        DEPLOY_HELP.split("\n").forEach(print);
        return 0;
    }
    const args = argsOrUsage("deploy", DEPLOY_USAGE, fail, () => parseDeployArgs(argv, deps.root));
    if (args === 2) {
        return 2;
    }

    let clouds: readonly string[];
    try {
        clouds = preflightConfig(args.settingsName, deps.root, fail);
        requirePulumiCli(env);
        requirePulumiLogin(env, home);
    } catch (error) {
        if (error instanceof ConfigError || error instanceof PreflightError || error instanceof StackFileError) {
            fail(error.message);
            return 1;
        }
        throw error;
    }
    if (args.action !== "outputs") {
        cloudCredentialWarnings(clouds, env, home).forEach((w) => fail(`warning: ${w}`));
    }

    if (needsConfirmation(args)) {
        if (!(deps.interactive ?? process.stdin.isTTY === true)) {
            fail(
                `deploy: ${args.action} changes real infrastructure in "${args.stack}": pass --yes (no terminal to confirm)`,
            );
            return 2;
        }
        const answer = await (deps.ask ?? askOnTerminal)(
            `${args.action === "up" ? "Deploy" : "Destroy every resource of"} stack "${args.stack}" (${clouds.join(", ")})? ` +
                "Type the stack name to continue: ",
        );
        if (answer.trim() !== args.stack) {
            fail("Cancelled: nothing was changed.");
            return 1;
        }
    }

    const options: api.StackOptions = {
        stackName: args.stack,
        onOutput: write,
        policyPacks: args.policyPack ? [api.POLICY_PACK] : undefined,
    };
    try {
        switch (args.action) {
            case "preview": {
                const result = await operations.preview(options);
                print(`Preview of ${result.stack}: ${describeChanges(result.changes)}`);
                return 0;
            }
            case "up": {
                const result = await operations.up(options);
                print(`Update of ${result.stack} ${result.result}: ${describeChanges(result.changes)}`);
                print(renderOutputs(result.outputs));
                return result.result === "succeeded" ? 0 : 1;
            }
            case "destroy": {
                const result = await operations.destroy(options);
                print(`Destroy of ${result.stack} ${result.result}: ${describeChanges(result.changes)}`);
                return result.result === "succeeded" ? 0 : 1;
            }
            case "outputs":
                print(renderOutputs(await operations.outputs({ stackName: args.stack })));
                return 0;
        }
    } catch (error) {
        fail(
            `deploy: ${args.action} of "${args.stack}" failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        return 1;
    }
}

if (require.main === module) {
    runAsMain(runDeploy);
}
