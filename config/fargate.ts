/**
 * The rules of the `fargate` backend's keys (`aws.fargate.*`) that span more than one value: the
 * task size is one of the combinations Fargate offers, the image is set, workers have distinct
 * names, and a stack on Fargate does not also set the instance keys.
 */

/** The CPU architectures of Fargate tasks (`aws.fargate.architecture`). */
export const FARGATE_ARCHITECTURES = ["X86_64", "ARM64"] as const;

/** A worker's name: it names its ECS service and task family, so short and DNS-like. */
export const WORKER_NAME = /^[a-z][a-z0-9-]{0,22}[a-z0-9]$|^[a-z]$/;

/** The load-balanced service's name among the workers' (a worker may not take it). */
export const WEB_SERVICE = "web";

/**
 * The keys the `asg` backend reads, with their defaults (`undefined`: none): a stack on another
 * backend that sets one to anything else would look configured for both.
 */
export const INSTANCE_KEY_DEFAULTS: Readonly<Record<"instanceType" | "imageId" | "imageFilter" | "asg", unknown>> = {
    instanceType: "t2.micro",
    imageId: undefined,
    imageFilter: { owner: "self", namePrefix: "webapp-" },
    asg: { min: 1, max: 2, cpuTarget: 50 },
};

/**
 * The memory sizes (MiB) Fargate allows for each task CPU size (CPU units, 1024 = 1 vCPU), from
 * the ECS developer guide's "Task CPU and memory" table.
 */
export const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = {
    256: [512, 1024, 2048],
    512: range(1024, 4096, 1024),
    1024: range(2048, 8192, 1024),
    2048: range(4096, 16384, 1024),
    4096: range(8192, 30720, 1024),
    8192: range(16384, 61440, 4096),
    16384: range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
    const values: number[] = [];
    for (let v = from; v <= to; v += step) {
        values.push(v);
    }
    return values;
}

/** Why a CPU/memory pair is not a Fargate size, or undefined when it is one. */
export function fargateSizeProblem(cpu: number, memory: number): string | undefined {
    const memories = FARGATE_SIZES[cpu];
    if (memories === undefined) {
        return `is not a Fargate CPU size (one of ${Object.keys(FARGATE_SIZES).join(", ")})`;
    }
    if (!memories.includes(memory)) {
        const [first, second] = memories;
        const last = memories[memories.length - 1];
        return `is not a memory size Fargate offers with ${cpu} CPU units (${first}, ${second}, ... ${last} MiB)`;
    }
    return undefined;
}

export interface FargateProblem {
    readonly path: ReadonlyArray<string | number>;
    readonly message: string;
    readonly input?: unknown;
}

interface FargateDraft {
    readonly image?: unknown;
    readonly cpu?: unknown;
    readonly memory?: unknown;
    readonly min?: unknown;
    readonly max?: unknown;
    readonly workers?: unknown;
}

/**
 * The problems of `aws.fargate` (parsed values with their defaults; any may be invalid), and the
 * instance keys set to other than their defaults when `aws.compute` is `fargate` (the parsed config
 * holds the defaults either way, so only a value of the stack's own is reported). Size rules run
 * whatever the backend, so a stack switching to Fargate already holds valid values.
 */
export function fargateProblems(
    awsDraft: Readonly<Record<string, unknown>> & { fargate?: FargateDraft },
): FargateProblem[] {
    const problems: FargateProblem[] = [];
    const f = awsDraft.fargate ?? {};
    const compute = awsDraft.compute;
    const size = (path: ReadonlyArray<string | number>, cpu: unknown, memory: unknown) => {
        if (isInt(cpu) && isInt(memory)) {
            const problem = fargateSizeProblem(cpu, memory);
            if (problem !== undefined) {
                const cpuKnown = FARGATE_SIZES[cpu] !== undefined;
                problems.push({
                    path: [...path, cpuKnown ? "memory" : "cpu"],
                    message: problem,
                    input: cpuKnown ? memory : cpu,
                });
            }
        }
    };
    size(["aws", "fargate"], f.cpu, f.memory);
    if (isInt(f.min) && isInt(f.max) && f.min > f.max) {
        problems.push({
            path: ["aws", "fargate", "min"],
            message: `must not exceed aws.fargate.max (${f.max})`,
            input: f.min,
        });
    }
    const workers = Array.isArray(f.workers) ? (f.workers as Array<Record<string, unknown> | undefined>) : [];
    const seen = new Map<unknown, number>();
    workers.forEach((worker, i) => {
        const path = ["aws", "fargate", "workers", i];
        size(path, worker?.cpu, worker?.memory);
        const name = worker?.name;
        if (typeof name !== "string") {
            return;
        }
        if (name === WEB_SERVICE) {
            problems.push({
                path: [...path, "name"],
                message: `is the load-balanced service's name: pick another`,
                input: name,
            });
        } else if (seen.has(name)) {
            problems.push({
                path: [...path, "name"],
                message: `is also the name of aws.fargate.workers[${seen.get(name)}]: worker names must differ`,
                input: name,
            });
        } else {
            seen.set(name, i);
        }
    });
    if (compute === "fargate") {
        if (f.image === undefined) {
            problems.push({
                path: ["aws", "fargate", "image"],
                message:
                    "is required when aws.compute is fargate: pulumi config set --path aws.fargate.image " +
                    "<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>",
            });
        }
        for (const [key, byDefault] of Object.entries(INSTANCE_KEY_DEFAULTS)) {
            const value = awsDraft[key];
            if (value !== undefined && JSON.stringify(value) !== JSON.stringify(byDefault)) {
                problems.push({
                    path: ["aws", key],
                    message: `is set, but aws.compute is "fargate", which runs no instances: remove it (pulumi config rm --path aws.${key})`,
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
