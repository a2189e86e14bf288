/**
 * Leaf validators for the config schema. Each one carries a phrase that reads after the offending
 * value, so an error line is `<key path>: <value> <phrase>`, e.g.
 * `aws.vpcCidr: "10.0.0.0/33" is not a valid IPv4 CIDR`.
 */
import { z } from "zod";
import { canonicalCidr, parseCidr } from "./cidr";

/** The message zod reports for a missing value. */
export const REQUIRED = "is required";

/** A value that passes `test`, reported with `phrase` when it does not (or `is required` when absent). */
export function rule<T>(phrase: string, test: (value: unknown) => boolean): z.ZodType<T> {
    // abort: false keeps the cross-field rules running, so every problem is reported in one pass.
    return z.custom<T>(test, { abort: false, error: (issue) => (issue.input === undefined ? REQUIRED : phrase) });
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

/** A string matching `pattern`; `what` names the expected form ("a DNS name"). */
export function text(pattern: RegExp, what: string) {
    return rule<string>(`is not ${what}`, (v) => typeof v === "string" && pattern.test(v));
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
    awsRegion: /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/,
    awsInstanceType: /^[a-z][a-z0-9-]*\.[a-z0-9]+$/,
    awsDbInstanceClass: /^db\.[a-z][a-z0-9-]*\.[a-z0-9]+$/,
    awsAmiId: /^ami-[0-9a-f]{8,17}$/,
    awsAccountOrAlias: /^(self|amazon|aws-marketplace|\d{12})$/,
    awsAcmArn: /^arn:aws[a-z-]*:acm:([a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d):\d{12}:certificate\/[0-9a-f-]{36}$/,
    mysql8Version: /^8\.\d+(\.\d+)?$/,
    gcpProject: /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
    gcpRegion: /^[a-z]+-[a-z]+\d+$/,
    gcpZone: /^[a-z]+-[a-z]+\d+-[a-z]$/,
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
} as const;
