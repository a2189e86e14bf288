/** The plan compared with a previous one: create, update (which inputs), replace (why), delete. */
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { changedPaths, changeLine, compareWith, type ResourcesDocument } from "../tools/offline/diff";
import { placeResources, type Plan } from "../tools/offline/plan";
import { resourcesDocument } from "../tools/offline/render";
import { REPLACE_ON, replacingInputs } from "../tools/offline/replace";
import { runPlan } from "../tools/plan";
import { typesBuilt, typesInSource } from "./coverage";
import { build, stackConfig, stackPlan } from "./support";

async function devDocument(overrides: Record<string, unknown> = {}): Promise<ResourcesDocument> {
    const config = stackConfig("dev", overrides);
    const run = await build(config);
    const plan: Plan = { ...(await stackPlan("dev")), config, run, nodes: placeResources(run.resources) };
    return resourcesDocument(plan) as unknown as ResourcesDocument;
}

describe("plan diff", () => {
    it("has a replace row (the provider's ForceNew inputs) for every type the program creates", async () => {
        const types = new Map([...typesInSource(), ...(await typesBuilt())]);
        expect(types.size).to.be.greaterThan(100);
        const missing = [...types.keys()]
            .filter((type) => !(type in REPLACE_ON))
            .map(
                (type) =>
                    `no row for ${type} in REPLACE_ON (tools/offline/replace.ts): list its ForceNew inputs, [] for none`,
            );
        expect(missing, missing.join("\n")).to.deep.equal([]);
    });

    it("finds the changed leaf paths", () => {
        expect(
            changedPaths(
                { a: 1, b: { c: [1, { d: "x" }], e: true }, gone: 1 },
                { a: 1, b: { c: [1, { d: "y" }], e: false }, added: 2 },
            ),
        ).to.deep.equal(["added", "b.c[1].d", "b.e", "gone"]);
        expect(changedPaths({ l: [1, 2] }, { l: [1, 2, 3] })).to.deep.equal(["l"]);
    });

    it("matches replace-forcing inputs by path, ignoring list indexes", () => {
        expect(replacingInputs("aws:rds/instance:Instance", ["instanceClass", "engine"])).to.deep.equal(["engine"]);
        expect(replacingInputs("gcp:sql/databaseInstance:DatabaseInstance", ["settings.tier"])).to.deep.equal([]);
        expect(
            replacingInputs("gcp:storage/bucketObject:BucketObject", ["customerEncryption.encryptionKey"]),
        ).to.deep.equal(["customerEncryption.encryptionKey"]);
        expect(replacingInputs("aws:lambda/permission:Permission", ["principal", "action"])).to.deep.equal([
            "principal",
            "action",
        ]);
    });

    describe("between two configs of dev", () => {
        let base: ResourcesDocument;
        before(async () => {
            base = await devDocument();
        });

        it("an unchanged stack has no change", () => {
            const diff = compareWith(base, base);
            expect(diff.summary).to.deep.equal({ create: 0, update: 0, replace: 0, delete: 0, same: 131 });
        });

        it("a bigger database class is an update of the instance, naming the input", async () => {
            const diff = compareWith(base, await devDocument({ aws: { db: { instanceClass: "db.t3.small" } } }));
            const db = diff.changes.find((c) => c.type === "aws:rds/instance:Instance");
            expect(db).to.deep.include({ op: "update", name: "dev-database-mysql", component: "dev-database" });
            expect(db?.inputs).to.include("instanceClass");
            expect(diff.summary.replace).to.equal(0);
        });

        it("a new VPC CIDR replaces the VPC and says which input forces it", async () => {
            const diff = compareWith(base, await devDocument({ aws: { vpcCidr: "10.5.0.0/16" } }));
            const vpc = diff.changes.find((c) => c.type === "aws:ec2/vpc:Vpc");
            expect(vpc?.op).to.equal("replace");
            expect(vpc?.replaceBecause).to.deep.equal(["cidrBlock"]);
            expect(changeLine(vpc!)).to.match(/^\+- replace aws:ec2:Vpc {2}dev-network-vpc {2}\(cidrBlock/);
            // Its four subnets take new blocks: each is replaced too.
            const subnets = diff.changes.filter((c) => c.type === "aws:ec2/subnet:Subnet");
            expect(subnets.map((c) => `${c.op} ${c.name} ${c.replaceBecause?.join(",")}`).sort()).to.deep.equal([
                "replace dev-network-vpc-private-1 cidrBlock",
                "replace dev-network-vpc-private-2 cidrBlock",
                "replace dev-network-vpc-public-1 cidrBlock",
                "replace dev-network-vpc-public-2 cidrBlock",
            ]);
        });

        it("turning WAF on creates its resources, turning it off deletes them", async () => {
            const waf = await devDocument({ features: { waf: true } });
            const on = compareWith(base, waf);
            const created = on.changes.filter((c) => c.op === "create").map((c) => c.type);
            expect(created).to.include.members([
                "aws:wafv2/webAcl:WebAcl",
                "aws:wafv2/webAclAssociation:WebAclAssociation",
            ]);
            const off = compareWith(waf, base);
            expect(off.summary.delete).to.equal(on.summary.create);
            expect(off.changes.filter((c) => c.op === "delete").map((c) => c.type)).to.include(
                "aws:wafv2/webAcl:WebAcl",
            );
        });
    });

    it("npm run plan -- --compare prints the diff and writes diff.json", async () => {
        const out = mkdtempSync(path.join(tmpdir(), "plan-diff-"));
        try {
            const quiet = { print: () => undefined, fail: () => undefined };
            expect(await runPlan(["--stack", "dev", "--out", out], quiet)).to.equal(0);
            const lines: string[] = [];
            const code = await runPlan(["--stack", "dev", "--out", out, "--compare", path.join(out, "dev")], {
                print: (l) => lines.push(l),
                fail: (l) => lines.push(l),
            });
            expect(code).to.equal(0);
            expect(lines).to.include(
                `Diff against ${path.join(out, "dev")}: 0 to create, 0 to update, 0 to replace, 0 to delete, 131 unchanged`,
            );
            const diff = JSON.parse(readFileSync(path.join(out, "dev", "diff.json"), "utf8"));
            expect(diff.summary).to.deep.equal({ create: 0, update: 0, replace: 0, delete: 0, same: 131 });
            const md: string[] = [];
            await runPlan(
                [
                    "--stack",
                    "dev",
                    "--out",
                    out,
                    "--compare",
                    path.join(out, "dev", "resources.json"),
                    "--format",
                    "markdown",
                ],
                {
                    print: (l) => md.push(l),
                },
            );
            expect(md[0]).to.equal("### Offline plan: webapp-infra/dev");
            expect(md.join("\n")).to.include(
                "#### Changes\n\n**0** to create, **0** to update, **0** to replace, **0** to delete, 131 unchanged",
            );
        } finally {
            rmSync(out, { recursive: true, force: true });
        }
    });
});
