/**
 * `npm run bench [-- --runs <n>] [--skip-test]`: the project's speed figures, measured on this
 * machine in one run and printed with their ratios and goals. It asserts nothing.
 *
 * 1. The offline plan of dev and demo beside its SDK floor: one plain Node process that imports
 *    the SDK modules the program imports and registers the same resources with the same inputs,
 *    flat (`tools/bench-floor.js`). Goal: plan <= 1.3 x floor. Each figure is the median of `runs`
 *    fresh processes, interleaved so a slow moment of the machine does not land on one figure.
 * 2. `npm test` (type check and every test), once. Goal: 60 s.
 * 3. The modeled first-deploy critical path of dev and demo (`tools/offline/critical-path.ts`)
 *    against the slowest single resource. Goal: 1.2.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import * as path from "node:path";
import { argsOrUsage, helpRequested, parseOptions, runAsMain, UsageError } from "./cli";
import { criticalPath, type CriticalPath } from "./offline/critical-path";
import { displayType } from "./offline/plan";

const ROOT = path.resolve(__dirname, "..");
const LOADER = path.join(ROOT, "tools", "register.js");
const CPU_PROBE = path.join(ROOT, "tools", "bench-cpu.js");
/** What the program imports (see tools/bench-floor.js). */
const SDK_MODULES = ["@pulumi/pulumi", "@pulumi/aws", "@pulumi/gcp", "@pulumi/random"];
const STACKS = ["dev", "demo"];

export const GOALS = { planToFloor: 1.3, testSeconds: 60, criticalPathRatio: 1.2 } as const;

export const BENCH_USAGE = "usage: npm run bench -- [--runs <n>] [--skip-test]";

export const BENCH_HELP = `${BENCH_USAGE}

Measures, on this machine: the offline plan of dev and demo beside the SDK floor (the same
resources registered flat by plain Node), npm test's wall time, and the modeled critical path of
a first deploy. Prints the figures, the ratios and the goals; asserts nothing.

Options:
      --runs <n>    fresh processes per plan and floor figure, the median is printed (default 5)
      --skip-test   leave out the npm test measurement (it takes minutes)
  -h, --help        this help`;

export interface BenchArgs {
    readonly runs: number;
    readonly skipTest: boolean;
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
    const values = parseOptions(argv, { runs: { type: "string" }, "skip-test": { type: "boolean" } });
    const text = values.runs ?? "5";
    if (!/^[1-9][0-9]*$/.test(text) || Number(text) > 100) {
        throw new UsageError(`--runs must be a whole number from 1 to 100 (got "${text}")`);
    }
    return { runs: Number(text), skipTest: values["skip-test"] ?? false };
}

export function median(values: readonly number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface Sample {
    readonly wallMs: number;
    /** The process's CPU time, user + system (written by tools/bench-cpu.js). */
    readonly cpuMs: number;
    /** What the process measured itself (the plan: its build after its modules loaded). */
    readonly innerMs?: number;
    readonly resources?: number;
}

let probes = 0;

function timed(args: string[], scratch: string): { wallMs: number; cpuMs: number; stdout: string } {
    const cpuFile = path.join(scratch, `cpu-${probes++}`);
    const started = process.hrtime.bigint();
    const stdout = execFileSync(process.execPath, ["-r", CPU_PROBE, ...args], {
        cwd: ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, BENCH_CPU_FILE: cpuFile },
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    return { wallMs, cpuMs: Number(readFileSync(cpuFile, "utf8")), stdout };
}

function planSample(stack: string, out: string): Sample {
    const plan = ["-r", LOADER, path.join("tools", "plan.ts"), "--stack", stack, "--out", out, "--json"];
    const { wallMs, cpuMs, stdout } = timed(plan, out);
    const summary = JSON.parse(stdout) as { elapsedMs: number; resources: number };
    return { wallMs, cpuMs, innerMs: summary.elapsedMs, resources: summary.resources };
}

function floorSample(resourcesJson: string, out: string): Sample {
    const { wallMs, cpuMs, stdout } = timed([path.join("tools", "bench-floor.js"), resourcesJson], out);
    return { wallMs, cpuMs, resources: Number(stdout.trim()) };
}

function row(label: string, samples: readonly Sample[]): string {
    const wall = median(samples.map((s) => s.wallMs));
    const cpu = median(samples.map((s) => s.cpuMs));
    const inner = samples.every((s) => s.innerMs !== undefined)
        ? median(samples.map((s) => s.innerMs ?? 0)).toFixed(0)
        : "-";
    return `  ${label.padEnd(52)}${wall.toFixed(0).padStart(10)}${cpu.toFixed(0).padStart(10)}${inner.padStart(16)}`;
}

/**
 * The CPU time (ms) of this process's finished children and their descendants (Linux:
 * /proc/self/stat's cutime + cstime), or undefined where that is not available.
 */
export function childrenCpuMs(): number | undefined {
    try {
        const stat = readFileSync("/proc/self/stat", "utf8");
        // The fields after the command name (which is in parentheses and may hold spaces).
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        // cutime and cstime are fields 16 and 17 of the whole line: 14 and 15 here (0-based, from field 3).
        const ticks = Number(fields[13]) + Number(fields[14]);
        const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
        return Number.isFinite(ticks) ? (ticks / ticksPerSecond) * 1000 : undefined;
    } catch {
        return undefined;
    }
}

function verdict(ok: boolean): string {
    return ok ? "within the goal" : "OVER the goal";
}

/** The critical path as printed: the figure, then the chain. */
export function renderCriticalPath(stack: string, cp: CriticalPath): string[] {
    const minutes = (s: number) => `${(s / 60).toFixed(1)} min`;
    return [
        `  ${stack}: ${minutes(cp.seconds)} against the slowest resource ${displayType(cp.slowest.type)} ` +
            `${cp.slowest.name} (${minutes(cp.slowest.seconds)}): ratio ${cp.ratio.toFixed(2)} ` +
            `(goal <= ${GOALS.criticalPathRatio}, ${verdict(cp.ratio <= GOALS.criticalPathRatio)})`,
        ...cp.steps.map(
            (s) =>
                `      ${`${Math.round(s.doneAt - s.seconds)} s`.padStart(7)} -> ${`${Math.round(s.doneAt)} s`.padEnd(7)} ${displayType(s.type)}  ${s.name}`,
        ),
    ];
}

export async function runBench(
    argv: readonly string[],
    print: (line: string) => void = (l) => console.log(l),
    fail: (line: string) => void = (l) => console.error(l),
): Promise<number> {
    if (helpRequested(argv)) {
        BENCH_HELP.split("\n").forEach(print);
        return 0;
    }
    const args = argsOrUsage("bench", BENCH_USAGE, fail, () => parseBenchArgs(argv));
    if (args === 2) {
        return 2;
    }
    const out = mkdtempSync(path.join(tmpdir(), "bench-plan-"));
    try {
        print(
            `Benchmark on this machine: Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? "unknown"}); ` +
                `median of ${args.runs} fresh processes per figure`,
        );
        // A first plan of each stack: the floor registers its resources.json, and the caches are warm.
        STACKS.forEach((stack) => planSample(stack, out));
        const startup: Sample[] = [];
        const imports: Sample[] = [];
        const plans: Record<string, Sample[]> = Object.fromEntries(STACKS.map((s) => [s, []]));
        const floors: Record<string, Sample[]> = Object.fromEntries(STACKS.map((s) => [s, []]));
        for (let i = 0; i < args.runs; i++) {
            startup.push(timed(["-r", LOADER, "-e", "0"], out));
            imports.push(timed(["-e", SDK_MODULES.map((m) => `require(${JSON.stringify(m)});`).join("")], out));
            for (const stack of STACKS) {
                floors[stack].push(floorSample(path.join(out, stack, "resources.json"), out));
                plans[stack].push(planSample(stack, out));
            }
        }
        print("");
        print("1. Offline plan and its SDK floor");
        print(
            `  ${"".padEnd(52)}${"wall (ms)".padStart(10)}${"CPU (ms)".padStart(10)}${"in-process (ms)".padStart(16)}`,
        );
        print(row("node + the project's TypeScript loader, empty program", startup));
        print(row(`import the SDK modules the program uses (plain node)`, imports));
        for (const stack of STACKS) {
            print(row(`SDK floor: ${plans[stack][0].resources} resources of ${stack}, flat`, floors[stack]));
            print(row(`npm run plan -- --stack ${stack}`, plans[stack]));
        }
        for (const stack of STACKS) {
            const ratio = (key: "wallMs" | "cpuMs") =>
                median(plans[stack].map((s) => s[key])) / median(floors[stack].map((s) => s[key]));
            const wall = ratio("wallMs");
            print(
                `  ${stack}: plan / floor = ${wall.toFixed(2)} wall, ${ratio("cpuMs").toFixed(2)} CPU ` +
                    `(goal <= ${GOALS.planToFloor}, ${verdict(wall <= GOALS.planToFloor)})`,
            );
        }
        print(
            "  CPU: user + system time of the process (steadier than wall time on a busy machine); " +
                "in-process: the plan's own time once its modules are loaded (config, program, policy).",
        );

        print("");
        print("2. npm test (type check and every test)");
        if (args.skipTest) {
            print("  skipped (--skip-test)");
        } else {
            const started = process.hrtime.bigint();
            const before = childrenCpuMs();
            const result = spawnSync("npm", ["test"], {
                cwd: ROOT,
                encoding: "utf8",
                env: { ...process.env, CI: "true" },
            });
            const seconds = Number(process.hrtime.bigint() - started) / 1e9;
            const summary =
                /(\d+) passed, (\d+) failed/.exec(result.stdout ?? "")?.[0] ?? `exit status ${result.status}`;
            const after = childrenCpuMs();
            const cpu =
                before === undefined || after === undefined
                    ? ""
                    : `, CPU ${((after - before) / 1000).toFixed(0)} s (user + system of all its processes: ` +
                      `about ${((after - before) / 1000 / cpus().length).toFixed(0)} s of wall time on ${cpus().length} idle CPUs)`;
            print(
                `  ${seconds.toFixed(0)} s wall (${summary})${cpu}; goal ${GOALS.testSeconds} s, ${verdict(seconds <= GOALS.testSeconds)}`,
            );
        }

        print("");
        print("3. Modeled critical path of a first deploy (typical create times: tools/offline/critical-path.ts)");
        for (const stack of STACKS) {
            const doc = JSON.parse(readFileSync(path.join(out, stack, "resources.json"), "utf8")) as {
                resources: Parameters<typeof criticalPath>[0];
            };
            renderCriticalPath(stack, criticalPath(doc.resources)).forEach(print);
        }
        return 0;
    } finally {
        rmSync(out, { recursive: true, force: true });
    }
}

if (require.main === module) {
    runAsMain((argv) => runBench(argv));
}
