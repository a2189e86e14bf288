// Two dependencies of the Pulumi SDK that `require("@pulumi/pulumi")` loads eagerly but only
// function serialization (`pulumi.runtime.serializeFunction`, closures turned into Lambda code)
// uses: TypeScript's compiler (through the SDK's typescript-shim) and npm's Arborist (through the
// closure code-path finder). Together about a third of the SDK's import time, and the program
// never serializes a function (the functions are bundled by esbuild: functions/bundle.ts).
// Each is loaded on first use instead: the SDK receives a stand-in whose first property access
// loads the real module and answers from it. Nothing else is deferred. WEBAPP_LAZY_SDK=0 turns it off.
"use strict";
const Module = require("node:module");
const path = require("node:path");

/** The SDK file that requires it -> the module loaded on first use. */
const DEFERRED = [
    { parent: path.join("@pulumi", "pulumi", "typescript-shim.js"), request: "typescript" },
    { parent: path.join("@pulumi", "pulumi", "runtime", "closure", "codePaths.js"), request: "@npmcli/arborist" },
];

function deferred(request, parent, load) {
    let real;
    const target = () => {
        if (real === undefined) {
            real = load();
        }
        return real;
    };
    return new Proxy(
        {},
        {
            get(_, key) {
                // `__importStar` asks first: answering "an ES module" keeps it from copying every
                // export (which would load the module) and it hands the stand-in on as it is.
                if (key === "__esModule" && real === undefined) {
                    return true;
                }
                return Reflect.get(target(), key);
            },
            has: (_, key) => Reflect.has(target(), key),
            ownKeys: () => Reflect.ownKeys(target()),
            getOwnPropertyDescriptor(_, key) {
                const descriptor = Reflect.getOwnPropertyDescriptor(target(), key);
                return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
            },
            set: (_, key, value) => Reflect.set(target(), key, value),
        },
    );
}

function install() {
    const nodeLoad = Module._load;
    Module._load = function loadDeferred(request, parent, isMain) {
        const filename = parent && typeof parent.filename === "string" ? parent.filename : "";
        const entry = DEFERRED.find((d) => d.request === request && filename.endsWith(path.sep + d.parent));
        if (entry !== undefined && !isMain) {
            let resolved;
            try {
                resolved = Module._resolveFilename(request, parent, false);
            } catch {
                // Not installed: the SDK's own fallback (the vendored TypeScript) runs as usual.
                return nodeLoad.call(this, request, parent, isMain);
            }
            const cached = Module._cache[resolved];
            if (cached !== undefined && cached.loaded) {
                return cached.exports;
            }
            return deferred(request, parent, () => nodeLoad.call(Module, request, parent, false));
        }
        return nodeLoad.call(this, request, parent, isMain);
    };
}

if (process.env.WEBAPP_LAZY_SDK !== "0") {
    install();
}
