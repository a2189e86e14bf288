// `npm test` after the bundle step: the type check (tsc, incremental) and mocha (every test, as
// .mocharc.json says) at the same time instead of one after the other, so both cores work: tsc
// only reads the tree, the tests do not need its result. Mocha's output streams as it comes;
// tsc prints only on errors, as a block when it ends. The exit status is non-zero when either
// failed. Arguments are passed on to mocha (`npm test -- --grep x`).
"use strict";
const { spawn } = require("node:child_process");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const bin = (name) => path.join(ROOT, "node_modules", ".bin", name);

const TSC_ARGS = [
    "--noEmit",
    "--incremental",
    "--tsBuildInfoFile",
    path.join("node_modules", ".cache", "webapp-infra", "tsc.tsbuildinfo"),
];

function run(command, args, stdio) {
    return new Promise((resolve) => {
        const child = spawn(command, args, { cwd: ROOT, stdio });
        let output = "";
        if (child.stdout) {
            child.stdout.on("data", (chunk) => (output += chunk));
            child.stderr.on("data", (chunk) => (output += chunk));
        }
        child.on("error", (error) => resolve({ code: 1, output: `${command}: ${error.message}\n` }));
        child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
    });
}

async function main() {
    const typeCheck = run(bin("tsc"), TSC_ARGS, ["ignore", "pipe", "pipe"]).then((result) => {
        if (result.code !== 0) {
            process.stdout.write(`\ntsc --noEmit failed:\n${result.output}\n`);
        }
        return result.code;
    });
    const tests = run(bin("mocha"), process.argv.slice(2), "inherit").then((result) => result.code);
    const [tscCode, mochaCode] = await Promise.all([typeCheck, tests]);
    if (tscCode !== 0) {
        console.log("the type check failed (tsc's errors above)");
    }
    process.exitCode = tscCode !== 0 || mochaCode !== 0 ? 1 : 0;
}

main();
