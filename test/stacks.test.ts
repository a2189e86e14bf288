import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { PROJECT } from "../config";
import { runOffline } from "../tools/offline/run";
import { readStackConfig } from "../tools/offline/stack-config";
import { rolloutTargets } from "../automation/rollout/contract";
import { FEATURES } from "../components/features";
import { buildStack, stackConfig, TEST_MAILGUN_KEY, mandatoryViolations } from "./support";

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

describe("the prod stack file: the production profile", () => {
    it("runs both clouds on three AZs, Multi-AZ data, Fargate with one worker, every protection on", async () => {
        const cfg = stackConfig("prod");
        expect(cfg.clouds).to.deep.equal(["aws", "gcp"]);
        expect(cfg.aws).to.deep.include({
            azCount: 3,
            natGateways: "onePerAz",
            compute: "fargate",
            logRetentionDays: 365,
        });
        expect(cfg.aws.db).to.deep.include({ multiAz: true, deletionProtection: true });
        expect(cfg.gcp.db).to.deep.include({ highAvailability: true, deletionProtection: true });
        expect(cfg.aws.fargate.workers.map((w) => w.name)).to.deep.equal(["worker"]);
        expect(cfg.aws.fargate.min).to.equal(2);
        // Every opt-in feature the program has is on.
        expect(
            FEATURES.map((f) => [f.key, cfg.features[f.key] !== undefined && cfg.features[f.key] !== false]),
        ).to.deep.equal(FEATURES.map((f) => [f.key, true]));
    });

    it("builds with no mandatory policy violation, and exports what the rollout follows", async () => {
        const run = await buildStack("prod");
        expect(mandatoryViolations(run, "prod")).to.deep.equal([]);
        const out = run.outputs.aws as Record<string, unknown>;
        expect(out.region).to.equal("us-east-1");
        expect(out.ecsClusterName).to.match(/^prod-compute-cluster-/);
        expect(out.ecsServiceNames).to.have.length(2);
        expect(run.ofType("aws:ecs/service:Service")).to.have.length(2);
        // The rollout reads exactly these outputs to follow the ECS deployments.
        expect(rolloutTargets(run.outputs, { aws: "fargate" })).to.deep.equal([
            {
                shape: "fargate",
                region: "us-east-1",
                clusterName: out.ecsClusterName,
                serviceNames: out.ecsServiceNames,
            },
        ]);
        // The primary VPC and the DR region's (aws.dr.region), each over aws.azCount AZs.
        const zones = (vpc: string) =>
            run
                .ofType("aws:ec2/subnet:Subnet")
                .filter((s) => s.name.startsWith(`${vpc}-`))
                .map((s) => run.plain(s).availabilityZone);
        expect(zones("prod-network-vpc").sort()).to.deep.equal([
            ...["us-east-1a", "us-east-1a", "us-east-1a"],
            ...["us-east-1b", "us-east-1b", "us-east-1b"],
            ...["us-east-1c", "us-east-1c", "us-east-1c"],
        ]);
        expect(zones("prod-dr-vpc").sort()).to.deep.equal(["us-west-2a", "us-west-2b", "us-west-2c"]);
        const cfg = stackConfig("prod");
        expect([cfg.aws.dr.region, cfg.gcp.dr.region]).to.deep.equal(["us-west-2", "us-west1"]);
        expect(run.ofType("gcp:sql/databaseInstance:DatabaseInstance")).to.have.length(2);
    });
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
