// Preloaded by `npm run bench` into every process it times: on exit, writes the process's CPU
// time (user + system, ms) to $BENCH_CPU_FILE. On a shared machine CPU time varies much less
// than wall time, so the bench prints both.
"use strict";
const { writeFileSync } = require("node:fs");

const file = process.env.BENCH_CPU_FILE;
if (file) {
    process.on("exit", () => {
        const { user, system } = process.cpuUsage();
        writeFileSync(file, String((user + system) / 1000));
    });
}
