/**
 * The `fargate` backend (`aws.compute: fargate`) under mocks: the registry, the task definitions
 * (secrets by reference only), the services on the load balancer's target group by IP, the
 * security-group chain, the roles, scaling, workers, monitoring and outputs; its config rules; and
 * its pure helpers.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import {
    ecrLifecyclePolicy,
    ecrRepositoryOf,
    FARGATE_COMPUTE,
    AWS_COMPUTE,
    containerDefinition,
} from "../components/aws/compute";
import { ConfigError, parseConfig } from "../config";
import { fargateSizeProblem, FARGATE_SIZES } from "../config/fargate";
import { mockPassword } from "../tools/offline/mocks";
import type { OfflineRun, RecordedResource } from "../tools/offline/run";
import { isSecretValue } from "../tools/offline/values";
import {
    build,
    json,
    merge,
    rawStackConfig,
    referenced,
    statements,
    TEST_MAILGUN_KEY,
    mandatoryViolations,
    configProblems,
} from "./support";

const SG = "aws:ec2/securityGroup:SecurityGroup";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const SERVICE = "aws:ecs/service:Service";
const TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition";
const REPOSITORY = "aws:ecr/repository:Repository";
const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const KEY = "aws:kms/key:Key";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const TARGET_GROUP = "aws:lb/targetGroup:TargetGroup";
const IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/webapp-dev:1.2.3";

/** A dev stack file switched to Fargate: the instance keys it sets are dropped (they are the defaults). */
function fargateRaw(fargate: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
    const raw = rawStackConfig("dev", { aws: { compute: "fargate", fargate: { image: IMAGE, ...fargate } } });
    const awsRaw = raw.aws as Record<string, unknown>;
    for (const key of ["instanceType", "imageFilter", "asg"]) {
        delete awsRaw[key];
    }
    return merge(raw, extra);
}

const WORKER = { name: "mailer", command: ["node", "worker.js"], cpu: 512, memory: 1024, count: 2 };

describe("AWS Fargate backend", function () {
    let run: OfflineRun;
    let web: RecordedResource;
    let worker: RecordedResource;

    before(async function () {
        this.timeout(180_000);
        run = await build(parseConfig(fargateRaw({ workers: [WORKER] }), "dev"));
        const services = run.ofType(SERVICE);
        expect(services).to.have.length(2);
        web = services.find((s) => run.plain(s).loadBalancers !== undefined)!;
        worker = services.find((s) => run.plain(s).loadBalancers === undefined)!;
        expect(web, "the load-balanced service").to.not.equal(undefined);
        expect(worker, "the worker's service").to.not.equal(undefined);
    });

    const taskDefinitionOf = (service: RecordedResource) => referenced(run, service, "taskDefinition", TASK_DEFINITION);
    const containerOf = (service: RecordedResource) => {
        const containers = json(run, taskDefinitionOf(service), "containerDefinitions") as Array<Record<string, any>>;
        expect(containers).to.have.length(1);
        return containers[0];
    };
    const taskGroup = () => {
        const groups = (web.propertyDependencies["networkConfiguration"] ?? [])
            .map((u) => run.byUrn(u))
            .filter((r) => r.type === SG);
        expect(groups).to.have.length(1);
        return groups[0];
    };
    const rulesOn = (type: string, group: RecordedResource) =>
        run.ofType(type).filter((r) => (r.propertyDependencies["securityGroupId"] ?? []).includes(group.urn));
    const refersTo = (r: RecordedResource, group: RecordedResource) =>
        (r.propertyDependencies["referencedSecurityGroupId"] ?? []).includes(group.urn);
    const policyOf = (roleProperty: string) => {
        const role = referenced(run, taskDefinitionOf(web), roleProperty, ROLE);
        const policies = run
            .ofType(ROLE_POLICY)
            .filter((p) => (p.propertyDependencies["role"] ?? []).includes(role.urn));
        expect(policies).to.have.length(1);
        return { role, statements: statements(json(run, policies[0], "policy")) };
    };

    it("registers the web service's tasks by IP in the load balancer's target group, on the app port", () => {
        const tg = run.one(TARGET_GROUP);
        expect(run.plain(tg).targetType).to.equal("ip");
        expect(run.plain(tg).healthCheck).to.include({ path: "/healthz", matcher: "200" });
        const lbs = run.plain(web).loadBalancers as Array<Record<string, unknown>>;
        expect(lbs).to.have.length(1);
        expect(lbs[0]).to.include({ containerName: "app", containerPort: 80 });
        expect(referenced(run, web, "loadBalancers", TARGET_GROUP).urn).to.equal(tg.urn);
        // ECS refuses a target group no listener uses: the service waits for the HTTPS listener.
        const https = run.ofType("aws:lb/listener:Listener").find((l) => run.plain(l).port === 443)!;
        expect(web.dependencies).to.include(https.urn);
    });

    it("runs in the private subnets without public addresses, rolling with the circuit breaker", () => {
        const p = run.plain(web);
        expect(p.networkConfiguration).to.deep.include({ assignPublicIp: false });
        expect((p.networkConfiguration as { subnets: string[] }).subnets).to.have.length(2);
        for (const subnet of (p.networkConfiguration as { subnets: string[] }).subnets) {
            expect(subnet).to.match(/^subnet-prv/);
        }
        expect(p).to.deep.include({
            launchType: "FARGATE",
            desiredCount: 1,
            deploymentCircuitBreaker: { enable: true, rollback: true },
            deploymentMinimumHealthyPercent: 50,
            deploymentMaximumPercent: 200,
            enableExecuteCommand: false,
        });
    });

    it("keeps the security-group chain: load balancer -> tasks (app port) -> database (3306)", () => {
        const tasks = taskGroup();
        const alb = referenced(run, run.one("aws:lb/loadBalancer:LoadBalancer"), "securityGroups", SG);
        const ingress = rulesOn(INGRESS, tasks);
        expect(ingress).to.have.length(1);
        expect(run.plain(ingress[0])).to.include({ fromPort: 80, toPort: 80, ipProtocol: "tcp" });
        expect(refersTo(ingress[0], alb)).to.equal(true);
        expect(run.plain(ingress[0]).cidrIpv4).to.equal(undefined);

        const albOut = rulesOn(EGRESS, alb);
        expect(albOut).to.have.length(1);
        expect(refersTo(albOut[0], tasks)).to.equal(true);

        const egress = rulesOn(EGRESS, tasks).map((r) => run.plain(r));
        expect(egress.map((e) => e.fromPort).sort()).to.deep.equal([3306, 443]);
        const database = run.ofType(SG).find((g) => String(run.plain(g).description).includes("MySQL"))!;
        const dbIn = rulesOn(INGRESS, database).filter((r) => refersTo(r, tasks));
        expect(dbIn).to.have.length(1);
        expect(run.plain(dbIn[0])).to.include({ fromPort: 3306, toPort: 3306 });
        expect(dbIn[0].name).to.equal("dev-database-from-tasks");
        // The worker shares the tasks' group (no port of its own, the same way to the database).
        expect((worker.propertyDependencies["networkConfiguration"] ?? []).includes(tasks.urn)).to.equal(true);
    });

    it("injects the database connection by reference only, under the env file's keys", () => {
        const secretArn = String(run.outputs.aws && (run.outputs.aws as Record<string, unknown>).databaseSecretArn);
        // The user and password are RDS's own, in the secret RDS manages (the document names it).
        const credentialsArn = String(run.plain(run.one("aws:secretsmanager/secretRotation:SecretRotation")).secretId);
        expect(credentialsArn).to.match(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-/);
        for (const service of [web, worker]) {
            const c = containerOf(service);
            expect(c.secrets).to.deep.equal([
                { name: "DB_HOST", valueFrom: `${secretArn}:host::` },
                { name: "DB_PORT", valueFrom: `${secretArn}:port::` },
                { name: "DB_NAME", valueFrom: `${secretArn}:dbname::` },
                { name: "DB_USER", valueFrom: `${credentialsArn}:username::` },
                { name: "DB_PASSWORD", valueFrom: `${credentialsArn}:password::` },
            ]);
            const names = (c.environment as Array<{ name: string }>).map((e) => e.name);
            expect(names).to.deep.equal([
                "APP_PORT",
                "AWS_REGION",
                "AWS_DEFAULT_REGION",
                "S3_BUCKET_NAME",
                "SNS_TOPIC_ARN",
                "DB_DOCUMENT_VERSION",
            ]);
            const text = JSON.stringify(run.plain(taskDefinitionOf(service)));
            expect(text).to.not.include(mockPassword("dev-secrets-db-password"));
            expect(text).to.not.include(TEST_MAILGUN_KEY);
        }
    });

    it("runs read-only, unprivileged, as the image's user, logging to its encrypted group", () => {
        const c = containerOf(web);
        expect(c).to.deep.include({ user: "webapp", readonlyRootFilesystem: true, privileged: false, essential: true });
        expect(c.mountPoints).to.deep.equal([{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }]);
        expect(c.linuxParameters.capabilities).to.deep.equal({ drop: ["ALL"] });
        expect(c.logConfiguration.logDriver).to.equal("awslogs");
        const td = run.plain(taskDefinitionOf(web));
        expect(td).to.deep.include({
            networkMode: "awsvpc",
            requiresCompatibilities: ["FARGATE"],
            cpu: "256",
            memory: "512",
            runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
            volumes: [{ name: "tmp" }],
        });
        expect(c.logConfiguration.options).to.deep.equal({
            "awslogs-group": c.logConfiguration.options["awslogs-group"],
            "awslogs-region": "us-east-1",
            "awslogs-stream-prefix": "web",
        });
        expect(c.logConfiguration.options["awslogs-group"]).to.match(/^dev-compute-task-logs-[0-9a-f]{7}$/);
        const logGroup = run.one(LOG_GROUP, "-task-logs");
        expect(run.plain(logGroup).retentionInDays).to.equal(30);
        const key = referenced(run, logGroup, "kmsKeyId", KEY);
        const keyPolicy = statements(json(run, key, "policy"));
        expect(keyPolicy.map((s) => s.Sid)).to.deep.equal([
            "AccountAdministersTheKeyThroughIam",
            "CloudWatchLogsEncryptsThisAccountsLogGroups",
        ]);
        expect(keyPolicy[1].Principal).to.deep.equal({ Service: "logs.us-east-1.amazonaws.com" });
    });

    it("keeps images in an encrypted, scanned, immutable repository with a lifecycle", () => {
        const repo = run.one(REPOSITORY);
        const p = run.plain(repo);
        expect(p).to.deep.include({
            name: "webapp-dev",
            imageTagMutability: "IMMUTABLE",
            imageScanningConfiguration: { scanOnPush: true },
            forceDelete: true,
        });
        const encryption = p.encryptionConfigurations as Array<Record<string, unknown>>;
        expect(encryption).to.have.length(1);
        expect(encryption[0].encryptionType).to.equal("KMS");
        const key = referenced(run, repo, "encryptionConfigurations", KEY);
        expect(run.plain(key)).to.include({ enableKeyRotation: true, rotationPeriodInDays: 90 });
        const lifecycle = run.one("aws:ecr/lifecyclePolicy:LifecyclePolicy");
        expect(json(run, lifecycle, "policy")).to.deep.equal(ecrLifecyclePolicy(30, 1));
    });

    it("gives ECS exactly what it does for the tasks: registry login, pull from the repository, logs, the DB secrets", () => {
        const { role, statements: st } = policyOf("executionRoleArn");
        const trust = statements(json(run, role, "assumeRolePolicy"));
        expect(trust).to.have.length(1);
        expect(trust[0].Principal).to.deep.equal({ Service: "ecs-tasks.amazonaws.com" });
        expect(trust[0].Condition).to.deep.equal({ StringEquals: { "aws:SourceAccount": "123456789012" } });
        const repoArn = "arn:aws:ecr:us-east-1:123456789012:repository/webapp-dev";
        const secretArn = String((run.outputs.aws as Record<string, unknown>).databaseSecretArn);
        const credentialsArn = String(run.plain(run.one("aws:secretsmanager/secretRotation:SecretRotation")).secretId);
        expect(credentialsArn).to.match(/:secret:rds!db-/);
        expect(st.map((s) => [s.Action, s.Resource])).to.deep.equal([
            [["ecr:GetAuthorizationToken"], ["*"]],
            // The stack's repository (the image is in it: listed once).
            [["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"], [repoArn]],
            [["logs:CreateLogStream", "logs:PutLogEvents"], [st[2].Resource![0]]],
            [["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], [secretArn]],
            [["kms:Decrypt"], [st[4].Resource![0]]],
            // The RDS-managed credentials the user and password are injected from.
            [["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], [credentialsArn]],
            [["kms:Decrypt"], [st[4].Resource![0]]],
        ]);
        expect(String(st[2].Resource![0])).to.match(
            /^arn:aws:logs:us-east-1:123456789012:log-group:dev-compute-task-logs-[0-9a-f]+:log-stream:\*$/,
        );
        expect(st[4].Condition).to.deep.equal({
            StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" },
        });
        expect(JSON.stringify(st)).to.not.include("mailgun");
    });

    it("gives the application its tiers' grants only: DB secret, bucket, topic", () => {
        const { statements: st } = policyOf("taskRoleArn");
        const actions = st.flatMap((s) => s.Action as string[]);
        expect(actions).to.include.members(["secretsmanager:GetSecretValue", "s3:PutObject", "sns:Publish"]);
        expect(actions.filter((a) => a.startsWith("ecr:") || a.startsWith("ssmmessages:") || a === "*")).to.deep.equal(
            [],
        );
        expect(JSON.stringify(st)).to.not.include("mailgun");
        expect(referenced(run, taskDefinitionOf(web), "taskRoleArn", ROLE).urn).to.not.equal(
            referenced(run, taskDefinitionOf(web), "executionRoleArn", ROLE).urn,
        );
    });

    it("scales the web service on CPU between min and max; workers keep their count", () => {
        const target = run.one("aws:appautoscaling/target:Target");
        expect(run.plain(target)).to.include({
            serviceNamespace: "ecs",
            scalableDimension: "ecs:service:DesiredCount",
            minCapacity: 1,
            maxCapacity: 2,
        });
        expect(String(run.plain(target).resourceId)).to.equal(
            `service/${(run.outputs.aws as Record<string, any>).ecsClusterName}/${(run.outputs.aws as Record<string, any>).ecsServiceNames[0]}`,
        );
        const policy = run.one("aws:appautoscaling/policy:Policy");
        expect(run.plain(policy).targetTrackingScalingPolicyConfiguration).to.deep.include({
            targetValue: 50,
            predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
        });
        expect(run.plain(worker)).to.include({ desiredCount: 2 });
        const c = containerOf(worker);
        expect(c.command).to.deep.equal(["node", "worker.js"]);
        expect(c.portMappings).to.deep.equal([]);
        expect(run.plain(taskDefinitionOf(worker))).to.include({
            family: "webapp-dev-mailer",
            cpu: "512",
            memory: "1024",
        });
    });

    it("exports what the rollout follows: the region, the cluster, the web service then the workers", () => {
        const out = run.outputs.aws as Record<string, unknown>;
        expect(out.region).to.equal("us-east-1");
        // Auto-named from the logical names: the web service first, then the worker.
        expect(out.ecsClusterName).to.match(/^dev-compute-cluster-[0-9a-f]{7}$/);
        const names = out.ecsServiceNames as string[];
        expect(names).to.have.length(2);
        expect(names[0]).to.match(/^dev-compute-web-[0-9a-f]{7}$/);
        expect(names[1]).to.match(/^dev-compute-worker-mailer-[0-9a-f]{7}$/);
        expect(out.ecrRepositoryUrl).to.equal("123456789012.dkr.ecr.us-east-1.amazonaws.com/webapp-dev");
        expect(out.autoScalingGroupName).to.equal(undefined);
        expect(run.ofType("aws:autoscaling/group:Group")).to.have.length(0);
        expect(run.ofType("aws:ec2/launchTemplate:LaunchTemplate")).to.have.length(0);
        expect(run.plain(run.one("aws:ecs/cluster:Cluster")).settings).to.deep.equal([
            { name: "containerInsights", value: "enabled" },
        ]);
    });

    it("adds per-service alarms and dashboard widgets to the stack's monitoring", () => {
        const alarms = run
            .ofType("aws:cloudwatch/metricAlarm:MetricAlarm")
            .map((a) => a.name)
            .filter((n) => /tasks|worker/.test(n))
            .sort();
        expect(alarms).to.deep.equal([
            "dev-monitoring-tasks-cpu-high",
            "dev-monitoring-tasks-memory-high",
            "dev-monitoring-tasks-running-low",
            "dev-monitoring-worker-mailer-cpu-high",
            "dev-monitoring-worker-mailer-memory-high",
            "dev-monitoring-worker-mailer-running-low",
        ]);
        const low = run
            .ofType("aws:cloudwatch/metricAlarm:MetricAlarm")
            .find((a) => a.name === "dev-monitoring-worker-mailer-running-low")!;
        expect(run.plain(low)).to.include({
            namespace: "ECS/ContainerInsights",
            metricName: "RunningTaskCount",
            threshold: 2,
        });
        expect(run.plain(low).alarmActions as string[]).to.have.length(1);
        const dashboard = json(run, run.one("aws:cloudwatch/dashboard:Dashboard"), "dashboardBody");
        const titles = (dashboard.widgets as Array<{ properties: { title: string } }>).map((w) => w.properties.title);
        expect(titles).to.include.members(["Task CPU %", "Task memory %", "Running tasks"]);
        expect(titles).to.not.include("Instance CPU %");
    });

    describe("after RDS rotates the password", () => {
        const STATE_MACHINE = "aws:sfn/stateMachine:StateMachine";
        const CLUSTER_ARN = "arn:aws:ecs:us-east-1:123456789012:cluster/";

        it("an EventBridge rule matches the managed secret's AWSCURRENT moving, and starts the restart", () => {
            const rule = run.one("aws:cloudwatch/eventRule:EventRule", "dev-compute-credentials-restart-rule");
            // The secret RDS keeps the master credentials in, named by RDS: `rds!db-<uuid>`.
            const database = run.one("aws:rds/instance:Instance");
            const pattern = json(run, rule, "eventPattern");
            expect(pattern.resources).to.have.length(1);
            expect(pattern.resources[0]).to.match(
                /^arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-[0-9a-f-]{36}-AbCdEf$/,
            );
            expect(pattern).to.deep.equal({
                source: ["aws.secretsmanager"],
                "detail-type": ["Secret Label Updated"],
                resources: pattern.resources,
                detail: { labelUpdated: ["AWSCURRENT"] },
            });
            expect(rule.propertyDependencies.eventPattern).to.deep.equal([database.urn]);
            const target = run.one("aws:cloudwatch/eventTarget:EventTarget", "dev-compute-credentials-restart-target");
            const machine = run.one(STATE_MACHINE);
            expect(target.propertyDependencies.arn).to.deep.equal([machine.urn]);
            const eventsRole = referenced(run, target, "roleArn", ROLE);
            const trust = statements(json(run, eventsRole, "assumeRolePolicy"));
            expect(trust).to.have.length(1);
            expect(trust[0].Principal).to.deep.equal({ Service: "events.amazonaws.com" });
            expect(eventsRole.propertyDependencies.assumeRolePolicy).to.include(rule.urn);
            const [policy] = run
                .ofType(ROLE_POLICY)
                .filter((p) => (p.propertyDependencies.role ?? []).includes(eventsRole.urn));
            const granted = statements(json(run, policy, "policy"));
            expect(granted.map((st) => st.Action)).to.deep.equal([["states:StartExecution"]]);
            expect(policy.propertyDependencies.policy).to.deep.equal([machine.urn]);
        });

        it("the state machine forces a new deployment of the web service and each worker, and may do nothing else", () => {
            const machine = run.one(STATE_MACHINE);
            expect(run.plain(machine)).to.deep.include({
                name: "webapp-dev-credentials-restart",
                type: "STANDARD",
                tracingConfiguration: { enabled: true },
            });
            const definition = json(run, machine, "definition");
            const services = definition.States.Services.Result;
            expect(services.cluster.startsWith(CLUSTER_ARN)).to.equal(true);
            const SERVICE_ARNS = [
                /^arn:aws:ecs:us-east-1:123456789012:service\/dev-compute-cluster-[0-9a-f]{7}\/dev-compute-web-[0-9a-f]{7}$/,
                /^arn:aws:ecs:us-east-1:123456789012:service\/dev-compute-cluster-[0-9a-f]{7}\/dev-compute-worker-mailer-[0-9a-f]{7}$/,
            ];
            expect(services.services).to.have.length(2);
            services.services.forEach((arn: string, i: number) => expect(arn).to.match(SERVICE_ARNS[i]));
            expect(machine.propertyDependencies.definition).to.have.members([
                run.one("aws:ecs/cluster:Cluster").urn,
                web.urn,
                worker.urn,
            ]);
            const task = definition.States.ForceNewDeployments.ItemProcessor.States.ForceNewDeployment;
            expect(task.Resource).to.equal("arn:aws:states:::aws-sdk:ecs:updateService");
            expect(task.Parameters).to.deep.equal({
                "Cluster.$": "$.cluster",
                "Service.$": "$.service",
                ForceNewDeployment: true,
            });

            const role = referenced(run, machine, "roleArn", ROLE);
            expect(statements(json(run, role, "assumeRolePolicy"))[0].Principal).to.deep.equal({
                Service: "states.amazonaws.com",
            });
            const [policy] = run
                .ofType(ROLE_POLICY)
                .filter((p) => (p.propertyDependencies.role ?? []).includes(role.urn));
            const granted = statements(json(run, policy, "policy"));
            expect(granted.find((st) => st.Sid === "ForceNewDeployments")).to.deep.equal({
                Sid: "ForceNewDeployments",
                Effect: "Allow",
                Action: ["ecs:UpdateService"],
                Resource: services.services,
            });
            expect(granted.map((st) => st.Sid)).to.deep.equal(["ForceNewDeployments", "DeliverLogs", "SendTraces"]);
            expect(granted.find((st) => st.Sid === "SendTraces")).to.deep.equal({
                Sid: "SendTraces",
                Effect: "Allow",
                Action: [
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                ],
                Resource: ["*"],
            });
        });

        it("logs every execution to its own group in the containers' key, and alarms when one fails", () => {
            const machine = run.one(STATE_MACHINE);
            const logs = run.one(LOG_GROUP, "dev-compute-credentials-restart-logs");
            expect(run.plain(logs)).to.include({
                name: "/aws/vendedlogs/states/webapp-dev-credentials-restart",
                retentionInDays: 30,
            });
            const key = referenced(run, logs, "kmsKeyId", KEY);
            expect(key.name).to.equal("dev-compute-containers-key");
            expect(run.plain(machine).loggingConfiguration).to.include({ includeExecutionData: true, level: "ALL" });
            expect(machine.propertyDependencies.loggingConfiguration).to.deep.equal([logs.urn]);
            const alarm = run.one(
                "aws:cloudwatch/metricAlarm:MetricAlarm",
                "dev-monitoring-credentials-restart-failed",
            );
            expect(run.plain(alarm)).to.include({
                namespace: "AWS/States",
                metricName: "ExecutionsFailed",
                threshold: 1,
                comparisonOperator: "GreaterThanOrEqualToThreshold",
            });
            expect(alarm.propertyDependencies.dimensions).to.deep.equal([machine.urn]);
            expect(run.plain(alarm).alarmActions as string[]).to.have.length(1);
        });
    });

    it("passes the policy pack with no mandatory violation", () => {
        expect(mandatoryViolations(run, "dev")).to.deep.equal([]);
    });

    it("keeps every secret value out of the state's plain inputs", () => {
        for (const r of run.resources) {
            if (r.type === "aws:secretsmanager/secretVersion:SecretVersion" || r.type === "aws:rds/instance:Instance") {
                continue;
            }
            const text = JSON.stringify(r.inputs);
            expect(text, r.name).to.not.include(mockPassword("dev-secrets-db-password"));
            expect(text, r.name).to.not.include(TEST_MAILGUN_KEY);
        }
        for (const td of run.ofType(TASK_DEFINITION)) {
            expect(isSecretValue(td.inputs.containerDefinitions), td.name).to.equal(false);
        }
    });
});

describe("AWS Fargate backend with VPC endpoints and an image from another repository", () => {
    let run: OfflineRun;
    before(async function () {
        this.timeout(180_000);
        const image = "210987654321.dkr.ecr.us-west-2.amazonaws.com/shared/api:2.0";
        run = await build(parseConfig(fargateRaw({ image }, { features: { vpcEndpoints: true } }), "dev"));
    });

    it("adds the ECR API and registry endpoints beside Logs and the S3 gateway", () => {
        const services = run
            .ofType("aws:ec2/vpcEndpoint:VpcEndpoint")
            .map((e) => String(run.plain(e).serviceName).replace("com.amazonaws.us-east-1.", ""));
        expect(services).to.include.members(["ecr.api", "ecr.dkr", "logs", "s3"]);
        expect(services).to.have.length(12);
    });

    it("lets ECS pull from the image's repository too", () => {
        const policy = run.ofType(ROLE_POLICY).find((p) => p.name.includes("task-execution"))!;
        const pull = statements(json(run, policy, "policy")).find((st) => st.Sid === "PullTheImage")!;
        expect(pull.Resource).to.deep.equal([
            "arn:aws:ecr:us-east-1:123456789012:repository/webapp-dev",
            "arn:aws:ecr:us-west-2:210987654321:repository/shared/api",
        ]);
    });
});

describe("aws.fargate config", () => {
    it("defaults: 256 CPU units, 512 MiB, 1-2 tasks at 50 % CPU, x86, no workers", () => {
        const cfg = parseConfig(fargateRaw(), "dev");
        expect(cfg.aws.compute).to.equal("fargate");
        expect(cfg.aws.fargate).to.deep.equal({
            image: IMAGE,
            cpu: 256,
            memory: 512,
            min: 1,
            max: 2,
            cpuTarget: 50,
            architecture: "X86_64",
            workers: [],
        });
        expect(
            parseConfig(fargateRaw({ workers: [{ name: "w", command: ["run"] }] }), "dev").aws.fargate.workers,
        ).to.deep.equal([{ name: "w", command: ["run"], cpu: 256, memory: 512, count: 1 }]);
        // A parsed config parses again unchanged (createInfrastructure validates what it is given).
        expect(parseConfig(cfg, "dev").aws).to.deep.equal(cfg.aws);
    });

    const cases: Array<[string, Record<string, unknown>, string[]]> = [
        [
            "aws.fargate.image is required for fargate",
            { image: undefined },
            [
                "aws.fargate.image: is required when aws.compute is fargate: pulumi config set --path aws.fargate.image <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>",
            ],
        ],
        [
            "aws.fargate.image has a tag or digest",
            { image: "nginx" },
            ['aws.fargate.image: "nginx" is not an image URI with a tag or digest (<registry>/<repository>:<tag>)'],
        ],
        [
            "aws.fargate.cpu is a Fargate CPU size",
            { cpu: 300 },
            ["aws.fargate.cpu: 300 is not a Fargate CPU size (one of 256, 512, 1024, 2048, 4096, 8192, 16384)"],
        ],
        [
            "aws.fargate.memory fits the CPU",
            { cpu: 256, memory: 4096 },
            [
                "aws.fargate.memory: 4096 is not a memory size Fargate offers with 256 CPU units (512, 1024, ... 2048 MiB)",
            ],
        ],
        ["aws.fargate.min <= max", { min: 3, max: 2 }, ["aws.fargate.min: 3 must not exceed aws.fargate.max (2)"]],
        [
            "aws.fargate.cpuTarget is 10-90",
            { cpuTarget: 95 },
            ["aws.fargate.cpuTarget: 95 must be an integer from 10 to 90"],
        ],
        [
            "aws.fargate.architecture is x86 or Arm",
            { architecture: "arm" },
            ['aws.fargate.architecture: "arm" must be one of "X86_64", "ARM64"'],
        ],
        [
            "aws.fargate.workers names differ",
            {
                workers: [
                    { name: "a", command: ["x"] },
                    { name: "a", command: ["y"] },
                ],
            },
            ['aws.fargate.workers[1].name: "a" is also the name of aws.fargate.workers[0]: worker names must differ'],
        ],
        [
            "aws.fargate.workers never take the web service's name",
            { workers: [{ name: "web", command: ["x"] }] },
            ['aws.fargate.workers[0].name: "web" is the load-balanced service\'s name: pick another'],
        ],
        [
            "aws.fargate.workers sizes are Fargate sizes",
            { workers: [{ name: "a", command: ["x"], cpu: 512, memory: 512 }] },
            [
                "aws.fargate.workers[0].memory: 512 is not a memory size Fargate offers with 512 CPU units (1024, 2048, ... 4096 MiB)",
            ],
        ],
        [
            "aws.fargate.workers need a command",
            { workers: [{ name: "a", command: [] }] },
            ["aws.fargate.workers[0].command: [] must not be empty"],
        ],
        [
            "aws.fargate.workers names are DNS-like",
            { workers: [{ name: "Mail_er", command: ["x"] }] },
            [
                'aws.fargate.workers[0].name: "Mail_er" is not a worker name (a-z, 0-9, -; 1-24 characters, starting with a letter)',
            ],
        ],
    ];
    for (const [title, fargate, expected] of cases) {
        it(title, () => {
            const raw = fargateRaw(fargate);
            if ("image" in fargate && fargate.image === undefined) {
                delete ((raw.aws as Record<string, unknown>).fargate as Record<string, unknown>).image;
            }
            expect(configProblems(raw)).to.deep.equal(expected);
        });
    }

    it("reports one problem per instance key a Fargate stack sets to other than its default", () => {
        const raw = fargateRaw(
            {},
            { aws: { instanceType: "t3.small", asg: { max: 4 }, imageId: "ami-0123456789abcdef0" } },
        );
        expect(configProblems(raw)).to.deep.equal([
            'aws.instanceType: "t3.small" is set, but aws.compute is "fargate", which runs no instances: remove it (pulumi config rm --path aws.instanceType)',
            'aws.imageId: "ami-0123456789abcdef0" is set, but aws.compute is "fargate", which runs no instances: remove it (pulumi config rm --path aws.imageId)',
            'aws.asg: {"min":1,"max":4,"cpuTarget":50} is set, but aws.compute is "fargate", which runs no instances: remove it (pulumi config rm --path aws.asg)',
        ]);
    });

    it("checks the sizes of an asg stack too, and ignores its missing image", () => {
        const raw = rawStackConfig("dev", { aws: { fargate: { cpu: 1024, memory: 1024 } } });
        expect(configProblems(raw)).to.deep.equal([
            "aws.fargate.memory: 1024 is not a memory size Fargate offers with 1024 CPU units (2048, 3072, ... 8192 MiB)",
        ]);
    });

    it("registers nothing when the config is bad", async () => {
        const { createInfrastructure } = await import("../components");
        const raw = fargateRaw({ cpu: 300 });
        let registered = 0;
        pulumi.runtime.setMocks({
            newResource: (args) => {
                registered++;
                return { id: `${args.name}-id`, state: args.inputs };
            },
            call: () => ({}),
        });
        expect(() => createInfrastructure(raw as never)).to.throw(ConfigError, /aws\.fargate\.cpu/);
        expect(registered).to.equal(0);
    });
});

describe("Fargate helpers", () => {
    it("knows Fargate's task sizes", () => {
        expect(Object.keys(FARGATE_SIZES)).to.deep.equal(["256", "512", "1024", "2048", "4096", "8192", "16384"]);
        expect(FARGATE_SIZES[256]).to.deep.equal([512, 1024, 2048]);
        expect(FARGATE_SIZES[4096]).to.have.length(23);
        expect(FARGATE_SIZES[4096][22]).to.equal(30720);
        expect(fargateSizeProblem(1024, 3072)).to.equal(undefined);
        expect(fargateSizeProblem(8192, 20480)).to.equal(undefined);
        expect(fargateSizeProblem(8192, 18432)).to.match(/not a memory size/);
        expect(fargateSizeProblem(16384, 131072)).to.match(/not a memory size/);
    });

    it("reads an ECR repository from an image URI, and nothing from other registries", () => {
        expect(ecrRepositoryOf("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:v1")).to.deep.equal({
            accountId: "123456789012",
            region: "eu-west-1",
            repository: "team/api",
        });
        expect(
            ecrRepositoryOf(`123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:${"a".repeat(64)}`),
        ).to.deep.include({
            repository: "api",
        });
        expect(ecrRepositoryOf("public.ecr.aws/nginx/nginx:1.27")).to.equal(undefined);
        expect(ecrRepositoryOf("ghcr.io/org/api:1.0")).to.equal(undefined);
    });

    it("a container definition carries no port for a worker, and the command only when given", () => {
        const base = {
            image: IMAGE,
            user: "webapp",
            environment: [],
            secrets: [],
            logGroupName: "g",
            region: "us-east-1",
            streamPrefix: "w",
        };
        expect(containerDefinition(base)).to.deep.include({ portMappings: [] });
        expect(containerDefinition(base)).to.not.have.property("command");
        expect(containerDefinition({ ...base, port: 8080, command: ["a"] })).to.deep.include({
            portMappings: [{ containerPort: 8080, protocol: "tcp" }],
            command: ["a"],
        });
    });

    it("is the table's fargate entry: tasks, registered by IP", () => {
        expect(AWS_COMPUTE.fargate).to.equal(FARGATE_COMPUTE);
        expect(FARGATE_COMPUTE.label).to.equal("tasks");
        expect(FARGATE_COMPUTE.targetType).to.equal("ip");
    });
});
