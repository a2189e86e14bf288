import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { createInfrastructure } from "../components";
import { ConfigError, environmentDefaults, loadConfig, parseConfig, PROJECT, type InfraConfig } from "../config";
import { subnetPlan } from "../components/aws/network";
import { cidrsOverlap, parseCidr } from "../config/cidr";
import { OfflineRunError, runOffline } from "../tools/offline/run";
import { rawStackConfig, TEST_MAILGUN_KEY, configProblems } from "./support";

/** The smallest valid raw config: everything else comes from defaults. */
const minimal = (overrides: Record<string, unknown> = {}) => ({
    domainName: "dev.example.com",
    mailgun: { apiKey: pulumi.secret(TEST_MAILGUN_KEY) },
    ...overrides,
});

const problemsOf = configProblems;

describe("config: defaults", () => {
    it("applies the seed's parameters to a dev stack with nothing set", () => {
        const cfg = parseConfig(minimal(), "dev");
        expect(cfg.clouds).to.deep.equal(["aws"]);
        expect(cfg.environment).to.equal("dev");
        expect(cfg.domainName).to.equal("dev.example.com");
        expect(cfg.app).to.include({ port: 80, healthCheckPath: "/healthz" });
        expect(cfg.aws).to.include({
            region: "us-east-1",
            vpcCidr: "10.0.0.0/16",
            azCount: 2,
            natGateways: "instance",
            instanceType: "t2.micro",
            kmsRotationDays: 90,
        });
        expect(cfg.aws.imageFilter).to.deep.equal({ owner: "self", namePrefix: "webapp-" });
        expect(cfg.aws.asg).to.deep.equal({ min: 1, max: 2, cpuTarget: 50 });
        expect(cfg.aws.db).to.include({
            engineVersion: "8.4.8",
            instanceClass: "db.t3.micro",
            allocatedStorage: 20,
            deletionProtection: false,
            backupRetentionDays: 7,
            multiAz: false,
            passwordRotationDays: 30,
        });
        expect(cfg.aws.storage.infrequentAccessAfterDays).to.equal(30);
        expect(cfg.gcp).to.include({ region: "us-east1", zone: "us-east1-b", subnetCidr: "10.10.0.0/20" });
        expect(cfg.gcp.image).to.deep.equal({ family: "webapp" });
        expect(cfg.gcp.sshSourceRanges).to.deep.equal(["35.235.240.0/20"]);
        expect(cfg.mailgun).to.include({ domain: "mg.example.com", from: "noreply@mg.example.com" });
        expect(cfg.aws.dr).to.deep.equal({
            vpcCidr: "10.100.0.0/16",
            promotion: { dryRun: false, graceSeconds: 300 },
        });
        expect([cfg.features.cdn, cfg.aws.cdn]).to.deep.equal([false, { originSecretGeneration: 1 }]);
    });

    it("gives demo its own address plan and production-like protections", () => {
        const cfg = parseConfig(minimal(), "demo");
        expect(cfg.aws.vpcCidr).to.equal("10.1.0.0/16");
        expect(cfg.gcp.subnetCidr).to.equal("10.11.0.0/20");
        expect(cfg.aws.natGateways).to.equal("onePerAz");
        expect(cfg.aws.db.deletionProtection).to.equal(true);
        expect(cfg.gcp.db.deletionProtection).to.equal(true);
        expect(cfg.aws.db.passwordRotationDays).to.equal(7);
    });

    it("keeps logs a year and puts WAF in front outside dev, unless the stack says otherwise", () => {
        const dev = parseConfig(minimal(), "dev");
        expect([dev.aws.logRetentionDays, dev.features.waf]).to.deep.equal([30, false]);
        for (const stack of ["demo", "prod"]) {
            const cfg = parseConfig(minimal(), stack);
            expect([cfg.aws.logRetentionDays, cfg.features.waf], stack).to.deep.equal([365, true]);
        }
        const set = parseConfig(minimal({ aws: { logRetentionDays: 90 }, features: { waf: false } }), "demo");
        expect([set.aws.logRetentionDays, set.features.waf]).to.deep.equal([90, false]);
    });

    it("gives prod three AZs, a NAT gateway per AZ and production-like protections", () => {
        expect(environmentDefaults("prod")).to.include({
            deletionProtection: true,
            natGateways: "onePerAz",
            azCount: 3,
        });
    });

    it("takes the environment from config over the stack name", () => {
        expect(parseConfig(minimal({ environment: "staging" }), "dev").environment).to.equal("staging");
    });

    it("accepts numbers and booleans given as text (pulumi config set without --path)", () => {
        const cfg = parseConfig(minimal({ app: { port: "8080" }, aws: { db: { multiAz: "true" } } }), "dev");
        expect(cfg.app.port).to.equal(8080);
        expect(cfg.aws.db.multiAz).to.equal(true);
    });

    it("keeps the Mailgun key a secret Output", async () => {
        const cfg = parseConfig(minimal(), "dev");
        expect(await pulumi.isSecret(cfg.mailgun.apiKey)).to.equal(true);
    });

    it("parses its own output again unchanged (createInfrastructure re-validates)", () => {
        const cfg = parseConfig(minimal({ clouds: ["aws", "gcp"], gcp: { project: "acme-web-1" } }), "demo");
        const again = parseConfig(cfg, "demo");
        const { mailgun: m1, ...rest1 } = cfg;
        const { mailgun: m2, ...rest2 } = again;
        expect(rest2).to.deep.equal(rest1);
        expect(m2.from).to.equal(m1.from);
    });

    it("Pulumi.yaml repeats only defaults that equal the schema's", () => {
        const project = parse(readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8")) as {
            name: string;
            config: Record<string, { default?: unknown }>;
        };
        expect(project.name).to.equal(PROJECT);
        const defaults = parseConfig(minimal(), "dev") as unknown as Record<string, unknown>;
        const declared = Object.entries(project.config).filter(
            ([key, spec]) => !key.includes(":") && spec.default !== undefined,
        );
        expect(declared.length).to.be.greaterThan(0);
        for (const [key, spec] of declared) {
            expect(spec.default, key).to.deep.equal(defaults[key]);
        }
    });

    it("the stack files hold the seed's parameters and no secret", () => {
        for (const stack of ["dev", "demo"]) {
            const text = readFileSync(path.join(__dirname, "..", `Pulumi.${stack}.yaml`), "utf8");
            const file = parse(text) as { config: Record<string, { apiKey?: unknown }> };
            expect(file.config[`${PROJECT}:mailgun`]).not.to.have.property("apiKey");
            expect(text).not.to.contain("secure:");
            const cfg = parseConfig(rawStackConfig(stack), stack);
            expect(cfg.aws.vpcCidr).to.equal(stack === "dev" ? "10.0.0.0/16" : "10.1.0.0/16");
            expect(cfg.clouds).to.deep.equal(stack === "dev" ? ["aws"] : ["aws", "gcp"]);
            expect(cfg.aws.db.engineVersion).to.equal("8.4.8");
            expect(cfg.app.databaseEngine).to.equal("mysql");
        }
    });

    it("app.databaseEngine: MySQL 8.4.8 by default, PostgreSQL 16.9 with postgres, a set version kept", () => {
        const mysql = parseConfig(minimal(), "dev");
        expect(mysql.app.databaseEngine).to.equal("mysql");
        expect(mysql.aws.db.engineVersion).to.equal("8.4.8");
        const postgres = parseConfig({ ...minimal(), app: { databaseEngine: "postgres" } }, "dev");
        expect(postgres.app.databaseEngine).to.equal("postgres");
        expect(postgres.aws.db.engineVersion).to.equal("16.9");
        const pinned = parseConfig(
            { ...minimal(), app: { databaseEngine: "postgres" }, aws: { db: { engineVersion: "16.4" } } },
            "dev",
        );
        expect(pinned.aws.db.engineVersion).to.equal("16.4");
    });
});

describe("config: every rule names the key and the value", () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
        ["clouds must be a list", { clouds: "aws" }, 'clouds: "aws" must be a list of clouds, e.g. ["aws", "gcp"]'],
        ["clouds must not be empty", { clouds: [] }, "clouds: [] must name at least one cloud"],
        ["clouds are aws or gcp", { clouds: ["aws", "azure"] }, 'clouds[1]: "azure" must be one of "aws", "gcp"'],
        ["clouds have no repeats", { clouds: ["aws", "aws"] }, 'clouds[1]: "aws" is listed twice'],
        ["domainName is a DNS name", { domainName: "not a domain" }, 'domainName: "not a domain" is not a DNS name'],
        ["app.port is a port", { app: { port: 70000 } }, "app.port: 70000 must be an integer from 1 to 65535"],
        [
            "app.healthCheckPath is a path",
            { app: { healthCheckPath: "healthz" } },
            'app.healthCheckPath: "healthz" is not a URL path starting with /',
        ],
        ["app.user is a Unix user", { app: { user: "Web App" } }, 'app.user: "Web App" is not a Unix user name'],
        [
            "app.directory is absolute",
            { app: { directory: "opt/webapp" } },
            'app.directory: "opt/webapp" is not an absolute path',
        ],
        [
            "aws.region is a region",
            { aws: { region: "virginia" } },
            'aws.region: "virginia" is not an AWS region name (e.g. us-east-1; known prefixes: af, ap, ca, cn, eu, il, me, mx, sa, us, us-gov, us-iso, us-isob, us-isof, eu-isoe, eusc-de)',
        ],
        [
            "aws.region has a known prefix",
            { aws: { region: "mars-east-1" } },
            'aws.region: "mars-east-1" is not an AWS region name (e.g. us-east-1; known prefixes: af, ap, ca, cn, eu, il, me, mx, sa, us, us-gov, us-iso, us-isob, us-isof, eu-isoe, eusc-de)',
        ],
        [
            "aws.allowedAccountIds are account ids",
            { aws: { allowedAccountIds: ["12345"] } },
            'aws.allowedAccountIds[0]: "12345" is not a 12-digit AWS account id',
        ],
        [
            "aws.vpcCidr is a CIDR",
            { aws: { vpcCidr: "10.0.0.0/33" } },
            'aws.vpcCidr: "10.0.0.0/33" is not a valid IPv4 CIDR',
        ],
        [
            "aws.vpcCidr has no host bits",
            { aws: { vpcCidr: "10.0.1.0/16" } },
            'aws.vpcCidr: "10.0.1.0/16" has host bits set (the network is 10.0.0.0/16)',
        ],
        [
            "aws.vpcCidr is /16 to /24",
            { aws: { vpcCidr: "10.0.0.0/8" } },
            'aws.vpcCidr: "10.0.0.0/8" must be a block from /16 to /24',
        ],
        [
            "aws.vpcCidr leaves room for the load balancer's subnets",
            { aws: { vpcCidr: "10.0.0.0/24", azCount: 3 } },
            'aws.vpcCidr: "10.0.0.0/24" is too small for aws.azCount (3): public subnets would be /28, the load balancer needs /27 or larger',
        ],
        ["aws.azCount is 2-6", { aws: { azCount: 1 } }, "aws.azCount: 1 must be an integer from 2 to 6"],
        [
            "aws.natGateways is a NAT mode",
            { aws: { natGateways: "two" } },
            'aws.natGateways: "two" must be one of "none", "instance", "single", "onePerAz"',
        ],
        [
            "aws.natGateways none needs features.vpcEndpoints",
            { aws: { natGateways: "none" } },
            'aws.natGateways: "none" needs features.vpcEndpoints: true (without NAT the instances reach the AWS APIs only through VPC endpoints); turn features.vpcEndpoints on or choose another aws.natGateways',
        ],
        [
            "environment is an environment profile",
            { environment: "qa" },
            'environment: "qa" is not an environment profile: use one of dev, demo, staging, prod (it defaults to the stack name; pulumi config set environment <profile>)',
        ],
        [
            "aws.subnets.isolated is a boolean",
            { aws: { subnets: { isolated: "yes" } } },
            'aws.subnets.isolated: "yes" must be true or false',
        ],
        [
            "aws.instanceType is a type",
            { aws: { instanceType: "micro" } },
            'aws.instanceType: "micro" is not an EC2 instance type',
        ],
        ["aws.imageId is an AMI id", { aws: { imageId: "ubuntu" } }, 'aws.imageId: "ubuntu" is not an AMI id'],
        [
            "aws.imageId and aws.imageFilter are exclusive",
            { aws: { imageId: "ami-0123456789abcdef0", imageFilter: { namePrefix: "webapp-" } } },
            'aws.imageId: "ami-0123456789abcdef0" is set together with aws.imageFilter: set exactly one of them',
        ],
        [
            "aws.imageFilter needs a name prefix",
            { aws: { imageFilter: { owner: "self" } } },
            "aws.imageFilter.namePrefix: is required",
        ],
        [
            "aws.imageFilter.owner is an owner",
            { aws: { imageFilter: { owner: "me", namePrefix: "webapp-" } } },
            'aws.imageFilter.owner: "me" is not an AMI owner (self, amazon, aws-marketplace or an account id)',
        ],
        ["aws.asg.min is positive", { aws: { asg: { min: 0 } } }, "aws.asg.min: 0 must be an integer from 1 to 100"],
        ["aws.asg.min <= max", { aws: { asg: { min: 3, max: 2 } } }, "aws.asg.min: 3 must not exceed aws.asg.max (2)"],
        [
            "aws.asg.cpuTarget is 10-90",
            { aws: { asg: { cpuTarget: 95 } } },
            "aws.asg.cpuTarget: 95 must be an integer from 10 to 90",
        ],
        [
            "aws.db.engineVersion is MySQL 8",
            { aws: { db: { engineVersion: "5.7.44" } } },
            'aws.db.engineVersion: "5.7.44" is not a MySQL 8 version (8.4.8) (app.databaseEngine is mysql)',
        ],
        [
            "aws.db.engineVersion is a version",
            { aws: { db: { engineVersion: "latest" } } },
            'aws.db.engineVersion: "latest" is not a database version (8.4.8, 16.9)',
        ],
        [
            "aws.db.engineVersion of MySQL is refused with postgres",
            { app: { databaseEngine: "postgres" }, aws: { db: { engineVersion: "8.4.8" } } },
            'aws.db.engineVersion: "8.4.8" is a MySQL version, but app.databaseEngine is postgres: ' +
                "use a PostgreSQL 16 version (16.9), or unset it for the default 16.9",
        ],
        [
            "aws.db.engineVersion of PostgreSQL is refused with mysql",
            { aws: { db: { engineVersion: "16.9" } } },
            'aws.db.engineVersion: "16.9" is a PostgreSQL version, but app.databaseEngine is mysql: ' +
                "use a MySQL 8 version (8.4.8), or unset it for the default 8.4.8",
        ],
        [
            "aws.db.engineVersion is PostgreSQL 16 with postgres",
            { app: { databaseEngine: "postgres" }, aws: { db: { engineVersion: "15.5" } } },
            'aws.db.engineVersion: "15.5" is not a PostgreSQL 16 version (16.9) (app.databaseEngine is postgres)',
        ],
        [
            "app.databaseEngine is mysql or postgres",
            { app: { databaseEngine: "mariadb" } },
            'app.databaseEngine: "mariadb" must be one of "mysql", "postgres"',
        ],
        [
            "aws.db.instanceClass is an RDS class",
            { aws: { db: { instanceClass: "t3.micro" } } },
            'aws.db.instanceClass: "t3.micro" is not an RDS instance class',
        ],
        [
            "aws.cache.nodeType is an ElastiCache node type",
            { aws: { cache: { nodeType: "db.t4g.micro" } } },
            'aws.cache.nodeType: "db.t4g.micro" is not an ElastiCache node type',
        ],
        [
            "aws.cache.snapshotRetentionDays is 0-35",
            { aws: { cache: { snapshotRetentionDays: 36 } } },
            "aws.cache.snapshotRetentionDays: 36 must be an integer from 0 to 35",
        ],
        [
            "aws.cache.multiAz is a boolean",
            { aws: { cache: { multiAz: "yes" } } },
            'aws.cache.multiAz: "yes" must be true or false',
        ],
        [
            "gcp.db.iamAuth is true or false",
            { gcp: { db: { iamAuth: "on" } } },
            'gcp.db.iamAuth: "on" must be true or false',
        ],
        [
            "aws.db.allocatedStorage is at least 20",
            { aws: { db: { allocatedStorage: 10 } } },
            "aws.db.allocatedStorage: 10 must be an integer from 20 to 65536",
        ],
        [
            "aws.db.passwordRotationDays is 1-365",
            { aws: { db: { passwordRotationDays: 0 } } },
            "aws.db.passwordRotationDays: 0 must be an integer from 1 to 365",
        ],
        [
            "aws.db.maxAllocatedStorage covers allocatedStorage",
            { aws: { db: { allocatedStorage: 200, maxAllocatedStorage: 100 } } },
            "aws.db.maxAllocatedStorage: 100 must be at least aws.db.allocatedStorage (200)",
        ],
        [
            "aws.db.deletionProtection is a boolean",
            { aws: { db: { deletionProtection: "yes" } } },
            'aws.db.deletionProtection: "yes" must be true or false',
        ],
        [
            "aws.db.backupRetentionDays is 1-35",
            { aws: { db: { backupRetentionDays: 0 } } },
            "aws.db.backupRetentionDays: 0 must be an integer from 1 to 35",
        ],
        [
            "aws.certificateArn is an ACM ARN",
            { aws: { certificateArn: "arn:aws:iam::123456789012:server-certificate/x" } },
            'aws.certificateArn: "arn:aws:iam::123456789012:server-certificate/x" is not an ACM certificate ARN',
        ],
        [
            "aws.certificateArn is in the stack's region",
            {
                aws: {
                    certificateArn:
                        "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012",
                },
            },
            'aws.certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012" is in eu-west-1, but the load balancer is in aws.region (us-east-1)',
        ],
        [
            "aws.kmsRotationDays is 90-2560",
            { aws: { kmsRotationDays: 30 } },
            "aws.kmsRotationDays: 30 must be an integer from 90 to 2560",
        ],
        [
            "aws.logRetentionDays is a CloudWatch period",
            { aws: { logRetentionDays: 10 } },
            "aws.logRetentionDays: 10 must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (CloudWatch Logs periods)",
        ],
        [
            "aws.storage.infrequentAccessAfterDays is at least 30",
            { aws: { storage: { infrequentAccessAfterDays: 7 } } },
            "aws.storage.infrequentAccessAfterDays: 7 must be an integer >= 30",
        ],
        [
            "aws.emailFunction.timeoutSeconds is a Lambda timeout",
            { aws: { emailFunction: { timeoutSeconds: 1000 } } },
            "aws.emailFunction.timeoutSeconds: 1000 must be an integer from 3 to 900",
        ],
        [
            "gcp.project is required with gcp",
            { clouds: ["gcp"] },
            'gcp.project: is required when clouds includes "gcp"',
        ],
        [
            "gcp.project is a project id",
            { gcp: { project: "My Project" } },
            'gcp.project: "My Project" is not a GCP project id',
        ],
        [
            "gcp.region is a region",
            { gcp: { region: "east" } },
            'gcp.region: "east" is not a GCP region name (e.g. us-east1; known prefixes: africa, asia, australia, europe, me, northamerica, southamerica, us)',
        ],
        [
            "gcp.region has a known prefix",
            { gcp: { region: "mars-east1", zone: "mars-east1-b" } },
            'gcp.region: "mars-east1" is not a GCP region name (e.g. us-east1; known prefixes: africa, asia, australia, europe, me, northamerica, southamerica, us)',
        ],
        [
            "gcp.zone has a known region prefix",
            { gcp: { region: "mars-east1", zone: "mars-east1-b" } },
            'gcp.zone: "mars-east1-b" is not a GCP zone name (<region>-<letter>, e.g. us-east1-b)',
        ],
        [
            "gcp.zone is a zone",
            { gcp: { zone: "us-east1" } },
            'gcp.zone: "us-east1" is not a GCP zone name (<region>-<letter>, e.g. us-east1-b)',
        ],
        [
            "gcp.zone lies in gcp.region",
            { gcp: { zone: "us-east5-c" } },
            'gcp.zone: "us-east5-c" is not a zone of gcp.region (us-east1)',
        ],
        [
            "gcp.subnetCidr does not overlap the AWS VPC",
            { clouds: ["aws", "gcp"], gcp: { project: "acme-web-1", subnetCidr: "10.0.16.0/20" } },
            'gcp.subnetCidr: "10.0.16.0/20" overlaps aws.vpcCidr (10.0.0.0/16)',
        ],
        [
            "gcp.image names a family or an image, not both",
            { gcp: { image: { family: "webapp", name: "webapp-1" } } },
            'gcp.image.family: "webapp" is set together with gcp.image.name: set exactly one of them',
        ],
        [
            "gcp.kmsRotationDays is at least 1",
            { gcp: { kmsRotationDays: 0 } },
            "gcp.kmsRotationDays: 0 must be an integer from 1 to 36500",
        ],
        [
            "gcp.storage.nearlineAfterDays is at least 1",
            { gcp: { storage: { nearlineAfterDays: 0 } } },
            "gcp.storage.nearlineAfterDays: 0 must be an integer >= 1",
        ],
        [
            "gcp.sshSourceRanges are CIDRs",
            { gcp: { sshSourceRanges: ["10.0.0.1"] } },
            'gcp.sshSourceRanges[0]: "10.0.0.1" is not a valid IPv4 CIDR',
        ],
        [
            "gcp.sshSourceRanges never open SSH to the internet",
            { gcp: { sshSourceRanges: ["0.0.0.0/0"] } },
            'gcp.sshSourceRanges[0]: "0.0.0.0/0" would open SSH to the whole internet',
        ],
        ["gcp.mig.min <= max", { gcp: { mig: { min: 4, max: 2 } } }, "gcp.mig.min: 4 must not exceed gcp.mig.max (2)"],
        [
            "gcp.db.tier is a Cloud SQL tier",
            { gcp: { db: { tier: "small" } } },
            'gcp.db.tier: "small" is not a Cloud SQL tier',
        ],
        [
            "mailgun.domain is a DNS name",
            { mailgun: { domain: "mailgun" } },
            'mailgun.domain: "mailgun" is not a DNS name',
        ],
        [
            "mailgun.from is an address",
            { mailgun: { from: "noreply" } },
            'mailgun.from: "noreply" is not an e-mail address',
        ],
        [
            "mailgun.apiBaseUrl is an https base URL",
            { mailgun: { apiBaseUrl: "http://api.mailgun.net" } },
            'mailgun.apiBaseUrl: "http://api.mailgun.net" is not an https:// base URL without a path',
        ],
        [
            "monitoring.alarmEmail is an address",
            { monitoring: { alarmEmail: "ops" } },
            'monitoring.alarmEmail: "ops" is not an e-mail address',
        ],
        [
            "gcp.dns.createZone is a boolean",
            { gcp: { dns: { createZone: "yes" } } },
            'gcp.dns.createZone: "yes" must be true or false',
        ],
        [
            "gcp.dns.createZone only applies to a GCP-only stack",
            { clouds: ["aws", "gcp"], gcp: { project: "my-project-123", dns: { createZone: true } } },
            "gcp.dns.createZone: true is only used when clouds is [gcp]: with both clouds the GCP records go into the Route 53 zone",
        ],
        ["features.waf is a boolean", { features: { waf: "on" } }, 'features.waf: "on" must be true or false'],
        ["features.cdn is a boolean", { features: { cdn: "yes" } }, 'features.cdn: "yes" must be true or false'],
        [
            "aws.cdn.originSecretGeneration is a positive integer",
            { aws: { cdn: { originSecretGeneration: 0 } } },
            "aws.cdn.originSecretGeneration: 0 must be an integer from 1 to 1000000",
        ],
        [
            "features.dnsFailover needs both clouds",
            { features: { dnsFailover: true } },
            'features.dnsFailover: true needs clouds to include both "aws" and "gcp" (GCP is the standby for the AWS endpoint)',
        ],
        [
            "aws.dr.region is a region",
            { aws: { dr: { region: "oregon" } } },
            'aws.dr.region: "oregon" is not an AWS region name (e.g. us-east-1; known prefixes: af, ap, ca, cn, eu, il, me, mx, sa, us, us-gov, us-iso, us-isob, us-isof, eu-isoe, eusc-de)',
        ],
        [
            "aws.dr.region differs from aws.region (its default)",
            { aws: { dr: { region: "us-east-1" } } },
            'aws.dr.region: "us-east-1" must differ from aws.region: the DR region stands in for it',
        ],
        [
            "aws.dr.region differs from aws.region (set)",
            { aws: { region: "eu-west-1", dr: { region: "eu-west-1" } } },
            'aws.dr.region: "eu-west-1" must differ from aws.region: the DR region stands in for it',
        ],
        [
            "gcp.dr.region is a region",
            { gcp: { dr: { region: "oregon" } } },
            'gcp.dr.region: "oregon" is not a GCP region name (e.g. us-east1; known prefixes: africa, asia, australia, europe, me, northamerica, southamerica, us)',
        ],
        [
            "gcp.dr.region differs from gcp.region (its default)",
            { gcp: { dr: { region: "us-east1" } } },
            'gcp.dr.region: "us-east1" must differ from gcp.region: the DR region stands in for it',
        ],
        [
            "gcp.dr.region differs from gcp.region (set)",
            { gcp: { region: "europe-west1", zone: "europe-west1-b", dr: { region: "europe-west1" } } },
            'gcp.dr.region: "europe-west1" must differ from gcp.region: the DR region stands in for it',
        ],
        [
            "gcp.dr.region forms a dual-region with gcp.region",
            { gcp: { dr: { region: "europe-west1" } } },
            'gcp.dr.region: "europe-west1" must be in the same Cloud Storage multi-region as gcp.region (us-east1): the application bucket becomes a dual-region of the two (US: us-*, northamerica-*; EU: europe-*; ASIA: asia-*)',
        ],
        [
            "gcp.dr.region: a geography without dual-regions",
            {
                gcp: {
                    region: "australia-southeast1",
                    zone: "australia-southeast1-a",
                    dr: { region: "australia-southeast2" },
                },
            },
            'gcp.dr.region: "australia-southeast2" must be in the same Cloud Storage multi-region as gcp.region (australia-southeast1): the application bucket becomes a dual-region of the two (US: us-*, northamerica-*; EU: europe-*; ASIA: asia-*)',
        ],
        [
            "aws.dr.vpcCidr is a CIDR",
            { aws: { dr: { vpcCidr: "10.100.0.0/33" } } },
            'aws.dr.vpcCidr: "10.100.0.0/33" is not a valid IPv4 CIDR',
        ],
        [
            "aws.dr.vpcCidr does not overlap aws.vpcCidr",
            { aws: { dr: { region: "us-west-2", vpcCidr: "10.0.128.0/17" } } },
            'aws.dr.vpcCidr: "10.0.128.0/17" overlaps aws.vpcCidr (10.0.0.0/16): the two VPCs could not be peered',
        ],
        [
            "aws.dr.promotion.dryRun is a boolean",
            { aws: { dr: { promotion: { dryRun: "yes" } } } },
            'aws.dr.promotion.dryRun: "yes" must be true or false',
        ],
        [
            "aws.dr.promotion.graceSeconds is 0-600",
            { aws: { dr: { promotion: { graceSeconds: 900 } } } },
            "aws.dr.promotion.graceSeconds: 900 must be an integer from 0 to 600",
        ],
        [
            "aws.dr.standby.zoneId is required with aws.dr.standby.dnsName",
            {
                aws: {
                    dr: {
                        region: "us-west-2",
                        standby: { dnsName: "webapp-dr-1234567890.us-west-2.elb.amazonaws.com" },
                    },
                },
            },
            "aws.dr.standby.zoneId: is required with aws.dr.standby.dnsName: set both aws.dr.standby.dnsName and aws.dr.standby.zoneId, or neither",
        ],
        [
            "aws.dr.standby.dnsName is required with aws.dr.standby.zoneId",
            { aws: { dr: { region: "us-west-2", standby: { zoneId: "Z1H1FL5HABSF5" } } } },
            "aws.dr.standby.dnsName: is required with aws.dr.standby.zoneId: set both aws.dr.standby.dnsName and aws.dr.standby.zoneId, or neither",
        ],
        [
            "aws.dr.standby.dnsName is a DNS name",
            { aws: { dr: { region: "us-west-2", standby: { dnsName: "https://lb", zoneId: "Z1H1FL5HABSF5" } } } },
            'aws.dr.standby.dnsName: "https://lb" is not a DNS name',
        ],
        [
            "aws.dr.standby.zoneId is a hosted-zone ID",
            {
                aws: {
                    dr: {
                        region: "us-west-2",
                        standby: { dnsName: "webapp-dr-1234567890.us-west-2.elb.amazonaws.com", zoneId: "z1h1" },
                    },
                },
            },
            'aws.dr.standby.zoneId: "z1h1" is not a Route 53 hosted-zone ID (the load balancer\'s canonical zone, e.g. Z1H1FL5HABSF5)',
        ],
        [
            "aws.dr.standby is an object",
            { aws: { dr: { region: "us-west-2", standby: "webapp-dr-1234567890.us-west-2.elb.amazonaws.com" } } },
            'aws.dr.standby: "webapp-dr-1234567890.us-west-2.elb.amazonaws.com" must be an object { dnsName, zoneId } (set its keys with pulumi config set --path)',
        ],
        [
            "aws.dr.standby needs aws.dr.region",
            {
                aws: {
                    dr: {
                        standby: {
                            dnsName: "webapp-dr-1234567890.us-west-2.elb.amazonaws.com",
                            zoneId: "Z1H1FL5HABSF5",
                        },
                    },
                },
            },
            'aws.dr.standby.dnsName: "webapp-dr-1234567890.us-west-2.elb.amazonaws.com" needs aws.dr.region: the standby is the DR region\'s load balancer; set aws.dr.region or remove aws.dr.standby',
        ],
        [
            "aws.dr.standby is a load balancer in aws.dr.region",
            {
                aws: {
                    dr: {
                        region: "eu-west-1",
                        standby: {
                            dnsName: "webapp-dr-1234567890.us-west-2.elb.amazonaws.com",
                            zoneId: "Z1H1FL5HABSF5",
                        },
                    },
                },
            },
            'aws.dr.standby.dnsName: "webapp-dr-1234567890.us-west-2.elb.amazonaws.com" is a load balancer in us-west-2, not in aws.dr.region (eu-west-1)',
        ],
        [
            "aws.dr.standby and features.dnsFailover cannot both take the apex's secondary record",
            {
                clouds: ["aws", "gcp"],
                gcp: { project: "acme-web-1" },
                features: { dnsFailover: true },
                aws: {
                    dr: {
                        region: "us-west-2",
                        standby: {
                            dnsName: "webapp-dr-1234567890.us-west-2.elb.amazonaws.com",
                            zoneId: "Z1H1FL5HABSF5",
                        },
                    },
                },
            },
            'aws.dr.standby.dnsName: "webapp-dr-1234567890.us-west-2.elb.amazonaws.com" cannot be combined with features.dnsFailover: the apex has one secondary record, which features.dnsFailover gives to the GCP load balancer; turn one of them off',
        ],
        [
            "unknown keys are errors",
            { aws: { vpccidr: "10.0.0.0/16" } },
            "aws.vpccidr: is not a known key (did you mean aws.vpcCidr?)",
        ],
    ];

    for (const [rule, overrides, message] of cases) {
        it(rule, () => {
            const raw = minimal(overrides);
            if (isObject(overrides.mailgun)) {
                raw.mailgun = { apiKey: pulumi.secret(TEST_MAILGUN_KEY), ...overrides.mailgun };
            }
            expect(problemsOf(raw)).to.include(message);
        });
    }

    it("mailgun.apiKey is required and says how to set it", () => {
        expect(problemsOf({})).to.include(
            "mailgun.apiKey: is required: pulumi config set --secret --path mailgun.apiKey <key>",
        );
    });

    it("mailgun.apiKey must be a secret, and the plain value is never printed", () => {
        const problems = problemsOf({ mailgun: { apiKey: "key-plain-text-value" } });
        expect(problems).to.include(
            "mailgun.apiKey: must be a secret, not plain text: pulumi config set --secret --path mailgun.apiKey <key>",
        );
        expect(problems.join("\n")).not.to.contain("key-plain-text-value");
    });

    it("mailgun.apiKey given as an Output that is not marked secret comes out secret", async () => {
        const plainOutput = pulumi.output(TEST_MAILGUN_KEY);
        expect(await pulumi.isSecret(plainOutput)).to.equal(false);
        const cfg = parseConfig({ domainName: "dev.example.com", mailgun: { apiKey: plainOutput } }, "dev");
        expect(await pulumi.isSecret(cfg.mailgun.apiKey)).to.equal(true);
    });

    it("reports every problem at once, each on its own line", () => {
        try {
            parseConfig({ app: { port: 0 }, aws: { azCount: 9, asg: { min: 5, max: 1 } } }, "dev");
            expect.fail("expected a ConfigError");
        } catch (error) {
            const message = (error as Error).message;
            expect(message).to.match(/^Invalid webapp-infra config for stack "dev" \(5 problems\):/);
            for (const key of ["domainName", "app.port", "aws.azCount", "aws.asg.min", "mailgun.apiKey"]) {
                expect(message).to.contain(`  - ${key}: `);
            }
        }
    });

    it("a config that is not an object is one clear problem", () => {
        expect(problemsOf("aws")).to.deep.equal([
            `config: "aws" must be an object of keys (set nested keys with pulumi config set --path)`,
        ]);
        expect(problemsOf(minimal({ aws: "us-east-1" }))).to.deep.equal([
            `aws: "us-east-1" must be an object of keys (set nested keys with pulumi config set --path)`,
        ]);
    });
});

describe("config: bad input never reaches resource registration", () => {
    it("createInfrastructure throws ConfigError before registering anything", async () => {
        const bad = { ...parseConfig(minimal(), "dev"), aws: { vpcCidr: "10.0.0.0/33" } } as unknown as InfraConfig;
        try {
            await runOffline(() => void createInfrastructure(bad));
            expect.fail("expected the program to fail");
        } catch (error) {
            expect(error).to.be.instanceOf(OfflineRunError);
            const { cause, run } = error as OfflineRunError;
            expect(cause).to.be.instanceOf(ConfigError);
            expect((cause as ConfigError).message).to.contain('aws.vpcCidr: "10.0.0.0/33" is not a valid IPv4 CIDR');
            expect(run.resources.map((r) => r.type)).to.deep.equal(["pulumi:pulumi:Stack"]);
        }
    });
});

describe("config: loadConfig reads the stack's Pulumi config", () => {
    const key = (k: string) => `${PROJECT}:${k}`;

    afterEach(() => pulumi.runtime.setAllConfig({}, []));

    it("parses object keys set with --path and keeps the secret key secret", async () => {
        await pulumi.runtime.setMocks({ newResource: () => ({ id: "", state: {} }), call: () => ({}) }, PROJECT, "dev");
        pulumi.runtime.setAllConfig(
            {
                [key("domainName")]: "api.acme.dev",
                [key("aws")]: JSON.stringify({ azCount: 3, asg: { min: 2, max: 4 } }),
                [key("mailgun")]: JSON.stringify({ domain: "mg.acme.dev", apiKey: TEST_MAILGUN_KEY }),
                [key("clouds")]: JSON.stringify(["aws"]),
            },
            [key("mailgun")],
        );
        const cfg = loadConfig();
        expect(cfg.environment).to.equal("dev");
        expect(cfg.domainName).to.equal("api.acme.dev");
        expect(cfg.aws.azCount).to.equal(3);
        expect(cfg.aws.asg).to.deep.equal({ min: 2, max: 4, cpuTarget: 50 });
        expect(cfg.mailgun.domain).to.equal("mg.acme.dev");
        expect(await pulumi.isSecret(cfg.mailgun.apiKey)).to.equal(true);
    });

    it("rejects a Mailgun key stored in plain text", async () => {
        await pulumi.runtime.setMocks({ newResource: () => ({ id: "", state: {} }), call: () => ({}) }, PROJECT, "dev");
        pulumi.runtime.setAllConfig({ [key("mailgun")]: JSON.stringify({ apiKey: TEST_MAILGUN_KEY }) }, []);
        expect(() => loadConfig()).to.throw(ConfigError, "mailgun.apiKey: must be a secret, not plain text");
    });
});

describe("AWS subnet plan", () => {
    it("gives each AZ a private half, a public quarter and an isolated quarter of its block", () => {
        expect(subnetPlan("10.0.0.0/16", 2)).to.deep.equal({
            private: ["10.0.0.0/18", "10.0.128.0/18"],
            public: ["10.0.64.0/19", "10.0.192.0/19"],
            isolated: ["10.0.96.0/19", "10.0.224.0/19"],
        });
    });

    it("never overlaps and stays inside the VPC, for every AZ count and VPC size", () => {
        const vpcs = ["10.0.0.0", "10.1.0.0", "172.16.0.0", "192.168.0.0"];
        let checked = 0;
        for (const base of vpcs) {
            for (let prefix = 16; prefix <= 24; prefix++) {
                for (let azs = 2; azs <= 6; azs++) {
                    const vpcText = `${base}/${prefix}`;
                    const vpc = parseCidr(vpcText)!;
                    const plan = subnetPlan(vpcText, azs);
                    expect(plan.private, vpcText).to.have.length(azs);
                    expect(plan.public, vpcText).to.have.length(azs);
                    expect(plan.isolated, vpcText).to.have.length(azs);
                    const all = [...plan.private, ...plan.public, ...plan.isolated].map((text) => parseCidr(text)!);
                    all.forEach((subnet, i) => {
                        expect(subnet.prefix, `${vpcText} subnet ${i}`).to.be.above(prefix);
                        expect(subnet.address.match(vpc.address, vpc.prefix), `${vpcText} contains subnet ${i}`).to.be
                            .true;
                        all.slice(i + 1).forEach((other, j) => {
                            expect(cidrsOverlap(subnet, other), `${vpcText}: subnets ${i} and ${i + 1 + j}`).to.equal(
                                false,
                            );
                        });
                    });
                    checked += 1;
                }
            }
        }
        expect(checked).to.equal(4 * 9 * 5);
    });
});

function isObject(value: unknown): value is Record<string, unknown> {
    return value !== null && typeof value === "object";
}
