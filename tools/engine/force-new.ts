/**
 * Which input changes make the real provider replace a resource instead of updating it: the
 * stand-in providers cannot know this, so they are told, for the few resources where a replacement
 * destroys something that matters (a generated password, a stored secret, the database itself).
 * Every other change of every other type is reported as an in-place update; a refactor's identity
 * proof therefore sees every replacement the engine decides (a changed URN without an alias, a
 * changed parent or provider) but, outside this table, not one a provider would decide.
 *
 * Each entry is the Pulumi name of a Terraform attribute marked `ForceNew: true` (SDKv2) or
 * `RequiresReplace()` (plugin framework) in the provider the Pulumi package bridges, at the
 * versions @pulumi/aws 7, @pulumi/gcp 9 and @pulumi/random 4 build on:
 * - random_password, random_string (hashicorp/terraform-provider-random,
 *   internal/provider/resource_password.go and resource_string.go): every input attribute.
 * - aws_db_instance (hashicorp/terraform-provider-aws, internal/service/rds/instance.go).
 * - aws_secretsmanager_secret_version (internal/service/secretsmanager/secret_version.go).
 * - google_secret_manager_secret_version (hashicorp/terraform-provider-google,
 *   google/services/secretmanager/resource_secret_manager_secret_version.go).
 */
const FORCE_NEW: Readonly<Record<string, readonly string[] | "all">> = {
    "random:index/randomPassword:RandomPassword": "all",
    "random:index/randomString:RandomString": "all",
    "aws:rds/instance:Instance": [
        "dbName",
        "engine",
        "identifier",
        "identifierPrefix",
        "kmsKeyId",
        "ncharCharacterSetName",
        "restoreToPointInTime",
        "snapshotIdentifier",
        "storageEncrypted",
        "timezone",
        "username",
    ],
    "aws:secretsmanager/secretVersion:SecretVersion": [
        "secretBinary",
        "secretId",
        "secretString",
        "secretStringWoVersion",
    ],
    "gcp:secretmanager/secretVersion:SecretVersion": ["isSecretDataBase64", "secret", "secretData"],
};

/** The inputs of `type` whose change replaces the resource (`all`: any change does). */
export function replacementProperties(type: string): readonly string[] | "all" {
    return FORCE_NEW[type] ?? [];
}
