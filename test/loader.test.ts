/** The loader's code cache and deferred SDK modules (tools/code-cache.js, tools/lazy-sdk.js), in fresh processes. */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "webapp-infra", "v8");

/** The cache's files (none before the first process with the loader has exited). */
const cached = (): string[] => (existsSync(CACHE) ? readdirSync(CACHE) : []);

/** Runs `script` in a fresh Node process with the project's loader; its stdout, trimmed. */
function node(script: string, env: Record<string, string> = {}): string {
    return execFileSync(process.execPath, ["-r", "./tools/register.js", "-e", script], {
        cwd: ROOT,
        encoding: "utf8",
        // stderr is kept (a failure's error carries it), not shown: serialization prints warnings.
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, ...env },
    }).trim();
}

describe("loader", () => {
    let dir: string;

    before(() => {
        dir = mkdtempSync(path.join(tmpdir(), "loader-"));
        // A unique constant keeps these files' cache entries apart from any earlier run's.
        const stamp = `${process.pid}-${Date.now()}`;
        writeFileSync(path.join(dir, "plain.js"), `exports.stamp = "${stamp}"; exports.where = __filename;\n`);
        writeFileSync(path.join(dir, "hashbang.js"), `#!/usr/bin/env node\nmodule.exports = "${stamp}-bang";\n`);
        writeFileSync(path.join(dir, "esm.mjs"), "export const answer = 42;\n");
        writeFileSync(path.join(dir, "dynamic.js"), `module.exports = import("./esm.mjs").then((m) => m.answer);\n`);
        writeFileSync(path.join(dir, "broken.js"), "this is not ( javascript\n");
    });

    after(() => rmSync(dir, { recursive: true, force: true }));

    describe("code cache", () => {
        it("stores a compiled module on exit and runs it from the cache the next time, with the same result", () => {
            const file = path.join(dir, "plain.js");
            const before = new Set(cached());
            const first = node(`const m = require(${JSON.stringify(file)}); console.log(m.stamp, m.where)`);
            const added = cached().filter((f) => !before.has(f) && !f.endsWith(".tmp"));
            expect(added.length).to.be.greaterThan(0);
            const second = node(`const m = require(${JSON.stringify(file)}); console.log(m.stamp, m.where)`);
            expect(second).to.equal(first);
            expect(first.endsWith(` ${file}`)).to.equal(true);
        });

        it("runs a module that starts with a hashbang", () => {
            const file = JSON.stringify(path.join(dir, "hashbang.js"));
            const once = node(`console.log(require(${file}))`);
            expect(node(`console.log(require(${file}))`)).to.equal(once);
            expect(once.endsWith("-bang")).to.equal(true);
        });

        it("leaves a module that calls import() to Node, so the import works from a second process too", () => {
            const file = JSON.stringify(path.join(dir, "dynamic.js"));
            expect(node(`require(${file}).then((v) => console.log(v))`)).to.equal("42");
            expect(node(`require(${file}).then((v) => console.log(v))`)).to.equal("42");
        });

        it("reports a syntax error as Node does (file and line)", () => {
            const file = path.join(dir, "broken.js");
            let stderr = "";
            try {
                node(`require(${JSON.stringify(file)})`);
            } catch (error) {
                stderr = String((error as { stderr?: string }).stderr);
            }
            expect(stderr).to.include(`${file}:1`);
            expect(stderr).to.include("SyntaxError");
        });
    });

    describe("deferred SDK modules", () => {
        const loaded =
            'const ks = Object.keys(require.cache); console.log(JSON.stringify([ks.some((k) => k.endsWith("/typescript/lib/typescript.js")), ks.some((k) => k.includes("/@npmcli/arborist/lib/"))]))';

        it("the SDK's import loads neither TypeScript's compiler nor npm's Arborist", () => {
            expect(node(`require("@pulumi/pulumi"); ${loaded}`)).to.equal("[false,false]");
        });

        it("without the deferral (WEBAPP_LAZY_SDK=0) it loads both", () => {
            expect(node(`require("@pulumi/pulumi"); ${loaded}`, { WEBAPP_LAZY_SDK: "0" })).to.equal("[true,true]");
        });

        it("function serialization still works: it loads TypeScript's compiler when it runs", () => {
            const script =
                'const pulumi = require("@pulumi/pulumi");' +
                "pulumi.runtime.serializeFunction(() => 6 * 7).then((f) => {" +
                "  const ks = Object.keys(require.cache);" +
                '  console.log(f.exportName, f.text.includes("6 * 7"), ks.some((k) => k.endsWith("/typescript/lib/typescript.js")));' +
                "});";
            expect(node(script)).to.equal("handler true true");
        });
    });
});
