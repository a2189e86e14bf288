/**
 * The AWS API emulator for tests: moto's server (from the venv that `npm run setup:emulators`
 * builds) on a loopback port, and the AWS CLI from the same venv. Code under test reaches it through
 * the standard endpoint override (`AWS_ENDPOINT_URL`) and dummy credentials, exactly as it would reach
 * AWS; nothing here answers a request itself.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { venvBin, venvTool } from "../python-venv";

// The SDK's notice that it will need Node.js 22 is about this test machine, not about the code under test.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** The command that builds the venv; named in every error about a missing tool. */
export const SETUP_COMMAND = "npm run setup:emulators";

/** The region the emulator's resources live in. */
export const EMULATOR_REGION = "us-east-1";

/** The venv's bin folder (see tools/python-venv.sh for the cache folder). */
export function emulatorBin(): string {
    return venvBin("emulators");
}

function tool(name: "moto_server" | "aws"): string {
    return venvTool("emulators", name, SETUP_COMMAND);
}

/** The AWS CLI from the emulator venv. */
export function awsCli(): string {
    return tool("aws");
}

/** A free loopback TCP port. */
export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            const port = typeof address === "object" && address ? address.port : 0;
            server.close(() => resolve(port));
        });
    });
}

/** One API request the server received, as its recorder kept it. */
export interface MotoRequest {
    readonly method: string;
    /** Path and query, e.g. `/` or `/?Action=Publish`. */
    readonly path: string;
    readonly headers: Readonly<Record<string, string>>;
    /** The body as text. */
    readonly body: string;
    /**
     * The operation: the `X-Amz-Target` header of JSON protocols (`secretsmanager.GetSecretValue`),
     * else the `Action` of query protocols (`Publish`), else undefined.
     */
    readonly operation: string | undefined;
}

/** A running moto server. */
export class Moto {
    private process: ChildProcess | undefined;
    private output = "";
    /** The folder of the server's request recording (kept across stop and resume). */
    private readonly recordingDir = mkdtempSync(path.join(tmpdir(), "webapp-moto-"));

    private constructor(readonly port: number) {}

    /** Starts a server on a free port (or `port`) and waits until it answers. */
    static async start(port?: number): Promise<Moto> {
        const moto = new Moto(port ?? (await freePort()));
        await moto.resume();
        return moto;
    }

    /** `http://127.0.0.1:<port>`. */
    get endpoint(): string {
        return `http://127.0.0.1:${this.port}`;
    }

    /**
     * The environment a client (AWS SDK v3, the AWS CLI) needs to talk to this server: endpoint,
     * region and dummy credentials; no shared config or credentials file of the machine is read.
     * The AWS CLI of the venv (v1) honours `AWS_ENDPOINT_URL` for some services only (Secrets
     * Manager, ECS, SNS yes; SQS, RDS no): give those `--endpoint-url` (test/emulators/aws.ts does).
     */
    env(): Record<string, string> {
        return {
            AWS_ENDPOINT_URL: this.endpoint,
            AWS_REGION: EMULATOR_REGION,
            AWS_DEFAULT_REGION: EMULATOR_REGION,
            AWS_ACCESS_KEY_ID: "testing",
            AWS_SECRET_ACCESS_KEY: "testing",
            AWS_CONFIG_FILE: "/dev/null",
            AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
            AWS_EC2_METADATA_DISABLED: "true",
        };
    }

    /**
     * Settings for an AWS SDK v3 client that talks to this server (endpoint override, region,
     * dummy credentials), e.g. `new SecretsManagerClient(moto.clientConfig())`.
     */
    clientConfig(): {
        endpoint: string;
        region: string;
        credentials: { accessKeyId: string; secretAccessKey: string };
    } {
        return {
            endpoint: this.endpoint,
            region: EMULATOR_REGION,
            credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
        };
    }

    /**
     * Forgets every resource (moto's reset API) and the recorded requests, so a test starts from
     * an empty account.
     */
    async reset(): Promise<void> {
        const response = await fetch(`${this.endpoint}/moto-api/reset`, { method: "POST" });
        if (!response.ok) {
            throw new Error(`moto reset failed: HTTP ${response.status}`);
        }
        await this.motoApi("recorder/reset-recording");
    }

    /**
     * Seeds moto's random generator, so the ids and ARN suffixes it generates next are the same
     * each time the same calls follow the same seed (after a `resume()` too).
     */
    async seed(value: number): Promise<void> {
        await this.motoApi(`seed?a=${value}`);
    }

    /**
     * The API requests the server received since the last `reset()`, in order, from every client
     * (the SDK, the AWS CLI), across `stop()` and `resume()`; moto's own `/moto-api/` calls are left
     * out. `operation` filters by operation (`secretsmanager.GetSecretValue`, `Publish`).
     */
    async requests(operation?: string): Promise<MotoRequest[]> {
        const text = await this.motoApi("recorder/download-recording");
        const requests = text
            .split("\n")
            .filter((line) => line.trim() !== "")
            .map((line) => parseRecorded(JSON.parse(line) as RecordedEntry))
            .filter((request) => !request.path.startsWith("/moto-api/"));
        return operation === undefined ? requests : requests.filter((r) => r.operation === operation);
    }

    private async motoApi(route: string): Promise<string> {
        const response = await fetch(`${this.endpoint}/moto-api/${route}`, {
            method: route.endsWith("download-recording") ? "GET" : "POST",
        });
        if (!response.ok) {
            throw new Error(`moto ${route} failed: HTTP ${response.status}`);
        }
        return response.text();
    }

    /** Stops the server (a client then sees connection errors, as during an outage). */
    async stop(): Promise<void> {
        const child = this.process;
        this.process = undefined;
        if (child === undefined || child.exitCode !== null) {
            return;
        }
        await new Promise<void>((resolve) => {
            child.once("exit", () => resolve());
            child.kill("SIGTERM");
        });
    }

    /** Starts the server again on the same port (after `stop`); its resources start empty. */
    async resume(): Promise<void> {
        if (this.process !== undefined) {
            return;
        }
        const child = spawn(tool("moto_server"), ["-H", "127.0.0.1", "-p", String(this.port)], {
            stdio: ["ignore", "pipe", "pipe"],
            // Every request is recorded (see `requests()`), in a file that outlives a restart.
            env: {
                ...process.env,
                MOTO_ENABLE_RECORDING: "true",
                MOTO_RECORDER_FILEPATH: path.join(this.recordingDir, "requests.jsonl"),
            },
        });
        this.process = child;
        // The server must not keep the test process alive: it is killed when the process exits.
        child.unref();
        child.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
        child.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
        for (const stream of [child.stdout, child.stderr]) {
            (stream as unknown as { unref?: () => void } | null)?.unref?.();
        }
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline) {
            if (child.exitCode !== null) {
                throw new Error(`moto_server exited with ${child.exitCode}:\n${this.output}`);
            }
            try {
                const response = await fetch(`${this.endpoint}/moto-api/data.json`);
                if (response.ok) {
                    return;
                }
            } catch {
                // not listening yet
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await this.stop();
        throw new Error(`moto_server did not answer on ${this.endpoint} within 30 s:\n${this.output}`);
    }

    /** Stops the server and removes its recording (at once: usable in a process `exit` handler). */
    dispose(): void {
        const child = this.process;
        this.process = undefined;
        if (child !== undefined && child.exitCode === null) {
            child.kill("SIGTERM");
        }
        rmSync(this.recordingDir, { recursive: true, force: true });
    }
}

/** A line of moto's recording file. */
interface RecordedEntry {
    readonly method: string;
    readonly url: string;
    readonly headers: Record<string, string>;
    readonly body?: string | null;
    readonly body_encoded?: boolean;
}

function parseRecorded(entry: RecordedEntry): MotoRequest {
    const url = new URL(entry.url, "http://moto");
    const body = entry.body_encoded ? Buffer.from(entry.body ?? "", "base64").toString("utf8") : (entry.body ?? "");
    const headers = Object.fromEntries(Object.entries(entry.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const action = url.searchParams.get("Action") ?? new URLSearchParams(body).get("Action") ?? undefined;
    return {
        method: entry.method,
        path: url.pathname + url.search,
        headers,
        body,
        operation: headers["x-amz-target"] ?? action,
    };
}

let shared: Promise<Moto> | undefined;

/**
 * One server for the whole test process, started on first use and stopped when the process exits.
 * Tests call `reset()` in their `beforeEach` rather than starting servers of their own.
 */
export function sharedMoto(): Promise<Moto> {
    if (shared === undefined) {
        shared = Moto.start();
        shared.then(
            (moto) => process.once("exit", () => moto.dispose()),
            () => undefined,
        );
    }
    return shared;
}
