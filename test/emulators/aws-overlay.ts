/**
 * A loopback server in front of moto for the AWS APIs (and API states) that moto 5.2.5 lacks:
 * the test answers the operations it scripts, and every other request goes on to moto unchanged,
 * so the rest of the account (groups, instances, task definitions) is moto's real state.
 *
 * moto 5.2.5 has no instance refresh API (Start/Describe/Cancel/RollbackInstanceRefresh are not
 * implemented) and its ECS deployments never fail or roll back, so those answers are scripted here,
 * in the shapes the AWS API references document:
 * - Auto Scaling (query protocol, XML), DescribeInstanceRefreshes:
 *   https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeInstanceRefreshes.html and
 *   the InstanceRefresh / RollbackDetails data types; errors as the query protocol's
 *   `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>` (Throttling: HTTP 400,
 *   https://docs.aws.amazon.com/autoscaling/ec2/APIReference/CommonErrors.html).
 * - ECS (JSON 1.1), DescribeServices: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html
 *   and the Deployment data type (status, rolloutState, rolloutStateReason, counts); errors as
 *   `{"__type": "ThrottlingException", "message": …}` with HTTP 400.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Moto } from "../../tools/emulators/moto";

export interface OverlayRequest {
    /** `DescribeInstanceRefreshes`, `DescribeServices`, … */
    readonly operation: string;
    readonly headers: IncomingHttpHeaders;
    readonly body: string;
    /** Whether moto answered it. */
    readonly proxied: boolean;
}

export interface OverlayReply {
    readonly status: number;
    readonly body: string;
    readonly contentType: string;
}

/** Answers an operation, or undefined to let moto answer. */
export type OverlayResponder = (
    operation: string,
    body: string,
) => Promise<OverlayReply | undefined> | OverlayReply | undefined;

function operationOf(headers: IncomingHttpHeaders, body: string): string {
    const target = headers["x-amz-target"];
    if (typeof target === "string") {
        return target.split(".").pop() ?? target;
    }
    return new URLSearchParams(body).get("Action") ?? "";
}

export class AwsOverlay {
    readonly requests: OverlayRequest[] = [];

    private constructor(
        private readonly server: Server,
        readonly port: number,
    ) {}

    static async start(moto: Moto, respond: OverlayResponder): Promise<AwsOverlay> {
        let overlay: AwsOverlay | undefined;
        const server = createServer((req, res) => {
            const chunks: Buffer[] = [];
            req.on("data", (chunk: Buffer) => chunks.push(chunk));
            req.on("end", () => {
                const body = Buffer.concat(chunks).toString("utf8");
                const operation = operationOf(req.headers, body);
                void (async () => {
                    try {
                        const scripted = await respond(operation, body);
                        overlay!.requests.push({
                            operation,
                            headers: req.headers,
                            body,
                            proxied: scripted === undefined,
                        });
                        if (scripted !== undefined) {
                            res.writeHead(scripted.status, { "content-type": scripted.contentType });
                            res.end(scripted.body);
                            return;
                        }
                        const headers = Object.fromEntries(
                            Object.entries(req.headers).filter(
                                ([k, v]) =>
                                    typeof v === "string" && !["host", "content-length", "connection"].includes(k),
                            ) as Array<[string, string]>,
                        );
                        const answer = await fetch(`${moto.endpoint}${req.url ?? "/"}`, {
                            method: req.method,
                            headers,
                            body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
                        });
                        res.writeHead(answer.status, {
                            "content-type": answer.headers.get("content-type") ?? "text/xml",
                        });
                        res.end(Buffer.from(await answer.arrayBuffer()));
                    } catch (error) {
                        res.writeHead(500, { "content-type": "text/plain" });
                        res.end(String(error));
                    }
                })();
            });
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        overlay = new AwsOverlay(server, (server.address() as AddressInfo).port);
        return overlay;
    }

    get endpoint(): string {
        return `http://127.0.0.1:${this.port}`;
    }

    /** The operations received, in order (`proxied` ones marked with a `>` prefix: moto answered). */
    operations(): string[] {
        return this.requests.map((r) => (r.proxied ? `>${r.operation}` : r.operation));
    }

    close(): Promise<void> {
        this.server.closeAllConnections();
        return new Promise((resolve) => this.server.close(() => resolve()));
    }
}

const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** An instance refresh, in the fields the InstanceRefresh data type documents. */
export interface RefreshSpec {
    readonly id: string;
    readonly group: string;
    readonly status:
        | "Pending"
        | "InProgress"
        | "Successful"
        | "Failed"
        | "Cancelling"
        | "Cancelled"
        | "RollbackInProgress"
        | "RollbackFailed"
        | "RollbackSuccessful"
        | "Baking";
    readonly startTime: Date;
    readonly percentageComplete?: number;
    readonly instancesToUpdate?: number;
    readonly statusReason?: string;
    readonly launchTemplate?: { id: string; version: string };
    readonly rollback?: {
        reason: string;
        startTime: Date;
        percentageCompleteOnRollback: number;
        instancesToUpdateOnRollback: number;
    };
}

const element = (name: string, value: string | number | undefined) =>
    value === undefined ? "" : `<${name}>${xmlEscape(String(value))}</${name}>`;

/** A DescribeInstanceRefreshes answer (query protocol XML). */
export function instanceRefreshesXml(refreshes: readonly RefreshSpec[]): OverlayReply {
    const members = refreshes
        .map(
            (r) =>
                "<member>" +
                element("InstanceRefreshId", r.id) +
                element("AutoScalingGroupName", r.group) +
                element("Status", r.status) +
                element("StatusReason", r.statusReason) +
                element("StartTime", r.startTime.toISOString()) +
                element("PercentageComplete", r.percentageComplete) +
                element("InstancesToUpdate", r.instancesToUpdate) +
                "<Preferences><MinHealthyPercentage>50</MinHealthyPercentage><MaxHealthyPercentage>150</MaxHealthyPercentage>" +
                "<SkipMatching>false</SkipMatching><AutoRollback>true</AutoRollback></Preferences>" +
                (r.launchTemplate
                    ? `<DesiredConfiguration><LaunchTemplate>${element("LaunchTemplateId", r.launchTemplate.id)}${element("Version", r.launchTemplate.version)}</LaunchTemplate></DesiredConfiguration>`
                    : "") +
                (r.rollback
                    ? "<RollbackDetails>" +
                      element("RollbackReason", r.rollback.reason) +
                      element("RollbackStartTime", r.rollback.startTime.toISOString()) +
                      element("PercentageCompleteOnRollback", r.rollback.percentageCompleteOnRollback) +
                      element("InstancesToUpdateOnRollback", r.rollback.instancesToUpdateOnRollback) +
                      "</RollbackDetails>"
                    : "") +
                "</member>",
        )
        .join("");
    return {
        status: 200,
        contentType: "text/xml",
        body:
            '<DescribeInstanceRefreshesResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">' +
            `<DescribeInstanceRefreshesResult><InstanceRefreshes>${members}</InstanceRefreshes></DescribeInstanceRefreshesResult>` +
            "<ResponseMetadata><RequestId>7c6e177f-f082-11e1-ac58-3714bEXAMPLE</RequestId></ResponseMetadata>" +
            "</DescribeInstanceRefreshesResponse>",
    };
}

/** A query-protocol error (e.g. `Throttling`, "Rate exceeded"). */
export function queryError(code: string, message: string, status = 400): OverlayReply {
    return {
        status,
        contentType: "text/xml",
        body:
            '<ErrorResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">' +
            `<Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>` +
            "<RequestId>7c6e177f-f082-11e1-ac58-3714bEXAMPLE</RequestId></ErrorResponse>",
    };
}

/** A JSON-protocol answer (ECS). */
export function jsonReply(body: unknown): OverlayReply {
    return { status: 200, contentType: "application/x-amz-json-1.1", body: JSON.stringify(body) };
}

/** A JSON-protocol error (e.g. `ThrottlingException`). */
export function jsonError(type: string, message: string, status = 400): OverlayReply {
    return { status, contentType: "application/x-amz-json-1.1", body: JSON.stringify({ __type: type, message }) };
}
