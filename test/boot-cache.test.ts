/**
 * The EC2 boot script with the cache on (`features.cache`): what it renders, and a run with fake
 * AWS CLI answers that shows the token read from the secret the connection document names.
 */
import { expect } from "chai";
import { renderAwsBootScript } from "../functions/boot/aws";
import { AWS_PARAMS } from "./boot/aws-params";
import { expectPrivateEnvFile, expectShellcheckClean, removeSandboxes, runBootScript } from "./boot/harness";

const DOC_ARN = AWS_PARAMS.dbSecretId;
const CREDENTIALS_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf";
const TOKEN_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dev-cache-auth-token-AbCdEf";
const TOKEN = "tokentokentoken0123456789TOKENtokentokentoken0123456789TOKENab";
const PASSWORD = "db-password-0123456789";

/** A fake `aws` that answers get-secret-value for the three secrets (argument 6 is the secret id). */
function fakeAws(document: Record<string, unknown>): string {
    const answers: Record<string, string> = {
        [DOC_ARN]: JSON.stringify(document),
        [CREDENTIALS_ARN]: JSON.stringify({ username: "webapp", password: PASSWORD }),
        [TOKEN_ARN]: JSON.stringify({ cacheAuthToken: TOKEN }),
    };
    return [
        'case "$6" in',
        ...Object.entries(answers).map(([arn, value]) => `    '${arn}') printf '%s\\n' '${value}' ;;`),
        "    *) echo 'ResourceNotFoundException' >&2; exit 254 ;;",
        "esac",
    ].join("\n");
}

const DOCUMENT = {
    engine: "mysql",
    host: "db.example.internal",
    port: 3306,
    dbname: "webapp",
    credentialsSecretArn: CREDENTIALS_ARN,
    cacheHost: "master.cache.example.internal",
    cachePort: 6379,
    cacheAuthSecretArn: TOKEN_ARN,
};

const FAKES = { systemctl: "", chown: "", "amazon-cloudwatch-agent-ctl": "" };
const ENV_FILE = "/opt/webapp/.env.db";

describe("EC2 boot script with the cache", function () {
    this.timeout(120_000);
    after(() => removeSandboxes());

    it("renders the cache's field and env pairs only with the cache on", () => {
        const on = renderAwsBootScript({ ...AWS_PARAMS, cache: true });
        const off = renderAwsBootScript(AWS_PARAMS);
        expect(on.split("\n")).to.include("CACHE_SECRET_FIELD='cacheAuthSecretArn'");
        expect(on).to.include("'CACHE_HOST=cacheHost' 'CACHE_PORT=cachePort' 'CACHE_AUTH_TOKEN=cacheAuthToken'");
        expect(on.split("\n")).to.include("CACHE_TLS='true'");
        expect(off).not.to.include("CACHE_");
        expect(off).not.to.include("compose_app_env (common.sh's, redefined)");
        expect(on).not.to.include(TOKEN);
    });

    it("passes shellcheck with the cache on", function () {
        expectShellcheckClean(this, renderAwsBootScript({ ...AWS_PARAMS, cache: true }));
    });

    it("reads the token from the secret the document names and writes the cache's env keys", async () => {
        const run = await runBootScript({
            script: renderAwsBootScript({ ...AWS_PARAMS, cache: true }),
            fakes: { ...FAKES, aws: fakeAws(DOCUMENT) },
        });
        expect(run.status, run.stderr).to.equal(0);
        expect(run.calls("aws").map((c) => c.split(" ")[5])).to.deep.equal([DOC_ARN, CREDENTIALS_ARN, TOKEN_ARN]);
        const env = run.file(ENV_FILE).split("\n");
        expect(env).to.include.members([
            "CACHE_TLS='true'",
            "DB_HOST='db.example.internal'",
            `DB_PASSWORD='${PASSWORD}'`,
            "CACHE_HOST='master.cache.example.internal'",
            "CACHE_PORT='6379'",
            `CACHE_AUTH_TOKEN='${TOKEN}'`,
        ]);
        expectPrivateEnvFile(run);
        expect(run.stderr).not.to.include(TOKEN);
    });

    it("fails, writing nothing, when the document names no token secret", async () => {
        const { cacheAuthSecretArn: _dropped, ...withoutToken } = DOCUMENT;
        const run = await runBootScript({
            script: renderAwsBootScript({ ...AWS_PARAMS, cache: true }),
            fakes: { ...FAKES, aws: fakeAws(withoutToken) },
        });
        expect(run.status).to.equal(1);
        expect(run.stderr).to.include(
            `the database secret ${DOC_ARN} names no cache token secret (cacheAuthSecretArn)`,
        );
        expect(run.calls("systemctl")).to.deep.equal([]);
        expect(() => run.file(ENV_FILE)).to.throw();
    });
});
