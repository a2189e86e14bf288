/**
 * `npm run engine:identity -- --base <git-rev> [--stack <name>]... [--expect <op>=<n>]... [--json]`
 *
 * The identity proof of a change: deploys each stack as the base revision builds it (`up`, through
 * the real engine and the stand-in providers, into a temp backend), then previews the working tree
 * against that state and counts, per stack, what the engine would create, update, replace and
 * delete, listing every such resource with the properties that change.
 *
 * A refactor keeps every identity: the expectation is zero of each, unless `--expect` says
 * otherwise (`--expect update=1`, applied to each stack). Exit status: 0 when every stack meets the
 * expectation, 1 when one does not or an operation fails, 2 for bad arguments.
 *
 * The base revision is extracted with `git archive` into a temp folder. Its dependencies are the
 * working tree's when the two `package-lock.json` files are equal, else `npm ci` installs its own.
 * Each side runs in its own process with its own `@pulumi/pulumi` (see run-stack.ts).
 */
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { argsOrUsage, parseOptions, runAsMain, UsageError } from "../cli";
import { knownStacks } from "../offline/stack-config";
import type { RunRequest, RunResult } from "./run-stack";
import {
    copyProject,
    createEngineSession,
    ENGINE_MAILGUN_KEY,
    initStack,
    REPO_ROOT,
    setMailgunKey,
    type EngineSession,
} from "./session";
import { countSteps, describeStep, type ResourceStep } from "./steps";

export const IDENTITY_USAGE =
    "usage: npm run engine:identity -- --base <git-rev> [--stack <name>]... [--expect <op>=<n>]... [--json]";

/** The operations whose counts the proof checks. */
export const CHECKED_OPS = ["create", "update", "replace", "delete"] as const;
export type CheckedOp = (typeof CHECKED_OPS)[number];

/** How long one `up` or `preview` may take before it is stopped. */
export const OPERATION_TIME_LIMIT_MS = 10 * 60_000;

export interface IdentityArgs {
    readonly base: string;
    /** Empty: every stack that has a stack file in both revisions. */
    readonly stacks: readonly string[];
    readonly expect: Readonly<Record<CheckedOp, number>>;
    readonly json: boolean;
    readonly help: boolean;
}

export function parseIdentityArgs(argv: readonly string[]): IdentityArgs {
    const values = parseOptions(argv, {
        base: { type: "string" },
        stack: { type: "string", multiple: true },
        expect: { type: "string", multiple: true },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
    });
    if (values.help) {
        return { base: "", stacks: [], expect: zeroExpectation(), json: false, help: true };
    }
    if (!values.base) {
        throw new UsageError("--base <git-rev> is required (e.g. --base main)");
    }
    const expect = zeroExpectation();
    for (const item of values.expect ?? []) {
        const match = /^([a-z]+)=(\d+)$/.exec(item);
        if (!match || !(CHECKED_OPS as readonly string[]).includes(match[1])) {
            throw new UsageError(`--expect ${item}: expected <op>=<count> with op one of ${CHECKED_OPS.join(", ")}`);
        }
        expect[match[1] as CheckedOp] = Number(match[2]);
    }
    for (const stack of values.stack ?? []) {
        if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
            throw new UsageError(`--stack ${stack}: a stack file's name part, e.g. dev for Pulumi.dev.yaml`);
        }
    }
    return { base: values.base, stacks: values.stack ?? [], expect, json: values.json ?? false, help: false };
}

function zeroExpectation(): Record<CheckedOp, number> {
    return { create: 0, update: 0, replace: 0, delete: 0 };
}

/** Differences between the counts and the expectation, e.g. `replace: 2 (expected 0)`. */
export function unmetExpectations(
    counts: Record<string, number>,
    expect: Readonly<Record<CheckedOp, number>>,
): string[] {
    return CHECKED_OPS.filter((op) => (counts[op] ?? 0) !== expect[op]).map(
        (op) => `${op}: ${counts[op] ?? 0} (expected ${expect[op]})`,
    );
}

/** Extracts `rev` of the repository at `repo` into `dest`; returns the full commit id. */
export function extractRevision(rev: string, dest: string, repo = REPO_ROOT): string {
    let commit: string;
    try {
        commit = execFileSync("git", ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], {
            cwd: repo,
            encoding: "utf8",
        }).trim();
    } catch {
        throw new UsageError(`--base ${rev}: not a commit of this repository`);
    }
    mkdirSync(dest, { recursive: true });
    const archive = execFileSync("git", ["archive", "--format=tar", commit], { cwd: repo, maxBuffer: 1 << 30 });
    execFileSync("tar", ["-x", "-C", dest], { input: archive });
    return commit;
}

/**
 * Gives `checkout` its dependencies: a link to `reference`'s node_modules when both lock files are
 * equal, else its own `npm ci`.
 */
export function provideDependencies(
    checkout: string,
    reference = REPO_ROOT,
    log: (line: string) => void = () => {},
): "linked" | "installed" {
    const lock = (dir: string) => readFileSync(path.join(dir, "package-lock.json"), "utf8");
    if (existsSync(path.join(checkout, "node_modules"))) {
        return "linked";
    }
    if (lock(checkout) === lock(reference)) {
        symlinkSync(path.join(reference, "node_modules"), path.join(checkout, "node_modules"), "dir");
        return "linked";
    }
    log(`${checkout}: package-lock.json differs from the working tree's: npm ci (its own dependencies)`);
    execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: checkout, stdio: ["ignore", "inherit", "inherit"] });
    return "installed";
}

/** Copies a project folder: a git work tree by its files (copyProject), any other folder whole. */
export function copyCheckout(source: string, dest: string): void {
    if (existsSync(path.join(source, ".git"))) {
        copyProject(source, dest, source);
        return;
    }
    cpSync(source, dest, {
        recursive: true,
        filter: (file) => !file.split(path.sep).includes("node_modules"),
    });
}

/**
 * How a checkout loads its TypeScript: its own `tools/register.js`, or, in a revision older than
 * that loader, ts-node's transpile-only mode with the checkout's tsconfig.json.
 */
export function typeScriptLoader(checkout: string): { module: string; env: Record<string, string> } {
    const register = path.join(checkout, "tools", "register.js");
    if (existsSync(register)) {
        return { module: register, env: {} };
    }
    return {
        module: path.join(checkout, "node_modules", "ts-node", "register", "transpile-only"),
        env: { TS_NODE_PROJECT: path.join(checkout, "tsconfig.json") },
    };
}

/** Runs `up` or `preview` of `stack` in `checkout` in a child process (run-stack.ts). */
export function runOperation(
    session: EngineSession,
    checkout: string,
    stack: string,
    op: RunRequest["op"],
    timeoutMs = OPERATION_TIME_LIMIT_MS,
): Promise<RunResult> {
    const resultFile = path.join(session.dir, `result-${process.pid}-${Date.now()}.json`);
    const request: RunRequest = { checkout, stack, op, env: session.env, resultFile };
    const loader = typeScriptLoader(checkout);
    return new Promise((resolve, reject) => {
        const child = spawn(
            process.execPath,
            ["--require", loader.module, path.join(__dirname, "run-stack.ts"), JSON.stringify(request)],
            {
                cwd: checkout,
                env: { ...process.env, ...loader.env, PATH: session.path },
                stdio: ["ignore", "ignore", "pipe"],
            },
        );
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => {
            child.kill("SIGINT");
            setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
            reject(new Error(`${op} of ${stack} in ${checkout} ran past ${timeoutMs / 1000} s`));
        }, timeoutMs);
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            if (code !== 0 || !existsSync(resultFile)) {
                reject(new Error(`${op} of ${stack} in ${checkout} failed (exit ${code}):\n${stderr.trim()}`));
                return;
            }
            resolve(JSON.parse(readFileSync(resultFile, "utf8")) as RunResult);
        });
    });
}

/**
 * Lets `toDir`'s stack file use the stack created from `fromDir`: the same `encryptionsalt` (the
 * passphrase secrets provider's key), and the Mailgun key set again as a user would.
 */
export async function adoptStack(
    session: EngineSession,
    fromDir: string,
    toDir: string,
    stack: string,
    mailgunKey = ENGINE_MAILGUN_KEY,
): Promise<void> {
    const file = `Pulumi.${stack}.yaml`;
    const salt = parseDocument(readFileSync(path.join(fromDir, file), "utf8")).get("encryptionsalt");
    if (typeof salt !== "string") {
        throw new Error(`${path.join(fromDir, file)} has no encryptionsalt: was the stack created there?`);
    }
    const target = parseDocument(readFileSync(path.join(toDir, file), "utf8"));
    target.set("encryptionsalt", salt);
    writeFileSync(path.join(toDir, file), target.toString());
    await setMailgunKey(session, toDir, stack, mailgunKey);
}

/** The proof for one stack. */
export interface StackIdentity {
    readonly stack: string;
    /** Resources the base revision deployed (the stack and providers included). */
    readonly baseResources: number;
    /** Steps of the working tree's preview, counted by operation. */
    readonly counts: Record<string, number>;
    /** Every step other than `same`. */
    readonly changed: readonly ResourceStep[];
    readonly unmet: readonly string[];
}

/** Deploys `stack` from `baseDir` (creating it in the session's backend). Returns the resource count. */
export async function deployBase(session: EngineSession, baseDir: string, stack: string): Promise<number> {
    await initStack(session, baseDir, stack);
    const up = await runOperation(session, baseDir, stack, "up");
    if (up.result !== "succeeded") {
        throw new Error(`up of ${stack} at the base revision ${up.result}`);
    }
    return up.steps.length;
}

export interface HeadPreview {
    readonly baseDir: string;
    readonly headDir: string;
    readonly stack: string;
    /** What the base revision deployed (for the report). */
    readonly baseResources: number;
    readonly expect?: Readonly<Record<CheckedOp, number>>;
    /** The Mailgun key the head sets. Default: the one the base set (no change). */
    readonly mailgunKey?: string;
}

/** Previews `headDir` against the state `baseDir` deployed; returns the proof for the stack. */
export async function previewHead(session: EngineSession, head: HeadPreview): Promise<StackIdentity> {
    await adoptStack(session, head.baseDir, head.headDir, head.stack, head.mailgunKey);
    const preview = await runOperation(session, head.headDir, head.stack, "preview");
    const counts = countSteps(preview.steps);
    return {
        stack: head.stack,
        baseResources: head.baseResources,
        counts,
        changed: preview.steps.filter((s) => s.op !== "same"),
        unmet: unmetExpectations(counts, head.expect ?? zeroExpectation()),
    };
}

export interface IdentityOptions {
    readonly base: string;
    readonly stacks?: readonly string[];
    readonly expect?: Readonly<Record<CheckedOp, number>>;
    /** The changed project. Default: the working tree. */
    readonly headDir?: string;
    readonly log?: (line: string) => void;
}

export interface IdentityReport {
    readonly commit: string;
    readonly stacks: readonly StackIdentity[];
    /** Stacks with a stack file on one side only: nothing to compare. */
    readonly skipped: readonly string[];
}

/** The whole proof: extract the base, deploy each stack there, preview the working tree. */
export async function runIdentity(options: IdentityOptions): Promise<IdentityReport> {
    const log = options.log ?? (() => {});
    const session = createEngineSession();
    try {
        const baseDir = path.join(session.dir, "base");
        const headDir = path.join(session.dir, "head");
        const commit = extractRevision(options.base, baseDir);
        provideDependencies(baseDir, REPO_ROOT, log);
        copyCheckout(options.headDir ?? REPO_ROOT, headDir);
        provideDependencies(headDir, REPO_ROOT, log);
        const inBase = knownStacks(baseDir);
        const inHead = knownStacks(headDir);
        const wanted = options.stacks && options.stacks.length > 0 ? [...options.stacks] : inHead;
        for (const stack of wanted) {
            if (options.stacks?.includes(stack) && !(inBase.includes(stack) && inHead.includes(stack))) {
                throw new UsageError(
                    `--stack ${stack}: no Pulumi.${stack}.yaml in ${inBase.includes(stack) ? "the working tree" : options.base}`,
                );
            }
        }
        const compared = wanted.filter((s) => inBase.includes(s) && inHead.includes(s));
        const skipped = [...new Set([...inBase, ...inHead])].filter(
            (s) => !compared.includes(s) && !options.stacks?.length,
        );
        const results: StackIdentity[] = [];
        for (const stack of compared) {
            log(`${stack}: up at ${commit.slice(0, 7)}...`);
            const baseResources = await deployBase(session, baseDir, stack);
            log(`${stack}: preview of the working tree...`);
            results.push(
                await previewHead(session, { baseDir, headDir, stack, baseResources, expect: options.expect }),
            );
        }
        return { commit, stacks: results, skipped };
    } finally {
        session.dispose();
    }
}

/** The report as lines: one summary per stack, then one line per changed resource. */
export function renderIdentity(report: IdentityReport, base: string): string[] {
    const lines: string[] = [];
    for (const s of report.stacks) {
        const counts = CHECKED_OPS.map((op) => `${op} ${s.counts[op] ?? 0}`).join(", ");
        lines.push(
            `${s.stack}: ${base} (${report.commit.slice(0, 7)}) deployed ${s.baseResources} resources; ` +
                `the working tree would: same ${s.counts.same ?? 0}, ${counts}`,
        );
        for (const step of s.changed) {
            lines.push(`  ${describeStep(step)}`);
        }
        lines.push(
            s.unmet.length === 0 ? `  ${s.stack}: as expected` : `  ${s.stack}: NOT as expected: ${s.unmet.join("; ")}`,
        );
    }
    for (const stack of report.skipped) {
        lines.push(`${stack}: not compared (its stack file exists on one side only)`);
    }
    return lines;
}

export interface IdentityDeps {
    readonly print?: (line: string) => void;
    readonly fail?: (line: string) => void;
    readonly headDir?: string;
}

export async function identityCommand(argv: readonly string[], deps: IdentityDeps = {}): Promise<number> {
    const print = deps.print ?? ((line: string) => console.log(line));
    const fail = deps.fail ?? ((line: string) => console.error(line));
    const args = argsOrUsage("engine:identity", IDENTITY_USAGE, fail, () => parseIdentityArgs(argv));
    if (args === 2) {
        return 2;
    }
    if (args.help) {
        print(IDENTITY_USAGE);
        print("Deploys each stack at <git-rev> through the real engine (stand-in providers, temp backend), previews");
        print("the working tree against it and counts creates, updates, replaces and deletes per stack.");
        print("Expected: none of each, unless --expect <op>=<n> (per stack). Exit 0 as expected, 1 otherwise.");
        return 0;
    }
    let report: IdentityReport;
    try {
        report = await runIdentity({
            base: args.base,
            stacks: args.stacks,
            expect: args.expect,
            headDir: deps.headDir,
            log: fail,
        });
    } catch (error) {
        if (error instanceof UsageError) {
            fail(`engine:identity: ${error.message}`);
            return 2;
        }
        fail(`engine:identity: ${error instanceof Error ? error.message : String(error)}`);
        return 1;
    }
    if (args.json) {
        print(JSON.stringify(report, null, 2));
    } else {
        renderIdentity(report, args.base).forEach((line) => print(line));
    }
    return report.stacks.every((s) => s.unmet.length === 0) && report.stacks.length > 0 ? 0 : 1;
}

if (require.main === module) {
    runAsMain((argv) => identityCommand(argv));
}
