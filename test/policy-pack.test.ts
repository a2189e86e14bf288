/**
 * The policy pack as the Pulumi CLI runs it: a separate process serving the analyzer protocol.
 * The test starts `policy/index.ts`, connects like the engine does and sends resources shaped as
 * the engine sends them during `pulumi preview` (secrets wrapped, computed values unknown).
 */
import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { RULES } from "../policy/rules";

// google-protobuf ships no type declarations; this is the part used here.
const { Struct } = require("google-protobuf/google/protobuf/struct_pb") as {
    Struct: { fromJavaScript(value: Record<string, unknown>): unknown };
};
const { Empty } = require("google-protobuf/google/protobuf/empty_pb") as { Empty: new () => unknown };

const POLICY_DIR = path.resolve(__dirname, "..", "policy");
/** How the engine marks a secret and an unknown value on the wire. */
const secret = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

interface Diagnostic {
    policy: string;
    level: "advisory" | "mandatory";
    message: string;
    /** Set by stack rules; resource rules leave it to the engine. */
    urn: string;
}

function options(): analyzer.AnalyzerResourceOptions {
    const opts = new analyzer.AnalyzerResourceOptions();
    opts.setProtect(false);
    return opts;
}

function provider(environment: string): analyzer.AnalyzerProviderResource {
    const p = new analyzer.AnalyzerProviderResource();
    p.setType("pulumi:providers:aws");
    p.setName(`${environment}-aws`);
    p.setUrn(`urn:pulumi:${environment}::webapp-infra::pulumi:providers:aws::${environment}-aws`);
    // The provider SDK sends non-string provider inputs to the engine as JSON text.
    p.setProperties(
        Struct.fromJavaScript({
            region: "us-east-1",
            defaultTags: JSON.stringify({ tags: { environment, project: "webapp-infra" } }),
        }) as never,
    );
    return p;
}

const urn = (type: string, name: string) => `urn:pulumi:demo::webapp-infra::${type}::${name}`;

function diagnostics(list: analyzer.AnalyzeDiagnostic[]): Diagnostic[] {
    return list.map((d) => ({
        policy: d.getPolicyname(),
        level: d.getEnforcementlevel() === analyzer.EnforcementLevel.MANDATORY ? "mandatory" : "advisory",
        // The SDK prefixes each message with the policy's description line.
        message: d.getMessage().split("\n").pop() ?? "",
        urn: d.getUrn(),
    }));
}

describe("policy pack (served like the Pulumi CLI runs it)", function () {
    this.timeout(60000);
    let child: ChildProcess;
    let client: AnalyzerClient;

    before(async () => {
        // The CLI starts the pack in its own folder; its dependencies resolve from policy/node_modules
        // when installed (CI) or from the project's (the root devDependency).
        child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "index.ts"], {
            cwd: POLICY_DIR,
            stdio: ["ignore", "pipe", "inherit"],
        });
        const port = await new Promise<string>((resolve, reject) => {
            child.once("error", reject);
            child.once("exit", (code) => reject(new Error(`policy pack exited with ${code}`)));
            child.stdout?.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
        });
        client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });

    after(() => {
        client?.close();
        child?.kill();
    });

    function analyze(
        type: string,
        name: string,
        props: Record<string, unknown>,
        environment = "demo",
    ): Promise<Diagnostic[]> {
        const req = new analyzer.AnalyzeRequest();
        req.setType(type);
        req.setName(name);
        req.setUrn(urn(type, name));
        req.setProperties(Struct.fromJavaScript(props) as never);
        req.setOptions(options());
        req.setProvider(provider(environment));
        return new Promise((resolve, reject) =>
            client.analyze(req, (err, res) =>
                err ? reject(err) : resolve(diagnostics(res?.getDiagnosticsList() ?? [])),
            ),
        );
    }

    function analyzeStack(
        resources: Array<{
            type: string;
            name: string;
            props: Record<string, unknown>;
            deps?: Record<string, string[]>;
        }>,
    ): Promise<Diagnostic[]> {
        const req = new analyzer.AnalyzeStackRequest();
        req.setResourcesList(
            resources.map((r) => {
                const res = new analyzer.AnalyzerResource();
                res.setType(r.type);
                res.setName(r.name);
                res.setUrn(urn(r.type, r.name));
                res.setProperties(Struct.fromJavaScript(r.props) as never);
                res.setOptions(options());
                res.setProvider(provider("demo"));
                for (const [key, urns] of Object.entries(r.deps ?? {})) {
                    const deps = new analyzer.AnalyzerPropertyDependencies();
                    deps.setUrnsList(urns);
                    res.getPropertydependenciesMap().set(key, deps);
                }
                res.setDependenciesList(Object.values(r.deps ?? {}).flat());
                return res;
            }),
        );
        return new Promise((resolve, reject) =>
            client.analyzeStack(req, (err, res) =>
                err ? reject(err) : resolve(diagnostics(res?.getDiagnosticsList() ?? [])),
            ),
        );
    }

    it("announces every rule with its enforcement level", async () => {
        const info = await new Promise<analyzer.AnalyzerInfo>((resolve, reject) =>
            client.getAnalyzerInfo(new Empty() as never, (err, res) => (err || !res ? reject(err) : resolve(res))),
        );
        expect(info.getName()).to.equal("webapp-infra-policy");
        const announced = Object.fromEntries(
            info
                .getPoliciesList()
                .map((p) => [
                    p.getName(),
                    p.getEnforcementlevel() === analyzer.EnforcementLevel.MANDATORY ? "mandatory" : "advisory",
                ]),
        );
        expect(announced).to.deep.equal(Object.fromEntries(RULES.map((r) => [r.name, r.enforcementLevel])));
    });

    it("reports a public database as a mandatory violation", async () => {
        const found = await analyze("aws:rds/instance:Instance", "db", {
            publiclyAccessible: true,
            storageEncrypted: true,
            kmsKeyId: UNKNOWN,
            deletionProtection: true,
            password: secret("pw-from-random"),
        });
        expect(found).to.deep.equal([
            { policy: "no-public-database", level: "mandatory", message: "publiclyAccessible is true", urn: "" },
        ]);
    });

    it("treats a key ARN not known during preview as set, instead of giving up on the rule", async () => {
        const found = await analyze("aws:secretsmanager/secret:Secret", "s", {
            kmsKeyId: UNKNOWN,
            recoveryWindowInDays: 30,
        });
        expect(found).to.deep.equal([]);
        const missing = await analyze("aws:secretsmanager/secret:Secret", "s", { recoveryWindowInDays: 30 });
        expect(missing.map((d) => d.policy)).to.deep.equal(["secrets-encrypted-with-cmk"]);
    });

    it("takes the environment from the provider's default tags (deletion protection outside dev only)", async () => {
        const db = {
            publiclyAccessible: false,
            storageEncrypted: true,
            kmsKeyId: "k",
            deletionProtection: false,
            skipFinalSnapshot: true,
        };
        expect((await analyze("aws:rds/instance:Instance", "db", db, "dev")).map((d) => d.policy)).to.deep.equal([]);
        expect((await analyze("aws:rds/instance:Instance", "db", db, "demo")).map((d) => d.message)).to.deep.equal([
            "deletionProtection is not true in demo",
            "skipFinalSnapshot is true in demo",
        ]);
    });

    it("runs the stack rules: a VPC without flow logs, a secret outside a secret store", async () => {
        const found = await analyzeStack([
            { type: "aws:ec2/vpc:Vpc", name: "vpc", props: { cidrBlock: "10.1.0.0/16" } },
            {
                type: "aws:secretsmanager/secretVersion:SecretVersion",
                name: "mailgun",
                props: { secretString: secret("key-mailgun-0123456789") },
            },
            {
                type: "aws:ec2/launchTemplate:LaunchTemplate",
                name: "lt",
                props: { userData: "export MAILGUN_KEY=key-mailgun-0123456789" },
            },
        ]);
        expect(found.map((d) => `${d.policy}: ${d.message}`)).to.deep.equal([
            "vpc-flow-logs: VPC vpc has no flow log",
            "no-plaintext-secrets: lt: userData holds a secret value in plain text",
            "default-security-group-closed: VPC vpc has no aws.ec2.DefaultSecurityGroup: its default group keeps " +
                "AWS's rules (all traffic between members, all egress)",
        ]);
    });

    it("reports an IAM policy that allows every action, and a queue policy open to anyone, as mandatory", async () => {
        const everything = JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
        });
        expect(await analyze("aws:iam/rolePolicy:RolePolicy", "p", { role: "r", policy: everything })).to.deep.equal([
            {
                policy: "iam-least-privilege",
                level: "mandatory",
                message: 'policy Statement[0] allows every action (Action "*")',
                urn: "",
            },
        ]);
        const open = JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: "*", Action: "sqs:SendMessage", Resource: "*" }],
        });
        expect(
            await analyze("aws:sqs/queuePolicy:QueuePolicy", "q", { queueUrl: UNKNOWN, policy: open }),
        ).to.deep.equal([
            {
                policy: "no-wildcard-principals",
                level: "mandatory",
                message: 'policy Statement[0] allows any principal ("*") without a condition',
                urn: "",
            },
        ]);
    });

    it("takes Memorystore's AUTH string as a secret of the instance, and finds it outside its secret version", async () => {
        const auth = "0f1e2d3c-4b5a-4968-a7b6-c5d4e3f2a1b0";
        const found = await analyzeStack([
            {
                type: "gcp:redis/instance:Instance",
                name: "cache",
                props: {
                    authEnabled: true,
                    transitEncryptionMode: "SERVER_AUTHENTICATION",
                    customerManagedKey: "projects/p/locations/r/keyRings/k/cryptoKeys/c",
                    authString: secret(auth),
                },
            },
            {
                type: "gcp:secretmanager/secretVersion:SecretVersion",
                name: "cache-auth-string",
                props: { secret: "projects/p/secrets/s", secretData: secret(auth) },
            },
            {
                type: "gcp:cloudrunv2/service:Service",
                name: "service",
                props: { template: { containers: [{ envs: [{ name: "CACHE_AUTH_TOKEN", value: auth }] }] } },
            },
        ]);
        expect(found.map((d) => `${d.policy}: ${d.message}`)).to.deep.equal([
            "no-plaintext-secrets: service: template.containers[0].envs[0].value holds a secret value in plain text",
        ]);
    });

    it("finds a database password inside base64 launch-template user data", async () => {
        const password = "Db-Passw0rd-0123456789";
        const found = await analyzeStack([
            {
                type: "aws:rds/instance:Instance",
                name: "db",
                props: { engine: "mysql", password: secret(password), parameterGroupName: "params" },
            },
            {
                type: "aws:rds/parameterGroup:ParameterGroup",
                name: "params",
                props: { name: "params", parameters: [{ name: "require_secure_transport", value: "1" }] },
            },
            {
                type: "aws:secretsmanager/secretVersion:SecretVersion",
                name: "credentials",
                props: { secretString: secret(JSON.stringify({ password })) },
            },
            {
                type: "aws:ec2/launchTemplate:LaunchTemplate",
                name: "lt",
                props: { userData: Buffer.from(`#!/bin/bash\nexport DB_PASSWORD='${password}'\n`).toString("base64") },
            },
        ]);
        expect(found).to.deep.equal([
            {
                policy: "no-plaintext-secrets",
                level: "mandatory",
                message: "lt: userData.<base64> holds a secret value in plain text",
                urn: urn("aws:ec2/launchTemplate:LaunchTemplate", "lt"),
            },
        ]);
    });

    it("enforces the access-logging rule outside dev (mandatory)", async () => {
        const found = await analyzeStack([{ type: "aws:s3/bucket:Bucket", name: "b", props: { forceDestroy: false } }]);
        expect(found.filter((d) => d.policy === "access-logging-outside-dev")).to.deep.equal([
            {
                policy: "access-logging-outside-dev",
                level: "mandatory",
                message: "bucket b has no server access logging in demo",
                urn: urn("aws:s3/bucket:Bucket", "b"),
            },
        ]);
    });
});
