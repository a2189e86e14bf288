/**
 * The policy results for CI tools: `policy.sarif` (SARIF 2.1.0, one rule per policy, each finding
 * pointing at the config key that produced it when there is one, else at the line of the program
 * that created the resource, and naming the resource) and `junit.xml` (one test case per rule).
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { isMap, LineCounter, parseDocument, type Node } from "yaml";
import { PROJECT } from "../../config";
import { RULES, type Violation } from "../../policy/rules";
import { displayType, type Plan } from "./plan";
import type { RecordedResource } from "./run";
import { PROJECT_ROOT } from "./stack-config";

/**
 * The config key behind a rule's finding, by rule and resource type: a finding there is fixed by
 * changing that key, so the report points at it.
 */
export const RULE_CONFIG_KEYS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
    "key-rotation": { "aws:kms/key:Key": "aws.kmsRotationDays", "gcp:kms/cryptoKey:CryptoKey": "gcp.kmsRotationDays" },
    "deletion-protection-outside-dev": {
        "aws:rds/instance:Instance": "aws.db.deletionProtection",
        "gcp:sql/databaseInstance:DatabaseInstance": "gcp.db.deletionProtection",
    },
    "internet-ingress-web-ports-only": { "gcp:compute/firewall:Firewall": "gcp.sshSourceRanges" },
};

export interface Location {
    /** Path relative to the project root, `/` separated. */
    readonly file: string;
    readonly line: number;
    readonly column?: number;
    /** The config key, when the location is one. */
    readonly key?: string;
}

/** The line of `webapp-infra:<a>` -> `<b>` -> ... in a stack file, if the key is set there. */
export function configKeyLine(text: string, key: string): number | undefined {
    const counter = new LineCounter();
    const doc = parseDocument(text, { lineCounter: counter });
    const [first, ...rest] = key.split(".");
    let node: unknown = doc.getIn(["config"], true);
    const step = (map: unknown, name: string): Node | undefined =>
        isMap(map)
            ? (
                  map.items.find((p) => String((p.key as { value?: unknown })?.value) === name) as
                      { key: Node } | undefined
              )?.key
            : undefined;
    let keyNode = step(node, `${PROJECT}:${first}`);
    node = isMap(node) ? node.get(`${PROJECT}:${first}`, true) : undefined;
    for (const part of rest) {
        if (!keyNode) {
            return undefined;
        }
        keyNode = step(node, part);
        node = isMap(node) ? node.get(part, true) : undefined;
    }
    const offset = keyNode?.range?.[0];
    return offset === undefined ? undefined : counter.linePos(offset).line;
}

/** Where the program created a resource, relative to the project root. */
export function sourceLocation(resource: RecordedResource | undefined, root = PROJECT_ROOT): Location | undefined {
    if (!resource?.source) {
        return undefined;
    }
    let file: string;
    try {
        file = fileURLToPath(resource.source.uri);
    } catch {
        return undefined;
    }
    const relative = path.relative(root, file);
    if (relative.startsWith("..") || path.isAbsolute(relative)) {
        return undefined;
    }
    return { file: relative.split(path.sep).join("/"), line: resource.source.line, column: resource.source.column };
}

/** Where a finding should point: its config key in the stack file, else the creating source line, else the stack file. */
export function violationLocation(plan: Plan, v: Violation, root = PROJECT_ROOT, stackText?: string): Location {
    const stackFile = `Pulumi.${plan.stack}.yaml`;
    const key = v.type ? RULE_CONFIG_KEYS[v.policy]?.[v.type] : undefined;
    if (key) {
        let text = stackText;
        if (text === undefined) {
            try {
                text = readFileSync(path.join(root, stackFile), "utf8");
            } catch {
                text = "";
            }
        }
        const line = configKeyLine(text, key);
        if (line !== undefined) {
            return { file: stackFile, line, key };
        }
    }
    const resource = plan.run.resources.find((r) => r.urn === v.urn);
    const source = sourceLocation(resource, root);
    if (source) {
        return key ? { ...source, key } : source;
    }
    return { file: stackFile, line: 1, ...(key ? { key } : {}) };
}

const LEVEL = { mandatory: "error", advisory: "warning", disabled: "none" } as const;

/** `policy.sarif`: SARIF 2.1.0 for code scanning. */
export function renderSarif(plan: Plan, root = PROJECT_ROOT): Record<string, unknown> {
    const ruleIndex = new Map(RULES.map((r, i) => [r.name, i]));
    let stackText = "";
    try {
        stackText = readFileSync(path.join(root, `Pulumi.${plan.stack}.yaml`), "utf8");
    } catch {
        // A stack file that is gone by now: findings point at the source instead.
    }
    const results = plan.violations.map((v) => {
        const where = violationLocation(plan, v, root, stackText);
        const resource = v.name ? `${v.name} (${displayType(v.type ?? "")})` : "the stack";
        return {
            ruleId: v.policy,
            ...(ruleIndex.has(v.policy) ? { ruleIndex: ruleIndex.get(v.policy) } : {}),
            level: LEVEL[v.enforcementLevel as keyof typeof LEVEL] ?? "warning",
            message: {
                text: `${resource}: ${v.message}${where.key ? ` (config key ${where.key})` : ""}`,
            },
            locations: [
                {
                    physicalLocation: {
                        artifactLocation: { uri: where.file, uriBaseId: "%SRCROOT%" },
                        region: { startLine: where.line, ...(where.column ? { startColumn: where.column } : {}) },
                    },
                    logicalLocations: [
                        {
                            name: v.name ?? plan.stack,
                            fullyQualifiedName: v.urn ?? `${PROJECT}/${plan.stack}`,
                            kind: "resource",
                        },
                    ],
                },
            ],
            // Stable across runs and line moves: the rule and the resource's URN.
            partialFingerprints: { "webappInfra/v1": `${v.policy}|${v.urn ?? ""}|${v.message}` },
            properties: {
                stack: plan.stack,
                resourceType: v.type ?? null,
                ...(where.key ? { configKey: where.key } : {}),
            },
        };
    });
    return {
        $schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [
            {
                tool: {
                    driver: {
                        name: `${PROJECT} policy`,
                        informationUri: "https://www.pulumi.com/docs/iac/packages-and-automation/crossguard/",
                        rules: RULES.map((r) => ({
                            id: r.name,
                            name: r.name,
                            shortDescription: { text: r.description },
                            fullDescription: { text: r.description },
                            help: { text: `Fix: ${r.remediation}`, markdown: `**Fix:** ${r.remediation}` },
                            defaultConfiguration: {
                                level: LEVEL[r.enforcementLevel as keyof typeof LEVEL] ?? "warning",
                            },
                            properties: {
                                enforcementLevel: r.enforcementLevel,
                                kind: r.kind,
                                tags: ["security", "pulumi"],
                            },
                        })),
                    },
                },
                automationDetails: { id: `${PROJECT}/policy/${plan.stack}/` },
                originalUriBaseIds: { "%SRCROOT%": { description: { text: "the repository root" } } },
                results,
            },
        ],
    };
}

function xml(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** `junit.xml`: one test case per rule; a mandatory violation fails it, advisories are printed. */
export function renderJunit(plan: Plan): string {
    const failures = RULES.filter(
        (r) => r.enforcementLevel === "mandatory" && plan.violations.some((v) => v.policy === r.name),
    );
    const cases = RULES.map((rule) => {
        const found = plan.violations.filter((v) => v.policy === rule.name);
        const text = found
            .map((v) => `${v.name ? `${v.name} (${displayType(v.type ?? "")}): ` : ""}${v.message}`)
            .join("\n");
        const head = `    <testcase classname="${xml(`${PROJECT}.policy.${plan.stack}`)}" name="${xml(rule.name)}" time="0">`;
        if (found.length === 0) {
            return `${head}</testcase>`;
        }
        if (rule.enforcementLevel === "mandatory") {
            return [
                head,
                `      <failure message="${xml(`${found.length} violation${found.length === 1 ? "" : "s"}: ${rule.description}`)}" type="mandatory">${xml(
                    `${text}\nFix: ${rule.remediation}`,
                )}</failure>`,
                "    </testcase>",
            ].join("\n");
        }
        return [head, `      <system-out>${xml(`advisory:\n${text}`)}</system-out>`, "    </testcase>"].join("\n");
    });
    return [
        '<?xml version="1.0" encoding="UTF-8"?>',
        `<testsuites name="${xml(`${PROJECT} policy`)}" tests="${RULES.length}" failures="${failures.length}">`,
        `  <testsuite name="${xml(`policy ${PROJECT}/${plan.stack}`)}" tests="${RULES.length}" failures="${failures.length}" errors="0" skipped="0">`,
        ...cases,
        "  </testsuite>",
        "</testsuites>",
        "",
    ].join("\n");
}
