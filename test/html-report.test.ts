/**
 * The HTML report, opened in headless Chromium (Debian's `chromium` package; `.ci/run` installs
 * it): the component graph renders as an SVG with a node per component, and the page logs no error
 * and loads nothing from the network.
 */
import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { componentGraph } from "../tools/offline/render";
import { runPlan } from "../tools/plan";
import { stackPlan } from "./support";

/** Debian's package; `CHROMIUM_PATH` names another Chromium-based build (CI runners ship Chrome). */
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

describe("HTML report in a browser", function () {
    this.timeout(180_000);
    let out: string;
    let browser: Browser;

    before(async () => {
        if (!existsSync(CHROMIUM)) {
            throw new Error(
                `${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (.ci/run does), or set CHROMIUM_PATH`,
            );
        }
        out = mkdtempSync(path.join(tmpdir(), "plan-html-"));
        // playwright gives every launch a fresh, temporary profile (user data dir).
        browser = await chromium.launch({
            executablePath: CHROMIUM,
            headless: true,
            args: [
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        });
    });

    after(async () => {
        await browser?.close();
        rmSync(out, { recursive: true, force: true });
    });

    for (const stack of ["dev", "demo"]) {
        it(`${stack}: draws a node per component and an arrow per dependency, with no console error`, async () => {
            expect(await runPlan(["--stack", stack, "--out", out], { print: () => undefined })).to.equal(0);
            const { nodes, edges } = componentGraph(await stackPlan(stack));
            // demo: WAF and Cloud Armor are on by default outside dev; its stack file turns on the
            // audit logs and governance on both clouds.
            expect(nodes.length).to.equal(stack === "dev" ? 10 : 25);
            const page = await browser.newPage();
            const problems: string[] = [];
            const requests: string[] = [];
            page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
            page.on("pageerror", (e) => problems.push(String(e)));
            page.on("request", (r) => requests.push(r.url()));
            const url = pathToFileURL(path.join(out, stack, "index.html")).href;
            await page.goto(url, { waitUntil: "load" });
            const drawn = await page.$$eval("svg#component-graph g.node", (els) =>
                els.map((el) => {
                    // An SVG graphics element (the DOM types are not in this project's lib).
                    const box = (el as unknown as { getBBox(): { width: number; height: number } }).getBBox();
                    return { name: el.getAttribute("data-component"), width: box.width, height: box.height };
                }),
            );
            expect(drawn.map((d) => d.name).sort()).to.deep.equal(nodes.map((n) => n.name).sort());
            for (const d of drawn) {
                expect(d.width, `${d.name} width`).to.be.greaterThan(100);
                expect(d.height, `${d.name} height`).to.be.greaterThan(30);
            }
            expect(await page.locator("svg#component-graph g.edge").count()).to.equal(edges.length);
            // Policy rules, cost by tier and by resource; the findings table only when a rule flags something.
            expect(await page.locator("table").count()).to.equal(3);
            expect(await page.locator("#tree").innerText()).to.match(new RegExp(`^webapp-infra/${stack} `));
            expect(problems).to.deep.equal([]);
            expect(requests).to.deep.equal([url]);
            await page.close();
        });
    }

    it("graph.mmd leaves out empty components and never draws two arrows between a pair", () => {
        const graph = readFileSync(path.join(out, "demo", "graph.mmd"), "utf8");
        // demo's GCP Alerts has no resource without monitoring.alarmEmail.
        expect(graph).to.not.include("demo_gcp_alerts");
        const arrows = [...graph.matchAll(/^ {4}(\w+) -->\|[^|]+\| (\w+)$/gm)].map((m) => [m[1], m[2]]);
        expect(arrows.length).to.be.greaterThan(30);
        const pairs = new Set(arrows.map(([a, b]) => `${a} ${b}`));
        const twoWay = arrows.filter(([a, b]) => pairs.has(`${b} ${a}`));
        expect(twoWay).to.deep.equal([]);
        expect(graph).to.include("demo_compute -->|2 + 1 back| demo_database");
    });
});
