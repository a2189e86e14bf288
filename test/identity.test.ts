/** The offline identity check (`tools/offline/identity.ts`) on small hand-made plans. */
import { expect } from "chai";
import { compareIdentity, engineUrn, identityKept, type IdentityRecord } from "../tools/offline/identity";

const STACK_URN = "urn:pulumi:dev::webapp-infra::pulumi:pulumi:Stack::webapp-infra-dev";
/** URNs as the mocks record them: the parent's last type, the root stack included. */
const mock = (parentType: string, type: string, name: string) =>
    `urn:pulumi:dev::webapp-infra::${parentType}$${type}::${name}`;

function record(
    urn: string,
    type: string,
    name: string,
    parent: string,
    extra: Partial<IdentityRecord> = {},
): IdentityRecord {
    return { urn, type, name, parent, provider: null, inputs: {}, dependencies: [], ...extra };
}

/** A resource under a component: its mock URN formed from the parent's type. */
function child(
    parentType: string,
    parentUrn: string,
    type: string,
    name: string,
    extra: Partial<IdentityRecord> = {},
): IdentityRecord {
    return record(mock(parentType, type, name), type, name, parentUrn, extra);
}

const ALB = "aws:lb/loadBalancer:LoadBalancer";
const TG = "aws:lb/targetGroup:TargetGroup";
const stack = record(STACK_URN, "pulumi:pulumi:Stack", "webapp-infra-dev", "");
const tierUrn = mock("pulumi:pulumi:Stack", "webapp:aws:Compute", "dev-compute");
const tier = record(tierUrn, "webapp:aws:Compute", "dev-compute", STACK_URN);
const before: IdentityRecord[] = [
    stack,
    tier,
    child("webapp:aws:Compute", tierUrn, ALB, "dev-compute-alb", { inputs: { internal: false } }),
    child("webapp:aws:Compute", tierUrn, TG, "dev-compute-tg", {
        dependencies: [mock("webapp:aws:Compute", ALB, "dev-compute-alb")],
    }),
];

describe("offline identity check", () => {
    it("forms URNs as the engine does: the parent's whole type chain, no root-stack type", () => {
        const parent = engineUrn("dev", "p", "webapp:aws:Compute", "c");
        expect(parent).to.equal("urn:pulumi:dev::p::webapp:aws:Compute::c");
        const lbChild = engineUrn("dev", "p", "webapp:aws:LoadBalancer", "c", parent);
        expect(engineUrn("dev", "p", ALB, "c-alb", lbChild)).to.equal(
            "urn:pulumi:dev::p::webapp:aws:Compute$webapp:aws:LoadBalancer$aws:lb/loadBalancer:LoadBalancer::c-alb",
        );
    });

    it("matches a resource moved under a new component through its alias to the former parent", () => {
        const lbUrn = mock("webapp:aws:Compute", "webapp:aws:LoadBalancer", "dev-compute");
        const albUrn = mock("webapp:aws:LoadBalancer", ALB, "dev-compute-alb");
        const after: IdentityRecord[] = [
            stack,
            tier,
            record(lbUrn, "webapp:aws:LoadBalancer", "dev-compute", tierUrn),
            record(albUrn, ALB, "dev-compute-alb", lbUrn, {
                inputs: { internal: false },
                aliases: [{ parentUrn: tierUrn }],
            }),
            child("webapp:aws:LoadBalancer", lbUrn, TG, "dev-compute-tg", {
                aliases: [{ parentUrn: tierUrn }],
                dependencies: [albUrn],
            }),
        ];
        const report = compareIdentity(before, after, "dev", "webapp-infra");
        expect(report.same).to.equal(2);
        expect(report.moved.map((m) => m.from)).to.deep.equal([
            "urn:pulumi:dev::webapp-infra::webapp:aws:Compute$aws:lb/loadBalancer:LoadBalancer::dev-compute-alb",
            "urn:pulumi:dev::webapp-infra::webapp:aws:Compute$aws:lb/targetGroup:TargetGroup::dev-compute-tg",
        ]);
        expect(report.created).to.deep.equal([
            "urn:pulumi:dev::webapp-infra::webapp:aws:Compute$webapp:aws:LoadBalancer::dev-compute",
        ]);
        expect(report.deleted).to.deep.equal([]);
        expect(report.changed, "the dependency follows the move").to.deep.equal([]);
        // The new component is a new state entry: the engine would count it as a create.
        expect(identityKept(report)).to.equal(false);
        expect(identityKept({ ...report, created: [] })).to.equal(true);
    });

    it("follows a renamed parent for children named after it (inherited aliases)", () => {
        const renamedUrn = mock("pulumi:pulumi:Stack", "webapp:aws:App", "dev-app");
        const after: IdentityRecord[] = [
            stack,
            record(renamedUrn, "webapp:aws:App", "dev-app", STACK_URN, {
                aliases: [{ type: "webapp:aws:Compute", name: "dev-compute" }],
            }),
            child("webapp:aws:App", renamedUrn, ALB, "dev-app-alb", {
                inputs: { internal: false },
            }),
            child("webapp:aws:App", renamedUrn, TG, "dev-app-tg", {
                dependencies: [mock("webapp:aws:App", ALB, "dev-app-alb")],
            }),
        ];
        const report = compareIdentity(before, after, "dev", "webapp-infra");
        expect(report.moved).to.have.length(3);
        expect(report).to.deep.include({ created: [], deleted: [], changed: [] });
    });

    it("reports what the engine would create, delete or update", () => {
        const after: IdentityRecord[] = [
            stack,
            tier,
            child("webapp:aws:Compute", tierUrn, ALB, "dev-compute-alb", { inputs: { internal: true } }),
            child("webapp:aws:Compute", tierUrn, TG, "dev-compute-tg2"),
        ];
        const report = compareIdentity(before, after, "dev", "webapp-infra");
        expect(report.created).to.deep.equal([
            "urn:pulumi:dev::webapp-infra::webapp:aws:Compute$aws:lb/targetGroup:TargetGroup::dev-compute-tg2",
        ]);
        expect(report.deleted).to.deep.equal([
            "urn:pulumi:dev::webapp-infra::webapp:aws:Compute$aws:lb/targetGroup:TargetGroup::dev-compute-tg",
        ]);
        expect(report.changed.map((c) => c.what)).to.deep.equal(['inputs {"internal":false} -> {"internal":true}']);
        expect(identityKept(report)).to.equal(false);
    });
});
