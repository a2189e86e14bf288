// The source maps of the TypeScript files `tools/register.js` transpiled in this process, and the
// mapping of positions and stack traces back to TypeScript lines, done only when asked (no hook
// runs on every stack trace). Without that loader (ts-node, the Pulumi CLI) nothing is registered
// and positions are returned as they are.
"use strict";
const { SourceMap } = require("node:module");

/** file -> raw source map JSON, parsed on first use. */
const maps = new Map();

function registerSourceMap(filename, json) {
    maps.set(filename, json);
}

/** The TypeScript position of a 1-based position in a transpiled file, or undefined. */
function originalPosition(filename, line, column) {
    let map = maps.get(filename);
    if (map === undefined) {
        return undefined;
    }
    if (typeof map === "string") {
        map = new SourceMap(JSON.parse(map));
        maps.set(filename, map);
    }
    const entry = map.findEntry(line - 1, column - 1);
    return entry && typeof entry.originalLine === "number"
        ? { line: entry.originalLine + 1, column: entry.originalColumn + 1 }
        : undefined;
}

/** A stack trace with every `file:line:column` of a transpiled file replaced by its TypeScript position. */
function mapStack(stack) {
    if (typeof stack !== "string" || maps.size === 0) {
        return stack;
    }
    return stack.replace(/(\(|at )((?:file:\/\/)?\/[^():]+\.ts):(\d+):(\d+)/g, (all, before, file, line, column) => {
        const path = file.startsWith("file://") ? decodeURIComponent(file.slice("file://".length)) : file;
        const original = originalPosition(path, Number(line), Number(column));
        return original ? `${before}${file}:${original.line}:${original.column}` : all;
    });
}

module.exports = { registerSourceMap, originalPosition, mapStack };
