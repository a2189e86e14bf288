import { expect } from "chai";
import { CIS_CONTROLS } from "../components/aws/features/cis";
import { CONFIG_RULES, SECURITY_EVENT_RULES } from "../components/aws/features/governance";
import { GCP_CIS_CONTROLS } from "../components/gcp/features/governance";
import type { OfflineRun } from "../tools/offline/run";
import {
    build,
    buildStack,
    configProblems,
    inside,
    json,
    rawStackConfig,
    referenced,
    stackConfig,
    statements,
} from "./support";

const ACCOUNT = "123456789012";
const RULE_ARNS = [
    "guardduty-findings",
    "securityhub-findings",
    "config-noncompliant",
    "backup-failures",
    "root-signin",
].map((role) => `arn:aws:events:us-east-1:${ACCOUNT}:rule/webapp-prod-${role}`);
const TRAIL_ARN = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/webapp-prod`;

describe("features.governance", () => {
    let run: OfflineRun;
    before(async () => {
        run = await buildStack("prod");
    });

    describe("config", () => {
        it("needs features.auditLogs on AWS (the CIS filters read the trail's log group)", () => {
            const raw = rawStackConfig("demo", { features: { governance: true, auditLogs: false } });
            expect(configProblems(raw, "demo")).to.deep.equal([
                "features.governance: true needs features.auditLogs on AWS: the CIS metric filters and alarms read the trail's log group",
            ]);
        });

        it("is off unless the stack turns it on: dev has none of it", async () => {
            expect(stackConfig("dev").features.governance).to.equal(false);
            const types = new Set((await buildStack("dev")).resources.map((r) => r.type));
            for (const type of [
                "webapp:aws:Governance",
                "aws:securityhub/account:Account",
                "aws:cfg/recorder:Recorder",
            ]) {
                expect(types.has(type), type).to.equal(false);
            }
        });

        it("is on in demo on both clouds, with the audit trail it needs, its rules to demo's ops topic", async () => {
            const demo = await buildStack("demo");
            expect(stackConfig("demo").features).to.include({ auditLogs: true, governance: true });
            expect(demo.ofType("webapp:aws:Governance").map((g) => g.name)).to.deep.equal(["demo-governance"]);
            expect(demo.ofType("webapp:gcp:Governance").map((g) => g.name)).to.deep.equal(["demo-gcp-governance"]);
            expect(demo.ofType("aws:cloudtrail/trail:Trail").map((t) => demo.plain(t).name)).to.deep.equal([
                "webapp-demo",
            ]);
            expect(
                demo
                    .ofType("aws:cloudwatch/eventRule:EventRule")
                    .filter((r) => r.name.startsWith("demo-governance-"))
                    .map((r) => demo.plain(r).name)
                    .sort(),
            ).to.deep.equal([
                "webapp-demo-backup-failures",
                "webapp-demo-config-noncompliant",
                "webapp-demo-guardduty-findings",
                "webapp-demo-root-signin",
                "webapp-demo-securityhub-findings",
            ]);
            const topicPolicy = statements(
                json(demo, demo.one("aws:sns/topicPolicy:TopicPolicy", "demo-alerts-topic-policy"), "policy"),
            );
            const fromEvents = topicPolicy.filter(
                (st) => JSON.stringify(st.Principal) === JSON.stringify({ Service: "events.amazonaws.com" }),
            );
            expect(fromEvents).to.have.length(1);
            expect(fromEvents[0].Condition).to.deep.equal({
                ArnEquals: {
                    "aws:SourceArn": [
                        "guardduty-findings",
                        "securityhub-findings",
                        "config-noncompliant",
                        "backup-failures",
                        "root-signin",
                    ].map((role) => `arn:aws:events:us-east-1:${ACCOUNT}:rule/webapp-demo-${role}`),
                },
            });
        });
    });

    describe("AWS", () => {
        it("turns on Security Hub with exactly the FSBP and CIS standards, after the hub", () => {
            const hub = run.one("aws:securityhub/account:Account");
            expect(run.plain(hub)).to.include({
                enableDefaultStandards: false,
                autoEnableControls: true,
                controlFindingGenerator: "SECURITY_CONTROL",
            });
            const subs = run.ofType("aws:securityhub/standardsSubscription:StandardsSubscription");
            expect(subs.map((s) => run.plain(s).standardsArn).sort()).to.deep.equal([
                "arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0",
                "arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/1.4.0",
            ]);
            for (const sub of subs) {
                expect(sub.dependencies).to.include(hub.urn);
            }
        });

        it("records every supported resource, global ones included, continuously", () => {
            const recorder = run.one("aws:cfg/recorder:Recorder");
            expect(run.plain(recorder)).to.deep.include({
                name: "webapp-prod",
                recordingGroup: { allSupported: true, includeGlobalResourceTypes: true },
                recordingMode: { recordingFrequency: "CONTINUOUS" },
            });
            const role = referenced(run, recorder, "roleArn", "aws:iam/role:Role");
            const trust = statements(json(run, role, "assumeRolePolicy"));
            expect(trust).to.have.length(1);
            expect(trust[0].Principal).to.deep.equal({ Service: "config.amazonaws.com" });
            expect(trust[0].Condition).to.deep.equal({ StringEquals: { "aws:SourceAccount": ACCOUNT } });
            const attached = run
                .ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                .filter((a) => a.propertyDependencies.role?.includes(role.urn))
                .map((a) => run.plain(a).policyArn);
            expect(attached).to.deep.equal(["arn:aws:iam::aws:policy/service-role/AWS_ConfigRole"]);
            const status = run.one("aws:cfg/recorderStatus:RecorderStatus");
            expect(run.plain(status)).to.deep.equal({ name: "webapp-prod", isEnabled: true });
            const channel = run.one("aws:cfg/deliveryChannel:DeliveryChannel");
            expect(status.dependencies).to.include(channel.urn);
            expect(channel.dependencies).to.include(recorder.urn);
        });

        it("delivers to its own versioned, KMS-encrypted, private, TLS-only, access-logged bucket that admits only this account's Config", () => {
            const channel = run.one("aws:cfg/deliveryChannel:DeliveryChannel");
            const plain = run.plain(channel);
            expect(plain.snapshotDeliveryProperties).to.deep.equal({ deliveryFrequency: "TwentyFour_Hours" });
            const bucket = referenced(run, channel, "s3BucketName", "aws:s3/bucket:Bucket");
            expect(bucket.name).to.equal("prod-governance-config-bucket");
            const s3Key = run.one("aws:kms/key:Key", "prod-kms-s3");
            expect(channel.propertyDependencies.s3KmsKeyArn).to.deep.equal([s3Key.urn]);

            const encryption = run.one(
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                "prod-governance-config-encryption",
            );
            expect(run.plain(encryption).rules[0].applyServerSideEncryptionByDefault.sseAlgorithm).to.equal("aws:kms");
            expect(encryption.propertyDependencies.rules).to.include(s3Key.urn);
            expect(
                run.plain(
                    run.one(
                        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                        "prod-governance-config-public-access",
                    ),
                ),
            ).to.include({
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            });
            expect(
                run.plain(run.one("aws:s3/bucketVersioning:BucketVersioning", "prod-governance-config-versioning"))
                    .versioningConfiguration,
            ).to.deep.equal({ status: "Enabled" });
            const logging = run.plain(
                run.one("aws:s3/bucketLogging:BucketLogging", "prod-governance-config-access-logging"),
            );
            expect(logging.targetPrefix).to.equal("s3/config/");

            const policy = statements(
                json(run, run.one("aws:s3/bucketPolicy:BucketPolicy", "prod-governance-config-policy"), "policy"),
            );
            expect(policy.map((s) => s.Sid)).to.deep.equal([
                "ConfigChecksTheBucket",
                "ConfigDelivers",
                "DenyInsecureTransport",
                "DenyOutdatedTls",
            ]);
            const deliver = policy[1];
            expect(deliver.Principal).to.deep.equal({ Service: "config.amazonaws.com" });
            expect(deliver.Action).to.deep.equal(["s3:PutObject"]);
            expect(deliver.Resource![0]).to.match(new RegExp(`/AWSLogs/${ACCOUNT}/Config/\\*$`));
            expect(deliver.Condition).to.deep.equal({
                StringEquals: { "aws:SourceAccount": ACCOUNT, "s3:x-amz-acl": "bucket-owner-full-control" },
            });
            expect(policy[0].Condition).to.deep.equal({ StringEquals: { "aws:SourceAccount": ACCOUNT } });
        });

        it("runs the managed rules that match the policy pack, once the recorder records", () => {
            const rules = run.ofType("aws:cfg/rule:Rule");
            expect(rules).to.have.length(9);
            expect(rules.map((r) => run.plain(r).source.sourceIdentifier)).to.deep.equal([
                "ENCRYPTED_VOLUMES",
                "RDS_STORAGE_ENCRYPTED",
                "RDS_INSTANCE_PUBLIC_ACCESS_CHECK",
                "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED",
                "S3_BUCKET_SSL_REQUESTS_ONLY",
                "INCOMING_SSH_DISABLED",
                "CLOUD_TRAIL_ENABLED",
                "ROOT_ACCOUNT_MFA_ENABLED",
                "IAM_PASSWORD_POLICY",
            ]);
            expect(CONFIG_RULES).to.have.length(9);
            const status = run.one("aws:cfg/recorderStatus:RecorderStatus");
            for (const rule of rules) {
                expect(run.plain(rule).source.owner).to.equal("AWS");
                expect(rule.dependencies).to.include(status.urn);
            }
            const password = run.plain(run.one("aws:cfg/rule:Rule", "iam-password-policy"));
            expect(JSON.parse(password.inputParameters)).to.deep.include({
                MinimumPasswordLength: "14",
                PasswordReusePrevention: "24",
            });
        });

        it("turns on Access Analyzer for the account and Inspector for EC2 and ECR", () => {
            expect(run.plain(run.one("aws:accessanalyzer/analyzer:Analyzer"))).to.deep.equal({
                analyzerName: "webapp-prod",
                type: "ACCOUNT",
            });
            expect(run.plain(run.one("aws:inspector2/enabler:Enabler"))).to.deep.equal({
                accountIds: [ACCOUNT],
                resourceTypes: ["EC2", "ECR"],
            });
        });

        it("sends the security events, by these literal patterns, to the ops topic", () => {
            const rules = inside(run, run.one("webapp:aws:Governance"), "aws:cloudwatch/eventRule:EventRule");
            expect(rules).to.have.length(5);
            expect(SECURITY_EVENT_RULES).to.have.length(5);
            const patterns = Object.fromEntries(
                rules.map((r) => [run.plain(r).name, JSON.parse(run.plain(r).eventPattern)]),
            );
            expect(patterns).to.deep.equal({
                "webapp-prod-guardduty-findings": {
                    source: ["aws.guardduty"],
                    "detail-type": ["GuardDuty Finding"],
                    detail: { severity: [{ numeric: [">=", 4] }] },
                },
                "webapp-prod-securityhub-findings": {
                    source: ["aws.securityhub"],
                    "detail-type": ["Security Hub Findings - Imported"],
                    detail: {
                        findings: {
                            Severity: { Label: ["HIGH", "CRITICAL"] },
                            Workflow: { Status: ["NEW"] },
                            RecordState: ["ACTIVE"],
                        },
                    },
                },
                "webapp-prod-config-noncompliant": {
                    source: ["aws.config"],
                    "detail-type": ["Config Rules Compliance Change"],
                    detail: {
                        messageType: ["ComplianceChangeNotification"],
                        newEvaluationResult: { complianceType: ["NON_COMPLIANT"] },
                    },
                },
                "webapp-prod-backup-failures": {
                    source: ["aws.backup"],
                    "detail-type": ["Backup Job State Change", "Copy Job State Change"],
                    detail: { state: ["FAILED", "ABORTED", "EXPIRED"] },
                },
                "webapp-prod-root-signin": {
                    source: ["aws.signin"],
                    "detail-type": ["AWS Console Sign In via CloudTrail"],
                    detail: { userIdentity: { type: ["Root"] } },
                },
            });
            const topic = run.one("aws:sns/topic:Topic", "prod-alerts-topic");
            const targets = inside(run, run.one("webapp:aws:Governance"), "aws:cloudwatch/eventTarget:EventTarget");
            expect(targets).to.have.length(5);
            for (const target of targets) {
                expect(target.propertyDependencies.arn).to.deep.equal([topic.urn]);
            }
            expect(
                targets.map((t) => referenced(run, t, "rule", "aws:cloudwatch/eventRule:EventRule").urn).sort(),
            ).to.deep.equal(rules.map((r) => r.urn).sort());
        });

        it("the ops topic's policy and key policy admit events.amazonaws.com for exactly those rules", () => {
            const topicPolicy = statements(
                json(run, run.one("aws:sns/topicPolicy:TopicPolicy", "prod-alerts-topic-policy"), "policy"),
            );
            expect(topicPolicy.map((s) => s.Sid)).to.deep.equal([
                "CloudWatchAlarmsPublish",
                "SecurityEventRulesPublish",
            ]);
            const publish = topicPolicy[1];
            expect(publish.Principal).to.deep.equal({ Service: "events.amazonaws.com" });
            expect(publish.Action).to.deep.equal(["sns:Publish"]);
            expect(publish.Condition).to.deep.equal({ ArnEquals: { "aws:SourceArn": RULE_ARNS } });

            const keyPolicy = statements(json(run, run.one("aws:kms/key:Key", "prod-alerts-key"), "policy"));
            const events = keyPolicy.filter((s) => JSON.stringify(s.Principal).includes("events.amazonaws.com"));
            expect(events).to.have.length(1);
            expect(events[0].Action).to.deep.equal(["kms:Decrypt", "kms:GenerateDataKey*"]);
            expect(events[0].Condition).to.deep.equal({ ArnEquals: { "aws:SourceArn": RULE_ARNS } });
            // The rule names the policies expect are the rules' names.
            expect(
                run
                    .ofType("aws:cloudwatch/eventRule:EventRule")
                    .map((r) => `arn:aws:events:us-east-1:${ACCOUNT}:rule/${run.plain(r).name}`)
                    .filter((arn) => RULE_ARNS.includes(arn)),
            ).to.have.length(5);
        });

        it("without governance the ops topic admits no EventBridge rule", async () => {
            const staging = await buildStack("staging");
            const policy = JSON.stringify(
                json(staging, staging.one("aws:sns/topicPolicy:TopicPolicy", "staging-alerts-topic-policy"), "policy"),
            );
            expect(policy).to.not.include("events.amazonaws.com");
        });

        it("puts the CIS metric filters, with these literal patterns, and an alarm on each, on the trail's log group", () => {
            const filters = run.ofType("aws:cloudwatch/logMetricFilter:LogMetricFilter");
            expect(filters).to.have.length(11);
            expect(CIS_CONTROLS).to.have.length(11);
            const group = run.one("aws:cloudwatch/logGroup:LogGroup", "prod-audit-trail-logs");
            const byRole = Object.fromEntries(
                filters.map((f) => [run.plain(f).metricTransformation.name, run.plain(f)]),
            );
            for (const f of filters) {
                expect(f.propertyDependencies.logGroupName).to.deep.equal([group.urn]);
                expect(run.plain(f).metricTransformation).to.deep.equal({
                    name: run.plain(f).metricTransformation.name,
                    namespace: "webapp/prod/CIS",
                    value: "1",
                    defaultValue: "0",
                    unit: "Count",
                });
            }
            expect(byRole["root-use"].pattern).to.equal(
                '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
            );
            expect(byRole["console-signin-without-mfa"].pattern).to.equal(
                '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
            );
            expect(byRole["unauthorized-api-calls"].pattern).to.equal(
                '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
            );
            expect(byRole["cloudtrail-changes"].pattern).to.equal(
                "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }",
            );
            expect(byRole["kms-key-deletion"].pattern).to.equal(
                "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }",
            );
            expect(byRole["config-changes"].pattern).to.equal(
                "{ ($.eventSource = config.amazonaws.com) && (($.eventName = StopConfigurationRecorder) || ($.eventName = DeleteDeliveryChannel) || ($.eventName = PutDeliveryChannel) || ($.eventName = PutConfigurationRecorder)) }",
            );
            expect(byRole["nacl-changes"].pattern).to.equal(
                "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }",
            );
            expect(byRole["security-group-changes"].pattern).to.equal(
                "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }",
            );
            expect(byRole["iam-policy-changes"].pattern).to.match(
                /^\{ \(\$\.eventName = DeleteGroupPolicy\) \|\| .* \|\| \(\$\.eventName = DetachGroupPolicy\) \}$/,
            );
            expect(byRole["iam-policy-changes"].pattern.split("||")).to.have.length(16);
            expect(byRole["route-table-changes"].pattern.split("||")).to.have.length(7);
            expect(byRole["vpc-changes"].pattern.split("||")).to.have.length(11);

            const topic = run.one("aws:sns/topic:Topic", "prod-alerts-topic");
            for (const control of CIS_CONTROLS) {
                const alarm = run.one("aws:cloudwatch/metricAlarm:MetricAlarm", `prod-audit-cis-${control.role}-alarm`);
                expect(run.plain(alarm)).to.include({
                    namespace: "webapp/prod/CIS",
                    metricName: control.role,
                    statistic: "Sum",
                    period: 300,
                    evaluationPeriods: 1,
                    threshold: 1,
                    comparisonOperator: "GreaterThanOrEqualToThreshold",
                    treatMissingData: "notBreaching",
                });
                expect(alarm.propertyDependencies.alarmActions).to.deep.equal([topic.urn]);
            }
        });
    });

    describe("the trail (features.auditLogs)", () => {
        it("also delivers to a CloudWatch log group in the logs key, kept as long as the profile says, through a role that may only write there", () => {
            const trail = run.one("aws:cloudtrail/trail:Trail");
            const group = run.one("aws:cloudwatch/logGroup:LogGroup", "prod-audit-trail-logs");
            const logsKey = run.one("aws:kms/key:Key", "prod-kms-logs");
            expect(group.propertyDependencies.kmsKeyId).to.deep.equal([logsKey.urn]);
            expect(run.plain(group).retentionInDays).to.equal(365);
            expect(run.plain(trail).cloudWatchLogsGroupArn).to.match(
                new RegExp(`^arn:aws:logs:us-east-1:${ACCOUNT}:log-group:prod-audit-trail-logs-[0-9a-f]{7}:\\*$`),
            );
            const role = referenced(run, trail, "cloudWatchLogsRoleArn", "aws:iam/role:Role");
            expect(statements(json(run, role, "assumeRolePolicy"))[0].Principal).to.deep.equal({
                Service: "cloudtrail.amazonaws.com",
            });
            const policy = run
                .ofType("aws:iam/rolePolicy:RolePolicy")
                .find((p) => p.propertyDependencies.role?.includes(role.urn))!;
            const doc = statements(json(run, policy, "policy"));
            expect(doc).to.have.length(1);
            expect(doc[0].Action).to.deep.equal(["logs:CreateLogStream", "logs:PutLogEvents"]);
            expect(doc[0].Resource![0]).to.match(/:log-group:prod-audit-trail-logs-[0-9a-f]{7}:log-stream:\*$/);
        });

        it("announces each delivery on its own encrypted topic, which admits only this trail", () => {
            const trail = run.one("aws:cloudtrail/trail:Trail");
            const topic = referenced(run, trail, "snsTopicName", "aws:sns/topic:Topic");
            expect(topic.name).to.equal("prod-audit-deliveries");
            const trailKey = run.one("aws:kms/key:Key", "prod-audit-key");
            expect(topic.propertyDependencies.kmsMasterKeyId).to.deep.equal([trailKey.urn]);
            expect(
                run
                    .ofType("aws:sns/topicSubscription:TopicSubscription")
                    .filter((s) => s.propertyDependencies.topic?.includes(topic.urn)),
            ).to.have.length(0);
            const policy = statements(
                json(run, run.one("aws:sns/topicPolicy:TopicPolicy", "prod-audit-deliveries-policy"), "policy"),
            );
            expect(policy).to.have.length(1);
            expect(policy[0].Principal).to.deep.equal({ Service: "cloudtrail.amazonaws.com" });
            expect(policy[0].Condition).to.deep.equal({ StringEquals: { "aws:SourceArn": TRAIL_ARN } });
            const key = statements(json(run, trailKey, "policy")).find(
                (s) => s.Sid === "CloudTrailPublishesToTheEncryptedTopic",
            )!;
            expect(key.Action).to.deep.equal(["kms:Decrypt", "kms:GenerateDataKey*"]);
            expect(key.Condition).to.deep.equal({
                StringEquals: { "aws:SourceArn": TRAIL_ARN, "kms:ViaService": "sns.us-east-1.amazonaws.com" },
            });
        });

        it("without governance, the trail's log group has no CIS filters", async () => {
            const audit = await build(stackConfig("dev", { features: { auditLogs: true } }));
            expect(
                audit.ofType("aws:cloudwatch/logGroup:LogGroup").filter((g) => g.name === "dev-audit-trail-logs"),
            ).to.have.length(1);
            expect(audit.ofType("aws:cloudwatch/logMetricFilter:LogMetricFilter")).to.have.length(0);
        });
    });

    describe("GCP", () => {
        it("a log-based metric per CIS control, with these literal filters, and an alert on each to the ops channel", () => {
            const metrics = inside(run, run.one("webapp:gcp:Governance"), "gcp:logging/metric:Metric");
            expect(metrics).to.have.length(5);
            expect(GCP_CIS_CONTROLS).to.have.length(5);
            expect(Object.fromEntries(metrics.map((m) => [run.plain(m).name, run.plain(m).filter]))).to.deep.equal({
                "webapp-prod-cis-iam-policy-changes":
                    'protoPayload.serviceName="cloudresourcemanager.googleapis.com" AND protoPayload.methodName="SetIamPolicy" AND protoPayload.serviceData.policyDelta.bindingDeltas.action=("ADD" OR "REMOVE")',
                "webapp-prod-cis-audit-config-changes":
                    'protoPayload.methodName="SetIamPolicy" AND protoPayload.serviceData.policyDelta.auditConfigDeltas:*',
                "webapp-prod-cis-custom-role-changes":
                    'resource.type="iam_role" AND (protoPayload.methodName="google.iam.admin.v1.CreateRole" OR protoPayload.methodName="google.iam.admin.v1.DeleteRole" OR protoPayload.methodName="google.iam.admin.v1.UpdateRole")',
                "webapp-prod-cis-firewall-changes":
                    'resource.type="gce_firewall_rule" AND (protoPayload.methodName:"compute.firewalls.patch" OR protoPayload.methodName:"compute.firewalls.insert" OR protoPayload.methodName:"compute.firewalls.delete")',
                "webapp-prod-cis-sql-config-changes": 'protoPayload.methodName="cloudsql.instances.update"',
            });
            const channel = run.one("gcp:monitoring/notificationChannel:NotificationChannel");
            const alerts = inside(run, run.one("webapp:gcp:Governance"), "gcp:monitoring/alertPolicy:AlertPolicy");
            expect(alerts).to.have.length(5);
            for (const alert of alerts) {
                const plain = run.plain(alert);
                expect(alert.propertyDependencies.notificationChannels).to.deep.equal([channel.urn]);
                expect(plain.conditions[0].conditionThreshold).to.deep.include({
                    comparison: "COMPARISON_GT",
                    thresholdValue: 0,
                    evaluationMissingData: "EVALUATION_MISSING_DATA_INACTIVE",
                });
                expect(plain.conditions[0].conditionThreshold.filter).to.match(
                    /^metric\.type = "logging\.googleapis\.com\/user\/webapp-prod-cis-[a-z-]+"$/,
                );
            }
        });
    });
});
