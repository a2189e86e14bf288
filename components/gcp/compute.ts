import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { renderGcpBootScript } from "../../functions/boot/gcp";
import type { AppSettings } from "../../functions/boot/render";
import { HSTS_HEADER } from "../aws/compute";
import type { Kms } from "./kms";
import type { Network } from "./network";
import { serviceAccountId, type GcpProject } from "./project";
import type { Secrets } from "./secrets";
import type { Storage } from "./storage";

/** The instance group's named port the backend service sends traffic to (`app.port`). */
export const NAMED_PORT = "http";

/** What the instances' service account may do in the project (both have no resource-level form). */
export const INSTANCE_PROJECT_ROLES: readonly string[] = ["roles/logging.logWriter", "roles/monitoring.metricWriter"];

/**
 * The load balancer's health check (as the AWS target group's): every 15 s, healthy after 2
 * passes, unhealthy after 3 failures, 5 s timeout.
 */
export const LB_HEALTH_CHECK = {
    checkIntervalSec: 15,
    timeoutSec: 5,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
} as const;

/**
 * Auto-healing is more patient than load balancing (Google's advice): an instance is recreated
 * only after 4 failed checks 30 s apart (2 minutes), and not before 300 s after it started (the
 * AWS grace period: boot, secret, agent, service).
 */
export const AUTOHEALING_HEALTH_CHECK = {
    checkIntervalSec: 30,
    timeoutSec: 10,
    healthyThreshold: 2,
    unhealthyThreshold: 4,
} as const;
export const AUTOHEALING_INITIAL_DELAY_SECONDS = 300;

/** Seconds a new instance must be healthy before a rollout counts it, and the autoscaler's warm-up. */
export const INSTANCE_WARMUP_SECONDS = 120;

/** Seconds a removed backend keeps serving its in-flight requests. */
export const CONNECTION_DRAINING_SECONDS = 30;

/**
 * TLS 1.2 and 1.3 with the RESTRICTED profile: forward-secret AEAD ciphers only (no CBC, no RSA
 * key exchange), as the AWS listener's policy.
 */
export const SSL_POLICY = { profile: "RESTRICTED", minTlsVersion: "TLS_1_2" } as const;

/** An image: the newest of a family, or one by name, in this project or another. */
export interface ImageSelector {
    readonly family?: string;
    readonly name?: string;
    /** Default: the provider's project. */
    readonly project?: string;
}

/** The image lookup (`gcp.image`; the schema guarantees exactly one of family and name). */
export function imageQuery(image: ImageSelector): gcp.compute.GetImageArgs {
    if ((image.family === undefined) === (image.name === undefined)) {
        throw new Error("gcp.image needs exactly one of family and name");
    }
    return {
        ...(image.family === undefined ? { name: image.name } : { family: image.family }),
        ...(image.project === undefined ? {} : { project: image.project }),
    };
}

/**
 * The rolling update: new instances are added before old ones go (surge), none is taken out of
 * service first (0 unavailable), so a new template rolls with no loss of capacity. A regional
 * group's fixed surge must be 0 or at least its number of zones.
 */
export function updatePolicy(zoneCount: number): gcp.types.input.compute.RegionInstanceGroupManagerUpdatePolicy {
    if (!Number.isInteger(zoneCount) || zoneCount < 1) {
        throw new RangeError(`updatePolicy: ${zoneCount} is not a number of zones`);
    }
    return {
        type: "PROACTIVE",
        minimalAction: "REPLACE",
        mostDisruptiveAllowedAction: "REPLACE",
        replacementMethod: "SUBSTITUTE",
        maxSurgeFixed: zoneCount,
        maxUnavailableFixed: 0,
        minReadySec: INSTANCE_WARMUP_SECONDS,
        instanceRedistributionType: "PROACTIVE",
    };
}

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

/** The registration topic as the instances need it: its id for the env file, and a publish grant. */
export interface GcpRegistrationTopic {
    readonly topicId: pulumi.Output<string>;
    grantPublish(role: string, member: pulumi.Input<string>): pulumi.Resource;
}

export interface ComputeArgs {
    /** The project (project-level roles of the instances' account, `GOOGLE_CLOUD_PROJECT`) and region. */
    project: GcpProject;
    /** Names the instances' service account (`<environment>-app-vm`) and instances (`webapp-<environment>`). */
    environment: string;
    /** The private subnet and the tag the firewall rules admit. */
    network: Pick<Network, "subnetSelfLink" | "instanceTag">;
    /** Boot disks are encrypted with the `disk` key (its grant to the Compute Engine agent must exist first). */
    kms: Pick<Kms, "keyIds" | "agentGrants">;
    /** The database secret: its id goes into the startup script, and the instances may read it. */
    secrets: Pick<Secrets, "databaseSecretId" | "grantRead">;
    /** The credentials version written at deploy (recorded in the script, so a new one rolls the group). */
    secretVersion: pulumi.Input<string>;
    /** The application bucket: its name goes into the env file, and the instances may use it. */
    storage: Pick<Storage, "bucketName" | "grantReadWrite">;
    /** The registration topic the API publishes to. Default: none (no publish permission, no env key). */
    registrationTopic?: GcpRegistrationTopic;
    /** How the application is installed on the image and its port (`app.*`). */
    app: AppSettings;
    /** Health-check path. From `app.healthCheckPath`; default `/healthz`. */
    healthCheckPath: string;
    /** From `gcp.machineType`; default `e2-micro`. */
    machineType: string;
    /** From `gcp.image`; default the newest image of family `webapp` in the project. */
    image: ImageSelector;
    /** Fewest instances. From `gcp.mig.min`; default 1. */
    minSize: number;
    /** Most instances. From `gcp.mig.max`; default 2. */
    maxSize: number;
    /** Average CPU (%) the autoscaler keeps the group at. From `gcp.mig.cpuTarget`; default 50. */
    cpuTarget: number;
    /**
     * The host names the load balancer serves and its certificate covers; the first is the API's
     * address (`url`). From the builder: `domainName` on GCP alone, `gcp.<domainName>` next to
     * AWS (plus `domainName` with DNS failover).
     */
    hostnames: readonly string[];
    /** A Cloud Armor policy for the backend service (`features.waf`). Default: none. */
    securityPolicy?: pulumi.Input<string>;
}

/**
 * The application tier on GCP: a global external Application Load Balancer (HTTPS with a
 * Certificate Manager certificate and a restricted TLS policy; HTTP answers 301 to HTTPS) in front
 * of a regional managed instance group from the custom image. Instances are Shielded VMs with no
 * external address, OS Login and no project SSH keys, a boot disk encrypted with the platform's
 * disk key, and a service account that may read the database secret, use the bucket, publish
 * registration events and write logs and metrics, nothing else. The group scales on CPU,
 * recreates instances that fail their health check, and rolls a new template with surge and no
 * unavailable instance.
 *
 * The certificate is issued by Certificate Manager with DNS authorization rather than a classic
 * managed SSL certificate: a classic one is validated through the load balancer, so it is only
 * issued (and renewed) while the name points at this load balancer, which is not the case for the
 * apex of a DNS failover (it points at AWS until AWS fails). DNS authorization only needs a CNAME.
 */
export class Compute extends pulumi.ComponentResource {
    /** `https://<first host name>`. */
    public readonly url: string;
    /** The load balancer's anycast IPv4 address. */
    public readonly loadBalancerIp: pulumi.Output<string>;
    public readonly instanceGroupManagerName: pulumi.Output<string>;
    /** Instances are named `<this>-<suffix>` (`webapp-<environment>`). */
    public readonly baseInstanceName: string;
    /** The HTTPS URL map (the load balancer's metrics carry its name). */
    public readonly urlMapName: pulumi.Output<string>;
    public readonly serviceAccountEmail: pulumi.Output<string>;
    /** The records each host name needs for the certificate; the DNS tier writes them. */
    public readonly dnsAuthorizationRecords: readonly DnsAuthorizationRecord[];

    constructor(name: string, args: ComputeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:gcp:Compute", name, {}, opts);
        const child = { parent: this };
        if (args.hostnames.length === 0) {
            throw new Error("Compute: at least one host name is needed for the certificate");
        }
        const region = args.project.region;
        this.baseInstanceName = `webapp-${args.environment}`;

        // The instances' identity and exactly what it may do.
        const account = new gcp.serviceaccount.Account(
            `${name}-instances`,
            {
                accountId: serviceAccountId(args.environment, "app-vm"),
                displayName: `webapp ${args.environment} instances`,
            },
            child,
        );
        const grants: pulumi.Resource[] = [
            args.secrets.grantRead("database", "instances", account.member),
            args.storage.grantReadWrite("instances", account.member),
            ...INSTANCE_PROJECT_ROLES.map(
                (role) =>
                    new gcp.projects.IAMMember(
                        `${name}-instances-${role.split(".").pop()}`,
                        { project: args.project.projectId, role, member: account.member },
                        child,
                    ),
            ),
        ];
        if (args.registrationTopic !== undefined) {
            grants.push(args.registrationTopic.grantPublish("instances", account.member));
        }

        // The template: custom image, Shielded VM, private only, OS Login, CMEK boot disk.
        const image = gcp.compute.getImageOutput(imageQuery(args.image), { parent: this });
        const startupScript = pulumi
            .all([
                args.secrets.databaseSecretId,
                args.storage.bucketName,
                args.registrationTopic?.topicId,
                args.secretVersion,
            ])
            .apply(([dbSecretId, bucketName, registrationTopic, secretVersion]) =>
                renderGcpBootScript({
                    project: args.project.projectId,
                    dbSecretId,
                    bucketName,
                    registrationTopic,
                    app: args.app,
                    secretVersion,
                }),
            );
        const template = new gcp.compute.InstanceTemplate(
            `${name}-template`,
            {
                description: "webapp instances from the custom image",
                machineType: args.machineType,
                tags: [args.network.instanceTag],
                disks: [
                    {
                        boot: true,
                        autoDelete: true,
                        sourceImage: image.selfLink,
                        diskType: "pd-balanced",
                        diskEncryptionKey: { kmsKeySelfLink: args.kms.keyIds.disk },
                    },
                ],
                // No access config: no external address (egress through Cloud NAT).
                networkInterfaces: [{ subnetwork: args.network.subnetSelfLink }],
                canIpForward: false,
                serviceAccount: { email: account.email, scopes: ["cloud-platform"] },
                shieldedInstanceConfig: {
                    enableSecureBoot: true,
                    enableVtpm: true,
                    enableIntegrityMonitoring: true,
                },
                metadata: {
                    "startup-script": startupScript,
                    "enable-oslogin": "TRUE",
                    "block-project-ssh-keys": "TRUE",
                },
                scheduling: { automaticRestart: true, onHostMaintenance: "MIGRATE" },
            },
            // The Compute Engine agent must be able to use the disk key before a disk is created.
            { parent: this, dependsOn: [args.kms.agentGrants.disk] },
        );

        // Health checks, the group and its autoscaler.
        const httpCheck = { port: args.app.port, requestPath: args.healthCheckPath };
        const lbHealthCheck = new gcp.compute.HealthCheck(
            `${name}-lb-health`,
            {
                description: `GET ${args.healthCheckPath} for the load balancer`,
                httpHealthCheck: httpCheck,
                ...LB_HEALTH_CHECK,
                // Health transitions are logged (the unhealthy-backend alert counts them).
                logConfig: { enable: true },
            },
            child,
        );
        const autohealing = new gcp.compute.HealthCheck(
            `${name}-autohealing`,
            {
                description: `GET ${args.healthCheckPath} for auto-healing`,
                httpHealthCheck: httpCheck,
                ...AUTOHEALING_HEALTH_CHECK,
            },
            child,
        );
        const zones = gcp.compute.getZonesOutput({ region, status: "UP" }, { parent: this }).names;
        const group = new gcp.compute.RegionInstanceGroupManager(
            `${name}-mig`,
            {
                description: "webapp instances",
                region,
                baseInstanceName: this.baseInstanceName,
                distributionPolicyZones: zones,
                versions: [{ name: "primary", instanceTemplate: template.selfLinkUnique }],
                namedPorts: [{ name: NAMED_PORT, port: args.app.port }],
                autoHealingPolicies: {
                    healthCheck: autohealing.id,
                    initialDelaySec: AUTOHEALING_INITIAL_DELAY_SECONDS,
                },
                updatePolicy: zones.apply((names) => updatePolicy(names.length)),
                // `pulumi up` returns once every instance runs the new template, so the old
                // template is not deleted while the group still uses it.
                waitForInstances: true,
                waitForInstancesStatus: "UPDATED",
            },
            // Instances read the secret and write logs from their first boot.
            { parent: this, dependsOn: grants },
        );
        new gcp.compute.RegionAutoscaler(
            `${name}-autoscaler`,
            {
                region,
                target: group.selfLink,
                autoscalingPolicy: {
                    minReplicas: args.minSize,
                    maxReplicas: args.maxSize,
                    cooldownPeriod: INSTANCE_WARMUP_SECONDS,
                    mode: "ON",
                    cpuUtilization: { target: args.cpuTarget / 100 },
                },
            },
            child,
        );

        // The load balancer: backend service, certificate, HTTPS and HTTP front ends on one address.
        const backend = new gcp.compute.BackendService(
            `${name}-backend`,
            {
                description: "webapp instances",
                loadBalancingScheme: "EXTERNAL_MANAGED",
                protocol: "HTTP",
                portName: NAMED_PORT,
                timeoutSec: 30,
                connectionDrainingTimeoutSec: CONNECTION_DRAINING_SECONDS,
                healthChecks: lbHealthCheck.id,
                backends: [
                    {
                        group: group.instanceGroup,
                        balancingMode: "UTILIZATION",
                        maxUtilization: 0.8,
                        capacityScaler: 1,
                    },
                ],
                logConfig: { enable: true, sampleRate: 1 },
                customResponseHeaders: [`Strict-Transport-Security: ${HSTS_HEADER}`],
                securityPolicy: args.securityPolicy,
            },
            child,
        );
        const { certificateMap, records } = this.certificate(name, args.hostnames);

        const address = new gcp.compute.GlobalAddress(
            `${name}-address`,
            { description: "webapp load balancer", addressType: "EXTERNAL", ipVersion: "IPV4" },
            child,
        );
        const sslPolicy = new gcp.compute.SSLPolicy(`${name}-tls`, { ...SSL_POLICY }, child);
        const httpsMap = new gcp.compute.URLMap(
            `${name}-https`,
            { description: "webapp: everything to the instances", defaultService: backend.id },
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
        const forwardingRule = (role: string, port: number, target: pulumi.Input<string>) =>
            new gcp.compute.GlobalForwardingRule(
                `${name}-${role}`,
                {
                    loadBalancingScheme: "EXTERNAL_MANAGED",
                    ipProtocol: "TCP",
                    ipAddress: address.address,
                    portRange: String(port),
                    target,
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

        this.url = `https://${args.hostnames[0]}`;
        this.loadBalancerIp = address.address;
        this.instanceGroupManagerName = group.name;
        this.urlMapName = httpsMap.name;
        this.serviceAccountEmail = account.email;
        this.dnsAuthorizationRecords = records;
        this.registerOutputs({
            url: this.url,
            loadBalancerIp: this.loadBalancerIp,
            instanceGroupManagerName: this.instanceGroupManagerName,
        });
    }

    /**
     * A Google-managed certificate for `hostnames` (Certificate Manager, DNS authorization) in a
     * certificate map whose primary entry serves it for every name.
     */
    private certificate(
        name: string,
        hostnames: readonly string[],
    ): { certificateMap: gcp.certificatemanager.CertificateMap; records: DnsAuthorizationRecord[] } {
        const child = { parent: this };
        const authorizations = hostnames.map((hostname, i) => ({
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
                description: `webapp: ${hostnames.join(", ")}`,
                scope: "DEFAULT",
                managed: {
                    domains: [...hostnames],
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
        const records = authorizations.map(({ hostname, authorization }) => {
            const record = authorization.dnsResourceRecords.apply((list) => {
                if (list.length === 0) {
                    throw new Error(`Certificate Manager returned no DNS record for ${hostname}`);
                }
                return list[0];
            });
            return { hostname, name: record.name, type: record.type, data: record.data };
        });
        return { certificateMap, records };
    }
}
