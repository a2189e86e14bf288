/**
 * The rendering as the pinned Checkov reads it: values reach its checks, a KMS key policy kept as a
 * JSON string is parsed, and a reference between two resources is a link in its graph. Needs the
 * venv that `npm run setup:scan` builds (`npm run test:scan` runs it first).
 */
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { resourceState } from "../../tools/offline/mocks";
import { runCheckov, type CheckovReport } from "../../tools/scan/checkov";
import { renderTerraformPlan, type PlanDocument, type PlanDocumentResource } from "../../tools/scan/render";
import { awsProvider, planResource } from "../scan-fixtures";

const CONTEXT = { awsRegion: "us-east-1", gcpProject: "mock-project", gcpRegion: "us-east1" };

/** The ID the mocks give a resource, which other resources' inputs then hold. */
function idOf(r: PlanDocumentResource): string {
    return resourceState({ type: r.type, name: r.name, inputs: { ...r.inputs }, provider: CONTEXT }).id;
}

function keyPolicy(principal: unknown): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Sid: "Use", Effect: "Allow", Principal: principal, Action: "kms:*", Resource: "*" }],
    });
}

const group = planResource("aws:ec2/securityGroup:SecurityGroup", "t-sg", { description: "t", vpcId: "vpc-x" });
const linkedVpc = planResource("aws:ec2/vpc:Vpc", "t-linked", { cidrBlock: "10.0.0.0/16" });
const lonelyVpc = planResource("aws:ec2/vpc:Vpc", "t-lonely", { cidrBlock: "10.1.0.0/16" });
const rule = (name: string, cidr: string) =>
    planResource(
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        name,
        {
            type: "ingress",
            fromPort: 22,
            toPort: 22,
            protocol: "tcp",
            cidrBlocks: [cidr],
            securityGroupId: idOf(group),
        },
        { securityGroupId: [group.urn] },
    );

const DOC: PlanDocument = {
    stack: "t",
    resources: [
        awsProvider("us-east-1"),
        group,
        rule("t-ssh-world", "0.0.0.0/0"),
        rule("t-ssh-private", "10.0.0.0/8"),
        linkedVpc,
        planResource(
            "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
            "t-linked-default",
            { vpcId: idOf(linkedVpc) },
            { vpcId: [linkedVpc.urn] },
        ),
        lonelyVpc,
        planResource("aws:kms/key:Key", "t-key-open", { enableKeyRotation: true, policy: keyPolicy({ AWS: "*" }) }),
        planResource("aws:kms/key:Key", "t-key-account", {
            enableKeyRotation: true,
            policy: keyPolicy({ AWS: "arn:aws:iam::123456789012:root" }),
        }),
    ],
};

describe("IaC scan: the rendering through Checkov", () => {
    let dir: string;
    let report: CheckovReport;
    before(async () => {
        dir = mkdtempSync(path.join(tmpdir(), "scan-checkov-"));
        const file = path.join(dir, "terraform-plan.json");
        writeFileSync(file, JSON.stringify(renderTerraformPlan(DOC).terraformPlan));
        report = await runCheckov(file);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const outcome = (checkId: string, resource: string): "passed" | "failed" | "not run" => {
        const hit = (list: CheckovReport["passed"]) =>
            list.some((r) => r.checkId === checkId && r.resource === resource);
        return hit(report.failed) ? "failed" : hit(report.passed) ? "passed" : "not run";
    };

    it("scans every rendered resource with Checkov 3.3.30", () => {
        expect(report.version).to.equal("3.3.30");
        expect(report.resourceCount).to.equal(8);
    });

    it("sees a rule's CIDR and ports: SSH from the internet fails, from a private range passes", () => {
        expect(outcome("CKV_AWS_24", "aws_security_group_rule.t-ssh-world")).to.equal("failed");
        expect(outcome("CKV_AWS_24", "aws_security_group_rule.t-ssh-private")).to.equal("passed");
    });

    it("links a default security group to its VPC through the reference", () => {
        expect(outcome("CKV2_AWS_12", "aws_vpc.t-linked")).to.equal("passed");
        expect(outcome("CKV2_AWS_12", "aws_vpc.t-lonely")).to.equal("failed");
    });

    it("parses a KMS key policy kept as a JSON string", () => {
        expect(outcome("CKV_AWS_33", "aws_kms_key.t-key-open")).to.equal("failed");
        expect(outcome("CKV_AWS_33", "aws_kms_key.t-key-account")).to.equal("passed");
    });
});
