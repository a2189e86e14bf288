/**
 * The EC2 boot script run for real with the real AWS CLI against the AWS API emulator (moto's
 * Secrets Manager): the shared boot-script suite (test/boot/suite.ts), then the AWS-only cases.
 */
import { expect } from "chai";
import { AWS_CLOUD, MotoSecretStore } from "../boot/aws";
import { AWS_SECRET_NAME } from "../boot/aws-params";
import { removeSandboxes } from "../boot/harness";
import { CONNECTION, describeBootScript, runAgainst } from "../boot/suite";

describeBootScript(AWS_CLOUD);

describe("EC2 boot script: AWS only", function () {
    this.timeout(120_000);
    let store: MotoSecretStore;
    beforeEach(async () => {
        store = await MotoSecretStore.start();
        await store.put(AWS_SECRET_NAME, JSON.stringify(CONNECTION));
    });
    afterEach(() => store.close());
    after(removeSandboxes);

    it("starts the service even when the CloudWatch agent fails, with a warning", async () => {
        const run = await runAgainst(AWS_CLOUD, store, { env: { FAKE_AGENT_STATUS: "1" } });
        expect(run.status, run.stderr).to.equal(0);
        expect(run.stderr).to.include("WARNING: the CloudWatch agent did not start");
        expect(run.calls("systemctl")).to.deep.equal(["enable webapp.service", "restart webapp.service"]);
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
});
