/**
 * Containers: ECS task definitions run unprivileged containers on a read-only root file system and
 * never as root, get their secrets by reference (never as plain `environment` values), and ECR
 * repositories scan every pushed image and encrypt it with a customer-managed key. Cloud Run
 * services are reached through the load balancer only and get their secrets from Secret Manager;
 * Artifact Registry repositories keep tags immutable and encrypt with a customer-managed key.
 */
import { AWS, GCP } from "./tokens";
import type { Props, ResourceRule } from "./types";
import { byType, isSet, isUnknown, list, obj, problems } from "./values";

/** Environment variable names that hold a secret by their name. */
export const SECRET_ENV_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIALS?)/i;

/** The container definitions of a task definition (a JSON string or a list); empty when unknown. */
export function containerDefinitions(props: Props): Props[] {
    const raw = props.containerDefinitions;
    if (isUnknown(raw)) {
        return [];
    }
    let parsed: unknown = raw;
    if (typeof raw === "string") {
        try {
            parsed = JSON.parse(raw);
        } catch {
            return [{ name: "(containerDefinitions)", unparseable: true }];
        }
    }
    return list(parsed)
        .map((c) => obj(c))
        .filter((c): c is Props => c !== undefined);
}

function label(container: Props, i: number): string {
    return `container ${typeof container.name === "string" ? JSON.stringify(container.name) : `#${i}`}`;
}

/** The user a container runs as is root: `root`, `0`, or `0:<group>`/`root:<group>`. */
function isRootUser(user: unknown): boolean {
    return typeof user === "string" && /^(root|0)(:.*)?$/.test(user);
}

export const ecsTasksUnprivileged: ResourceRule = {
    kind: "resource",
    name: "ecs-tasks-unprivileged",
    description: "ECS containers are not privileged, run on a read-only root file system and as a named non-root user.",
    enforcementLevel: "mandatory",
    remediation:
        "In each container definition: privileged false (or absent), readonlyRootFilesystem true (mount a volume " +
        "for what the application writes, e.g. /tmp), and user = the image's application user (not root or 0).",
    check: byType({
        [AWS.ecsTaskDefinition]: (p) =>
            containerDefinitions(p).flatMap((c, i) =>
                c.unparseable === true
                    ? ["containerDefinitions is not valid JSON"]
                    : problems(
                          c.privileged === true && `${label(c, i)} is privileged`,
                          c.readonlyRootFilesystem !== true &&
                              `${label(c, i)} has a writable root file system (readonlyRootFilesystem is not true)`,
                          (!isSet(c.user) || isRootUser(c.user)) &&
                              `${label(c, i)} runs as ${isSet(c.user) ? JSON.stringify(c.user) : "the image's default user"}: set user to a non-root user`,
                      ),
            ),
    }),
};

export const noPlaintextSecretsInContainerEnvironment: ResourceRule = {
    kind: "resource",
    name: "no-plaintext-secrets-in-container-environment",
    description: "ECS containers get secrets by reference (`secrets`), never as plain `environment` values.",
    enforcementLevel: "mandatory",
    remediation:
        "Move the value to Secrets Manager and reference it in the container's secrets: " +
        "{ name, valueFrom: <secret ARN>:<json key>:: }; the execution role reads it when the task starts.",
    check: byType({
        [AWS.ecsTaskDefinition]: (p) =>
            containerDefinitions(p).flatMap((c, i) =>
                list(c.environment)
                    .map((e) => obj(e))
                    .filter((e): e is Props => e !== undefined)
                    .filter((e) => typeof e.name === "string" && SECRET_ENV_NAME.test(e.name) && isSet(e.value))
                    .map(
                        (e) =>
                            `${label(c, i)} sets ${String(e.name)} in its environment: pass it in secrets (valueFrom) instead`,
                    ),
            ),
    }),
};

export const ecrScanAndCmk: ResourceRule = {
    kind: "resource",
    name: "ecr-scan-and-cmk",
    description: "ECR repositories scan images on push, keep tags immutable and encrypt with a customer-managed key.",
    enforcementLevel: "mandatory",
    remediation:
        "imageScanningConfiguration.scanOnPush true, imageTagMutability IMMUTABLE, and encryptionConfigurations " +
        "[{ encryptionType: KMS, kmsKey: the repository's key }].",
    check: byType({
        [AWS.ecrRepository]: (p) => {
            const scan = obj(p.imageScanningConfiguration)?.scanOnPush;
            const encryption = obj(list(p.encryptionConfigurations)[0]);
            return problems(
                !(scan === true || isUnknown(scan)) && "imageScanningConfiguration.scanOnPush is not true",
                !(p.imageTagMutability === "IMMUTABLE" || isUnknown(p.imageTagMutability)) &&
                    `imageTagMutability is ${JSON.stringify(p.imageTagMutability ?? "MUTABLE")}: a tag could be re-pointed to another image`,
                !(encryption?.encryptionType === "KMS" && isSet(encryption?.kmsKey)) &&
                    "encryptionConfigurations does not name a customer-managed KMS key (images would use AES256 or the AWS-managed key)",
            );
        },
    }),
};

/** The containers of a Cloud Run service's template; empty when unknown. */
function cloudRunContainers(props: Props): Props[] {
    return list(obj(props.template)?.containers)
        .map((c) => obj(c))
        .filter((c): c is Props => c !== undefined);
}

export const cloudRunSecretsByReference: ResourceRule = {
    kind: "resource",
    name: "cloud-run-secrets-by-reference",
    description:
        "Cloud Run containers get secrets from Secret Manager (valueSource.secretKeyRef), never as plain env values.",
    enforcementLevel: "mandatory",
    remediation:
        "Keep the value in a Secret Manager secret and reference it: envs: [{ name, valueSource: { secretKeyRef: " +
        "{ secret, version } } }]; the service account needs roles/secretmanager.secretAccessor on that secret.",
    check: byType({
        [GCP.cloudRunService]: (p) =>
            cloudRunContainers(p).flatMap((c, i) =>
                list(c.envs)
                    .map((e) => obj(e) ?? {})
                    .filter((e) => typeof e.name === "string" && SECRET_ENV_NAME.test(e.name) && isSet(e.value))
                    .map(
                        (e) =>
                            `${label(c, i)} sets ${String(e.name)} as a plain value: reference a Secret Manager secret (valueSource.secretKeyRef) instead`,
                    ),
            ),
    }),
};

export const cloudRunIngressBehindLoadBalancer: ResourceRule = {
    kind: "resource",
    name: "cloud-run-ingress-behind-load-balancer",
    description:
        "Cloud Run services take traffic from the load balancer only (ingress not INGRESS_TRAFFIC_ALL), so Cloud Armor and TLS policy apply.",
    enforcementLevel: "mandatory",
    remediation:
        "ingress: INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCING, with a serverless NEG behind the HTTPS load balancer; " +
        "only then may the invoker IAM check be off (invokerIamDisabled).",
    check: byType({
        [GCP.cloudRunService]: (p) => {
            const ingress = p.ingress;
            const open = !isUnknown(ingress) && (ingress === undefined || ingress === "INGRESS_TRAFFIC_ALL");
            return problems(
                open &&
                    `ingress is ${JSON.stringify(ingress ?? "INGRESS_TRAFFIC_ALL")}: the service's run.app URL answers the whole internet, past the load balancer`,
                open &&
                    p.invokerIamDisabled === true &&
                    "invokerIamDisabled is true with ingress from everywhere: anyone on the internet can invoke the service",
            );
        },
    }),
};

export const artifactRegistryImmutableAndCmk: ResourceRule = {
    kind: "resource",
    name: "artifact-registry-immutable-and-cmk",
    description: "Artifact Registry Docker repositories keep tags immutable and encrypt with a customer-managed key.",
    enforcementLevel: "mandatory",
    remediation: "dockerConfig.immutableTags true and kmsKeyName = the repository's Cloud KMS key.",
    check: byType({
        [GCP.artifactRepository]: (p) => {
            const immutable = obj(p.dockerConfig)?.immutableTags;
            return problems(
                p.format === "DOCKER" &&
                    !(immutable === true || isUnknown(immutable)) &&
                    "dockerConfig.immutableTags is not true: a tag could be re-pointed to another image",
                !isSet(p.kmsKeyName) && "kmsKeyName is not set: images would be encrypted with a Google-managed key",
            );
        },
    }),
};
