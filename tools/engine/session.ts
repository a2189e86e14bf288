/**
 * A place to run the real Pulumi engine offline: the CLI (built by build-cli.sh), a `file://`
 * backend, a Pulumi home and a passphrase for the secrets provider, all in a temp folder, and the
 * stand-in providers and the policy analyzer as plugins on PATH. Nothing outside the temp folder
 * is written except the CLI cache.
 */
import { execFileSync, spawn } from "node:child_process";
import {
    chmodSync,
    copyFileSync,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readFileSync,
    rmSync,
    symlinkSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { LEGACY_PACKAGES } from "./provider";

/** The repository this module belongs to (its stand-in providers and node_modules). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** The passphrase of the test stacks' secrets provider. */
export const TEST_PASSPHRASE = "engine-tests-passphrase";

/** The path of the Pulumi CLI, built into the cache folder first when it is missing. */
export function ensurePulumiCli(root = REPO_ROOT): string {
    try {
        return execFileSync("bash", [path.join(root, "tools", "engine", "build-cli.sh")], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "inherit"],
        }).trim();
    } catch (error) {
        throw new Error(
            `could not get the Pulumi CLI (bash tools/engine/build-cli.sh failed: ${(error as Error).message.trim()})`,
        );
    }
}

/**
 * The Pulumi packages the stand-ins serve: those the program uses (`@pulumi/aws` -> `aws`, from
 * package.json's dependencies) and those earlier revisions used (`LEGACY_PACKAGES`).
 */
export function providerPackages(root = REPO_ROOT): string[] {
    const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
        dependencies?: Record<string, string>;
    };
    const used = Object.keys(pkg.dependencies ?? {})
        .filter((name) => name.startsWith("@pulumi/") && name !== "@pulumi/pulumi")
        .map((name) => name.slice("@pulumi/".length));
    return [...new Set([...used, ...Object.keys(LEGACY_PACKAGES)])].sort();
}

function shellQuote(text: string): string {
    return `'${text.replace(/'/g, `'\\''`)}'`;
}

function writeExecutable(file: string, text: string): void {
    writeFileSync(file, text);
    chmodSync(file, 0o755);
}

/**
 * Writes `pulumi-resource-<pkg>` for each package (the stand-in provider of `provider.ts`) and the
 * policy analyzer launcher. The CLI's release archive ships that launcher as `pulumi-analyzer-policy`
 * and runs Node.js packs through the Node.js language host; without a language host (it is not
 * published as a Go module) the CLI looks for `pulumi-analyzer-policy-<runtime>` instead. Either way
 * it is the same two lines: run `@pulumi/pulumi/cmd/run-policy-pack` from the pack's own
 * node_modules (the CLI starts it in the pack's folder). Returns the package names.
 */
export function writePluginLaunchers(binDir: string, root = REPO_ROOT): string[] {
    mkdirSync(binDir, { recursive: true });
    const packages = providerPackages(root);
    const register = path.join(root, "tools", "register.js");
    const provider = path.join(root, "tools", "engine", "provider.ts");
    for (const pkg of packages) {
        writeExecutable(
            path.join(binDir, `pulumi-resource-${pkg}`),
            "#!/bin/sh\n" + `exec node --require ${shellQuote(register)} ${shellQuote(provider)} ${pkg} "$@"\n`,
        );
    }
    writeExecutable(
        path.join(binDir, "pulumi-analyzer-policy-nodejs"),
        '#!/bin/sh\nexec node ./node_modules/@pulumi/pulumi/cmd/run-policy-pack "$@"\n',
    );
    return packages;
}

export interface EngineSession {
    /** The temp folder holding everything below. */
    readonly dir: string;
    readonly cli: string;
    /** `file://` backend folder. */
    readonly backend: string;
    /** PATH for the CLI: its own folder, then the plugin launchers. */
    readonly path: string;
    /** The environment every CLI call gets (backend, home, passphrase, PATH, offline switches). */
    readonly env: Record<string, string>;
    /** Removes the temp folder. */
    dispose(): void;
}

/** A fresh backend, Pulumi home and plugin folder under a new temp folder. */
export function createEngineSession(options: { cli?: string; root?: string } = {}): EngineSession {
    const root = options.root ?? REPO_ROOT;
    const cli = options.cli ?? ensurePulumiCli(root);
    const dir = mkdtempSync(path.join(tmpdir(), "webapp-engine-"));
    const backend = path.join(dir, "state");
    const home = path.join(dir, "pulumi-home");
    const bin = path.join(dir, "bin");
    mkdirSync(backend);
    mkdirSync(home);
    writePluginLaunchers(bin, root);
    const searchPath = [path.dirname(cli), bin, process.env.PATH ?? ""].join(path.delimiter);
    const env: Record<string, string> = {
        PATH: searchPath,
        PULUMI_HOME: home,
        PULUMI_BACKEND_URL: `file://${backend}`,
        PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        // Plugins come from PATH (the stand-ins); never from the network.
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        // The CLI's own diagnostics stay plain text.
        NO_COLOR: "1",
    };
    return {
        dir,
        cli,
        backend,
        path: searchPath,
        env,
        dispose: () => rmSync(dir, { recursive: true, force: true }),
    };
}

/** The files of a checkout: tracked and untracked-but-not-ignored (what a clean clone plus edits holds). */
export function projectFiles(source: string): string[] {
    return execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], {
        cwd: source,
        encoding: "utf8",
    })
        .split("\0")
        .filter((file) => file !== "" && existsSync(path.join(source, file)));
}

/**
 * Copies a checkout's files to `dest` and links its installed dependencies (node_modules of the
 * project and of the policy pack) from `modulesFrom` (default: the source).
 */
export function copyProject(source: string, dest: string, modulesFrom = source): void {
    for (const file of projectFiles(source)) {
        const target = path.join(dest, file);
        mkdirSync(path.dirname(target), { recursive: true });
        copyFileSync(path.join(source, file), target);
    }
    for (const modules of ["node_modules", path.join("policy", "node_modules")]) {
        const from = path.join(modulesFrom, modules);
        if (existsSync(from) && existsSync(path.dirname(path.join(dest, modules)))) {
            symlinkSync(from, path.join(dest, modules), "dir");
        }
    }
}

export interface CliResult {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** Runs the CLI with the session's environment in `cwd`; rejects when it runs past `timeoutMs`. */
export function runPulumi(
    session: EngineSession,
    args: readonly string[],
    cwd: string,
    timeoutMs = 120_000,
): Promise<CliResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(session.cli, [...args, "--non-interactive"], {
            cwd,
            env: { ...process.env, ...session.env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            reject(new Error(`pulumi ${args.join(" ")} ran past ${timeoutMs / 1000} s\n${stdout}\n${stderr}`));
        }, timeoutMs);
        child.on("error", (error) => {
            clearTimeout(timer);
            reject(error);
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code: code ?? -1, stdout, stderr });
        });
    });
}

/** Like runPulumi, but a non-zero exit is an error that shows the CLI's output. */
export async function pulumiOk(
    session: EngineSession,
    args: readonly string[],
    cwd: string,
    timeoutMs?: number,
): Promise<string> {
    const result = await runPulumi(session, args, cwd, timeoutMs);
    if (result.code !== 0) {
        throw new Error(`pulumi ${args.join(" ")} exited ${result.code}:\n${result.stdout}${result.stderr}`);
    }
    return result.stdout;
}

/** Where the `file://` backend keeps a stack's checkpoint (project-scoped layout). */
export function checkpointFile(session: EngineSession, project: string, stack: string): string {
    return path.join(session.backend, ".pulumi", "stacks", project, `${stack}.json`);
}

/**
 * Runs `operation` with an AbortSignal that fires after `ms`; rejects at `ms` (plus a grace period
 * for the CLI to stop) instead of waiting for an engine that hangs.
 */
export async function withTimeLimit<T>(
    label: string,
    ms: number,
    operation: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
            controller.abort();
            setTimeout(() => reject(new Error(`${label} ran past its time limit of ${ms / 1000} s`)), 10_000).unref();
        }, ms);
    });
    try {
        return await Promise.race([operation(controller.signal), limit]);
    } finally {
        clearTimeout(timer);
    }
}

/** The Mailgun key the engine runs set (a made-up value: tests search the state for it). */
export const ENGINE_MAILGUN_KEY = "key-engine-0123456789abcdef0123456789abcdef";

/**
 * Creates `stack` in the session's backend from the stack file in `dir` (the passphrase secrets
 * provider writes its `encryptionsalt` into that file) and sets the Mailgun key as a user does.
 */
export async function initStack(
    session: EngineSession,
    dir: string,
    stack: string,
    mailgunKey = ENGINE_MAILGUN_KEY,
): Promise<void> {
    await pulumiOk(session, ["stack", "init", stack, "--secrets-provider", "passphrase"], dir);
    await setMailgunKey(session, dir, stack, mailgunKey);
}

/** `pulumi config set --secret --path mailgun.apiKey <key>`, as the stack files tell users to. */
export async function setMailgunKey(
    session: EngineSession,
    dir: string,
    stack: string,
    mailgunKey = ENGINE_MAILGUN_KEY,
): Promise<void> {
    await pulumiOk(
        session,
        ["config", "set", "--secret", "--path", "mailgun.apiKey", mailgunKey, "--stack", stack],
        dir,
    );
}
