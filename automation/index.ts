/**
 * The Automation API entry points: preview, up, destroy and read the outputs of a stack from code,
 * with the same program `index.ts` runs (an inline program). The stack's config is its
 * `Pulumi.<stack>.yaml` in the project root: the workspace's working directory is the project root,
 * where the Pulumi CLI finds `Pulumi.yaml` (project defaults) and the stack file (values and
 * encrypted secrets) exactly as `pulumi up` would.
 */
import * as path from "node:path";
import {
    LocalWorkspace,
    PulumiCommand,
    type EngineEvent,
    type OpMap,
    type PulumiFn,
    type Stack,
} from "@pulumi/pulumi/automation";
import { program } from "../components";
import { PROJECT } from "../config";
import { PreflightError, requirePulumiCli } from "./preflight";

/** The project folder: Pulumi.yaml and the stack files. */
export const PROJECT_ROOT = path.resolve(__dirname, "..");

/** The policy pack folder, for `policyPacks`. */
export const POLICY_PACK = path.join(PROJECT_ROOT, "policy");

/** The program the CLI runs (`index.ts`), as an inline program: stack config -> createInfrastructure -> outputs. */
export const inlineProgram: PulumiFn = async () => program();

export interface StackOptions {
    /** `demo`, or `<org>/demo` for a Pulumi Cloud organization; config comes from `Pulumi.demo.yaml`. */
    readonly stackName: string;
    /** Receives the CLI's progress output as it is printed. */
    readonly onOutput?: (text: string) => void;
    /** Receives each structured engine event (resource steps, diagnostics, summary). */
    readonly onEvent?: (event: EngineEvent) => void;
    /** Extra environment for the Pulumi CLI, e.g. `PULUMI_CONFIG_PASSPHRASE`. */
    readonly envVars?: Record<string, string>;
    /** Policy pack folders to enforce (e.g. `[POLICY_PACK]`); their dependencies must be installed. */
    readonly policyPacks?: readonly string[];
    /** The project folder. Default: the repository root. */
    readonly workDir?: string;
    /** Aborts the operation (the CLI is interrupted, as by Ctrl-C). */
    readonly signal?: AbortSignal;
}

/** Change counts by operation, e.g. `{ create: 34 }` or `{ same: 30, update: 4 }`. */
export type ChangeCounts = OpMap;

/** A stack output; secret outputs keep their value but say so (print them as `[secret]`). */
export interface OutputValue {
    readonly value: unknown;
    readonly secret: boolean;
}

export type StackOutputs = Record<string, OutputValue>;

export interface PreviewResult {
    readonly stack: string;
    readonly changes: ChangeCounts;
}

export interface UpResult {
    readonly stack: string;
    readonly result: "not-started" | "in-progress" | "succeeded" | "failed";
    readonly changes: ChangeCounts;
    readonly outputs: StackOutputs;
}

export interface DestroyResult {
    readonly stack: string;
    readonly result: "not-started" | "in-progress" | "succeeded" | "failed";
    readonly changes: ChangeCounts;
}

/** The Pulumi CLI, after checking it is on PATH (a `PreflightError` says how to install it). */
export async function pulumiCli(env: NodeJS.ProcessEnv = process.env): Promise<PulumiCommand> {
    requirePulumiCli(env);
    try {
        return await PulumiCommand.get();
    } catch (error) {
        throw new PreflightError(`The Pulumi CLI did not start: ${(error as Error).message.trim()}`);
    }
}

/** Creates the stack if needed, or selects it, with the inline program and the project's config files. */
export async function openStack(options: StackOptions): Promise<Stack> {
    const pulumiCommand = await pulumiCli();
    return LocalWorkspace.createOrSelectStack(
        { projectName: PROJECT, stackName: options.stackName, program: inlineProgram },
        { workDir: options.workDir ?? PROJECT_ROOT, envVars: options.envVars, pulumiCommand },
    );
}

function streaming(options: StackOptions) {
    return {
        onOutput: options.onOutput,
        onEvent: options.onEvent,
        signal: options.signal,
        policyPacks: options.policyPacks ? [...options.policyPacks] : undefined,
    };
}

function toOutputs(map: Record<string, { value: unknown; secret: boolean }>): StackOutputs {
    return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, { value: v.value, secret: v.secret }]));
}

export async function preview(options: StackOptions): Promise<PreviewResult> {
    const stack = await openStack(options);
    const result = await stack.preview(streaming(options));
    return { stack: stack.name, changes: result.changeSummary };
}

export async function up(options: StackOptions): Promise<UpResult> {
    const stack = await openStack(options);
    const result = await stack.up(streaming(options));
    return {
        stack: stack.name,
        result: result.summary.result,
        changes: result.summary.resourceChanges ?? {},
        outputs: toOutputs(result.outputs),
    };
}

export async function destroy(options: StackOptions): Promise<DestroyResult> {
    const stack = await openStack(options);
    const { onOutput, onEvent, signal } = streaming(options);
    const result = await stack.destroy({ onOutput, onEvent, signal });
    return { stack: stack.name, result: result.summary.result, changes: result.summary.resourceChanges ?? {} };
}

export async function outputs(options: Pick<StackOptions, "stackName" | "envVars" | "workDir">): Promise<StackOutputs> {
    const stack = await openStack(options);
    return toOutputs(await stack.outputs());
}

/** One edit of a stack's config (a `--path` key of the project namespace): set to a string, or remove. */
export interface ConfigEdit {
    /** e.g. `aws.imageId`, `gcp.image.name`. */
    readonly path: string;
    /** Undefined removes the key. */
    readonly value: string | undefined;
}

/**
 * Edits the stack's config as `pulumi config set --path` / `pulumi config rm --path` would, in
 * `Pulumi.<stack>.yaml` of the work folder (comments and other keys stay as they are).
 */
export async function setConfig(
    options: Pick<StackOptions, "stackName" | "envVars" | "workDir">,
    edits: readonly ConfigEdit[],
): Promise<void> {
    const stack = await openStack(options);
    for (const edit of edits) {
        const key = `${PROJECT}:${edit.path}`;
        if (edit.value === undefined) {
            await stack.removeConfig(key, true);
        } else {
            await stack.setConfig(key, { value: edit.value }, true);
        }
    }
}

/** The stack's state as `pulumi stack export` prints it (secrets stay encrypted). */
export async function exportState(options: Pick<StackOptions, "stackName" | "envVars" | "workDir">): Promise<unknown> {
    const stack = await openStack(options);
    return stack.exportStack();
}

export { PreflightError } from "./preflight";
