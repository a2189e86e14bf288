/**
 * Databases: every connection over TLS, whatever the engine, and master credentials that never
 * sit in the program as plain values: RDS manages them (in its own secret, rotated), or the
 * password the program sets is kept in the stack's secret store too.
 */
import { AWS, GCP } from "./tokens";
import type { Props, StackResource, StackRule, StackViolation } from "./types";
import { isOn, isTrue, isUnknown, list, obj } from "./values";

/** The parameter that makes each RDS engine refuse connections without TLS, and its required value. */
export const RDS_TLS_PARAMETERS: Readonly<Record<string, string>> = {
    mysql: "require_secure_transport",
    postgres: "rds.force_ssl",
};

/** Cloud SQL SSL modes that refuse unencrypted connections. */
export const CLOUD_SQL_TLS_MODES: readonly string[] = ["ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"];

/** The parameter group an instance uses: the one its `parameterGroupName` comes from, or the one with that name. */
function parameterGroupOf(db: StackResource, resources: readonly StackResource[]): StackResource | undefined {
    const from = db.propertyDependencies.parameterGroupName ?? [];
    return resources.find(
        (r) =>
            r.type === AWS.rdsParameterGroup &&
            (from.includes(r.urn) ||
                (typeof r.props.name === "string" && r.props.name === db.props.parameterGroupName)),
    );
}

function rdsTlsProblem(db: StackResource, resources: readonly StackResource[]): string | undefined {
    const engine = typeof db.props.engine === "string" ? db.props.engine : "";
    const parameter = RDS_TLS_PARAMETERS[engine];
    if (parameter === undefined) {
        return isUnknown(db.props.engine) ? undefined : `engine ${JSON.stringify(engine)} has no known TLS parameter`;
    }
    const group = parameterGroupOf(db, resources);
    if (group === undefined) {
        return isUnknown(db.props.parameterGroupName)
            ? undefined
            : `no parameter group of the stack with ${parameter}=1: the default group lets clients connect without TLS`;
    }
    const value = list(group.props.parameters)
        .map((p) => obj(p))
        .find((p) => p?.name === parameter)?.value;
    return String(value) === "1" || isUnknown(value)
        ? undefined
        : `its parameter group ${group.name} does not set ${parameter}=1`;
}

function cloudSqlTlsProblem(props: Props): string | undefined {
    const mode = obj(obj(props.settings)?.ipConfiguration)?.sslMode;
    return (typeof mode === "string" && CLOUD_SQL_TLS_MODES.includes(mode)) || isUnknown(mode)
        ? undefined
        : `settings.ipConfiguration.sslMode is ${JSON.stringify(mode)}: use ENCRYPTED_ONLY`;
}

export const databaseTlsRequired: StackRule = {
    kind: "stack",
    name: "database-tls-required",
    description: "Databases refuse connections without TLS, for every engine.",
    enforcementLevel: "mandatory",
    remediation:
        "RDS: a parameter group with require_secure_transport=1 (MySQL) or rds.force_ssl=1 (PostgreSQL). " +
        "Cloud SQL: settings.ipConfiguration.sslMode ENCRYPTED_ONLY.",
    check: (resources) => {
        const found: StackViolation[] = [];
        for (const r of resources) {
            const problem =
                r.type === AWS.rdsInstance
                    ? rdsTlsProblem(r, resources)
                    : r.type === GCP.sqlInstance
                      ? cloudSqlTlsProblem(r.props)
                      : undefined;
            if (problem !== undefined) {
                found.push({ urn: r.urn, message: `${r.name}: ${problem}` });
            }
        }
        return found;
    },
};

/** The string values inside the stack's secret versions (where a secret-store password is kept). */
function secretStoreValues(resources: readonly StackResource[]): string[] {
    return resources
        .filter((r) => r.type === AWS.secretVersion || r.type === GCP.secretVersion)
        .map((r) => r.props.secretString ?? r.props.secretData)
        .filter((v): v is string => typeof v === "string");
}

function passwordProblem(name: string, password: unknown, store: readonly string[]): string | undefined {
    if (password === undefined || password === null || password === "" || isUnknown(password)) {
        return undefined;
    }
    return store.some((value) => value.includes(String(password)))
        ? undefined
        : `${name}: its password is in none of the stack's secret versions`;
}

export const databaseCredentialsManaged: StackRule = {
    kind: "stack",
    name: "database-credentials-managed",
    description: "Database master credentials are managed by RDS, or kept in the stack's secret store.",
    enforcementLevel: "mandatory",
    remediation:
        "RDS: manageMasterUserPassword true (RDS keeps and rotates the password in its own secret) and no password. " +
        "Otherwise store the password that the database gets in a Secrets Manager or Secret Manager secret version.",
    check: (resources) => {
        const store = secretStoreValues(resources);
        const found: StackViolation[] = [];
        for (const r of resources) {
            let problem: string | undefined;
            if (r.type === AWS.rdsInstance) {
                const managed = isTrue(r.props.manageMasterUserPassword);
                problem =
                    managed && isOn(r.props.manageMasterUserPassword) && r.props.password !== undefined
                        ? `${r.name}: sets a password although RDS manages the master password`
                        : managed
                          ? undefined
                          : r.props.password === undefined && r.props.replicateSourceDb === undefined
                            ? `${r.name}: neither manageMasterUserPassword nor a password from the secret store`
                            : passwordProblem(r.name, r.props.password, store);
            } else if (r.type === GCP.sqlUser) {
                problem = passwordProblem(r.name, r.props.password, store);
            }
            if (problem !== undefined) {
                found.push({ urn: r.urn, message: problem });
            }
        }
        return found;
    },
};
