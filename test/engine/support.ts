/** Helpers of the engine tests: time limits per operation, the offline run for comparison. */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { copyProject, createEngineSession, type EngineSession, REPO_ROOT } from "../../tools/engine/session";

/** How long one engine operation (`up`, `preview`, `destroy`) may run. */
export const OPERATION_LIMIT_MS = 6 * 60_000;
/** How long one plain CLI command (`config`, `stack init`, `stack export`) may run. */
export const CLI_LIMIT_MS = 2 * 60_000;

/** The Pulumi CLI version the engine tests run: the pinned @pulumi/pulumi version. */
export function pinnedVersion(): string {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
        dependencies: Record<string, string>;
    };
    return pkg.dependencies["@pulumi/pulumi"];
}

/**
 * The URNs the offline plan registers for a stack (the program under the unit tests' mocks), from a
 * separate process: the mocks replace the Pulumi runtime of the process they run in.
 */
export function offlineUrns(stack: string): string[] {
    const script =
        `require("./tools/offline/plan").buildPlan(${JSON.stringify(stack)})` +
        `.then((p) => console.log(JSON.stringify(require("./tools/offline/identity").engineUrnList(p.run.resources, ${JSON.stringify(stack)}, "webapp-infra"))))` +
        ".catch((e) => { console.error(e); process.exit(1); });";
    const out = execFileSync(process.execPath, ["-r", "./tools/register.js", "-e", script], {
        cwd: REPO_ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
        timeout: CLI_LIMIT_MS,
    });
    const urns = JSON.parse(out.trim().split("\n").pop() ?? "[]") as string[];
    // In the engine's form (the parent's whole type chain, no root-stack type); the stack itself is left out.
    return urns.filter((urn) => !urn.includes("::pulumi:pulumi:Stack::"));
}

/** Every string inside a value (object keys excluded). */
export function strings(value: unknown): string[] {
    if (typeof value === "string") {
        return [value];
    }
    if (Array.isArray(value)) {
        return value.flatMap(strings);
    }
    if (value !== null && typeof value === "object") {
        return Object.values(value).flatMap(strings);
    }
    return [];
}

/** A suite's engine session and the copy of the project it runs in. */
export interface SuiteEngine {
    session: EngineSession;
    /** The project's copy the stacks run in. */
    work: string;
}

/**
 * One engine session for the calling `describe`: its hooks create the session and a copy of the
 * project before the suite, put the session's CLI first on PATH (the Automation API finds the CLI
 * there, as a user's installation would be), and undo both after it. The returned object is filled
 * in by the `before` hook.
 */
export function engineSessionForSuite(): SuiteEngine {
    const engine = {} as SuiteEngine;
    const savedPath = process.env.PATH;
    before(function () {
        this.timeout(30 * 60_000);
        if (!existsSync(path.join(REPO_ROOT, "policy", "node_modules", "@pulumi", "policy"))) {
            throw new Error(
                "the policy pack's dependencies are missing: npm ci --prefix policy (npm run test:engine does it)",
            );
        }
        engine.session = createEngineSession();
        engine.work = path.join(engine.session.dir, "work");
        mkdirSync(engine.work);
        copyProject(REPO_ROOT, engine.work);
        process.env.PATH = engine.session.path;
    });
    after(() => {
        process.env.PATH = savedPath;
        engine.session?.dispose();
    });
    return engine;
}
