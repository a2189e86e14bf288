/**
 * The platform's security rules, as plain functions. `policy/index.ts` wraps them in a
 * CrossGuard `PolicyPack`; the offline plan calls `evaluate` on the resources it recorded.
 */
import {
    bucketsPrivate,
    deletionProtectionOutsideDev,
    imdsv2Required,
    noPublicDatabase,
    noPublicIpOnInstances,
    s3BucketGuardsPresent,
} from "./access";
import { cacheEncryptedWithAuth } from "./cache";
import { databaseCredentialsManaged, databaseTlsRequired } from "./database";
import {
    artifactRegistryImmutableAndCmk,
    cloudRunIngressBehindLoadBalancer,
    cloudRunSecretsByReference,
    ecrScanAndCmk,
    ecsTasksUnprivileged,
    noPlaintextSecretsInContainerEnvironment,
} from "./containers";
import {
    databaseEncryptedWithCmk,
    disksEncryptedWithCmk,
    keyRotation,
    logGroupsEncryptedWithCmk,
    secretsEncryptedWithCmk,
    storageEncryptedWithCmk,
    topicsEncryptedWithCmk,
} from "./encryption";
import { iamLeastPrivilege, noWildcardPrincipals } from "./iam";
import { accessLoggingOutsideDev } from "./logging";
import {
    defaultSecurityGroupClosed,
    httpListenerRedirectsToHttps,
    httpsListenerModernTls,
    internetIngressOnlyOnLoadBalancer,
    internetIngressWebPortsOnly,
    subnetworkFlowLogs,
    vpcFlowLogs,
} from "./network";
import { noPlaintextSecrets } from "./secrets";
import type { Rule, RuleOptions, StackResource, Violation } from "./types";

export * from "./access";
export * from "./cache";
export * from "./database";
export * from "./containers";
export * from "./enforcement";
export * from "./iam";
export * from "./logging";
export * from "./encryption";
export * from "./network";
export * from "./secrets";
export * from "./tokens";
export * from "./types";
export { isUnknown } from "./values";

/** Every rule, in report order. */
export const RULES: readonly Rule[] = [
    noPublicDatabase,
    databaseEncryptedWithCmk,
    databaseTlsRequired,
    databaseCredentialsManaged,
    cacheEncryptedWithAuth,
    storageEncryptedWithCmk,
    disksEncryptedWithCmk,
    secretsEncryptedWithCmk,
    topicsEncryptedWithCmk,
    keyRotation,
    bucketsPrivate,
    s3BucketGuardsPresent,
    internetIngressWebPortsOnly,
    internetIngressOnlyOnLoadBalancer,
    httpListenerRedirectsToHttps,
    imdsv2Required,
    noPublicIpOnInstances,
    vpcFlowLogs,
    subnetworkFlowLogs,
    deletionProtectionOutsideDev,
    noPlaintextSecrets,
    iamLeastPrivilege,
    noWildcardPrincipals,
    logGroupsEncryptedWithCmk,
    defaultSecurityGroupClosed,
    accessLoggingOutsideDev,
    httpsListenerModernTls,
    ecsTasksUnprivileged,
    noPlaintextSecretsInContainerEnvironment,
    ecrScanAndCmk,
    cloudRunSecretsByReference,
    cloudRunIngressBehindLoadBalancer,
    artifactRegistryImmutableAndCmk,
];

/** Runs every rule over a stack's resources. */
export function evaluate(
    resources: readonly StackResource[],
    options: RuleOptions,
    rules: readonly Rule[] = RULES,
): Violation[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    return rules.flatMap((rule): Violation[] => {
        if (rule.kind === "resource") {
            return resources.flatMap((r) =>
                rule.check(r.type, r.props, options).map((message) => ({
                    policy: rule.name,
                    enforcementLevel: rule.enforcementLevel,
                    message,
                    urn: r.urn,
                    type: r.type,
                    name: r.name,
                })),
            );
        }
        return rule.check(resources, options).map((v) => {
            const r = v.urn === undefined ? undefined : byUrn.get(v.urn);
            return {
                policy: rule.name,
                enforcementLevel: rule.enforcementLevel,
                message: v.message,
                urn: v.urn,
                type: r?.type,
                name: r?.name,
            };
        });
    });
}
