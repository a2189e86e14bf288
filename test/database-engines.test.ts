/**
 * `app.databaseEngine`: PostgreSQL on both clouds, the port through every rule, the TLS settings
 * and logs of each engine, the connection document and what the instances and tasks read from it.
 */
import { expect } from "chai";
import { CLOUD_SQL_ENGINES } from "../components/gcp/database";
import { RDS_ENGINES } from "../components/aws/database";
import { DATA_PORTS } from "../components/shared/dataPorts";
import type { OfflineRun, RecordedResource } from "../tools/offline/run";
import { build, buildStack, json, stackConfig } from "./support";

const T = {
    db: "aws:rds/instance:Instance",
    params: "aws:rds/parameterGroup:ParameterGroup",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
    sg: "aws:ec2/securityGroup:SecurityGroup",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    acl: "aws:ec2/networkAcl:NetworkAcl",
    launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
    key: "aws:kms/key:Key",
    sql: "gcp:sql/databaseInstance:DatabaseInstance",
    sqlDb: "gcp:sql/database:Database",
    sqlUser: "gcp:sql/user:User",
    gcpSecretVersion: "gcp:secretmanager/secretVersion:SecretVersion",
    template: "gcp:compute/instanceTemplate:InstanceTemplate",
    task: "aws:ecs/taskDefinition:TaskDefinition",
};

/** Every port a security-group rule of the run opens (from-port), sorted. */
function rulePorts(run: OfflineRun): number[] {
    return [...run.ofType(T.ingress), ...run.ofType(T.egress)]
        .map((r) => Number(run.plain(r).fromPort))
        .filter((p) => p === 3306 || p === 5432);
}

function userData(run: OfflineRun, lt: RecordedResource): string {
    return Buffer.from(String(run.plain(lt).userData), "base64").toString("utf8");
}

describe("app.databaseEngine postgres (demo: both clouds, isolated subnets, a DR region)", function () {
    let run: OfflineRun;
    before(async () => {
        run = await build(
            stackConfig("demo", {
                app: { databaseEngine: "postgres" },
                aws: { db: { engineVersion: "16.9" }, subnets: { isolated: true }, dr: { region: "us-west-2" } },
            }),
        );
    });

    it("runs RDS for PostgreSQL 16.9 on 5432, logs and Performance Insights of the engine", () => {
        const instances = run.ofType(T.db);
        expect(instances).to.have.length(2);
        const primary = instances.find((i) => run.plain(i).engine !== undefined)!;
        expect(primary.name).to.equal("demo-database-postgres");
        expect(run.plain(primary)).to.include({ engine: "postgres", engineVersion: "16.9", port: 5432 });
        expect(run.plain(primary).enabledCloudwatchLogsExports).to.deep.equal(["postgresql", "upgrade"]);
        // RDS for PostgreSQL has Performance Insights on every class (MySQL's micro/small have none).
        expect(run.plain(primary).performanceInsightsEnabled).to.equal(true);
        expect(run.plain(primary).instanceClass).to.equal("db.t3.micro");
    });

    it("requires TLS with rds.force_ssl in a postgres16 parameter group, on the primary and the DR replica", () => {
        const groups = run.ofType(T.params);
        expect(groups).to.have.length(2);
        for (const group of groups) {
            const plain = run.plain(group);
            expect(plain.family).to.equal("postgres16");
            const parameters = plain.parameters as Array<{ name: string; value: string }>;
            expect(parameters.find((p) => p.name === "rds.force_ssl")?.value).to.equal("1");
            expect(parameters.map((p) => p.name)).to.not.include("require_secure_transport");
        }
        const replica = run.ofType(T.db).find((i) => run.plain(i).replicateSourceDb !== undefined)!;
        expect(run.plain(replica).enabledCloudwatchLogsExports).to.deep.equal(["postgresql", "upgrade"]);
        expect(run.plain(replica).port).to.equal(undefined);
    });

    it("creates the engine's log groups, encrypted with the logs key", () => {
        const names = run
            .ofType(T.logGroup)
            .map((g) => String(run.plain(g).name))
            .filter((n) => n.startsWith("/aws/rds/instance/"));
        expect(names).to.have.length(4);
        expect(names.map((n) => n.split("/").pop()).sort()).to.deep.equal([
            "postgresql",
            "postgresql",
            "upgrade",
            "upgrade",
        ]);
        const primaryGroups = run.ofType(T.logGroup).filter((g) => g.name.startsWith("demo-database-log-"));
        expect(primaryGroups.map((g) => g.name).sort()).to.deep.equal([
            "demo-database-log-postgresql",
            "demo-database-log-upgrade",
        ]);
        for (const group of primaryGroups) {
            expect(run.byUrn((group.propertyDependencies.kmsKeyId ?? [])[0]).name).to.equal("demo-kms-logs");
        }
    });

    it("opens 5432, never 3306, through the security groups and the isolated tier's ACLs", () => {
        const ports = rulePorts(run);
        // Instances -> database (egress), database <- instances (ingress).
        expect(ports).to.deep.equal([5432, 5432]);
        const dbGroup = run.ofType(T.sg).find((g) => g.name === "demo-database-sg")!;
        expect(run.plain(dbGroup).description).to.equal(
            "PostgreSQL: ingress only from granted security groups, no egress",
        );
        const isolated = run.ofType(T.acl).find((a) => a.name === "demo-network-isolated-acl")!;
        const ingress = run.plain(isolated).ingress as Array<{ fromPort: number; toPort: number; protocol: string }>;
        const dataRules = ingress.filter((r) => r.fromPort !== 1024 && r.protocol === "tcp");
        expect(dataRules.map((r) => [r.fromPort, r.toPort])).to.deep.include([5432, 5432]);
        expect(ingress.some((r) => r.fromPort === 3306)).to.equal(false);
    });

    it("writes engine postgres and port 5432 into the connection documents of both clouds", () => {
        const aws = json(run, run.one(T.secretVersion, "-database-credentials"), "secretString");
        expect(aws).to.include({ engine: "postgres", port: 5432, dbname: "webapp" });
        expect(aws).to.not.have.property("password");
        const gcp = json(run, run.one(T.gcpSecretVersion, "-gcp-database-credentials"), "secretData");
        expect(gcp).to.include({ engine: "postgres", port: 5432, dbname: "webapp", username: "webapp" });
    });

    it("runs Cloud SQL POSTGRES_16 with TLS only, PostgreSQL's logging flags and a user without a host", () => {
        const sql = run.one(T.sql);
        expect(sql.name).to.equal("demo-gcp-database-postgres");
        const settings = run.plain(sql).settings as Record<string, any>;
        expect(run.plain(sql).databaseVersion).to.equal("POSTGRES_16");
        expect(settings.ipConfiguration.sslMode).to.equal("ENCRYPTED_ONLY");
        const flags = Object.fromEntries(
            (settings.databaseFlags as Array<{ name: string; value: string }>).map((f) => [f.name, f.value]),
        );
        expect(flags).to.include({ log_connections: "on", log_disconnections: "on", log_lock_waits: "on" });
        expect(flags).to.not.have.property("local_infile");
        expect(settings.backupConfiguration).to.include({ pointInTimeRecoveryEnabled: true });
        expect(settings.backupConfiguration).to.not.have.property("binaryLogEnabled");
        expect(run.plain(run.one(T.sqlUser)).host).to.equal(undefined);
        expect(run.plain(run.one(T.sqlDb))).to.include({ charset: "UTF8", collation: "en_US.UTF8" });
    });

    it("tells the instances the engine: DB_ENGINE from the document's engine field, on both clouds", () => {
        const script = userData(run, run.one(T.launchTemplate));
        expect(script).to.include("'DB_ENGINE=engine'");
        expect(script).to.include("'DB_PORT=port'");
        const startup = String((run.plain(run.one(T.template)).metadata as Record<string, string>)["startup-script"]);
        expect(startup).to.include("'DB_ENGINE=engine'");
    });
});

describe("app.databaseEngine mysql (the default): what existing stacks had", () => {
    it("dev: MySQL 8.4.8 on 3306, require_secure_transport, no DB_ENGINE in the env file", async () => {
        const dev = await buildStack("dev");
        const db = dev.one(T.db);
        expect(db.name).to.equal("dev-database-mysql");
        expect(dev.plain(db)).to.include({ engine: "mysql", engineVersion: "8.4.8", port: 3306 });
        expect(dev.plain(db).enabledCloudwatchLogsExports).to.deep.equal(["error", "slowquery"]);
        const params = dev.plain(dev.one(T.params)).parameters as Array<{ name: string; value: string }>;
        expect(params.find((p) => p.name === "require_secure_transport")?.value).to.equal("1");
        expect(rulePorts(dev)).to.deep.equal([3306, 3306]);
        const script = userData(dev, dev.one(T.launchTemplate));
        expect(script).to.include("'DB_PORT=port'");
        expect(script).to.not.include("DB_ENGINE");
    });

    it("the engine tables: one port per engine, the same on both clouds", () => {
        expect(DATA_PORTS).to.deep.equal({
            mysql: { port: 3306, label: "MySQL" },
            postgres: { port: 5432, label: "PostgreSQL" },
        });
        expect([RDS_ENGINES.mysql.port, RDS_ENGINES.postgres.port]).to.deep.equal([3306, 5432]);
        expect([CLOUD_SQL_ENGINES.mysql.port, CLOUD_SQL_ENGINES.postgres.port]).to.deep.equal([3306, 5432]);
        expect(CLOUD_SQL_ENGINES.mysql.databaseVersion).to.equal("MYSQL_8_4");
    });
});

describe("app.databaseEngine postgres on prod (Fargate)", () => {
    it("the tasks reach 5432 and get DB_ENGINE by reference from the connection document", async () => {
        const prod = await buildStack("prod");
        const egress = prod.ofType(T.egress).filter((r) => r.name === "prod-compute-task-out-postgres");
        expect(egress).to.have.length(1);
        expect(prod.plain(egress[0])).to.include({ fromPort: 5432, toPort: 5432 });
        const tasks = prod.ofType(T.task);
        expect(tasks.length).to.be.greaterThan(0);
        for (const task of tasks) {
            const [container] = JSON.parse(String(prod.plain(task).containerDefinitions)) as Array<{
                secrets: Array<{ name: string; valueFrom: string }>;
            }>;
            const engine = container.secrets.find((s) => s.name === "DB_ENGINE");
            expect(engine?.valueFrom).to.match(/:engine::$/);
        }
    });
});
