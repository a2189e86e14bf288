/**
 * A loopback HTTP server for tests that stands in for a provider's API: it records every request
 * and answers from a responder. The providers' fakes beside this file build on it.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
    readonly method: string;
    /** Path and query, e.g. `/v3/mg.example.com/messages`. */
    readonly path: string;
    readonly headers: IncomingHttpHeaders;
    readonly body: string;
}

/**
 * An answer: a status with a JSON (object) or text body and headers, or `drop` to cut the
 * connection without an answer. A text body is sent as `text/plain` unless the headers say otherwise.
 */
export type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | "drop";

export type Responder = (request: RecordedRequest, index: number) => Reply;

export class FakeServer {
    readonly requests: RecordedRequest[] = [];
    private server: Server;

    private constructor(
        private readonly respond: Responder,
        readonly port: number,
        server: Server,
    ) {
        this.server = server;
    }

    /** Starts a server on a free loopback port. */
    static async start(respond: Responder): Promise<FakeServer> {
        let fake: FakeServer | undefined;
        const server = FakeServer.listener((request) => fake!.handle(request));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        fake = new FakeServer(respond, (server.address() as AddressInfo).port, server);
        return fake;
    }

    private static listener(handle: (request: RecordedRequest) => Reply): Server {
        return createServer((req, res) => {
            const chunks: Buffer[] = [];
            req.on("data", (chunk: Buffer) => chunks.push(chunk));
            req.on("end", () => {
                const reply = handle({
                    method: req.method ?? "",
                    path: req.url ?? "",
                    headers: req.headers,
                    body: Buffer.concat(chunks).toString("utf8"),
                });
                if (reply === "drop") {
                    req.socket.destroy();
                    return;
                }
                const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body ?? {});
                res.writeHead(reply.status, {
                    "content-type": typeof reply.body === "string" ? "text/plain; charset=utf-8" : "application/json",
                    ...reply.headers,
                });
                res.end(text);
            });
        });
    }

    private handle(request: RecordedRequest): Reply {
        this.requests.push(request);
        return this.respond(request, this.requests.length - 1);
    }

    /** `http://127.0.0.1:<port>`. */
    get url(): string {
        return `http://127.0.0.1:${this.port}`;
    }

    /** `127.0.0.1:<port>`, for variables that take no scheme. */
    get host(): string {
        return `127.0.0.1:${this.port}`;
    }

    /** Stops listening (clients then see connection refused, as during an outage); see `resume`. */
    stop(): Promise<void> {
        if (!this.server.listening) {
            return Promise.resolve();
        }
        this.server.closeAllConnections();
        return new Promise((resolve) => this.server.close(() => resolve()));
    }

    /** Listens again on the same port after `stop`, with the same answers and request log. */
    async resume(): Promise<void> {
        if (this.server.listening) {
            return;
        }
        this.server = FakeServer.listener((request) => this.handle(request));
        await new Promise<void>((resolve) => this.server.listen(this.port, "127.0.0.1", resolve));
    }

    close(): Promise<void> {
        return this.stop();
    }
}
