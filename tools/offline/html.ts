/**
 * `index.html`: the plan as one self-contained page (no script, font or style from the network):
 * the component graph drawn as inline SVG at plan time, the policy table, the cost tables, the
 * diff when there is one, and the resource tree.
 */
import { PROJECT } from "../../config";
import { RULES } from "../../policy/rules";
import { usd, type CostReport } from "../cost/estimate";
import { changeLine, diffSummaryLine, type PlanDiff } from "./diff";
import { mandatoryCount, type Plan } from "./plan";
import { componentGraph, renderTree, summarize, type GraphNode } from "./render";

function esc(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const NODE_W = 190;
const NODE_H = 46;
const COL_GAP = 90;
const ROW_GAP = 18;
const BAND_PAD = 26;

/**
 * Columns by dependency depth: a component that uses nothing sits in the right-most column, a
 * component that uses others to the left of everything it uses (arrows point right, at what is
 * used). Rows: one band per cloud.
 */
export function layoutGraph(nodes: readonly GraphNode[], edges: ReadonlyArray<{ from: string; to: string }>) {
    const out = new Map<string, string[]>();
    edges.forEach((e) => out.set(e.from, [...(out.get(e.from) ?? []), e.to]));
    const depth = new Map<string, number>();
    const visiting = new Set<string>();
    const depthOf = (urn: string): number => {
        const known = depth.get(urn);
        if (known !== undefined) {
            return known;
        }
        if (visiting.has(urn)) {
            return 0; // a cycle: stop here
        }
        visiting.add(urn);
        const d = Math.max(-1, ...(out.get(urn) ?? []).map(depthOf)) + 1;
        visiting.delete(urn);
        depth.set(urn, d);
        return d;
    };
    nodes.forEach((n) => depthOf(n.urn));
    const maxDepth = Math.max(0, ...depth.values());
    const clouds = [...new Set(nodes.map((n) => n.cloud))];
    const positions = new Map<string, { x: number; y: number }>();
    const bands: Array<{ cloud: string; y: number; height: number }> = [];
    let top = 10;
    for (const cloud of clouds) {
        const inCloud = nodes.filter((n) => n.cloud === cloud);
        const columns = new Map<number, GraphNode[]>();
        inCloud.forEach((n) => {
            const col = maxDepth - (depth.get(n.urn) ?? 0);
            columns.set(col, [...(columns.get(col) ?? []), n]);
        });
        const rows = Math.max(1, ...[...columns.values()].map((c) => c.length));
        const height = BAND_PAD * 2 + rows * NODE_H + (rows - 1) * ROW_GAP;
        for (const [col, list] of columns) {
            list.forEach((n, i) => {
                positions.set(n.urn, {
                    x: 20 + col * (NODE_W + COL_GAP),
                    y: top + BAND_PAD + i * (NODE_H + ROW_GAP),
                });
            });
        }
        bands.push({ cloud, y: top, height });
        top += height + 16;
    }
    const width = 40 + (maxDepth + 1) * NODE_W + maxDepth * COL_GAP;
    return { positions, bands, width, height: top };
}

/** The component graph as an SVG element: one `<g class="node">` per component, one path per arrow. */
export function renderGraphSvg(plan: Plan): string {
    const { nodes, edges } = componentGraph(plan);
    const { positions, bands, width, height } = layoutGraph(nodes, edges);
    const parts: string[] = [
        `<svg xmlns="http://www.w3.org/2000/svg" id="component-graph" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" style="max-width: 100%; height: auto">`,
        `<title>${esc(`${PROJECT}/${plan.stack}: components and their dependencies`)}</title>`,
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#55606e"/></marker></defs>',
    ];
    for (const band of bands) {
        parts.push(
            `<g class="cloud" data-cloud="${esc(band.cloud)}"><rect x="6" y="${band.y}" width="${width - 12}" height="${band.height}" rx="10" fill="${band.cloud === "gcp" ? "#eef5ff" : "#fff6ea"}" stroke="#d0d7de"/>` +
                `<text x="16" y="${band.y + 17}" class="band">${esc(band.cloud.toUpperCase())}</text></g>`,
        );
    }
    for (const e of edges) {
        const a = positions.get(e.from);
        const b = positions.get(e.to);
        if (!a || !b) {
            continue;
        }
        const forward = b.x > a.x;
        const x1 = forward ? a.x + NODE_W : a.x;
        const x2 = forward ? b.x : b.x + NODE_W;
        const y1 = a.y + NODE_H / 2;
        const y2 = b.y + NODE_H / 2;
        const bend = forward ? Math.max(40, (x2 - x1) / 2) : -60;
        const label = `${e.count}${e.back > 0 ? ` + ${e.back} back` : ""}`;
        parts.push(
            `<g class="edge" data-from="${esc(nodes.find((n) => n.urn === e.from)?.name ?? "")}" data-to="${esc(nodes.find((n) => n.urn === e.to)?.name ?? "")}">` +
                `<path d="M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}" fill="none" stroke="#55606e" stroke-width="1.2" marker-end="url(#arrow)"/>` +
                `<title>${esc(`${label} dependency link${e.count + e.back === 1 ? "" : "s"}`)}</title></g>`,
        );
    }
    for (const n of nodes) {
        const p = positions.get(n.urn);
        if (!p) {
            continue;
        }
        parts.push(
            `<g class="node" data-component="${esc(n.name)}" transform="translate(${p.x},${p.y})">` +
                `<rect width="${NODE_W}" height="${NODE_H}" rx="6" fill="#ffffff" stroke="#33495e" stroke-width="1.3"/>` +
                `<text x="${NODE_W / 2}" y="19" class="name">${esc(n.name)}</text>` +
                `<text x="${NODE_W / 2}" y="36" class="meta">${esc(`${n.tier} · ${n.resources} resource${n.resources === 1 ? "" : "s"}`)}</text></g>`,
        );
    }
    parts.push("</svg>");
    return parts.join("\n");
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem; color: #1f2328; max-width: 1400px; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; }
table { border-collapse: collapse; margin: .5rem 0; } th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } .ok { color: #1a7f37; } .fail { color: #cf222e; font-weight: 600; } .warn { color: #9a6700; }
pre { background: #f6f8fa; padding: .75rem; overflow-x: auto; font-size: 12px; }
.graph { overflow-x: auto; border: 1px solid #d0d7de; border-radius: 8px; padding: .5rem; }
svg text { font: 12px system-ui, sans-serif; text-anchor: middle; fill: #1f2328; } svg text.meta { fill: #57606a; font-size: 11px; }
svg text.band { text-anchor: start; font-weight: 600; fill: #57606a; }
`;

/** The report page. */
export function renderHtmlReport(plan: Plan, cost: CostReport, diff?: PlanDiff): string {
    const s = summarize(plan);
    const m = mandatoryCount(plan);
    const counts = new Map<string, number>();
    plan.violations.forEach((v) => counts.set(v.policy, (counts.get(v.policy) ?? 0) + 1));
    const policyRows = RULES.map((r) => {
        const n = counts.get(r.name) ?? 0;
        const cls = n === 0 ? "ok" : r.enforcementLevel === "mandatory" ? "fail" : "warn";
        return `<tr><td><code>${esc(r.name)}</code></td><td>${esc(r.enforcementLevel)}</td><td class="${cls}">${n === 0 ? "ok" : `${n} violation${n === 1 ? "" : "s"}`}</td><td>${esc(r.description)}</td></tr>`;
    });
    const findings = plan.violations.map(
        (v) =>
            `<tr><td class="${v.enforcementLevel === "mandatory" ? "fail" : "warn"}">${esc(v.enforcementLevel)}</td><td><code>${esc(v.policy)}</code></td><td><code>${esc(v.name ?? "")}</code></td><td>${esc(v.message)}</td></tr>`,
    );
    const tierRows = Object.entries(cost.byTier)
        .sort(([, a], [, b]) => b - a)
        .map(([tier, n]) => `<tr><td>${esc(tier)}</td><td class="num">${n.toFixed(2)}</td></tr>`);
    const resourceRows = cost.resources
        .filter((r) => r.monthlyUsd > 0)
        .map(
            (r) =>
                `<tr><td><code>${esc(r.name)}</code></td><td>${esc(r.type)}</td><td class="num">${r.monthlyUsd.toFixed(2)}</td><td>${esc(
                    r.charges.map((c) => `${c.label} ${usd(c.monthlyUsd)}`).join("; "),
                )}</td></tr>`,
        );
    const body = [
        `<h1>${esc(`${PROJECT}/${plan.stack}`)}: offline plan</h1>`,
        `<p>Environment <code>${esc(s.environment)}</code>, clouds ${esc(s.clouds.join(", "))}: <strong>${s.resources}</strong> resources in ${s.components} components. ` +
            `Policy: <span class="${m === 0 ? "ok" : "fail"}">${m === 0 ? "passed" : `${m} mandatory violation${m === 1 ? "" : "s"}`}</span>, ${plan.violations.length - m} advisory. ` +
            `Cost: about <strong>${esc(usd(cost.monthlyUsd))}</strong> a month.</p>`,
        "<h2>Components</h2>",
        '<p>An arrow points from a component to a component whose resources it uses; the label counts the dependency links ("+ n back": links the other way, drawn as one arrow).</p>',
        `<div class="graph">${renderGraphSvg(plan)}</div>`,
    ];
    if (diff) {
        body.push(
            "<h2>Changes</h2>",
            `<p>${esc(diffSummaryLine(diff))}</p>`,
            diff.changes.length > 0 ? `<pre>${esc(diff.changes.map(changeLine).join("\n"))}</pre>` : "",
        );
    }
    body.push(
        "<h2>Policy</h2>",
        `<table><thead><tr><th>rule</th><th>level</th><th>result</th><th>checks</th></tr></thead><tbody>${policyRows.join("")}</tbody></table>`,
        findings.length > 0
            ? `<table><thead><tr><th>level</th><th>rule</th><th>resource</th><th>problem</th></tr></thead><tbody>${findings.join("")}</tbody></table>`
            : "",
        "<h2>Cost</h2>",
        `<p>About ${esc(usd(cost.monthlyUsd))} a month (USD), of which ${esc(usd(cost.usageUsd))} depends on use; on-demand list prices of ${esc(cost.pricesDate)}. Details and assumptions: <code>cost.md</code>.</p>`,
        `<table><thead><tr><th>tier</th><th>USD/month</th></tr></thead><tbody>${tierRows.join("")}<tr><th>total</th><td class="num"><strong>${cost.monthlyUsd.toFixed(2)}</strong></td></tr></tbody></table>`,
        `<table><thead><tr><th>resource</th><th>type</th><th>USD/month</th><th>items</th></tr></thead><tbody>${resourceRows.join("")}</tbody></table>`,
        "<h2>Resources</h2>",
        `<pre id="tree">${esc(renderTree(plan).join("\n"))}</pre>`,
    );
    return [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        // Nothing is loaded from anywhere: the page is complete as written.
        `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
        `<title>${esc(`${PROJECT}/${plan.stack}: offline plan`)}</title>`,
        `<style>${STYLE}</style>`,
        "</head>",
        "<body>",
        ...body,
        "</body>",
        "</html>",
        "",
    ].join("\n");
}
