/**
 * Runs rendered boot scripts for real: under bash, with a temporary filesystem root (WEBAPP_ROOT)
 * and a PATH that holds nothing but what a test names: a few listed system tools, the real client
 * tools of a cloud (the AWS CLI, curl) wrapped to record how they were called, and fake commands
 * (systemctl, chown, the agents) that record their calls too. A command installed on the test
 * machine can never stand in for one the test did not name. Also lints scripts with shellcheck.
 */
import { expect } from "chai";
import { spawn, spawnSync } from "node:child_process";
import {
    chmodSync,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readdirSync,
    readFileSync,
    rmSync,
    statSync,
    symlinkSync,
    writeFileSync,
} from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";

/** What a script run did. */
export interface BootRun {
    /** The exit status; null when the run was killed (it took longer than the harness allows). */
    readonly status: number | null;
    readonly stderr: string;
    readonly root: string;
    /** The argument lines each call of a fake or a recorded tool was given, in order. */
    calls(name: string): string[];
    /** A file the script wrote, by its path on the instance. */
    file(absolutePath: string): string;
    /** The script as it ran (its own file). */
    readonly script: string;
}

export interface BootRunOptions {
    /** The rendered script. */
    readonly script: string;
    /** Arguments for the script. Default none (how cloud-init runs it). */
    readonly args?: readonly string[];
    /** Files on the instance before the run: absolute path -> content (mode 0600). */
    readonly files?: Readonly<Record<string, string>>;
    /**
     * Fake commands: name -> bash body. Each fake first appends its arguments, one call per line, to
     * `$FAKE_CALLS/<name>`; `$FAKE_CALLS` is also where a fake may keep its own state. `sleep` is
     * the harness's own fake (see `onSleep`).
     */
    readonly fakes?: Readonly<Record<string, string>>;
    /**
     * Real commands: name -> absolute path. Each is on PATH as a wrapper that records its arguments
     * like a fake, then runs the real command with them.
     */
    readonly tools?: Readonly<Record<string, string>>;
    /** Fakes or tools to leave out (a tool the image lacks). */
    readonly missing?: readonly string[];
    /** Extra environment for the script (and so for the tools and fakes). */
    readonly env?: Readonly<Record<string, string>>;
    /**
     * Called for each `sleep` of the script (its argument, the 1-based call number) while the
     * script waits; the script goes on once it resolves. Without it, `sleep` returns at once.
     */
    readonly onSleep?: (seconds: string, call: number) => Promise<void> | void;
}

/**
 * The real commands scripts and fakes may use besides the named tools. PATH holds only these,
 * the tools and the fakes.
 */
const SYSTEM_TOOLS = ["cat", "chmod", "date", "dirname", "mkdir", "mktemp", "mv", "rm", "python3"] as const;

/** The longest a script may run before the harness kills it. */
const RUN_LIMIT_MS = 180_000;

let systemToolPaths: Record<string, string> | undefined;

/** Where `name` is on this machine's PATH; fails naming the command to install it. */
export function machineCommand(name: string, install: string): string {
    // python3 may be a version manager's shell shim: take the interpreter itself.
    const found = (
        name === "python3"
            ? spawnSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" })
            : spawnSync("bash", ["-c", `command -v ${name}`], { encoding: "utf8" })
    ).stdout?.trim();
    if (!found) {
        throw new Error(`the boot script tests need ${name} on this machine: ${install}`);
    }
    return found;
}

function systemTools(): Record<string, string> {
    systemToolPaths ??= Object.fromEntries(
        SYSTEM_TOOLS.map((name) => [
            name,
            machineCommand(name, `apt-get install ${name === "python3" ? "python3" : "coreutils"}`),
        ]),
    );
    return systemToolPaths;
}

const sandboxes: string[] = [];

/** Removes every sandbox made so far (call from an `after` hook). */
export function removeSandboxes(): void {
    for (const dir of sandboxes.splice(0)) {
        rmSync(dir, { recursive: true, force: true });
    }
}

function sandbox(prefix: string): string {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    sandboxes.push(dir);
    return dir;
}

function writeCommand(file: string, body: string): void {
    writeFileSync(file, `#!/bin/bash\nprintf '%s\\n' "$*" >>"$FAKE_CALLS/${path.basename(file)}"\n${body}\n`);
    chmodSync(file, 0o755);
}

/** `sleep` records its argument and, when the test listens, waits for the test's answer. */
const SLEEP_FAKE = `if [ -n "\${FAKE_SLEEP_URL:-}" ]; then
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=600).read()' "\${FAKE_SLEEP_URL}?seconds=$1" >/dev/null
fi`;

/** A loopback server the `sleep` fake calls; it answers once `onSleep` resolved. */
async function sleepListener(onSleep: NonNullable<BootRunOptions["onSleep"]>, failures: unknown[]) {
    let calls = 0;
    const server = createServer((req, res) => {
        const seconds = new URL(req.url ?? "/", "http://sleep").searchParams.get("seconds") ?? "";
        calls += 1;
        Promise.resolve()
            .then(() => onSleep(seconds, calls))
            .then(
                () => res.end("ok"),
                (error: unknown) => {
                    failures.push(error);
                    res.statusCode = 500;
                    res.end("onSleep failed");
                },
            );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sleep`,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
}

/** Runs a rendered script in a fresh sandbox and resolves with what happened. */
export async function runBootScript(options: BootRunOptions): Promise<BootRun> {
    if (options.fakes?.sleep !== undefined) {
        throw new Error("`sleep` is the harness's own fake: use onSleep");
    }
    const dir = sandbox("webapp-boot-");
    const root = path.join(dir, "root");
    const bin = path.join(dir, "bin");
    const calls = path.join(dir, "calls");
    const tools = path.join(dir, "tools");
    for (const d of [root, bin, calls, tools]) {
        mkdirSync(d);
    }
    const wanted = (name: string) => !options.missing?.includes(name);
    for (const [name, body] of Object.entries({ ...options.fakes, sleep: SLEEP_FAKE })) {
        if (wanted(name)) {
            writeCommand(path.join(bin, name), body);
        }
    }
    for (const [name, target] of Object.entries(options.tools ?? {})) {
        if (wanted(name)) {
            writeCommand(path.join(bin, name), `exec ${JSON.stringify(target)} "$@"`);
        }
    }
    for (const [name, target] of Object.entries(systemTools())) {
        symlinkSync(target, path.join(tools, name));
    }
    const scriptFile = path.join(dir, "boot.sh");
    writeFileSync(scriptFile, options.script);
    for (const [file, content] of Object.entries(options.files ?? {})) {
        mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
        writeFileSync(path.join(root, file), content, { mode: 0o600 });
    }

    const failures: unknown[] = [];
    const listener = options.onSleep ? await sleepListener(options.onSleep, failures) : undefined;
    try {
        const result = await new Promise<{ status: number | null; stderr: string }>((resolve, reject) => {
            const child = spawn("/bin/bash", [scriptFile, ...(options.args ?? [])], {
                env: {
                    PATH: `${bin}:${tools}`,
                    HOME: dir,
                    WEBAPP_ROOT: root,
                    FAKE_CALLS: calls,
                    ...(listener ? { FAKE_SLEEP_URL: listener.url } : {}),
                    ...options.env,
                },
                stdio: ["ignore", "ignore", "pipe"],
            });
            let stderr = "";
            child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
            const timer = setTimeout(() => child.kill("SIGKILL"), RUN_LIMIT_MS);
            child.once("error", reject);
            child.once("close", (status) => {
                clearTimeout(timer);
                resolve({ status, stderr });
            });
        });
        if (failures.length > 0) {
            throw failures[0];
        }
        return {
            ...result,
            root,
            script: options.script,
            calls: (name) => {
                const file = path.join(calls, name);
                return existsSync(file)
                    ? readFileSync(file, "utf8")
                          .split("\n")
                          .filter((l) => l !== "")
                    : [];
            },
            file: (absolutePath) => readFileSync(path.join(root, absolutePath), "utf8"),
        };
    } finally {
        await listener?.close();
    }
}

/**
 * Asserts that shellcheck finds nothing in `script` (every severity). Without shellcheck the test
 * is skipped, except under CI=true, where it fails (`.ci/run` installs shellcheck with apt-get).
 */
export function expectShellcheckClean(context: Mocha.Context, script: string): void {
    const file = path.join(sandbox("webapp-shellcheck-"), "boot.sh");
    writeFileSync(file, script);
    const result = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "--external-sources", file], {
        encoding: "utf8",
    });
    if ((result.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
        if (process.env.CI === "true") {
            expect.fail("shellcheck is not installed (.ci/run installs it with apt-get)");
        }
        // Outside CI the suite still runs without it; the skip shows as pending.
        context.skip();
    }
    expect(result.stdout + result.stderr, "shellcheck output").to.equal("");
    expect(result.status).to.equal(0);
}

/**
 * The contract every cloud's script keeps for the env file `<directory>/.env.db`: mode 0600, owned
 * by the app user (chowned while still a temporary file, then renamed), no temporary file left.
 */
export function expectPrivateEnvFile(run: BootRun, app = { user: "webapp", directory: "/opt/webapp" }): void {
    expect(statSync(path.join(run.root, app.directory, ".env.db")).mode & 0o777).to.equal(0o600);
    const chown = run.calls("chown").find((c) => c.includes(`${app.directory}/`));
    expect(chown).to.match(new RegExp(`^${app.user}: ${run.root}${app.directory}/\\.env\\.\\w+$`));
    const leftovers = readdirSync(path.join(run.root, app.directory)).filter((f) => f !== ".env.db");
    expect(leftovers, "temporary files").to.deep.equal([]);
}

/** The app's log directory exists and belongs to the app user (the agent ships its log). */
export function expectLogDirectory(run: BootRun, directory = "/var/log/webapp", user = "webapp"): void {
    expect(statSync(path.join(run.root, directory)).isDirectory()).to.equal(true);
    expect(run.calls("chown")).to.include(`${user}: ${run.root}${directory}`);
}
