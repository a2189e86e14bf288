// Mocha's spec reporter plus one closing line, `N passed, N failed`, which CI reads.
// With MOCHA_SUMMARY_FILE set, the two counts are also written there as JSON.
"use strict";
const fs = require("node:fs");
const Mocha = require("mocha");

class SummaryReporter extends Mocha.reporters.Spec {
    constructor(runner, options) {
        super(runner, options);
        runner.once("end", () => {
            const passed = this.stats.passes;
            const failed = this.stats.failures;
            if (process.env.MOCHA_SUMMARY_FILE) {
                fs.writeFileSync(process.env.MOCHA_SUMMARY_FILE, JSON.stringify({ passed, failed }));
            }
            console.log(`${passed} passed, ${failed} failed`);
        });
    }
}

module.exports = SummaryReporter;
