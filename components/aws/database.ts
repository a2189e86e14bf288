import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { DatabaseEngine } from "../../config/database";
import { CREDENTIALS_FIELD } from "../../functions/boot/aws";
import { CACHE_SECRET_FIELD } from "../../functions/boot/render";
import type { Cache } from "./cache";
import { DATA_PORTS } from "../shared/dataPorts";
import type { DatabaseOutputs } from "../shared/types";
import { serviceRole, type AwsAccount, type Statement } from "./iam";
import type { Kms } from "./kms";
import type { Network } from "./network";
import { secretReadStatements, type Secrets } from "./secrets";

/** How RDS runs one engine of `app.databaseEngine`. */
export interface RdsEngineSpec {
    /** RDS's `engine`. */
    readonly engine: DatabaseEngine;
    readonly label: string;
    /** The server's port (`DATA_PORTS`). */
    readonly port: number;
    /** The parameter-group family of a version: `8.4.8` -> `mysql8.4`, `16.9` -> `postgres16`. */
    family(engineVersion: string): string;
    /** Server parameters, TLS required for every connection among them. */
    readonly parameters: ReadonlyArray<{ name: string; value: string }>;
    /** The parameter groups' description. */
    readonly parametersDescription: string;
    /** Log types exported to CloudWatch Logs (values RDS accepts for the engine; each gets a log group). */
    readonly exportedLogs: readonly string[];
    /** Classes on which RDS offers no Performance Insights for the engine. */
    readonly noPerformanceInsights?: RegExp;
}

export const RDS_ENGINES: Readonly<Record<DatabaseEngine, RdsEngineSpec>> = {
    mysql: {
        engine: "mysql",
        label: "MySQL",
        port: DATA_PORTS.mysql.port,
        family: (version) => {
            const [major, minor] = version.split(".");
            return `mysql${major}.${minor}`;
        },
        // utf8mb4 throughout, TLS required for every connection, slow queries logged.
        parameters: [
            { name: "character_set_server", value: "utf8mb4" },
            { name: "collation_server", value: "utf8mb4_0900_ai_ci" },
            { name: "require_secure_transport", value: "1" },
            { name: "slow_query_log", value: "1" },
            { name: "long_query_time", value: "2" },
            { name: "log_output", value: "FILE" },
        ],
        parametersDescription: "webapp MySQL: utf8mb4, TLS required, slow query log",
        exportedLogs: ["error", "slowquery"],
        noPerformanceInsights: /^db\.(t2\.(micro|small)|t3\.(micro|small)|t4g\.(micro|small))$/,
    },
    postgres: {
        engine: "postgres",
        label: "PostgreSQL",
        port: DATA_PORTS.postgres.port,
        family: (version) => `postgres${version.split(".")[0]}`,
        // TLS required for every connection, statements slower than 2 s and schema changes logged.
        parameters: [
            { name: "rds.force_ssl", value: "1" },
            { name: "log_min_duration_statement", value: "2000" },
            { name: "log_statement", value: "ddl" },
            { name: "log_connections", value: "1" },
            { name: "log_disconnections", value: "1" },
        ],
        parametersDescription: "webapp PostgreSQL: TLS required, slow statements and DDL logged",
        exportedLogs: ["postgresql", "upgrade"],
    },
};

export function performanceInsightsSupported(engine: RdsEngineSpec, instanceClass: string): boolean {
    return !(engine.noPerformanceInsights?.test(instanceClass) ?? false);
}

/** What surrounds a database instance of the platform (the primary, or its DR replica). */
export interface DbInstanceParts {
    /** The engine's parameters, TLS required among them (`RdsEngineSpec.parameters`). */
    readonly parameterGroup: aws.rds.ParameterGroup;
    /** One per exported log, with retention; the instance must depend on them (else RDS creates them). */
    readonly logGroups: aws.cloudwatch.LogGroup[];
    /** The role RDS enhanced monitoring assumes. */
    readonly monitoringRole: aws.iam.Role;
}

/** The parameter group, the log groups and the monitoring role of an instance, named `${name}-<role>`. */
export function dbInstanceParts(
    name: string,
    args: {
        account: AwsAccount;
        engine: RdsEngineSpec;
        engineVersion: string;
        identifier: pulumi.Input<string>;
        logRetentionDays: number;
        /** The region's logs key (`Kms.keyArns.logs`): the log groups are encrypted with it. */
        logsKeyArn: pulumi.Input<string>;
        monitoringDescription: string;
    },
    parent: pulumi.Resource,
): DbInstanceParts {
    const parameterGroup = new aws.rds.ParameterGroup(
        `${name}-params`,
        {
            family: args.engine.family(args.engineVersion),
            description: args.engine.parametersDescription,
            parameters: args.engine.parameters.map((p) => ({ ...p, applyMethod: "immediate" })),
        },
        { parent },
    );
    const logGroups = args.engine.exportedLogs.map(
        (log) =>
            new aws.cloudwatch.LogGroup(
                `${name}-log-${log}`,
                {
                    name: pulumi.interpolate`/aws/rds/instance/${args.identifier}/${log}`,
                    retentionInDays: args.logRetentionDays,
                    kmsKeyId: args.logsKeyArn,
                },
                { parent },
            ),
    );
    const monitoringRole = serviceRole(`${name}-monitoring`, "monitoring.rds.amazonaws.com", args.account, [], {
        parent,
        description: args.monitoringDescription,
        managedPolicyArns: [
            pulumi.interpolate`arn:${args.account.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole`,
        ],
    });
    return { parameterGroup, logGroups, monitoringRole };
}

/**
 * The instance arguments every database instance of the platform shares: gp3 encrypted with the
 * region's RDS key, pinned minor version, private, the RDS CA, the maintenance window, log exports,
 * Performance Insights where the class has it, enhanced monitoring every minute.
 */
export function sharedInstanceArgs(args: {
    engine: RdsEngineSpec;
    kmsKeyArn: pulumi.Input<string>;
    instanceClass: string;
    maxAllocatedStorage: number;
    subnetGroupName: pulumi.Input<string>;
    securityGroupId: pulumi.Input<string>;
    parts: DbInstanceParts;
}) {
    const insights = performanceInsightsSupported(args.engine, args.instanceClass);
    return {
        autoMinorVersionUpgrade: false,
        instanceClass: args.instanceClass,
        maxAllocatedStorage: args.maxAllocatedStorage,
        storageType: "gp3",
        storageEncrypted: true,
        kmsKeyId: args.kmsKeyArn,
        dbSubnetGroupName: args.subnetGroupName,
        vpcSecurityGroupIds: [args.securityGroupId],
        parameterGroupName: args.parts.parameterGroup.name,
        publiclyAccessible: false,
        caCertIdentifier: "rds-ca-rsa2048-g1",
        maintenanceWindow: "sun:04:30-sun:05:30",
        copyTagsToSnapshot: true,
        enabledCloudwatchLogsExports: [...args.engine.exportedLogs],
        performanceInsightsEnabled: insights,
        performanceInsightsKmsKeyId: insights ? args.kmsKeyArn : undefined,
        performanceInsightsRetentionPeriod: insights ? 7 : undefined,
        monitoringInterval: 60,
        monitoringRoleArn: args.parts.monitoringRole.arn,
    } satisfies Partial<aws.rds.InstanceArgs>;
}

/** The ARN of the secret RDS created for the master credentials; fails when RDS reported none. */
export function managedSecretArn(secrets: ReadonlyArray<{ secretArn: string }> | undefined): string {
    const arn = secrets?.[0]?.secretArn;
    if (!arn) {
        throw new Error("the database reported no RDS-managed master user secret (manageMasterUserPassword)");
    }
    return arn;
}

export interface DatabaseArgs {
    account: AwsAccount;
    /** The VPC and its data subnets: isolated, or private without that tier (no public address). */
    network: Pick<Network, "networkId" | "dataSubnetIds">;
    /** Whether `network.dataSubnetIds` are the isolated tier's (`aws.subnets.isolated`). Default false. */
    isolatedSubnets?: boolean;
    kms: Kms;
    /** The secret this tier fills with the connection document (no password in it). */
    secrets: Pick<Secrets, "databaseSecret">;
    /** Prefix of the instance identifier, e.g. `webapp-dev`. */
    identifierPrefix: string;
    /** `app.databaseEngine`: `mysql` (default) or `postgres`. */
    engine: DatabaseEngine;
    /** The engine's version. Default `8.4.8` (MySQL), `16.9` (PostgreSQL). Minor upgrades are explicit (change the version), never automatic. */
    engineVersion: string;
    /** Default `db.t3.micro`. */
    instanceClass: string;
    /** GiB at creation. Default 20. */
    allocatedStorage: number;
    /** Storage autoscaling ceiling in GiB. Default 100. */
    maxAllocatedStorage: number;
    /** Default false. */
    multiAz: boolean;
    /** Days of automated backups (point-in-time recovery window). Default 7. */
    backupRetentionDays: number;
    /** From `aws.db.deletionProtection`. Default: off in dev, on elsewhere. */
    deletionProtection: boolean;
    /** Keep the automated backups after the instance is deleted. Default: outside dev. */
    retainBackups: boolean;
    /** Take a final snapshot (`<identifier>-final`) when the instance is deleted. Default: outside dev. */
    finalSnapshot: boolean;
    /** Apply changes in the maintenance window rather than at once. Default: outside dev. */
    changesInMaintenanceWindow: boolean;
    /** Schema and master user. Defaults `webapp` / `webapp`. */
    databaseName: string;
    username: string;
    /** Retention of the exported database logs. Default 30. */
    logRetentionDays: number;
    /**
     * Days between rotations of the master password, which RDS generates and keeps in its own
     * secret (`aws.db.passwordRotationDays`). Default 7; 30 in dev.
     */
    passwordRotationDays: number;
    /**
     * The cache (`features.cache`): its endpoint and the ARN of its AUTH token's secret go into the
     * connection document (never the token). Default: none.
     */
    cache?: Pick<Cache, "host" | "port" | "authSecretArn">;
}

/**
 * RDS for MySQL or PostgreSQL (`engine`) in the private subnets: encrypted with the RDS key, reachable only from security
 * groups granted with `allowFrom`, TLS required, automated backups, Performance Insights and
 * enhanced monitoring. The master password is RDS's own: RDS generates it into a Secrets Manager
 * secret encrypted with the Secrets Manager key and rotates it, so no password passes through the
 * program or its state. The connection document (engine, host, port, dbname and the ARN of that
 * secret; no password) goes into the database secret.
 */
export class Database extends pulumi.ComponentResource implements DatabaseOutputs {
    public readonly host: pulumi.Output<string>;
    public readonly port: pulumi.Output<number>;
    public readonly databaseName: string;
    public readonly instanceIdentifier: pulumi.Output<string>;
    /** The instance's ARN (for backup selections and alarms). */
    public readonly arn: pulumi.Output<string>;
    public readonly securityGroupId: pulumi.Output<string>;
    /** Resolves once the connection document is in the secret (instances must not boot before). */
    public readonly credentialsVersionId: pulumi.Output<string>;
    /** The connection document's version: what a backend waits for before it starts instances. */
    public readonly connectionDocument: aws.secretsmanager.SecretVersion;
    /** ARN of the RDS-managed secret holding the master `username` and `password` (JSON). */
    public readonly credentialsSecretArn: pulumi.Output<string>;
    /** How RDS runs the engine (port, parameters, logs): the DR replica follows it. */
    public readonly engine: RdsEngineSpec;
    private readonly baseName: string;
    private readonly kms: Kms;

    constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:Database", name, {}, opts);
        this.baseName = name;
        this.kms = args.kms;
        const engine = RDS_ENGINES[args.engine];
        this.engine = engine;

        const suffix = new random.RandomString(
            `${name}-id`,
            { length: 6, special: false, upper: false },
            { parent: this },
        );
        const identifier = pulumi.interpolate`${args.identifierPrefix}-${suffix.result}`;

        const securityGroup = new aws.ec2.SecurityGroup(
            `${name}-sg`,
            {
                vpcId: args.network.networkId,
                description: `${engine.label}: ingress only from granted security groups, no egress`,
                revokeRulesOnDelete: true,
            },
            { parent: this },
        );

        const subnetGroup = new aws.rds.SubnetGroup(
            `${name}-subnets`,
            {
                subnetIds: args.network.dataSubnetIds,
                description: args.isolatedSubnets
                    ? "Isolated subnets of the webapp VPC (no route out)"
                    : "Private subnets of the webapp VPC",
            },
            { parent: this },
        );

        const parts = dbInstanceParts(
            name,
            {
                account: args.account,
                engine,
                engineVersion: args.engineVersion,
                identifier,
                logRetentionDays: args.logRetentionDays,
                logsKeyArn: args.kms.keyArns.logs,
                monitoringDescription: "RDS enhanced monitoring",
            },
            this,
        );

        const instance = new aws.rds.Instance(
            `${name}-${engine.engine}`,
            {
                ...sharedInstanceArgs({
                    engine,
                    kmsKeyArn: args.kms.keyArns.rds,
                    instanceClass: args.instanceClass,
                    maxAllocatedStorage: args.maxAllocatedStorage,
                    subnetGroupName: subnetGroup.name,
                    securityGroupId: securityGroup.id,
                    parts,
                }),
                identifier,
                engine: engine.engine,
                engineVersion: args.engineVersion,
                allocatedStorage: args.allocatedStorage,
                dbName: args.databaseName,
                username: args.username,
                manageMasterUserPassword: true,
                masterUserSecretKmsKeyId: args.kms.keyArns.secrets,
                port: engine.port,
                multiAz: args.multiAz,
                backupRetentionPeriod: args.backupRetentionDays,
                backupWindow: "03:00-04:00",
                deleteAutomatedBackups: !args.retainBackups,
                deletionProtection: args.deletionProtection,
                skipFinalSnapshot: !args.finalSnapshot,
                finalSnapshotIdentifier: args.finalSnapshot ? pulumi.interpolate`${identifier}-final` : undefined,
                applyImmediately: !args.changesInMaintenanceWindow,
            },
            { parent: this, dependsOn: parts.logGroups },
        );

        const credentialsSecretArn = instance.masterUserSecrets.apply((secrets) => managedSecretArn(secrets));
        // RDS turns rotation on for its secret; this sets the schedule (the first rotation follows it).
        new aws.secretsmanager.SecretRotation(
            `${name}-password-rotation`,
            {
                secretId: credentialsSecretArn,
                rotationRules: { automaticallyAfterDays: args.passwordRotationDays },
                rotateImmediately: false,
            },
            { parent: this },
        );

        const credentials = new aws.secretsmanager.SecretVersion(
            `${name}-credentials`,
            {
                secretId: args.secrets.databaseSecret.id,
                secretString: pulumi.secret(
                    pulumi.jsonStringify({
                        engine: engine.engine,
                        host: instance.address,
                        port: instance.port,
                        dbname: args.databaseName,
                        [CREDENTIALS_FIELD]: credentialsSecretArn,
                        dbInstanceIdentifier: instance.identifier,
                        ...(args.cache
                            ? {
                                  cacheHost: args.cache.host,
                                  cachePort: args.cache.port,
                                  [CACHE_SECRET_FIELD]: args.cache.authSecretArn,
                              }
                            : {}),
                    }),
                ),
            },
            { parent: this },
        );

        this.host = instance.address;
        this.port = instance.port;
        this.databaseName = args.databaseName;
        this.instanceIdentifier = instance.identifier;
        this.arn = instance.arn;
        this.securityGroupId = securityGroup.id;
        this.credentialsVersionId = credentials.versionId;
        this.connectionDocument = credentials;
        this.credentialsSecretArn = credentialsSecretArn;
        this.registerOutputs({
            host: this.host,
            port: this.port,
            instanceIdentifier: this.instanceIdentifier,
            securityGroupId: this.securityGroupId,
        });
    }

    /**
     * IAM statements that let a role read the RDS-managed credentials (and decrypt them through
     * Secrets Manager only). The connection document is the Secrets tier's (`readStatements`).
     */
    credentialsReadStatements(): Statement[] {
        return secretReadStatements(this.credentialsSecretArn, this.kms);
    }

    /** Lets a security group reach the database's port (the only ingress the database has). */
    allowFrom(role: string, sourceSecurityGroupId: pulumi.Input<string>): aws.vpc.SecurityGroupIngressRule {
        return new aws.vpc.SecurityGroupIngressRule(
            `${this.baseName}-from-${role}`,
            {
                securityGroupId: this.securityGroupId,
                referencedSecurityGroupId: sourceSecurityGroupId,
                ipProtocol: "tcp",
                fromPort: this.engine.port,
                toPort: this.engine.port,
                description: `${this.engine.label} from ${role}`,
            },
            { parent: this },
        );
    }
}
