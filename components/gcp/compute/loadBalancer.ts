import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { HSTS_HEADER, httpsUrl } from "../../shared/web";
import type { LoadBalancerTarget } from "./types";

/**
 * TLS 1.2 and 1.3 with the RESTRICTED profile: forward-secret AEAD ciphers only (no CBC, no RSA
 * key exchange), as the AWS listener's policy.
 */
export const SSL_POLICY = { profile: "RESTRICTED", minTlsVersion: "TLS_1_2" } as const;

/** A DNS record that proves control of a host name to Certificate Manager. */
export interface DnsAuthorizationRecord {
    /** The host name it authorizes, e.g. `dev.example.com`. */
    readonly hostname: string;
    /** e.g. `_acme-challenge.dev.example.com.` */
    readonly name: pulumi.Output<string>;
    /** `CNAME` */
    readonly type: pulumi.Output<string>;
    /** e.g. `<id>.5.authorize.certificatemanager.goog.` */
    readonly data: pulumi.Output<string>;
}

export interface LoadBalancerArgs {
    /**
     * The host names the load balancer serves and its certificate covers; the first is the API's
     * address (`url`). From `gcpHostnames`: `domainName` on GCP alone, `gcp.<domainName>` next to
     * AWS (plus `domainName` with DNS failover).
     */
    hostnames: readonly string[];
    /** What the backend service sends to (from the compute backend). */
    target: LoadBalancerTarget;
    /** What the backend is called in descriptions, e.g. `instances`. */
    backendLabel: string;
    /** A Cloud Armor policy for the backend service (`features.waf`). Default: none. */
    securityPolicy?: pulumi.Input<string>;
    /** Cloud CDN on the backend service with this policy (`features.cdn`). Default: no CDN. */
    cdnPolicy?: gcp.types.input.compute.BackendServiceCdnPolicy;
}

/**
 * The global external Application Load Balancer, a part of the `Compute` tier (its resources are
 * the tier's children, named `<tier>-<role>`): a backend service (request logging, HSTS, an
 * optional Cloud Armor policy) in front of the compute backend, a Certificate Manager certificate
 * for the host names (DNS authorization: the DNS step writes the records), an SSL policy
 * `RESTRICTED` / TLS 1.2+, HTTPS on 443 and, on the same anycast address, HTTP on 80 answering 301.
 *
 * The certificate is issued by Certificate Manager with DNS authorization rather than a classic
 * managed SSL certificate: a classic one is validated through the load balancer, so it is only
 * issued (and renewed) while the name points at this load balancer, which is not the case for the
 * apex of a DNS failover (it points at AWS until AWS fails). DNS authorization only needs a CNAME.
 */
export class LoadBalancer {
    /** `https://<first host name>`. */
    public readonly url: string;
    /** The anycast IPv4 address. */
    public readonly ipAddress: pulumi.Output<string>;
    /** The HTTPS URL map (the load balancer's metrics carry its name). */
    public readonly urlMapName: pulumi.Output<string>;
    /** The records each host name needs for the certificate; the DNS step writes them. */
    public readonly dnsAuthorizationRecords: readonly DnsAuthorizationRecord[];

    /** `name` is the tier's; `tier` the `Compute` component that holds the resources. */
    constructor(name: string, args: LoadBalancerArgs, tier: pulumi.Resource) {
        if (args.hostnames.length === 0) {
            throw new Error("LoadBalancer: at least one host name is needed for the certificate");
        }
        const child = { parent: tier };
        const target = args.target;

        const backend = new gcp.compute.BackendService(
            `${name}-backend`,
            {
                description: target.description,
                loadBalancingScheme: "EXTERNAL_MANAGED",
                protocol: "HTTP",
                portName: target.portName,
                timeoutSec: target.timeoutSec,
                connectionDrainingTimeoutSec: target.connectionDrainingTimeoutSec,
                healthChecks: target.healthCheck,
                backends: target.backends,
                logConfig: { enable: true, sampleRate: 1 },
                customResponseHeaders: [`Strict-Transport-Security: ${HSTS_HEADER}`],
                securityPolicy: args.securityPolicy,
                ...(args.cdnPolicy === undefined ? {} : { enableCdn: true, cdnPolicy: args.cdnPolicy }),
            },
            child,
        );

        // The certificate: one DNS authorization per host name, a Google-managed certificate for
        // all of them, and a certificate map whose primary entry serves it for every name.
        const authorizations = args.hostnames.map((hostname, i) => ({
            hostname,
            authorization: new gcp.certificatemanager.DnsAuthorization(
                `${name}-dns-auth-${i}`,
                { description: `webapp: control of ${hostname}`, domain: hostname },
                child,
            ),
        }));
        const certificate = new gcp.certificatemanager.Certificate(
            `${name}-certificate`,
            {
                description: `webapp: ${args.hostnames.join(", ")}`,
                scope: "DEFAULT",
                managed: {
                    domains: [...args.hostnames],
                    dnsAuthorizations: authorizations.map((a) => a.authorization.id),
                },
            },
            child,
        );
        const certificateMap = new gcp.certificatemanager.CertificateMap(
            `${name}-certificates`,
            { description: "webapp load balancer" },
            child,
        );
        new gcp.certificatemanager.CertificateMapEntry(
            `${name}-certificates-primary`,
            { map: certificateMap.name, matcher: "PRIMARY", certificates: [certificate.id] },
            child,
        );

        const address = new gcp.compute.GlobalAddress(
            `${name}-address`,
            { description: "webapp load balancer", addressType: "EXTERNAL", ipVersion: "IPV4" },
            child,
        );
        const sslPolicy = new gcp.compute.SSLPolicy(`${name}-tls`, { ...SSL_POLICY }, child);
        const httpsMap = new gcp.compute.URLMap(
            `${name}-https`,
            { description: `webapp: everything to the ${args.backendLabel}`, defaultService: backend.id },
            child,
        );
        const httpsProxy = new gcp.compute.TargetHttpsProxy(
            `${name}-https`,
            {
                urlMap: httpsMap.id,
                certificateMap: pulumi.interpolate`//certificatemanager.googleapis.com/${certificateMap.id}`,
                sslPolicy: sslPolicy.id,
            },
            child,
        );
        const forwardingRule = (role: string, port: number, proxy: pulumi.Input<string>) =>
            new gcp.compute.GlobalForwardingRule(
                `${name}-${role}`,
                {
                    loadBalancingScheme: "EXTERNAL_MANAGED",
                    ipProtocol: "TCP",
                    ipAddress: address.address,
                    portRange: String(port),
                    target: proxy,
                },
                child,
            );
        forwardingRule("https-443", 443, httpsProxy.id);
        const redirectMap = new gcp.compute.URLMap(
            `${name}-http-redirect`,
            {
                description: "webapp: HTTP answers 301 to the same URL over HTTPS",
                defaultUrlRedirect: {
                    httpsRedirect: true,
                    redirectResponseCode: "MOVED_PERMANENTLY_DEFAULT",
                    stripQuery: false,
                },
            },
            child,
        );
        const httpProxy = new gcp.compute.TargetHttpProxy(`${name}-http`, { urlMap: redirectMap.id }, child);
        forwardingRule("http-80", 80, httpProxy.id);

        this.url = httpsUrl(args.hostnames[0]);
        this.ipAddress = address.address;
        this.urlMapName = httpsMap.name;
        this.dnsAuthorizationRecords = authorizations.map(({ hostname, authorization }) => {
            const record = authorization.dnsResourceRecords.apply((list) => {
                if (list.length === 0) {
                    throw new Error(`Certificate Manager returned no DNS record for ${hostname}`);
                }
                return list[0];
            });
            return { hostname, name: record.name, type: record.type, data: record.data };
        });
    }
}
