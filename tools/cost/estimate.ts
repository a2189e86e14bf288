/**
 * The monthly cost of a plan: every billable resource priced by its row in `model.ts` with the
 * prices of its region (`prices.ts`) and the usage assumptions (`usage.ts`); the providers'
 * permanent allowances applied once for the stack; totals per resource, per tier and per stack.
 */
import type { Plan } from "../offline/plan";
import type { RecordedResource } from "../offline/run";
import { reveal } from "../offline/values";
import { COST_MODEL, isBillable, type Charge, type CostKind, type Neighbour } from "./model";
import {
    AWS_PRICES,
    FALLBACK_REGION,
    FREE_ALLOWANCES,
    GCP_PRICES,
    HOURS_PER_MONTH,
    PRICES_DATE,
    SOURCES,
} from "./prices";
import { DEFAULT_USAGE, type Usage } from "./usage";

/** A priced charge: what it costs after the free allowance. */
export interface PricedCharge extends Charge {
    /** quantity x unit price, before allowances. */
    readonly listUsd: number;
    /** What the stack pays: the list price less its share of the meter's free allowance. */
    readonly monthlyUsd: number;
}

export interface ResourceCost {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** The tier component's name (`demo-network`), or null outside any. */
    readonly tier: string | null;
    readonly cloud: string;
    readonly kind: CostKind;
    readonly note: string;
    readonly charges: readonly PricedCharge[];
    readonly monthlyUsd: number;
}

export interface CostReport {
    readonly stack: string;
    readonly currency: "USD";
    readonly pricesDate: string;
    readonly hoursPerMonth: number;
    readonly monthlyUsd: number;
    /** Of it, what comes from use (the usage assumptions) rather than from existing. */
    readonly usageUsd: number;
    readonly byTier: Readonly<Record<string, number>>;
    readonly byCloud: Readonly<Record<string, number>>;
    /** Totals per charge label (`NAT gateway`), largest first. */
    readonly byItem: ReadonlyArray<{ readonly label: string; readonly monthlyUsd: number }>;
    readonly resources: readonly ResourceCost[];
    /** The regions priced, and where a region had no prices of its own, the one used instead. */
    readonly regions: ReadonlyArray<{ readonly cloud: string; readonly region: string; readonly pricedAs: string }>;
    readonly usage: Usage;
    /** Allowances applied: meter, what, and the quantity taken. */
    readonly allowances: ReadonlyArray<{ readonly meter: string; readonly what: string; readonly used: number }>;
    /** Problems with the estimate: a type without a row, a missing price. */
    readonly warnings: readonly string[];
    readonly sources: typeof SOURCES;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The provider reference's region, else the stack's configured region for that cloud. */
function regionOf(
    resource: RecordedResource,
    providers: Map<string, Record<string, unknown>>,
    fallback: string,
): string {
    const urn = resource.provider.split("::").slice(0, -1).join("::");
    const region = providers.get(urn)?.region;
    return typeof region === "string" ? region : fallback;
}

/** Prices every billable resource of the plan. */
export function estimateCost(plan: Plan, usage: Usage = DEFAULT_USAGE): CostReport {
    const byUrn = new Map(plan.nodes.map((n) => [n.resource.urn, n]));
    const providers = new Map(
        plan.nodes
            .filter((n) => n.kind === "provider")
            .map((n) => [n.resource.urn, reveal(n.resource.inputs) as Record<string, unknown>]),
    );
    const inputsOf = new Map(plan.nodes.map((n) => [n.resource.urn, reveal(n.resource.inputs) as Record<string, any>]));
    const neighbour = (urn: string): Neighbour | undefined => {
        const node = byUrn.get(urn);
        return node
            ? { type: node.resource.type, name: node.resource.name, inputs: inputsOf.get(urn) ?? {} }
            : undefined;
    };
    const dependencies = (r: RecordedResource, property?: string): string[] =>
        property === undefined
            ? [...new Set([...r.dependencies, ...Object.values(r.propertyDependencies).flat()])]
            : [...(r.propertyDependencies[property] ?? [])];
    const dependents = new Map<string, string[]>();
    for (const node of plan.nodes) {
        for (const dep of dependencies(node.resource)) {
            dependents.set(dep, [...(dependents.get(dep) ?? []), node.resource.urn]);
        }
    }
    const billable = plan.nodes.filter((n) => isBillable(n.resource.type, n.resource.custom));
    const ofType = new Map<string, string[]>();
    billable.forEach((n) => ofType.set(n.resource.type, [...(ofType.get(n.resource.type) ?? []), n.resource.urn]));

    const warnings: string[] = [];
    const regions = new Map<string, { cloud: string; region: string; pricedAs: string }>();
    const pricesFor = <T>(cloud: "aws" | "gcp", table: Readonly<Record<string, T>>, region: string): [T, string] => {
        const pricedAs = region in table ? region : FALLBACK_REGION[cloud];
        if (!regions.has(`${cloud}:${region}`)) {
            regions.set(`${cloud}:${region}`, { cloud, region, pricedAs });
            if (pricedAs !== region) {
                warnings.push(
                    `no ${cloud.toUpperCase()} prices for ${region} in tools/cost/prices.ts: estimated with ${pricedAs}'s`,
                );
            }
        }
        return [table[pricedAs], pricedAs];
    };

    const raw = billable.map((node) => {
        const r = node.resource;
        const row = COST_MODEL[r.type];
        const tierNode = node.tier ? byUrn.get(node.tier) : undefined;
        const base = {
            urn: r.urn,
            type: r.type,
            name: r.name,
            tier: tierNode?.resource.name ?? null,
            cloud: node.cloud,
        };
        if (!row) {
            warnings.push(`no cost row for ${r.type} (${r.name}): add one to COST_MODEL in tools/cost/model.ts`);
            return { ...base, kind: "free" as CostKind, note: "no cost row: not priced", charges: [] as Charge[] };
        }
        // The resource's own cloud is priced in its provider's region; the other cloud's table is unused.
        const [aws, awsRegion] =
            node.cloud === "aws"
                ? pricesFor("aws", AWS_PRICES, regionOf(r, providers, plan.config.aws.region))
                : [AWS_PRICES[FALLBACK_REGION.aws], FALLBACK_REGION.aws];
        const [gcp, gcpRegion] =
            node.cloud === "gcp"
                ? pricesFor("gcp", GCP_PRICES, regionOf(r, providers, plan.config.gcp.region))
                : [GCP_PRICES[FALLBACK_REGION.gcp], FALLBACK_REGION.gcp];
        const charges = row.charges({
            type: r.type,
            name: r.name,
            inputs: inputsOf.get(r.urn) ?? {},
            aws,
            gcp,
            awsRegion,
            gcpRegion,
            usage,
            uses: (property) =>
                dependencies(r, property)
                    .map(neighbour)
                    .filter((n): n is Neighbour => n !== undefined),
            usedBy: (type) =>
                (dependents.get(r.urn) ?? [])
                    .map(neighbour)
                    .filter((n): n is Neighbour => n !== undefined && (type === undefined || n.type === type)),
            all: (type) => (ofType.get(type) ?? []).map(neighbour).filter((n): n is Neighbour => n !== undefined),
            count: (type) => ofType.get(type)?.length ?? 0,
        });
        for (const c of charges.filter((c) => c.missing)) {
            warnings.push(`no price for ${c.label} of ${r.name}: add ${c.missing} in tools/cost/prices.ts`);
        }
        return { ...base, kind: row.kind, note: row.note, charges };
    });

    // Free allowances: the stack's total of a meter less the allowance, shared in proportion.
    const meterTotals = new Map<string, number>();
    raw.flatMap((r) => r.charges).forEach((c) =>
        meterTotals.set(c.meter, (meterTotals.get(c.meter) ?? 0) + c.quantity),
    );
    const allowances: Array<{ meter: string; what: string; used: number }> = [];
    const payable = new Map<string, number>();
    for (const [meter, total] of meterTotals) {
        const allowance = usage.applyFreeAllowances ? FREE_ALLOWANCES[meter] : undefined;
        if (allowance && total > 0) {
            allowances.push({ meter, what: allowance.what, used: Math.min(total, allowance.quantity) });
            payable.set(meter, Math.max(0, total - allowance.quantity) / total);
        }
    }

    const resources: ResourceCost[] = raw
        .map((r) => {
            const charges = r.charges.map((c): PricedCharge => {
                const listUsd = c.quantity * (c.unitUsd ?? 0);
                return { ...c, listUsd: round2(listUsd), monthlyUsd: round2(listUsd * (payable.get(c.meter) ?? 1)) };
            });
            return { ...r, charges, monthlyUsd: round2(charges.reduce((n, c) => n + c.monthlyUsd, 0)) };
        })
        .sort((a, b) => b.monthlyUsd - a.monthlyUsd || a.urn.localeCompare(b.urn));

    const sum = (key: (r: ResourceCost) => string | null) => {
        const totals = new Map<string, number>();
        resources.forEach((r) => totals.set(key(r) ?? "(none)", (totals.get(key(r) ?? "(none)") ?? 0) + r.monthlyUsd));
        return Object.fromEntries(
            [...totals].map(([k, v]) => [k, round2(v)]).sort(([a], [b]) => String(a).localeCompare(String(b))),
        );
    };
    const items = new Map<string, number>();
    resources.flatMap((r) => r.charges).forEach((c) => items.set(c.label, (items.get(c.label) ?? 0) + c.monthlyUsd));
    const monthlyUsd = round2(resources.reduce((n, r) => n + r.monthlyUsd, 0));
    return {
        stack: plan.stack,
        currency: "USD",
        pricesDate: PRICES_DATE,
        hoursPerMonth: HOURS_PER_MONTH,
        monthlyUsd,
        usageUsd: round2(
            resources
                .flatMap((r) => r.charges)
                .filter((c) => c.usage)
                .reduce((n, c) => n + c.monthlyUsd, 0),
        ),
        byTier: sum((r) => r.tier),
        byCloud: sum((r) => r.cloud),
        byItem: [...items]
            .map(([label, usd]) => ({ label, monthlyUsd: round2(usd) }))
            .filter((i) => i.monthlyUsd > 0)
            .sort((a, b) => b.monthlyUsd - a.monthlyUsd || a.label.localeCompare(b.label)),
        resources,
        regions: [...regions.values()].sort(
            (a, b) => a.cloud.localeCompare(b.cloud) || a.region.localeCompare(b.region),
        ),
        usage,
        allowances: allowances.sort((a, b) => a.meter.localeCompare(b.meter)),
        warnings,
        sources: SOURCES,
    };
}

/** `$1,234` for totals, `$0.42` below ten dollars. */
export function usd(n: number): string {
    return n >= 10 || n === 0 ? `$${Math.round(n).toLocaleString("en-US")}` : `$${n.toFixed(2)}`;
}

/** The one-line summary: `dev: about $91/month (NAT gateway $33, ALB $22, RDS $15, ...)`. */
export function costSummaryLine(cost: CostReport, items = 4): string {
    const top = cost.byItem.slice(0, items).map((i) => `${i.label} ${usd(i.monthlyUsd)}`);
    const more = cost.byItem.length > items ? ", ..." : "";
    return `${cost.stack}: about ${usd(cost.monthlyUsd)}/month (${top.join(", ")}${more})`;
}

/** The cost section of the printed tree: the line above, then the tiers. */
export function renderCostLines(cost: CostReport): string[] {
    const tiers = Object.entries(cost.byTier).sort(([, a], [, b]) => b - a);
    const width = Math.max(10, ...tiers.map(([t]) => t.length));
    return [
        `Cost: ${costSummaryLine(cost)}`,
        ...tiers.map(([tier, n]) => `  ${tier.padEnd(width)}  ${usd(n).padStart(8)}`),
        `  of which usage-based ${usd(cost.usageUsd)} (assumptions: tools/cost/usage.ts); on-demand list prices of ${cost.pricesDate}`,
        ...cost.warnings.map((w) => `  warning: ${w}`),
    ];
}

const qty = (n: number) =>
    Number.isInteger(n)
        ? n.toLocaleString("en-US")
        : n >= 100
          ? Math.round(n).toLocaleString("en-US")
          : n.toPrecision(3);

function basis(c: PricedCharge): string {
    if (c.unitUsd === undefined) {
        return `${qty(c.quantity)} ${c.unit}, no price (${c.missing})`;
    }
    const free = c.listUsd > c.monthlyUsd ? ` less the free allowance` : "";
    return `${qty(c.quantity)} ${c.unit} x $${c.unitUsd < 0.01 ? Number(c.unitUsd.toPrecision(3)) : c.unitUsd}${free}`;
}

/** The cost per tier as Markdown table rows, largest first, with the total. */
export function costTierTable(cost: CostReport, header = "USD/month"): string[] {
    return [
        `| tier | ${header} |`,
        "|---|---:|",
        ...Object.entries(cost.byTier)
            .sort(([, a], [, b]) => b - a)
            .map(([tier, n]) => `| ${tier} | ${n.toFixed(2)} |`),
        `| **total** | **${cost.monthlyUsd.toFixed(2)}** |`,
    ];
}

/** `cost.md`: the estimate for people. */
export function renderCostMarkdown(cost: CostReport): string {
    const lines = [
        `# Cost estimate: ${cost.stack}`,
        "",
        `**About ${usd(cost.monthlyUsd)} a month** (USD, on-demand list prices of ${cost.pricesDate}, ${cost.hoursPerMonth} hours a month), ` +
            `of which ${usd(cost.usageUsd)} depends on use. No discounts, no 12-month free tiers.`,
        "",
        ...costTierTable(cost),
        "",
        "## Largest items",
        "",
        "| item | USD/month |",
        "|---|---:|",
        ...cost.byItem.map((i) => `| ${i.label} | ${i.monthlyUsd.toFixed(2)} |`),
        "",
        "## Resources",
        "",
        "| resource | type | USD/month | basis |",
        "|---|---|---:|---|",
        ...cost.resources
            .filter((r) => r.charges.length > 0)
            .map(
                (r) =>
                    `| \`${r.name}\` | ${r.type} | ${r.monthlyUsd.toFixed(2)} | ${r.charges.map((c) => `${c.label}: ${basis(c)}`).join("; ")} |`,
            ),
        "",
        `Free or billed elsewhere: ${[
            ...new Set(cost.resources.filter((r) => r.charges.length === 0).map((r) => `${r.type} (${r.note})`)),
        ].join(", ")}.`,
        "",
        "## Assumptions",
        "",
        "Usage per month (change them in `tools/cost/usage.ts`, or for one run with `--usage <file>`):",
        "",
        "```json",
        JSON.stringify(cost.usage, null, 2),
        "```",
        "",
        cost.allowances.length > 0
            ? `Free allowances applied once for the stack: ${cost.allowances.map((a) => a.what).join(", ")}.`
            : "No free allowance applied.",
        "",
        `Regions priced: ${cost.regions.map((r) => `${r.cloud} ${r.region}${r.pricedAs === r.region ? "" : ` (as ${r.pricedAs})`}`).join(", ")}.`,
        "",
        "Sources:",
        "",
        ...[...cost.sources.aws, ...cost.sources.gcp].map((s) => `- ${s}`),
    ];
    if (cost.warnings.length > 0) {
        lines.push("", "## Warnings", "", ...cost.warnings.map((w) => `- ${w}`));
    }
    return `${lines.join("\n")}\n`;
}
