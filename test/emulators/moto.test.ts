/**
 * The emulator harness itself: the AWS SDK and the AWS CLI reach moto's server through the
 * environment alone (as code under test does), a reset empties the account, and a stopped server
 * refuses connections until it is resumed.
 */
import { CreateSecretCommand, ListSecretsCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { awsCli, sharedMoto, type Moto } from "../../tools/emulators/moto";

describe("AWS API emulator (moto server)", () => {
    let moto: Moto;
    const client = () => new SecretsManagerClient(moto.clientConfig());

    before(async () => {
        moto = await sharedMoto();
    });
    beforeEach(() => moto.reset());

    it("serves a secret stored with the SDK to the AWS CLI configured by environment only", async () => {
        await client().send(new CreateSecretCommand({ Name: "webapp/harness", SecretString: '{"k":"v"}' }));
        const cli = spawnSync(
            awsCli(),
            [
                "secretsmanager",
                "get-secret-value",
                "--secret-id",
                "webapp/harness",
                "--query",
                "SecretString",
                "--output",
                "text",
            ],
            { env: { PATH: process.env.PATH ?? "", ...moto.env() }, encoding: "utf8" },
        );
        expect(cli.stderr).to.equal("");
        expect(cli.stdout.trim()).to.equal('{"k":"v"}');
    });

    it("forgets every resource on reset", async () => {
        await client().send(new CreateSecretCommand({ Name: "webapp/before-reset", SecretString: "x" }));
        await moto.reset();
        const listed = await client().send(new ListSecretsCommand({}));
        expect(listed.SecretList).to.deep.equal([]);
    });

    it("records every request with its operation, from the SDK and the CLI, until the next reset", async () => {
        await client().send(new CreateSecretCommand({ Name: "webapp/recorded", SecretString: "x" }));
        const cli = spawnSync(awsCli(), ["sns", "list-topics"], {
            env: { PATH: process.env.PATH ?? "", ...moto.env() },
            encoding: "utf8",
        });
        expect(cli.status, cli.stderr).to.equal(0);

        const recorded = await moto.requests();
        expect(recorded.map((r) => r.operation)).to.deep.equal(["secretsmanager.CreateSecret", "ListTopics"]);
        expect(JSON.parse(recorded[0].body)).to.include({ Name: "webapp/recorded", SecretString: "x" });
        expect(recorded[1].method).to.equal("POST");
        expect(await moto.requests("ListTopics")).to.have.length(1);

        await moto.reset();
        expect(await moto.requests()).to.deep.equal([]);
    });

    it("refuses connections while stopped and answers again once resumed", async () => {
        await moto.stop();
        let failure: unknown;
        try {
            await client().send(new ListSecretsCommand({}));
        } catch (error) {
            failure = error;
        }
        expect(String((failure as { code?: string })?.code ?? failure)).to.match(/ECONNREFUSED/);
        await moto.resume();
        const listed = await client().send(new ListSecretsCommand({}));
        expect(listed.SecretList).to.deep.equal([]);
    });
});
