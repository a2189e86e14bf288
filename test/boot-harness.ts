/**
 * Runs rendered boot scripts for real: under bash, with a temporary filesystem root (WEBAPP_ROOT)
 * and fake commands on PATH that record how they were called; and lints them with shellcheck.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
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
import { tmpdir } from "node:os";
import * as path from "node:path";

/** What a script run did. */
export interface BootRun {
    readonly status: number | null;
    readonly stderr: string;
    readonly root: string;
    /** The argument lines each call of a fake was given, in order. */
    calls(name: string): string[];
    /** A file the script wrote, by its path on the instance. */
    file(absolutePath: string): string;
}

export interface BootRunOptions {
    /** The rendered script. */
    readonly script: string;
    /**
     * Fake commands: name -> bash body. Each fake first appends its arguments, one call per line, to
     * `$FAKE_CALLS/<name>`; `$FAKE_CALLS` is also where a fake may keep its own state.
     */
    readonly fakes: Readonly<Record<string, string>>;
    /** Fakes to leave out (a tool the image lacks). */
    readonly missing?: readonly string[];
    /** Extra environment for the fakes. */
    readonly env?: Readonly<Record<string, string>>;
}

/**
 * The real commands scripts and fakes may use. PATH holds only these and the fakes, so a command
 * installed on the test machine (a real `curl` or `aws`) can never stand in for a fake.
 */
const SYSTEM_TOOLS = ["cat", "chmod", "date", "dirname", "mkdir", "mktemp", "mv", "rm", "python3"] as const;

let systemToolPaths: Record<string, string> | undefined;

function systemTools(): Record<string, string> {
    systemToolPaths ??= Object.fromEntries(
        SYSTEM_TOOLS.map((name) => {
            // python3 may be a version manager's shell shim: link the interpreter itself.
            const found = (
                name === "python3"
                    ? spawnSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" })
                    : spawnSync("bash", ["-c", `command -v ${name}`], { encoding: "utf8" })
            ).stdout.trim();
            if (!found) {
                throw new Error(`the boot script tests need ${name} on this machine`);
            }
            return [name, found];
        }),
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

/** Runs a rendered script in a fresh sandbox and returns what happened. */
export function runBootScript(options: BootRunOptions): BootRun {
    const dir = sandbox("webapp-boot-");
    const root = path.join(dir, "root");
    const bin = path.join(dir, "bin");
    const calls = path.join(dir, "calls");
    for (const d of [root, bin, calls]) {
        mkdirSync(d);
    }
    for (const [name, body] of Object.entries(options.fakes)) {
        if (options.missing?.includes(name)) {
            continue;
        }
        const file = path.join(bin, name);
        writeFileSync(file, `#!/bin/bash\nprintf '%s\\n' "$*" >>"$FAKE_CALLS/${name}"\n${body}\n`);
        chmodSync(file, 0o755);
    }
    const tools = path.join(dir, "tools");
    mkdirSync(tools);
    for (const [name, target] of Object.entries(systemTools())) {
        symlinkSync(target, path.join(tools, name));
    }
    const scriptFile = path.join(dir, "boot.sh");
    writeFileSync(scriptFile, options.script);
    const result = spawnSync("/bin/bash", [scriptFile], {
        encoding: "utf8",
        env: { PATH: `${bin}:${tools}`, HOME: dir, WEBAPP_ROOT: root, FAKE_CALLS: calls, ...options.env },
        timeout: 30_000,
    });
    return {
        status: result.status,
        stderr: result.stderr,
        root,
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
