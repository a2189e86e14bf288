/**
 * The instance boot scripts of both clouds. Rendering and shellcheck for each cloud from one
 * table; then the shared run suite (test/boot/suite.ts) for the Compute Engine startup script, run
 * for real with the real curl against the Google fakes. The EC2 boot script runs the same suite
 * against the AWS API emulator: test/emulators/boot-script-aws.test.ts (`npm run test:emulators`).
 */
import { expect } from "chai";
import { existsSync, statSync } from "node:fs";
import * as path from "node:path";
import { cloudWatchAgentConfig, renderAwsBootScript } from "../functions/boot/aws";
import { gcpPlatformEnv, renderGcpBootScript } from "../functions/boot/gcp";
import { envLines, renderBootScript, SECRET_RETRY, shellQuote } from "../functions/boot/render";
import { AWS_PARAMS, AWS_TOPIC_ARN } from "./boot/aws-params";
import { FAKE_ACCESS_TOKEN } from "./fakes/google";
import { accessUrl, GCP_CLOUD, GCP_PARAMS, GCP_SECRET_ID, GCP_STARTED, GCP_TOPIC, GoogleSecretStore } from "./boot/gcp";
import { expectPrivateEnvFile, expectShellcheckClean, removeSandboxes } from "./boot/harness";
import { CONNECTION, CONNECTION_ENV, describeBootScript, ENV_FILE, PASSWORD, runAgainst } from "./boot/suite";

const AWS_SECRET_ARN = AWS_PARAMS.dbSecretId;

/** Each cloud's script as the program renders it, with and without a registration topic. */
const RENDERED = [
    {
        cloud: "AWS",
        render: (topic: boolean) =>
            renderAwsBootScript({ ...AWS_PARAMS, registrationTopicArn: topic ? AWS_TOPIC_ARN : undefined }),
        secretLine: `DB_SECRET_ID='${AWS_SECRET_ARN}'`,
        topicLine: `SNS_TOPIC_ARN='${AWS_TOPIC_ARN}'`,
        // The credentials are RDS's (rotated): the script names the field of the document that
        // points at them and installs the timer that re-reads them; no version to roll on.
        extraLines: [
            "CREDENTIALS_FIELD='credentialsSecretArn'",
            "REFRESH_COMMAND='/usr/local/libexec/webapp-db-credentials'",
            "REFRESH_UNIT='webapp-db-credentials'",
            "REFRESH_SECONDS='60'",
        ],
    },
    {
        cloud: "GCP",
        render: (topic: boolean) =>
            renderGcpBootScript({ ...GCP_PARAMS, registrationTopic: topic ? GCP_TOPIC : undefined }),
        secretLine: `DB_SECRET_ID='${GCP_SECRET_ID}'`,
        topicLine: `PUBSUB_TOPIC='${GCP_TOPIC}'`,
        extraLines: [
            "METADATA_TOKEN_URL='http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token'",
            "SECRET_ATTEMPTS='45'",
            // The template names no version, so a new document rolls nothing: the timer re-reads it.
            "REFRESH_COMMAND='/usr/local/libexec/webapp-db-connection'",
            "REFRESH_UNIT='webapp-db-connection'",
            "REFRESH_SECONDS='60'",
        ],
    },
] as const;

describe("boot scripts: rendering", () => {
    after(removeSandboxes);

    it("renders one script per cloud", () => {
        expect(RENDERED.map((r) => r.cloud)).to.deep.equal(["AWS", "GCP"]);
    });

    it("polls a secret for about 20 minutes: a first deploy boots the instances before the database exists", () => {
        expect(SECRET_RETRY).to.deep.equal({ attempts: 45, initialDelaySeconds: 2, maxDelaySeconds: 30 });
        // The sleeps common.sh's retry makes between the attempts: doubling from 2 s, capped at 30 s.
        const sleeps: number[] = [];
        for (let delay = SECRET_RETRY.initialDelaySeconds; sleeps.length < SECRET_RETRY.attempts - 1; delay *= 2) {
            sleeps.push(Math.min(delay, SECRET_RETRY.maxDelaySeconds));
        }
        expect(sleeps.slice(0, 5)).to.deep.equal([2, 4, 8, 16, 30]);
        expect(sleeps.reduce((sum, s) => sum + s, 0)).to.equal(1230);
        for (const rendered of RENDERED) {
            const script = rendered.render(false).split("\n");
            expect(script, rendered.cloud).to.include.members([
                "SECRET_ATTEMPTS='45'",
                "RETRY_INITIAL_DELAY='2'",
                "RETRY_MAX_DELAY='30'",
            ]);
        }
    });

    for (const rendered of RENDERED) {
        describe(rendered.cloud, () => {
            it("holds names, ids and settings but no secret value", () => {
                const script = rendered.render(true);
                expect(script).to.match(/^#!\/bin\/bash\n/);
                expect(script).to.include(rendered.secretLine);
                expect(script).to.include(rendered.topicLine);
                expect(rendered.extraLines.length).to.be.greaterThan(0);
                for (const line of rendered.extraLines) {
                    expect(script.split("\n")).to.include(line);
                }
                // No secret version: the launch or instance template must not wait for the database.
                expect(script, "version note").not.to.match(/secret version/i);
                expect(script).not.to.include(PASSWORD);
                expect(script, "no password line in the rendered env document").not.to.include("DB_PASSWORD='");
            });

            it("leaves the topic out when there is none", () => {
                expect(rendered.render(false)).not.to.include(rendered.topicLine.split("=")[0]);
            });

            for (const topic of [true, false]) {
                it(`passes shellcheck ${topic ? "with" : "without"} a registration topic`, function () {
                    expectShellcheckClean(this, rendered.render(topic));
                });
            }
        });
    }

    it("quotes values for bash and rejects what the env file cannot carry", () => {
        expect(shellQuote("it's")).to.equal(`'it'\\''s'`);
        expect(envLines({ A: "1", B: "x y" })).to.equal("A='1'\nB='x y'");
        expect(() => envLines({ A: "it's" })).to.throw(/A contains a quote/);
        expect(() => envLines({ lower: "x" })).to.throw(/not an upper-case shell variable/);
        expect(() => renderAwsBootScript({ ...AWS_PARAMS, bucketName: "a\nrm -rf /" })).to.throw(/line break/);
        expect(() =>
            renderBootScript({
                title: "t",
                variables: {},
                documents: { doc: "x\nWEBAPP_DOCUMENT_END\ny" },
                fragment: "aws.sh",
            }),
        ).to.throw(/contains the line WEBAPP_DOCUMENT_END/);
    });

    it("GCP: shares the contract's env keys and adds its own", () => {
        expect(Object.keys(gcpPlatformEnv(GCP_PARAMS))).to.deep.equal([
            "APP_PORT",
            "LOG_FILE",
            "STATSD_HOST",
            "STATSD_PORT",
            "GOOGLE_CLOUD_PROJECT",
            "GCS_BUCKET_NAME",
            "PUBSUB_TOPIC",
        ]);
    });

    it("GCP: calls Google's own endpoints unless told otherwise", () => {
        const script = renderGcpBootScript(GCP_PARAMS);
        expect(script).to.include(
            "METADATA_TOKEN_URL='http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token'",
        );
        expect(script).to.include("SECRET_MANAGER_URL='https://secretmanager.googleapis.com'");
    });

    it("AWS: the CloudWatch agent config: StatsD on 8125, the app log, memory and disk", () => {
        const config = cloudWatchAgentConfig(AWS_PARAMS);
        expect(config.metrics.metrics_collected).to.deep.equal({
            statsd: {
                service_address: "127.0.0.1:8125",
                metrics_collection_interval: 10,
                metrics_aggregation_interval: 60,
            },
            mem: { measurement: ["mem_used_percent"] },
            disk: { measurement: ["used_percent"], resources: ["/"] },
        });
        expect(config.metrics.namespace).to.equal("webapp/dev");
        expect(config.logs.logs_collected.files.collect_list).to.deep.equal([
            {
                file_path: "/var/log/webapp/app.log",
                log_group_name: AWS_PARAMS.logGroupName,
                log_stream_name: "{instance_id}",
                timezone: "UTC",
            },
        ]);
    });
});

describeBootScript(GCP_CLOUD);

describe("Compute Engine startup script: GCP only", function () {
    this.timeout(120_000);
    let store: GoogleSecretStore;
    beforeEach(async () => {
        store = await GoogleSecretStore.start();
        await store.put(GCP_SECRET_ID, JSON.stringify(CONNECTION));
    });
    afterEach(() => store.close());
    after(removeSandboxes);

    it("retries while Secret Manager refuses access (IAM not yet propagated), then succeeds", async () => {
        store.secretManager.denied.add("dev-gcp-secrets-db-credentials-1a2b3c4");
        const run = await runAgainst(GCP_CLOUD, store, {
            onSleep: (_seconds, call) => {
                if (call === 2) {
                    store.secretManager.denied.clear();
                }
            },
        });
        expect(run.status, run.stderr).to.equal(0);
        expect(run.stderr).to.include("curl: (22) The requested URL returned error: 403");
        expect(run.calls("sleep")).to.deep.equal(["2", "4"]);
        expect(store.secretManager.accessRequests).to.have.length(3);
    });

    it("refuses an answer without a payload, writing nothing", async () => {
        store.secretManager.overrides.push({ status: 200, body: { name: `${GCP_SECRET_ID}/versions/1` } });
        const run = await runAgainst(GCP_CLOUD, store);
        expect(run.status).to.equal(1);
        expect(run.stderr).to.include("the Secret Manager answer has no readable payload");
        expect(run.stderr).to.include(`ERROR: could not decode the database secret ${GCP_SECRET_ID}`);
        GCP_CLOUD.expectNothingStarted(run);
    });

    it("retries while the metadata server is unreachable, then succeeds", async () => {
        await store.metadata.stop();
        const run = await runAgainst(GCP_CLOUD, store, {
            onSleep: async (_seconds, call) => {
                if (call === 1) {
                    await store.metadata.resume();
                }
            },
        });
        expect(run.status, run.stderr).to.equal(0);
        expect(run.calls("sleep")).to.deep.equal(["2"]);
        expect(store.secretManager.accessRequests).to.have.length(1);
        expect(run.file(ENV_FILE)).to.include(`DB_PASSWORD='${PASSWORD}'`);
    });

    it("starts the app without the StatsD exporter when the image has none, with a warning", async () => {
        const run = await runAgainst(GCP_CLOUD, store, { env: { FAKE_UNIT_MISSING: "1" } });
        expect(run.status, run.stderr).to.equal(0);
        expect(run.stderr).to.include(
            "WARNING: statsd-exporter.service is not on the image; the app's StatsD metrics are dropped",
        );
        expect(run.calls("systemctl")).to.deep.equal([
            "cat statsd-exporter.service",
            "restart google-cloud-ops-agent.service",
            ...GCP_STARTED,
        ]);
    });

    it("starts the app even when the Ops Agent fails, with a warning", async () => {
        const run = await runAgainst(GCP_CLOUD, store, { env: { FAKE_AGENT_STATUS: "1" } });
        expect(run.status, run.stderr).to.equal(0);
        expect(run.stderr).to.include("WARNING: the Ops Agent did not restart");
        expect(run.calls("systemctl").slice(-4)).to.deep.equal(GCP_STARTED);
    });

    it("installs itself as the connection refresh, run by a timer every 60 s", async () => {
        const run = await runAgainst(GCP_CLOUD, store);
        expect(run.status, run.stderr).to.equal(0);
        expect(run.file("/usr/local/libexec/webapp-db-connection")).to.equal(run.script);
        expect(statSync(path.join(run.root, "usr/local/libexec/webapp-db-connection")).mode & 0o777).to.equal(0o700);
        expect(run.file("/etc/systemd/system/webapp-db-connection.service")).to.equal(
            [
                "[Unit]",
                "Description=Re-read the webapp database connection (a new connection document in Secret Manager)",
                "After=network-online.target",
                "",
                "[Service]",
                "Type=oneshot",
                "ExecStart=/usr/local/libexec/webapp-db-connection refresh",
                "",
            ].join("\n"),
        );
        expect(run.file("/etc/systemd/system/webapp-db-connection.timer")).to.equal(
            [
                "[Unit]",
                "Description=Re-read the webapp database connection every 60 s",
                "",
                "[Timer]",
                "OnActiveSec=60s",
                "OnUnitActiveSec=60s",
                "RandomizedDelaySec=10s",
                "",
                "[Install]",
                "WantedBy=timers.target",
                "",
            ].join("\n"),
        );
        for (const unit of ["service", "timer"]) {
            expect(
                statSync(path.join(run.root, `etc/systemd/system/webapp-db-connection.${unit}`)).mode & 0o777,
            ).to.equal(0o644);
        }
        // The timer starts once the app runs: the refresh never races the first start.
        expect(run.calls("systemctl").slice(-4)).to.deep.equal([
            "enable webapp.service",
            "restart webapp.service",
            "daemon-reload",
            "enable --now webapp-db-connection.timer",
        ]);
        expect(run.stderr).to.include("the database connection is re-read every 60 s (webapp-db-connection.timer)");
    });

    describe("refresh (after a new connection document)", () => {
        const envFile = (connection: readonly string[]) => [...GCP_CLOUD.platformEnv, ...connection, ""].join("\n");
        const NEW_PASSWORD = "Renewed-_.~7qRs";
        const NEW_CONNECTION_ENV = [
            "DB_HOST='db2.example.internal'",
            "DB_PORT='3306'",
            "DB_NAME='webapp'",
            "DB_USER='webapp'",
            `DB_PASSWORD='${NEW_PASSWORD}'`,
        ];
        const refresh = (options: { env?: Record<string, string> } = {}) =>
            runAgainst(GCP_CLOUD, store, {
                args: ["refresh"],
                files: { [ENV_FILE]: envFile(CONNECTION_ENV) },
                env: options.env,
            });

        it("rewrites the env file with the new document and restarts the app, and nothing else", async () => {
            await store.put(
                GCP_SECRET_ID,
                JSON.stringify({ ...CONNECTION, host: "db2.example.internal", password: NEW_PASSWORD }),
            );
            const run = await refresh();
            expect(run.status, run.stderr).to.equal(0);
            expect(run.file(ENV_FILE)).to.equal(envFile(NEW_CONNECTION_ENV));
            expectPrivateEnvFile(run);
            expect(run.calls("systemctl")).to.deep.equal(["try-restart webapp.service"]);
            expect(run.calls("sleep")).to.deep.equal([]);
            expect(store.secretManager.accessRequests).to.have.length(1);
            expect(run.calls("curl").pop()).to.equal(
                `--silent --show-error --fail --max-time 10 --header @- ${accessUrl(store)}`,
            );
            // No agent config, no unit files, no copy of itself: only the env file changed.
            for (const file of [
                "etc/google-cloud-ops-agent/config.yaml",
                "etc/systemd/system/webapp-db-connection.timer",
                "usr/local/libexec/webapp-db-connection",
                "var/log/webapp",
            ]) {
                expect(existsSync(path.join(run.root, file)), file).to.equal(false);
            }
            expect(run.stderr).not.to.include(NEW_PASSWORD);
            expect(run.stderr).not.to.include(PASSWORD);
            expect(run.stderr).not.to.include(FAKE_ACCESS_TOKEN);
            expect(run.calls("curl").join("\n")).not.to.include(FAKE_ACCESS_TOKEN);
            expect(run.stderr).to.include(
                `the database connection changed: wrote ${run.root}${ENV_FILE}, restarting webapp.service`,
            );
        });

        it("leaves the env file and the app alone when the document is the same", async () => {
            const run = await refresh();
            expect(run.status, run.stderr).to.equal(0);
            expect(run.file(ENV_FILE)).to.equal(envFile(CONNECTION_ENV));
            expect(statSync(path.join(run.root, ENV_FILE)).mode & 0o777).to.equal(0o600);
            expect(run.calls("chown")).to.deep.equal([]);
            expect(run.calls("systemctl")).to.deep.equal([]);
            expect(store.secretManager.accessRequests).to.have.length(1);
            expect(run.stderr).to.include("the database connection is unchanged");
        });

        it("keeps the env file and the running app when the secret cannot be read", async () => {
            await store.stop();
            const run = await refresh();
            expect(run.status).to.equal(1);
            expect(run.file(ENV_FILE)).to.equal(envFile(CONNECTION_ENV));
            expect(run.calls("chown")).to.deep.equal([]);
            expect(run.calls("systemctl")).to.deep.equal([]);
            // The boot's retries (fake sleeps): 45 attempts, 44 sleeps.
            expect(run.calls("sleep")).to.have.length(44);
            const lastLine = run.stderr.trim().split("\n").pop() ?? "";
            expect(lastLine).to.match(
                / webapp-boot: ERROR: could not read the database secret projects\/my-project-123\/secrets\/dev-gcp-secrets-db-credentials-1a2b3c4 after 45 attempts$/,
            );
        });

        it("keeps the env file and the running app when the new document lacks a field", async () => {
            const { password: _password, ...document } = CONNECTION;
            await store.put(GCP_SECRET_ID, JSON.stringify(document));
            const run = await refresh();
            expect(run.status).to.equal(1);
            expect(run.file(ENV_FILE)).to.equal(envFile(CONNECTION_ENV));
            expect(run.calls("systemctl")).to.deep.equal([]);
            expect(run.stderr).to.include('the secret has no field "password"');
            expect(run.stderr.trim().split("\n").pop()).to.include(
                `webapp-boot: ERROR: could not compose ${run.root}${ENV_FILE}`,
            );
        });

        it("fails before reading anything when the image lacks curl", async () => {
            const run = await runAgainst(GCP_CLOUD, store, {
                args: ["refresh"],
                files: { [ENV_FILE]: envFile(CONNECTION_ENV) },
                missing: ["curl"],
            });
            expect(run.status).to.equal(1);
            expect(run.stderr).to.include("ERROR: required command not found on the image: curl");
            expect(store.secretManager.accessRequests).to.have.length(0);
            expect(run.file(ENV_FILE)).to.equal(envFile(CONNECTION_ENV));
        });
    });
});
