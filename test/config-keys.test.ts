/**
 * Every config key is used and documented: the program reads each schema key while it builds a
 * stack, and README's config table has one row per key with the schema's default.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { createInfrastructure, toStackOutputs } from "../components";
import * as configModule from "../config";
import { schemaKeys, type InfraConfig } from "../config";
import { runOffline } from "../tools/offline/run";
import { readmeConfigProblems, readmeConfigRows } from "./readme-table";
import { stackConfig } from "./support";

/**
 * A view of `value` that records the path of every property read (`aws.db.engineVersion`);
 * lists and Outputs are leaves. Reads from zod (validation reads every key) are not counted.
 */
function recording<T>(value: T, reads: Set<string>, at: string[] = []): T {
    if (value === null || typeof value !== "object" || Array.isArray(value) || pulumi.Output.isInstance(value)) {
        return value;
    }
    return new Proxy(value as object, {
        get(target, key, receiver) {
            const child = Reflect.get(target, key, receiver);
            if (typeof key !== "string") {
                return child;
            }
            const where = [...at, key];
            const joined = where.join(".");
            if (!reads.has(joined) && !/node_modules[\\/]zod[\\/]/.test(new Error().stack ?? "")) {
                reads.add(joined);
            }
            return recording(child, reads, where);
        },
    }) as T;
}

/** Builds `cfg` with every config object the program sees (also the one it re-validates) recorded. */
async function keysRead(cfg: InfraConfig): Promise<Set<string>> {
    const reads = new Set<string>();
    const module = configModule as { parseConfig: typeof configModule.parseConfig };
    const original = module.parseConfig;
    module.parseConfig = (raw, stack) => recording(original(raw, stack), reads);
    try {
        await runOffline(() => toStackOutputs(createInfrastructure(recording(cfg, reads))), {
            stack: cfg.environment,
        });
    } finally {
        module.parseConfig = original;
    }
    return reads;
}

describe("config keys: every key is used", () => {
    it("the program reads every schema key while it builds the stacks that turn each option on", async () => {
        const everything = stackConfig("demo", {
            aws: {
                profile: "webapp-admin",
                allowedAccountIds: ["012345678901"],
                certificateArn: "arn:aws:acm:us-east-1:012345678901:certificate/12345678-1234-1234-1234-123456789012",
                emailFunction: { reservedConcurrency: 5 },
                dr: { region: "us-west-2" },
            },
            gcp: { image: { project: "images-project-1" } },
            monitoring: { alarmEmail: "ops@example.com" },
            features: {
                auditLogs: true,
                backup: true,
                vpcEndpoints: true,
                waf: true,
                dnsFailover: true,
                cdn: true,
                monthlyBudgetUsd: 100,
                cache: true,
            },
        });
        const gcpAlone = stackConfig("dev", {
            clouds: ["gcp"],
            gcp: { project: "my-project-123", dns: { createZone: true }, image: { name: "webapp-1" } },
        });
        const containers = stackConfig("dev", {
            aws: {
                compute: "fargate",
                fargate: {
                    image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/webapp-dev:1.0.0",
                    workers: [{ name: "worker", command: ["run"] }],
                },
                schedule: { stopAt: "0 20 * * MON-FRI", startAt: "0 7 * * MON-FRI", timezone: "Europe/Berlin" },
            },
        });
        const cloudRun = stackConfig("dev", {
            clouds: ["gcp"],
            gcp: {
                project: "my-project-123",
                compute: "cloudRun",
                cloudRun: { image: "us-east1-docker.pkg.dev/my-project-123/webapp-dev/api:1.0.0" },
            },
        });
        // The DR standby takes the apex's secondary record, which `everything` gives to GCP.
        const drStandby = stackConfig("dev", {
            aws: {
                dr: {
                    region: "us-west-2",
                    standby: { dnsName: "webapp-dr-1234567890.us-west-2.elb.amazonaws.com", zoneId: "Z1H1FL5HABSF5" },
                },
            },
        });
        const reads = new Set<string>();
        for (const cfg of [everything, gcpAlone, containers, cloudRun, drStandby]) {
            (await keysRead(cfg)).forEach((k) => reads.add(k));
        }
        const keys = schemaKeys();
        expect(keys).to.have.length.greaterThan(60);
        const unread = keys.filter((key) => !reads.has(key.replace(/\[\d+\]/g, "")));
        expect(unread, "schema keys no component reads (remove them, or use them)").to.deep.equal([]);
    });
});

describe("config keys: README's config table", () => {
    const readme = readFileSync(path.join(__dirname, "..", "README.md"), "utf8");

    it("has one row per schema key, in any order, with the schema's default", () => {
        const rows = readmeConfigRows(readme);
        expect(rows.length).to.be.greaterThan(60);
        expect(readmeConfigProblems(rows)).to.deep.equal([]);
    });
});

describe("config keys: the README table check says which row is wrong", () => {
    const table = (rows: string[]) =>
        ["## Configuration", "", "| key | default | rule |", "| --- | --- | --- |", ...rows, ""].join("\n");
    const problemsOf = (rows: string[]) =>
        readmeConfigProblems(readmeConfigRows(table(rows))).filter((p) => !p.includes("no row for"));

    it("names a missing row and gives the row to add, with the default as the table writes it", () => {
        const problems = readmeConfigProblems(readmeConfigRows(table(["| `app.port` | `80` | port |"])));
        expect(problems).to.include(
            "README.md config table: no row for `aws.vpcCidr`; add one: | `aws.vpcCidr` | dev `10.0.0.0/16`, demo `10.1.0.0/16`, staging `10.2.0.0/16`, prod `10.3.0.0/16` | <what it does and its rule> |",
        );
        expect(problems).to.include(
            "README.md config table: no row for `environment`; add one: | `environment` | `<stack>` | <what it does and its rule> |",
        );
        expect(problems.filter((p) => p.includes("`app.port`"))).to.deep.equal([]);
    });

    it("names a wrong default, a key the schema does not have, and a repeated row, with their lines", () => {
        expect(
            problemsOf([
                "| `aws.kmsRotationDays` | `30` | days |",
                "| `aws.db.name` | `webapp` | dead |",
                "| `app.port` | `80` | port |",
                "| `app.port` | `80` | again |",
            ]),
        ).to.deep.equal([
            "README.md:5, row `aws.kmsRotationDays`: default `30` is not the schema's; write `90`",
            "README.md:6, row `aws.db.name`: not a schema key (remove the row, or fix the key's spelling)",
            "README.md:8, row `app.port`: the key has a row already (line 7); keep one",
        ]);
    });

    it("checks every environment of a per-environment default, and the none / required forms", () => {
        expect(
            problemsOf([
                "| `aws.vpcCidr` | dev `10.0.0.0/16`, demo `10.0.0.0/16`, staging `10.2.0.0/16`, prod `10.3.0.0/16` | CIDR |",
                "| `aws.natGateways` | dev `instance`, demo `onePerAz` | mode |",
                "| `aws.azCount` | dev `2`, demo `2`, staging `2`, prod `3`, other `2` | AZs |",
                "| `aws.db.multiAz` | none | boolean |",
                "| `aws.profile` | `default` | profile |",
                "| `domainName` | `dev.example.com` | name |",
                "| `mailgun.from` | `noreply@<mailgun.domain>` | derived |",
                "| `environment` | `<stack>` | name |",
            ]),
        ).to.deep.equal([
            "README.md:5, row `aws.vpcCidr`: default demo `10.0.0.0/16` but the schema's is `10.1.0.0/16`; write dev `10.0.0.0/16`, demo `10.1.0.0/16`, staging `10.2.0.0/16`, prod `10.3.0.0/16`",
            "README.md:6, row `aws.natGateways`: a per-environment default names every profile, not staging, prod; write dev `instance`, demo `onePerAz`, staging `single`, prod `onePerAz`",
            "README.md:7, row `aws.azCount`: other is not an environment profile; write dev `2`, demo `2`, staging `2`, prod `3`",
            "README.md:8, row `aws.db.multiAz`: says none, but the schema has a default; write dev `false`, demo `true`, staging `false`, prod `true`",
            "README.md:9, row `aws.profile`: default `default` is not the schema's; write none",
            "README.md:10, row `domainName`: the schema requires this key (no default); write required",
        ]);
    });
});
