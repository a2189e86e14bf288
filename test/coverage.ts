/**
 * Every resource type the program can create, for the tests that check a per-type table (cost
 * rows, replace-forcing inputs) has a row for each: the `new <sdk>.<module>.<Class>(` expressions
 * in components/ (resolved to the class's type token), and the types registered by stacks built
 * with every opt-in feature on.
 */
import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import * as random from "@pulumi/random";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { build, buildStack, stackConfig } from "./support";

const ROOT = path.resolve(__dirname, "..");
const SDKS: Record<string, unknown> = { aws, gcp, random };

function sourceFiles(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : [],
    );
}

/** Type token -> the first source file that creates it with `new`. */
export function typesInSource(): Map<string, string> {
    const found = new Map<string, string>();
    for (const file of sourceFiles(path.join(ROOT, "components"))) {
        const text = readFileSync(file, "utf8");
        for (const m of text.matchAll(/new (aws|gcp|random)\.([A-Za-z0-9_.]+)\(/g)) {
            let value: unknown = SDKS[m[1]];
            for (const part of m[2].split(".")) {
                value = (value as Record<string, unknown> | undefined)?.[part];
            }
            const token = (value as { __pulumiType?: unknown } | undefined)?.__pulumiType;
            if (typeof token !== "string") {
                throw new Error(`${path.relative(ROOT, file)}: cannot resolve new ${m[1]}.${m[2]} to a Pulumi type`);
            }
            // Providers (`aws.Provider`: token `aws`) are not billed resources.
            if (token.includes(":") && !found.has(token)) {
                found.set(token, path.relative(ROOT, file));
            }
        }
    }
    return found;
}

/** Configs that together turn on every opt-in feature on both clouds. */
export const EVERY_FEATURE: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
    [
        "demo",
        {
            monitoring: { alarmEmail: "ops@example.com" },
            aws: { dns: { createZone: true }, emailFunction: { reservedConcurrency: 5 } },
            features: {
                auditLogs: true,
                waf: true,
                dnsFailover: true,
                backup: true,
                vpcEndpoints: true,
                monthlyBudgetUsd: 100,
            },
        },
    ],
    [
        "demo",
        {
            clouds: ["gcp"],
            monitoring: { alarmEmail: "ops@example.com" },
            gcp: { dns: { createZone: true } },
            features: { auditLogs: true, waf: true },
        },
    ],
    // The CDN takes the regional web ACL's place, so it gets a build of its own.
    ["demo", { features: { cdn: true } }],
];

let built: Promise<Map<string, string>> | undefined;

/** Type token -> the component (tier) that registered it, over dev, demo and every feature (built once per test run). */
export function typesBuilt(): Promise<Map<string, string>> {
    built ??= collectBuiltTypes();
    return built;
}

async function collectBuiltTypes(): Promise<Map<string, string>> {
    const runs = [await buildStack("dev"), await buildStack("demo")];
    for (const [stack, overrides] of EVERY_FEATURE) {
        runs.push(await build(stackConfig(stack, overrides)));
    }
    const found = new Map<string, string>();
    for (const run of runs) {
        const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
        for (const r of run.resources) {
            if (r.custom && !r.type.startsWith("pulumi:providers:")) {
                if (!found.has(r.type)) {
                    found.set(r.type, byUrn.get(r.parent)?.name ?? "the stack");
                }
            }
        }
    }
    return found;
}
