/** The Messaging tier under mocks: topic, function, dead-letter queue, alarm, network and IAM. */
import { expect } from "chai";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { awsContext, createAwsPlatform } from "../components/aws";
import { policyJson } from "../components/aws/iam";
import { EMAIL_FUNCTION_DIST } from "../functions/bundle";
import { runOffline, type OfflineRun } from "../tools/offline/run";
import { reveal } from "../tools/offline/values";
import { build, buildStack, json, stackConfig, statements, TEST_MAILGUN_KEY } from "./support";

const LAMBDA = "aws:lambda/function:Function";

describe("aws Messaging tier (dev stack under mocks)", () => {
    let run: OfflineRun;
    let outputs: Record<string, any>;
    let fn: Record<string, any>;
    let dlqArn: string;

    before(async () => {
        run = await buildStack("dev");
        outputs = (reveal(run.outputs) as { aws: Record<string, any> }).aws;
        fn = run.plain(run.one(LAMBDA, "-messaging-function"));
        const queueName = String(outputs.emailDeadLetterQueueUrl).split("/").pop();
        dlqArn = `arn:aws:sqs:us-east-1:123456789012:${queueName}`;
    });

    const one = (type: string, suffix: string) => run.plain(run.one(type, suffix));

    it("encrypts the topic and the dead-letter queue with the tier's own rotating key", () => {
        const keyArn = outputs.kmsKeyArns.messaging;
        expect(keyArn).to.match(/^arn:aws:kms:us-east-1:123456789012:key\//);
        expect(Object.entries(outputs.kmsKeyArns).filter(([, arn]) => arn === keyArn)).to.have.length(1);
        expect(one("aws:sns/topic:Topic", "-messaging-topic").kmsMasterKeyId).to.equal(keyArn);
        expect(one("aws:sqs/queue:Queue", "-messaging-dlq").kmsMasterKeyId).to.equal(keyArn);
        const key = one("aws:kms/key:Key", "-messaging-key");
        expect(key).to.include({ enableKeyRotation: true, rotationPeriodInDays: 90 });
        expect(one("aws:kms/alias:Alias", "-messaging-key-alias").name).to.equal("alias/webapp-dev-messaging");
    });

    it("key policy: the account administers it through IAM; SNS may use it for this account only", () => {
        const policy = statements(json(run, run.one("aws:kms/key:Key", "-messaging-key"), "policy"));
        expect(policy.map((s) => s.Sid)).to.deep.equal([
            "AccountAdministersTheKeyThroughIam",
            "SnsUseForTheEncryptedDeadLetterQueue",
        ]);
        expect(policy[0].Principal).to.deep.equal({ AWS: "arn:aws:iam::123456789012:root" });
        expect(policy[1]).to.deep.include({
            Principal: { Service: "sns.amazonaws.com" },
            Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
            Condition: {
                StringEquals: { "aws:SourceAccount": "123456789012" },
                ArnLike: { "aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:*" },
            },
        });
    });

    it("runs the freshly bundled handler on Node.js 22, in the private subnets, with its own security group", () => {
        expect(fn).to.include({ runtime: "nodejs22.x", handler: "index.handler", timeout: 30, memorySize: 256 });
        expect(fn.reservedConcurrentExecutions).to.equal(undefined);
        expect(fn.vpcConfig.subnetIds).to.deep.equal(outputs.privateSubnetIds);
        expect(fn.vpcConfig.securityGroupIds).to.have.length(1);
        expect(fn.vpcConfig.securityGroupIds[0]).to.equal(
            run.plain(run.one("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "-egress-https"))
                .securityGroupId,
        );
    });

    it("deploys the bundle built from the current sources (uploaded for signing)", async () => {
        const bundle = run.one("aws:s3/bucketObjectv2:BucketObjectv2", "-messaging-bundle");
        const code = bundle.inputs.source as { assets: Promise<Record<string, any>> };
        const assets = await code.assets;
        expect(Object.keys(assets)).to.deep.equal(["index.js"]);
        const file = await assets["index.js"].path;
        expect(file).to.equal(path.join(EMAIL_FUNCTION_DIST, "aws", "index.js"));
        expect(existsSync(file)).to.equal(true);
        const text = readFileSync(file, "utf8");
        expect(text).to.include("/v1/user/verify");
        expect(text).to.include("GetSecretValueCommand");
    });

    it("takes reserved concurrency, timeout and memory from config", async () => {
        const tuned = await build(
            stackConfig("dev", {
                aws: { emailFunction: { reservedConcurrency: 5, timeoutSeconds: 60, memoryMb: 512 } },
            }),
        );
        expect(tuned.plain(tuned.one(LAMBDA))).to.include({
            reservedConcurrentExecutions: 5,
            timeout: 60,
            memorySize: 512,
        });
    });

    it("gives the function names and ARNs only: the Mailgun key is in the secret version and nowhere else", () => {
        expect(fn.environment.variables).to.deep.equal({
            MAILGUN_SECRET_ARN: outputs.mailgunSecretArn,
            DOMAIN_NAME: "dev.example.com",
            MAILGUN_DOMAIN: "mg.example.com",
            MAILGUN_FROM: "noreply@mg.example.com",
            MAILGUN_API_BASE_URL: "https://api.mailgun.net",
        });
        const hits = run.locate(TEST_MAILGUN_KEY);
        expect(hits.map((h) => [h.type, h.path, h.inSecret])).to.deep.equal([
            ["aws:secretsmanager/secretVersion:SecretVersion", "secretString", true],
        ]);
    });

    it("security group: egress HTTPS only; no database access (the function never opens a connection)", () => {
        const sg = one("aws:ec2/securityGroup:SecurityGroup", "-messaging-function-sg");
        expect(sg.egress).to.equal(undefined);
        expect(sg.ingress).to.equal(undefined);
        const sgId = fn.vpcConfig.securityGroupIds[0];
        const egress = run
            .ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
            .map((r) => run.plain(r))
            .filter((r) => r.securityGroupId === sgId);
        const strip = ({ description: _d, ...rest }: Record<string, any>) => rest;
        expect(egress.map(strip)).to.deep.equal([
            { securityGroupId: sgId, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" },
        ]);
        const referencing = run
            .ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
            .map((r) => run.plain(r))
            .filter((r) => r.referencedSecurityGroupId === sgId);
        expect(referencing).to.deep.equal([]);
    });

    it("role: Lambda may assume it; it reads only the Mailgun secret and writes only its own logs", () => {
        const role = run.one("aws:iam/role:Role", "-messaging-role");
        const trust = statements(json(run, role, "assumeRolePolicy"));
        expect(trust[0].Principal).to.deep.equal({ Service: "lambda.amazonaws.com" });
        const policy = statements(
            json(run, run.one("aws:iam/rolePolicy:RolePolicy", "-messaging-role-policy"), "policy"),
        );

        const secretReads = policy.filter((s) => s.Action.some((a: string) => a.startsWith("secretsmanager:")));
        expect(secretReads).to.have.length(1);
        expect(secretReads[0].Resource).to.deep.equal([outputs.mailgunSecretArn]);
        expect(JSON.stringify(policy)).not.to.include(outputs.databaseSecretArn);
        expect(policy).to.deep.include({
            Effect: "Allow",
            Action: ["kms:Decrypt"],
            Resource: [outputs.kmsKeyArns.secrets],
            Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } },
        });

        const logGroupArn = `arn:aws:logs:us-east-1:123456789012:log-group:${fn.loggingConfig.logGroup}`;
        const logs = policy.find((s) => s.Sid === "WriteOwnLogs");
        expect(logs?.Action).to.deep.equal(["logs:CreateLogStream", "logs:PutLogEvents"]);
        expect(logs?.Resource).to.deep.equal([`${logGroupArn}:*`]);
        expect(policy.some((s) => s.Action.includes("logs:CreateLogGroup"))).to.equal(false);

        const attachments = run
            .ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
            .filter((r) => r.name.startsWith("dev-messaging"));
        expect(attachments, "no managed policies").to.have.length(0);
    });

    it("role: VPC interface actions (only the Describe ones unscoped) and sending to its dead-letter queue", () => {
        const policy = statements(
            json(run, run.one("aws:iam/rolePolicy:RolePolicy", "-messaging-role-policy"), "policy"),
        );
        const wildcard = policy.filter((s) => s.Resource.includes("*"));
        expect(wildcard.map((s) => s.Action)).to.deep.equal([
            ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
            ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
        ]);
        expect(policy.find((s) => s.Sid === "ManageNetworkInterfacesForVpcAccess")?.Resource).to.deep.equal([
            "arn:aws:ec2:us-east-1:123456789012:*/*",
        ]);
        expect(policy.find((s) => s.Sid === "SendFailedEventsToTheDeadLetterQueue")).to.deep.include({
            Action: ["sqs:SendMessage"],
            Resource: [dlqArn],
        });
        expect(policy).to.deep.include({
            Effect: "Allow",
            Action: ["kms:GenerateDataKey", "kms:Decrypt"],
            Resource: [outputs.kmsKeyArns.messaging],
            Condition: { StringEquals: { "kms:ViaService": "sqs.us-east-1.amazonaws.com" } },
        });
    });

    it("creates the function after its role policy, so Lambda can set up its network interfaces", () => {
        const rolePolicy = run.one("aws:iam/rolePolicy:RolePolicy", "-messaging-role-policy");
        expect(run.one(LAMBDA, "-messaging-function").dependencies).to.include(rolePolicy.urn);
    });

    it("dead-letters failed events: Lambda retries twice, then the queue; SNS redrives what it cannot deliver", () => {
        expect(one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "-messaging-async")).to.deep.equal(
            {
                functionName: outputs.emailFunctionName,
                maximumRetryAttempts: 2,
                maximumEventAgeInSeconds: 21600,
                destinationConfig: { onFailure: { destination: dlqArn } },
            },
        );
        const subscription = one("aws:sns/topicSubscription:TopicSubscription", "-messaging-subscription");
        expect(JSON.parse(subscription.redrivePolicy)).to.deep.equal({ deadLetterTargetArn: dlqArn });
        expect(one("aws:sqs/queue:Queue", "-messaging-dlq").messageRetentionSeconds).to.equal(14 * 24 * 3600);

        const queuePolicy = statements(
            json(run, run.one("aws:sqs/queuePolicy:QueuePolicy", "-messaging-dlq-policy"), "policy"),
        );
        expect(queuePolicy[0]).to.deep.include({
            Principal: { Service: "sns.amazonaws.com" },
            Action: ["sqs:SendMessage"],
            Resource: [dlqArn],
            Condition: { ArnEquals: { "aws:SourceArn": outputs.registrationTopicArn } },
        });
        expect(queuePolicy[1]).to.deep.include({
            Effect: "Deny",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        });
    });

    it("alarms as soon as one event sits in the dead-letter queue", () => {
        const queueName = String(outputs.emailDeadLetterQueueUrl).split("/").pop();
        expect(one("aws:cloudwatch/metricAlarm:MetricAlarm", "-messaging-dlq-alarm")).to.deep.include({
            namespace: "AWS/SQS",
            metricName: "ApproximateNumberOfMessagesVisible",
            dimensions: { QueueName: queueName },
            comparisonOperator: "GreaterThanThreshold",
            threshold: 0,
            evaluationPeriods: 1,
        });
    });

    it("logs to its own log group with the configured retention", () => {
        const group = one("aws:cloudwatch/logGroup:LogGroup", "-messaging-logs");
        expect(group.retentionInDays).to.equal(30);
        expect(group.namePrefix).to.equal("/aws/lambda/dev-messaging-email-verification-");
        expect(fn.loggingConfig.logFormat).to.equal("JSON");
        expect(fn.loggingConfig.logGroup.startsWith(group.namePrefix)).to.equal(true);
    });

    it("lets only this topic invoke the function, through a Lambda subscription", () => {
        const functionArn = `arn:aws:lambda:us-east-1:123456789012:function:${outputs.emailFunctionName}`;
        expect(one("aws:lambda/permission:Permission", "-messaging-invoke-from-topic")).to.include({
            function: outputs.emailFunctionName,
            action: "lambda:InvokeFunction",
            principal: "sns.amazonaws.com",
            sourceArn: outputs.registrationTopicArn,
        });
        expect(one("aws:sns/topicSubscription:TopicSubscription", "-messaging-subscription")).to.include({
            topic: outputs.registrationTopicArn,
            protocol: "lambda",
            endpoint: functionArn,
        });
        const topicPolicy = statements(
            json(run, run.one("aws:sns/topicPolicy:TopicPolicy", "-messaging-topic-policy"), "policy"),
        );
        expect(topicPolicy).to.deep.equal([
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: ["sns:Publish"],
                Resource: [outputs.registrationTopicArn],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ]);
    });

    it("exports the topic ARN, the function name and the dead-letter queue URL", () => {
        expect(outputs.registrationTopicArn).to.match(/^arn:aws:sns:us-east-1:123456789012:dev-messaging-topic-/);
        expect(outputs.emailFunctionName).to.match(/^dev-messaging-function-/);
        expect(outputs.emailDeadLetterQueueUrl).to.match(/^https:\/\/sqs\.us-east-1\.amazonaws\.com\/123456789012\//);
    });
});

describe("aws Messaging tier: publishStatements()", () => {
    it("lets a role publish: sns:Publish on the topic and the topic key through SNS only", async () => {
        const cfg = stackConfig("dev");
        const run = await runOffline(
            () => {
                const platform = createAwsPlatform(awsContext(cfg));
                return {
                    publish: policyJson(platform.messaging.publishStatements()),
                    topicArn: platform.messaging.topicArn,
                    keyArn: platform.messaging.keyArn,
                };
            },
            { stack: "dev" },
        );
        const out = reveal(run.outputs) as { publish: string; topicArn: string; keyArn: string };
        expect(statements(JSON.parse(out.publish))).to.deep.equal([
            { Effect: "Allow", Action: ["sns:Publish"], Resource: [out.topicArn] },
            {
                Effect: "Allow",
                Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
                Resource: [out.keyArn],
                Condition: { StringEquals: { "kms:ViaService": "sns.us-east-1.amazonaws.com" } },
            },
        ]);
    });
});
