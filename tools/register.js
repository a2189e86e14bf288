// The project's TypeScript loader for its commands and tests (`node -r ./tools/register.js x.ts`,
// mocha's `require`): each .ts file is transpiled by TypeScript's own `transpileModule` with the
// project's tsconfig.json (the emit ts-node's transpile-only mode produced, so module semantics are
// unchanged) and the result is cached on disk by content hash: a file is transpiled once, not once
// per process, and a process whose files are all cached never loads the compiler. Types are not
// checked here: `tsc --noEmit` does that.
//
// No source-map hook on every stack trace: the Pulumi SDK reads a stack trace for every resource
// and every promise it tracks, and mapping those (as ts-node's source-map support does) was the
// largest cost of the offline plan. Positions are mapped when someone needs them instead, through
// `tools/source-maps.js` (the plan's source positions, crash reports, failed tests).
"use strict";
// First: V8's code cache for every module loaded from here on (tools/code-cache.js).
require("./code-cache.js");
// The SDK's function-serialization dependencies load on first use (tools/lazy-sdk.js).
require("./lazy-sdk.js");
const { createHash } = require("node:crypto");
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require("node:fs");
const Module = require("node:module");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "webapp-infra", "ts");

const { registerSourceMap } = require("./source-maps.js");

const TSCONFIG = readFileSync(path.join(ROOT, "tsconfig.json"), "utf8");

let typescript;
let compilerOptions;

function transpile(filename, source) {
    if (!typescript) {
        typescript = require("typescript");
        compilerOptions = {
            ...typescript.convertCompilerOptionsFromJson(JSON.parse(TSCONFIG).compilerOptions, ROOT).options,
            noEmit: false,
            sourceMap: true,
            inlineSourceMap: false,
            declaration: false,
        };
    }
    const { outputText, sourceMapText } = typescript.transpileModule(source, { fileName: filename, compilerOptions });
    // The emitted `//# sourceMappingURL=` names a file that does not exist: the map is kept beside the code.
    return { code: outputText.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n"), map: sourceMapText };
}

function compile(filename, source) {
    const version = require("typescript/package.json").version;
    const key = createHash("sha256").update(`${version}\0${TSCONFIG}\0${filename}\0${source}`).digest("hex");
    const file = path.join(CACHE, `${key}.js`);
    try {
        const cached = readFileSync(file, "utf8");
        const split = cached.lastIndexOf("\n//# map=");
        return { code: cached.slice(0, split), map: cached.slice(split + "\n//# map=".length) };
    } catch {
        // Not cached yet.
    }
    const { code, map } = transpile(filename, source);
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
// Every other stack trace is formatted by the formatter that was there before (Node 20.19+ installs
// its own `Error.prepareStackTrace`, so "none installed yet" is not `undefined` there).
const previousPrepareStackTrace = Error.prepareStackTrace;
if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS && isNodeDefaultFormatter(previousPrepareStackTrace)) {
    Error.prepareStackTrace = function prepareStackTrace(error, frames) {
        if (frames.length > 0 && frames[0].getFunctionName() === "debuggablePromise") {
            return "";
        }
        if (previousPrepareStackTrace !== undefined) {
            return previousPrepareStackTrace(error, frames);
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

/** No formatter, or Node's own (not one a tool such as source-map-support installed). */
function isNodeDefaultFormatter(formatter) {
    return formatter === undefined || (typeof formatter === "function" && formatter.name === "ErrorPrepareStackTrace");
}
