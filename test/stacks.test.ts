import { expect } from "chai";
import { build, stackConfig } from "./support";

describe("stack builds from the real stack files", () => {
    for (const stack of ["dev", "demo"]) {
        it(`${stack}: registers every AWS data tier with the stack's explicit provider`, async () => {
            const run = await build(stackConfig(stack));
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
            const unprovided = run.resources.filter(
                (r) => r.custom && r.type.startsWith("aws:") && !r.provider.startsWith(providers[0].urn),
            );
            expect(unprovided.map((r) => r.name)).to.deep.equal([]);
        });
    }
});
