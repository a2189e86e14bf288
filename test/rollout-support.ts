/**
 * What the rollout command's tests share: a stand-in for the Pulumi side (config edits, up,
 * preview, state) that records its calls and keeps the config as the stack file would, and a
 * runner that captures the command's output. The followers run for real against stand-in APIs.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type * as api from "../automation";
import { runRollout, type RolloutDeps, type RolloutOperations } from "../automation/rollout/cli";
import { follow, type Clock, type Follower, type FollowResult, type Observation } from "../automation/rollout/follow";
import { applyChanges, type RawConfig } from "../automation/rollout/images";

/** A folder with a stand-in `pulumi` executable (found on PATH by the preflight, never run). */
export function fakePulumiBin(): string {
    const dir = mkdtempSync(path.join(tmpdir(), "fake-pulumi-"));
    const file = path.join(dir, "pulumi");
    writeFileSync(file, "#!/bin/sh\necho v3.248.0\n");
    chmodSync(file, 0o755);
    return dir;
}

export function removeDir(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
}

/** An environment that passes the preflight without warnings. */
export function rolloutEnv(bin: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
        PATH: bin,
        PULUMI_ACCESS_TOKEN: "pul-test",
        AWS_PROFILE: "test",
        GOOGLE_APPLICATION_CREDENTIALS: "/dev/null",
        ...extra,
    };
}

/** A clock that moves only when the code under test sleeps; `slept` lists the sleeps. */
export function fakeClock(start = Date.parse("2026-01-05T10:00:00Z")): Clock & { slept: number[] } {
    let now = start;
    const slept: number[] = [];
    return {
        slept,
        now: () => now,
        sleep: async (ms) => {
            slept.push(ms);
            now += ms;
        },
    };
}

/** Follows to the end on `clock` (default timeout 30 minutes), keeping every observation in order. */
export async function followSeen(
    followers: readonly Follower[],
    clock: Clock,
    timeoutMs = 30 * 60_000,
): Promise<{ result: FollowResult; seen: Observation[] }> {
    const seen: Observation[] = [];
    const result = await follow(followers, { timeoutMs, clock, onObservation: (_, o) => seen.push(o) });
    return { result, seen };
}

export interface UpCall {
    /** 1 for the rollout's up, 2 for the rollback's. */
    readonly n: number;
    /** The stack's config at that up (after the edits). */
    readonly config: Record<string, unknown>;
}

export interface PulumiScenario {
    /** The stack's config before the rollout (the stack file). */
    readonly config: RawConfig;
    /** What `up` does to the stand-in clouds, and the outputs it returns; throw to fail the up. */
    readonly up: (call: UpCall) => Promise<Record<string, unknown>> | Record<string, unknown>;
    /** The state export (for the images the stack runs). */
    readonly state?: unknown;
}

export interface Recorded {
    readonly calls: string[];
    /** The config as the edits left it. */
    config: Record<string, unknown>;
    readonly previews: api.StackOptions[];
}

/** The Pulumi side of a rollout, recording `setConfig <edits>` (with `in <dir>` off the project root), `up`, `preview`, `export`. */
export function pulumiStandIn(scenario: PulumiScenario): RolloutOperations & Recorded {
    let ups = 0;
    const recorded: Recorded = { calls: [], config: { ...scenario.config }, previews: [] };
    return Object.assign(recorded, {
        async setConfig(options: { stackName: string; workDir?: string }, edits: readonly api.ConfigEdit[]) {
            const where = options.workDir === undefined ? "" : " (in a copy)";
            recorded.calls.push(
                `setConfig${where} ${edits.map((e) => (e.value === undefined ? `-${e.path}` : `${e.path}=${e.value}`)).join(" ")}`,
            );
            if (options.workDir === undefined) {
                recorded.config = applyChanges(recorded.config, edits);
            }
        },
        async up(options: api.StackOptions): Promise<api.UpResult> {
            ups++;
            recorded.calls.push("up");
            const outputs = await scenario.up({ n: ups, config: recorded.config });
            return {
                stack: options.stackName,
                result: "succeeded" as const,
                changes: { update: 2, same: 40 },
                outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { value: v, secret: false }])),
            };
        },
        async preview(options: api.StackOptions): Promise<api.PreviewResult> {
            recorded.calls.push("preview");
            recorded.previews.push(options);
            return { stack: options.stackName, changes: { update: 2, same: 40 } };
        },
        async exportState() {
            recorded.calls.push("export");
            return scenario.state ?? { deployment: { resources: [] } };
        },
    });
}

export interface RolloutRun {
    readonly code: number;
    readonly out: string[];
    readonly err: string[];
}

export async function rollout(argv: readonly string[], deps: RolloutDeps): Promise<RolloutRun> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runRollout(argv, {
        print: (l) => out.push(l),
        fail: (l) => err.push(l),
        write: () => undefined,
        interactive: false,
        terminal: false,
        clock: fakeClock(),
        ...deps,
    });
    return { code, out, err };
}
