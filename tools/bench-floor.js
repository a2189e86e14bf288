// The SDK floor of the offline plan, for `npm run bench`: one plain Node process (no TypeScript)
// that imports the provider SDKs the program imports and registers the resources of a plan's
// resources.json with the same inputs, flat (no components, no parents), under Pulumi mocks that
// echo the inputs. Whatever the plan needs beyond this is the program's own cost.
//
// usage: node tools/bench-floor.js <plan dir>/resources.json   (prints the resource count)
"use strict";
const { readFileSync } = require("node:fs");

const pulumi = require("@pulumi/pulumi");
// The SDK modules the program imports.
const SDK_MODULES = ["@pulumi/aws", "@pulumi/gcp", "@pulumi/random"];
for (const sdk of SDK_MODULES) {
    require(sdk);
}

async function main() {
    const doc = JSON.parse(readFileSync(process.argv[2], "utf8"));
    const resources = doc.resources.filter(
        (r) => r.kind === "resource" || r.kind === "remote" || r.kind === "provider",
    );
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
            call: (args) => args.inputs,
        },
        doc.project,
        doc.stack,
        false,
    );
    await pulumi.runtime.runInPulumiStack(async () => {
        for (const r of resources) {
            if (r.kind === "provider") {
                new pulumi.ProviderResource(r.type.slice("pulumi:providers:".length), r.name, r.inputs);
            } else {
                new pulumi.CustomResource(r.type, r.name, r.inputs);
            }
        }
        return {};
    });
    await require("@pulumi/pulumi/runtime/settings").waitForRPCs();
    console.log(resources.length);
}

main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
});
