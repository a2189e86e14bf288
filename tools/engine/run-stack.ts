/**
 * Runs one engine operation (`up` or `preview`) of one stack of one checkout, in its own process:
 * the program is that checkout's `index.ts` (the Pulumi entry point) run as an Automation API inline
 * program with that checkout's own `@pulumi/pulumi`, so two revisions never share SDK state.
 * Started by identity.ts; writes its result as JSON to the file named in its argument.
 *
 *   node -r <checkout>/tools/register.js run-stack.ts '<RunRequest JSON>'
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import type * as automation from "@pulumi/pulumi/automation";
import { resourceSteps, type ResourceStep } from "./steps";

export interface RunRequest {
    readonly checkout: string;
    readonly stack: string;
    readonly op: "up" | "preview";
    /** The CLI's environment (backend, home, passphrase, PATH). */
    readonly env: Record<string, string>;
    readonly resultFile: string;
}

export interface RunResult {
    readonly result: string;
    readonly changes: Record<string, number>;
    readonly steps: ResourceStep[];
}

/** The project name from the checkout's Pulumi.yaml (`name: webapp-infra`). */
export function projectName(checkout: string): string {
    const text = readFileSync(path.join(checkout, "Pulumi.yaml"), "utf8");
    const name = /^name:\s*(\S+)\s*$/m.exec(text)?.[1];
    if (!name) {
        throw new Error(`${path.join(checkout, "Pulumi.yaml")} has no name`);
    }
    return name;
}

async function run(request: RunRequest): Promise<RunResult> {
    const fromCheckout = createRequire(path.join(request.checkout, "package.json"));
    const auto = fromCheckout("@pulumi/pulumi/automation") as typeof automation;
    const entry = path.join(request.checkout, "index.ts");
    const program = async () => fromCheckout(entry) as Record<string, unknown>;
    const stack = await auto.LocalWorkspace.selectStack(
        { projectName: projectName(request.checkout), stackName: request.stack, program },
        { workDir: request.checkout, envVars: request.env },
    );
    const events: automation.EngineEvent[] = [];
    const options = { onEvent: (event: automation.EngineEvent) => events.push(event) };
    if (request.op === "up") {
        const result = await stack.up(options);
        return {
            result: result.summary.result,
            changes: (result.summary.resourceChanges ?? {}) as Record<string, number>,
            steps: resourceSteps(events),
        };
    }
    const result = await stack.preview(options);
    return {
        result: "succeeded",
        changes: result.changeSummary as Record<string, number>,
        steps: resourceSteps(events),
    };
}

if (require.main === module) {
    const request = JSON.parse(process.argv[2] ?? "{}") as RunRequest;
    process.env.PATH = request.env.PATH ?? process.env.PATH;
    run(request).then(
        (result) => writeFileSync(request.resultFile, JSON.stringify(result)),
        (error: unknown) => {
            console.error(error instanceof Error ? error.message : String(error));
            process.exitCode = 1;
        },
    );
}
