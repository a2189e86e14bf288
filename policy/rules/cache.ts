/**
 * Caches hold session and application data: encrypted at rest with a customer-managed key, TLS
 * required in transit, and no connection without authentication.
 */
import { AWS, GCP } from "./tokens";
import type { ResourceRule } from "./types";
import { byType, isSet, isTrue, isUnknown, list, problems } from "./values";

export const cacheEncryptedWithAuth: ResourceRule = {
    kind: "resource",
    name: "cache-encrypted-with-auth",
    description: "Caches are encrypted at rest with a customer-managed key and in transit, and require AUTH.",
    enforcementLevel: "mandatory",
    remediation:
        "ElastiCache: atRestEncryptionEnabled true with kmsKeyId, transitEncryptionEnabled true (mode required) and " +
        "an authToken (or user groups). Memorystore: authEnabled true, transitEncryptionMode SERVER_AUTHENTICATION " +
        "and customerManagedKey.",
    check: byType({
        [AWS.cacheReplicationGroup]: (p) =>
            problems(
                !isTrue(p.atRestEncryptionEnabled) && "atRestEncryptionEnabled is not true",
                !isSet(p.kmsKeyId) && "kmsKeyId is not set: data at rest would use the AWS-managed key",
                !isTrue(p.transitEncryptionEnabled) && "transitEncryptionEnabled is not true",
                p.transitEncryptionMode === "preferred" &&
                    'transitEncryptionMode is "preferred": clients could still connect without TLS; use "required"',
                !isSet(p.authToken) &&
                    list(p.userGroupIds).length === 0 &&
                    "neither authToken nor userGroupIds is set: any client in the network could connect",
            ),
        [GCP.redisInstance]: (p) =>
            problems(
                !(p.authEnabled === true || isUnknown(p.authEnabled)) && "authEnabled is not true",
                !(p.transitEncryptionMode === "SERVER_AUTHENTICATION" || isUnknown(p.transitEncryptionMode)) &&
                    `transitEncryptionMode is ${JSON.stringify(p.transitEncryptionMode)}: use SERVER_AUTHENTICATION`,
                !isSet(p.customerManagedKey) && "customerManagedKey is not set: data would use a Google-managed key",
            ),
    }),
};
