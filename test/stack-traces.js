// A mocha root hook: a failed test's stack trace shows TypeScript lines (the project's loader
// transpiles without a per-trace source-map hook, see tools/register.js).
"use strict";
const { mapStack } = require("../tools/source-maps.js");

exports.mochaHooks = {
    afterEach() {
        const err = this.currentTest && this.currentTest.err;
        if (err && typeof err.stack === "string") {
            err.stack = mapStack(err.stack);
        }
    },
};
