/** The offline cost estimate: a row for every type, the price table's regions, and the figures. */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { costSummaryLine, estimateCost, renderCostMarkdown, type CostReport } from "../tools/cost/estimate";
import { COST_MODEL } from "../tools/cost/model";
import { AWS_PRICES, GCP_PRICES } from "../tools/cost/prices";
import { DEFAULT_USAGE, usageWith, UsageFileError } from "../tools/cost/usage";
import { placeResources, type Plan } from "../tools/offline/plan";
import { knownStacks, PROJECT_ROOT } from "../tools/offline/stack-config";
import { typesBuilt, typesInSource } from "./coverage";
import { build, stackConfig, stackPlan } from "./support";

/** The dev plan with config overrides (built through the same runtime as the plan command). */
async function devPlanWith(overrides: Record<string, unknown>): Promise<Plan> {
    const config = stackConfig("dev", overrides);
    const run = await build(config);
    return { ...(await stackPlan("dev")), config, run, nodes: placeResources(run.resources) };
}

const item = (cost: CostReport, label: string) => cost.byItem.find((i) => i.label === label)?.monthlyUsd;
const resource = (cost: CostReport, type: string) => cost.resources.filter((r) => r.type === type);

describe("cost estimate", () => {
    describe("the price table", () => {
        it("has a row for every type components/ creates (by its source)", () => {
            const types = typesInSource();
            expect(types.size).to.be.greaterThan(100);
            const missing = [...types]
                .filter(([type]) => !(type in COST_MODEL))
                .map(
                    ([type, file]) =>
                        `no cost row for ${type} (created in ${file}): add one to COST_MODEL in tools/cost/model.ts ` +
                        `(free("why"), usageOnly("why", charges) or priced("why", charges))`,
                );
            expect(missing, missing.join("\n")).to.deep.equal([]);
        });

        it("has a row for every type a stack registers with every feature on", async () => {
            const types = await typesBuilt();
            expect(types.size).to.be.greaterThan(100);
            const missing = [...types]
                .filter(([type]) => !(type in COST_MODEL))
                .map(
                    ([type, tier]) =>
                        `no cost row for ${type} (registered by ${tier}): add one to COST_MODEL in tools/cost/model.ts`,
                );
            expect(missing, missing.join("\n")).to.deep.equal([]);
        });

        it("has prices for the region of every stack file", () => {
            const stacks = knownStacks();
            expect(stacks.length).to.be.greaterThan(1);
            for (const stack of stacks) {
                const config = (
                    parse(readFileSync(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
                        config: Record<string, { region?: string }>;
                    }
                ).config;
                const aws = config["webapp-infra:aws"]?.region ?? "us-east-1";
                const gcp = config["webapp-infra:gcp"]?.region ?? "us-east1";
                expect(Object.keys(AWS_PRICES), `${stack}: add AWS_PRICES["${aws}"]`).to.include(aws);
                expect(Object.keys(GCP_PRICES), `${stack}: add GCP_PRICES["${gcp}"]`).to.include(gcp);
            }
        });
    });

    describe("NAT modes (README's table)", () => {
        it("prices the NAT instance at $7.36 a month and one NAT gateway at $36.50 plus data", async () => {
            const instance = estimateCost(await devPlanWith({ aws: { natGateways: "instance" } }));
            const nat = resource(instance, "aws:ec2/instance:Instance");
            expect(nat).to.have.length(1);
            expect(nat[0].monthlyUsd).to.equal(7.36); // t4g.nano $3.07 + 8 GB gp3 $0.64 + IPv4 $3.65
            const alarms = instance.resources.filter((r) => /-network-nat-(recovery|health)$/.test(r.name));
            expect(alarms.map((a) => a.charges[0].listUsd)).to.deep.equal([0.1, 0.1]);
            expect(item(instance, "NAT gateway")).to.equal(undefined);

            const single = estimateCost(await devPlanWith({ aws: { natGateways: "single" } }));
            // $32.85, plus $0.90 of data processing at the default usage (20 GB); its Elastic IP $3.65.
            expect(resource(single, "aws:ec2/natGateway:NatGateway").map((r) => r.monthlyUsd)).to.deep.equal([33.75]);
            expect(resource(single, "aws:ec2/eip:Eip").map((r) => r.monthlyUsd)).to.deep.equal([3.65]);
            // $36.50 - $7.36 + $0.90 of processing - the NAT instance's two alarms ($0.20: dev's alarms are
            // past CloudWatch's 10 free alarm metrics), rounded per resource.
            expect(Math.round((single.monthlyUsd - instance.monthlyUsd) * 100) / 100).to.equal(29.85);
        });
    });

    describe("dev and demo", () => {
        let dev: Plan;
        let demo: Plan;
        before(async () => {
            dev = await stackPlan("dev");
            demo = await stackPlan("demo");
        });

        it("prices dev's one NAT gateway, the load balancer, the database and the instance", () => {
            const cost = estimateCost(dev);
            expect(item(cost, "NAT gateway")).to.equal(32.85); // 730 h x $0.045
            expect(item(cost, "Application Load Balancer")).to.equal(16.43); // 730 h x $0.0225
            expect(item(cost, "RDS MySQL db.t3.micro")).to.equal(12.41); // 730 h x $0.017
            expect(item(cost, "EC2 t2.micro")).to.equal(8.47); // one instance at rest (asg.min)
            // 1 NAT gateway EIP + 2 load balancer nodes.
            expect(item(cost, "public IPv4 address")).to.equal(10.95);
            expect(cost.warnings).to.deep.equal([]);
            expect(costSummaryLine(cost)).to.match(
                /^dev: about \$\d+\/month \(NAT gateway \$33, Application Load Balancer \$16, KMS key rotations \$14, RDS MySQL db\.t3\.micro \$12, /,
            );
        });

        it("adds up: resources to tiers to the stack", () => {
            for (const plan of [dev, demo]) {
                const cost = estimateCost(plan);
                const tiers = Object.values(cost.byTier).reduce((a, b) => a + b, 0);
                expect(Math.abs(tiers - cost.monthlyUsd)).to.be.lessThan(0.05);
                const resources = cost.resources.reduce((a, r) => a + r.monthlyUsd, 0);
                expect(Math.abs(resources - cost.monthlyUsd)).to.be.lessThan(0.05);
                expect(cost.byTier[`${plan.stack}-network`]).to.be.greaterThan(0);
            }
        });

        it("prices demo's NAT gateway per AZ and the GCP side", () => {
            const cost = estimateCost(demo);
            expect(item(cost, "NAT gateway")).to.equal(65.7);
            expect(item(cost, "Cloud SQL db-g1-small")).to.equal(25.55); // 730 h x $0.035
            expect(item(cost, "Compute Engine e2-micro")).to.equal(6.11);
            expect(cost.byCloud.gcp).to.be.greaterThan(30);
            expect(cost.regions.map((r) => `${r.cloud} ${r.region} ${r.pricedAs}`)).to.deep.equal([
                "aws us-east-1 us-east-1",
                "gcp us-east1 us-east1",
            ]);
        });

        it("applies the permanent free allowances once for the stack (10 alarm metrics, 3 dashboards)", () => {
            const cost = estimateCost(dev);
            const alarms = resource(cost, "aws:cloudwatch/metricAlarm:MetricAlarm");
            expect(alarms.length).to.be.greaterThan(3);
            const metrics = alarms.flatMap((a) => a.charges).reduce((n, c) => n + c.quantity, 0);
            const paid = alarms.reduce((n, a) => n + a.monthlyUsd, 0);
            // Each alarm's share is rounded to the cent: at most half a cent off per alarm.
            expect(paid).to.be.closeTo(Math.max(0, metrics - 10) * 0.1, 0.005 * alarms.length);
            expect(resource(cost, "aws:cloudwatch/dashboard:Dashboard")[0].monthlyUsd).to.equal(0);
            const list = estimateCost(dev, usageWith({ applyFreeAllowances: false }));
            expect(resource(list, "aws:cloudwatch/dashboard:Dashboard")[0].monthlyUsd).to.equal(3);
            expect(list.monthlyUsd).to.be.greaterThan(cost.monthlyUsd);
        });

        it("takes usage from the assumptions: 1,000 GB through NAT cost $45", () => {
            const cost = estimateCost(dev, usageWith({ aws: { natDataGb: 1000 } }));
            expect(item(cost, "NAT data processing")).to.equal(45);
            expect(cost.usage.aws.natDataGb).to.equal(1000);
            expect(cost.usage.aws.albLcu).to.equal(DEFAULT_USAGE.aws.albLcu);
        });

        it("writes cost.md with the tiers, the basis of each charge, the assumptions and the sources", () => {
            const md = renderCostMarkdown(estimateCost(dev));
            expect(md).to.match(/^# Cost estimate: dev\n\n\*\*About \$\d+ a month\*\*/);
            expect(md).to.include(
                "| `dev-network-vpc-1` | aws:ec2/natGateway:NatGateway | 33.75 | NAT gateway: 730 h x $0.045; NAT data processing: 20 GB x $0.045 |",
            );
            expect(md).to.include(
                "| `dev-network-vpc-1` | aws:ec2/eip:Eip | 3.65 | public IPv4 address: 730 h x $0.005 |",
            );
            expect(md).to.include('"natDataGb": 20');
            expect(md).to.include("https://aws.amazon.com/vpc/pricing/");
        });
    });

    it("follows the config: Multi-AZ doubles the database, a bigger group runs more instances", async () => {
        const base = estimateCost(await stackPlan("dev"));
        const planOf = devPlanWith;
        const multiAz = estimateCost(await planOf({ aws: { db: { multiAz: true } } }));
        expect(item(multiAz, "RDS MySQL db.t3.micro Multi-AZ")).to.equal(24.82);
        expect(item(base, "RDS gp3 storage")).to.equal(2.3);
        expect(item(multiAz, "RDS gp3 storage")).to.equal(4.6);
        const bigger = estimateCost(await planOf({ aws: { asg: { min: 3, max: 4 }, instanceType: "t3.small" } }));
        expect(item(bigger, "EC2 t3.small")).to.equal(45.55); // 3 x 730 h x $0.0208
    });

    it("names a missing price and where to add it", async () => {
        const cost = estimateCost(await devPlanWith({ aws: { instanceType: "x9.huge" } }));
        expect(cost.warnings).to.deep.equal([
            'no price for EC2 x9.huge of dev-compute-asg: add AWS_PRICES["us-east-1"].ec2Hour["x9.huge"] in tools/cost/prices.ts',
        ]);
    });

    it("refuses an unknown or negative usage figure, naming it", () => {
        expect(() => usageWith({ aws: { natDataGB: 3 } }, "u.yaml")).to.throw(
            UsageFileError,
            "u.yaml: invalid usage assumptions:\n  - aws.natDataGB: is not a known usage key",
        );
        expect(() => usageWith({ requestsPerMonth: -1 }, "u.yaml")).to.throw(UsageFileError, "  - requestsPerMonth: ");
    });
});
