import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { PROJECT } from "../config";
import { runOffline } from "../tools/offline/run";
import { readStackConfig } from "../tools/offline/stack-config";
import { buildStack, TEST_MAILGUN_KEY } from "./support";

describe("stack builds from the real stack files", () => {
    for (const stack of ["dev", "demo"]) {
        it(`${stack}: registers every AWS data tier with the stack's explicit provider`, async () => {
            const run = await buildStack(stack);
            const tiers = run.resources.filter((r) => r.type.startsWith("webapp:aws:")).map((r) => r.type);
            expect(tiers).to.include.members([
                "webapp:aws:Network",
                "webapp:aws:Kms",
                "webapp:aws:Secrets",
                "webapp:aws:Database",
                "webapp:aws:Storage",
            ]);
            const providers = run.ofType("pulumi:providers:aws");
            expect(providers).to.have.length(1);
            expect(run.plain(providers[0])).to.include({ region: "us-east-1" });
            expect(JSON.parse(run.plain(providers[0]).defaultTags)).to.deep.equal({
                tags: { project: "webapp-infra", environment: stack, stack, "managed-by": "pulumi" },
            });
            const unprovided = run.resources.filter(
                (r) => r.custom && r.type.startsWith("aws:") && !r.provider.startsWith(`${providers[0].urn}::`),
            );
            expect(unprovided.map((r) => r.name)).to.deep.equal([]);
        });
    }
});

describe("index.ts", () => {
    afterEach(() => pulumi.runtime.setAllConfig({}, []));

    it("loads the stack's config, builds it and exports the outputs per cloud", async () => {
        const raw = readStackConfig("dev");
        const config: Record<string, string> = {};
        for (const [key, value] of Object.entries(raw)) {
            config[`${PROJECT}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
        }
        config[`${PROJECT}:mailgun`] = JSON.stringify({ ...(raw.mailgun as object), apiKey: TEST_MAILGUN_KEY });
        const run = await runOffline(
            () => {
                pulumi.runtime.setAllConfig(config, [`${PROJECT}:mailgun`]);
                return require("../index") as Record<string, unknown>;
            },
            { stack: "dev" },
        );
        expect(run.outputs).to.include({ environment: "dev" });
        expect(run.outputs).to.have.property("aws");
        expect(run.outputs).not.to.have.property("gcp");
        expect(JSON.stringify(run.outputs)).not.to.contain(TEST_MAILGUN_KEY);
    });
});
