/**
 * The Compute Engine startup script with the cache on (`features.cache` on GCP): what it renders,
 * and runs with the real curl against the Secret Manager fake that show the AUTH string read from
 * its own secret, the CA written beside the env file, and a clear failure when the string cannot
 * be read.
 */
import { expect } from "chai";
import { readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { cacheCaFile, renderGcpBootScript, type GcpBootCache, type GcpBootParams } from "../functions/boot/gcp";
import { GCP_CLOUD, GCP_PARAMS, GCP_PROJECT, GCP_SECRET_ID, GoogleSecretStore } from "./boot/gcp";
import { expectShellcheckClean, removeSandboxes, runBootScript } from "./boot/harness";
import { COMMON_FAKES, CONNECTION, CONNECTION_ENV, ENV_FILE } from "./boot/suite";

const AUTH_SECRET_ID = `projects/${GCP_PROJECT}/secrets/dev-gcp-cache-auth-string-9f8e7d6`;
const AUTH_STRING = "0f1e2d3c-4b5a-4968-a7b6-c5d4e3f2a1b0";
const CA = "-----BEGIN CERTIFICATE-----\nMIIDmockCA0123456789\n-----END CERTIFICATE-----\n";
const CACHE: GcpBootCache = { host: "10.200.16.4", port: 6378, authSecretId: AUTH_SECRET_ID, caCertificate: CA };

describe("Compute Engine startup script with GCP data options", function () {
    this.timeout(120_000);
    let store: GoogleSecretStore;
    before(async () => {
        store = await GoogleSecretStore.start();
    });
    after(async () => {
        await store.close();
        removeSandboxes();
    });

    /** Runs the script with `options` against the Secret Manager fake, with `fakes` over the usual ones. */
    const run = (options: Pick<GcpBootParams, "cache" | "iamAuth">, fakes: Record<string, string> = {}) =>
        runBootScript({
            script: renderGcpBootScript({
                ...GCP_PARAMS,
                ...options,
                endpoints: { metadataTokenUrl: store.tokenUrl, secretManagerUrl: store.secretManager.url },
            }),
            fakes: { ...COMMON_FAKES, ...GCP_CLOUD.fakes, ...fakes },
            tools: store.tools,
        });

    describe("with the cache", () => {
        it("renders the cache's secret, address, port, TLS and CA only with the cache on", () => {
            const on = renderGcpBootScript({ ...GCP_PARAMS, cache: CACHE }).split("\n");
            expect(on).to.include.members([
                `CACHE_SECRET_ID='${AUTH_SECRET_ID}'`,
                "CACHE_CA_FILE='/opt/webapp/cache-ca.pem'",
                "CACHE_HOST='10.200.16.4'",
                "CACHE_PORT='6378'",
                "CACHE_TLS='true'",
                "MIIDmockCA0123456789",
            ]);
            const off = renderGcpBootScript(GCP_PARAMS);
            expect(off).not.to.include("CACHE_");
            expect(off).not.to.include("compose_app_env (common.sh's, redefined)");
            expect(cacheCaFile({ directory: "/srv/app" })).to.equal("/srv/app/cache-ca.pem");
        });

        it("passes shellcheck with the cache on", function () {
            expectShellcheckClean(this, renderGcpBootScript({ ...GCP_PARAMS, cache: CACHE }));
        });

        it("reads the AUTH string from its secret, writes CACHE_AUTH_TOKEN and the CA (0644) beside the env file", async () => {
            await store.put(GCP_SECRET_ID, JSON.stringify(CONNECTION));
            await store.put(AUTH_SECRET_ID, AUTH_STRING);
            const result = await run({ cache: CACHE });
            expect(result.status, result.stderr).to.equal(0);
            const env = result.file(ENV_FILE).split("\n");
            expect(env).to.include.members([
                ...CONNECTION_ENV,
                "CACHE_HOST='10.200.16.4'",
                "CACHE_PORT='6378'",
                "CACHE_TLS='true'",
                "CACHE_CA_FILE='/opt/webapp/cache-ca.pem'",
                `CACHE_AUTH_TOKEN='${AUTH_STRING}'`,
            ]);
            // The env file's contract (mode 0600, no temporary file left), with the CA as the one other file.
            expect(statSync(path.join(result.root, ENV_FILE)).mode & 0o777).to.equal(0o600);
            expect(readdirSync(path.join(result.root, "opt/webapp")).sort()).to.deep.equal([".env.db", "cache-ca.pem"]);
            expect(result.file("/opt/webapp/cache-ca.pem")).to.equal(CA.trimEnd() + "\n");
            expect(statSync(path.join(result.root, "opt/webapp/cache-ca.pem")).mode & 0o777).to.equal(0o644);
            const accessed = result.calls("curl").filter((c) => c.includes(":access"));
            expect(accessed.map((c) => c.split(" ").pop())).to.deep.equal([
                `${store.secretManager.url}/v1/${GCP_SECRET_ID}/versions/latest:access`,
                `${store.secretManager.url}/v1/${AUTH_SECRET_ID}/versions/latest:access`,
            ]);
            // The string passes through pipes only: never an argument, never logged.
            expect(result.calls("curl").join("\n")).not.to.include(AUTH_STRING);
            expect(result.stderr).not.to.include(AUTH_STRING);
        });

        it("fails naming the secret, and writes no env file, when the AUTH string cannot be read", async () => {
            await store.put(GCP_SECRET_ID, JSON.stringify(CONNECTION));
            store.secretManager.denied.add("dev-gcp-cache-auth-string-9f8e7d6");
            try {
                const result = await run({ cache: CACHE });
                expect(result.status).to.equal(1);
                expect(result.stderr).to.include(
                    `could not read the cache AUTH string ${AUTH_SECRET_ID} after 45 attempts`,
                );
                expect(() => result.file(ENV_FILE)).to.throw();
                expect(result.calls("systemctl")).to.deep.equal([]);
            } finally {
                store.secretManager.denied.delete("dev-gcp-cache-auth-string-9f8e7d6");
            }
        });
    });

    describe("with IAM database authentication", () => {
        const IAM = { connectionName: `${GCP_PROJECT}:us-east1:dev-gcp-database-mysql-1a2b3c4`, port: 3306 };
        const IAM_DOCUMENT = {
            engine: "mysql",
            host: "127.0.0.1",
            port: 3306,
            dbname: "webapp",
            username: "dev-app-vm",
        };

        it("passes shellcheck with IAM authentication and the cache on together", function () {
            expectShellcheckClean(this, renderGcpBootScript({ ...GCP_PARAMS, cache: CACHE, iamAuth: IAM }));
        });

        it("starts the Auth Proxy's unit before the application and writes the IAM user without a password", async () => {
            await store.put(GCP_SECRET_ID, JSON.stringify(IAM_DOCUMENT));
            const result = await run({ iamAuth: IAM });
            expect(result.status, result.stderr).to.equal(0);
            const env = result.file(ENV_FILE).split("\n");
            expect(env).to.include.members([
                "DB_IAM_AUTH='true'",
                "DB_HOST='127.0.0.1'",
                "DB_PORT='3306'",
                "DB_NAME='webapp'",
                "DB_USER='dev-app-vm'",
            ]);
            expect(env.filter((l) => l.startsWith("DB_PASSWORD="))).to.deep.equal([]);
            const unit = result.file("/etc/systemd/system/cloud-sql-proxy.service");
            expect(unit.split("\n")).to.include.members([
                "Before=webapp.service",
                `ExecStart=/usr/local/bin/cloud-sql-proxy --auto-iam-authn --private-ip --address 127.0.0.1 --port 3306 ${IAM.connectionName}`,
                "Restart=always",
            ]);
            const calls = result.calls("systemctl");
            expect(calls.slice(0, 3)).to.deep.equal([
                "daemon-reload",
                "enable cloud-sql-proxy.service",
                "restart cloud-sql-proxy.service",
            ]);
            expect(calls.slice(-4)).to.deep.equal([
                "enable webapp.service",
                "restart webapp.service",
                "daemon-reload",
                "enable --now webapp-db-connection.timer",
            ]);
        });

        it("fails, and starts no application, when the proxy does not start", async () => {
            await store.put(GCP_SECRET_ID, JSON.stringify(IAM_DOCUMENT));
            const result = await run(
                { iamAuth: IAM },
                { systemctl: 'if [ "$1 $2" = "restart cloud-sql-proxy.service" ]; then exit 1; fi' },
            );
            expect(result.status).to.equal(1);
            expect(result.stderr).to.include(
                "could not start cloud-sql-proxy.service (is cloud-sql-proxy on the image?)",
            );
            expect(result.calls("systemctl")).not.to.include("restart webapp.service");
        });
    });
});
