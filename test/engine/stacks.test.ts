/**
 * Every stack file through the real Pulumi engine: the CLI built from its Go module, the stand-in
 * providers fed by the offline mock tables, a `file://` backend with the passphrase secrets
 * provider, all in a temp copy of the repository. The program runs through the Automation API
 * module (`automation/`) as an inline program.
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import * as api from "../../automation";
import { knownStacks } from "../../tools/offline/stack-config";
import {
    checkpointFile,
    ENGINE_MAILGUN_KEY,
    initStack,
    pulumiOk,
    REPO_ROOT,
    runPulumi,
    withTimeLimit,
    type CliResult,
} from "../../tools/engine/session";
import { checkpointResources, countLocations, exportedResources, locate } from "../../tools/engine/state";
import { countSteps, policyPacksRun, policyViolations, resourceSteps } from "../../tools/engine/steps";
import {
    CLI_LIMIT_MS,
    engineSessionForSuite,
    offlineUrns,
    OPERATION_LIMIT_MS,
    pinnedVersion,
    strings,
} from "./support";

const PROJECT = "webapp-infra";
const STACKS = knownStacks(REPO_ROOT);

/**
 * Where the engine stores the generated database password(s) and the Mailgun key, per stack: every
 * place is a secret (ciphertext in the checkpoint). A new stack file, or a change that stores a
 * secret somewhere new, fails here until its places are written down.
 */
interface SecretPlaces {
    /** How many passwords the program generates (none on AWS: RDS manages its own). */
    passwords: number;
    password: Record<string, number>;
    mailgun: Record<string, number>;
    /** Where the cache's AUTH token is (`features.cache`); absent when the stack has no cache. */
    cacheToken?: Record<string, number>;
}

/** AWS only: RDS manages the master password, so the state holds no database password at all. */
const AWS_ONLY: SecretPlaces = {
    passwords: 0,
    password: {},
    mailgun: {
        "aws:secretsmanager/secretVersion:SecretVersion inputs.secretString": 1,
        "aws:secretsmanager/secretVersion:SecretVersion outputs.secretString": 1,
    },
};

/** Both clouds: the only generated password is Cloud SQL's. */
const BOTH_CLOUDS: SecretPlaces = {
    passwords: 1,
    password: {
        "gcp:secretmanager/secretVersion:SecretVersion inputs.secretData": 1,
        "gcp:secretmanager/secretVersion:SecretVersion outputs.secretData": 1,
        "gcp:sql/user:User inputs.password": 1,
        "gcp:sql/user:User outputs.password": 1,
        "random:index/randomPassword:RandomPassword outputs.result": 1,
    },
    mailgun: {
        "aws:secretsmanager/secretVersion:SecretVersion inputs.secretString": 1,
        "aws:secretsmanager/secretVersion:SecretVersion outputs.secretString": 1,
        "gcp:secretmanager/secretVersion:SecretVersion inputs.secretData": 1,
        "gcp:secretmanager/secretVersion:SecretVersion outputs.secretData": 1,
    },
};

/** Both clouds with Cloud Run: the password also has a secret of its own (Cloud Run injects whole secrets). */
const BOTH_CLOUDS_CLOUD_RUN: SecretPlaces = {
    ...BOTH_CLOUDS,
    password: {
        "gcp:secretmanager/secretVersion:SecretVersion inputs.secretData": 2,
        "gcp:secretmanager/secretVersion:SecretVersion outputs.secretData": 2,
        "gcp:sql/user:User inputs.password": 1,
        "gcp:sql/user:User outputs.password": 1,
        "random:index/randomPassword:RandomPassword outputs.result": 1,
    },
};

/** The cache's AUTH token: its generator, its secret version and the replication group only. */
const CACHE_TOKEN: Record<string, number> = {
    "aws:elasticache/replicationGroup:ReplicationGroup inputs.authToken": 1,
    "aws:elasticache/replicationGroup:ReplicationGroup outputs.authToken": 1,
    "aws:secretsmanager/secretVersion:SecretVersion inputs.secretString": 1,
    "aws:secretsmanager/secretVersion:SecretVersion outputs.secretString": 1,
    "random:index/randomPassword:RandomPassword outputs.result": 1,
};

/**
 * prod: both clouds with Cloud Run and the CDN. The second generated value is the CDN's origin
 * header, in its secret, CloudFront's origin and the load balancer's listener rule.
 */
const PROD: SecretPlaces = {
    ...BOTH_CLOUDS_CLOUD_RUN,
    passwords: 2,
    password: {
        ...BOTH_CLOUDS_CLOUD_RUN.password,
        "random:index/randomPassword:RandomPassword outputs.result": 2,
        "aws:cloudfront/distribution:Distribution inputs.origins[0].customHeaders[0].value": 1,
        "aws:cloudfront/distribution:Distribution outputs.origins[0].customHeaders[0].value": 1,
        "aws:lb/listenerRule:ListenerRule inputs.conditions[0].httpHeader.values[0]": 1,
        "aws:lb/listenerRule:ListenerRule outputs.conditions[0].httpHeader.values[0]": 1,
        "aws:secretsmanager/secretVersion:SecretVersion inputs.secretString": 1,
        "aws:secretsmanager/secretVersion:SecretVersion outputs.secretString": 1,
    },
    cacheToken: CACHE_TOKEN,
};

const SECRET_PLACES: Record<string, SecretPlaces> = {
    dev: AWS_ONLY,
    staging: AWS_ONLY,
    demo: BOTH_CLOUDS,
    prod: PROD,
};

/** The generated cache AUTH tokens are the random passwords named `<cache>-auth-token`. */
const isCacheToken = (urn: string) => /-cache-auth-token$/.test(urn);

const POLICY_PACK = JSON.parse(readFileSync(path.join(REPO_ROOT, "policy", "package.json"), "utf8")) as {
    name: string;
    version: string;
};

interface StackRun {
    config: CliResult;
    up: api.UpResult;
    upSeconds: number;
    checkpointText: string;
    exported: unknown;
    outputs: api.StackOutputs;
    previewEvents: EngineEvent[];
    preview: api.PreviewResult;
    passwords: string[];
    cacheTokens: string[];
}

function secretPlaintexts(
    exported: unknown,
    type: string,
    property: string,
    which: (urn: string) => boolean = () => true,
): string[] {
    return exportedResources(exported)
        .filter((r) => r.type === type && which(r.urn))
        .map((r) => (r.outputs?.[property] as { plaintext?: string } | undefined)?.plaintext)
        .filter((p): p is string => typeof p === "string")
        .map((p) => JSON.parse(p) as string);
}

describe(`the real engine: Pulumi CLI ${pinnedVersion()}, stand-in providers, file backend`, function () {
    this.timeout(OPERATION_LIMIT_MS + 60_000);
    const engine = engineSessionForSuite();

    const options = (stack: string, extra: Partial<api.StackOptions> = {}): api.StackOptions => ({
        stackName: stack,
        workDir: engine.work,
        envVars: engine.session.env,
        ...extra,
    });

    it("runs every stack file (dev and demo at least)", () => {
        expect(STACKS).to.include.members(["dev", "demo"]);
    });

    for (const stack of STACKS) {
        describe(`stack ${stack}`, () => {
            const run = {} as StackRun;
            const summary: string[] = [];

            before(async function () {
                this.timeout(4 * OPERATION_LIMIT_MS);
                await initStack(engine.session, engine.work, stack);
                run.config = await runPulumi(
                    engine.session,
                    ["config", "--stack", stack, "--json"],
                    engine.work,
                    CLI_LIMIT_MS,
                );
                const started = Date.now();
                run.up = await withTimeLimit(`up of ${stack}`, OPERATION_LIMIT_MS, (signal) =>
                    api.up(options(stack, { signal })),
                );
                run.upSeconds = Math.round((Date.now() - started) / 1000);
                run.checkpointText = readFileSync(checkpointFile(engine.session, PROJECT, stack), "utf8");
                run.exported = JSON.parse(
                    await pulumiOk(
                        engine.session,
                        ["stack", "export", "--show-secrets", "--stack", stack],
                        engine.work,
                        CLI_LIMIT_MS,
                    ),
                );
                run.passwords = secretPlaintexts(
                    run.exported,
                    "random:index/randomPassword:RandomPassword",
                    "result",
                    (urn) => !isCacheToken(urn),
                );
                run.cacheTokens = secretPlaintexts(
                    run.exported,
                    "random:index/randomPassword:RandomPassword",
                    "result",
                    isCacheToken,
                );
                run.outputs = await withTimeLimit(`outputs of ${stack}`, CLI_LIMIT_MS, () =>
                    api.outputs(options(stack)),
                );
                run.previewEvents = [];
                run.preview = await withTimeLimit(`preview of ${stack}`, OPERATION_LIMIT_MS, (signal) =>
                    api.preview(
                        options(stack, {
                            signal,
                            policyPacks: [path.join(engine.work, "policy")],
                            onEvent: (event) => run.previewEvents.push(event),
                        }),
                    ),
                );
            });

            after(() => {
                if (summary.length > 0) {
                    console.log(`      engine ${stack}: ${summary.join("; ")}`);
                }
            });

            it("the CLI accepts the stack file as committed, with the Mailgun key set by `pulumi config set --secret --path`", async () => {
                expect(run.config.stderr).to.equal("");
                expect(run.config.code).to.equal(0);
                const config = JSON.parse(run.config.stdout) as Record<string, { value?: string; secret: boolean }>;
                expect(config[`${PROJECT}:mailgun`].secret).to.equal(true);
                const key = await pulumiOk(
                    engine.session,
                    ["config", "get", "--path", "mailgun.apiKey", "--stack", stack],
                    engine.work,
                    CLI_LIMIT_MS,
                );
                expect(key.trim()).to.equal(ENGINE_MAILGUN_KEY);
                const file = readFileSync(path.join(engine.work, `Pulumi.${stack}.yaml`), "utf8");
                expect(file).to.match(/^encryptionsalt: v1:/m);
                expect(file).to.match(/apiKey:\n\s+secure: v1:/);
                expect(file).not.to.include(ENGINE_MAILGUN_KEY);
            });

            it("up creates exactly what the offline plan registers", () => {
                expect(run.up.result).to.equal("succeeded");
                const state = checkpointResources(JSON.parse(run.checkpointText));
                // The engine adds the stack itself and a default provider per package without an explicit one.
                const engineOnly = state.filter(
                    (r) => r.type === "pulumi:pulumi:Stack" || /::pulumi:providers:[a-z]+::default_/.test(r.urn),
                );
                expect(engineOnly.map((r) => r.type).sort()).to.deep.equal([
                    "pulumi:providers:awsx",
                    "pulumi:providers:random",
                    "pulumi:pulumi:Stack",
                ]);
                const programUrns = state.filter((r) => !engineOnly.includes(r)).map((r) => r.urn);
                expect(programUrns.length).to.be.greaterThan(50);
                expect([...programUrns].sort()).to.deep.equal([...offlineUrns(stack)].sort());
                // The change summary leaves the default providers out.
                expect(run.up.changes).to.deep.equal({ create: state.length - 2 });
                summary.push(`up created ${state.length} resources in ${run.upSeconds} s`);
            });

            it("the checkpoint holds the generated DB password and the Mailgun key only as ciphertext", () => {
                const expected = SECRET_PLACES[stack];
                const checkpoint = JSON.parse(run.checkpointText) as unknown;
                const passwordPlaces = run.passwords.flatMap((pw) => locate(checkpoint, run.exported, pw));
                const mailgunPlaces = locate(checkpoint, run.exported, ENGINE_MAILGUN_KEY);
                const tokenPlaces = run.cacheTokens.flatMap((token) => locate(checkpoint, run.exported, token));
                const found: SecretPlaces = {
                    passwords: run.passwords.length,
                    password: countLocations(passwordPlaces),
                    mailgun: countLocations(mailgunPlaces),
                    ...(run.cacheTokens.length > 0 ? { cacheToken: countLocations(tokenPlaces) } : {}),
                };
                expect(expected, `no secret places for stack ${stack}: add ${JSON.stringify(found)}`).to.not.equal(
                    undefined,
                );
                expect(found).to.deep.equal(expected);
                expect([...passwordPlaces, ...mailgunPlaces, ...tokenPlaces].filter((l) => !l.encrypted)).to.deep.equal(
                    [],
                );
                for (const secret of [...run.passwords, ...run.cacheTokens, ENGINE_MAILGUN_KEY]) {
                    expect(run.checkpointText.includes(secret), "a secret in plain text in the checkpoint").to.equal(
                        false,
                    );
                }
                const count = (places: Record<string, number>) => Object.values(places).reduce((a, b) => a + b, 0);
                summary.push(
                    `state: ${run.passwords.length} password(s) in ${count(found.password)} secrets, ` +
                        `Mailgun key in ${count(found.mailgun)}, none in plain text`,
                );
            });

            it("the stack outputs hold no secret value", () => {
                const names = Object.keys(run.outputs).sort();
                expect(names).to.include.members(["clouds", "environment"]);
                expect(run.outputs.environment.value).to.equal(stack);
                expect(names.filter((n) => run.outputs[n].secret)).to.deep.equal([]);
                const texts = strings(Object.values(run.outputs).map((o) => o.value));
                expect(texts.length).to.be.greaterThan(5);
                for (const secret of [...run.passwords, ...run.cacheTokens, ENGINE_MAILGUN_KEY]) {
                    expect(texts.filter((t) => t.includes(secret))).to.deep.equal([]);
                }
                summary.push(`outputs: ${names.length}, none secret`);
            });

            it("a second preview reports no change", () => {
                const stateCount = checkpointResources(JSON.parse(run.checkpointText)).length;
                // One step per resource in the state; the change summary leaves the two default providers out.
                const steps = resourceSteps(run.previewEvents);
                expect(countSteps(steps)).to.deep.equal({ same: stateCount });
                expect(run.preview.changes).to.deep.equal({ same: stateCount - 2 });
                summary.push(`second preview: same ${stateCount}`);
            });

            it("the policy pack runs through the real analyzer with no mandatory violation", () => {
                expect(policyPacksRun(run.previewEvents)).to.deep.equal({ [POLICY_PACK.name]: POLICY_PACK.version });
                const violations = policyViolations(run.previewEvents);
                expect(violations.mandatory).to.deep.equal([]);
                summary.push(`policy: 0 mandatory, ${violations.advisory.length} advisory`);
            });

            if (stack === "dev") {
                describe("config set --path through the real CLI", () => {
                    let stackFile: { config: Record<string, any> };
                    let steps: ReturnType<typeof resourceSteps>;

                    before(async function () {
                        this.timeout(OPERATION_LIMIT_MS + 3 * CLI_LIMIT_MS);
                        for (const [key, value] of [
                            ["aws.asg.max", "4"],
                            ["aws.allowedAccountIds[0]", "012345678901"],
                            ["aws.db.engineVersion", "8.4.8"],
                        ]) {
                            await pulumiOk(
                                engine.session,
                                ["config", "set", "--path", key, value, "--stack", stack],
                                engine.work,
                                CLI_LIMIT_MS,
                            );
                        }
                        stackFile = parse(
                            readFileSync(path.join(engine.work, `Pulumi.${stack}.yaml`), "utf8"),
                        ) as typeof stackFile;
                        const events: EngineEvent[] = [];
                        await withTimeLimit(`preview of ${stack}`, OPERATION_LIMIT_MS, (signal) =>
                            api.preview(options(stack, { signal, onEvent: (event) => events.push(event) })),
                        );
                        steps = resourceSteps(events);
                    });

                    it("writes a number as a number, an account id and a version as text", () => {
                        const awsConfig = stackFile.config[`${PROJECT}:aws`];
                        expect(awsConfig.asg.max).to.equal(4);
                        expect(awsConfig.allowedAccountIds).to.deep.equal(["012345678901"]);
                        expect(awsConfig.db.engineVersion).to.equal("8.4.8");
                    });

                    it("the program reads what the CLI wrote", () => {
                        const asg = steps.filter((s) => s.type === "aws:autoscaling/group:Group");
                        expect(asg.map((s) => [s.op, s.properties])).to.deep.equal([["update", ["maxSize"]]]);
                        expect(asg[0].inputs.maxSize).to.equal(4);
                        const provider = steps.filter((s) => s.type === "pulumi:providers:aws");
                        expect(provider.map((s) => s.op)).to.deep.equal(["update"]);
                        // Provider inputs travel as JSON text.
                        expect(JSON.parse(String(provider[0].inputs.allowedAccountIds))).to.deep.equal([
                            "012345678901",
                        ]);
                        const db = steps.filter((s) => s.type === "aws:rds/instance:Instance");
                        expect(db.map((s) => [s.op, s.inputs.engineVersion])).to.deep.equal([["same", "8.4.8"]]);
                        expect(
                            steps
                                .filter((s) => s.op !== "same")
                                .map((s) => `${s.op} ${s.type}: ${s.properties.join(", ")}`),
                        ).to.deep.equal([
                            "update pulumi:providers:aws: allowedAccountIds",
                            "update aws:autoscaling/group:Group: maxSize",
                        ]);
                    });
                });

                describe("destroy", () => {
                    let destroyed: api.DestroyResult;
                    before(async function () {
                        this.timeout(OPERATION_LIMIT_MS + 60_000);
                        destroyed = await withTimeLimit(`destroy of ${stack}`, OPERATION_LIMIT_MS, (signal) =>
                            api.destroy(options(stack, { signal })),
                        );
                    });

                    it("deletes every resource and leaves an empty state", () => {
                        const created = checkpointResources(JSON.parse(run.checkpointText)).length;
                        expect(destroyed.result).to.equal("succeeded");
                        expect(destroyed.changes).to.deep.equal({ delete: created - 2 });
                        const after = JSON.parse(readFileSync(checkpointFile(engine.session, PROJECT, stack), "utf8"));
                        expect(checkpointResources(after)).to.deep.equal([]);
                        summary.push(`destroy: deleted ${created}`);
                    });
                });
            }
        });
    }
});
