/** The database rules: TLS for every engine, and master credentials managed by RDS or kept in the secret store. */
import { expect } from "chai";
import {
    AWS,
    databaseCredentialsManaged,
    databaseTlsRequired,
    DEFAULT_RULE_OPTIONS,
    GCP,
    type StackResource,
} from "../policy/rules";

const OPTIONS = { ...DEFAULT_RULE_OPTIONS, environment: "demo" };
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function res(
    type: string,
    name: string,
    props: Record<string, unknown>,
    propertyDependencies: Record<string, string[]> = {},
): StackResource {
    return {
        type,
        name,
        urn: `urn:pulumi:demo::webapp-infra::${type}::${name}`,
        props,
        dependencies: Object.values(propertyDependencies).flat(),
        propertyDependencies,
    };
}

const group = (name: string, parameters: Array<{ name: string; value: string }>) =>
    res(AWS.rdsParameterGroup, name, { name: `${name}-1a2b3c4`, family: "x", parameters });
const rds = (engine: string, pg: StackResource, extra: Record<string, unknown> = {}) =>
    res(
        AWS.rdsInstance,
        `${engine}-db`,
        { engine, parameterGroupName: pg.props.name, manageMasterUserPassword: true, ...extra },
        { parameterGroupName: [pg.urn] },
    );

describe("policy rules: databases", () => {
    describe("database-tls-required", () => {
        const mysqlGroup = group("mysql-params", [{ name: "require_secure_transport", value: "1" }]);
        const postgresGroup = group("pg-params", [{ name: "rds.force_ssl", value: "1" }]);

        it("passes MySQL with require_secure_transport=1 and PostgreSQL with rds.force_ssl=1", () => {
            const stack = [mysqlGroup, rds("mysql", mysqlGroup), postgresGroup, rds("postgres", postgresGroup)];
            expect(databaseTlsRequired.check(stack, OPTIONS)).to.deep.equal([]);
        });

        it("flags each engine's group without its own TLS parameter (the other engine's does not count)", () => {
            const mysql = rds("mysql", postgresGroup);
            const postgres = rds("postgres", mysqlGroup);
            expect(databaseTlsRequired.check([mysqlGroup, postgresGroup, mysql, postgres], OPTIONS)).to.deep.equal([
                {
                    urn: mysql.urn,
                    message: "mysql-db: its parameter group pg-params does not set require_secure_transport=1",
                },
                {
                    urn: postgres.urn,
                    message: "postgres-db: its parameter group mysql-params does not set rds.force_ssl=1",
                },
            ]);
            const off = group("off", [{ name: "require_secure_transport", value: "0" }]);
            expect(databaseTlsRequired.check([off, rds("mysql", off)], OPTIONS)).to.have.length(1);
        });

        it("flags an instance on the default parameter group, and accepts values not known during preview", () => {
            const db = res(AWS.rdsInstance, "db", { engine: "mysql", manageMasterUserPassword: true });
            expect(databaseTlsRequired.check([db], OPTIONS)).to.deep.equal([
                {
                    urn: db.urn,
                    message:
                        "db: no parameter group of the stack with require_secure_transport=1: the default group lets clients connect without TLS",
                },
            ]);
            const pending = res(AWS.rdsInstance, "db", { engine: "mysql", parameterGroupName: UNKNOWN });
            expect(databaseTlsRequired.check([pending], OPTIONS)).to.deep.equal([]);
        });

        it("requires Cloud SQL's ENCRYPTED_ONLY (or client certificates)", () => {
            const sql = (sslMode: unknown) =>
                res(GCP.sqlInstance, "sql", { settings: { ipConfiguration: { ipv4Enabled: false, sslMode } } });
            expect(databaseTlsRequired.check([sql("ENCRYPTED_ONLY")], OPTIONS)).to.deep.equal([]);
            expect(databaseTlsRequired.check([sql("TRUSTED_CLIENT_CERTIFICATE_REQUIRED")], OPTIONS)).to.deep.equal([]);
            expect(databaseTlsRequired.check([sql("ALLOW_UNENCRYPTED_AND_ENCRYPTED")], OPTIONS)).to.deep.equal([
                {
                    urn: sql("x").urn,
                    message:
                        'sql: settings.ipConfiguration.sslMode is "ALLOW_UNENCRYPTED_AND_ENCRYPTED": use ENCRYPTED_ONLY',
                },
            ]);
        });
    });

    describe("database-credentials-managed", () => {
        const pg = group("params", []);
        const version = (type: string, value: string) =>
            res(type, "credentials", type === AWS.secretVersion ? { secretString: value } : { secretData: value });

        it("passes RDS-managed credentials without a password", () => {
            expect(databaseCredentialsManaged.check([rds("mysql", pg)], OPTIONS)).to.deep.equal([]);
        });

        it("flags a password set next to RDS-managed credentials, and an instance with neither", () => {
            const both = rds("mysql", pg, { password: "Generated-Pw-0123" });
            const neither = rds("postgres", pg, { manageMasterUserPassword: false });
            expect(databaseCredentialsManaged.check([both, neither], OPTIONS)).to.deep.equal([
                { urn: both.urn, message: "mysql-db: sets a password although RDS manages the master password" },
                {
                    urn: neither.urn,
                    message: "postgres-db: neither manageMasterUserPassword nor a password from the secret store",
                },
            ]);
        });

        it("accepts a password only when the stack's secret store holds it too (RDS and Cloud SQL users)", () => {
            const password = "Generated-Pw-0123";
            const db = rds("mysql", pg, { manageMasterUserPassword: false, password });
            const user = res(GCP.sqlUser, "user", { name: "webapp", password });
            const stored = JSON.stringify({ username: "webapp", password });
            expect(
                databaseCredentialsManaged.check([db, user, version(AWS.secretVersion, stored)], OPTIONS),
            ).to.deep.equal([]);
            expect(databaseCredentialsManaged.check([user, version(GCP.secretVersion, stored)], OPTIONS)).to.deep.equal(
                [],
            );
            expect(databaseCredentialsManaged.check([db, user], OPTIONS)).to.deep.equal([
                { urn: db.urn, message: "mysql-db: its password is in none of the stack's secret versions" },
                { urn: user.urn, message: "user: its password is in none of the stack's secret versions" },
            ]);
            // A generated password is not known during preview: nothing to compare yet.
            const pending = rds("mysql", pg, { manageMasterUserPassword: false, password: UNKNOWN });
            expect(databaseCredentialsManaged.check([pending], OPTIONS)).to.deep.equal([]);
        });
    });
});
