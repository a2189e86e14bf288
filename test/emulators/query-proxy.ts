/**
 * A loopback proxy in front of moto's server for AWS Query-protocol APIs (RDS, SNS): it forwards
 * every request unchanged and records it, except where a test scripts an answer that moto 5.2.5
 * cannot give:
 *
 * - faults: a throttled request, a refusal such as `InvalidDBInstanceState`, a region that does not
 *   answer. The error bodies follow the Query API error response AWS documents (an `ErrorResponse`
 *   with `Type`, `Code`, `Message` and a `RequestId`; RDS API Reference, "Common Errors").
 * - the end of a promotion: moto accepts `PromoteReadReplica` but keeps reporting the replication
 *   source. After moto accepted it, the proxy answers `DescribeDBInstances` for that instance as RDS
 *   does (RDS User Guide, "Promoting a read replica"): `modifying` while it promotes, then a
 *   standalone instance without `ReadReplicaSourceDBInstanceIdentifier`.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ProxiedRequest {
    /** The Query action, e.g. `PromoteReadReplica`. */
    readonly action: string;
    /** The region and service of the request's SigV4 credential scope. */
    readonly region: string;
    readonly service: string;
    readonly params: URLSearchParams;
    /** What answered: moto, or the proxy's scripted fault. */
    readonly answeredBy: "moto" | "fault";
}

/** A scripted answer: a Query API error, or a connection cut (a region that does not answer). */
export type Fault = { readonly status: number; readonly code: string; readonly message: string } | "drop";

export interface FaultRule {
    readonly action?: string;
    readonly region?: string;
    /** How many matching requests get the fault; default every one. */
    readonly times?: number;
    readonly fault: Fault;
}

/** Throttling as RDS answers it. */
export const THROTTLING: Fault = { status: 400, code: "Throttling", message: "Rate exceeded" };

function scope(headers: IncomingHttpHeaders): { region: string; service: string } {
    const match = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(String(headers.authorization ?? ""));
    return { region: match?.[1] ?? "", service: match?.[2] ?? "" };
}

function errorXml(fault: Exclude<Fault, "drop">, service: string): string {
    const type = fault.status >= 500 ? "Receiver" : "Sender";
    return [
        `<ErrorResponse xmlns="http://${service}.amazonaws.com/doc/2014-10-31/">`,
        `  <Error><Type>${type}</Type><Code>${fault.code}</Code><Message>${fault.message}</Message></Error>`,
        "  <RequestId>7b5c0d4e-2a1f-4c3b-9d8e-6f5a4b3c2d1e</RequestId>",
        "</ErrorResponse>",
    ].join("\n");
}

export class QueryProxy {
    readonly requests: ProxiedRequest[] = [];
    private rules: Array<FaultRule & { used: number }> = [];
    /** region/identifier -> describes answered since moto accepted its promotion. */
    private readonly promoting = new Map<string, number>();
    /** Describes that show a promoted instance as `modifying` before it is standalone. */
    promotionDescribes = 1;

    private constructor(
        private readonly server: Server,
        readonly url: string,
        private readonly target: string,
    ) {}

    /** Starts a proxy in front of `target` (moto's endpoint) on a free loopback port. */
    static async start(target: string): Promise<QueryProxy> {
        let proxy: QueryProxy | undefined;
        const server = createServer((req, res) => {
            const chunks: Buffer[] = [];
            req.on("data", (chunk: Buffer) => chunks.push(chunk));
            req.on("end", () => {
                proxy!
                    .handle(req.method ?? "POST", req.url ?? "/", req.headers, Buffer.concat(chunks).toString("utf8"))
                    .then(
                        (answer) => {
                            if (answer === "drop") {
                                req.socket.destroy();
                                return;
                            }
                            res.writeHead(answer.status, { "content-type": answer.contentType });
                            res.end(answer.body);
                        },
                        (error: unknown) => {
                            res.writeHead(502, { "content-type": "text/plain" });
                            res.end(`proxy error: ${error}`);
                        },
                    );
            });
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const { port } = server.address() as AddressInfo;
        proxy = new QueryProxy(server, `http://127.0.0.1:${port}`, target);
        return proxy;
    }

    /** Adds a fault rule (rules are tried in the order added). */
    inject(rule: FaultRule): void {
        this.rules.push({ ...rule, used: 0 });
    }

    /** Forgets rules, recorded requests and promotions (between tests). */
    reset(): void {
        this.rules = [];
        this.requests.length = 0;
        this.promoting.clear();
        this.promotionDescribes = 1;
    }

    /** The recorded requests of one action. */
    calls(action: string): ProxiedRequest[] {
        return this.requests.filter((request) => request.action === action);
    }

    private async handle(
        method: string,
        path: string,
        headers: IncomingHttpHeaders,
        body: string,
    ): Promise<{ status: number; contentType: string; body: string } | "drop"> {
        const params = new URLSearchParams(body);
        const action = params.get("Action") ?? "";
        const { region, service } = scope(headers);
        const rule = this.rules.find(
            (r) =>
                (r.action === undefined || r.action === action) &&
                (r.region === undefined || r.region === region) &&
                (r.times === undefined || r.used < r.times),
        );
        if (rule) {
            rule.used++;
            this.requests.push({ action, region, service, params, answeredBy: "fault" });
            return rule.fault === "drop"
                ? "drop"
                : { status: rule.fault.status, contentType: "text/xml", body: errorXml(rule.fault, service) };
        }
        this.requests.push({ action, region, service, params, answeredBy: "moto" });
        const forwarded = Object.fromEntries(
            Object.entries(headers).filter(([name]) => !["host", "content-length", "connection"].includes(name)),
        ) as Record<string, string>;
        const response = await fetch(`${this.target}${path}`, {
            method,
            headers: forwarded,
            body: method === "GET" ? undefined : body,
        });
        let text = await response.text();
        const key = `${region}/${params.get("DBInstanceIdentifier")}`;
        if (action === "PromoteReadReplica" && response.ok) {
            this.promoting.set(key, 0);
        } else if (action === "DescribeDBInstances" && response.ok && this.promoting.has(key)) {
            const seen = this.promoting.get(key)! + 1;
            this.promoting.set(key, seen);
            text =
                seen <= this.promotionDescribes
                    ? text.replace(
                          /<DBInstanceStatus>[^<]*<\/DBInstanceStatus>/,
                          "<DBInstanceStatus>modifying</DBInstanceStatus>",
                      )
                    : text.replace(
                          /<ReadReplicaSourceDBInstanceIdentifier>[^<]*<\/ReadReplicaSourceDBInstanceIdentifier>/,
                          "",
                      );
        }
        return { status: response.status, contentType: response.headers.get("content-type") ?? "text/xml", body: text };
    }

    close(): Promise<void> {
        this.server.closeAllConnections();
        return new Promise((resolve) => this.server.close(() => resolve()));
    }
}
