/**
 * One table-driven suite for the boot scripts of every cloud. Each cloud is a `BootCloud`: how to
 * render its script against a secret store, the store (a real API implementation or a fake that
 * answers as the provider documents), the fakes of the instance's own commands, and the few
 * expectations that differ by cloud. `describeBootScript(cloud)` runs every case of `BOOT_CASES`
 * plus the contract checks against it:
 * - AWS (test/emulators/boot-script-aws.test.ts): the real AWS CLI against moto's Secrets Manager;
 * - GCP (test/boot-script.test.ts): the real curl against the metadata server and Secret Manager
 *   fakes of test/fakes/google.ts.
 *
 * To add a case that holds for every cloud, add an entry to `BOOT_CASES`: the database connection
 * the store holds (`connection`, as the app sees it; each cloud stores it its own way, in one
 * secret or two), or raw secrets by id (`secrets`), how to render (`render`), and what the run
 * must show (`expect`). A case for one cloud only goes into that cloud's test file.
 */
import { expect } from "chai";
import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import {
    expectLogDirectory,
    expectPrivateEnvFile,
    removeSandboxes,
    runBootScript,
    type BootRun,
    type BootRunOptions,
} from "./harness";

/** Where the script reads the database connection from, for the test's side. */
export interface SecretStore {
    /** Real client tools the script runs against this store (name -> path). */
    readonly tools: Readonly<Record<string, string>>;
    /** Environment the script needs to reach the store (endpoint, credentials). */
    readonly env: Readonly<Record<string, string>>;
    /** Stores `value` as the current value of `secretId` (creating the secret). */
    put(secretId: string, value: string): Promise<void>;
    /** How many read requests reached the store so far. */
    reads(): Promise<number>;
    /** An outage: the store refuses connections until `resume`. */
    stop(): Promise<void>;
    /** Back after `stop`, holding what was put before. */
    resume(): Promise<void>;
    close(): Promise<void>;
}

/** What may vary when rendering a script for a case. */
export interface RenderOptions {
    /** Whether the stack has a registration topic. Default true. */
    readonly topic?: boolean;
}

export interface BootCloud<S extends SecretStore = SecretStore> {
    /** The describe title, e.g. `EC2 boot script`. */
    readonly title: string;
    /** The secret the rendered script reads first, as the test names it to the store (`put`). */
    readonly secretId: string;
    /**
     * Stores a database connection (the fields the app gets, `CONNECTION`'s shape) the way the
     * program does: one document (GCP), or a document and the RDS-managed credentials it names (AWS).
     */
    putConnection(store: S, connection: Readonly<Record<string, unknown>>): Promise<void>;
    /** Read requests a successful boot makes (one per secret). */
    readonly readsPerBoot: number;
    /** The error (last line, after `ERROR: `) when the first secret is not a JSON document. */
    notJsonError(run: BootRun, store: S): string;
    /** The same secret as the script names it in its logs (the ARN on AWS). */
    secretReference(store: S): string;
    /** Starts an empty store (before each case). */
    startStore(): Promise<S>;
    /** The script as the program renders it, reaching `store`. */
    render(store: S, options?: RenderOptions): string;
    /** Fakes of the image's own commands (chown, systemctl, agents); see `FAKE_*` below. */
    readonly fakes: Readonly<Record<string, string>>;
    /** The client tool the script needs to read the secret (`aws`, `curl`). */
    readonly clientTool: string;
    /** The script's function that reads the secret, as its retry log names it. */
    readonly readFunction: string;
    /** The env lines the cloud writes before the database connection, in order. */
    readonly platformEnv: readonly string[];
    /** The env key of the registration topic. */
    readonly topicKey: string;
    /** What the client tool prints (on stderr) when the secret does not exist. */
    readonly notFound: RegExp;
    /** After a successful run: how the secret was read (the tool's command line, the requests). */
    expectSecretRead(run: BootRun, store: S): Promise<void> | void;
    /** After a successful run: the agent config, the agents and services started, in order. */
    expectStarted(run: BootRun): void;
    /** After a failed run: no agent or service was started. */
    expectNothingStarted(run: BootRun): void;
}

/** The fakes every cloud's image shares; `FAKE_CHOWN_STATUS` makes chown fail. */
export const COMMON_FAKES: Readonly<Record<string, string>> = {
    chown: 'exit "${FAKE_CHOWN_STATUS:-0}"',
};

export const ENV_FILE = "/opt/webapp/.env.db";
export const PASSWORD = "Pw-_.~!%^*+=9xY";

/**
 * The database connection as the app gets it (components/aws/database.ts with the RDS-managed
 * credentials, components/gcp/database.ts).
 */
export const CONNECTION = {
    engine: "mysql",
    host: "db.example.internal",
    port: 3306,
    dbname: "webapp",
    username: "webapp",
    password: PASSWORD,
};

/** The env lines written from CONNECTION. */
export const CONNECTION_ENV = [
    "DB_HOST='db.example.internal'",
    "DB_PORT='3306'",
    "DB_NAME='webapp'",
    "DB_USER='webapp'",
    `DB_PASSWORD='${PASSWORD}'`,
];

/**
 * The sleeps of the whole retry schedule: 45 attempts, 44 sleeps (2, 4, 8, 16, then 30 forty
 * times: 1,230 s, the first deploy's wait for the database).
 */
const ALL_SLEEPS = ["2", "4", "8", "16", ...new Array<string>(40).fill("30")];

/** What a case's checks get. */
export interface CaseContext<S extends SecretStore = SecretStore> {
    readonly run: BootRun;
    readonly cloud: BootCloud<S>;
    readonly store: S;
}

export interface BootCase {
    readonly title: string;
    /** The connection the store holds before the run (default CONNECTION), stored as the cloud does. */
    connection?: Readonly<Record<string, unknown>>;
    /** Raw secrets by id the store holds instead of a connection. */
    secrets?(cloud: BootCloud): Record<string, string>;
    readonly render?: RenderOptions;
    /** Fakes or tools the image lacks. */
    readonly missing?: (cloud: BootCloud) => string[];
    /** Extra environment for the run. */
    readonly env?: Readonly<Record<string, string>>;
    /** Before the run (e.g. an outage), and what to do at each sleep of the script. */
    before?(store: SecretStore): Promise<void>;
    onSleep?(store: SecretStore, seconds: string, call: number): Promise<void>;
    expect(context: CaseContext): Promise<void> | void;
}

/** A failed run: status 1, the last line names `error`, no env file, nothing started. */
function expectFailedCleanly(context: CaseContext, error: string | RegExp): void {
    const { run, cloud } = context;
    expect(run.status, run.stderr).to.equal(1);
    const lastLine = run.stderr.trim().split("\n").pop() ?? "";
    if (typeof error === "string") {
        expect(lastLine).to.include(`webapp-boot: ERROR: ${error}`);
    } else {
        expect(lastLine).to.match(error);
    }
    expect(existsSync(path.join(run.root, ENV_FILE)), "the env file").to.equal(false);
    cloud.expectNothingStarted(run);
}

function withConnection(overrides: Record<string, unknown>, drop: string[] = []): Record<string, unknown> {
    const document: Record<string, unknown> = { ...CONNECTION, ...overrides };
    for (const key of drop) {
        delete document[key];
    }
    return document;
}

/** The cases every cloud's script must pass. */
export const BOOT_CASES: readonly BootCase[] = [
    {
        title: "retries while the secret store is down, then writes the env file once it is back",
        async before(store) {
            await store.stop();
        },
        async onSleep(store, _seconds, call) {
            if (call === 1) {
                await store.resume();
            }
        },
        async expect({ run, cloud, store }) {
            expect(run.status, run.stderr).to.equal(0);
            expect(run.calls("sleep")).to.deep.equal(["2"]);
            expect(run.stderr).to.include(`${cloud.readFunction} failed (attempt 1 of 45); retrying in 2s`);
            expect(await store.reads(), "reads that reached the store").to.equal(cloud.readsPerBoot);
            expect(run.file(ENV_FILE)).to.include(`DB_PASSWORD='${PASSWORD}'`);
            expectPrivateEnvFile(run);
            cloud.expectStarted(run);
        },
    },
    {
        title: "gives up after 45 attempts (about 20 minutes) when the secret does not exist, writing and starting nothing",
        secrets: () => ({}),
        async expect(context) {
            const { run, cloud, store } = context;
            expectFailedCleanly(
                context,
                new RegExp(
                    `webapp-boot: ERROR: could not read the database secret ${escape(cloud.secretReference(store))} after 45 attempts$`,
                ),
            );
            expect(await store.reads()).to.equal(45);
            expect(run.calls("sleep")).to.deep.equal(ALL_SLEEPS);
            expect(run.stderr).to.match(cloud.notFound);
            expect(run.stderr).to.include(`${cloud.readFunction} failed 45 times; giving up`);
        },
    },
    {
        title: "refuses a secret that lacks a database field, naming the field and writing nothing",
        connection: withConnection({}, ["password"]),
        expect(context) {
            const { run } = context;
            expectFailedCleanly(context, `could not write ${run.root}${ENV_FILE}`);
            expect(run.stderr).to.include('the secret has no field "password"');
            expect(existsSync(path.join(run.root, "opt/webapp")), "anything in the app directory").to.equal(false);
        },
    },
    {
        title: "refuses an empty database field",
        connection: withConnection({ host: "" }),
        expect(context) {
            expectFailedCleanly(context, `could not write ${context.run.root}${ENV_FILE}`);
            expect(context.run.stderr).to.include('the secret has no field "host"');
        },
    },
    {
        title: "refuses a value the env file cannot carry, without printing it",
        connection: withConnection({ password: "it's-secret" }),
        expect(context) {
            expectFailedCleanly(context, `could not write ${context.run.root}${ENV_FILE}`);
            expect(context.run.stderr).to.include('the secret field "password" contains a quote or a line break');
            expect(context.run.stderr).not.to.include("it's-secret");
        },
    },
    {
        title: "refuses a secret that is not JSON",
        secrets: (cloud) => ({ [cloud.secretId]: "host=db.example.internal" }),
        expect(context) {
            expectFailedCleanly(context, context.cloud.notJsonError(context.run, context.store));
            expect(context.run.stderr).to.include("the secret is not a JSON document");
        },
    },
    {
        title: "leaves no env file and no temporary file when the app user cannot own it",
        env: { FAKE_CHOWN_STATUS: "1" },
        expect(context) {
            expectFailedCleanly(context, `could not write ${context.run.root}${ENV_FILE}`);
            expect(readdirSync(path.join(context.run.root, "opt/webapp")), "files in the app directory").to.deep.equal(
                [],
            );
        },
    },
    {
        title: "fails before reading anything when the image lacks the client tool",
        missing: (cloud) => [cloud.clientTool],
        async expect(context) {
            expectFailedCleanly(context, `required command not found on the image: ${context.cloud.clientTool}`);
            expect(await context.store.reads()).to.equal(0);
        },
    },
    {
        title: "writes no topic into the env file when there is none",
        render: { topic: false },
        expect({ run, cloud }) {
            expect(run.status, run.stderr).to.equal(0);
            expect(run.file(ENV_FILE)).to.equal(
                [...cloud.platformEnv.filter((l) => !l.startsWith(`${cloud.topicKey}=`)), ...CONNECTION_ENV, ""].join(
                    "\n",
                ),
            );
        },
    },
];

function escape(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** Runs `cloud`'s script against `store` holding `secrets`. */
export async function runAgainst<S extends SecretStore>(
    cloud: BootCloud<S>,
    store: S,
    options: Partial<BootRunOptions> & { render?: RenderOptions } = {},
): Promise<BootRun> {
    return runBootScript({
        script: cloud.render(store, options.render),
        args: options.args,
        files: options.files,
        fakes: { ...COMMON_FAKES, ...cloud.fakes, ...options.fakes },
        tools: { ...store.tools, ...options.tools },
        missing: options.missing,
        env: { ...store.env, ...options.env },
        onSleep: options.onSleep,
    });
}

/** The suite for one cloud: a readable secret (the contract), then every case of `BOOT_CASES`. */
export function describeBootScript<S extends SecretStore>(cloud: BootCloud<S>): void {
    describe(cloud.title, function () {
        this.timeout(240_000);
        after(removeSandboxes);

        describe("when the secret is readable", () => {
            let run: BootRun;
            let reads: number;
            let readStore: S;
            before(async () => {
                readStore = await cloud.startStore();
                await cloud.putConnection(readStore, { ...CONNECTION, dbInstanceIdentifier: "webapp-dev" });
                run = await runAgainst(cloud, readStore);
                reads = await readStore.reads();
            });
            after(async () => {
                await readStore.close();
            });

            it("succeeds, reading each secret once without waiting", async () => {
                expect(run.status, run.stderr).to.equal(0);
                expect(reads).to.equal(cloud.readsPerBoot);
                expect(run.calls("sleep")).to.deep.equal([]);
                await cloud.expectSecretRead(run, readStore);
            });

            it("writes the env file with exactly the platform values and the database connection", () => {
                expect(run.file(ENV_FILE)).to.equal([...cloud.platformEnv, ...CONNECTION_ENV, ""].join("\n"));
            });

            it("makes the env file readable by its owner only, owned by the app user", () => {
                expectPrivateEnvFile(run);
            });

            it("never prints a secret value", () => {
                expect(run.stderr).not.to.include(PASSWORD);
                expect(run.stderr).to.include(`wrote ${run.root}${ENV_FILE} (mode 0600, owner webapp)`);
            });

            it("prepares the log directory for the app user", () => {
                expectLogDirectory(run);
            });

            it("configures and starts the agents, then enables and restarts the app", () => {
                cloud.expectStarted(run);
            });
        });

        it("runs every shared case", () => {
            expect(BOOT_CASES.map((c) => c.title)).to.have.length(9);
        });
        for (const bootCase of BOOT_CASES) {
            it(bootCase.title, async () => {
                const store = await cloud.startStore();
                try {
                    if (bootCase.secrets) {
                        for (const [id, value] of Object.entries(bootCase.secrets(cloud))) {
                            await store.put(id, value);
                        }
                    } else {
                        await cloud.putConnection(store, bootCase.connection ?? CONNECTION);
                    }
                    await bootCase.before?.(store);
                    const run = await runAgainst(cloud, store, {
                        render: bootCase.render,
                        missing: bootCase.missing?.(cloud),
                        env: bootCase.env,
                        onSleep: bootCase.onSleep
                            ? (seconds, call) => bootCase.onSleep!(store, seconds, call)
                            : undefined,
                    });
                    await bootCase.expect({ run, cloud, store });
                } finally {
                    await store.close();
                }
            });
        }
    });
}
