/**
 * The two Google endpoints instance and function code reads a secret through, on loopback ports.
 * Neither has a public implementation to run, so these fakes answer as Google documents:
 *
 * Metadata server (the access token of the attached service account):
 * - https://cloud.google.com/compute/docs/metadata/querying-metadata: every request must carry
 *   `Metadata-Flavor: Google`, and is refused with 403 otherwise, as is any request carrying
 *   `X-Forwarded-For`; answers carry `Metadata-Flavor: Google` themselves.
 * - https://cloud.google.com/compute/docs/access/authenticate-workloads#applications: the token
 *   answer `{"access_token": "...", "expires_in": 3599, "token_type": "Bearer"}`.
 *
 * Secret Manager (REST, `GET /v1/{name=projects/*\/secrets/*\/versions/*}:access`):
 * - https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions/access:
 *   `latest` is an alias of the most recent version; the answer `AccessSecretVersionResponse`
 *   `{"name": "projects/<number>/secrets/<id>/versions/<n>", "payload": {"data": <base64>,
 *   "dataCrc32c": "<int64 as a string>"}}` (SecretPayload; the CRC32C of the data).
 * - https://cloud.google.com/apis/design/errors: errors are `{"error": {"code", "message",
 *   "status"}}` (google.rpc.Status): 401 UNAUTHENTICATED (with `WWW-Authenticate: Bearer`),
 *   403 PERMISSION_DENIED, 404 NOT_FOUND, 503 UNAVAILABLE.
 */
import { FakeServer, type Reply } from "./server";

export const METADATA_TOKEN_PATH = "/computeMetadata/v1/instance/service-accounts/default/token";
export const FAKE_ACCESS_TOKEN = "ya29.fake-access-token";

/** A Google API error (google.rpc.Status in JSON). */
export function googleError(
    code: number,
    status: string,
    message: string,
    headers: Record<string, string> = {},
): Reply {
    return { status: code, body: { error: { code, message, status } }, headers };
}

/** The metadata server's 403 page for a request without `Metadata-Flavor: Google`. */
function metadataForbidden(path: string, reason: string): Reply {
    return {
        status: 403,
        body: `<!DOCTYPE html>\n<html lang=en>\n<title>Error 403 (Forbidden)!!1</title>\n<p><b>403.</b> <ins>That's an error.</ins>\n<p>Your client does not have permission to get URL <code>${path}</code> from this server. ${reason}\n`,
        headers: { "content-type": "text/html; charset=UTF-8", "metadata-flavor": "Google" },
    };
}

/** The metadata server, serving an access token for the default service account. */
export function fakeMetadataServer(options: { token?: string; expiresIn?: number } = {}) {
    const token = options.token ?? FAKE_ACCESS_TOKEN;
    return FakeServer.start((request) => {
        if (request.headers["x-forwarded-for"] !== undefined) {
            return metadataForbidden(request.path, "Request had an X-Forwarded-For header.");
        }
        if (request.headers["metadata-flavor"] !== "Google") {
            return metadataForbidden(request.path, "Missing Metadata-Flavor:Google header.");
        }
        if (request.method !== "GET" || request.path.split("?")[0] !== METADATA_TOKEN_PATH) {
            return {
                status: 404,
                body: "Not Found",
                headers: { "content-type": "text/html; charset=UTF-8", "metadata-flavor": "Google" },
            };
        }
        return {
            status: 200,
            body: { access_token: token, expires_in: options.expiresIn ?? 3599, token_type: "Bearer" },
            headers: { "metadata-flavor": "Google" },
        };
    });
}

const CRC32C_TABLE = (() => {
    const table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
        let c = n;
        for (let k = 0; k < 8; k++) {
            c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
        }
        table[n] = c >>> 0;
    }
    return table;
})();

/** CRC32C (Castagnoli), the checksum Secret Manager reports as `dataCrc32c`. */
export function crc32c(data: Buffer): number {
    let crc = 0xffffffff;
    for (const byte of data) {
        crc = CRC32C_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
    }
    return (crc ^ 0xffffffff) >>> 0;
}

export interface FakeSecretManagerOptions {
    /** The project id callers use in names. */
    readonly project: string;
    /** The project number the API writes into the names it returns. Default `123456789012`. */
    readonly projectNumber?: string;
    /** The access token it accepts. Default `FAKE_ACCESS_TOKEN`. */
    readonly token?: string;
}

/** Secret Manager holding secrets as lists of versions (version n is `versions[n - 1]`). */
export class FakeSecretManager {
    /** secret id -> payloads, oldest first. */
    readonly secrets = new Map<string, string[]>();
    /** Secret ids the caller's service account may not access (403). */
    readonly denied = new Set<string>();
    /**
     * Answers given instead of the documented ones, first to last, one per access request: for
     * testing how a client copes with an answer the API should never give.
     */
    readonly overrides: Reply[] = [];

    private constructor(
        readonly server: FakeServer,
        readonly options: FakeSecretManagerOptions,
    ) {}

    static async start(options: FakeSecretManagerOptions): Promise<FakeSecretManager> {
        let fake: FakeSecretManager | undefined;
        const server = await FakeServer.start((request) => fake!.answer(request.method, request.path, request.headers));
        fake = new FakeSecretManager(server, options);
        return fake;
    }

    /** Adds a version to `secretId` (creating the secret); returns its number. */
    addVersion(secretId: string, payload: string): number {
        const versions = this.secrets.get(secretId) ?? [];
        versions.push(payload);
        this.secrets.set(secretId, versions);
        return versions.length;
    }

    /** The access requests answered so far. */
    get accessRequests() {
        return this.server.requests.filter((r) => r.path.endsWith(":access"));
    }

    get url(): string {
        return this.server.url;
    }

    private answer(method: string, path: string, headers: Record<string, string | string[] | undefined>): Reply {
        const override = this.overrides.shift();
        if (override) {
            return override;
        }
        const token = this.options.token ?? FAKE_ACCESS_TOKEN;
        if (headers.authorization !== `Bearer ${token}`) {
            return googleError(
                401,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
                { "www-authenticate": 'Bearer realm="https://accounts.google.com/"' },
            );
        }
        const match = /^\/v1\/projects\/([^/]+)\/secrets\/([^/]+)\/versions\/([^/:]+):access$/.exec(path);
        if (method !== "GET" || !match) {
            return googleError(404, "NOT_FOUND", "The requested URL was not found on this server.");
        }
        const [, project, secretId, version] = match;
        const number = this.options.projectNumber ?? "123456789012";
        const secretName = `projects/${number}/secrets/${secretId}`;
        if (this.denied.has(secretId) || (project !== this.options.project && project !== number)) {
            return googleError(
                403,
                "PERMISSION_DENIED",
                `Permission 'secretmanager.versions.access' denied for resource 'projects/${project}/secrets/${secretId}/versions/${version}' (or it may not exist).`,
            );
        }
        const versions = this.secrets.get(secretId) ?? [];
        const n = version === "latest" ? versions.length : /^\d+$/.test(version) ? Number(version) : NaN;
        if (versions.length === 0 || !(n >= 1 && n <= versions.length)) {
            return versions.length === 0
                ? googleError(404, "NOT_FOUND", `Secret [${secretName}] not found or has no versions.`)
                : googleError(404, "NOT_FOUND", `Secret Version [${secretName}/versions/${version}] not found.`);
        }
        const data = Buffer.from(versions[n - 1], "utf8");
        return {
            status: 200,
            body: {
                name: `${secretName}/versions/${n}`,
                payload: { data: data.toString("base64"), dataCrc32c: String(crc32c(data)) },
            },
        };
    }
}
