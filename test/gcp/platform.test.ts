import { expect } from "chai";
import { standardTags } from "../../components/shared/tags";
import type { OfflineRun } from "../../tools/offline/run";
import { isSecretValue } from "../../tools/offline/values";
import { build, buildStack } from "../support";
import { gcpOnly, gcpProviderUrn, TEST_PROJECT } from "./helpers";

/** Every GCP resource and invoke of a run goes through the one explicit GCP provider. */
function expectExplicitGcpProvider(run: OfflineRun): void {
    const provider = gcpProviderUrn(run);
    const gcpResources = run.resources.filter((r) => r.custom && r.type.startsWith("gcp:"));
    expect(gcpResources.length).to.be.greaterThan(30);
    for (const resource of gcpResources) {
        expect(resource.provider, resource.name).to.match(new RegExp(`^${escape(provider)}::`));
    }
    const gcpInvokes = run.invokes.filter((i) => i.token.startsWith("gcp:"));
    expect(gcpInvokes.length).to.be.greaterThan(0);
    for (const invoke of gcpInvokes) {
        expect(invoke.provider, invoke.token).to.match(new RegExp(`^${escape(provider)}::`));
    }
}

function escape(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const GCP_OUTPUT_KEYS = [
    "project",
    "region",
    "networkSelfLink",
    "subnetSelfLink",
    "instanceTag",
    "databaseHost",
    "databasePort",
    "databaseConnectionName",
    "databaseSecretId",
    "mailgunSecretId",
    "bucketName",
    "kmsKeyIds",
    "url",
    "loadBalancerIp",
    "instanceGroupManagerName",
    "dashboardUrl",
    "registrationTopic",
    "emailFunctionName",
    "emailDeadLetterTopic",
    "emailDeadLetterSubscription",
];

describe("gcp platform (gcp-only dev stack)", () => {
    let run: OfflineRun;
    before(async () => {
        run = await build(gcpOnly());
    });

    it("configures the GCP provider with the project, region and default labels", () => {
        const provider = run.plain(run.one("pulumi:providers:gcp"));
        expect(provider).to.include({ project: TEST_PROJECT, region: "us-east1", zone: "us-east1-b" });
        expect(JSON.parse(provider.defaultLabels)).to.deep.equal(standardTags(gcpOnly()));
    });

    it("builds every GCP resource and lookup with that provider", () => {
        expectExplicitGcpProvider(run);
    });

    it("builds no AWS resources", () => {
        expect(run.resources.filter((r) => r.type.startsWith("aws") || r.type.startsWith("webapp:aws:"))).to.deep.equal(
            [],
        );
        expect(run.outputs).to.not.have.property("aws");
    });

    it("exports the GCP outputs grouped under gcp, with no secret among them", () => {
        const gcp = run.outputs.gcp as Record<string, unknown>;
        expect(gcp).to.have.all.keys(GCP_OUTPUT_KEYS);
        expect(gcp).to.include({ project: TEST_PROJECT, databaseHost: "10.200.0.3", databasePort: 3306 });
        expect(gcp.databaseConnectionName).to.match(new RegExp(`^${TEST_PROJECT}:us-east1:dev-gcp-database-mysql-`));
        expect(gcp.kmsKeyIds).to.have.all.keys(["disk", "sql", "storage", "secrets", "messaging"]);
        expect(gcp.databaseSecretId).to.match(new RegExp(`^projects/${TEST_PROJECT}/secrets/`));
        for (const [key, value] of Object.entries(gcp)) {
            expect(isSecretValue(value), key).to.equal(false);
        }
    });
});

describe("gcp platform (demo stack: AWS and GCP)", () => {
    let run: OfflineRun;
    before(async () => {
        run = await buildStack("demo");
    });

    it("builds both clouds and groups the outputs per cloud", () => {
        expect(run.outputs.clouds).to.deep.equal(["aws", "gcp"]);
        expect(run.outputs).to.have.property("aws");
        expect(run.outputs.gcp).to.have.all.keys(GCP_OUTPUT_KEYS);
        expect(run.outputs.gcp).to.include({ project: "example-webapp-demo" });
    });

    it("uses the demo address plan on GCP", () => {
        expect(run.plain(run.one("gcp:compute/subnetwork:Subnetwork")).ipCidrRange).to.equal("10.11.0.0/20");
    });

    it("builds every GCP resource and lookup with the explicit GCP provider", () => {
        expectExplicitGcpProvider(run);
    });

    it("keeps the GCP database password out of everything but its user and secret", () => {
        const hits = run.locate("MockPw-").filter((h) => h.type.startsWith("gcp:"));
        expect(hits.map((h) => `${h.type} ${h.where}`)).to.have.members([
            "gcp:sql/user:User demo-gcp-database-user",
            "gcp:secretmanager/secretVersion:SecretVersion demo-gcp-database-credentials",
        ]);
        expect(run.locate("MockPw-").filter((h) => h.where === "<stack outputs>")).to.deep.equal([]);
    });
});
