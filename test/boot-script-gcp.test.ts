/**
 * The Compute Engine startup script, run for real: the rendered script executes under bash with a
 * temporary filesystem root (WEBAPP_ROOT) and fake `curl` (metadata server and Secret Manager),
 * `sleep`, `chown` and `systemctl` commands on PATH that record how they were called.
 */
import { expect } from "chai";
import { existsSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import {
    gcpPlatformEnv,
    METADATA_TOKEN_URL,
    OPS_AGENT_CONFIG,
    opsAgentConfig,
    renderGcpBootScript,
    SECRET_MANAGER_URL,
    type GcpBootParams,
} from "../functions/boot/gcp";
import {
    expectLogDirectory,
    expectPrivateEnvFile,
    expectShellcheckClean,
    removeSandboxes,
    runBootScript,
    type BootRun,
} from "./boot-harness";

const SECRET_ID = "projects/my-project-123/secrets/dev-gcp-secrets-db-credentials-1a2b3c4";
const TOPIC = "projects/my-project-123/topics/dev-gcp-messaging-topic-5d6e7f8";
const PASSWORD = "Pw-_.~!%^*+=9xY";
const TOKEN = "ya29.test-access-token";
const SECRET = JSON.stringify({
    engine: "mysql",
    host: "10.200.0.3",
    port: 3306,
    dbname: "webapp",
    username: "webapp",
    password: PASSWORD,
});

const PARAMS: GcpBootParams = {
    project: "my-project-123",
    dbSecretId: SECRET_ID,
    bucketName: "dev-gcp-storage-bucket-1234567",
    registrationTopic: TOPIC,
    app: { user: "webapp", directory: "/opt/webapp", serviceName: "webapp", port: 80 },
    secretVersion: "projects/123456789012/secrets/dev-gcp-secrets-db-credentials-1a2b3c4/versions/1",
};

/** Secret Manager's answer to `versions/latest:access`: the payload is base64. */
function accessResponse(payload: string): string {
    return JSON.stringify({
        name: `${SECRET_ID}/versions/1`,
        payload: { data: Buffer.from(payload).toString("base64"), dataCrc32c: "123" },
    });
}

/**
 * `curl` answers the metadata server's token request and Secret Manager's access request; the
 * latter fails FAKE_SECRET_FAILURES times first (403, as before IAM has propagated). It records
 * the header lines it reads from stdin (`--header @-`) to `curl.stdin`.
 */
const FAKES: Record<string, string> = {
    curl: `
url="\${*: -1}"
case "$url" in
    http://metadata.google.internal/*)
        printf '{"access_token":"%s","expires_in":3599,"token_type":"Bearer"}\\n' "$FAKE_TOKEN"
        ;;
    https://secretmanager.googleapis.com/*)
        if [[ " $* " == *" --header @- "* ]]; then
            cat >>"$FAKE_CALLS/curl.stdin"
        fi
        count_file="$FAKE_CALLS/secret.count"
        count=$(( $(cat "$count_file" 2>/dev/null || echo 0) + 1 ))
        echo "$count" >"$count_file"
        if [ "$count" -le "\${FAKE_SECRET_FAILURES:-0}" ]; then
            echo "curl: (22) The requested URL returned error: 403" >&2
            exit 22
        fi
        printf '%s\\n' "$FAKE_RESPONSE"
        ;;
    *)
        echo "unexpected URL $url" >&2
        exit 6
        ;;
esac`,
    sleep: "",
    chown: 'exit "${FAKE_CHOWN_STATUS:-0}"',
    // `systemctl cat <unit>` tells whether the image has the unit.
    systemctl: `
if [ "$1" = cat ]; then
    exit "\${FAKE_UNIT_MISSING:-0}"
fi
if [ "$1 $2" = "restart google-cloud-ops-agent.service" ]; then
    exit "\${FAKE_AGENT_STATUS:-0}"
fi`,
};

interface RunOptions {
    readonly script?: string;
    readonly response?: string;
    readonly secretFailures?: number;
    readonly agentStatus?: number;
    readonly chownStatus?: number;
    readonly exporterMissing?: boolean;
    readonly missing?: string[];
}

function runScript(options: RunOptions = {}): BootRun {
    return runBootScript({
        script: options.script ?? renderGcpBootScript(PARAMS),
        fakes: FAKES,
        missing: options.missing,
        env: {
            FAKE_TOKEN: TOKEN,
            FAKE_RESPONSE: options.response ?? accessResponse(SECRET),
            FAKE_SECRET_FAILURES: String(options.secretFailures ?? 0),
            FAKE_AGENT_STATUS: String(options.agentStatus ?? 0),
            FAKE_CHOWN_STATUS: String(options.chownStatus ?? 0),
            FAKE_UNIT_MISSING: options.exporterMissing ? "1" : "0",
        },
    });
}

const ENV_FILE = "/opt/webapp/.env.db";
const SECRET_URL = `${SECRET_MANAGER_URL}/v1/${SECRET_ID}/versions/latest:access`;
const APP_START = ["enable webapp.service", "restart webapp.service"];

/** The calls of `curl` to Secret Manager (not the metadata server). */
function secretCalls(run: BootRun): string[] {
    return run.calls("curl").filter((c) => c.endsWith(SECRET_URL));
}

describe("Compute Engine startup script", () => {
    after(removeSandboxes);

    describe("rendering", () => {
        it("holds ids and settings but no secret value", () => {
            const script = renderGcpBootScript(PARAMS);
            expect(script).to.match(/^#!\/bin\/bash\n/);
            expect(script).to.include(`DB_SECRET_ID='${SECRET_ID}'`);
            expect(script).to.include(`PUBSUB_TOPIC='${TOPIC}'`);
            expect(script).to.include(`# Database secret version at deploy: ${PARAMS.secretVersion}`);
            expect(script).not.to.include(PASSWORD);
            expect(script, "no password line in the rendered env document").not.to.include("DB_PASSWORD='");
        });

        it("shares the contract's env keys and adds the GCP ones", () => {
            expect(Object.keys(gcpPlatformEnv(PARAMS))).to.deep.equal([
                "APP_PORT",
                "LOG_FILE",
                "STATSD_HOST",
                "STATSD_PORT",
                "GOOGLE_CLOUD_PROJECT",
                "GCS_BUCKET_NAME",
                "PUBSUB_TOPIC",
            ]);
            expect(gcpPlatformEnv({ ...PARAMS, registrationTopic: undefined })).not.to.have.property("PUBSUB_TOPIC");
        });
    });

    describe("shellcheck", () => {
        for (const [label, params] of [
            ["with a registration topic", PARAMS],
            ["without a registration topic", { ...PARAMS, registrationTopic: undefined }],
        ] as const) {
            it(`finds nothing in the rendered script ${label}`, function () {
                expectShellcheckClean(this, renderGcpBootScript(params));
            });
        }
    });

    describe("when the secret is readable", () => {
        let run: BootRun;
        before(() => {
            run = runScript();
        });

        it("succeeds", () => {
            expect(run.status, run.stderr).to.equal(0);
        });

        it("gets a token from the metadata server, then reads the latest version once", () => {
            expect(run.calls("curl")).to.deep.equal([
                `--silent --show-error --fail --max-time 5 --header Metadata-Flavor: Google ${METADATA_TOKEN_URL}`,
                `--silent --show-error --fail --max-time 10 --header @- ${SECRET_URL}`,
            ]);
            expect(run.calls("sleep")).to.deep.equal([]);
        });

        it("sends the token as a header on stdin, never on a command line", () => {
            expect(run.calls("curl.stdin")).to.deep.equal([`Authorization: Bearer ${TOKEN}`]);
            expect(run.calls("curl").join("\n")).not.to.include(TOKEN);
        });

        it("writes the env file with the platform values and the database connection", () => {
            expect(run.file(ENV_FILE)).to.equal(
                [
                    "APP_PORT='80'",
                    "LOG_FILE='/var/log/webapp/app.log'",
                    "STATSD_HOST='127.0.0.1'",
                    "STATSD_PORT='8125'",
                    "GOOGLE_CLOUD_PROJECT='my-project-123'",
                    `GCS_BUCKET_NAME='${PARAMS.bucketName}'`,
                    `PUBSUB_TOPIC='${TOPIC}'`,
                    "DB_HOST='10.200.0.3'",
                    "DB_PORT='3306'",
                    "DB_NAME='webapp'",
                    "DB_USER='webapp'",
                    `DB_PASSWORD='${PASSWORD}'`,
                    "",
                ].join("\n"),
            );
        });

        it("makes the env file readable by its owner only, owned by the app user", () => {
            expectPrivateEnvFile(run);
        });

        it("never prints a secret value or the token", () => {
            expect(run.stderr).not.to.include(PASSWORD);
            expect(run.stderr).not.to.include(TOKEN);
            expect(run.stderr).to.include(`wrote ${run.root}${ENV_FILE} (mode 0600, owner webapp)`);
        });

        it("writes the Ops Agent config: the app log, and the StatsD exporter scraped in its own pipeline", () => {
            const config = parse(run.file(OPS_AGENT_CONFIG));
            expect(config).to.deep.equal(opsAgentConfig(PARAMS));
            expect(config.logging.receivers.webapp_app).to.deep.include({
                type: "files",
                include_paths: ["/var/log/webapp/app.log"],
            });
            expect(config.logging.service.pipelines.webapp_app.receivers).to.deep.equal(["webapp_app"]);
            const statsd = config.metrics.receivers.webapp_statsd;
            expect(statsd.type).to.equal("prometheus");
            expect(statsd.config.scrape_configs[0].static_configs).to.deep.equal([{ targets: ["127.0.0.1:9102"] }]);
            expect(config.metrics.service.pipelines).to.deep.equal({
                webapp_statsd: { receivers: ["webapp_statsd"] },
            });
            expect(statSync(path.join(run.root, OPS_AGENT_CONFIG)).mode & 0o777).to.equal(0o644);
        });

        it("prepares the log directory for the app user", () => {
            expectLogDirectory(run);
        });

        it("starts the StatsD exporter, restarts the Ops Agent, then enables and restarts the app", () => {
            expect(run.calls("systemctl")).to.deep.equal([
                "cat statsd-exporter.service",
                "enable statsd-exporter.service",
                "restart statsd-exporter.service",
                "restart google-cloud-ops-agent.service",
                ...APP_START,
            ]);
        });
    });

    it("retries transient failures with growing delays, then succeeds", () => {
        const run = runScript({ secretFailures: 3 });
        expect(run.status, run.stderr).to.equal(0);
        expect(secretCalls(run)).to.have.length(4);
        expect(run.calls("sleep")).to.deep.equal(["2", "4", "8"]);
        expect(run.stderr).to.include("read_secret_response failed (attempt 1 of 8); retrying in 2s");
        expect(run.file(ENV_FILE)).to.include(`DB_PASSWORD='${PASSWORD}'`);
        expect(run.calls("systemctl").slice(-2)).to.deep.equal(APP_START);
    });

    it("gives up after 8 attempts with a clear error and starts nothing", () => {
        const run = runScript({ secretFailures: 1000 });
        expect(run.status).to.equal(1);
        expect(secretCalls(run)).to.have.length(8);
        expect(run.calls("sleep")).to.deep.equal(["2", "4", "8", "16", "30", "30", "30"]);
        const lastLine = run.stderr.trim().split("\n").pop();
        expect(lastLine).to.match(
            new RegExp(`webapp-boot: ERROR: could not read the database secret ${SECRET_ID} after 8 attempts$`),
        );
        expect(existsSync(path.join(run.root, ENV_FILE))).to.equal(false);
        expect(existsSync(path.join(run.root, OPS_AGENT_CONFIG))).to.equal(false);
        expect(run.calls("systemctl")).to.deep.equal([]);
    });

    it("refuses an answer without a payload, writing nothing", () => {
        const run = runScript({ response: JSON.stringify({ name: `${SECRET_ID}/versions/1` }) });
        expect(run.status).to.equal(1);
        expect(run.stderr).to.include("the Secret Manager answer has no readable payload");
        expect(run.stderr).to.include(`ERROR: could not decode the database secret ${SECRET_ID}`);
        expect(existsSync(path.join(run.root, "opt/webapp"))).to.equal(false);
        expect(run.calls("systemctl")).to.deep.equal([]);
    });

    it("refuses a secret without a database field, naming the field and writing nothing", () => {
        const run = runScript({
            response: accessResponse(JSON.stringify({ host: "db", port: 3306, dbname: "webapp", username: "u" })),
        });
        expect(run.status).to.equal(1);
        expect(run.stderr).to.include('the secret has no field "password"');
        expect(run.stderr).to.include(`ERROR: could not write ${run.root}${ENV_FILE}`);
        expect(existsSync(path.join(run.root, "opt/webapp")), "nothing written in the app directory").to.equal(false);
    });

    it("leaves no env file and no temporary file when the app user cannot own it", () => {
        const run = runScript({ chownStatus: 1 });
        expect(run.status).to.equal(1);
        expect(readdirSync(path.join(run.root, "opt/webapp")), "files in the app directory").to.deep.equal([]);
        expect(run.calls("systemctl")).to.deep.equal([]);
    });

    it("refuses a value the env file cannot carry without printing it", () => {
        const run = runScript({
            response: accessResponse(JSON.stringify({ ...JSON.parse(SECRET), password: "it's-secret" })),
        });
        expect(run.status).to.equal(1);
        expect(run.stderr).to.include('the secret field "password" contains a quote or a line break');
        expect(run.stderr).not.to.include("it's-secret");
        expect(existsSync(path.join(run.root, ENV_FILE))).to.equal(false);
    });

    it("starts the app without the StatsD exporter when the image has none, with a warning", () => {
        const run = runScript({ exporterMissing: true });
        expect(run.status, run.stderr).to.equal(0);
        expect(run.stderr).to.include(
            "WARNING: statsd-exporter.service is not on the image; the app's StatsD metrics are dropped",
        );
        expect(run.calls("systemctl")).to.deep.equal([
            "cat statsd-exporter.service",
            "restart google-cloud-ops-agent.service",
            ...APP_START,
        ]);
    });

    it("starts the app even when the Ops Agent fails, with a warning", () => {
        const run = runScript({ agentStatus: 1 });
        expect(run.status, run.stderr).to.equal(0);
        expect(run.stderr).to.include("WARNING: the Ops Agent did not restart");
        expect(run.calls("systemctl").slice(-2)).to.deep.equal(APP_START);
    });

    it("fails before touching anything when the image lacks curl", () => {
        const run = runScript({ missing: ["curl"] });
        expect(run.status).to.equal(1);
        expect(run.stderr).to.include("ERROR: required command not found on the image: curl");
        expect(existsSync(path.join(run.root, ENV_FILE))).to.equal(false);
        expect(run.calls("systemctl")).to.deep.equal([]);
    });

    it("writes no topic into the env file when there is none", () => {
        const run = runScript({ script: renderGcpBootScript({ ...PARAMS, registrationTopic: undefined }) });
        expect(run.status, run.stderr).to.equal(0);
        expect(run.file(ENV_FILE)).not.to.include("PUBSUB_TOPIC");
        expect(run.file(ENV_FILE)).to.include("DB_HOST='10.200.0.3'");
    });
});
