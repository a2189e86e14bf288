/**
 * Who read or wrote what: outside dev, buckets keep server access (usage) logs and load balancers
 * access logs, into a log bucket that is not itself logged.
 */
import { enforcement } from "./enforcement";
import { AWS, GCP } from "./tokens";
import type { StackResource, StackRule, StackViolation } from "./types";
import { isSet, isTrue, obj, referrers } from "./values";

/** The values another resource may hold to name this bucket. */
function bucketNames(bucket: StackResource): unknown[] {
    return [bucket.props.id, bucket.props.bucket, bucket.props.name];
}

/** Whether `r.props[property]` (or a field of it) names `bucket`, by dependency or by value. */
function names(r: StackResource, property: string, value: unknown, bucket: StackResource): boolean {
    const known = bucketNames(bucket).filter((v) => typeof v === "string" && v !== "");
    return (r.propertyDependencies[property] ?? []).includes(bucket.urn) || known.includes(value);
}

const S3_BUCKETS: readonly string[] = [AWS.s3Bucket, AWS.s3BucketV2];
const S3_LOGGING: readonly string[] = [AWS.s3Logging, AWS.s3LoggingV2];
const LOAD_BALANCERS: readonly string[] = [AWS.loadBalancer, AWS.albLoadBalancer];
const BACKEND_SERVICES: readonly string[] = [GCP.backendService, GCP.regionBackendService];

/**
 * The S3 buckets a load balancer delivers its access logs to (their URNs). ELB log delivery writes
 * only to buckets encrypted with SSE-S3, which `storage-encrypted-with-cmk` accepts for them alone.
 */
export function loadBalancerLogBuckets(resources: readonly StackResource[]): Set<string> {
    const lbs = resources.filter((r) => LOAD_BALANCERS.includes(r.type) && isTrue(obj(r.props.accessLogs)?.enabled));
    return new Set(
        resources
            .filter((b) => S3_BUCKETS.includes(b.type))
            .filter((b) => lbs.some((lb) => names(lb, "accessLogs", obj(lb.props.accessLogs)?.bucket, b)))
            .map((b) => b.urn),
    );
}

/**
 * The S3 buckets that may use SSE-S3 instead of a customer-managed key: those a load balancer
 * delivers access logs to, and those S3 delivers server access logs to (a target bucket with
 * SSE-KMS default encryption receives no server access logs; S3 supports SSE-S3 only there).
 */
export function sseS3LogBuckets(resources: readonly StackResource[]): Set<string> {
    const found = loadBalancerLogBuckets(resources);
    const logging = resources.filter((r) => S3_LOGGING.includes(r.type));
    for (const bucket of resources.filter((b) => S3_BUCKETS.includes(b.type))) {
        if (logging.some((r) => names(r, "targetBucket", r.props.targetBucket, bucket))) {
            found.add(bucket.urn);
        }
    }
    return found;
}

/** Buckets that receive logs: a logging configuration's target, a load balancer's access log bucket, a GCS log bucket. */
function logBuckets(resources: readonly StackResource[]): Set<string> {
    const targets = new Set<string>();
    const buckets = resources.filter((r) => S3_BUCKETS.includes(r.type) || r.type === GCP.bucket);
    for (const bucket of buckets) {
        const receives = resources.some(
            (r) =>
                (S3_LOGGING.includes(r.type) && names(r, "targetBucket", r.props.targetBucket, bucket)) ||
                (S3_BUCKETS.includes(r.type) && names(r, "logging", obj(r.props.logging)?.targetBucket, bucket)) ||
                (LOAD_BALANCERS.includes(r.type) && names(r, "accessLogs", obj(r.props.accessLogs)?.bucket, bucket)) ||
                (r.type === GCP.bucket && r !== bucket && names(r, "logging", obj(r.props.logging)?.logBucket, bucket)),
        );
        if (receives) {
            targets.add(bucket.urn);
        }
    }
    return targets;
}

function s3Logged(bucket: StackResource, resources: readonly StackResource[]): boolean {
    return (
        isSet(obj(bucket.props.logging)?.targetBucket) ||
        referrers(resources, S3_LOGGING, "bucket", bucket, bucketNames(bucket)).length > 0
    );
}

/** Application and network load balancers; gateway load balancers have no access logs. */
function hasAccessLogs(lb: StackResource): boolean {
    const logs = obj(lb.props.accessLogs);
    return lb.props.loadBalancerType === "gateway" || (isTrue(logs?.enabled) && isSet(logs?.bucket));
}

/** External backend services of a Google Cloud load balancer log requests with logConfig.enable. */
function backendLogged(service: StackResource): boolean {
    const scheme = String(service.props.loadBalancingScheme ?? "EXTERNAL");
    return !scheme.startsWith("EXTERNAL") || isTrue(obj(service.props.logConfig)?.enable);
}

export const accessLoggingOutsideDev: StackRule = {
    kind: "stack",
    name: "access-logging-outside-dev",
    description:
        "Outside dev, buckets keep server access or usage logs and load balancers access logs (log buckets " +
        "themselves excepted).",
    enforcementLevel: enforcement("access-logging-outside-dev"),
    remediation:
        "S3: an aws.s3.BucketLogging into the log bucket. ALB: accessLogs { bucket, enabled: true }. " +
        "GCS: logging.logBucket. Google Cloud backend services: logConfig.enable.",
    check: (resources, options) => {
        if (options.environment === "dev") {
            return [];
        }
        const receivers = logBuckets(resources);
        const env = options.environment;
        return resources.flatMap((r): StackViolation[] => {
            if (receivers.has(r.urn)) {
                return [];
            }
            if (S3_BUCKETS.includes(r.type) && !s3Logged(r, resources)) {
                return [{ urn: r.urn, message: `bucket ${r.name} has no server access logging in ${env}` }];
            }
            if (r.type === GCP.bucket && !isSet(obj(r.props.logging)?.logBucket)) {
                return [{ urn: r.urn, message: `bucket ${r.name} has no usage logs (logging.logBucket) in ${env}` }];
            }
            if (LOAD_BALANCERS.includes(r.type) && !hasAccessLogs(r)) {
                return [{ urn: r.urn, message: `load balancer ${r.name} has no access logs in ${env}` }];
            }
            if (BACKEND_SERVICES.includes(r.type) && !backendLogged(r)) {
                return [{ urn: r.urn, message: `backend service ${r.name} does not log requests in ${env}` }];
            }
            return [];
        });
    },
};
