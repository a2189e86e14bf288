/**
 * The EC2 boot script as a `BootCloud`: the real AWS CLI (from the emulator venv) against moto's
 * Secrets Manager. Only test/emulators/ imports this file: it needs the emulator.
 */
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { expect } from "chai";
import { existsSync } from "node:fs";
import * as path from "node:path";
import {
    CREDENTIALS_FIELD,
    CREDENTIALS_REFRESH,
    CW_AGENT_CONFIG,
    cloudWatchAgentConfig,
    renderAwsBootScript,
} from "../../functions/boot/aws";
import { awsCli, sharedMoto, type Moto } from "../../tools/emulators/moto";
import { AWS_CREDENTIALS_NAME, AWS_PARAMS, AWS_REGION, AWS_SECRET_NAME, AWS_TOPIC_ARN } from "./aws-params";
import type { BootRun } from "./harness";
import type { BootCloud, SecretStore } from "./suite";

/** The credentials RDS keeps in its own secret; everything else goes into the connection document. */
const CREDENTIAL_FIELDS = ["username", "password"];

/**
 * Stores a connection as the program and RDS do: the RDS-managed secret with the username and
 * password, and the connection document with the rest and that secret's ARN.
 */
export async function putAwsConnection(store: MotoSecretStore, connection: Readonly<Record<string, unknown>>) {
    const entries = Object.entries(connection);
    const credentials = Object.fromEntries(entries.filter(([k]) => CREDENTIAL_FIELDS.includes(k)));
    const document = Object.fromEntries(entries.filter(([k]) => !CREDENTIAL_FIELDS.includes(k)));
    await store.put(AWS_CREDENTIALS_NAME, JSON.stringify(credentials));
    await store.put(
        AWS_SECRET_NAME,
        JSON.stringify({ ...document, [CREDENTIALS_FIELD]: store.arnOf(AWS_CREDENTIALS_NAME) }),
    );
}

/** The systemctl calls of a successful boot: the app, then the credentials timer. */
export const AWS_STARTED = [
    "enable webapp.service",
    "restart webapp.service",
    "daemon-reload",
    `enable --now ${CREDENTIALS_REFRESH.unit}.timer`,
];

/** moto's seed before the secrets are created, so a restarted server gives them the same ARNs. */
const SEED = 20;

/**
 * moto's Secrets Manager in AWS_REGION, and the real AWS CLI. The script's environment has the
 * endpoint and dummy credentials but no region (an instance has none either), so the script's own
 * `--region` decides where it reads.
 */
export class MotoSecretStore implements SecretStore {
    readonly tools = { aws: awsCli() };
    readonly env: Record<string, string>;
    private readonly stored: Array<[string, string]> = [];
    private readonly arns = new Map<string, string>();

    private constructor(readonly moto: Moto) {
        const { AWS_REGION: _region, AWS_DEFAULT_REGION: _default, ...env } = moto.env();
        this.env = env;
    }

    static async start(): Promise<MotoSecretStore> {
        const moto = await sharedMoto();
        await moto.reset();
        await moto.seed(SEED);
        return new MotoSecretStore(moto);
    }

    private client(): SecretsManagerClient {
        return new SecretsManagerClient({ ...this.moto.clientConfig(), region: AWS_REGION });
    }

    async put(secretId: string, value: string): Promise<void> {
        const created = await this.client().send(new CreateSecretCommand({ Name: secretId, SecretString: value }));
        this.arns.set(secretId, created.ARN!);
        this.stored.push([secretId, value]);
    }

    /** The ARN of a stored secret; for one never stored, an ARN of the same form that does not exist. */
    arnOf(secretId: string): string {
        return this.arns.get(secretId) ?? `arn:aws:secretsmanager:${AWS_REGION}:123456789012:secret:${secretId}-AbCdEf`;
    }

    /** The GetSecretValue requests moto answered. */
    readRequests() {
        return this.moto.requests("secretsmanager.GetSecretValue");
    }

    async reads(): Promise<number> {
        return (await this.readRequests()).length;
    }

    stop(): Promise<void> {
        return this.moto.stop();
    }

    /** Restarts moto (which forgets everything) and stores the same secrets again, under the same ARNs. */
    async resume(): Promise<void> {
        await this.moto.resume();
        await this.moto.seed(SEED);
        const stored = this.stored.splice(0);
        for (const [id, value] of stored) {
            const before = this.arns.get(id);
            await this.put(id, value);
            expect(this.arns.get(id), "the ARN after the restart").to.equal(before);
        }
    }

    async close(): Promise<void> {
        await this.moto.resume();
    }
}

export const AWS_CLOUD: BootCloud<MotoSecretStore> = {
    title: "EC2 boot script (real AWS CLI, AWS API emulator)",
    secretId: AWS_SECRET_NAME,
    putConnection: putAwsConnection,
    readsPerBoot: 2,
    notJsonError: (_run, store) => `the database secret ${store.arnOf(AWS_SECRET_NAME)} names no credentials secret`,
    secretReference: (store) => store.arnOf(AWS_SECRET_NAME),
    startStore: () => MotoSecretStore.start(),
    render: (store, options = {}) =>
        renderAwsBootScript({
            ...AWS_PARAMS,
            dbSecretId: store.arnOf(AWS_SECRET_NAME),
            registrationTopicArn: options.topic === false ? undefined : AWS_TOPIC_ARN,
        }),
    fakes: {
        systemctl: "",
        "amazon-cloudwatch-agent-ctl": 'exit "${FAKE_AGENT_STATUS:-0}"',
    },
    clientTool: "aws",
    readFunction: "read_database_secret",
    platformEnv: [
        "APP_PORT='80'",
        "LOG_FILE='/var/log/webapp/app.log'",
        "STATSD_HOST='127.0.0.1'",
        "STATSD_PORT='8125'",
        `AWS_REGION='${AWS_REGION}'`,
        `AWS_DEFAULT_REGION='${AWS_REGION}'`,
        `S3_BUCKET_NAME='${AWS_PARAMS.bucketName}'`,
        `SNS_TOPIC_ARN='${AWS_TOPIC_ARN}'`,
    ],
    topicKey: "SNS_TOPIC_ARN",
    notFound:
        /An error occurred \(ResourceNotFoundException\) when calling the GetSecretValue operation: Secrets Manager can't find the specified secret\./,
    async expectSecretRead(run, store) {
        const arns = [store.arnOf(AWS_SECRET_NAME), store.arnOf(AWS_CREDENTIALS_NAME)];
        expect(run.calls("aws")).to.deep.equal(
            arns.map(
                (arn) =>
                    `secretsmanager get-secret-value --region ${AWS_REGION} --secret-id ${arn} --query SecretString --output text`,
            ),
        );
        const requests = await store.readRequests();
        expect(requests.map((r) => JSON.parse(r.body))).to.deep.equal(arns.map((arn) => ({ SecretId: arn })));
        for (const request of requests) {
            // Signed for the stack's region (SigV4 credential scope).
            expect(request.headers.authorization).to.match(new RegExp(`/${AWS_REGION}/secretsmanager/aws4_request`));
        }
    },
    expectStarted(run: BootRun) {
        const config = JSON.parse(run.file(CW_AGENT_CONFIG));
        expect(config).to.deep.equal(cloudWatchAgentConfig(AWS_PARAMS));
        expect(config.metrics.metrics_collected.statsd.service_address).to.equal("127.0.0.1:8125");
        expect(config.metrics.namespace).to.equal("webapp/dev");
        expect(config.logs.logs_collected.files.collect_list[0].file_path).to.equal("/var/log/webapp/app.log");
        expect(run.calls("amazon-cloudwatch-agent-ctl")).to.deep.equal([
            `-a fetch-config -m ec2 -s -c file:${run.root}${CW_AGENT_CONFIG}`,
        ]);
        expect(run.calls("systemctl")).to.deep.equal(AWS_STARTED);
    },
    expectNothingStarted(run) {
        expect(existsSync(path.join(run.root, CW_AGENT_CONFIG)), "the agent config").to.equal(false);
        expect(run.calls("amazon-cloudwatch-agent-ctl")).to.deep.equal([]);
        expect(run.calls("systemctl")).to.deep.equal([]);
    },
};
