/**
 * The function's settings from its environment. The environment holds names and addresses only:
 * the Mailgun key itself is read from the cloud's secret store at cold start.
 */
import type { VerifierSettings } from "./verifier";

/**
 * The function's environment variables. The deploying program imports these names, so the
 * component and the handler cannot drift apart.
 */
export const ENV = {
    /** The API's public domain name, e.g. `api.example.com`. */
    domainName: "DOMAIN_NAME",
    /** The Mailgun sending domain. */
    mailgunDomain: "MAILGUN_DOMAIN",
    /** The sender address. Default `noreply@<MAILGUN_DOMAIN>`. */
    mailgunFrom: "MAILGUN_FROM",
    /** Default `https://api.mailgun.net`. */
    mailgunApiBaseUrl: "MAILGUN_API_BASE_URL",
    /** AWS: the ARN of the Secrets Manager secret holding the Mailgun key (plain text). */
    awsSecretArn: "MAILGUN_SECRET_ARN",
    /** GCP: the Secret Manager version to read, `projects/<p>/secrets/<s>/versions/<v|latest>`. */
    gcpSecretVersion: "MAILGUN_SECRET_VERSION",
} as const;

export const DEFAULT_MAILGUN_API_BASE_URL = "https://api.mailgun.net";

/** A missing or malformed environment variable: a deployment mistake, named precisely. */
export class SettingsError extends Error {
    constructor(problems: readonly string[]) {
        super(`the function is misconfigured: ${problems.join("; ")}`);
        this.name = "SettingsError";
    }
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Reads one required variable, recording a problem when it is absent. */
export function required(env: Env, name: string, problems: string[]): string {
    const value = env[name]?.trim();
    if (!value) {
        problems.push(`${name} is not set`);
        return "";
    }
    return value;
}

/** The cloud-neutral settings; `extra` names adapter-specific variables to require too. */
export function settingsFromEnv(env: Env, extra: readonly string[] = []): VerifierSettings & { extra: string[] } {
    const problems: string[] = [];
    const domainName = required(env, ENV.domainName, problems);
    const domain = required(env, ENV.mailgunDomain, problems);
    const from = env[ENV.mailgunFrom]?.trim() || (domain ? `noreply@${domain}` : "");
    const apiBaseUrl = env[ENV.mailgunApiBaseUrl]?.trim() || DEFAULT_MAILGUN_API_BASE_URL;
    if (!/^https?:\/\/[^/\s]+\/?$/.test(apiBaseUrl)) {
        problems.push(`${ENV.mailgunApiBaseUrl} must be a base URL such as ${DEFAULT_MAILGUN_API_BASE_URL}`);
    }
    if (domainName && !/^[a-z0-9.-]+(:\d+)?$/i.test(domainName)) {
        problems.push(`${ENV.domainName} must be a host name such as api.example.com`);
    }
    const values = extra.map((name) => required(env, name, problems));
    if (problems.length > 0) {
        throw new SettingsError(problems);
    }
    return { domainName, mailgun: { apiBaseUrl, domain, from }, extra: values };
}
