/**
 * What the offline plan prints and writes: the resource tree with counts, `resources.json`,
 * the Mermaid graph of components and the policy report. Pure functions of a `Plan`.
 */
import { PROJECT } from "../../config";
import { costSummaryLine, costTierTable, type CostReport } from "../cost/estimate";
import { renderDiffMarkdown, type PlanDiff } from "./diff";
import { RULES, type Violation } from "../../policy/rules";
import { displayType, mandatoryCount, type Plan, type PlanNode } from "./plan";
import { redact, reveal } from "./values";

/** Providers whose resources exist only in the Pulumi state (generated values), not in a cloud. */
const STATE_ONLY = new Set(["random"]);

const KIND_ORDER: Record<PlanNode["kind"], number> = { stack: 0, provider: 1, component: 2, remote: 3, resource: 4 };

/** Nodes that become something in a cloud (or in state): custom resources and remote components. */
export function countedNodes(plan: Pick<Plan, "nodes">): PlanNode[] {
    return plan.nodes.filter((n) => n.kind === "resource" || n.kind === "remote");
}

function tally(keys: string[]): Array<[string, number]> {
    const counts = new Map<string, number>();
    keys.forEach((k) => counts.set(k, (counts.get(k) ?? 0) + 1));
    return [...counts.entries()].sort(([a], [b]) => a.localeCompare(b));
}

export interface PlanSummary {
    readonly stack: string;
    readonly environment: string;
    readonly clouds: readonly string[];
    readonly resources: number;
    readonly components: number;
    readonly providers: number;
    readonly byType: Record<string, number>;
    readonly byCloud: Record<string, number>;
    readonly mandatoryViolations: number;
    readonly advisoryViolations: number;
    readonly elapsedMs: number;
}

export function summarize(plan: Plan): PlanSummary {
    const counted = countedNodes(plan);
    return {
        stack: plan.stack,
        environment: plan.config.environment,
        clouds: plan.config.clouds,
        resources: counted.length,
        components: plan.nodes.filter((n) => n.kind === "component").length,
        providers: plan.nodes.filter((n) => n.kind === "provider").length,
        byType: Object.fromEntries(tally(counted.map((n) => n.resource.type))),
        byCloud: Object.fromEntries(tally(counted.map((n) => n.cloud))),
        mandatoryViolations: mandatoryCount(plan),
        advisoryViolations: plan.violations.length - mandatoryCount(plan),
        elapsedMs: Math.round(plan.elapsedMs),
    };
}

function sortNodes(nodes: PlanNode[]): PlanNode[] {
    return [...nodes].sort(
        (a, b) =>
            KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
            a.resource.type.localeCompare(b.resource.type) ||
            a.resource.name.localeCompare(b.resource.name),
    );
}

function providerDetail(node: PlanNode): string {
    const inputs = reveal(node.resource.inputs) as Record<string, unknown>;
    const parts = ["region", "project", "zone"]
        .filter((k) => typeof inputs[k] === "string")
        .map((k) => `${k} ${String(inputs[k])}`);
    return parts.length > 0 ? `  (${parts.join(", ")})` : "";
}

function label(node: PlanNode, childCount: number): string {
    const r = node.resource;
    switch (node.kind) {
        case "provider":
            return `provider ${r.type.slice("pulumi:providers:".length)}  ${r.name}${providerDetail(node)}`;
        case "component":
            return `${r.type}  ${r.name}  (${childCount} resource${childCount === 1 ? "" : "s"})`;
        case "remote":
            return `${r.type}  ${r.name}  (remote component: its children are created by its plugin at deploy time)`;
        default:
            return `${displayType(r.type)}  ${r.name}`;
    }
}

/** The indented resource tree: stack -> providers and components -> resources. */
export function renderTree(plan: Plan): string[] {
    const children = new Map<string, PlanNode[]>();
    for (const node of plan.nodes) {
        const list = children.get(node.resource.parent) ?? [];
        list.push(node);
        children.set(node.resource.parent, list);
    }
    const descendants = (urn: string): number =>
        (children.get(urn) ?? []).reduce(
            (n, c) => n + (c.kind === "resource" || c.kind === "remote" ? 1 : 0) + descendants(c.resource.urn),
            0,
        );
    const lines: string[] = [];
    const walk = (urn: string, prefix: string) => {
        const kids = sortNodes(children.get(urn) ?? []);
        kids.forEach((node, i) => {
            const last = i === kids.length - 1;
            lines.push(`${prefix}${last ? "└── " : "├── "}${label(node, descendants(node.resource.urn))}`);
            walk(node.resource.urn, `${prefix}${last ? "    " : "│   "}`);
        });
    };
    const stack = plan.nodes.find((n) => n.kind === "stack");
    const s = summarize(plan);
    lines.push(
        `${PROJECT}/${plan.stack}  (environment ${s.environment}, clouds ${s.clouds.join(", ")}): ` +
            `${s.resources} resources in ${s.components} components, ${s.providers} provider${s.providers === 1 ? "" : "s"}`,
    );
    if (stack) {
        walk(stack.resource.urn, "");
    }
    return lines;
}

/** Counts per type and per cloud, as aligned text. */
export function renderCounts(plan: Plan): string[] {
    const s = summarize(plan);
    const width = Math.max(...Object.keys(s.byType).map((t) => displayType(t).length), 10);
    const lines = ["Resources by type:"];
    for (const [type, n] of Object.entries(s.byType)) {
        lines.push(`  ${displayType(type).padEnd(width)}  ${String(n).padStart(3)}`);
    }
    const clouds = Object.entries(s.byCloud).map(
        ([cloud, n]) => `${cloud} ${n}${STATE_ONLY.has(cloud) ? " (in state only)" : ""}`,
    );
    lines.push(`Resources by cloud: ${clouds.join(", ")}  (total ${s.resources})`);
    for (const cloud of plan.config.clouds) {
        if (!(cloud in s.byCloud)) {
            lines.push(`  note: clouds includes ${cloud}, but the program registered no ${cloud} resources`);
        }
    }
    return lines;
}

/** The policy findings, one line each, mandatory first. */
export function renderViolations(plan: Plan): string[] {
    const m = mandatoryCount(plan);
    const a = plan.violations.length - m;
    const lines = [`Policy: ${RULES.length} rules, ${m} mandatory violation${m === 1 ? "" : "s"}, ${a} advisory`];
    const ordered = [...plan.violations].sort((x, y) =>
        x.enforcementLevel === y.enforcementLevel ? 0 : x.enforcementLevel === "mandatory" ? -1 : 1,
    );
    for (const v of ordered) {
        lines.push(
            `  [${v.enforcementLevel}] ${v.policy}: ${v.name ? `${v.name} (${displayType(v.type ?? "")}): ` : ""}${v.message}`,
        );
    }
    return lines;
}

/** `resources.json`: every registration with its inputs (secrets as `[secret]`) and its dependencies. */
export function resourcesDocument(plan: Plan): Record<string, unknown> {
    const names = new Map(plan.nodes.map((n) => [n.resource.urn, n.resource.name]));
    const providerUrn = (ref: string) => (ref ? ref.split("::").slice(0, -1).join("::") : null);
    const resources = [...plan.nodes]
        .sort((a, b) => a.resource.urn.localeCompare(b.resource.urn))
        .map(({ resource: r, kind, cloud, tier }) => ({
            urn: r.urn,
            type: r.type,
            name: r.name,
            kind,
            cloud,
            component: tier ? names.get(tier) : null,
            parent: r.parent || null,
            provider: providerUrn(r.provider),
            inputs: redact(r.inputs),
            dependencies: [...new Set([...r.dependencies, ...Object.values(r.propertyDependencies).flat()])].sort(),
            propertyDependencies: Object.fromEntries(
                Object.entries(r.propertyDependencies)
                    .filter(([, deps]) => deps.length > 0)
                    .sort(([a], [b]) => a.localeCompare(b)),
            ),
        }));
    // Timing stays out so the file only changes when the plan does.
    const { stack, environment, clouds, elapsedMs, ...summary } = summarize(plan);
    return {
        project: PROJECT,
        stack,
        environment,
        clouds,
        summary,
        placeholders: plan.placeholders,
        resources,
        outputs: redact(plan.run.outputs),
    };
}

/** Dependencies between top-level components: `from` uses something `to` owns, `count` times. */
export function componentEdges(plan: Plan): Array<{ from: string; to: string; count: number }> {
    const tierOf = new Map(plan.nodes.map((n) => [n.resource.urn, n.tier]));
    const counts = new Map<string, number>();
    for (const node of plan.nodes) {
        const from = node.tier;
        if (!from) {
            continue;
        }
        const deps = new Set([
            ...node.resource.dependencies,
            ...Object.values(node.resource.propertyDependencies).flat(),
        ]);
        for (const dep of deps) {
            const to = tierOf.get(dep);
            if (to && to !== from) {
                const key = `${from}\n${to}`;
                counts.set(key, (counts.get(key) ?? 0) + 1);
            }
        }
    }
    return [...counts.entries()]
        .map(([key, count]) => {
            const [from, to] = key.split("\n");
            return { from, to, count };
        })
        .sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
}

/** A node of the component graph: a tier component that holds at least one resource. */
export interface GraphNode {
    readonly id: string;
    readonly urn: string;
    readonly name: string;
    readonly tier: string;
    readonly cloud: string;
    readonly resources: number;
}

/** An arrow of the component graph: `from` uses what `to` owns. */
export interface GraphEdge {
    readonly from: string;
    readonly to: string;
    /** Dependency links in this direction. */
    readonly count: number;
    /** Links in the other direction, folded into this arrow (a graph has no two-way arrows). */
    readonly back: number;
}

/**
 * The component graph: components with resources (empty ones are left out) and one arrow per pair
 * of components. Where two components depend on each other, the direction with more links is
 * kept (on a tie, the one towards the component that depends on fewer others) and the other
 * direction's links are counted on it as `back`.
 */
export function componentGraph(plan: Plan): { nodes: GraphNode[]; edges: GraphEdge[] } {
    const sizes = new Map<string, number>();
    countedNodes(plan).forEach((n) => n.tier && sizes.set(n.tier, (sizes.get(n.tier) ?? 0) + 1));
    const nodes = plan.nodes
        .filter((n) => n.kind === "component" && n.tier === n.resource.urn && (sizes.get(n.resource.urn) ?? 0) > 0)
        .map((n) => ({
            id: n.resource.name.replace(/[^A-Za-z0-9_]/g, "_"),
            urn: n.resource.urn,
            name: n.resource.name,
            tier: n.resource.type.split(":").pop() ?? n.resource.type,
            cloud: n.cloud,
            resources: sizes.get(n.resource.urn) ?? 0,
        }))
        .sort((a, b) => a.cloud.localeCompare(b.cloud) || a.name.localeCompare(b.name));
    const present = new Set(nodes.map((n) => n.urn));
    const raw = componentEdges(plan).filter((e) => present.has(e.from) && present.has(e.to));
    const count = new Map(raw.map((e) => [`${e.from}\n${e.to}`, e.count]));
    const outDegree = new Map<string, number>();
    raw.forEach((e) => outDegree.set(e.from, (outDegree.get(e.from) ?? 0) + 1));
    const edges: GraphEdge[] = [];
    for (const e of raw) {
        const back = count.get(`${e.to}\n${e.from}`);
        if (back === undefined) {
            edges.push({ ...e, back: 0 });
            continue;
        }
        const keep =
            e.count !== back
                ? e.count > back
                : (outDegree.get(e.to) ?? 0) !== (outDegree.get(e.from) ?? 0)
                  ? (outDegree.get(e.to) ?? 0) < (outDegree.get(e.from) ?? 0)
                  : e.from < e.to;
        if (keep) {
            edges.push({ ...e, back });
        }
    }
    return { nodes, edges };
}

/** `graph.mmd`: the components with resources, grouped per cloud, and which depends on which. */
export function renderMermaid(plan: Plan): string {
    const { nodes, edges } = componentGraph(plan);
    const lines = [
        `%% ${PROJECT}/${plan.stack}: components and their dependencies (an arrow points at what is used; ` +
            '"n + m back": the used component also uses the user m times).',
        "flowchart LR",
    ];
    for (const cloud of [...new Set(nodes.map((n) => n.cloud))]) {
        lines.push(`    subgraph ${cloud.replace(/[^A-Za-z0-9_]/g, "_")}["${cloud.toUpperCase()}"]`);
        for (const n of nodes.filter((x) => x.cloud === cloud)) {
            lines.push(
                `        ${n.id}["${n.name}<br/>${n.tier} · ${n.resources} resource${n.resources === 1 ? "" : "s"}"]`,
            );
        }
        lines.push("    end");
    }
    const ids = new Map(nodes.map((n) => [n.urn, n.id]));
    for (const e of edges) {
        lines.push(`    ${ids.get(e.from)} -->|${e.count}${e.back > 0 ? ` + ${e.back} back` : ""}| ${ids.get(e.to)}`);
    }
    return `${lines.join("\n")}\n`;
}

/** `policy.json`: every rule with its result, and every finding. */
export function policyDocument(plan: Plan): Record<string, unknown> {
    const m = mandatoryCount(plan);
    return {
        stack: plan.stack,
        options: plan.ruleOptions,
        passed: m === 0,
        summary: { rules: RULES.length, mandatory: m, advisory: plan.violations.length - m },
        rules: RULES.map((r) => ({
            name: r.name,
            enforcementLevel: r.enforcementLevel,
            kind: r.kind,
            description: r.description,
            remediation: r.remediation,
            violations: plan.violations.filter((v) => v.policy === r.name).length,
        })),
        violations: plan.violations,
    };
}

function mdCell(text: string): string {
    return text.replace(/\|/g, "\\|");
}

/** `policy.md`: the same report for people. */
export function renderPolicyMarkdown(plan: Plan): string {
    const m = mandatoryCount(plan);
    const lines = [
        `# Policy report: ${PROJECT}/${plan.stack}`,
        "",
        `Environment \`${plan.ruleOptions.environment}\`, KMS rotation limits ${plan.ruleOptions.awsKmsRotationDays} days (AWS) / ` +
            `${plan.ruleOptions.gcpKmsRotationDays} days (GCP).`,
        "",
        m === 0
            ? `**Passed**: no mandatory violation (${plan.violations.length} advisory).`
            : `**Failed**: ${m} mandatory violation${m === 1 ? "" : "s"} (${plan.violations.length - m} advisory).`,
        "",
        "| rule | level | result |",
        "|---|---|---|",
        ...RULES.map((r) => {
            const n = plan.violations.filter((v) => v.policy === r.name).length;
            return `| \`${r.name}\` | ${r.enforcementLevel} | ${n === 0 ? "ok" : `${n} violation${n === 1 ? "" : "s"}`} |`;
        }),
    ];
    const byRule = new Map<string, Violation[]>();
    plan.violations.forEach((v) => byRule.set(v.policy, [...(byRule.get(v.policy) ?? []), v]));
    for (const rule of RULES.filter((r) => byRule.has(r.name))) {
        lines.push(
            "",
            `## ${rule.name} (${rule.enforcementLevel})`,
            "",
            rule.description,
            "",
            `Fix: ${rule.remediation}`,
            "",
        );
        for (const v of byRule.get(rule.name) ?? []) {
            lines.push(`- ${v.name ? `\`${v.name}\` (${displayType(v.type ?? "")}): ` : ""}${mdCell(v.message)}`);
        }
    }
    return `${lines.join("\n")}\n`;
}

/**
 * The plan as Markdown (`--format markdown`): what a pull request's job summary shows. The
 * summary, the diff when there is one, the policy findings, the cost per tier, and the tree.
 */
export function renderMarkdownReport(plan: Plan, cost: CostReport, diff?: PlanDiff): string {
    const s = summarize(plan);
    const m = mandatoryCount(plan);
    const lines = [
        `### Offline plan: ${PROJECT}/${plan.stack}`,
        "",
        `${s.resources} resources in ${s.components} components (${Object.entries(s.byCloud)
            .map(([c, n]) => `${c} ${n}`)
            .join(
                ", ",
            )}). Policy: ${m === 0 ? "**passed**" : `**failed**, ${m} mandatory violation${m === 1 ? "" : "s"}`}` +
            ` (${plan.violations.length - m} advisory). Cost: **${costSummaryLine(cost)}**.`,
    ];
    if (diff) {
        lines.push("", "#### Changes", "", renderDiffMarkdown(diff));
    }
    if (plan.violations.length > 0) {
        lines.push(
            "",
            "#### Policy findings",
            "",
            "| level | rule | resource | problem |",
            "|---|---|---|---|",
            ...[...plan.violations]
                .sort((a, b) =>
                    a.enforcementLevel === b.enforcementLevel ? 0 : a.enforcementLevel === "mandatory" ? -1 : 1,
                )
                .map(
                    (v) =>
                        `| ${v.enforcementLevel} | \`${v.policy}\` | ${v.name ? `\`${v.name}\`` : ""} | ${mdCell(v.message)} |`,
                ),
        );
    }
    lines.push(
        "",
        "#### Cost per tier (USD a month)",
        "",
        ...costTierTable(cost, "USD"),
        "",
        "<details><summary>Resource tree</summary>",
        "",
        "```",
        ...renderTree(plan),
        "```",
        "",
        "</details>",
    );
    return `${lines.join("\n")}\n`;
}
