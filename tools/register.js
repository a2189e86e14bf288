// The project's TypeScript loader for its commands and tests (`node -r ./tools/register.js x.ts`,
// mocha's `require`): each .ts file is transpiled by esbuild (already a dependency of the program,
// which bundles its functions with it) and the result cached on disk by content hash, so a file
// is transpiled once, not once per process. Types are not checked here: `tsc --noEmit` does that.
//
// No source-map hook on every stack trace: the Pulumi SDK reads a stack trace for every resource
// and every promise it tracks, and mapping those (as ts-node's source-map-support does) was the
// largest cost of the offline plan. Positions are mapped when someone needs them instead, through
// `tools/source-maps.js` (the plan's source positions, crash reports, failed tests).
"use strict";
const { createHash } = require("node:crypto");
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require("node:fs");
const Module = require("node:module");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "webapp-infra", "ts");

const { registerSourceMap } = require("./source-maps.js");

let esbuild;

// The semantics tsconfig.json gives TypeScript (ES2022 class fields, CommonJS interop).
const OPTIONS = {
    loader: "ts",
    format: "cjs",
    target: "node20",
    sourcemap: "external",
    // `import()` becomes `require()`, as TypeScript compiles it for CommonJS.
    supported: { "dynamic-import": false },
    tsconfigRaw: { compilerOptions: { target: "ES2022", useDefineForClassFields: true, esModuleInterop: true } },
};

function compile(filename, source) {
    esbuild = esbuild || require("esbuild");
    const key = createHash("sha256")
        .update(`${esbuild.version}\0${JSON.stringify(OPTIONS)}\0${filename}\0${source}`)
        .digest("hex");
    const file = path.join(CACHE, `${key}.js`);
    try {
        const cached = readFileSync(file, "utf8");
        const split = cached.lastIndexOf("\n//# map=");
        return { code: cached.slice(0, split), map: cached.slice(split + "\n//# map=".length) };
    } catch {
        // Not cached yet.
    }
    const { code, map } = esbuild.transformSync(source, { ...OPTIONS, sourcefile: filename });
    try {
        mkdirSync(CACHE, { recursive: true });
        // Written under a temporary name and renamed, so a parallel process never reads half a file.
        const temp = `${file}.${process.pid}.tmp`;
        writeFileSync(temp, `${code}\n//# map=${map}`);
        renameSync(temp, file);
    } catch {
        // A read-only tree still runs, it just transpiles again next time.
    }
    return { code, map };
}

Module._extensions[".ts"] = function loadTypeScript(module, filename) {
    const { code, map } = compile(filename, readFileSync(filename, "utf8"));
    registerSourceMap(filename, map);
    module._compile(code, filename);
};

module.exports = { compile };

// The SDK's `debuggablePromise` records a stack trace for each promise it tracks (about 15,000 in
// the demo plan), used only by the promise-leak report that PULUMI_DEBUG_PROMISE_LEAKS turns on.
// Formatting those traces was a tenth of the plan's time: without that variable they stay empty.
// Every other stack trace is formatted as Node formats it.
if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS && Error.prepareStackTrace === undefined) {
    Error.prepareStackTrace = function prepareStackTrace(error, frames) {
        if (frames.length > 0 && frames[0].getFunctionName() === "debuggablePromise") {
            return "";
        }
        let head;
        try {
            head = Error.prototype.toString.call(error);
        } catch {
            head = "Error";
        }
        return frames.length === 0 ? head : `${head}\n    at ${frames.join("\n    at ")}`;
    };
}
