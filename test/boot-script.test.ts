/**
 * The EC2 boot script, run for real: the rendered script executes under bash with a temporary
 * filesystem root (WEBAPP_ROOT) and fake `aws`, `sleep`, `chown`, `systemctl` and
 * `amazon-cloudwatch-agent-ctl` commands on PATH that record how they were called.
 */
import { expect } from "chai";
import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { CW_AGENT_CONFIG, cloudWatchAgentConfig, renderAwsBootScript, type AwsBootParams } from "../functions/boot/aws";
import { envLines, renderBootScript, shellQuote } from "../functions/boot/render";
import {
    expectLogDirectory,
    expectPrivateEnvFile,
    expectShellcheckClean,
    removeSandboxes,
    runBootScript,
    type BootRun,
} from "./boot-harness";

const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:webapp-db-AbCdEf";
const TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:registrations";
const PASSWORD = "Pw-_.~!%^*+=9xY";
const SECRET = JSON.stringify({
    engine: "mysql",
    host: "db.example.internal",
    port: 3306,
    dbname: "webapp",
    username: "webapp",
    password: PASSWORD,
    dbInstanceIdentifier: "webapp-dev-abcdef",
});

const PARAMS: AwsBootParams = {
    region: "us-east-1",
    dbSecretId: SECRET_ARN,
    bucketName: "webapp-dev-bucket-1234567",
    registrationTopicArn: TOPIC_ARN,
    app: { user: "webapp", directory: "/opt/webapp", serviceName: "webapp", port: 80 },
    logGroupName: "webapp-dev-app-logs-1234567",
    metricsNamespace: "webapp/dev",
    secretVersion: "v-0123456789ab",
};

/** Each fake appends its arguments, one call per line, to <calls>/<name>. */
const FAKES: Record<string, string> = {
    aws: `
count_file="$FAKE_CALLS/aws.count"
count=$(( $(cat "$count_file" 2>/dev/null || echo 0) + 1 ))
echo "$count" >"$count_file"
if [ "$count" -le "\${FAKE_AWS_FAILURES:-0}" ]; then
    echo "An error occurred (ThrottlingException) when calling the GetSecretValue operation: Rate exceeded" >&2
    exit 255
fi
printf '%s\\n' "$FAKE_SECRET"`,
    sleep: "",
    chown: 'exit "${FAKE_CHOWN_STATUS:-0}"',
    systemctl: "",
    "amazon-cloudwatch-agent-ctl": 'exit "${FAKE_AGENT_STATUS:-0}"',
};

interface RunOptions {
    readonly script?: string;
    readonly secret?: string;
    readonly awsFailures?: number;
    readonly agentStatus?: number;
    readonly chownStatus?: number;
    readonly missing?: string[];
}

/** Runs the rendered script (or `options.script`) with the fakes above. */
function runScript(options: RunOptions = {}): BootRun {
    return runBootScript({
        script: options.script ?? renderAwsBootScript(PARAMS),
        fakes: FAKES,
        missing: options.missing,
        env: {
            FAKE_SECRET: options.secret ?? SECRET,
            FAKE_AWS_FAILURES: String(options.awsFailures ?? 0),
            FAKE_AGENT_STATUS: String(options.agentStatus ?? 0),
            FAKE_CHOWN_STATUS: String(options.chownStatus ?? 0),
        },
    });
}

const ENV_FILE = "/opt/webapp/.env.db";

describe("EC2 boot script", () => {
    after(removeSandboxes);

    describe("rendering", () => {
        it("holds names and ARNs but no secret value", () => {
            const script = renderAwsBootScript(PARAMS);
            expect(script).to.match(/^#!\/bin\/bash\n/);
            expect(script).to.include(`DB_SECRET_ID='${SECRET_ARN}'`);
            expect(script).to.include(`SNS_TOPIC_ARN='${TOPIC_ARN}'`);
            expect(script).to.include("# Database secret version at deploy: v-0123456789ab");
            expect(script).not.to.include(PASSWORD);
            expect(script, "no password line in the rendered env document").not.to.include("DB_PASSWORD='");
        });

        it("leaves the topic out of the env file when there is none", () => {
            const script = renderAwsBootScript({ ...PARAMS, registrationTopicArn: undefined });
            expect(script).not.to.include("SNS_TOPIC_ARN");
        });

        it("quotes values for bash and rejects what the env file cannot carry", () => {
            expect(shellQuote("it's")).to.equal(`'it'\\''s'`);
            expect(envLines({ A: "1", B: "x y" })).to.equal("A='1'\nB='x y'");
            expect(() => envLines({ A: "it's" })).to.throw(/A contains a quote/);
            expect(() => envLines({ lower: "x" })).to.throw(/not an upper-case shell variable/);
            expect(() => renderAwsBootScript({ ...PARAMS, bucketName: "a\nrm -rf /" })).to.throw(/line break/);
            expect(() =>
                renderBootScript({
                    title: "t",
                    variables: {},
                    documents: { doc: "x\nWEBAPP_DOCUMENT_END\ny" },
                    fragment: "aws.sh",
                }),
            ).to.throw(/contains the line WEBAPP_DOCUMENT_END/);
        });
    });

    describe("shellcheck", () => {
        for (const [label, params] of [
            ["with a registration topic", PARAMS],
            ["without a registration topic", { ...PARAMS, registrationTopicArn: undefined }],
        ] as const) {
            it(`finds nothing in the rendered script ${label}`, function () {
                expectShellcheckClean(this, renderAwsBootScript(params));
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

        it("reads the secret once, by ARN, in the stack's region, as text", () => {
            expect(run.calls("aws")).to.deep.equal([
                `secretsmanager get-secret-value --region us-east-1 --secret-id ${SECRET_ARN} --query SecretString --output text`,
            ]);
            expect(run.calls("sleep")).to.deep.equal([]);
        });

        it("writes the env file with the platform values and the database connection", () => {
            expect(run.file(ENV_FILE)).to.equal(
                [
                    "APP_PORT='80'",
                    "LOG_FILE='/var/log/webapp/app.log'",
                    "STATSD_HOST='127.0.0.1'",
                    "STATSD_PORT='8125'",
                    "AWS_REGION='us-east-1'",
                    "AWS_DEFAULT_REGION='us-east-1'",
                    `S3_BUCKET_NAME='${PARAMS.bucketName}'`,
                    `SNS_TOPIC_ARN='${TOPIC_ARN}'`,
                    "DB_HOST='db.example.internal'",
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

        it("never prints a secret value", () => {
            expect(run.stderr).not.to.include(PASSWORD);
            expect(run.stderr).to.include(`wrote ${run.root}${ENV_FILE} (mode 0600, owner webapp)`);
        });

        it("writes the CloudWatch agent config: StatsD on 8125, the app log, memory and disk", () => {
            const config = JSON.parse(run.file(CW_AGENT_CONFIG));
            expect(config).to.deep.equal(cloudWatchAgentConfig(PARAMS));
            expect(config.metrics.metrics_collected.statsd.service_address).to.equal("127.0.0.1:8125");
            expect(config.metrics.metrics_collected.mem.measurement).to.deep.equal(["mem_used_percent"]);
            expect(config.metrics.metrics_collected.disk).to.deep.equal({
                measurement: ["used_percent"],
                resources: ["/"],
            });
            expect(config.metrics.namespace).to.equal("webapp/dev");
            expect(config.logs.logs_collected.files.collect_list).to.deep.equal([
                {
                    file_path: "/var/log/webapp/app.log",
                    log_group_name: PARAMS.logGroupName,
                    log_stream_name: "{instance_id}",
                    timezone: "UTC",
                },
            ]);
        });

        it("prepares the log directory for the app user", () => {
            expectLogDirectory(run);
        });

        it("starts the agent with that config, then enables and restarts the service", () => {
            expect(run.calls("amazon-cloudwatch-agent-ctl")).to.deep.equal([
                `-a fetch-config -m ec2 -s -c file:${run.root}${CW_AGENT_CONFIG}`,
            ]);
            expect(run.calls("systemctl")).to.deep.equal(["enable webapp.service", "restart webapp.service"]);
        });
    });

    it("retries transient failures with growing delays, then succeeds", () => {
        const run = runScript({ awsFailures: 3 });
        expect(run.status, run.stderr).to.equal(0);
        expect(run.calls("aws")).to.have.length(4);
        expect(run.calls("sleep")).to.deep.equal(["2", "4", "8"]);
        expect(run.stderr).to.include("read_database_secret failed (attempt 1 of 8); retrying in 2s");
        expect(run.file(ENV_FILE)).to.include(`DB_PASSWORD='${PASSWORD}'`);
        expect(run.calls("systemctl")).to.deep.equal(["enable webapp.service", "restart webapp.service"]);
    });

    it("gives up after 8 attempts with a clear error and starts nothing", () => {
        const run = runScript({ awsFailures: 1000 });
        expect(run.status).to.equal(1);
        expect(run.calls("aws")).to.have.length(8);
        expect(run.calls("sleep")).to.deep.equal(["2", "4", "8", "16", "30", "30", "30"]);
        const lastLine = run.stderr.trim().split("\n").pop();
        expect(lastLine).to.match(
            new RegExp(`webapp-boot: ERROR: could not read the database secret ${SECRET_ARN} after 8 attempts$`),
        );
        expect(existsSync(path.join(run.root, ENV_FILE))).to.equal(false);
        expect(run.calls("systemctl")).to.deep.equal([]);
        expect(run.calls("amazon-cloudwatch-agent-ctl")).to.deep.equal([]);
    });

    it("refuses a secret without a database field, naming the field and writing nothing", () => {
        const run = runScript({ secret: JSON.stringify({ host: "db", port: 3306, dbname: "webapp", username: "u" }) });
        expect(run.status).to.equal(1);
        expect(run.stderr).to.include('the secret has no field "password"');
        expect(run.stderr).to.include(`ERROR: could not write ${run.root}${ENV_FILE}`);
        expect(existsSync(path.join(run.root, "opt/webapp")), "nothing written in the app directory").to.equal(false);
        expect(run.calls("systemctl")).to.deep.equal([]);
    });

    it("leaves no env file and no temporary file when the app user cannot own it", () => {
        const run = runScript({ chownStatus: 1 });
        expect(run.status).to.equal(1);
        expect(run.stderr).to.include(`ERROR: could not write ${run.root}${ENV_FILE}`);
        expect(readdirSync(path.join(run.root, "opt/webapp")), "files in the app directory").to.deep.equal([]);
        expect(run.calls("systemctl")).to.deep.equal([]);
    });

    it("refuses a value the env file cannot carry without printing it", () => {
        const run = runScript({ secret: JSON.stringify({ ...JSON.parse(SECRET), password: "it's-secret" }) });
        expect(run.status).to.equal(1);
        expect(run.stderr).to.include('the secret field "password" contains a quote or a line break');
        expect(run.stderr).not.to.include("it's-secret");
        expect(existsSync(path.join(run.root, ENV_FILE))).to.equal(false);
    });

    it("refuses a secret that is not JSON", () => {
        const run = runScript({ secret: "not json" });
        expect(run.status).to.equal(1);
        expect(run.stderr).to.include("the secret is not a JSON document");
    });

    it("starts the service even when the CloudWatch agent fails, with a warning", () => {
        const run = runScript({ agentStatus: 1 });
        expect(run.status, run.stderr).to.equal(0);
        expect(run.stderr).to.include("WARNING: the CloudWatch agent did not start");
        expect(run.calls("systemctl")).to.deep.equal(["enable webapp.service", "restart webapp.service"]);
    });

    it("fails before touching anything when the image lacks a required tool", () => {
        const run = runScript({ missing: ["amazon-cloudwatch-agent-ctl"] });
        expect(run.status).to.equal(1);
        expect(run.stderr).to.include("ERROR: required command not found on the image: amazon-cloudwatch-agent-ctl");
        expect(run.calls("aws")).to.deep.equal([]);
        expect(existsSync(path.join(run.root, ENV_FILE))).to.equal(false);
    });

    it("writes no topic into the env file when there is none", () => {
        const run = runScript({ script: renderAwsBootScript({ ...PARAMS, registrationTopicArn: undefined }) });
        expect(run.status, run.stderr).to.equal(0);
        expect(run.file(ENV_FILE)).not.to.include("SNS_TOPIC_ARN");
        expect(run.file(ENV_FILE)).to.include("DB_HOST='db.example.internal'");
    });
});
