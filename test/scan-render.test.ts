/**
 * The Terraform-plan rendering the IaC scan reads: names, blocks, maps, JSON documents, references
 * between resources, default tags, and every resource of the real stacks.
 */
import { expect } from "chai";
import {
    planDocumentOf,
    renderTerraformPlan,
    terraformResourceName,
    type PlanDocument,
    type RenderedResource,
} from "../tools/scan/render";
import { snakeCase, terraformMap, terraformName } from "../tools/scan/terraform-map";
import { awsProvider, planResource } from "./scan-fixtures";
import { buildStack } from "./support";

const KEY_URN = "urn:pulumi:t::p::aws:kms/key:Key::t-key";
const SG_URN = "urn:pulumi:t::p::aws:ec2/securityGroup:SecurityGroup::t-sg";
const BUCKET_URN = "urn:pulumi:t::p::aws:s3/bucket:Bucket::t-bucket";
// What the mocks (tools/offline/mocks.ts) give these resources in eu-west-1.
const KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/mrk-c86803a7feffa09a94e43e17a7ac34b1";
const SG_ID = "ec2-d9eafdabf7df69366";
const BUCKET_ID = "s3-435d5ffd4543c6111";
const KEY_POLICY =
    '{"Version":"2012-10-17","Statement":[{"Sid":"Admin","Effect":"Allow",' +
    '"Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}]}';

const DOC: PlanDocument = {
    stack: "t",
    resources: [
        awsProvider("eu-west-1", { project: "p", stack: "t" }),
        planResource("aws:kms/key:Key", "t-key", { description: "data", enableKeyRotation: true, policy: KEY_POLICY }),
        planResource(
            "aws:s3/bucket:Bucket",
            "t-bucket",
            {
                tags: { Name: "assets", stack: "own" },
                serverSideEncryptionConfiguration: {
                    rule: {
                        applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY_ARN },
                        bucketKeyEnabled: true,
                    },
                },
                lifecycleRules: [{ enabled: true, id: "ia", transitions: [{ days: 30, storageClass: "STANDARD_IA" }] }],
            },
            { serverSideEncryptionConfiguration: [KEY_URN] },
        ),
        planResource(
            "aws:s3/bucketPolicy:BucketPolicy",
            "t-bucket-policy",
            { bucket: BUCKET_ID, policy: '{"Version":"2012-10-17","Statement":[]}' },
            { bucket: [BUCKET_URN] },
        ),
        planResource("aws:ec2/securityGroup:SecurityGroup", "t-sg", { description: "web", vpcId: "vpc-given" }),
        planResource(
            "aws:ec2/securityGroupRule:SecurityGroupRule",
            "t-ssh",
            {
                type: "ingress",
                fromPort: 22,
                toPort: 22,
                protocol: "tcp",
                cidrBlocks: ["10.0.0.0/8"],
                securityGroupId: SG_ID,
            },
            { securityGroupId: [SG_URN] },
        ),
        planResource(
            "aws:lb/loadBalancer:LoadBalancer",
            "t-alb",
            { loadBalancerType: "application", securityGroups: [SG_ID, "sg-0external"], subnets: ["subnet-a"] },
            { securityGroups: [SG_URN] },
        ),
        planResource("aws:lb/listener:Listener", "t-http", {
            port: 80,
            protocol: "HTTP",
            loadBalancerArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/1",
            defaultActions: [
                { type: "redirect", redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" } },
            ],
        }),
        planResource("aws:lambda/function:Function", "t-fn", {
            name: "mailer",
            runtime: "nodejs22.x",
            code: { asset: "AssetArchive", assets: [] },
            environment: { variables: { MAILGUN_DOMAIN: "mg.example.com" } },
        }),
        planResource("random:index/randomPassword:RandomPassword", "t-password", { length: 32 }),
    ],
};

function find(resources: readonly RenderedResource[], address: string): RenderedResource {
    const found = resources.find((r) => r.address === address);
    if (!found) {
        throw new Error(`no ${address} among ${resources.map((r) => r.address).join(", ")}`);
    }
    return found;
}

describe("IaC scan: Terraform-plan rendering", () => {
    describe("names", () => {
        it("turns Pulumi property names into Terraform's", () => {
            const shapes = terraformMap().shapes;
            expect(snakeCase("cidrIpv4")).to.equal("cidr_ipv4");
            expect(snakeCase("enableHttp2")).to.equal("enable_http2");
            expect(snakeCase("kmsKeyID")).to.equal("kms_key_id");
            // Pulumi pluralises lists and blocks; the shape names the singular block.
            expect(terraformName("defaultActions", shapes.aws_lb_listener)).to.equal("default_action");
            expect(terraformName("aliases", shapes.aws_route53_record)).to.equal("alias");
            expect(terraformName("vpcZoneIdentifiers", shapes.aws_autoscaling_group)).to.equal("vpc_zone_identifier");
            expect(terraformName("tags", shapes.aws_autoscaling_group)).to.equal("tag");
            expect(terraformName("tags", shapes.aws_s3_bucket)).to.equal("tags");
            // Explicit renames.
            expect(terraformName("name", shapes.aws_lambda_function)).to.equal("function_name");
            expect(terraformName("name", shapes.aws_cloudwatch_metric_alarm)).to.equal("alarm_name");
            expect(terraformName("topic", shapes.aws_sns_topic_subscription)).to.equal("topic_arn");
        });

        it("makes Terraform resource names of logical names", () => {
            expect(terraformResourceName("dev-compute-alb")).to.equal("dev-compute-alb");
            expect(terraformResourceName("com.amazonaws.us-east-1.s3")).to.equal("com_amazonaws_us-east-1_s3");
            expect(terraformResourceName("1st")).to.equal("_1st");
        });
    });

    describe("a small document", () => {
        const rendered = renderTerraformPlan(DOC);

        it("renders every cloud resource and lists what exists only in state", () => {
            expect(rendered.resources.map((r) => r.address)).to.deep.equal([
                "aws_kms_key.t-key",
                "aws_s3_bucket.t-bucket",
                "aws_s3_bucket_policy.t-bucket-policy",
                "aws_security_group.t-sg",
                "aws_security_group_rule.t-ssh",
                "aws_lb.t-alb",
                "aws_lb_listener.t-http",
                "aws_lambda_function.t-fn",
            ]);
            expect(rendered.skipped).to.deep.equal([
                {
                    urn: "urn:pulumi:t::p::random:index/randomPassword:RandomPassword::t-password",
                    type: "random:index/randomPassword:RandomPassword",
                    reason: "a generated value kept in the Pulumi state; it creates nothing in a cloud",
                },
            ]);
        });

        it("renders a bucket: blocks as one-element lists, plural lists singular, tags and tags_all", () => {
            const bucket = find(rendered.resources, "aws_s3_bucket.t-bucket");
            expect(bucket.values).to.deep.equal({
                tags: { Name: "assets", stack: "own" },
                server_side_encryption_configuration: [
                    {
                        rule: [
                            {
                                apply_server_side_encryption_by_default: [{ sse_algorithm: "aws:kms" }],
                                bucket_key_enabled: true,
                            },
                        ],
                    },
                ],
                lifecycle_rule: [{ enabled: true, id: "ia", transition: [{ days: 30, storage_class: "STANDARD_IA" }] }],
                tags_all: { project: "p", stack: "own", Name: "assets" },
            });
            // The key's ARN is a reference, inside the nested block, as Terraform writes it.
            expect(bucket.expressions).to.deep.equal({
                server_side_encryption_configuration: [
                    {
                        rule: [
                            {
                                apply_server_side_encryption_by_default: [
                                    {
                                        kms_master_key_id: {
                                            references: ["aws_kms_key.t-key.arn", "aws_kms_key.t-key"],
                                        },
                                    },
                                ],
                            },
                        ],
                    },
                ],
            });
            expect(bucket.afterUnknown).to.deep.equal({
                server_side_encryption_configuration: [
                    { rule: [{ apply_server_side_encryption_by_default: [{ kms_master_key_id: true }] }] },
                ],
            });
        });

        it("keeps a KMS key's policy as the JSON string Terraform holds", () => {
            const key = find(rendered.resources, "aws_kms_key.t-key");
            expect(key.values).to.deep.equal({
                description: "data",
                enable_key_rotation: true,
                policy: KEY_POLICY,
                tags_all: { project: "p", stack: "t" },
            });
            expect(key.expressions).to.deep.equal({});
        });

        it("renders a security group rule whose group is a reference to the group", () => {
            const rule = find(rendered.resources, "aws_security_group_rule.t-ssh");
            expect(rule.values).to.deep.equal({
                type: "ingress",
                from_port: 22,
                to_port: 22,
                protocol: "tcp",
                cidr_blocks: ["10.0.0.0/8"],
            });
            expect(rule.expressions).to.deep.equal({
                security_group_id: { references: ["aws_security_group.t-sg.id", "aws_security_group.t-sg"] },
            });
            expect(rule.afterUnknown).to.deep.equal({ security_group_id: true });
            // A value without a dependency stays a value.
            expect(find(rendered.resources, "aws_security_group.t-sg").values.vpc_id).to.equal("vpc-given");
        });

        it("resolves a bucket policy's bucket to the bucket, and keeps the list elements that are not references", () => {
            const policy = find(rendered.resources, "aws_s3_bucket_policy.t-bucket-policy");
            expect(policy.values).to.deep.equal({ policy: '{"Version":"2012-10-17","Statement":[]}' });
            expect(policy.expressions).to.deep.equal({
                bucket: { references: ["aws_s3_bucket.t-bucket.id", "aws_s3_bucket.t-bucket"] },
            });
            const alb = find(rendered.resources, "aws_lb.t-alb");
            expect(alb.values.security_groups).to.deep.equal([null, "sg-0external"]);
            expect(alb.afterUnknown).to.deep.equal({ security_groups: [true, false] });
            expect(alb.expressions).to.deep.equal({
                security_groups: { references: ["aws_security_group.t-sg.id", "aws_security_group.t-sg"] },
            });
        });

        it("renders a listener's default actions as default_action blocks", () => {
            const listener = find(rendered.resources, "aws_lb_listener.t-http");
            expect(listener.values.default_action).to.deep.equal([
                { type: "redirect", redirect: [{ port: "443", protocol: "HTTPS", status_code: "HTTP_301" }] },
            ]);
        });

        it("renders a function: renamed name, environment block with its map, the archive as filename", () => {
            const fn = find(rendered.resources, "aws_lambda_function.t-fn");
            expect(fn.values).to.deep.equal({
                function_name: "mailer",
                runtime: "nodejs22.x",
                filename: "AssetArchive",
                environment: [{ variables: { MAILGUN_DOMAIN: "mg.example.com" } }],
                tags_all: { project: "p", stack: "t" },
            });
        });

        it("writes the plan document Terraform's JSON plan format has", () => {
            const plan = rendered.terraformPlan as Record<string, any>;
            expect(plan.format_version).to.equal("1.2");
            expect(plan.planned_values.root_module.resources).to.have.length(8);
            expect(plan.planned_values.root_module.resources[4]).to.deep.equal({
                address: "aws_security_group_rule.t-ssh",
                mode: "managed",
                type: "aws_security_group_rule",
                name: "t-ssh",
                provider_name: "registry.terraform.io/hashicorp/aws",
                schema_version: 0,
                values: { type: "ingress", from_port: 22, to_port: 22, protocol: "tcp", cidr_blocks: ["10.0.0.0/8"] },
                sensitive_values: {},
            });
            expect(plan.configuration.root_module.resources[4]).to.deep.equal({
                address: "aws_security_group_rule.t-ssh",
                mode: "managed",
                type: "aws_security_group_rule",
                name: "t-ssh",
                provider_config_key: "aws",
                expressions: {
                    security_group_id: { references: ["aws_security_group.t-sg.id", "aws_security_group.t-sg"] },
                },
                schema_version: 0,
            });
            expect(plan.resource_changes[4].change.actions).to.deep.equal(["create"]);
            expect(plan.resource_changes[4].change.after_unknown).to.deep.equal({ security_group_id: true });
            expect(plan.configuration.provider_config).to.deep.equal({
                aws: {
                    name: "aws",
                    full_name: "registry.terraform.io/hashicorp/aws",
                    expressions: { region: { constant_value: "eu-west-1" } },
                },
            });
        });
    });

    describe("what it cannot render", () => {
        it("fails on a type the map does not know rather than dropping it", () => {
            const doc: PlanDocument = { stack: "t", resources: [planResource("aws:nosuch/thing:Thing", "t-x", {})] };
            expect(() => renderTerraformPlan(doc)).to.throw(
                "no Terraform resource type for aws:nosuch/thing:Thing in tools/scan/data/pulumi-terraform-map.json",
            );
        });

        it("fails on a remote component, whose children the plan cannot see", () => {
            const doc: PlanDocument = {
                stack: "t",
                resources: [{ ...planResource("awsx:ecs:FargateService", "t-svc", {}), kind: "remote" }],
            };
            expect(() => renderTerraformPlan(doc)).to.throw(
                "cannot render the remote component awsx:ecs:FargateService (t-svc): its plugin creates its children, " +
                    "which the plan does not see; build them as plain resources",
            );
        });
    });

    describe("the real stacks", () => {
        it("renders every resource of dev and links them by reference", async () => {
            const run = await buildStack("dev");
            const rendered = renderTerraformPlan(planDocumentOf(run, "dev"));
            const custom = run.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
            const randoms = custom.filter((r) => r.type.startsWith("random:"));
            expect(rendered.resources).to.have.length(custom.length - randoms.length);
            // dev: two AZs, one NAT gateway: 4 subnets, 4 route tables, 4 associations, EIP, NAT, 4 routes.
            const count = (tfType: string) => rendered.resources.filter((r) => r.tfType === tfType).length;
            expect(
                [
                    "aws_vpc",
                    "aws_subnet",
                    "aws_route_table",
                    "aws_route_table_association",
                    "aws_eip",
                    "aws_nat_gateway",
                    "aws_route",
                ].map(count),
            ).to.deep.equal([1, 4, 4, 4, 1, 1, 4]);
            expect(rendered.skipped).to.have.length(randoms.length);
            const flowLog = rendered.resources.find((r) => r.tfType === "aws_flow_log");
            expect(flowLog?.expressions.vpc_id).to.deep.equal({
                references: ["aws_vpc.dev-network-vpc.id", "aws_vpc.dev-network-vpc"],
            });
            const fn = find(rendered.resources, "aws_lambda_function.dev-messaging-function");
            expect((fn.expressions.vpc_config as any[])[0].subnet_ids).to.deep.equal({
                references: [
                    "aws_subnet.dev-network-vpc-private-1.id",
                    "aws_subnet.dev-network-vpc-private-1",
                    "aws_subnet.dev-network-vpc-private-2.id",
                    "aws_subnet.dev-network-vpc-private-2",
                ],
            });
            const bucketPolicy = rendered.resources.find(
                (r) => r.tfType === "aws_s3_bucket_policy" && r.address === "aws_s3_bucket_policy.dev-storage-policy",
            );
            expect(bucketPolicy?.expressions.bucket).to.deep.equal({
                references: ["aws_s3_bucket.dev-storage-bucket.id", "aws_s3_bucket.dev-storage-bucket"],
            });
            const keys = rendered.resources.filter((r) => r.tfType === "aws_kms_key");
            expect(keys).to.have.length(7);
            for (const key of keys) {
                expect(JSON.parse(String(key.values.policy)).Statement).to.be.an("array").that.is.not.empty;
            }
        });

        it("links the trail to its log group through the log-stream wildcard ARN, keeping the value", async () => {
            const run = await buildStack("prod");
            const rendered = renderTerraformPlan(planDocumentOf(run, "prod"));
            const trail = find(rendered.resources, "aws_cloudtrail.prod-audit-trail");
            expect(String(trail.values.cloud_watch_logs_group_arn)).to.match(
                /^arn:aws:logs:us-east-1:123456789012:log-group:prod-audit-trail-logs-[0-9a-f]{7}:\*$/,
            );
            expect(trail.expressions.cloud_watch_logs_group_arn).to.deep.equal({
                references: [
                    "aws_cloudwatch_log_group.prod-audit-trail-logs.arn",
                    "aws_cloudwatch_log_group.prod-audit-trail-logs",
                ],
            });
            expect(trail.afterUnknown.cloud_watch_logs_group_arn).to.equal(undefined);
        });

        it("renders every resource of demo (both clouds)", async () => {
            const run = await buildStack("demo");
            const rendered = renderTerraformPlan(planDocumentOf(run, "demo"));
            const gcp = run.resources.filter((r) => r.custom && r.type.startsWith("gcp:"));
            expect(rendered.resources.filter((r) => r.tfType.startsWith("google_"))).to.have.length(gcp.length);
            const sql = find(rendered.resources, "google_sql_database_instance.demo-gcp-database-mysql");
            const settings = (sql.values.settings as any[])[0];
            expect(settings.ip_configuration[0].ssl_mode).to.equal("ENCRYPTED_ONLY");
            expect(settings.ip_configuration[0].ipv4_enabled).to.equal(false);
            expect(settings.backup_configuration[0].enabled).to.equal(true);
        });
    });
});
