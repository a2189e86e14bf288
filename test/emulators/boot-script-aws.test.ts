/**
 * The EC2 boot script run for real with the real AWS CLI against the AWS API emulator (moto's
 * Secrets Manager): the shared boot-script suite (test/boot/suite.ts), then the AWS-only cases.
 */
import { CreateDBInstanceCommand, RDSClient } from "@aws-sdk/client-rds";
import { PutSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { expect } from "chai";
import { statSync } from "node:fs";
import * as path from "node:path";
import { CREDENTIALS_FIELD, CREDENTIALS_REFRESH } from "../../functions/boot/aws";
import { AWS_CLOUD, AWS_STARTED, MotoSecretStore, putAwsConnection } from "../boot/aws";
import { AWS_CREDENTIALS_NAME, AWS_REGION, AWS_SECRET_NAME } from "../boot/aws-params";
import { removeSandboxes } from "../boot/harness";
import { CONNECTION, CONNECTION_ENV, describeBootScript, ENV_FILE, PASSWORD, runAgainst } from "../boot/suite";

describeBootScript(AWS_CLOUD);

describe("EC2 boot script: AWS only", function () {
    this.timeout(120_000);
    let store: MotoSecretStore;
    beforeEach(async () => {
        store = await MotoSecretStore.start();
        await putAwsConnection(store, CONNECTION);
    });
    afterEach(() => store.close());
    after(removeSandboxes);

    it("starts the service even when the CloudWatch agent fails, with a warning", async () => {
        const run = await runAgainst(AWS_CLOUD, store, { env: { FAKE_AGENT_STATUS: "1" } });
        expect(run.status, run.stderr).to.equal(0);
        expect(run.stderr).to.include("WARNING: the CloudWatch agent did not start");
        expect(run.calls("systemctl")).to.deep.equal(AWS_STARTED);
    });

    it("fails before reading anything when the image lacks the CloudWatch agent", async () => {
        const run = await runAgainst(AWS_CLOUD, store, { missing: ["amazon-cloudwatch-agent-ctl"] });
        expect(run.status).to.equal(1);
        expect(run.stderr).to.include("ERROR: required command not found on the image: amazon-cloudwatch-agent-ctl");
        expect(run.calls("aws")).to.deep.equal([]);
        expect(await store.reads()).to.equal(0);
    });

    it("reads in the stack's region even when the image's environment names another", async () => {
        const run = await runAgainst(AWS_CLOUD, store, { env: { AWS_DEFAULT_REGION: "us-east-1" } });
        expect(run.status, run.stderr).to.equal(0);
        const [request] = await store.readRequests();
        expect(request.headers.authorization).to.match(/\/eu-central-1\/secretsmanager\/aws4_request/);
    });

    it("installs itself as the credentials refresh, run by a timer every 60 s", async () => {
        const run = await runAgainst(AWS_CLOUD, store);
        expect(run.status, run.stderr).to.equal(0);
        expect(run.file(CREDENTIALS_REFRESH.command)).to.equal(run.script);
        expect(statSync(path.join(run.root, CREDENTIALS_REFRESH.command)).mode & 0o777).to.equal(0o700);
        const unit = `/etc/systemd/system/${CREDENTIALS_REFRESH.unit}`;
        expect(run.file(`${unit}.service`)).to.include(
            `\nType=oneshot\nExecStart=${CREDENTIALS_REFRESH.command} refresh\n`,
        );
        expect(run.file(`${unit}.timer`)).to.include("\nOnActiveSec=60s\nOnUnitActiveSec=60s\n");
        expect(run.file(`${unit}.timer`)).to.include("\nWantedBy=timers.target\n");
        expect(run.stderr).to.include(`the credentials are re-read every 60 s (${CREDENTIALS_REFRESH.unit}.timer)`);
    });

    describe("refresh (after RDS rotated the password)", () => {
        const envFile = (password: string) =>
            [
                ...AWS_CLOUD.platformEnv,
                ...CONNECTION_ENV.map((l) => (l.startsWith("DB_PASSWORD=") ? `DB_PASSWORD='${password}'` : l)),
                "",
            ].join("\n");

        it("rewrites the env file with the new password and restarts the app, and nothing else", async () => {
            const rotated = "Rotated-_.~9xYz";
            await new SecretsManagerClient({ ...store.moto.clientConfig(), region: AWS_REGION }).send(
                new PutSecretValueCommand({
                    SecretId: store.arnOf(AWS_CREDENTIALS_NAME),
                    SecretString: JSON.stringify({ username: "webapp", password: rotated }),
                }),
            );
            const run = await runAgainst(AWS_CLOUD, store, {
                args: ["refresh"],
                files: { [ENV_FILE]: envFile(PASSWORD) },
            });
            expect(run.status, run.stderr).to.equal(0);
            expect(run.file(ENV_FILE)).to.equal(envFile(rotated));
            expect(statSync(path.join(run.root, ENV_FILE)).mode & 0o777).to.equal(0o600);
            expect(run.calls("systemctl")).to.deep.equal(["try-restart webapp.service"]);
            expect(run.calls("amazon-cloudwatch-agent-ctl")).to.deep.equal([]);
            expect(run.stderr).not.to.include(rotated);
            expect(run.stderr).to.include("the database connection changed");
        });

        it("leaves the env file and the app alone when nothing changed", async () => {
            const run = await runAgainst(AWS_CLOUD, store, {
                args: ["refresh"],
                files: { [ENV_FILE]: envFile(PASSWORD) },
            });
            expect(run.status, run.stderr).to.equal(0);
            expect(run.file(ENV_FILE)).to.equal(envFile(PASSWORD));
            expect(run.calls("chown")).to.deep.equal([]);
            expect(run.calls("systemctl")).to.deep.equal([]);
            expect(run.stderr).to.include("the database connection is unchanged");
        });

        it("keeps the env file and the running app when the secrets cannot be read", async function () {
            // 45 attempts against a stopped endpoint, as the shared suite's give-up case (same limit).
            // The CLI's own retries of a refused connection (about 7 s each time) are turned off:
            // the script's attempts are what is tested.
            this.timeout(240_000);
            await store.stop();
            const run = await runAgainst(AWS_CLOUD, store, {
                env: { AWS_MAX_ATTEMPTS: "1" },
                args: ["refresh"],
                files: { [ENV_FILE]: envFile(PASSWORD) },
            });
            expect(run.status).to.equal(1);
            expect(run.file(ENV_FILE)).to.equal(envFile(PASSWORD));
            expect(run.calls("systemctl")).to.deep.equal([]);
            expect(run.stderr.trim().split("\n").pop()).to.match(
                /ERROR: could not read the database secret \S+ after 45 attempts$/,
            );
        });
    });

    it("fails clearly when the connection document names no credentials secret", async () => {
        await store.close();
        store = await MotoSecretStore.start();
        const { username: _u, password: _p, ...document } = CONNECTION;
        await store.put(AWS_SECRET_NAME, JSON.stringify(document));
        const run = await runAgainst(AWS_CLOUD, store);
        expect(run.status).to.equal(1);
        expect(run.stderr).to.include(`the secret has no field "${CREDENTIALS_FIELD}"`);
        expect(run.stderr.trim().split("\n").pop()).to.include(
            `ERROR: the database secret ${store.arnOf(AWS_SECRET_NAME)} names no credentials secret`,
        );
        AWS_CLOUD.expectNothingStarted(run);
    });

    it("gives up after 45 attempts when the credentials secret does not exist", async () => {
        await store.close();
        store = await MotoSecretStore.start();
        const { username: _u, password: _p, ...document } = CONNECTION;
        const missing = store.arnOf(AWS_CREDENTIALS_NAME);
        await store.put(AWS_SECRET_NAME, JSON.stringify({ ...document, [CREDENTIALS_FIELD]: missing }));
        const run = await runAgainst(AWS_CLOUD, store);
        expect(run.status).to.equal(1);
        expect(run.stderr.trim().split("\n").pop()).to.include(
            `ERROR: could not read the database credentials ${missing} after 45 attempts`,
        );
        expect(await store.reads()).to.equal(46);
        AWS_CLOUD.expectNothingStarted(run);
    });

    it("reads the secret RDS itself creates for an instance with managed master credentials", async () => {
        await store.close();
        store = await MotoSecretStore.start();
        const rds = new RDSClient({ ...store.moto.clientConfig(), region: AWS_REGION });
        const created = await rds.send(
            new CreateDBInstanceCommand({
                DBInstanceIdentifier: "webapp-dev-abc123",
                Engine: "mysql",
                DBInstanceClass: "db.t3.micro",
                AllocatedStorage: 20,
                MasterUsername: "webapp",
                ManageMasterUserPassword: true,
            }),
        );
        const managed = created.DBInstance?.MasterUserSecret?.SecretArn ?? "";
        expect(managed).to.match(new RegExp(`^arn:aws:secretsmanager:${AWS_REGION}:\\d{12}:secret:rds!db-`));
        const { username: _u, password: _p, ...document } = CONNECTION;
        await store.put(AWS_SECRET_NAME, JSON.stringify({ ...document, [CREDENTIALS_FIELD]: managed }));
        const run = await runAgainst(AWS_CLOUD, store);
        expect(run.status, run.stderr).to.equal(0);
        const env = run.file(ENV_FILE).split("\n");
        expect(env.filter((l) => l.startsWith("DB_USER=") || l.startsWith("DB_PASSWORD="))).to.have.length(2);
        expect(env).to.include("DB_HOST='db.example.internal'");
        expect(env.find((l) => l.startsWith("DB_PASSWORD="))).to.match(/^DB_PASSWORD='.+'$/);
    });
});
