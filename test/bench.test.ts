/** The benchmark's arguments and the critical-path model (no timing is asserted anywhere). */
import { expect } from "chai";
import { parseBenchArgs, runBench } from "../tools/bench";
import { UsageError } from "../tools/cli";
import { criticalPath, DEFAULT_CREATE } from "../tools/offline/critical-path";
import { resourcesDocument } from "../tools/offline/render";
import { stackPlan } from "./support";

describe("benchmark", () => {
    it("takes --runs as a whole number and refuses anything else", async () => {
        expect(parseBenchArgs([])).to.deep.equal({ runs: 5, skipTest: false });
        expect(parseBenchArgs(["--runs", "3", "--skip-test"])).to.deep.equal({ runs: 3, skipTest: true });
        for (const bad of ["abc", "0", "-1", "2.5", "1e3"]) {
            expect(() => parseBenchArgs([`--runs=${bad}`]), bad).to.throw(
                UsageError,
                `--runs must be a whole number from 1 to 100 (got "${bad}")`,
            );
        }
        const err: string[] = [];
        expect(
            await runBench(
                ["--runs", "abc"],
                () => undefined,
                (l) => err.push(l),
            ),
        ).to.equal(2);
        expect(err).to.deep.equal([
            'bench: --runs must be a whole number from 1 to 100 (got "abc")',
            "usage: npm run bench -- [--runs <n>] [--skip-test]",
        ]);
        const out: string[] = [];
        expect(await runBench(["--help"], (l) => out.push(l))).to.equal(0);
        expect(out[0]).to.equal("usage: npm run bench -- [--runs <n>] [--skip-test]");
    });

    describe("critical path", () => {
        /** The critical path of a stack's offline plan, read from its resources document. */
        const stackCriticalPath = async (stack: string) => {
            const doc = resourcesDocument(await stackPlan(stack)) as { resources: Parameters<typeof criticalPath>[0] };
            return criticalPath(doc.resources);
        };
        const r = (name: string, type: string, dependencies: string[] = [], parent: string | null = null) => ({
            urn: name,
            name,
            type,
            kind: "resource",
            parent,
            dependencies,
        });

        it("is the longest chain of typical create times over the dependencies, components expanded", () => {
            const cp = criticalPath([
                { urn: "db-tier", name: "db-tier", type: "webapp:aws:Database", kind: "component", dependencies: [] },
                r("nat", "aws:ec2/natGateway:NatGateway"),
                r("db", "aws:rds/instance:Instance", ["nat"], "db-tier"),
                r("secret", "aws:secretsmanager/secretVersion:SecretVersion", ["db"]),
                // Depends on the whole database component: waits for its instance.
                r("asg", "aws:autoscaling/group:Group", ["db-tier"]),
                r("key", "aws:kms/key:Key"),
            ]);
            expect(cp.steps.map((s) => s.name)).to.deep.equal(["nat", "db", "asg"]);
            expect(cp.seconds).to.equal(120 + 540 + 240);
            expect(cp.slowest).to.deep.equal({ type: "aws:rds/instance:Instance", name: "db", seconds: 540 });
            expect(cp.ratio).to.be.closeTo(900 / 540, 1e-9);
            expect(DEFAULT_CREATE.seconds).to.equal(3);
        });

        it("on dev: the logs key, the database's log group, the database and the instances' policy (the group waits for none)", async () => {
            const cp = await stackCriticalPath("dev");
            expect(cp.steps.map((s) => s.type)).to.deep.equal([
                "aws:kms/key:Key",
                "aws:cloudwatch/logGroup:LogGroup",
                "aws:rds/instance:Instance",
                "aws:iam/rolePolicy:RolePolicy",
            ]);
            expect(cp.seconds).to.equal(556);
            expect(cp.ratio.toFixed(2)).to.equal("1.03");
        });

        it("on demo: Cloud SQL after its private services peering; the instances wait for no database", async () => {
            const cp = await stackCriticalPath("demo");
            expect(cp.steps.map((s) => s.type)).to.deep.equal([
                "gcp:compute/network:Network",
                "gcp:compute/globalAddress:GlobalAddress",
                "gcp:servicenetworking/connection:Connection",
                "gcp:sql/databaseInstance:DatabaseInstance",
                "gcp:sql/database:Database",
                "gcp:secretmanager/secretVersion:SecretVersion",
            ]);
            expect(cp.seconds).to.equal(706);
            expect(cp.slowest).to.deep.equal({
                type: "gcp:sql/databaseInstance:DatabaseInstance",
                name: "demo-gcp-database-mysql",
                seconds: 600,
            });
            expect(cp.ratio.toFixed(2)).to.equal("1.18");
        });
    });
});
