// V8's code cache for every CommonJS module a process loads through `tools/register.js` (the
// SDKs' JavaScript and the project's transpiled TypeScript): the first process compiles a module
// and, when it exits, stores what V8 compiled of it (the functions that ran included) under
// node_modules/.cache/webapp-infra/v8/, keyed by the content's hash; later processes hand that to
// V8 instead of parsing and compiling again. Compiling the SDKs was the largest single cost of the
// offline plan (Node 20 has no built-in compile cache: `module.enableCompileCache` came in Node 22).
//
// Only the compile step changes: the module runs with the same wrapper arguments Node passes
// (`exports, require, module, __filename, __dirname`), and `require` behaves as Node's.
// WEBAPP_CODE_CACHE=0 turns it off.
"use strict";
const crypto = require("node:crypto");
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require("node:fs");
const Module = require("node:module");
const path = require("node:path");
const vm = require("node:vm");

const ROOT = path.resolve(__dirname, "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "webapp-infra", "v8");
// Keyed by the Node version too; V8 itself rejects a cache made under other flags (it is then rewritten).
const SALT = `${process.version}\0${process.arch}\0`;

/** Scripts compiled without a usable cache in this process: their cache is written on exit. */
const pending = [];

function keyOf(filename, content) {
    return crypto.createHash("sha1").update(SALT).update(filename).update("\0").update(content).digest("hex");
}

function readCache(key) {
    try {
        return readFileSync(path.join(CACHE, key));
    } catch {
        return undefined;
    }
}

function writeCaches() {
    if (pending.length === 0) {
        return;
    }
    try {
        mkdirSync(CACHE, { recursive: true });
    } catch {
        return;
    }
    for (const { key, script } of pending.splice(0)) {
        try {
            const file = path.join(CACHE, key);
            // Written under a temporary name and renamed: a parallel process never reads half a file.
            const temp = `${file}.${process.pid}.tmp`;
            writeFileSync(temp, script.createCachedData());
            renameSync(temp, file);
        } catch {
            // A read-only tree still runs; it compiles again next time.
        }
    }
}

/** The `require` Node gives a module (lib/internal/modules/helpers.js makeRequireFunction). */
function makeRequire(mod) {
    function require(id) {
        return mod.require(id);
    }
    function resolve(request, options) {
        return Module._resolveFilename(request, mod, false, options);
    }
    resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
    require.resolve = resolve;
    require.main = process.mainModule;
    require.extensions = Module._extensions;
    require.cache = Module._cache;
    return require;
}

function install() {
    const nodeCompile = Module.prototype._compile;
    Module.prototype._compile = function compileWithCodeCache(content, filename) {
        // A module that may call `import()` is left to Node: a script compiled from a code cache
        // loses its dynamic-import callback in Node 20 (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING).
        if (
            typeof content !== "string" ||
            typeof filename !== "string" ||
            !path.isAbsolute(filename) ||
            content.includes("import(")
        ) {
            return nodeCompile.call(this, content, filename);
        }
        // A leading hashbang is valid only at the very start of a script, not inside the wrapper.
        const body = content.startsWith("#!") ? `//${content.slice(2)}` : content;
        const key = keyOf(filename, body);
        const cachedData = readCache(key);
        let script;
        try {
            script = new vm.Script(Module.wrap(body), { filename, cachedData });
        } catch {
            // A syntax error (or anything unusual): Node's own compile reports it as usual.
            return nodeCompile.call(this, content, filename);
        }
        if (cachedData === undefined || script.cachedDataRejected) {
            pending.push({ key, script });
        }
        const fn = script.runInThisContext({ displayErrors: true });
        const dirname = path.dirname(filename);
        return Reflect.apply(fn, this.exports, [this.exports, makeRequire(this), this, filename, dirname]);
    };
    process.once("exit", writeCaches);
}

if (process.env.WEBAPP_CODE_CACHE !== "0") {
    install();
}

module.exports = { writeCaches };
