/**
 * `npm run rollout -- --stack <name> --image <ami-id | image URI | gcp image> [--cloud aws|gcp]
 *   [--yes] [--dry-run | --check] [--timeout 30m] [--no-rollback] [--policy-pack]`
 *
 * Puts a new image in a stack's config (`aws.imageId`, `aws.fargate.image`, `gcp.image`,
 * `gcp.cloudRun.image`, as each cloud's compute shape takes it), runs `up` through the Automation
 * API, then follows the rollout on each cloud until the new image serves everywhere: the Auto
 * Scaling instance refresh, the ECS deployments, the managed instance group, the Cloud Run revision.
 * When it fails or times out, the platform's own rollback is reported (the refresh's auto-rollback,
 * the circuit breaker, the revision Cloud Run kept serving) and, unless `--no-rollback`, the
 * previous image is set back in the config and `up` runs again (and is followed in turn).
 * `--dry-run` previews the change without touching the stack or its file; `--check` only validates
 * the arguments and the stack's config with the new image, offline.
 */
import { appendFileSync, copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import * as path from "node:path";
import { ConfigError, parseConfig } from "../../config";
import { argsOrUsage, parseOptions, runAsMain, stackOption, UsageError } from "../../tools/cli";
import { readStackConfig } from "../../tools/offline/stack-config";
import { askOnTerminal, describeChanges as describeCounts, type DeployDeps } from "../cli";
import * as api from "../index";
import { cloudCredentialWarnings, PreflightError, requirePulumiCli, requirePulumiLogin } from "../preflight";
import { AsgFollower, EcsFollower, type AwsClientSettings } from "./aws";
import { ContractError, rolloutTargets, type RolloutTarget } from "./contract";
import { follow, systemClock, type Clock, type Follower, type FollowResult } from "./follow";
import { CloudRunFollower, GoogleApi, MigFollower, type GoogleApiSettings } from "./gcp";
import { applyChanges, describeImage, type ConfigChange, type GcpImage, type RawConfig, type Shape } from "./images";
import {
    describeChanges,
    describeCurrent,
    planRollback,
    planRollout,
    type CloudRollback,
    type CloudRollout,
} from "./plan";
import { plainDisplay, terminalDisplay, type Display } from "./progress";
import { deployedImages, type DeployedImages, type DeploymentState } from "./state";

export const ROLLOUT_USAGE =
    "usage: npm run rollout -- --stack <name> --image <ami-id | image URI | gcp image> [--cloud aws|gcp] " +
    "[--yes] [--dry-run | --check] [--timeout 30m] [--no-rollback] [--policy-pack]";

/** The exit statuses, each saying how the rollout ended. */
export const EXIT = {
    /** The new image serves everywhere (or `--dry-run` previewed the change, or `--check` found it valid). */
    ok: 0,
    /** Nothing was rolled out: a bad config, a preflight problem, a preview that failed; or the rollout could not be followed. */
    error: 1,
    /** A bad argument, or no terminal to confirm without `--yes`. */
    usage: 2,
    /** The rollout failed; the previous image was set back and serves again. */
    rolledBack: 3,
    /** The rollout failed; nothing was set back (`--no-rollback`, or nothing to go back to). */
    failed: 4,
    /** The rollout did not end within `--timeout`; the previous image was set back and serves again. */
    timedOutRolledBack: 5,
    /** The rollout did not end within `--timeout`; nothing was set back. */
    timedOut: 6,
    /** The rollout failed or timed out, and the rollback failed too: the stack needs a person. */
    rollbackFailed: 7,
} as const;

export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

export const DEFAULT_TIMEOUT_MS = 30 * 60_000;

export interface RolloutArgs {
    readonly stack: string;
    readonly settingsName: string;
    readonly image: string;
    readonly cloud?: "aws" | "gcp";
    readonly yes: boolean;
    readonly dryRun: boolean;
    /** Only check the arguments and the config offline (no Pulumi CLI, no cloud). */
    readonly check: boolean;
    readonly rollback: boolean;
    readonly timeoutMs: number;
    readonly policyPack: boolean;
}

/** `90s`, `30m`, `1h`, `1h30m` (a bare number is minutes) -> milliseconds. */
export function parseDuration(text: string): number {
    const bare = /^\d+$/.exec(text);
    if (bare) {
        return Number(text) * 60_000;
    }
    const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
    if (!match || text === "") {
        throw new UsageError(`--timeout ${JSON.stringify(text)}: give a duration such as 90s, 30m or 1h30m`);
    }
    const ms = (Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0)) * 1000;
    if (ms <= 0) {
        throw new UsageError(`--timeout ${JSON.stringify(text)}: must be longer than 0`);
    }
    return ms;
}

export function parseRolloutArgs(argv: readonly string[], root = api.PROJECT_ROOT): RolloutArgs {
    const values = parseOptions(argv, {
        stack: { type: "string", short: "s" },
        image: { type: "string", short: "i" },
        cloud: { type: "string" },
        yes: { type: "boolean", short: "y" },
        "dry-run": { type: "boolean" },
        check: { type: "boolean" },
        timeout: { type: "string" },
        rollback: { type: "boolean" },
        "no-rollback": { type: "boolean" },
        "policy-pack": { type: "boolean" },
    });
    const { stack, settingsName } = stackOption(values.stack, root);
    if (!values.image) {
        throw new UsageError("--image is required (an AMI id, a container image URI, or a Compute Engine image)");
    }
    if (values.cloud !== undefined && values.cloud !== "aws" && values.cloud !== "gcp") {
        throw new UsageError(`--cloud ${JSON.stringify(values.cloud)}: must be aws or gcp`);
    }
    if (values["dry-run"] && values.check) {
        throw new UsageError("choose one of --dry-run and --check");
    }
    if (values.rollback && values["no-rollback"]) {
        throw new UsageError("choose one of --rollback and --no-rollback");
    }
    return {
        stack,
        settingsName,
        image: values.image,
        cloud: values.cloud as "aws" | "gcp" | undefined,
        yes: values.yes ?? false,
        dryRun: values["dry-run"] ?? false,
        check: values.check ?? false,
        rollback: !(values["no-rollback"] ?? false),
        timeoutMs: values.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(values.timeout),
        policyPack: values["policy-pack"] ?? false,
    };
}

/** The stack operations a rollout runs (the Automation API; tests substitute fakes). */
export interface RolloutOperations {
    preview(options: api.StackOptions): Promise<api.PreviewResult>;
    up(options: api.StackOptions): Promise<api.UpResult>;
    setConfig(
        options: Pick<api.StackOptions, "stackName" | "workDir">,
        edits: readonly api.ConfigEdit[],
    ): Promise<void>;
    exportState(options: Pick<api.StackOptions, "stackName">): Promise<unknown>;
}

/** Where the followers' API calls go (emulators in tests); default: the clouds, with the SDKs' credentials. */
export interface FollowerSettings {
    readonly aws?: Omit<AwsClientSettings, "region">;
    readonly google?: GoogleApiSettings;
}

export interface RolloutDeps extends Omit<DeployDeps, "operations"> {
    /** Whether stdout is a terminal (a live progress block). Default: it is a TTY. */
    readonly terminal?: boolean;
    readonly operations?: RolloutOperations;
    readonly followers?: FollowerSettings;
    readonly clock?: Clock;
    /** Time between two looks at a rollout. Default 15 s. */
    readonly intervalMs?: number;
    /**
     * Validates the stack's config as it will be and returns its clouds; throws `ConfigError`.
     * Default: the program's own `parseConfig`.
     */
    readonly validate?: (raw: Record<string, unknown>, stack: string) => readonly string[];
}

/** The image a shape expects, as the followers compare it. */
function expected(image: string | GcpImage | undefined): { text?: string; gce?: GcpImage } {
    if (image === undefined) {
        return {};
    }
    return typeof image === "string" ? { text: image } : { gce: image };
}

/** The followers of a rollout's targets, each expecting the image its shape should run. */
export function followersFor(
    targets: readonly RolloutTarget[],
    images: Partial<Record<Shape, string | GcpImage>>,
    since: Date,
    settings: FollowerSettings = {},
): Follower[] {
    const google = new GoogleApi(settings.google);
    return targets.flatMap((target): Follower[] => {
        const image = expected(images[target.shape]);
        switch (target.shape) {
            case "asg":
                return [new AsgFollower(target, { expectedImage: image.text, since, aws: settings.aws })];
            case "fargate":
                return EcsFollower.forTarget(target, { expectedImage: image.text, aws: settings.aws });
            case "mig":
                return [new MigFollower(target, { expectedImage: image.gce, google })];
            case "cloudRun":
                return [new CloudRunFollower(target, { expectedImage: image.text, google })];
        }
    });
}

/** Plain output values from the API's outputs (secret ones included: only names are read). */
function outputValues(outputs: api.StackOutputs): Record<string, unknown> {
    return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value]));
}

/** One `up` and what following it showed (the rollout's, then the rollback's). */
export interface Phase {
    readonly name: "rollout" | "rollback";
    readonly up?: api.UpResult;
    readonly upError?: string;
    readonly follow?: FollowResult;
    readonly contractError?: string;
}

/** A GitHub job summary (Markdown) of how the rollout went. */
export function markdownSummary(
    args: RolloutArgs,
    rollouts: readonly CloudRollout[],
    phases: readonly Phase[],
    status: ExitStatus,
): string {
    const verdict: Record<ExitStatus, string> = {
        0: "the new image serves everywhere",
        1: "not rolled out (see the log)",
        2: "bad arguments",
        3: "failed; rolled back to the previous image",
        4: "failed; not rolled back",
        5: "timed out; rolled back to the previous image",
        6: "timed out; not rolled back",
        7: "failed, and the rollback failed too",
    };
    const lines = [
        `## Rollout of \`${args.image}\` to \`${args.stack}\``,
        "",
        `**Result:** ${verdict[status]} (exit ${status})`,
        "",
        "| cloud | shape | config |",
        "|---|---|---|",
        ...rollouts.map((r) => `| ${r.cloud} | ${r.shape} | \`${describeChanges(r.changes)}\` |`),
    ];
    for (const phase of phases) {
        lines.push("", `### ${phase.name}`, "");
        if (phase.upError !== undefined || (phase.up && phase.up.result !== "succeeded")) {
            lines.push(`- \`pulumi up\` failed: ${phase.upError ?? phase.up?.result}`);
        } else if (phase.up) {
            lines.push(`- \`pulumi up\` succeeded: ${describeCounts(phase.up.changes)}`);
        }
        if (phase.contractError !== undefined) {
            lines.push(`- ${phase.contractError.split("\n").join(" ")}`);
        }
        if (phase.follow) {
            lines.push("", "| resource | outcome | last seen | platform rollback |", "|---|---|---|---|");
            for (const r of phase.follow.results) {
                const seen = r.error ?? r.last?.summary ?? "";
                const back = r.last?.platformRollback
                    ? `${r.last.platformRollback.outcome}: ${r.last.platformRollback.detail}`
                    : "";
                lines.push(`| ${r.label} | ${r.outcome} | ${seen.replace(/\|/g, "\\|")} | ${back} |`);
            }
        }
    }
    return `${lines.join("\n")}\n`;
}

/** Previews the rollout in a copy of the project's stack files, so the real stack file is not touched. */
async function dryRun(
    args: RolloutArgs,
    changes: readonly ConfigChange[],
    root: string,
    operations: RolloutOperations,
    write: (text: string) => void,
): Promise<api.PreviewResult> {
    const copy = mkdtempSync(path.join(tmpdir(), "webapp-rollout-"));
    try {
        for (const file of ["Pulumi.yaml", `Pulumi.${args.settingsName}.yaml`]) {
            copyFileSync(path.join(root, file), path.join(copy, file));
        }
        await operations.setConfig({ stackName: args.stack, workDir: copy }, changes);
        return await operations.preview({
            stackName: args.stack,
            workDir: copy,
            onOutput: write,
            policyPacks: args.policyPack ? [api.POLICY_PACK] : undefined,
        });
    } finally {
        rmSync(copy, { recursive: true, force: true });
    }
}

const apiOperations: RolloutOperations = {
    preview: api.preview,
    up: api.up,
    setConfig: api.setConfig,
    exportState: api.exportState,
};

/** Runs the command; returns the exit status. */
export async function runRollout(argv: readonly string[], deps: RolloutDeps = {}): Promise<number> {
    const env = deps.env ?? process.env;
    const home = deps.home ?? homedir();
    const root = deps.root ?? api.PROJECT_ROOT;
    const print = deps.print ?? ((line: string) => console.log(line));
    const fail = deps.fail ?? ((line: string) => console.error(line));
    const write = deps.write ?? ((text: string) => process.stdout.write(text));
    const operations = deps.operations ?? apiOperations;
    const clock = deps.clock ?? systemClock;

    const args = argsOrUsage("rollout", ROLLOUT_USAGE, fail, () => parseRolloutArgs(argv, root));
    if (args === 2) {
        return EXIT.usage;
    }

    let raw: RawConfig;
    let rollouts: CloudRollout[];
    try {
        raw = readStackConfig(args.settingsName, { root });
        rollouts = planRollout(raw, args.image, args.cloud);
    } catch (error) {
        if (error instanceof UsageError) {
            fail(`rollout: ${error.message}`);
            fail(ROLLOUT_USAGE);
            return EXIT.usage;
        }
        throw error;
    }
    const allChanges = rollouts.flatMap((r) => r.changes);
    let clouds: readonly string[];
    try {
        // The config as it will be, validated offline: a bad image value stops here, before any CLI call.
        const validate = deps.validate ?? ((config, stack) => parseConfig(config, stack).clouds);
        clouds = validate(applyChanges(raw, allChanges), args.settingsName);
        if (!args.check) {
            requirePulumiCli(env);
            requirePulumiLogin(env, home);
        }
    } catch (error) {
        if (error instanceof ConfigError || error instanceof PreflightError) {
            fail(error.message);
            return EXIT.error;
        }
        throw error;
    }

    for (const r of rollouts) {
        print(
            `${r.cloud} (${r.shape}): ${describeImage(r.image)}` +
                (r.unchanged ? ` (the config already names it)` : ` (was ${describeCurrent(r.shape, raw)})`),
        );
        print(`  config: ${describeChanges(r.changes)}`);
    }
    if (args.check) {
        // For CI: the stack file and the clouds the rollout touches, as step outputs.
        if (env.GITHUB_OUTPUT) {
            appendFileSync(
                env.GITHUB_OUTPUT,
                `stack=${args.settingsName}\nclouds=${rollouts.map((r) => r.cloud).join(",")}\n`,
            );
        }
        return EXIT.ok;
    }
    cloudCredentialWarnings(clouds, env, home).forEach((w) => fail(`warning: ${w}`));

    if (args.dryRun) {
        try {
            const result = await dryRun(args, allChanges, root, operations, write);
            print(`Preview of ${result.stack} with the new image: ${describeCounts(result.changes)}`);
            return EXIT.ok;
        } catch (error) {
            fail(
                `rollout: preview of "${args.stack}" failed: ${error instanceof Error ? error.message : String(error)}`,
            );
            return EXIT.error;
        }
    }

    if (!args.yes) {
        if (!(deps.interactive ?? process.stdin.isTTY === true)) {
            fail(`rollout: this changes real infrastructure in "${args.stack}": pass --yes (no terminal to confirm)`);
            return EXIT.usage;
        }
        const answer = await (deps.ask ?? askOnTerminal)(
            `Roll out ${args.image} to stack "${args.stack}"? Type the stack name to continue: `,
        );
        if (answer.trim() !== args.stack) {
            fail("Cancelled: nothing was changed.");
            return EXIT.error;
        }
    }

    let deployed: DeployedImages = {};
    try {
        deployed = deployedImages((await operations.exportState({ stackName: args.stack })) as DeploymentState);
    } catch (error) {
        fail(`warning: could not read the stack's state for the images it runs: ${(error as Error).message}`);
    }
    const rollbacks = planRollback(raw, rollouts, deployed);

    const terminal = deps.terminal ?? process.stdout.isTTY === true;
    const display = (): Display =>
        terminal
            ? terminalDisplay(write, () => clock.now(), process.stdout.columns ?? 100)
            : plainDisplay(print, () => clock.now());

    /** Sets config, runs up, follows; returns what happened. */
    const phase = async (
        name: Phase["name"],
        edits: readonly ConfigChange[],
        images: Partial<Record<Shape, string | GcpImage>>,
    ): Promise<Phase> => {
        try {
            await operations.setConfig({ stackName: args.stack }, edits);
        } catch (error) {
            return {
                name,
                upError: `setting the config failed: ${error instanceof Error ? error.message : String(error)}`,
            };
        }
        const since = new Date(clock.now());
        let up: api.UpResult;
        try {
            up = await operations.up({
                stackName: args.stack,
                onOutput: write,
                policyPacks: args.policyPack ? [api.POLICY_PACK] : undefined,
            });
        } catch (error) {
            return { name, upError: error instanceof Error ? error.message : String(error) };
        }
        if (up.result !== "succeeded") {
            return { name, up };
        }
        let targets: RolloutTarget[];
        try {
            targets = rolloutTargets(outputValues(up.outputs), {
                aws: rollouts.find((r) => r.cloud === "aws")?.shape as "asg" | "fargate" | undefined,
                gcp: rollouts.find((r) => r.cloud === "gcp")?.shape as "mig" | "cloudRun" | undefined,
            });
        } catch (error) {
            if (error instanceof ContractError) {
                return { name, up, contractError: error.message };
            }
            throw error;
        }
        const followers = followersFor(targets, images, since, deps.followers);
        const view = display();
        view.note(
            `${name}: following ${followers.map((f) => f.label).join(", ")} (timeout ${Math.round(args.timeoutMs / 1000)} s)`,
        );
        const result = await follow(followers, {
            timeoutMs: args.timeoutMs,
            intervalMs: deps.intervalMs,
            clock,
            onObservation: (label, observation) => view.observe(label, observation),
            onRetry: (label, error) =>
                view.note(`${label}: retrying after ${(error as Error).name ?? "error"}: ${(error as Error).message}`),
        });
        view.close();
        return { name, up, follow: result };
    };

    const phases: Phase[] = [];
    const finish = (status: ExitStatus): ExitStatus => {
        const summaryFile = env.GITHUB_STEP_SUMMARY;
        if (summaryFile) {
            appendFileSync(summaryFile, markdownSummary(args, rollouts, phases, status));
        }
        return status;
    };
    const report = (p: Phase) => {
        if (p.upError !== undefined || (p.up && p.up.result !== "succeeded")) {
            fail(`${p.name}: pulumi up ${p.upError !== undefined ? `failed: ${p.upError}` : p.up?.result}`);
        }
        if (p.contractError !== undefined) {
            fail(`${p.name}: ${p.contractError}`);
        }
        for (const r of p.follow?.results ?? []) {
            const back = r.last?.platformRollback;
            const line = `${p.name}: ${r.label}: ${r.outcome}${r.error ? `: ${r.error}` : r.last ? ` - ${r.last.summary}` : ""}`;
            (r.outcome === "succeeded" ? print : fail)(line);
            if (back) {
                fail(`  platform rollback: ${back.outcome} (${back.detail})`);
            }
        }
    };

    const rollout = await phase("rollout", allChanges, Object.fromEntries(rollouts.map((r) => [r.shape, r.image])));
    phases.push(rollout);
    report(rollout);
    if (rollout.follow?.outcome === "succeeded") {
        print(`Rolled out ${args.image} to ${args.stack}: the new image serves everywhere.`);
        return finish(EXIT.ok);
    }
    if (rollout.contractError !== undefined || rollout.follow?.outcome === "error") {
        fail(
            `rollout: could not follow the rollout; the stack's config names the new image. ` +
                `Check the resources above in the console, then run again or set the previous image back.`,
        );
        return finish(EXIT.error);
    }
    const timedOut = rollout.follow?.outcome === "timeout";
    if (!args.rollback) {
        fail(
            `rollout: ${timedOut ? "timed out" : "failed"}; --no-rollback: the stack's config still names ${args.image}.`,
        );
        return finish(timedOut ? EXIT.timedOut : EXIT.failed);
    }
    if (rollbacks.length === 0) {
        fail(
            `rollout: ${timedOut ? "timed out" : "failed"}; nothing to roll back to: the config named ${args.image} before.`,
        );
        return finish(timedOut ? EXIT.timedOut : EXIT.failed);
    }
    const back = await rollbackPhase(rollbacks, phase, print);
    phases.push(back);
    report(back);
    if (back.follow?.outcome === "succeeded") {
        print(
            `Rolled back ${args.stack} to the previous image: ${rollbacks.map((r) => `${r.cloud} ${r.image ? describeImage(r.image) : "(as configured before)"}`).join(", ")}.`,
        );
        return finish(timedOut ? EXIT.timedOutRolledBack : EXIT.rolledBack);
    }
    fail(`rollout: the rollback of ${args.stack} did not complete: the stack needs attention.`);
    return finish(EXIT.rollbackFailed);
}

async function rollbackPhase(
    rollbacks: readonly CloudRollback[],
    phase: (
        name: Phase["name"],
        edits: readonly ConfigChange[],
        images: Partial<Record<Shape, string | GcpImage>>,
    ) => Promise<Phase>,
    print: (line: string) => void,
): Promise<Phase> {
    for (const r of rollbacks) {
        print(`rollback ${r.cloud} (${r.shape}): ${describeChanges(r.changes)} (previous image from the ${r.source})`);
    }
    const images: Partial<Record<Shape, string | GcpImage>> = {};
    for (const r of rollbacks) {
        if (r.image !== undefined) {
            images[r.shape] = r.image;
        }
    }
    return phase(
        "rollback",
        rollbacks.flatMap((r) => r.changes),
        images,
    );
}

if (require.main === module) {
    runAsMain(runRollout);
}
