/**
 * Leaf validators for the config schema. Each one carries a phrase that reads after the offending
 * value, so an error line is `<key path>: <value> <phrase>`, e.g.
 * `aws.vpcCidr: "10.0.0.0/33" is not a valid IPv4 CIDR`.
 */
import { z } from "zod";
import { canonicalCidr, parseCidr } from "./cidr";
import {
    AWS_REGION_PATTERN,
    AWS_REGION_PREFIXES,
    GCP_REGION_PATTERN,
    GCP_REGION_PREFIXES,
    GCP_ZONE_PATTERN,
} from "./regions";

/** The message zod reports for a missing value. */
export const REQUIRED = "is required";

/**
 * Stands for the problem's key path in a message; `toProblems` replaces it with the path in
 * `--path` syntax (`aws.allowedAccountIds[0]`), which a rule does not know.
 */
export const PATH_TOKEN = "{path}";

/**
 * A value that passes `test`, reported with `phrase` when it does not (or `missing`, default
 * `is required`, when absent).
 */
export function rule<T>(phrase: string, test: (value: unknown) => boolean, missing = REQUIRED): z.ZodType<T> {
    // abort: false keeps the cross-field rules running, so every problem is reported in one pass.
    return z.custom<T>(test, { abort: false, error: (issue) => (issue.input === undefined ? missing : phrase) });
}

/** Pulumi stores `pulumi config set` values as strings unless `--path` parses them: accept both. */
function fromConfigText(value: unknown): unknown {
    if (typeof value !== "string") {
        return value;
    }
    if (/^-?\d+$/.test(value)) {
        return Number(value);
    }
    if (value === "true" || value === "false") {
        return value === "true";
    }
    return value;
}

export function integer(min: number, max: number = Number.MAX_SAFE_INTEGER) {
    const phrase =
        max === Number.MAX_SAFE_INTEGER ? `must be an integer >= ${min}` : `must be an integer from ${min} to ${max}`;
    return z.preprocess(
        fromConfigText,
        rule<number>(phrase, (v) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max),
    );
}

export function boolean() {
    return z.preprocess(
        fromConfigText,
        rule<boolean>("must be true or false", (v) => typeof v === "boolean"),
    );
}

/**
 * A string matching `pattern`; `what` names the expected form ("a DNS name"); `missing` is the
 * message when a required value is absent (default `is required`).
 */
export function text(pattern: RegExp, what: string, missing = REQUIRED) {
    return rule<string>(`is not ${what}`, (v) => typeof v === "string" && pattern.test(v), missing);
}

/** A 12-digit AWS account id. */
const ACCOUNT_ID = /^\d{12}$/;

/**
 * A 12-digit AWS account id, as text (or what `pattern` accepts, e.g. an AMI owner alias). YAML
 * and `pulumi config set --path` turn an id without a leading zero into a number (`123456789012`):
 * that is taken as the id. A shorter number is an id whose leading zeros YAML dropped (or read as
 * octal): it is refused with the fix, quoting.
 */
export function accountId(pattern: RegExp = ACCOUNT_ID, what = "a 12-digit AWS account id") {
    return z.preprocess(
        (v) => (Number.isInteger(v) && (v as number) >= 1e11 && (v as number) < 1e12 ? String(v) : v),
        z.custom<string>((v) => typeof v === "string" && pattern.test(v), {
            abort: false,
            error: (issue) => {
                if (issue.input === undefined) {
                    return REQUIRED;
                }
                if (typeof issue.input === "number") {
                    return (
                        "is a number, not a 12-digit account id: YAML reads an unquoted id as a number and drops " +
                        'its leading zeros. Quote the id, zeros included, in the stack file ("<12-digit id>"), or set it with ' +
                        `pulumi config set --path ${PATH_TOKEN} <12-digit id>`
                    );
                }
                return `is not ${what}`;
            },
        }),
    );
}

/**
 * A version string matching `pattern` (`8.4.8`). A number means YAML read an unquoted version
 * (`8.4`, and `8.10` as `8.1`): it is refused with the fix rather than guessed.
 */
export function version(pattern: RegExp, what: string) {
    return z.custom<string>((v) => typeof v === "string" && pattern.test(v), {
        abort: false,
        error: (issue) => {
            if (issue.input === undefined) {
                return REQUIRED;
            }
            if (typeof issue.input === "number") {
                const typed = Number.isInteger(issue.input) ? "<version>" : String(issue.input);
                return (
                    `is a number, not ${what}: YAML reads an unquoted version as a number (8.10 becomes 8.1). ` +
                    `Quote it in the stack file ("${typed}"), or set it with pulumi config set --path ${PATH_TOKEN} ${typed}`
                );
            }
            return `is not ${what}`;
        },
    });
}

/** An AWS region name; the prefixes are listed in regions.ts. */
export function awsRegion() {
    return text(
        AWS_REGION_PATTERN,
        `an AWS region name (e.g. us-east-1; known prefixes: ${AWS_REGION_PREFIXES.join(", ")})`,
    );
}

/** A Google Cloud region name; the prefixes are listed in regions.ts. */
export function gcpRegion() {
    return text(
        GCP_REGION_PATTERN,
        `a GCP region name (e.g. us-east1; known prefixes: ${GCP_REGION_PREFIXES.join(", ")})`,
    );
}

/** A Google Cloud zone name (a region and a letter). */
export function gcpZone() {
    return text(GCP_ZONE_PATTERN, "a GCP zone name (<region>-<letter>, e.g. us-east1-b)");
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
    return z.enum(values, {
        error: (issue) =>
            issue.input === undefined ? REQUIRED : `must be one of ${values.map((v) => `"${v}"`).join(", ")}`,
    });
}

/** An IPv4 CIDR in canonical form whose prefix lies in [minPrefix, maxPrefix]. */
export function cidr(minPrefix = 0, maxPrefix = 32) {
    return z
        .string({ error: (issue) => (issue.input === undefined ? REQUIRED : "is not a valid IPv4 CIDR") })
        .superRefine((value, ctx) => {
            const parsed = parseCidr(value);
            if (!parsed) {
                ctx.addIssue({ code: "custom", message: "is not a valid IPv4 CIDR", input: value });
            } else if (canonicalCidr(parsed) !== value) {
                ctx.addIssue({
                    code: "custom",
                    message: `has host bits set (the network is ${canonicalCidr(parsed)})`,
                    input: value,
                });
            } else if (parsed.prefix < minPrefix || parsed.prefix > maxPrefix) {
                ctx.addIssue({
                    code: "custom",
                    message: `must be a block from /${minPrefix} to /${maxPrefix}`,
                    input: value,
                });
            }
        });
}

/** Patterns shared by the schema and its tests. */
export const patterns = {
    environment: /^[a-z][a-z0-9-]{0,14}[a-z0-9]$/,
    dnsName: /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    awsRegion: AWS_REGION_PATTERN,
    awsInstanceType: /^[a-z][a-z0-9-]*\.[a-z0-9]+$/,
    awsDbInstanceClass: /^db\.[a-z][a-z0-9-]*\.[a-z0-9]+$/,
    awsAmiId: /^ami-[0-9a-f]{8,17}$/,
    awsAccountOrAlias: /^(self|amazon|aws-marketplace|\d{12})$/,
    awsAccountId: ACCOUNT_ID,
    awsProfile: /^[A-Za-z0-9_.@+=,-]{1,64}$/,
    /** An ACM certificate ARN; group 1 is its region. */
    awsAcmArn: new RegExp(
        `^arn:aws[a-z-]*:acm:(${AWS_REGION_PATTERN.source.slice(1, -1)}):\\d{12}:certificate/[0-9a-f-]{36}$`,
    ),
    gcpProject: /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
    gcpRegion: GCP_REGION_PATTERN,
    gcpZone: GCP_ZONE_PATTERN,
    gcpMachineType: /^[a-z][a-z0-9]*-[a-z0-9-]+$/,
    gcpDbTier: /^db-[a-z0-9-]+$/,
    gcpImageName: /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/,
    imageNamePrefix: /^[A-Za-z0-9()[\]./\-'@_ ]{1,128}$/,
    email: /^[^\s@<>]+@([a-z0-9-]+\.)+[a-z]{2,63}$/i,
    httpsUrl: /^https:\/\/[a-z0-9.-]+(:\d+)?$/,
    urlPath: /^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/,
    unixName: /^[a-z_][a-z0-9_-]{0,31}$/,
    absolutePath: /^(\/[A-Za-z0-9._-]+)+$/,
    dbIdentifier: /^[a-zA-Z][a-zA-Z0-9_]{0,15}$/,
    /** A container image with a tag or a digest: `[registry[:port]/]repository[:tag|@sha256:digest]`. */
    containerImage:
        /^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+|\/)[a-z0-9]+)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$/,
} as const;
