/**
 * The scanner's findings that are known and still to be fixed in the program, per stack, with what
 * fixes each. `npm run scan` fails on a finding that is neither here nor a design exception
 * (exceptions.ts), and on an entry here that the scan no longer reports: each fix removes its
 * entries, and the list ends empty.
 */

export interface KnownFinding {
    /** The Checkov check ID. */
    readonly check: string;
    /** What fixes it in the program. */
    readonly fix: string;
    /** Stack name -> the Terraform addresses that fail the check today. */
    readonly stacks: Readonly<Record<string, readonly string[]>>;
}

export const KNOWN_FINDINGS: readonly KnownFinding[] = [
    // aws.dr.region, set in prod only: the replica promotion function in the DR region.
    {
        check: "CKV_AWS_173",
        fix: "The promotion function's environment is encrypted with a DR-region key of its own (kmsKeyArn; kms:Decrypt through Lambda for its role).",
        stacks: { prod: ["aws_lambda_function.prod-dr-promotion"] },
    },
    {
        check: "CKV_AWS_272",
        fix: "The promotion function is deployed from a signed bundle with a code-signing config, as the e-mail function is: an artifacts bucket, signing profile and signing job in the DR region.",
        stacks: { prod: ["aws_lambda_function.prod-dr-promotion"] },
    },
    {
        check: "CKV_AWS_50",
        fix: "The promotion function traces with X-Ray (tracingConfig Active; xray:PutTraceSegments and xray:PutTelemetryRecords for its role).",
        stacks: { prod: ["aws_lambda_function.prod-dr-promotion"] },
    },
];
