/**
 * `npm run bench [-- --runs <n>]`: how long the offline plan takes, next to the time of merely
 * importing the provider SDKs, measured in the same run on this machine. Every measurement is a
 * fresh Node process (nothing cached in memory); each figure is the median of `runs` processes.
 * Prints figures; it asserts nothing.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";

const ROOT = path.resolve(__dirname, "..");
const SDKS = ["@pulumi/pulumi", "@pulumi/aws", "@pulumi/gcp", "@pulumi/random", "@pulumi/awsx"];

interface Sample {
    /** Whole process, start to exit. */
    readonly wallMs: number;
    /** What the process measured itself: the imports, or the plan after its modules loaded. */
    readonly innerMs?: number;
    readonly resources?: number;
}

export function median(values: readonly number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function timed(args: string[]): { wallMs: number; stdout: string } {
    const started = process.hrtime.bigint();
    const stdout = execFileSync(process.execPath, args, {
        cwd: ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
    });
    return { wallMs: Number(process.hrtime.bigint() - started) / 1e6, stdout };
}

function importSample(): Sample {
    const script =
        "const t = process.hrtime.bigint();" +
        SDKS.map((m) => `require(${JSON.stringify(m)});`).join("") +
        "console.log(Number(process.hrtime.bigint() - t) / 1e6);";
    const { wallMs, stdout } = timed(["-e", script]);
    return { wallMs, innerMs: Number(stdout.trim()) };
}

function tsNodeSample(): Sample {
    const { wallMs } = timed(["-r", "ts-node/register/transpile-only", "-e", "0"]);
    return { wallMs };
}

function planSample(stack: string, out: string): Sample {
    const { wallMs, stdout } = timed([
        "-r",
        "ts-node/register/transpile-only",
        path.join("tools", "plan.ts"),
        "--stack",
        stack,
        "--out",
        out,
        "--json",
    ]);
    const summary = JSON.parse(stdout) as { elapsedMs: number; resources: number };
    return { wallMs, innerMs: summary.elapsedMs, resources: summary.resources };
}

function row(label: string, samples: Sample[]): string {
    const wall = median(samples.map((s) => s.wallMs));
    const inner = samples.every((s) => s.innerMs !== undefined)
        ? median(samples.map((s) => s.innerMs ?? 0)).toFixed(0)
        : "-";
    return `${label.padEnd(48)}${wall.toFixed(0).padStart(10)}${inner.padStart(16)}`;
}

function main(): void {
    const { values } = parseArgs({ options: { runs: { type: "string" } } });
    const runs = Math.max(1, Number(values.runs ?? 5));
    const out = mkdtempSync(path.join(tmpdir(), "bench-plan-"));
    try {
        const imports: Sample[] = [];
        const startup: Sample[] = [];
        const plans: Record<string, Sample[]> = { dev: [], demo: [] };
        // Interleaved, so a slow moment of the machine does not land on one measurement only.
        for (let i = 0; i < runs; i++) {
            startup.push(tsNodeSample());
            imports.push(importSample());
            for (const stack of Object.keys(plans)) {
                plans[stack].push(planSample(stack, out));
            }
        }
        console.log(
            `Offline plan benchmark: median of ${runs} fresh processes each; Node ${process.version}, ` +
                `${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? "unknown"})`,
        );
        console.log(`${"".padEnd(48)}${"wall (ms)".padStart(10)}${"in-process (ms)".padStart(16)}`);
        console.log(row("node + ts-node startup, empty program", startup));
        console.log(row(`import ${SDKS.length} provider SDKs (plain node)`, imports));
        for (const [stack, samples] of Object.entries(plans)) {
            console.log(row(`npm run plan -- --stack ${stack} (${samples[0].resources} resources)`, samples));
        }
        console.log(
            "wall: process start to exit (for the plan: TypeScript transpiling, SDK imports, the run, writing files). " +
                "in-process: the imports alone / the plan after its modules loaded.",
        );
    } finally {
        rmSync(out, { recursive: true, force: true });
    }
}

if (require.main === module) {
    main();
}
