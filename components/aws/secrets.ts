import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { SecretsOutputs } from "../shared/types";
import type { Statement } from "./iam";
import type { Kms } from "./kms";

/**
 * IAM statements that let a role read one Secrets Manager secret encrypted with the platform's
 * secrets key: its value and description, and decryption with that key through Secrets Manager only.
 */
export function secretReadStatements(secretArn: pulumi.Input<string>, kms: Pick<Kms, "useStatements">): Statement[] {
    return [
        {
            Effect: "Allow",
            Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            Resource: secretArn,
        },
        ...kms.useStatements("secrets", ["kms:Decrypt"]),
    ];
}

export interface SecretsArgs {
    /** The platform keys: secrets are encrypted with the Secrets Manager key. */
    kms: Kms;
    /** The Mailgun API key, a secret Output from config (`mailgun.apiKey`). */
    mailgunApiKey: pulumi.Output<string>;
    /** Days a deleted secret stays recoverable (7-30). Dev: 7, otherwise 30. */
    recoveryWindowDays: number;
    /**
     * Replicate every secret to the DR region, encrypted there with that region's Secrets Manager
     * key (`aws.dr.region`). Default: no replica.
     */
    replica?: { region: string; kmsKeyArn: pulumi.Input<string> };
    /**
     * Generate the CDN's origin header value and keep it in a secret (`features.cdn`); a new
     * `generation` (`aws.cdn.originSecretGeneration`) generates a new value. Default: none.
     */
    originHeader?: { generation: number };
}

/** Length of the generated origin header value (letters and digits: any header accepts them). */
export const ORIGIN_HEADER_LENGTH = 48;

/** The CDN's origin header secret: its Secrets Manager ARN and the value, a secret Output. */
export interface OriginHeaderSecret {
    readonly secretArn: pulumi.Output<string>;
    readonly value: pulumi.Output<string>;
}

/**
 * The platform's secrets in Secrets Manager: the database connection document (filled by the
 * Database tier, which alone knows the endpoint; the password is RDS's own secret) and the Mailgun
 * API key. Values flow as secret Outputs only; nothing here ever holds them as plain strings.
 */
export class Secrets extends pulumi.ComponentResource implements SecretsOutputs {
    /** The secret that holds the database connection document (JSON). */
    public readonly databaseSecret: aws.secretsmanager.Secret;
    public readonly databaseSecretId: pulumi.Output<string>;
    public readonly mailgunSecret: aws.secretsmanager.Secret;
    public readonly mailgunSecretId: pulumi.Output<string>;
    /** The CDN's origin header value and its secret, with `originHeader`. */
    public readonly originHeader?: OriginHeaderSecret;
    private readonly kms: Kms;

    constructor(name: string, args: SecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:Secrets", name, {}, opts);
        this.kms = args.kms;

        const secret = (role: string, description: string) =>
            new aws.secretsmanager.Secret(
                `${name}-${role}`,
                {
                    description,
                    kmsKeyId: args.kms.keyArns.secrets,
                    recoveryWindowInDays: args.recoveryWindowDays,
                    ...(args.replica === undefined
                        ? {}
                        : { replicas: [{ region: args.replica.region, kmsKeyId: args.replica.kmsKeyArn }] }),
                },
                { parent: this },
            );

        this.databaseSecret = secret(
            "db-credentials",
            "webapp database connection: JSON with engine, host, port, dbname and the ARN of the RDS-managed credentials secret",
        );
        this.mailgunSecret = secret("mailgun-api-key", "webapp Mailgun API key (plain text)");
        new aws.secretsmanager.SecretVersion(
            `${name}-mailgun-api-key`,
            { secretId: this.mailgunSecret.id, secretString: pulumi.secret(args.mailgunApiKey) },
            { parent: this },
        );

        if (args.originHeader !== undefined) {
            const generated = new random.RandomPassword(
                `${name}-cdn-origin-value`,
                {
                    length: ORIGIN_HEADER_LENGTH,
                    special: false,
                    keepers: { generation: String(args.originHeader.generation) },
                },
                { parent: this, additionalSecretOutputs: ["result"] },
            );
            const value = pulumi.secret(generated.result);
            const store = secret(
                "cdn-origin-header",
                "webapp CDN origin header: the value CloudFront sends and the load balancer requires (plain text)",
            );
            new aws.secretsmanager.SecretVersion(
                `${name}-cdn-origin-header`,
                { secretId: store.id, secretString: value },
                { parent: this },
            );
            this.originHeader = { secretArn: store.arn, value };
        }

        this.databaseSecretId = this.databaseSecret.arn;
        this.mailgunSecretId = this.mailgunSecret.arn;
        this.registerOutputs({ databaseSecretId: this.databaseSecretId, mailgunSecretId: this.mailgunSecretId });
    }

    /** IAM statements that let a role read one secret (and decrypt it through Secrets Manager only). */
    readStatements(which: "database" | "mailgun"): Statement[] {
        const arn = which === "database" ? this.databaseSecretId : this.mailgunSecretId;
        return secretReadStatements(arn, this.kms);
    }
}
