import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { ENV } from "../../functions/email-verification/settings";
import type { MailgunFunctionSettings } from "../shared/mailgun";
import { alertPolicy, seconds } from "./alerts";
import { cryptoKey, ENCRYPTER_DECRYPTER_ROLE, type Kms } from "./kms";
import { serviceAccountId, type GcpProject } from "./project";
import type { Secrets } from "./secrets";
import { privateBucket, type UsageLogTarget } from "./storage";

export const PUBLISHER_ROLE = "roles/pubsub.publisher";
export const SUBSCRIBER_ROLE = "roles/pubsub.subscriber";
export const RUN_INVOKER_ROLE = "roles/run.invoker";
export const TOKEN_CREATOR_ROLE = "roles/iam.serviceAccountTokenCreator";

/** The runtime of the function (the bundles target Node.js 22). */
export const FUNCTION_RUNTIME = "nodejs22";

/**
 * How the function runs: one request per instance (one e-mail at a time, as on Lambda), at most 10
 * instances (a cap on the Mailgun rate), 60 s per request, scaled to zero when idle.
 */
export const FUNCTION_SERVICE = {
    availableMemory: "256Mi",
    timeoutSeconds: 60,
    minInstanceCount: 0,
    maxInstanceCount: 10,
    maxInstanceRequestConcurrency: 1,
} as const;

/**
 * The push subscription's delivery: Pub/Sub waits 90 s for the function's answer (longer than its
 * timeout, so a slow send is never delivered twice at once), redelivers a failed message after 10 s
 * growing to 10 minutes, and after 5 deliveries (the minimum Pub/Sub allows) moves it to the
 * dead-letter topic.
 */
export const PUSH_DELIVERY = {
    ackDeadlineSeconds: 90,
    minimumBackoffSeconds: 10,
    maximumBackoffSeconds: 600,
    maxDeliveryAttempts: 5,
} as const;

/** Dead-lettered events are kept 14 days (as the AWS dead-letter queue): time to notice, fix and replay. */
export const DEAD_LETTER_RETENTION_DAYS = 14;

/** A subscription that never expires (Pub/Sub deletes subscriptions idle for 31 days by default). */
export const NEVER_EXPIRE = { ttl: "" } as const;

/** The function's environment: names only. The Mailgun key is read from Secret Manager at cold start. */
export function functionEnvironment(args: {
    mailgunSecretId: pulumi.Input<string>;
    domainName: string;
    mailgun: MailgunFunctionSettings;
}): Record<string, pulumi.Input<string>> {
    return {
        [ENV.gcpSecretVersion]: pulumi.interpolate`${args.mailgunSecretId}/versions/latest`,
        [ENV.domainName]: args.domainName,
        [ENV.mailgunDomain]: args.mailgun.domain,
        [ENV.mailgunFrom]: args.mailgun.from,
        [ENV.mailgunApiBaseUrl]: args.mailgun.apiBaseUrl,
    };
}

/** The Cloud Run service name of a 2nd-gen function (`projects/.../services/<name>` -> `<name>`). */
export function serviceName(service: string | undefined): string {
    if (!service) {
        throw new Error("the function reported no Cloud Run service");
    }
    return service.split("/").pop() as string;
}

export interface MessagingArgs {
    /** The project (service agents, project-level roles of the build account) and region. */
    project: GcpProject;
    /** Names the service accounts: `<environment>-email-fn`, `-email-push`, `-email-build`. */
    environment: string;
    /** The platform keys: the tier's own key goes in their key ring; the source bucket uses the storage key. */
    kms: Pick<Kms, "keyRing" | "keyIds" | "agentGrants">;
    /** The Mailgun key's secret: its id goes into the environment, and only the function may read it. */
    secrets: Pick<Secrets, "mailgunSecretId" | "grantRead">;
    /** The bundled function (from `emailFunctionArchive("gcp")`). */
    code: pulumi.asset.Archive;
    /** The exported handler in `code` (`EMAIL_FUNCTION_ENTRY_POINT.gcp`). */
    entryPoint: string;
    /** Rotation period of the tier's key in days. From `gcp.kmsRotationDays`; default 90. */
    keyRotationDays: number;
    /** The API's domain: links point to `https://<domainName>/v1/user/verify`. From `domainName`. */
    domainName: string;
    mailgun: MailgunFunctionSettings;
    /** Let `pulumi destroy` delete the source bucket with its objects. Default: only in dev. */
    forceDestroy: boolean;
    /** Where the source bucket's usage logs go (`Storage.usageLogTarget`). */
    sourceUsageLogs: UsageLogTarget;
    /** Where the dead-letter alert notifies (`Alerts.channelIds`). Default: none (visible in the console). */
    notificationChannels?: pulumi.Input<string>[];
}

/**
 * Registration events and the e-mail verification function on GCP: the API publishes to a Pub/Sub
 * topic encrypted with the tier's own key; a push subscription delivers each event, with an OIDC
 * token of its own service account, to a private 2nd-gen Cloud Function (HTTP) that sends the
 * e-mail through Mailgun. A message that still fails after 5 deliveries moves to an encrypted
 * dead-letter topic, whose subscription keeps it 14 days and raises an alert.
 *
 * Why push to an HTTP function rather than an Eventarc trigger: Eventarc's subscription belongs to
 * Eventarc and cannot be given a dead-letter policy, so failing events would be retried until
 * they expire and then dropped.
 */
export class Messaging extends pulumi.ComponentResource {
    /** The registration topic (`projects/<project>/topics/<id>`) the API publishes to. */
    public readonly topicId: pulumi.Output<string>;
    /** The tier's key (both topics). */
    public readonly keyId: pulumi.Output<string>;
    public readonly functionName: pulumi.Output<string>;
    /** The function's Cloud Run service (its metrics are Cloud Run's). */
    public readonly functionServiceName: pulumi.Output<string>;
    public readonly deadLetterTopicId: pulumi.Output<string>;
    /** The subscription that holds dead-lettered events (pull them from here to inspect or replay). */
    public readonly deadLetterSubscriptionId: pulumi.Output<string>;
    private readonly baseName: string;
    private readonly topic: gcp.pubsub.Topic;

    constructor(name: string, args: MessagingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:gcp:Messaging", name, {}, opts);
        this.baseName = name;
        const child = { parent: this };
        const region = args.project.region;

        // The tier's key, usable by the Pub/Sub service agent only (publishers need no key permission).
        const key = cryptoKey(
            `${name}-key`,
            { keyRing: args.kms.keyRing.id, rotationDays: args.keyRotationDays },
            child,
        );
        const pubsubAgent = new gcp.projects.ServiceIdentity(
            `${name}-pubsub-agent`,
            { service: "pubsub.googleapis.com" },
            child,
        ).member;
        const keyGrant = new gcp.kms.CryptoKeyIAMMember(
            `${name}-key-pubsub-agent`,
            { cryptoKeyId: key.id, role: ENCRYPTER_DECRYPTER_ROLE, member: pubsubAgent },
            child,
        );
        // Pub/Sub checks on create that its agent may use the key.
        const encrypted = { parent: this, dependsOn: [keyGrant] };

        this.topic = new gcp.pubsub.Topic(`${name}-topic`, { kmsKeyName: key.id }, encrypted);
        const deadLetterTopic = new gcp.pubsub.Topic(`${name}-dead-letter`, { kmsKeyName: key.id }, encrypted);
        // A topic keeps nothing without a subscription: this one holds the dead letters for inspection.
        const deadLetterSubscription = new gcp.pubsub.Subscription(
            `${name}-dead-letter`,
            {
                topic: deadLetterTopic.id,
                messageRetentionDuration: seconds(DEAD_LETTER_RETENTION_DAYS * 86400),
                ackDeadlineSeconds: 60,
                expirationPolicy: { ...NEVER_EXPIRE },
            },
            child,
        );

        // The function's source: a private, versioned bucket (storage key), the bundle as one object.
        const sourceBucket = privateBucket(
            `${name}-source`,
            {
                location: region,
                kms: args.kms,
                forceDestroy: args.forceDestroy,
                versioning: true,
                usageLogs: args.sourceUsageLogs,
            },
            child,
        );
        const source = new gcp.storage.BucketObject(
            `${name}-source`,
            { bucket: sourceBucket.name, source: args.code, contentType: "application/zip" },
            child,
        );

        // Three identities: the function (reads the Mailgun key), the push subscription (invokes
        // the function), the build (turns the source into the function's image).
        const account = (role: string, displayName: string) =>
            new gcp.serviceaccount.Account(
                `${name}-${role}`,
                { accountId: serviceAccountId(args.environment, role), displayName },
                child,
            );
        const functionAccount = account("email-fn", `webapp ${args.environment} e-mail function`);
        const pushAccount = account("email-push", `webapp ${args.environment} e-mail push subscription`);
        const buildAccount = account("email-build", `webapp ${args.environment} e-mail function build`);

        const mailgunRead = args.secrets.grantRead("mailgun", "email-function", functionAccount.member);
        const buildRoles = ["roles/logging.logWriter", "roles/artifactregistry.writer"].map(
            (role) =>
                new gcp.projects.IAMMember(
                    `${name}-build-${role.split(".").pop()}`,
                    { project: args.project.projectId, role, member: buildAccount.member },
                    child,
                ),
        );
        const buildSourceRead = new gcp.storage.BucketIAMMember(
            `${name}-build-source-reader`,
            { bucket: sourceBucket.name, role: "roles/storage.objectViewer", member: buildAccount.member },
            child,
        );

        const fn = new gcp.cloudfunctionsv2.Function(
            `${name}-function`,
            {
                location: region,
                description: "Sends the e-mail verification message for each registration event (Mailgun)",
                buildConfig: {
                    runtime: FUNCTION_RUNTIME,
                    entryPoint: args.entryPoint,
                    serviceAccount: buildAccount.name,
                    source: {
                        storageSource: {
                            bucket: sourceBucket.name,
                            object: source.name,
                            generation: source.generation,
                        },
                    },
                    automaticUpdatePolicy: {},
                },
                serviceConfig: {
                    ...FUNCTION_SERVICE,
                    // Only Google-internal callers (Pub/Sub push) reach it, and only with an invoker identity.
                    ingressSettings: "ALLOW_INTERNAL_ONLY",
                    allTrafficOnLatestRevision: true,
                    serviceAccountEmail: functionAccount.email,
                    environmentVariables: functionEnvironment({
                        mailgunSecretId: args.secrets.mailgunSecretId,
                        domainName: args.domainName,
                        mailgun: args.mailgun,
                    }),
                },
            },
            { parent: this, dependsOn: [...buildRoles, buildSourceRead, mailgunRead] },
        );
        const serviceUrl = fn.serviceConfig.apply((config) => {
            if (!config?.uri) {
                throw new Error("the function reported no service URL");
            }
            return config.uri;
        });
        this.functionServiceName = fn.serviceConfig.apply((config) => serviceName(config?.service));

        // The push identity may invoke the function; Pub/Sub may mint its OIDC tokens.
        const invoker = new gcp.cloudrunv2.ServiceIamMember(
            `${name}-push-invoker`,
            { location: region, name: this.functionServiceName, role: RUN_INVOKER_ROLE, member: pushAccount.member },
            child,
        );
        const tokenCreator = new gcp.serviceaccount.IAMMember(
            `${name}-push-token-creator`,
            { serviceAccountId: pushAccount.name, role: TOKEN_CREATOR_ROLE, member: pubsubAgent },
            child,
        );

        const subscription = new gcp.pubsub.Subscription(
            `${name}-push`,
            {
                topic: this.topic.id,
                ackDeadlineSeconds: PUSH_DELIVERY.ackDeadlineSeconds,
                pushConfig: {
                    pushEndpoint: serviceUrl,
                    oidcToken: { serviceAccountEmail: pushAccount.email, audience: serviceUrl },
                },
                retryPolicy: {
                    minimumBackoff: seconds(PUSH_DELIVERY.minimumBackoffSeconds),
                    maximumBackoff: seconds(PUSH_DELIVERY.maximumBackoffSeconds),
                },
                deadLetterPolicy: {
                    deadLetterTopic: deadLetterTopic.id,
                    maxDeliveryAttempts: PUSH_DELIVERY.maxDeliveryAttempts,
                },
                expirationPolicy: { ...NEVER_EXPIRE },
            },
            { parent: this, dependsOn: [invoker, tokenCreator] },
        );
        // Dead-lettering acts as the Pub/Sub agent: it publishes to the dead-letter topic and
        // acknowledges on the source subscription.
        new gcp.pubsub.TopicIAMMember(
            `${name}-dead-letter-publisher`,
            { topic: deadLetterTopic.name, role: PUBLISHER_ROLE, member: pubsubAgent },
            child,
        );
        new gcp.pubsub.SubscriptionIAMMember(
            `${name}-push-dead-letter-subscriber`,
            { subscription: subscription.name, role: SUBSCRIBER_ROLE, member: pubsubAgent },
            child,
        );

        alertPolicy(
            name,
            {
                role: "dead-letter-alert",
                displayName: "E-mail verification: registration events dead-lettered",
                documentation:
                    "Registration events are in the e-mail verification dead-letter subscription: users did not " +
                    "get their e-mail. Read the function's logs (`invocation.failed`, `message.invalid`), then pull " +
                    "the messages from the dead-letter subscription and publish them to the topic again.",
                filter: pulumi.interpolate`resource.type = "pubsub_subscription" AND resource.labels.subscription_id = "${deadLetterSubscription.name}" AND metric.type = "pubsub.googleapis.com/subscription/num_undelivered_messages"`,
                aligner: "ALIGN_MAX",
                alignmentPeriodSeconds: 60,
                comparison: "COMPARISON_GT",
                threshold: 0,
                durationSeconds: 0,
                // Pub/Sub stops reporting an idle, empty subscription: no data means nothing is waiting.
                missingData: "INACTIVE",
            },
            args.notificationChannels ?? [],
            this,
        );

        this.topicId = this.topic.id;
        this.keyId = key.id;
        this.functionName = fn.name;
        this.deadLetterTopicId = deadLetterTopic.id;
        this.deadLetterSubscriptionId = deadLetterSubscription.id;
        this.registerOutputs({
            topicId: this.topicId,
            functionName: this.functionName,
            deadLetterTopicId: this.deadLetterTopicId,
        });
    }

    /** Lets `member` publish registration events to the topic (it needs no key permission). */
    grantPublish(role: string, member: pulumi.Input<string>): gcp.pubsub.TopicIAMMember {
        return new gcp.pubsub.TopicIAMMember(
            `${this.baseName}-publisher-${role}`,
            { topic: this.topic.name, role: PUBLISHER_ROLE, member },
            { parent: this },
        );
    }
}
