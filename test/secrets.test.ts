import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { awsContext, createAwsPlatform } from "../components/aws";
import { mockPassword, mockRedisAuthString } from "../tools/offline/mocks";
import { runOffline, type OfflineRun } from "../tools/offline/run";
import { isSecretValue } from "../tools/offline/values";
import { build, buildStack, stackConfig, TEST_MAILGUN_KEY } from "./support";

/**
 * The secrets rules, checked on everything a stack registers: the generated database password (GCP)
 * and the Mailgun key appear only in their secret store (and the database itself), always marked
 * secret, and never in stack outputs. On AWS the program holds no database password at all: RDS
 * generates it into its own secret. The CDN's origin header value (`features.cdn`) appears only in its
 * secret and its two consumers, CloudFront's origin and the load balancer's listener rule.
 */
/**
 * Each stack, how many database passwords it generates (Cloud SQL's, when GCP is on), how many RDS
 * read replicas it has, how many cache AUTH tokens (`features.cache`) and how many CDN origin header
 * values (`features.cdn`) it generates.
 */
const STACKS: Array<[string, () => Promise<OfflineRun>, number, number, number, number]> = [
    ["dev stack", () => buildStack("dev"), 0, 0, 0, 0],
    ["demo stack", () => buildStack("demo"), 1, 0, 0, 0],
    ["prod stack", () => buildStack("prod"), 1, 1, 1, 1],
    ["dev stack with the cache", () => build(stackConfig("dev", { features: { cache: true } })), 0, 0, 1, 0],
    // The DR region adds a replica database, replicated secrets and a function: none may hold either secret.
    [
        "demo stack with a DR region",
        () => build(stackConfig("demo", { aws: { dr: { region: "us-west-2" } }, features: { backup: true } })),
        1,
        1,
        0,
        0,
    ],
];
/** The CDN's generated origin header value (`<env>-secrets-cdn-origin-value`). */
const ORIGIN_VALUE = /-secrets-cdn-origin-value$/;
/** The cache's generated AUTH token (`<cache>-auth-token`). */
const CACHE_TOKEN = /-cache-auth-token$/;
for (const [label, make, generated, replicaCount, cacheTokens, originValues] of STACKS) {
    describe(`secrets never leak (${label})`, () => {
        let run: OfflineRun;
        before(async () => {
            run = await make();
        });

        const passwords = () =>
            run
                .ofType("random:index/randomPassword:RandomPassword")
                .filter((pw) => !CACHE_TOKEN.test(pw.name) && !ORIGIN_VALUE.test(pw.name))
                .map((pw) => mockPassword(pw.name));
        const generatedMatching = (pattern: RegExp) => () =>
            run
                .ofType("random:index/randomPassword:RandomPassword")
                .filter((pw) => pattern.test(pw.name))
                .map((pw) => mockPassword(pw.name));
        const tokens = generatedMatching(CACHE_TOKEN);
        const origins = generatedMatching(ORIGIN_VALUE);

        it("generates no password for RDS: no password input, the RDS-managed secret instead", () => {
            const dbs = run.ofType("aws:rds/instance:Instance");
            const primaries = dbs.filter((db) => db.inputs.replicateSourceDb === undefined);
            const replicas = dbs.filter((db) => db.inputs.replicateSourceDb !== undefined);
            expect([primaries.length, replicas.length]).to.deep.equal([1, replicaCount]);
            for (const db of primaries) {
                expect(Object.keys(db.inputs).filter((k) => /password/i.test(k))).to.deep.equal([
                    "manageMasterUserPassword",
                ]);
                expect(db.inputs.manageMasterUserPassword).to.equal(true);
            }
            // A read replica takes its credentials from its source: it has no password input at all.
            for (const db of replicas) {
                expect(Object.keys(db.inputs).filter((k) => /password/i.test(k))).to.deep.equal([]);
            }
            // The only generated passwords are GCP's (Cloud SQL), under the GCP secrets tier, the cache's token and the CDN's origin value.
            for (const pw of run.ofType("random:index/randomPassword:RandomPassword")) {
                expect(pw.name).to.match(/-gcp-secrets-db-password$|-cache-auth-token$|-secrets-cdn-origin-value$/);
            }
            expect(passwords()).to.have.length(generated);
        });

        it("the connection document on AWS holds no password, and is still stored as a secret", () => {
            const doc = run
                .ofType("aws:secretsmanager/secretVersion:SecretVersion")
                .filter((v) => /-database-credentials$/.test(v.name));
            expect(doc).to.have.length(1);
            expect(isSecretValue(doc[0].inputs.secretString)).to.equal(true);
            const fields = Object.keys(JSON.parse(String(run.plain(doc[0]).secretString)));
            expect(fields.filter((f) => /pass/i.test(f))).to.deep.equal([]);
        });

        it("the database password appears only in the credentials secret and the database, as a secret", () => {
            expect(passwords()).to.have.length(generated);
            for (const password of passwords()) {
                const hits = run.locate(password);
                const allowed = new Set(["gcp:secretmanager/secretVersion:SecretVersion", "gcp:sql/user:User"]);
                expect(hits.length).to.be.greaterThan(0);
                for (const hit of hits) {
                    expect(allowed.has(hit.type), `${hit.type} ${hit.where}.${hit.path}`).to.equal(true);
                    expect(hit.inSecret, `${hit.where}.${hit.path} is not marked secret`).to.equal(true);
                }
                const versions = hits.filter((h) => h.type.endsWith("secretVersion:SecretVersion"));
                expect(versions.every((h) => /-(credentials|db-password)$/.test(h.where))).to.equal(true);
                // The password alone has a secret of its own only for Cloud Run, which injects whole secrets.
                const alone = versions.filter((h) => /-db-password$/.test(h.where));
                expect(alone.length > 0).to.equal(run.ofType("gcp:cloudrunv2/service:Service").length > 0);
            }
        });

        it("the Mailgun key appears only in its secret version, as a secret", () => {
            const hits = run.locate(TEST_MAILGUN_KEY);
            expect(hits.length).to.be.greaterThan(0);
            for (const hit of hits) {
                expect(hit.type).to.match(/secrets?manager\/secretVersion:SecretVersion$/);
                expect(hit.where).to.match(/-mailgun-api-key$/);
                expect(hit.inSecret).to.equal(true);
            }
        });

        it("the cache AUTH token appears only in its secret version and the replication group, as a secret", () => {
            expect(tokens()).to.have.length(cacheTokens);
            for (const token of tokens()) {
                const hits = run.locate(token);
                expect(hits.map((h) => h.type).sort()).to.deep.equal([
                    "aws:elasticache/replicationGroup:ReplicationGroup",
                    "aws:secretsmanager/secretVersion:SecretVersion",
                ]);
                for (const hit of hits) {
                    expect(hit.inSecret, `${hit.where}.${hit.path} is not marked secret`).to.equal(true);
                }
                const version = hits.find((h) => h.type === "aws:secretsmanager/secretVersion:SecretVersion");
                expect(version?.where).to.match(/-cache-auth-token$/);
            }
            // The consumers get the token by reference: the connection document names its secret only.
            const doc = run
                .ofType("aws:secretsmanager/secretVersion:SecretVersion")
                .find((v) => /-database-credentials$/.test(v.name));
            const fields = Object.keys(JSON.parse(String(run.plain(doc!).secretString)));
            expect(fields.filter((f) => /^cache/.test(f))).to.deep.equal(
                cacheTokens === 0 ? [] : ["cacheHost", "cachePort", "cacheAuthSecretArn"],
            );
        });

        it("stack outputs hold neither secret", () => {
            const outputs = JSON.stringify(run.outputs);
            expect(outputs.length).to.be.greaterThan(100);
            for (const secret of [...passwords(), ...tokens(), ...origins(), TEST_MAILGUN_KEY]) {
                expect(outputs).not.to.contain(secret);
            }
        });

        it("the CDN origin header value appears only in its secret, CloudFront's origin and the listener rule, as a secret", () => {
            expect(origins()).to.have.length(originValues);
            for (const value of origins()) {
                const hits = run.locate(value);
                expect(hits.map((h) => `${h.type} ${h.where}`).sort()).to.deep.equal([
                    "aws:cloudfront/distribution:Distribution prod-cdn-distribution",
                    "aws:lb/listenerRule:ListenerRule prod-compute-https-origin",
                    "aws:secretsmanager/secretVersion:SecretVersion prod-secrets-cdn-origin-header",
                ]);
                for (const hit of hits) {
                    expect(hit.inSecret, `${hit.where}.${hit.path} is not marked secret`).to.equal(true);
                }
            }
        });

        it("every secret version is marked secret on the wire", () => {
            const versions = run.ofType("aws:secretsmanager/secretVersion:SecretVersion");
            expect(versions).to.have.length(2 + cacheTokens + originValues);
            for (const version of run.ofType("aws:secretsmanager/secretVersion:SecretVersion")) {
                expect(isSecretValue(version.inputs.secretString), version.name).to.equal(true);
            }
        });
    });
}

/**
 * The Memorystore AUTH string (`features.cache` on GCP): Memorystore generates it, so it is an
 * output of the instance only; it may appear in no resource input but its secret version's, as a
 * secret, and in no stack output. The consumers get its secret's id.
 */
const GCP_CACHE_STACKS: Array<[string, () => Promise<OfflineRun>, string, number]> = [
    ["demo stack", () => buildStack("demo"), "demo", 0],
    ["prod stack (Cloud Run)", () => buildStack("prod"), "prod", 1],
    [
        "GCP dev stack with the cache (instances)",
        () =>
            build(
                stackConfig("dev", { clouds: ["gcp"], gcp: { project: "my-project-123" }, features: { cache: true } }),
            ),
        "dev",
        1,
    ],
];
for (const [label, make, environment, caches] of GCP_CACHE_STACKS) {
    describe(`the Memorystore AUTH string never leaks (${label})`, () => {
        let run: OfflineRun;
        before(async () => {
            run = await make();
        });
        const authStrings = () => run.ofType("gcp:redis/instance:Instance").map((i) => mockRedisAuthString(i.name));

        it("appears only in its secret version, as a secret, and in no stack output", () => {
            expect(authStrings()).to.have.length(caches);
            for (const auth of authStrings()) {
                const hits = run.locate(auth);
                expect(hits.map((h) => `${h.type} ${h.where}`)).to.deep.equal([
                    `gcp:secretmanager/secretVersion:SecretVersion ${environment}-gcp-cache-auth-string`,
                ]);
                expect(hits[0].path).to.equal("secretData");
                expect(hits[0].inSecret, "the secret version's data is not marked secret").to.equal(true);
                expect(JSON.stringify(run.outputs)).not.to.contain(auth);
            }
        });

        it("reaches the application by reference: the instance asks for AUTH, the secret holds the string", () => {
            for (const instance of run.ofType("gcp:redis/instance:Instance")) {
                expect(Object.keys(instance.inputs).filter((k) => /^auth(?!orized)/.test(k))).to.deep.equal([
                    "authEnabled",
                ]);
            }
            const versions = run
                .ofType("gcp:secretmanager/secretVersion:SecretVersion")
                .filter((v) => /-cache-auth-string$/.test(v.name));
            expect(versions).to.have.length(caches);
            for (const version of versions) {
                expect(isSecretValue(version.inputs.secretData), version.name).to.equal(true);
            }
        });
    });
}

describe("secret Outputs in the program", () => {
    it("the Mailgun key is a secret Output, and the AWS platform holds no database password", async () => {
        const cfg = stackConfig("dev");
        const checks: Array<Promise<[string, boolean]>> = [];
        await runOffline(() => {
            const platform = createAwsPlatform(awsContext(cfg));
            expect(platform.secrets).not.to.have.property("databasePassword");
            checks.push(pulumi.isSecret(cfg.mailgun.apiKey).then((s) => ["mailgun key", s]));
        });
        expect(Object.fromEntries(await Promise.all(checks))).to.deep.equal({ "mailgun key": true });
    });
});
