/**
 * The IaC scan's verdicts: design exceptions (with their scope and conditions), the list of known
 * findings, stale entries, the command's exit status and files, and README's list of exceptions.
 */
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { CheckovReport, CheckResult } from "../tools/scan/checkov";
import { parseCheckovJson } from "../tools/scan/checkov";
import { parseScanArgs, runScan } from "../tools/scan/command";
import { DESIGN_EXCEPTIONS, matchesAddress } from "../tools/scan/exceptions";
import { classifyFindings, exceptionFor } from "../tools/scan/findings";
import { KNOWN_FINDINGS, type KnownFinding } from "../tools/scan/known-findings";
import type { RenderedResource } from "../tools/scan/render";
import { scanFailed, type ScanResult } from "../tools/scan/report";
import { UsageError } from "../tools/cli";
import { PROJECT_ROOT } from "../tools/offline/stack-config";

function failed(checkId: string, resource: string): CheckResult {
    return { checkId, checkName: `name of ${checkId}`, resource };
}

function rendered(
    address: string,
    values: Record<string, unknown>,
    expressions: Record<string, unknown> = {},
): RenderedResource {
    const [tfType, tfName] = address.split(".");
    return {
        address,
        tfType,
        tfName,
        pulumiType: "aws:x/y:Z",
        pulumiName: tfName,
        urn: `urn:${tfName}`,
        values,
        expressions,
        afterUnknown: {},
    };
}

const DEV = { stack: "dev", environment: "dev" };
const DEMO = { stack: "demo", environment: "demo" };

describe("IaC scan: findings", () => {
    describe("design exceptions", () => {
        it("match addresses with * standing for any run of characters", () => {
            expect(matchesAddress("aws_db_instance.*", "aws_db_instance.dev-database-mysql")).to.equal(true);
            expect(matchesAddress("aws_db_instance.*", "aws_db_instance_x.a")).to.equal(false);
            expect(matchesAddress("aws_lb.*-alb", "aws_lb.demo-compute-alb")).to.equal(true);
            expect(matchesAddress("aws_lb.*-alb", "aws_lb.demo-compute-alb2")).to.equal(false);
            // The dot is literal.
            expect(matchesAddress("aws_lb.x", "aws_lbax")).to.equal(false);
        });

        it("accept the load balancer's port 80 in every stack, and dev-only choices in dev only", () => {
            const http = failed("CKV_AWS_260", "aws_vpc_security_group_ingress_rule.demo-compute-alb-in-80");
            expect(exceptionFor(http, DEMO, DESIGN_EXCEPTIONS, [])?.reason).to.match(/301 redirect to HTTPS/);
            const protection = failed("CKV_AWS_150", "aws_lb.dev-compute-alb");
            expect(exceptionFor(protection, DEV, DESIGN_EXCEPTIONS, [])?.scope).to.equal("dev only");
            expect(exceptionFor({ ...protection, resource: "aws_lb.demo-compute-alb" }, DEMO, DESIGN_EXCEPTIONS, [])).to
                .be.undefined;
            // Any environment but dev counts as production-like.
            expect(exceptionFor(protection, { stack: "dev", environment: "staging" }, DESIGN_EXCEPTIONS, [])).to.be
                .undefined;
        });

        it("accept an unreplicated bucket only without a DR region, and the trail's bucket", () => {
            const app = rendered("aws_s3_bucket.prod-storage-bucket", {});
            const trail = rendered("aws_s3_bucket.prod-audit-logs-bucket", {});
            const other = rendered("aws_s3_bucket.prod-other-bucket", {});
            const copy = rendered("aws_s3_bucket.prod-dr-bucket-bucket", {});
            const replication = rendered(
                "aws_s3_bucket_replication_configuration.prod-dr-replication",
                {},
                {
                    bucket: {
                        references: ["aws_s3_bucket.prod-storage-bucket.id", "aws_s3_bucket.prod-storage-bucket"],
                    },
                    rule: [{ destination: [{ bucket: { references: ["aws_s3_bucket.prod-dr-bucket-bucket.arn"] } }] }],
                },
            );
            const verdict = (bucket: RenderedResource, all: RenderedResource[]) =>
                exceptionFor(failed("CKV_AWS_144", bucket.address), DEMO, DESIGN_EXCEPTIONS, all)?.reason;
            expect(verdict(app, [app, trail])).to.match(/does not configure/);
            expect(verdict(other, [app, other])).to.match(/does not configure/);
            expect(verdict(trail, [app, trail, copy, replication])).to.match(/^The trail's log bucket/);
            // With a DR region, any other bucket that is not replicated is a finding.
            expect(verdict(other, [app, other, copy, replication])).to.equal(undefined);
            // The promotion function's bundle bucket, already in the DR region.
            const bundles = rendered("aws_s3_bucket.prod-dr-promotion-artifacts-bucket", {});
            expect(verdict(bundles, [app, bundles, copy, replication])).to.match(
                /^The promotion function's bundle bucket is in the DR region already/,
            );
        });

        it("accept the promotion function outside a VPC, and no other function", () => {
            const outside = (address: string) =>
                exceptionFor(failed("CKV_AWS_117", address), DEMO, DESIGN_EXCEPTIONS, [])?.reason;
            expect(outside("aws_lambda_function.prod-dr-promotion")).to.match(/outside any VPC on purpose/);
            expect(outside("aws_lambda_function.prod-messaging-function")).to.equal(undefined);
        });

        it("accept an ingress rule from a security group only when it has no CIDR", () => {
            const check = failed("CKV_AWS_260", "aws_vpc_security_group_ingress_rule.dev-compute-instance-in-app");
            const fromGroup = rendered(
                check.resource,
                { from_port: 80, to_port: 80, ip_protocol: "tcp" },
                {
                    referenced_security_group_id: {
                        references: ["aws_security_group.alb.id", "aws_security_group.alb"],
                    },
                },
            );
            expect(exceptionFor(check, DEV, DESIGN_EXCEPTIONS, [fromGroup])?.reason).to.match(
                /referenced_security_group_id/,
            );
            const alsoFromTheWorld = rendered(
                check.resource,
                { ...fromGroup.values, cidr_ipv4: "0.0.0.0/0" },
                fromGroup.expressions,
            );
            expect(exceptionFor(check, DEV, DESIGN_EXCEPTIONS, [alsoFromTheWorld])).to.be.undefined;
        });

        it("accept a function without dead_letter_config only when its failures go to a destination", () => {
            const check = failed("CKV_AWS_116", "aws_lambda_function.dev-fn");
            const fn = rendered(check.resource, { function_name: "fn" });
            const invokeConfig = (destination: unknown) =>
                rendered(
                    "aws_lambda_function_event_invoke_config.dev-async",
                    { maximum_retry_attempts: 2, ...(destination ? { destination_config: [destination] } : {}) },
                    {
                        function_name: {
                            references: ["aws_lambda_function.dev-fn.function_name", "aws_lambda_function.dev-fn"],
                        },
                    },
                );
            const withDlq = invokeConfig({ on_failure: [{ destination: "arn:aws:sqs:us-east-1:1:dlq" }] });
            expect(exceptionFor(check, DEV, DESIGN_EXCEPTIONS, [fn, withDlq])?.check).to.equal("CKV_AWS_116");
            expect(exceptionFor(check, DEV, DESIGN_EXCEPTIONS, [fn, invokeConfig(undefined)])).to.be.undefined;
            expect(exceptionFor(check, DEV, DESIGN_EXCEPTIONS, [fn])).to.be.undefined;
        });

        it("accept a Route 53 record without an AWS target only when it points at the Google Cloud load balancer", () => {
            const check = failed("CKV2_AWS_23", "aws_route53_record.demo-dns-gcp-lb-a");
            const toGcp = rendered(
                check.resource,
                { type: "A" },
                {
                    records: {
                        references: ["google_compute_global_address.lb.address", "google_compute_global_address.lb"],
                    },
                },
            );
            expect(exceptionFor(check, DEMO, DESIGN_EXCEPTIONS, [toGcp])?.check).to.equal("CKV2_AWS_23");
            const literal = rendered(check.resource, { type: "A", records: ["203.0.113.7"] });
            expect(exceptionFor(check, DEMO, DESIGN_EXCEPTIONS, [literal])).to.be.undefined;
        });

        it("accept SSE-S3 only on the bucket a load balancer logs to, an unlogged GCS bucket only when it receives usage logs", () => {
            const sse = failed("CKV_AWS_145", "aws_s3_bucket.demo-storage-access-logs-bucket");
            const bucket = rendered(sse.resource, {});
            const ref = (address: string) => ({ references: [`${address}.bucket`, address] });
            const lb = rendered("aws_lb.demo-compute-alb", {}, { access_logs: [{ bucket: ref(sse.resource) }] });
            expect(exceptionFor(sse, DEMO, DESIGN_EXCEPTIONS, [bucket, lb])?.check).to.equal("CKV_AWS_145");
            expect(exceptionFor(sse, DEMO, DESIGN_EXCEPTIONS, [bucket])).to.be.undefined;
            const other = failed("CKV_AWS_145", "aws_s3_bucket.demo-storage-bucket");
            expect(exceptionFor(other, DEMO, DESIGN_EXCEPTIONS, [rendered(other.resource, {}), lb])).to.be.undefined;
            // A target of S3 server access logging (the DR region's log bucket) may use SSE-S3 too.
            const drLogs = failed("CKV_AWS_145", "aws_s3_bucket.prod-dr-access-logs-bucket");
            const logging = rendered(
                "aws_s3_bucket_logging.prod-dr-bucket-access-logs",
                {},
                { target_bucket: ref(drLogs.resource) },
            );
            expect(
                exceptionFor(drLogs, DEMO, DESIGN_EXCEPTIONS, [rendered(drLogs.resource, {}), logging])?.reason,
            ).to.match(/^The bucket receives S3 server access logs/);
            expect(exceptionFor(drLogs, DEMO, DESIGN_EXCEPTIONS, [rendered(drLogs.resource, {})])).to.be.undefined;

            const unlogged = failed("CKV_GCP_62", "google_storage_bucket.demo-gcp-storage-logs");
            const logs = rendered(unlogged.resource, {});
            const app = rendered(
                "google_storage_bucket.demo-gcp-storage-bucket",
                {},
                { logging: [{ log_bucket: ref(unlogged.resource) }] },
            );
            expect(exceptionFor(unlogged, DEMO, DESIGN_EXCEPTIONS, [logs, app])?.check).to.equal("CKV_GCP_62");
            expect(exceptionFor(unlogged, DEMO, DESIGN_EXCEPTIONS, [logs])).to.be.undefined;
        });

        it("accept a WAF without the anonymous-IP list only when the load balancer's web ACL runs the known-bad-inputs rules", () => {
            const check = failed("CKV2_AWS_76", "aws_lb.demo-compute-alb");
            const lb = rendered(check.resource, {});
            const acl = (group: string) =>
                rendered("aws_wafv2_web_acl.demo-waf-acl", {
                    rule: [{ statement: [{ managed_rule_group_statement: [{ name: group, vendor_name: "AWS" }] }] }],
                });
            const association = rendered(
                "aws_wafv2_web_acl_association.demo-waf-alb",
                {},
                {
                    resource_arn: { references: [`${check.resource}.arn`, check.resource] },
                    web_acl_arn: {
                        references: ["aws_wafv2_web_acl.demo-waf-acl.arn", "aws_wafv2_web_acl.demo-waf-acl"],
                    },
                },
            );
            const known = acl("AWSManagedRulesKnownBadInputsRuleSet");
            expect(exceptionFor(check, DEMO, DESIGN_EXCEPTIONS, [lb, known, association])?.check).to.equal(
                "CKV2_AWS_76",
            );
            expect(exceptionFor(check, DEMO, DESIGN_EXCEPTIONS, [lb, acl("AWSManagedRulesCommonRuleSet"), association]))
                .to.be.undefined;
            expect(exceptionFor(check, DEMO, DESIGN_EXCEPTIONS, [lb, known])).to.be.undefined;
        });

        it("accept the cache token's secret without a rotation function, and no other cache secret", () => {
            const token = failed("CKV2_AWS_57", "aws_secretsmanager_secret.demo-cache-auth-token");
            expect(exceptionFor(token, DEMO, DESIGN_EXCEPTIONS, [])?.reason).to.match(/replacing the generated token/);
            const other = failed("CKV2_AWS_57", "aws_secretsmanager_secret.demo-cache-other");
            expect(exceptionFor(other, DEMO, DESIGN_EXCEPTIONS, [])).to.be.undefined;
        });

        it("accept GuardDuty's organization check for the trail's detector only", () => {
            const prod = { stack: "prod", environment: "prod" };
            const reason = (address: string) =>
                exceptionFor(failed("CKV2_AWS_3", address), prod, DESIGN_EXCEPTIONS, [])?.reason;
            expect(reason("aws_guardduty_detector.prod-audit-guardduty")).to.match(
                /organization's GuardDuty administrator/,
            );
            expect(reason("aws_guardduty_detector.prod-other")).to.equal(undefined);
        });

        it("each have a reason and a narrow address pattern", () => {
            expect(DESIGN_EXCEPTIONS).to.have.length(40);
            for (const e of DESIGN_EXCEPTIONS) {
                expect(e.check).to.match(/^CKV2?_(AWS|GCP)_\d+$/);
                expect(e.resources).to.match(/^(aws|google)_[a-z0-9_]+\.[A-Za-z0-9_*-]+$/);
                expect(e.reason.length, e.check).to.be.greaterThan(40);
            }
        });
    });

    describe("classification", () => {
        const known: KnownFinding[] = [
            {
                check: "CKV_AWS_158",
                fix: "a logs CMK",
                stacks: { dev: ["aws_cloudwatch_log_group.a", "aws_cloudwatch_log_group.b"] },
            },
        ];

        it("sorts failed checks into accepted, known and new, and lists known findings no longer reported", () => {
            const result = classifyFindings(
                [
                    failed("CKV_AWS_158", "aws_cloudwatch_log_group.a"),
                    failed("CKV_AWS_161", "aws_db_instance.dev-database-mysql"),
                    failed("CKV_AWS_24", "aws_security_group.open"),
                ],
                DEV,
                DESIGN_EXCEPTIONS,
                known,
                [],
            );
            expect(result.accepted.map((f) => [f.checkId, f.resource])).to.deep.equal([
                ["CKV_AWS_161", "aws_db_instance.dev-database-mysql"],
            ]);
            expect(result.known.map((f) => [f.checkId, f.resource, f.fix])).to.deep.equal([
                ["CKV_AWS_158", "aws_cloudwatch_log_group.a", "a logs CMK"],
            ]);
            expect(result.unexpected.map((f) => [f.checkId, f.resource])).to.deep.equal([
                ["CKV_AWS_24", "aws_security_group.open"],
            ]);
            expect(result.stale).to.deep.equal([
                { check: "CKV_AWS_158", resource: "aws_cloudwatch_log_group.b", fix: "a logs CMK" },
            ]);
        });

        it("keeps another stack's known findings out of this one", () => {
            const result = classifyFindings([failed("CKV_AWS_158", "aws_cloudwatch_log_group.a")], DEMO, [], known, []);
            expect(result.known).to.have.length(0);
            expect(result.unexpected).to.have.length(1);
            expect(result.stale).to.have.length(0);
        });
    });

    describe("the verdict", () => {
        const result = (classification: Partial<ScanResult["classification"]>, strict: boolean): ScanResult => ({
            stack: "dev",
            environment: "dev",
            checkov: { version: "3.3.30", resourceCount: 1, passed: [], failed: [], parsingErrors: [] },
            rendered: { resources: [], skipped: [] },
            classification: { accepted: [], known: [], unexpected: [], stale: [], ...classification },
            strict,
        });
        const known = { ...failed("CKV_AWS_18", "aws_s3_bucket.b"), fix: "log it" };

        it("fails on a new finding or a stale known one; with --strict also on a known one", () => {
            const accepted = [{ ...failed("CKV_AWS_161", "aws_db_instance.d"), reason: "why" }];
            expect(scanFailed(result({ accepted, known: [known] }, false))).to.equal(false);
            expect(scanFailed(result({ accepted, known: [known] }, true))).to.equal(true);
            expect(scanFailed(result({ accepted }, true))).to.equal(false);
            expect(scanFailed(result({ unexpected: [failed("CKV_AWS_24", "aws_security_group.s")] }, false))).to.equal(
                true,
            );
            expect(
                scanFailed(result({ stale: [{ check: "CKV_AWS_18", resource: "aws_s3_bucket.b", fix: "x" }] }, false)),
            ).to.equal(true);
        });
    });

    describe("the list of known findings", () => {
        it("is empty: the DR promotion function's three findings are fixed (stale entries fail the scan, above)", () => {
            expect(KNOWN_FINDINGS).to.deep.equal([]);
        });
    });

    describe("Checkov's report", () => {
        it("reads the failed and passed checks of the terraform_plan framework", () => {
            const report = parseCheckovJson(
                JSON.stringify({
                    check_type: "terraform_plan",
                    results: {
                        passed_checks: [
                            { check_id: "CKV_AWS_19", check_name: "encrypted", resource: "aws_s3_bucket.b" },
                        ],
                        failed_checks: [
                            {
                                check_id: "CKV_AWS_18",
                                check_name: "access logging",
                                resource: "aws_s3_bucket.b",
                                guideline: null,
                            },
                        ],
                        parsing_errors: [],
                    },
                    summary: { resource_count: 1, checkov_version: "3.3.30" },
                }),
            );
            expect(report).to.deep.equal({
                version: "3.3.30",
                resourceCount: 1,
                passed: [{ checkId: "CKV_AWS_19", checkName: "encrypted", resource: "aws_s3_bucket.b" }],
                failed: [{ checkId: "CKV_AWS_18", checkName: "access logging", resource: "aws_s3_bucket.b" }],
                parsingErrors: [],
            });
            expect(() => parseCheckovJson("Traceback (most recent call last)")).to.throw(
                "Checkov printed no JSON report: Traceback",
            );
        });
    });

    describe("npm run scan", () => {
        let out: string;
        before(() => {
            out = mkdtempSync(path.join(tmpdir(), "scan-out-"));
        });
        after(() => rmSync(out, { recursive: true, force: true }));

        it("needs a stack with a stack file", () => {
            expect(parseScanArgs(["--stack", "dev"])).to.deep.equal({
                stack: "dev",
                out: "plan",
                json: false,
                strict: false,
            });
            expect(parseScanArgs(["--stack=demo", "--strict", "--out", "x"], PROJECT_ROOT).strict).to.equal(true);
            expect(() => parseScanArgs([])).to.throw(UsageError, "--stack is required");
        });

        it("exits 2 with the usage line on a bad argument", async () => {
            const err: string[] = [];
            const code = await runScan(["--stak", "dev"], { print: () => undefined, fail: (l) => err.push(l) });
            expect(code).to.equal(2);
            expect(err[1]).to.equal("usage: npm run scan -- --stack <name> [--out <dir>] [--json] [--strict]");
        });

        it("renders the plan, reports each failed check, fails on a new one and writes its report", async () => {
            const knownDev = KNOWN_FINDINGS.flatMap((k) => (k.stacks.dev ?? []).map((a) => failed(k.check, a)));
            let scanned = "";
            const scanner = async (file: string): Promise<CheckovReport> => {
                scanned = file;
                return {
                    version: "3.3.30",
                    resourceCount: 105,
                    passed: [],
                    failed: [...knownDev, failed("CKV_AWS_24", "aws_security_group.dev-compute-alb-sg")],
                    parsingErrors: [],
                };
            };
            const lines: string[] = [];
            const code = await runScan(["--stack", "dev", "--out", out], { print: (l) => lines.push(l), scanner });
            expect(code).to.equal(1);
            expect(scanned).to.equal(path.join(out, "dev", "terraform-plan.json"));
            const plan = JSON.parse(readFileSync(scanned, "utf8"));
            expect(plan.planned_values.root_module.resources.length).to.be.greaterThan(100);
            expect(knownDev).to.have.length(0);
            expect(lines[1]).to.equal("  0 accepted by design, 0 known and to be fixed, 1 new");
            expect(lines).to.include(
                "  CKV_AWS_24  aws_security_group.dev-compute-alb-sg (dev-compute-alb-sg): name of CKV_AWS_24",
            );
            const report = JSON.parse(readFileSync(path.join(out, "dev", "scan.json"), "utf8"));
            expect(report.passed).to.equal(false);
            expect(report.summary).to.deep.equal({
                resources: 105,
                passedChecks: 0,
                failedChecks: 1,
                accepted: 0,
                known: 0,
                new: 1,
                stale: 0,
            });
            expect(readFileSync(path.join(out, "dev", "scan.md"), "utf8")).to.contain("## New findings");
        });
    });

    describe("README", () => {
        it("lists every design exception with its check in the security section", () => {
            const readme = readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
            const start = readme.indexOf("\n## Security\n");
            expect(start).to.be.greaterThan(0);
            const end = readme.indexOf("\n## ", start + 1);
            const section = readme.slice(start, end < 0 ? undefined : end);
            for (const e of DESIGN_EXCEPTIONS) {
                expect(section, e.check).to.contain(`\`${e.check}\``);
                expect(section, e.resources).to.contain(`\`${e.resources}\``);
            }
        });
    });
});
