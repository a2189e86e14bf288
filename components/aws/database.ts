import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { DatabaseOutputs } from "../shared/types";
import { serviceRole, type AwsAccount } from "./iam";
import type { Kms } from "./kms";
import type { Network } from "./network";
import type { Secrets } from "./secrets";

export const MYSQL_PORT = 3306;

/** Log types exported to CloudWatch Logs (each gets a log group with retention). */
export const EXPORTED_LOGS = ["error", "slowquery"] as const;

/** Classes on which RDS for MySQL offers no Performance Insights. */
const NO_PERFORMANCE_INSIGHTS = /^db\.(t2\.(micro|small)|t3\.(micro|small)|t4g\.(micro|small))$/;

export function performanceInsightsSupported(instanceClass: string): boolean {
    return !NO_PERFORMANCE_INSIGHTS.test(instanceClass);
}

/** The parameter-group family of a MySQL version: `8.4.8` -> `mysql8.4`. */
export function parameterGroupFamily(engineVersion: string): string {
    const [major, minor] = engineVersion.split(".");
    return `mysql${major}.${minor}`;
}

/** Server parameters: utf8mb4 throughout, TLS required for every connection, slow queries logged. */
export const MYSQL_PARAMETERS: ReadonlyArray<{ name: string; value: string }> = [
    { name: "character_set_server", value: "utf8mb4" },
    { name: "collation_server", value: "utf8mb4_0900_ai_ci" },
    { name: "require_secure_transport", value: "1" },
    { name: "slow_query_log", value: "1" },
    { name: "long_query_time", value: "2" },
    { name: "log_output", value: "FILE" },
];

export interface DatabaseArgs {
    account: AwsAccount;
    /** The VPC and its private subnets (the database gets no public address). */
    network: Pick<Network, "networkId" | "privateSubnetIds">;
    kms: Kms;
    /** Supplies the generated password and the secret this tier fills with the connection document. */
    secrets: Pick<Secrets, "databasePassword" | "databaseSecret">;
    /** Prefix of the instance identifier, e.g. `webapp-dev`. */
    identifierPrefix: string;
    /** MySQL version. Default `8.4.8`. Minor upgrades are explicit (change the version), never automatic. */
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
    /** Retention of the exported MySQL logs. Default 30. */
    logRetentionDays: number;
}

/**
 * RDS for MySQL in the private subnets: encrypted with the RDS key, reachable only from security
 * groups granted with `allowFrom`, TLS required, automated backups, Performance Insights and
 * enhanced monitoring. Writes the connection document into the database secret.
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
    private readonly baseName: string;

    constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:Database", name, {}, opts);
        this.baseName = name;

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
                description: "MySQL: ingress only from granted security groups, no egress",
                revokeRulesOnDelete: true,
            },
            { parent: this },
        );

        const subnetGroup = new aws.rds.SubnetGroup(
            `${name}-subnets`,
            { subnetIds: args.network.privateSubnetIds, description: "Private subnets of the webapp VPC" },
            { parent: this },
        );

        const parameterGroup = new aws.rds.ParameterGroup(
            `${name}-params`,
            {
                family: parameterGroupFamily(args.engineVersion),
                description: "webapp MySQL: utf8mb4, TLS required, slow query log",
                parameters: MYSQL_PARAMETERS.map((p) => ({ ...p, applyMethod: "immediate" })),
            },
            { parent: this },
        );

        const logGroups = EXPORTED_LOGS.map(
            (log) =>
                new aws.cloudwatch.LogGroup(
                    `${name}-log-${log}`,
                    {
                        name: pulumi.interpolate`/aws/rds/instance/${identifier}/${log}`,
                        retentionInDays: args.logRetentionDays,
                        kmsKeyId: args.kms.keyArns.logs,
                    },
                    { parent: this },
                ),
        );

        const monitoringRole = serviceRole(`${name}-monitoring`, "monitoring.rds.amazonaws.com", args.account, [], {
            parent: this,
            description: "RDS enhanced monitoring",
            managedPolicyArns: [
                pulumi.interpolate`arn:${args.account.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole`,
            ],
        });

        const insights = performanceInsightsSupported(args.instanceClass);
        const instance = new aws.rds.Instance(
            `${name}-mysql`,
            {
                identifier,
                engine: "mysql",
                engineVersion: args.engineVersion,
                autoMinorVersionUpgrade: false,
                instanceClass: args.instanceClass,
                allocatedStorage: args.allocatedStorage,
                maxAllocatedStorage: args.maxAllocatedStorage,
                storageType: "gp3",
                storageEncrypted: true,
                kmsKeyId: args.kms.keyArns.rds,
                dbName: args.databaseName,
                username: args.username,
                password: args.secrets.databasePassword,
                port: MYSQL_PORT,
                dbSubnetGroupName: subnetGroup.name,
                vpcSecurityGroupIds: [securityGroup.id],
                parameterGroupName: parameterGroup.name,
                publiclyAccessible: false,
                multiAz: args.multiAz,
                caCertIdentifier: "rds-ca-rsa2048-g1",
                backupRetentionPeriod: args.backupRetentionDays,
                backupWindow: "03:00-04:00",
                maintenanceWindow: "sun:04:30-sun:05:30",
                copyTagsToSnapshot: true,
                deleteAutomatedBackups: !args.retainBackups,
                deletionProtection: args.deletionProtection,
                skipFinalSnapshot: !args.finalSnapshot,
                finalSnapshotIdentifier: args.finalSnapshot ? pulumi.interpolate`${identifier}-final` : undefined,
                applyImmediately: !args.changesInMaintenanceWindow,
                enabledCloudwatchLogsExports: [...EXPORTED_LOGS],
                performanceInsightsEnabled: insights,
                performanceInsightsKmsKeyId: insights ? args.kms.keyArns.rds : undefined,
                performanceInsightsRetentionPeriod: insights ? 7 : undefined,
                monitoringInterval: 60,
                monitoringRoleArn: monitoringRole.arn,
            },
            { parent: this, dependsOn: logGroups },
        );

        const credentials = new aws.secretsmanager.SecretVersion(
            `${name}-credentials`,
            {
                secretId: args.secrets.databaseSecret.id,
                secretString: pulumi.secret(
                    pulumi.jsonStringify({
                        engine: "mysql",
                        host: instance.address,
                        port: instance.port,
                        dbname: args.databaseName,
                        username: args.username,
                        password: args.secrets.databasePassword,
                        dbInstanceIdentifier: instance.identifier,
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
        this.registerOutputs({
            host: this.host,
            port: this.port,
            instanceIdentifier: this.instanceIdentifier,
            securityGroupId: this.securityGroupId,
        });
    }

    /** Lets a security group reach MySQL (the only ingress the database has). */
    allowFrom(role: string, sourceSecurityGroupId: pulumi.Input<string>): aws.vpc.SecurityGroupIngressRule {
        return new aws.vpc.SecurityGroupIngressRule(
            `${this.baseName}-from-${role}`,
            {
                securityGroupId: this.securityGroupId,
                referencedSecurityGroupId: sourceSecurityGroupId,
                ipProtocol: "tcp",
                fromPort: MYSQL_PORT,
                toPort: MYSQL_PORT,
                description: `MySQL from ${role}`,
            },
            { parent: this },
        );
    }
}
