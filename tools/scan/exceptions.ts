/**
 * The scanner's findings that this program accepts by design, each with its reason. A finding that
 * matches an entry is reported as accepted (with the reason) and never fails the scan; README's
 * security section lists the same entries. Keep each entry as narrow as the reason.
 */
import type { RenderedResource } from "./render";

/**
 * Where an exception holds: in every stack, or only in environments without production-like
 * protections (`isProduction` false: dev).
 */
export type ExceptionScope = "every stack" | "dev only";

export interface DesignException {
    /** The Checkov check ID. */
    readonly check: string;
    /** Terraform addresses it covers; `*` matches any run of characters (`aws_db_instance.*`). */
    readonly resources: string;
    /** Further condition on the matched resource (what the reason relies on), given the whole rendering. */
    readonly where?: (resource: RenderedResource, all: readonly RenderedResource[]) => boolean;
    readonly scope: ExceptionScope;
    /** Why the finding is accepted: what the check wants, and why this program does otherwise. */
    readonly reason: string;
}

/** True when `address` matches `pattern`, where `*` stands for any run of characters. */
export function matchesAddress(pattern: string, address: string): boolean {
    const regex = new RegExp(`^${pattern.split("*").map(escapeRegex).join(".*")}$`);
    return regex.test(address);
}

function escapeRegex(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The Terraform addresses an expression references (`aws_lambda_function.x.arn` -> `aws_lambda_function.x`). */
function referencedAddresses(expression: unknown): string[] {
    if (Array.isArray(expression)) {
        return expression.flatMap(referencedAddresses);
    }
    if (expression !== null && typeof expression === "object") {
        const refs = (expression as { references?: unknown }).references;
        if (Array.isArray(refs)) {
            return refs
                .filter((r): r is string => typeof r === "string")
                .map((r) => r.split(".").slice(0, 2).join("."));
        }
        return Object.values(expression).flatMap(referencedAddresses);
    }
    return [];
}

/** A block's first element (Terraform holds single blocks as one-element lists). */
function first(value: unknown): Record<string, unknown> | undefined {
    const item = Array.isArray(value) ? value[0] : value;
    return item !== null && typeof item === "object" ? (item as Record<string, unknown>) : undefined;
}

/** The function has an asynchronous-invocation config whose failures go to a destination. */
function failuresGoToADestination(fn: RenderedResource, all: readonly RenderedResource[]): boolean {
    return all.some(
        (r) =>
            r.tfType === "aws_lambda_function_event_invoke_config" &&
            referencedAddresses(r.expressions.function_name).includes(fn.address) &&
            first(first(r.values.destination_config)?.on_failure) !== undefined,
    );
}

/** The rule admits a security group only: no CIDR, no prefix list, a referenced security group. */
function admitsASecurityGroupOnly(rule: RenderedResource): boolean {
    const v = rule.values;
    const referencesAGroup =
        typeof v.referenced_security_group_id === "string" ||
        referencedAddresses(rule.expressions.referenced_security_group_id).length > 0;
    return referencesAGroup && v.cidr_ipv4 === undefined && v.cidr_ipv6 === undefined && v.prefix_list_id === undefined;
}

/** A load balancer of the rendering delivers its access logs to the bucket. */
function receivesLoadBalancerLogs(bucket: RenderedResource, all: readonly RenderedResource[]): boolean {
    return all.some(
        (r) =>
            (r.tfType === "aws_lb" || r.tfType === "aws_alb") &&
            referencedAddresses(r.expressions.access_logs).includes(bucket.address),
    );
}

/** A bucket's logging configuration of the rendering names this bucket as its target. */
function receivesServerAccessLogs(bucket: RenderedResource, all: readonly RenderedResource[]): boolean {
    return all.some(
        (r) =>
            r.tfType === "aws_s3_bucket_logging" &&
            referencedAddresses(r.expressions.target_bucket).includes(bucket.address),
    );
}

/** Another bucket of the rendering delivers its usage logs to this Cloud Storage bucket. */
function receivesUsageLogs(bucket: RenderedResource, all: readonly RenderedResource[]): boolean {
    return all.some(
        (r) =>
            r.tfType === "google_storage_bucket" &&
            r !== bucket &&
            referencedAddresses(r.expressions.logging).includes(bucket.address),
    );
}

/** A distribution (the CDN) is in front of the load balancers of the rendering, with a web ACL of its own. */
function behindCdn(_lb: RenderedResource, all: readonly RenderedResource[]): boolean {
    return all.some(
        (r) => r.tfType === "aws_cloudfront_distribution" && referencedAddresses(r.expressions.web_acl_id).length > 0,
    );
}

/** An HTTPS listener's rule (the CDN's origin-header rule) forwards to this target group. */
function forwardedByHttpsListenerRule(tg: RenderedResource, all: readonly RenderedResource[]): boolean {
    return all.some(
        (rule) =>
            rule.tfType === "aws_lb_listener_rule" &&
            referencedAddresses(rule.expressions.action).includes(tg.address) &&
            all.some(
                (l) =>
                    l.tfType === "aws_lb_listener" &&
                    l.values.protocol === "HTTPS" &&
                    referencedAddresses(rule.expressions.listener_arn).includes(l.address),
            ),
    );
}

/** The distribution's web ACL (`web_acl_id`) runs AWS's known-bad-inputs group, which holds the Log4j rules. */
function distributionRunsKnownBadInputs(d: RenderedResource, all: readonly RenderedResource[]): boolean {
    const acls = referencedAddresses(d.expressions.web_acl_id);
    return all.some(
        (r) =>
            r.tfType === "aws_wafv2_web_acl" &&
            acls.includes(r.address) &&
            JSON.stringify(r.values.rule ?? []).includes('"AWSManagedRulesKnownBadInputsRuleSet"'),
    );
}

/** A CloudWatch Logs delivery source takes the distribution's access logs (standard logging v2). */
function deliversAccessLogs(d: RenderedResource, all: readonly RenderedResource[]): boolean {
    return all.some(
        (r) =>
            r.tfType === "aws_cloudwatch_log_delivery_source" &&
            r.values.log_type === "ACCESS_LOGS" &&
            referencedAddresses(r.expressions.resource_arn).includes(d.address),
    );
}

/** The web ACL on the load balancer runs AWS's known-bad-inputs group, which holds the Log4j rules. */
function runsKnownBadInputs(lb: RenderedResource, all: readonly RenderedResource[]): boolean {
    return all.some(
        (r) =>
            r.tfType === "aws_wafv2_web_acl" &&
            JSON.stringify(r.values.rule ?? []).includes('"AWSManagedRulesKnownBadInputsRuleSet"') &&
            all.some(
                (a) =>
                    a.tfType === "aws_wafv2_web_acl_association" &&
                    referencedAddresses(a.expressions.resource_arn).includes(lb.address) &&
                    referencedAddresses(a.expressions.web_acl_arn).includes(r.address),
            ),
    );
}

/** Names, ARNs, URLs and addresses only: every environment variable of the function is one of these. */
const NOT_A_SECRET = [
    /^arn:[a-z-]+:[a-z0-9-]+:/,
    /^https:\/\/[^\s]+$/,
    /^[a-z0-9.-]+\.[a-z]{2,}$/,
    /^[^@\s]+@[a-z0-9.-]+$/,
];

/** The function's environment holds no secret: each value is an ARN, an https URL, a DNS name or an e-mail address. */
function environmentHoldsNoSecret(fn: RenderedResource): boolean {
    const variables = first(fn.values.environment)?.variables;
    if (variables === null || typeof variables !== "object") {
        return false;
    }
    const values = Object.values(variables as Record<string, unknown>);
    return values.length > 0 && values.every((v) => typeof v === "string" && NOT_A_SECRET.some((re) => re.test(v)));
}

/** The record's values are addresses of a Google Cloud load balancer (the other cloud of a multi-cloud stack). */
function pointsAtGoogleCloud(record: RenderedResource): boolean {
    const refs = referencedAddresses(record.expressions.records);
    return refs.length > 0 && refs.every((a) => a.startsWith("google_compute_global_address."));
}

export const DESIGN_EXCEPTIONS: readonly DesignException[] = [
    {
        check: "CKV_AWS_260",
        resources: "aws_vpc_security_group_ingress_rule.*-compute-alb-in-80",
        scope: "every stack",
        reason:
            "The load balancer listens on port 80 only to answer every request with a 301 redirect to HTTPS; " +
            "nothing is forwarded to the instances on port 80.",
    },
    {
        check: "CKV_AWS_260",
        resources: "aws_vpc_security_group_ingress_rule.*",
        where: admitsASecurityGroupOnly,
        scope: "every stack",
        reason:
            "The rule admits one security group and no CIDR (the instances' app port, from the load balancer's " +
            "group); the check reads only CIDRs and source_security_group_id, so it takes a rule with only " +
            "referenced_security_group_id for one open to the world.",
    },
    {
        check: "CKV_GCP_6",
        resources: "google_sql_database_instance.*",
        scope: "every stack",
        reason:
            "Cloud SQL requires TLS (ssl_mode ENCRYPTED_ONLY) without client certificates: the instance has a " +
            "private IP only, and client certificates would have to be issued, rotated and shipped to every VM.",
    },
    {
        check: "CKV_GCP_79",
        resources: "google_sql_database_instance.*",
        // The primary and its DR replica (gcp.dr.region) on PostgreSQL 16; a MySQL instance is not excused.
        where: (instance) => instance.values.database_version === "POSTGRES_16",
        scope: "every stack",
        reason:
            "The platform runs PostgreSQL 16 on both clouds (RDS and Cloud SQL alike), the major version the " +
            "application is built and tested against; a new major version is a deliberate upgrade of both, " +
            "not a default that moves under a running application.",
    },
    {
        check: "CKV_AWS_45",
        resources: "aws_lambda_function.*-messaging-function",
        where: environmentHoldsNoSecret,
        scope: "every stack",
        reason:
            "The environment holds names, ARNs and URLs only (the check's entropy scan takes the Mailgun secret's " +
            "ARN, whose name ends in a random suffix, for a key); the function reads the key itself from Secrets " +
            "Manager at cold start.",
    },
    {
        check: "CKV_AWS_115",
        resources: "aws_lambda_function.*",
        scope: "every stack",
        reason:
            "Reserved concurrency is left unset: a new account's concurrency quota is 10, all of which AWS " +
            "keeps unreserved, so reserving any of it fails the deployment.",
    },
    {
        check: "CKV_AWS_116",
        resources: "aws_lambda_function.*",
        where: failuresGoToADestination,
        scope: "every stack",
        reason:
            "Failed asynchronous invocations go to the SQS dead-letter queue through the function's " +
            "event-invoke config (on-failure destination), which records the error with the event; the " +
            "check only knows the older dead_letter_config.",
    },
    {
        check: "CKV_AWS_117",
        resources: "aws_lambda_function.*-dr-promotion",
        scope: "every stack",
        reason:
            "The replica promotion function calls AWS APIs only (RDS, SNS) and runs outside any VPC on purpose: " +
            "it must work when the network of either region does not, and it needs no NAT or endpoints.",
    },
    {
        check: "CKV_AWS_161",
        resources: "aws_db_instance.*",
        scope: "every stack",
        reason:
            "The application signs in with the master password RDS manages and rotates, which it reads from " +
            "Secrets Manager; IAM database authentication would need it to mint a 15-minute token per " +
            "connection and caps the connection rate.",
    },
    {
        check: "CKV_AWS_226",
        resources: "aws_db_instance.*",
        scope: "every stack",
        reason:
            "The engine version is pinned in config (aws.db.engineVersion); automatic minor upgrades would " +
            "move the instance past the declared version, and the next deployment would try to go back.",
    },
    {
        check: "CKV_AWS_157",
        resources: "aws_db_instance.*",
        scope: "every stack",
        reason: "Multi-AZ is aws.db.multiAz, off by default: a standby doubles the database's cost.",
    },
    {
        check: "CKV_AWS_144",
        resources: "aws_s3_bucket.*",
        where: (_bucket, all) => !all.some((r) => r.tfType === "aws_s3_bucket_replication_configuration"),
        scope: "every stack",
        reason:
            "Cross-region replication needs a second region: it comes with a disaster-recovery region " +
            "(aws.dr.region), which this stack does not configure.",
    },
    {
        check: "CKV_AWS_144",
        resources: "aws_s3_bucket.*-access-logs-bucket",
        scope: "every stack",
        reason:
            "An access-log bucket records requests to the buckets of its own region; the DR region has its own " +
            "(S3 delivers server access logs only within a region), and a copy of the primary's logs would not " +
            "help the DR region serve.",
    },
    {
        check: "CKV_AWS_144",
        resources: "aws_s3_bucket.*-messaging-artifacts-bucket",
        scope: "every stack",
        reason:
            "The function-bundle bucket holds the e-mail function's code, bundled from the sources and signed " +
            "at every deployment; a deployment in another region builds its own.",
    },
    {
        check: "CKV_AWS_144",
        resources: "aws_s3_bucket.*-dr-promotion-artifacts-bucket",
        scope: "every stack",
        reason:
            "The promotion function's bundle bucket is in the DR region already, beside the function it " +
            "deploys; it holds code bundled from the sources and signed at every deployment, which a copy back " +
            "in the primary region would not serve.",
    },
    {
        check: "CKV_AWS_144",
        resources: "aws_s3_bucket.*-audit-logs-bucket",
        scope: "every stack",
        reason:
            "The trail's log bucket (features.auditLogs) stays in the primary region: the trail is multi-region, " +
            "CloudTrail keeps 90 days of management events in each region's event history, and a copy would " +
            "need its own trail key in the DR region.",
    },
    {
        check: "CKV_AWS_144",
        resources: "aws_s3_bucket.*-governance-config-bucket",
        scope: "every stack",
        reason:
            "AWS Config's delivery bucket (features.governance) holds the snapshots and history of the primary " +
            "region's recorder; Config records each region by a recorder of its own, so a copy in the DR region " +
            "would describe resources that are not there.",
    },
    {
        check: "CKV2_AWS_3",
        resources: "aws_guardduty_detector.*-audit-guardduty",
        scope: "every stack",
        reason:
            "The check wants GuardDuty turned on for the whole organization (aws_guardduty_organization_configuration), " +
            "which only the organization's GuardDuty administrator account can set; a stack deploys into a member " +
            "account, where the detector covers that account in the stack's region (features.auditLogs is documented " +
            "as off where the organization runs GuardDuty centrally).",
    },
    {
        check: "CKV2_AWS_62",
        resources: "aws_s3_bucket.*",
        scope: "every stack",
        reason:
            "Nothing consumes object events: the application reads back only what it wrote, so a " +
            "notification target would have no reader.",
    },
    {
        check: "CKV_AWS_145",
        resources: "aws_s3_bucket.*",
        where: receivesLoadBalancerLogs,
        scope: "every stack",
        reason:
            "The access-log bucket receives the load balancer's access logs, and Elastic Load Balancing delivers " +
            "only to buckets encrypted with SSE-S3 (a KMS default would drop every log file); it holds logs only, " +
            "is private and admits the log-delivery principals alone.",
    },
    {
        check: "CKV_AWS_145",
        resources: "aws_s3_bucket.*",
        where: receivesServerAccessLogs,
        scope: "every stack",
        reason:
            "The bucket receives S3 server access logs, which S3 delivers only to target buckets with SSE-S3 " +
            "default encryption (a KMS default would drop the logs); it holds logs only, is private and admits " +
            "the S3 logging principal alone.",
    },
    {
        check: "CKV_GCP_62",
        resources: "google_storage_bucket.*",
        where: receivesUsageLogs,
        scope: "every stack",
        reason:
            "The log bucket receives the other buckets' usage logs; logging it too would log the log " +
            "deliveries themselves. It is private, versioned, and only Cloud Storage's analytics group may write.",
    },
    {
        check: "CKV2_AWS_76",
        resources: "aws_lb.*",
        where: runsKnownBadInputs,
        scope: "every stack",
        reason:
            "The load balancer's web ACL runs AWSManagedRulesKnownBadInputsRuleSet, which holds the Log4j " +
            "(Log4JRCE) rules; the check also wants AWSManagedRulesAnonymousIpList, which blocks VPN, Tor and " +
            "hosting-provider addresses, where the API's users may legitimately be.",
    },
    {
        check: "CKV2_AWS_57",
        resources: "aws_secretsmanager_secret.*-db-credentials",
        scope: "every stack",
        reason:
            "The connection document (engine, host, port, database name and the ARN of the credentials " +
            "secret) holds no credential. The password is in the secret RDS manages for the instance, " +
            "which RDS rotates every aws.db.passwordRotationDays.",
    },
    {
        check: "CKV2_AWS_57",
        resources: "aws_secretsmanager_secret.*-mailgun-api-key",
        scope: "every stack",
        reason:
            "The Mailgun API key is issued by Mailgun; Secrets Manager cannot rotate it. It is replaced by " +
            "setting the secret config value again.",
    },
    {
        check: "CKV2_AWS_57",
        resources: "aws_secretsmanager_secret.*-cache-auth-token",
        scope: "every stack",
        reason:
            "The cache's AUTH token is generated by the program and set on the replication group in the " +
            "same deployment; a Secrets Manager rotation function would change the secret without the " +
            "cache. It is rotated by replacing the generated token (README, the cache section): the " +
            "cache accepts the old and the new token during the rotation and the instances re-read it.",
    },
    {
        check: "CKV2_AWS_23",
        resources: "aws_route53_record.*",
        where: pointsAtGoogleCloud,
        scope: "every stack",
        reason:
            "The record points at the Google Cloud load balancer's global address (the other cloud of the " +
            "stack), which the check cannot see as an attached AWS resource.",
    },
    {
        check: "CKV_AWS_150",
        resources: "aws_lb.*",
        scope: "dev only",
        reason: "Deletion protection is on outside dev; dev stacks are created and destroyed freely.",
    },
    {
        check: "CKV_AWS_293",
        resources: "aws_db_instance.*",
        scope: "dev only",
        reason: "Deletion protection is aws.db.deletionProtection, off in dev (created and destroyed freely), on elsewhere.",
    },
    {
        check: "CKV_AWS_338",
        resources: "aws_cloudwatch_log_group.*",
        scope: "dev only",
        reason: "Dev keeps logs for aws.logRetentionDays (30 days unless set); a year of dev logs is cost without use.",
    },
    {
        check: "CKV2_AWS_28",
        resources: "aws_lb.*",
        where: behindCdn,
        scope: "every stack",
        reason:
            "Behind the CDN (features.cdn) the web ACL is CloudFront's, with the same managed rules and per-IP " +
            "rate limit; the load balancer admits only CloudFront's origin-facing prefix list and answers 403 " +
            "to requests without the secret origin header, and a regional ACL there would rate-limit CloudFront.",
    },
    {
        check: "CKV_AWS_378",
        resources: "aws_lb_target_group.*",
        where: forwardedByHttpsListenerRule,
        scope: "every stack",
        reason:
            "Behind the CDN the HTTPS listener forwards to the target group through its origin-header rule, " +
            "which the check does not follow; TLS ends at the load balancer and the hop to the targets stays " +
            "inside the VPC, as without the CDN.",
    },
    {
        check: "CKV2_AWS_47",
        resources: "aws_cloudfront_distribution.*",
        where: distributionRunsKnownBadInputs,
        scope: "every stack",
        reason:
            "The distribution's web ACL runs AWSManagedRulesKnownBadInputsRuleSet, which holds the Log4j " +
            "(Log4JRCE) rules; the check also wants AWSManagedRulesAnonymousIpList, which blocks VPN, Tor and " +
            "hosting-provider addresses, where the API's users may legitimately be.",
    },
    {
        check: "CKV_AWS_86",
        resources: "aws_cloudfront_distribution.*",
        where: deliversAccessLogs,
        scope: "every stack",
        reason:
            "Access logs go to the log bucket through CloudWatch Logs delivery (CloudFront's standard logging " +
            "v2: a delivery source, destination and delivery); the check knows only the legacy logging_config, " +
            "which needs ACLs on a bucket whose ownership is enforced.",
    },
    {
        check: "CKV2_AWS_32",
        resources: "aws_cloudfront_distribution.*",
        where: (d) =>
            JSON.stringify(d.values.default_cache_behavior ?? []).includes(
                '"response_headers_policy_id":"67f7725c-6f97-4210-82d7-5512b31e9d03"',
            ),
        scope: "every stack",
        reason:
            "The behaviour attaches AWS's managed SecurityHeadersPolicy (HSTS, nosniff, frame options, " +
            "referrer policy) by its ID; the check counts only a policy resource or data source of the stack.",
    },
    {
        check: "CKV_AWS_305",
        resources: "aws_cloudfront_distribution.*",
        scope: "every stack",
        reason:
            "The distribution serves the API, which has no index document: a default root object would rewrite " +
            "requests for / to a file that does not exist.",
    },
    {
        check: "CKV_AWS_310",
        resources: "aws_cloudfront_distribution.*",
        scope: "every stack",
        reason:
            "The only origin is the load balancer, across the stack's availability zones; a second origin " +
            "would be a standby deployment, which the DNS failover (features.dnsFailover) covers at the apex.",
    },
    {
        check: "CKV_AWS_374",
        resources: "aws_cloudfront_distribution.*",
        scope: "every stack",
        reason:
            "The API serves users wherever they are; a geographic allow or deny list is a business decision " +
            "the program leaves to the operator (the web ACL blocks by reputation and rate instead).",
    },
    {
        check: "CKV2_AWS_57",
        resources: "aws_secretsmanager_secret.*-cdn-origin-header",
        scope: "every stack",
        reason:
            "The origin header value is generated by the program and must change in CloudFront and the load " +
            "balancer's rule together, which a rotation function cannot do; it is rotated by changing " +
            "aws.cdn.originSecretGeneration and deploying.",
    },
    {
        check: "CKV2_AWS_28",
        resources: "aws_lb.*",
        scope: "dev only",
        reason: "WAF is features.waf, off in dev by default (its web ACL and rules cost per month).",
    },
];
