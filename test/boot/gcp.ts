/**
 * The Compute Engine startup script as a `BootCloud`: the real curl against the metadata server
 * and Secret Manager fakes (test/fakes/google.ts), which answer as Google documents.
 */
import { expect } from "chai";
import { existsSync, statSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { OPS_AGENT_CONFIG, opsAgentConfig, renderGcpBootScript, type GcpBootParams } from "../../functions/boot/gcp";
import { FAKE_ACCESS_TOKEN, fakeMetadataServer, FakeSecretManager, METADATA_TOKEN_PATH } from "../fakes/google";
import type { FakeServer } from "../fakes/server";
import { machineCommand, type BootRun } from "./harness";
import { ENV_FILE, type BootCloud, type SecretStore } from "./suite";

export const GCP_PROJECT = "my-project-123";
export const GCP_SECRET_ID = `projects/${GCP_PROJECT}/secrets/dev-gcp-secrets-db-credentials-1a2b3c4`;
export const GCP_TOPIC = `projects/${GCP_PROJECT}/topics/dev-gcp-messaging-topic-5d6e7f8`;

export const GCP_PARAMS: GcpBootParams = {
    project: GCP_PROJECT,
    dbSecretId: GCP_SECRET_ID,
    bucketName: "dev-gcp-storage-bucket-1234567",
    registrationTopic: GCP_TOPIC,
    app: { user: "webapp", directory: "/opt/webapp", serviceName: "webapp", port: 80 },
};

export const APP_START = ["enable webapp.service", "restart webapp.service"];

/** The systemctl calls after the Ops Agent: the app, then the connection refresh timer. */
export const GCP_STARTED = [...APP_START, "daemon-reload", "enable --now webapp-db-connection.timer"];

/** The metadata server and Secret Manager, with the real curl that reaches them. */
export class GoogleSecretStore implements SecretStore {
    readonly tools = { curl: machineCommand("curl", "apt-get install curl") };
    readonly env = {};

    private constructor(
        readonly metadata: FakeServer,
        readonly secretManager: FakeSecretManager,
    ) {}

    static async start(): Promise<GoogleSecretStore> {
        return new GoogleSecretStore(
            await fakeMetadataServer(),
            await FakeSecretManager.start({ project: GCP_PROJECT }),
        );
    }

    get tokenUrl(): string {
        return `${this.metadata.url}${METADATA_TOKEN_PATH}`;
    }

    async put(secretId: string, value: string): Promise<void> {
        const match = new RegExp(`^projects/${GCP_PROJECT}/secrets/([^/]+)$`).exec(secretId);
        if (!match) {
            throw new Error(`not a secret of ${GCP_PROJECT}: ${secretId}`);
        }
        this.secretManager.addVersion(match[1], value);
    }

    async reads(): Promise<number> {
        return this.secretManager.accessRequests.length;
    }

    stop(): Promise<void> {
        return this.secretManager.server.stop();
    }

    resume(): Promise<void> {
        return this.secretManager.server.resume();
    }

    async close(): Promise<void> {
        await Promise.all([this.metadata.close(), this.secretManager.server.close()]);
    }
}

/** The access URL the script asks for (the latest version). */
export function accessUrl(store: GoogleSecretStore): string {
    return `${store.secretManager.url}/v1/${GCP_SECRET_ID}/versions/latest:access`;
}

export const GCP_CLOUD: BootCloud<GoogleSecretStore> = {
    title: "Compute Engine startup script (real curl, Google fakes)",
    secretId: GCP_SECRET_ID,
    putConnection: (store, connection) => store.put(GCP_SECRET_ID, JSON.stringify(connection)),
    readsPerBoot: 1,
    notJsonError: (run) => `could not write ${run.root}${ENV_FILE}`,
    secretReference: () => GCP_SECRET_ID,
    startStore: () => GoogleSecretStore.start(),
    render: (store, options = {}) =>
        renderGcpBootScript({
            ...GCP_PARAMS,
            registrationTopic: options.topic === false ? undefined : GCP_TOPIC,
            endpoints: { metadataTokenUrl: store.tokenUrl, secretManagerUrl: store.secretManager.url },
        }),
    fakes: {
        // `systemctl cat <unit>` tells whether the image has the unit.
        systemctl: `
if [ "$1" = cat ]; then
    exit "\${FAKE_UNIT_MISSING:-0}"
fi
if [ "$1 $2" = "restart google-cloud-ops-agent.service" ]; then
    exit "\${FAKE_AGENT_STATUS:-0}"
fi`,
    },
    clientTool: "curl",
    readFunction: "read_secret_response",
    platformEnv: [
        "APP_PORT='80'",
        "LOG_FILE='/var/log/webapp/app.log'",
        "STATSD_HOST='127.0.0.1'",
        "STATSD_PORT='8125'",
        `GOOGLE_CLOUD_PROJECT='${GCP_PROJECT}'`,
        `GCS_BUCKET_NAME='${GCP_PARAMS.bucketName}'`,
        `PUBSUB_TOPIC='${GCP_TOPIC}'`,
    ],
    topicKey: "PUBSUB_TOPIC",
    notFound: /curl: \(22\) The requested URL returned error: 404/,
    expectSecretRead(run, store) {
        expect(run.calls("curl")).to.deep.equal([
            `--silent --show-error --fail --max-time 5 --header Metadata-Flavor: Google ${store.tokenUrl}`,
            `--silent --show-error --fail --max-time 10 --header @- ${accessUrl(store)}`,
        ]);
        expect(store.metadata.requests.map((r) => r.headers["metadata-flavor"])).to.deep.equal(["Google"]);
        const [access] = store.secretManager.accessRequests;
        expect(access.method).to.equal("GET");
        expect(access.headers.authorization).to.equal(`Bearer ${FAKE_ACCESS_TOKEN}`);
        // The token travels on curl's stdin, never on a command line.
        expect(run.calls("curl").join("\n")).not.to.include(FAKE_ACCESS_TOKEN);
        expect(run.stderr).not.to.include(FAKE_ACCESS_TOKEN);
    },
    expectStarted(run: BootRun) {
        const config = parse(run.file(OPS_AGENT_CONFIG));
        expect(config).to.deep.equal(opsAgentConfig(GCP_PARAMS));
        expect(config.logging.receivers.webapp_app).to.deep.include({
            type: "files",
            include_paths: ["/var/log/webapp/app.log"],
        });
        expect(config.logging.service.pipelines.webapp_app.receivers).to.deep.equal(["webapp_app"]);
        const statsd = config.metrics.receivers.webapp_statsd;
        expect(statsd.type).to.equal("prometheus");
        expect(statsd.config.scrape_configs[0].static_configs).to.deep.equal([{ targets: ["127.0.0.1:9102"] }]);
        expect(config.metrics.service.pipelines).to.deep.equal({ webapp_statsd: { receivers: ["webapp_statsd"] } });
        expect(statSync(path.join(run.root, OPS_AGENT_CONFIG)).mode & 0o777).to.equal(0o644);
        expect(run.calls("systemctl")).to.deep.equal([
            "cat statsd-exporter.service",
            "enable statsd-exporter.service",
            "restart statsd-exporter.service",
            "restart google-cloud-ops-agent.service",
            ...GCP_STARTED,
        ]);
    },
    expectNothingStarted(run) {
        expect(existsSync(path.join(run.root, OPS_AGENT_CONFIG)), "the Ops Agent config").to.equal(false);
        expect(run.calls("systemctl")).to.deep.equal([]);
    },
};
