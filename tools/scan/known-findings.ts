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

/** Empty: every finding the scan reports is fixed or a design exception (the DR promotion function's were the last). */
export const KNOWN_FINDINGS: readonly KnownFinding[] = [];
