/**
 * Sorts the scanner's failed checks of one stack: accepted by a design exception (with its reason),
 * known and to be fixed (listed in known-findings.ts, with the fix), or new. A known finding that the
 * scan no longer reports is stale: the list must shrink with each fix.
 */
import { isProduction } from "../../config";
import type { CheckResult } from "./checkov";
import { matchesAddress, type DesignException } from "./exceptions";
import type { KnownFinding } from "./known-findings";
import type { RenderedResource } from "./render";

export interface StackScope {
    readonly stack: string;
    readonly environment: string;
}

export interface Finding extends CheckResult {
    /** The Pulumi logical name and type of the resource. */
    readonly pulumiName?: string;
    readonly pulumiType?: string;
}

export interface AcceptedFinding extends Finding {
    readonly reason: string;
}

export interface KnownOpenFinding extends Finding {
    readonly fix: string;
}

export interface StaleKnownFinding {
    readonly check: string;
    readonly resource: string;
    readonly fix: string;
}

export interface Classification {
    readonly accepted: readonly AcceptedFinding[];
    readonly known: readonly KnownOpenFinding[];
    readonly unexpected: readonly Finding[];
    readonly stale: readonly StaleKnownFinding[];
}

/** The design exception that covers a failed check, if any. */
export function exceptionFor(
    result: CheckResult,
    scope: StackScope,
    exceptions: readonly DesignException[],
    resources: readonly RenderedResource[],
): DesignException | undefined {
    const resource = resources.find((r) => r.address === result.resource);
    return exceptions.find(
        (e) =>
            e.check === result.checkId &&
            matchesAddress(e.resources, result.resource) &&
            (e.scope === "every stack" || !isProduction(scope.environment)) &&
            (!e.where || (resource !== undefined && e.where(resource, resources))),
    );
}

export function classifyFindings(
    failed: readonly CheckResult[],
    scope: StackScope,
    exceptions: readonly DesignException[],
    known: readonly KnownFinding[],
    resources: readonly RenderedResource[],
): Classification {
    const byAddress = new Map(resources.map((r) => [r.address, r]));
    const accepted: AcceptedFinding[] = [];
    const open: KnownOpenFinding[] = [];
    const unexpected: Finding[] = [];
    const seen = new Set<string>();
    const ordered = [...failed].sort(
        (a, b) => a.resource.localeCompare(b.resource) || a.checkId.localeCompare(b.checkId),
    );
    for (const result of ordered) {
        const r = byAddress.get(result.resource);
        const finding: Finding = {
            ...result,
            ...(r ? { pulumiName: r.pulumiName, pulumiType: r.pulumiType } : {}),
        };
        const exception = exceptionFor(result, scope, exceptions, resources);
        if (exception) {
            accepted.push({ ...finding, reason: exception.reason });
            continue;
        }
        const entry = known.find(
            (k) => k.check === result.checkId && (k.stacks[scope.stack] ?? []).includes(result.resource),
        );
        if (entry) {
            seen.add(`${entry.check} ${result.resource}`);
            open.push({ ...finding, fix: entry.fix });
        } else {
            unexpected.push(finding);
        }
    }
    const stale = known.flatMap((k) =>
        (k.stacks[scope.stack] ?? [])
            .filter((address) => !seen.has(`${k.check} ${address}`))
            .map((address) => ({ check: k.check, resource: address, fix: k.fix })),
    );
    return { accepted, known: open, unexpected, stale };
}
