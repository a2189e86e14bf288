import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { awsContext, createAwsPlatform } from "../components/aws";
import { mockPassword } from "../tools/offline/mocks";
import { runOffline, type OfflineRun } from "../tools/offline/run";
import { isSecretValue } from "../tools/offline/values";
import { build, buildStack, stackConfig, TEST_MAILGUN_KEY } from "./support";

/**
 * The secrets rules, checked on everything a stack registers: the generated database password and
 * the Mailgun key appear only in their secret store (and the database itself), always marked
 * secret, and never in stack outputs.
 */
const STACKS: Array<[string, () => Promise<OfflineRun>]> = [
    ["dev stack", () => buildStack("dev")],
    ["demo stack", () => buildStack("demo")],
    // The DR region adds a replica database, replicated secrets and a function: none may hold either secret.
    [
        "demo stack with a DR region",
        () => build(stackConfig("demo", { aws: { dr: { region: "us-west-2" } }, features: { backup: true } })),
    ],
];
for (const [label, make] of STACKS) {
    describe(`secrets never leak (${label})`, () => {
        let run: OfflineRun;
        before(async () => {
            run = await make();
        });

        const passwords = () =>
            run.ofType("random:index/randomPassword:RandomPassword").map((pw) => mockPassword(pw.name));

        it("the database password appears only in the credentials secret and the database, as a secret", () => {
            expect(passwords().length).to.be.greaterThan(0);
            for (const password of passwords()) {
                const hits = run.locate(password);
                const allowed = new Set([
                    "aws:secretsmanager/secretVersion:SecretVersion",
                    "aws:rds/instance:Instance",
                    "gcp:secretmanager/secretVersion:SecretVersion",
                    "gcp:sql/user:User",
                ]);
                expect(hits.length).to.be.greaterThan(0);
                for (const hit of hits) {
                    expect(allowed.has(hit.type), `${hit.type} ${hit.where}.${hit.path}`).to.equal(true);
                    expect(hit.inSecret, `${hit.where}.${hit.path} is not marked secret`).to.equal(true);
                }
                const versions = hits.filter((h) => h.type.endsWith("secretVersion:SecretVersion"));
                expect(versions.every((h) => /-credentials$/.test(h.where))).to.equal(true);
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

        it("stack outputs hold neither secret", () => {
            const outputs = JSON.stringify(run.outputs);
            expect(outputs.length).to.be.greaterThan(100);
            for (const secret of [...passwords(), TEST_MAILGUN_KEY]) {
                expect(outputs).not.to.contain(secret);
            }
        });

        it("the password and both secret versions are marked secret on the wire", () => {
            const db = run.ofType("aws:rds/instance:Instance")[0];
            expect(isSecretValue(db.inputs.password)).to.equal(true);
            for (const version of run.ofType("aws:secretsmanager/secretVersion:SecretVersion")) {
                expect(isSecretValue(version.inputs.secretString), version.name).to.equal(true);
            }
        });
    });
}

describe("secret Outputs in the program", () => {
    it("the generated password and the Mailgun key are secret Outputs", async () => {
        const cfg = stackConfig("dev");
        const checks: Array<Promise<[string, boolean]>> = [];
        await runOffline(() => {
            const platform = createAwsPlatform(awsContext(cfg));
            checks.push(pulumi.isSecret(platform.secrets.databasePassword).then((s) => ["password", s]));
            checks.push(pulumi.isSecret(cfg.mailgun.apiKey).then((s) => ["mailgun key", s]));
        });
        expect(Object.fromEntries(await Promise.all(checks))).to.deep.equal({ password: true, "mailgun key": true });
    });
});
