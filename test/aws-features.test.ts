import { expect } from "chai";
import { BACKUP_RULES } from "../components/aws/features/backup";
import { INTERFACE_ENDPOINT_SERVICES } from "../components/aws/features/endpoints";
import { MANAGED_RULE_GROUPS, RATE_LIMIT_PER_5_MINUTES } from "../components/aws/features/waf";
import type { OfflineRun } from "../tools/offline/run";
import { build, buildStack, json, stackConfig, statements } from "./support";

const ACCOUNT = "123456789012";

describe("AWS opt-in features", () => {
    it("are all off unless the stack turns them on (demo: the audit trail), but WAF, on by default outside dev", async () => {
        for (const stack of ["dev", "demo"]) {
            const run = await buildStack(stack);
            const types = new Set(run.resources.map((r) => r.type));
            for (const type of ["webapp:aws:Backup", "webapp:aws:Budget", "webapp:aws:VpcEndpoints"]) {
                expect(types.has(type), `${stack}: ${type}`).to.equal(false);
            }
            for (const type of ["webapp:aws:Audit", "aws:cloudtrail/trail:Trail", "aws:guardduty/detector:Detector"]) {
                expect(types.has(type), `${stack}: ${type}`).to.equal(stack === "demo");
            }
            expect(types.has("webapp:aws:Waf"), `${stack}: webapp:aws:Waf`).to.equal(stack !== "dev");
        }
    });

    describe("features.auditLogs", () => {
        let run: OfflineRun;
        before(async () => {
            run = await build(stackConfig("dev", { features: { auditLogs: true } }));
        });
        const trailArn = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/webapp-dev`;

        it("records every region's API calls with log-file validation, encrypted with the trail's own key", () => {
            const trail = run.one("aws:cloudtrail/trail:Trail");
            expect(run.plain(trail)).to.include({
                name: "webapp-dev",
                isMultiRegionTrail: true,
                includeGlobalServiceEvents: true,
                enableLogFileValidation: true,
                enableLogging: true,
            });
            const keyUrns = trail.propertyDependencies.kmsKeyId ?? [];
            expect(keyUrns.map((u) => run.byUrn(u).name)).to.deep.equal(["dev-audit-key"]);
            const key = run.one("aws:kms/key:Key", "dev-audit-key");
            expect(run.plain(key)).to.include({ enableKeyRotation: true, rotationPeriodInDays: 90 });
            const keyPolicy = statements(json(run, key, "policy"));
            const encrypt = keyPolicy.find((s) => s.Sid === "CloudTrailEncryptsThisTrail")!;
            expect(encrypt.Principal).to.deep.equal({ Service: "cloudtrail.amazonaws.com" });
            expect(encrypt.Condition.StringEquals).to.deep.equal({ "aws:SourceArn": trailArn });
        });

        it("delivers to a private bucket that admits only this trail, and waits for its policy", () => {
            const trail = run.one("aws:cloudtrail/trail:Trail");
            const policy = run.one("aws:s3/bucketPolicy:BucketPolicy", "dev-audit-logs-policy");
            expect(trail.dependencies).to.include(policy.urn);
            const doc = statements(json(run, policy, "policy"));
            const write = doc.find((s) => s.Sid === "CloudTrailWritesLogs")!;
            expect(write.Action).to.deep.equal(["s3:PutObject"]);
            expect(write.Resource![0]).to.match(
                new RegExp(`^arn:aws:s3:::dev-audit-logs-bucket-[0-9a-f]{7}/AWSLogs/${ACCOUNT}/\\*$`),
            );
            expect(write.Condition.StringEquals).to.deep.equal({
                "s3:x-amz-acl": "bucket-owner-full-control",
                "aws:SourceArn": trailArn,
            });
            expect(doc.filter((s) => s.Effect === "Deny")).to.have.length(2);
            const block = run.plain(
                run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "dev-audit-logs-public-access"),
            );
            expect(block).to.include({
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            });
        });

        it("keeps the trail's bucket versioned and access-logged into the stack's log bucket", () => {
            const logging = run.plain(run.one("aws:s3/bucketLogging:BucketLogging", "dev-audit-logs-access-logging"));
            expect(logging.targetPrefix).to.equal("s3/audit/");
            expect(String(logging.targetBucket)).to.match(/^dev-storage-access-logs-bucket-[0-9a-f]{7}$/);
            const versioning = run.plain(
                run.one("aws:s3/bucketVersioning:BucketVersioning", "dev-audit-logs-versioning"),
            );
            expect(versioning.versioningConfiguration).to.deep.equal({ status: "Enabled" });
            const lifecycle = run.plain(
                run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "dev-audit-logs-lifecycle"),
            );
            expect(lifecycle.rules).to.deep.equal([
                {
                    id: "expire-trail-logs",
                    status: "Enabled",
                    filter: { prefix: "" },
                    expiration: { days: 365 },
                    noncurrentVersionExpiration: { noncurrentDays: 30 },
                    abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
                },
            ]);
        });

        it("turns GuardDuty on", () => {
            expect(run.plain(run.one("aws:guardduty/detector:Detector"))).to.include({ enable: true });
        });
    });

    describe("features.backup", () => {
        let run: OfflineRun;
        before(async () => {
            run = await build(stackConfig("dev", { features: { backup: true } }));
        });

        it("backs up the database and the bucket daily and weekly into a vault with its own key", () => {
            const vault = run.one("aws:backup/vault:Vault");
            expect((vault.propertyDependencies.kmsKeyArn ?? []).map((u) => run.byUrn(u).name)).to.deep.equal([
                "dev-backup-key",
            ]);
            const rules = run.plain(run.one("aws:backup/plan:Plan")).rules as any[];
            expect(rules.map((r) => [r.ruleName, r.schedule, r.lifecycle.deleteAfter])).to.deep.equal(
                BACKUP_RULES.map((r) => [r.ruleName, r.schedule, r.deleteAfterDays]),
            );
            const selection = run.one("aws:backup/selection:Selection");
            const resources = run.plain(selection).resources as string[];
            expect(resources).to.have.length(2);
            expect(resources[0]).to.match(new RegExp(`^arn:aws:rds:us-east-1:${ACCOUNT}:db:webapp-dev-`));
            expect(resources[1]).to.match(/^arn:aws:s3:::dev-storage-bucket-/);
        });

        it("runs as a role only AWS Backup can assume", () => {
            const role = run.one("aws:iam/role:Role", "dev-backup-role");
            const trust = statements(json(run, role, "assumeRolePolicy"));
            expect(trust[0].Principal).to.deep.equal({ Service: "backup.amazonaws.com" });
            const attached = run
                .ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                .filter((a) => a.name.startsWith("dev-backup-role-managed-"))
                .map((a) => run.plain(a).policyArn);
            expect(attached).to.include("arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup");
            expect(attached).to.include("arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup");
        });
    });

    describe("features.monthlyBudgetUsd", () => {
        it("sets a monthly budget for the environment's tagged costs, with alerts and anomaly detection", async () => {
            const run = await build(
                stackConfig("demo", {
                    features: { monthlyBudgetUsd: 150 },
                    monitoring: { alarmEmail: "ops@example.org" },
                }),
            );
            const budget = run.plain(run.one("aws:budgets/budget:Budget"));
            expect(budget).to.include({
                budgetType: "COST",
                timeUnit: "MONTHLY",
                limitAmount: "150.00",
                limitUnit: "USD",
            });
            expect(budget.costFilters).to.deep.equal([{ name: "TagKeyValue", values: ["user:environment$demo"] }]);
            expect(
                budget.notifications.map((n: any) => [n.notificationType, n.threshold, n.subscriberEmailAddresses]),
            ).to.deep.equal([
                ["ACTUAL", 80, ["ops@example.org"]],
                ["FORECASTED", 100, ["ops@example.org"]],
            ]);
            const monitor = run.plain(run.one("aws:costexplorer/anomalyMonitor:AnomalyMonitor"));
            expect(JSON.parse(monitor.monitorSpecification)).to.deep.equal({
                Tags: { Key: "environment", Values: ["demo"], MatchOptions: ["EQUALS"] },
            });
            const subscription = run.plain(run.one("aws:costexplorer/anomalySubscription:AnomalySubscription"));
            expect(subscription.subscribers).to.deep.equal([{ type: "EMAIL", address: "ops@example.org" }]);
        });

        it("needs an alarm e-mail address", () => {
            expect(() => stackConfig("dev", { features: { monthlyBudgetUsd: 100 } })).to.throw(
                "features.monthlyBudgetUsd: 100 needs monitoring.alarmEmail: budget and cost-anomaly alerts are sent there",
            );
        });
    });

    describe("features.vpcEndpoints", () => {
        let run: OfflineRun;
        before(async () => {
            run = await build(stackConfig("dev", { features: { vpcEndpoints: true } }));
        });

        it("adds private-DNS interface endpoints in the private subnets, reachable on 443 from the VPC only", () => {
            const endpoints = run.ofType("aws:ec2/vpcEndpoint:VpcEndpoint").map((e) => run.plain(e));
            const interfaces = endpoints.filter((e) => e.vpcEndpointType === "Interface");
            expect(interfaces.map((e) => e.serviceName)).to.have.members(
                INTERFACE_ENDPOINT_SERVICES.map((s) => `com.amazonaws.us-east-1.${s}`),
            );
            for (const endpoint of interfaces) {
                expect(endpoint.privateDnsEnabled).to.equal(true);
                expect(endpoint.subnetIds.every((id: string) => id.startsWith("subnet-prv"))).to.equal(true);
            }
            const sg = run.plain(run.one("aws:ec2/securityGroup:SecurityGroup", "dev-endpoints-sg"));
            expect(sg.ingress).to.have.length(1);
            expect(sg.ingress[0]).to.include({ protocol: "tcp", fromPort: 443, toPort: 443 });
            expect(sg.ingress[0].cidrBlocks).to.deep.equal(["10.0.0.0/16"]);
        });

        it("routes S3 through a gateway endpoint on the private route tables", () => {
            const endpoint = run.one("aws:ec2/vpcEndpoint:VpcEndpoint", "dev-endpoints-s3");
            const s3 = run.plain(endpoint);
            expect(s3).to.include({ vpcEndpointType: "Gateway", serviceName: "com.amazonaws.us-east-1.s3" });
            // The network's own tables, not a lookup (which could run before the associations exist).
            const tables = (endpoint.propertyDependencies.routeTableIds ?? []).map((u) => run.byUrn(u).name);
            expect(tables.sort()).to.deep.equal(["dev-network-vpc-private-1", "dev-network-vpc-private-2"]);
            expect(s3.routeTableIds).to.have.length(2);
        });
    });

    describe("features.waf", () => {
        let run: OfflineRun;
        before(async () => {
            run = await build(stackConfig("dev", { features: { waf: true } }));
        });

        it("puts a regional web ACL with the managed rule groups and a per-IP rate limit on the load balancer", () => {
            const acl = run.one("aws:wafv2/webAcl:WebAcl");
            const inputs = run.plain(acl);
            expect(inputs.scope).to.equal("REGIONAL");
            expect(inputs.defaultAction).to.deep.equal({ allow: {} });
            const rules = inputs.rules as any[];
            expect(rules.map((r) => r.name)).to.deep.equal([...MANAGED_RULE_GROUPS, "rate-limit-per-ip"]);
            expect(new Set(rules.map((r) => r.priority)).size).to.equal(rules.length);
            for (const rule of rules.slice(0, MANAGED_RULE_GROUPS.length)) {
                expect(rule.overrideAction, rule.name).to.deep.equal({ none: {} });
                expect(rule.statement.managedRuleGroupStatement.vendorName).to.equal("AWS");
            }
            const rate = rules[rules.length - 1];
            expect(rate.action).to.deep.equal({ block: {} });
            expect(rate.statement.rateBasedStatement).to.include({
                limit: RATE_LIMIT_PER_5_MINUTES,
                aggregateKeyType: "IP",
            });
            const association = run.one("aws:wafv2/webAclAssociation:WebAclAssociation");
            expect(association.propertyDependencies.resourceArn.map((u) => run.byUrn(u).type)).to.deep.equal([
                "aws:lb/loadBalancer:LoadBalancer",
            ]);
        });

        it("logs to an aws-waf-logs- group with retention, without credentials or verification tokens", () => {
            const group = run.one("aws:cloudwatch/logGroup:LogGroup", "dev-waf-logs");
            expect(run.plain(group)).to.include({ namePrefix: "aws-waf-logs-webapp-dev-", retentionInDays: 30 });
            const logging = run.plain(run.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"));
            expect(logging.logDestinationConfigs[0]).to.match(
                /^arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-webapp-dev-/,
            );
            expect(logging.redactedFields).to.deep.equal([
                { singleHeader: { name: "authorization" } },
                { queryString: {} },
            ]);
        });
    });
});
