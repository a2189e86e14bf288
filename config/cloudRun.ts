/**
 * The rules of the `cloudRun` backend's keys (`gcp.cloudRun.*`) that span more than one value: the
 * memory fits the CPU size, the image is set, `min` does not exceed `max`, and a stack on Cloud Run
 * does not also set the instance keys of the `mig` backend.
 */
import type { FargateProblem } from "./fargate";

/**
 * The memory range (MiB) Cloud Run allows for each CPU size (vCPUs), from Cloud Run's "Configure
 * memory limits" and "CPU limits" pages: more than 4 GiB needs 2 CPUs, more than 8 GiB 4, more than
 * 16 GiB 6, more than 24 GiB 8; 4 CPUs need at least 2 GiB, 6 and 8 CPUs at least 4 GiB.
 */
export const CLOUD_RUN_SIZES: Readonly<Record<number, { readonly min: number; readonly max: number }>> = {
    1: { min: 512, max: 4096 },
    2: { min: 512, max: 8192 },
    4: { min: 2048, max: 16384 },
    6: { min: 4096, max: 24576 },
    8: { min: 4096, max: 32768 },
};

/**
 * The keys the `mig` backend reads, with the values they hold by default (`image`: the empty
 * section as parsed, or the family the parsed config fills in): a stack on another backend that
 * sets one to anything else would look configured for both.
 */
export const GCP_INSTANCE_KEY_DEFAULTS: Readonly<Record<"machineType" | "image" | "mig", readonly unknown[]>> = {
    machineType: ["e2-micro"],
    image: [{}, { family: "webapp" }],
    mig: [{ min: 1, max: 2, cpuTarget: 50 }],
};

/** Why a CPU/memory pair is not a Cloud Run size, or undefined when it is one. */
export function cloudRunSizeProblem(cpu: number, memory: number): string | undefined {
    const size = CLOUD_RUN_SIZES[cpu];
    if (size === undefined) {
        return `is not a Cloud Run CPU size (one of ${Object.keys(CLOUD_RUN_SIZES).join(", ")})`;
    }
    if (memory < size.min || memory > size.max) {
        return `is not a memory size Cloud Run offers with ${cpu} CPU (${size.min}-${size.max} MiB)`;
    }
    return undefined;
}

interface CloudRunDraft {
    readonly image?: unknown;
    readonly cpu?: unknown;
    readonly memory?: unknown;
    readonly min?: unknown;
    readonly max?: unknown;
}

/**
 * The problems of `gcp.cloudRun` (parsed values with their defaults; any may be invalid), and the
 * instance keys set to other than their defaults when `gcp.compute` is `cloudRun`. Size rules run
 * whatever the backend, so a stack switching to Cloud Run already holds valid values.
 */
export function cloudRunProblems(
    gcpDraft: Readonly<Record<string, unknown>> & { cloudRun?: CloudRunDraft },
): FargateProblem[] {
    const problems: FargateProblem[] = [];
    const r = gcpDraft.cloudRun ?? {};
    if (isInt(r.cpu) && isInt(r.memory)) {
        const problem = cloudRunSizeProblem(r.cpu, r.memory);
        if (problem !== undefined) {
            const cpuKnown = CLOUD_RUN_SIZES[r.cpu] !== undefined;
            problems.push({
                path: ["gcp", "cloudRun", cpuKnown ? "memory" : "cpu"],
                message: problem,
                input: cpuKnown ? r.memory : r.cpu,
            });
        }
    }
    if (isInt(r.min) && isInt(r.max) && r.min > r.max) {
        problems.push({
            path: ["gcp", "cloudRun", "min"],
            message: `must not exceed gcp.cloudRun.max (${r.max})`,
            input: r.min,
        });
    }
    if (gcpDraft.compute === "cloudRun") {
        if (r.image === undefined) {
            problems.push({
                path: ["gcp", "cloudRun", "image"],
                message:
                    "is required when gcp.compute is cloudRun: pulumi config set --path gcp.cloudRun.image " +
                    "<region>-docker.pkg.dev/<project>/<repository>/<image>:<tag>",
            });
        }
        for (const [key, defaults] of Object.entries(GCP_INSTANCE_KEY_DEFAULTS)) {
            const value = gcpDraft[key];
            const text = JSON.stringify(value);
            if (value !== undefined && !defaults.some((d) => JSON.stringify(d) === text)) {
                problems.push({
                    path: ["gcp", key],
                    message: `is set, but gcp.compute is "cloudRun", which runs no instances: remove it (pulumi config rm --path gcp.${key})`,
                    input: value,
                });
            }
        }
    }
    return problems;
}

function isInt(v: unknown): v is number {
    return Number.isInteger(v);
}
