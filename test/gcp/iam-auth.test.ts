/**
 * Cloud SQL IAM database authentication (`gcp.db.iamAuth`): the config key, the user name rules
 * per engine, the flag, the IAM user and its roles, the connection document without a password,
 * the Auth Proxy on the instances and as Cloud Run's sidecar, and nothing of it with the key off.
 */
import { expect } from "chai";
import { proxySidecar, CLOUD_SQL_PROXY_IMAGE } from "../../components/gcp/compute";
import { databaseFlags, iamDatabaseUser, IAM_LOGIN_ROLES } from "../../components/gcp/database";
import { mockPassword } from "../../tools/offline/mocks";
import type { OfflineRun } from "../../tools/offline/run";
import { build, configProblems, mandatoryViolations, rawStackConfig, referenced } from "../support";
import { expectDependsOn, gcpOnly, TEST_PROJECT } from "./helpers";

const T = {
    instance: "gcp:sql/databaseInstance:DatabaseInstance",
    user: "gcp:sql/user:User",
    member: "gcp:projects/iAMMember:IAMMember",
    version: "gcp:secretmanager/secretVersion:SecretVersion",
    secretMember: "gcp:secretmanager/secretIamMember:SecretIamMember",
    template: "gcp:compute/instanceTemplate:InstanceTemplate",
    group: "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager",
    run: "gcp:cloudrunv2/service:Service",
    account: "gcp:serviceaccount/account:Account",
};
const IMAGE = "us-east1-docker.pkg.dev/my-project-123/webapp-dev/api:1.0.0";
const VM_ACCOUNT = `dev-app-vm@${TEST_PROJECT}.iam.gserviceaccount.com`;
const RUN_ACCOUNT = `dev-app-run@${TEST_PROJECT}.iam.gserviceaccount.com`;

const flagsOf = (run: OfflineRun) => {
    const [primary] = run.ofType(T.instance).filter((i) => /-database-(mysql|postgres)$/.test(i.name));
    return run.plain(primary).settings.databaseFlags as Array<{ name: string; value: string }>;
};
const documentOf = (run: OfflineRun) =>
    JSON.parse(String(run.plain(run.one(T.version, "-database-credentials")).secretData)) as Record<string, unknown>;
const iamUsers = (run: OfflineRun) => run.ofType(T.user).filter((u) => u.inputs.type === "CLOUD_IAM_SERVICE_ACCOUNT");

describe("gcp.db.iamAuth config", () => {
    it("is false by default and takes only true or false, naming the key", () => {
        expect(gcpOnly().gcp.db.iamAuth).to.equal(false);
        expect(gcpOnly({ gcp: { db: { iamAuth: true } } }).gcp.db.iamAuth).to.equal(true);
        // `pulumi config set --path gcp.db.iamAuth true` stores the text "true".
        expect(gcpOnly({ gcp: { db: { iamAuth: "true" } } }).gcp.db.iamAuth).to.equal(true);
        const problems = (value: unknown) =>
            configProblems(rawStackConfig("dev", { clouds: ["gcp"], gcp: { project: TEST_PROJECT, db: { iamAuth: value } } }));
        expect(problems("yes")).to.deep.equal(['gcp.db.iamAuth: "yes" must be true or false']);
        expect(problems(1)).to.deep.equal(["gcp.db.iamAuth: 1 must be true or false"]);
    });
});

describe("Cloud SQL IAM user names and flags", () => {
    it("MySQL keeps the account's name before @, PostgreSQL the e-mail without .gserviceaccount.com", () => {
        expect(iamDatabaseUser("mysql", VM_ACCOUNT)).to.equal("dev-app-vm");
        expect(iamDatabaseUser("postgres", VM_ACCOUNT)).to.equal("dev-app-vm@my-project-123.iam");
        expect(() => iamDatabaseUser("mysql", "someone@example.com")).to.throw(/not a service account e-mail/);
    });

    it("adds the engine's flag only with iamAuth", () => {
        const names = (engine: "mysql" | "postgres", on: boolean) => databaseFlags(engine, on).map((f) => `${f.name}=${f.value}`);
        expect(names("mysql", true)).to.include("cloudsql_iam_authentication=on");
        expect(names("postgres", true)).to.include("cloudsql.iam_authentication=on");
        expect(names("mysql", false).filter((f) => /iam/.test(f))).to.deep.equal([]);
        expect(names("postgres", false).filter((f) => /iam/.test(f))).to.deep.equal([]);
        expect(names("mysql", true).length).to.equal(names("mysql", false).length + 1);
    });

    it("runs the proxy sidecar with automatic IAM authentication on the private address", () => {
        expect(proxySidecar("p:r:i", 5432)).to.deep.include({
            name: "cloud-sql-proxy",
            image: CLOUD_SQL_PROXY_IMAGE,
            args: ["--auto-iam-authn", "--private-ip", "--address", "127.0.0.1", "--port", "5432", "p:r:i"],
        });
    });
});

describe("gcp.db.iamAuth on the instances (MySQL)", () => {
    let run: OfflineRun;
    let off: OfflineRun;
    before(async () => {
        run = await build(gcpOnly({ gcp: { db: { iamAuth: true } } }));
        off = await build(gcpOnly());
    });

    it("turns the MySQL flag on", () => {
        expect(flagsOf(run)).to.deep.include({ name: "cloudsql_iam_authentication", value: "on" });
        expect(flagsOf(off).map((f) => f.name)).not.to.include("cloudsql_iam_authentication");
    });

    it("adds the instances' account as a CLOUD_IAM_SERVICE_ACCOUNT user after the account exists", () => {
        const [user] = iamUsers(run);
        expect(iamUsers(run)).to.have.length(1);
        expect(run.plain(user)).to.deep.include({ name: "dev-app-vm", type: "CLOUD_IAM_SERVICE_ACCOUNT" });
        expect(run.plain(user)).not.to.have.property("password");
        expect(referenced(run, user, "instance", T.instance).name).to.equal("dev-gcp-database-mysql");
        expectDependsOn(user, run.one(T.account, "-compute-instances"));
        expect(run.plain(run.one(T.account, "-compute-instances")).accountId).to.equal("dev-app-vm");
        expect(iamUsers(off)).to.deep.equal([]);
    });

    it("grants the account Cloud SQL instance user and client in the project, before the group starts", () => {
        const roles = run.ofType(T.member).filter((m) => /-database-iam-instances-/.test(m.name));
        expect(roles.map((m) => run.plain(m))).to.deep.equal(
            IAM_LOGIN_ROLES.map((role) => ({ project: TEST_PROJECT, role, member: `serviceAccount:${VM_ACCOUNT}` })),
        );
        expect(IAM_LOGIN_ROLES).to.deep.equal(["roles/cloudsql.instanceUser", "roles/cloudsql.client"]);
        for (const dependency of [...roles, iamUsers(run)[0]]) {
            expectDependsOn(run.one(T.group), dependency);
        }
        expect(off.ofType(T.member).filter((m) => /cloudsql/.test(String(m.inputs.role)))).to.deep.equal([]);
    });

    it("writes a connection document at the proxy's address for the IAM user, without a password", () => {
        expect(documentOf(run)).to.deep.equal({
            engine: "mysql",
            host: "127.0.0.1",
            port: 3306,
            dbname: "webapp",
            username: "dev-app-vm",
        });
        // Off: the document keeps the generated password, as before.
        expect(documentOf(off)).to.include({ username: "webapp", password: mockPassword("dev-gcp-secrets-db-password") });
        // The built-in user keeps the password (for the GRANT), which the operator finds in a secret of its own.
        expect(run.plain(run.one(T.user, "-database-user")).password).to.equal(mockPassword("dev-gcp-secrets-db-password"));
        expect(run.ofType(T.version).map((v) => v.name)).to.include("dev-gcp-secrets-db-password");
        expect(off.ofType(T.version).map((v) => v.name)).not.to.include("dev-gcp-secrets-db-password");
        const readers = run.ofType(T.secretMember).map((m) => m.name);
        expect(readers.filter((n) => /-password-reader-/.test(n))).to.deep.equal([]);
    });

    it("runs the Auth Proxy's unit from the startup script, and writes no DB_PASSWORD", () => {
        const script = String(run.plain(run.one(T.template)).metadata["startup-script"]);
        const connectionName = `${TEST_PROJECT}:us-east1:`;
        expect(script).to.include(
            `ExecStart=/usr/local/bin/cloud-sql-proxy --auto-iam-authn --private-ip --address 127.0.0.1 --port 3306 ${connectionName}`,
        );
        expect(script.split("\n")).to.include.members([
            "DB_IAM_AUTH='true'",
            "CLOUD_SQL_PROXY_SERVICE='cloud-sql-proxy'",
            "DB_ENV_FIELDS=('DB_HOST=host' 'DB_PORT=port' 'DB_NAME=dbname' 'DB_USER=username')",
        ]);
        const plain = String(off.plain(off.one(T.template)).metadata["startup-script"]);
        expect(plain).not.to.include("cloud-sql-proxy");
        expect(plain).to.include("'DB_PASSWORD=password'");
    });

    it("passes the mandatory policy rules", () => {
        expect(mandatoryViolations(run, "dev")).to.deep.equal([]);
    });
});

describe("gcp.db.iamAuth on Cloud Run (PostgreSQL)", () => {
    let run: OfflineRun;
    before(async () => {
        run = await build(
            gcpOnly({
                app: { databaseEngine: "postgres" },
                aws: { db: { engineVersion: "16.9" } },
                gcp: { compute: "cloudRun", cloudRun: { image: IMAGE }, db: { iamAuth: true } },
            }),
        );
    });

    it("turns the PostgreSQL flag on and names the user after the e-mail without .gserviceaccount.com", () => {
        expect(flagsOf(run)).to.deep.include({ name: "cloudsql.iam_authentication", value: "on" });
        expect(iamUsers(run).map((u) => run.plain(u))).to.deep.equal([
            {
                instance: run.plain(iamUsers(run)[0]).instance,
                name: "dev-app-run@my-project-123.iam",
                type: "CLOUD_IAM_SERVICE_ACCOUNT",
            },
        ]);
        expect(documentOf(run)).to.deep.equal({
            engine: "postgres",
            host: "127.0.0.1",
            port: 5432,
            dbname: "webapp",
            username: "dev-app-run@my-project-123.iam",
        });
        const roles = run.ofType(T.member).filter((m) => /-database-iam-service-/.test(m.name));
        expect(roles.map((m) => run.plain(m).member)).to.deep.equal([
            `serviceAccount:${RUN_ACCOUNT}`,
            `serviceAccount:${RUN_ACCOUNT}`,
        ]);
    });

    it("runs the proxy sidecar before the application, which gets the IAM user and no password", () => {
        const service = run.plain(run.one(T.run));
        const [app, proxy] = service.template.containers as Array<Record<string, any>>;
        expect(app).to.deep.include({ name: "app", dependsOns: ["cloud-sql-proxy"], image: IMAGE });
        expect(proxy).to.deep.include({ name: "cloud-sql-proxy", image: CLOUD_SQL_PROXY_IMAGE });
        expect(proxy.args.slice(0, 6)).to.deep.equal(["--auto-iam-authn", "--private-ip", "--address", "127.0.0.1", "--port", "5432"]);
        expect(proxy.args[6]).to.match(/^my-project-123:us-east1:dev-gcp-database-postgres-/);
        const env = Object.fromEntries((app.envs as Array<Record<string, any>>).map((e) => [e.name, e.value ?? e.valueSource]));
        expect(env).to.include({
            DB_HOST: "127.0.0.1",
            DB_PORT: "5432",
            DB_USER: "dev-app-run@my-project-123.iam",
            DB_IAM_AUTH: "true",
        });
        expect(env).not.to.have.property("DB_PASSWORD");
        // The service may not read the password.
        expect(run.ofType(T.secretMember).map((m) => m.name).filter((n) => /-password-reader-/.test(n))).to.deep.equal([]);
        expectDependsOn(run.one(T.run), iamUsers(run)[0]);
    });

    it("passes the mandatory policy rules (an IAM user has no password to keep in a secret store)", () => {
        expect(mandatoryViolations(run, "dev")).to.deep.equal([]);
    });
});
