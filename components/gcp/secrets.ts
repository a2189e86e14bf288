import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { databasePassword } from "../shared/password";
import type { SecretsOutputs } from "../shared/types";
import type { Kms } from "./kms";
import { daysAsDuration } from "./project";

/** The role that reads a secret's payload (and nothing else). */
export const SECRET_ACCESSOR_ROLE = "roles/secretmanager.secretAccessor";

/** Which of the platform's secrets. */
export type SecretName = "database" | "mailgun" | "password";

export interface SecretsArgs {
    /** The platform keys: secrets are encrypted with the Secret Manager key. */
    kms: Pick<Kms, "keyIds" | "agentGrants">;
    /** The one region secrets are replicated to (the key's region). Default from `gcp.region`. */
    region: string;
    /** The Mailgun API key, a secret Output from config (`mailgun.apiKey`). */
    mailgunApiKey: pulumi.Output<string>;
    /**
     * Days a destroyed secret version stays disabled, and restorable, before it is gone (Secret
     * Manager's delayed destruction). Dev: 7, otherwise 30 (the AWS recovery windows).
     */
    versionDestroyDays: number;
    /** Refuse to delete the secrets on `pulumi destroy` (Secret Manager has no recovery window). Default: outside dev. */
    deletionProtection: boolean;
    /**
     * Also keep the database password alone in a secret of its own (a container platform injects a
     * whole secret as one variable, it cannot pick a field of the connection document). Default:
     * false; on with `gcp.compute: cloudRun`.
     */
    passwordSecret?: boolean;
}

/** Where a secret is kept and how it is protected (`regionalSecret`). */
export interface RegionalSecretArgs {
    /** What the secret holds (its `purpose` annotation). */
    purpose: string;
    /** The one region it is replicated to (the Secret Manager key's region). */
    region: string;
    /** The Secret Manager key, and its agent's grant (Secret Manager checks on create that it may use the key). */
    kms: Pick<Kms, "keyIds" | "agentGrants">;
    /** Days a destroyed version stays restorable (`SecretsArgs.versionDestroyDays`). */
    versionDestroyDays: number;
    /** Refuse to delete the secret on `pulumi destroy`. */
    deletionProtection: boolean;
}

/**
 * A secret kept in one region only, encrypted with the Secret Manager key, created once Secret
 * Manager's agent may use that key: the platform's secrets and the cache's AUTH string.
 */
export function regionalSecret(
    name: string,
    args: RegionalSecretArgs,
    parent: pulumi.Resource,
): gcp.secretmanager.Secret {
    return new gcp.secretmanager.Secret(
        name,
        {
            annotations: { purpose: args.purpose },
            replication: {
                userManaged: {
                    replicas: [
                        {
                            location: args.region,
                            customerManagedEncryption: { kmsKeyName: args.kms.keyIds.secrets },
                        },
                    ],
                },
            },
            versionDestroyTtl: daysAsDuration(args.versionDestroyDays),
            deletionProtection: args.deletionProtection,
        },
        { parent, dependsOn: [args.kms.agentGrants.secrets] },
    );
}

/**
 * The platform's secrets in Secret Manager, encrypted with the Secret Manager key and kept in the
 * stack's region only: the generated database password (the credentials secret is filled by the
 * Database tier, which alone knows the address) and the Mailgun API key. Values flow as secret
 * Outputs only.
 */
export class Secrets extends pulumi.ComponentResource implements SecretsOutputs {
    /** The generated database password (a secret Output). Only the database user and its secret may use it. */
    public readonly databasePassword: pulumi.Output<string>;
    /** The secret that holds the database connection document (JSON). */
    public readonly databaseSecret: gcp.secretmanager.Secret;
    /** `projects/<project>/secrets/<id>`. */
    public readonly databaseSecretId: pulumi.Output<string>;
    public readonly mailgunSecret: gcp.secretmanager.Secret;
    public readonly mailgunSecretId: pulumi.Output<string>;
    /** With `passwordSecret`: the secret that holds the database password alone. */
    public readonly passwordSecretId?: pulumi.Output<string>;
    private readonly baseName: string;

    constructor(name: string, args: SecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:gcp:Secrets", name, {}, opts);
        this.baseName = name;

        this.databasePassword = databasePassword(`${name}-db-password`, this);

        const secret = (role: string, purpose: string) =>
            regionalSecret(
                `${name}-${role}`,
                {
                    purpose,
                    region: args.region,
                    kms: args.kms,
                    versionDestroyDays: args.versionDestroyDays,
                    deletionProtection: args.deletionProtection,
                },
                this,
            );

        this.databaseSecret = secret(
            "db-credentials",
            "webapp database connection: JSON with engine, host, port, dbname, username, password",
        );
        this.mailgunSecret = secret("mailgun-api-key", "webapp Mailgun API key (plain text)");
        new gcp.secretmanager.SecretVersion(
            `${name}-mailgun-api-key`,
            { secret: this.mailgunSecret.id, secretData: pulumi.secret(args.mailgunApiKey) },
            { parent: this },
        );

        if (args.passwordSecret === true) {
            const passwordSecret = secret("db-password", "webapp database password (plain text)");
            const version = new gcp.secretmanager.SecretVersion(
                `${name}-db-password`,
                { secret: passwordSecret.id, secretData: pulumi.secret(this.databasePassword) },
                { parent: this },
            );
            // The id carries the version as a dependency: a consumer reading `latest` starts after it exists.
            this.passwordSecretId = pulumi.all([passwordSecret.id, version.id]).apply(([id]) => id);
        }

        this.databaseSecretId = this.databaseSecret.id;
        this.mailgunSecretId = this.mailgunSecret.id;
        this.registerOutputs({ databaseSecretId: this.databaseSecretId, mailgunSecretId: this.mailgunSecretId });
    }

    /**
     * Lets `member` (an IAM member string such as a service account's `member`) read one secret's
     * payload. The reader needs no key permission: Secret Manager's agent decrypts. `role` names the
     * binding: `${name}-<which>-reader-<role>`.
     */
    grantRead(which: SecretName, role: string, member: pulumi.Input<string>): gcp.secretmanager.SecretIamMember {
        const secretId = {
            database: this.databaseSecretId,
            mailgun: this.mailgunSecretId,
            password: this.passwordSecretId,
        }[which];
        if (secretId === undefined) {
            throw new Error(`Secrets.grantRead: there is no ${which} secret (passwordSecret is off)`);
        }
        return new gcp.secretmanager.SecretIamMember(
            `${this.baseName}-${which}-reader-${role}`,
            {
                secretId,
                role: SECRET_ACCESSOR_ROLE,
                member,
            },
            { parent: this },
        );
    }
}
