/** The Mailgun settings the e-mail verification function gets on every cloud (never the key). */
import type { InfraConfig } from "../../config";

export interface MailgunFunctionSettings {
    /** The Mailgun sending domain. From `mailgun.domain`; default `mg.example.com`. */
    domain: string;
    /** The sender. From `mailgun.from`; default `noreply@<mailgun.domain>`. */
    from: string;
    /** Mailgun API base URL. From `mailgun.apiBaseUrl`; default `https://api.mailgun.net`. */
    apiBaseUrl: string;
}

/** The function's Mailgun settings from the config. */
export function mailgunSettings(cfg: Pick<InfraConfig, "mailgun">): MailgunFunctionSettings {
    return { domain: cfg.mailgun.domain, from: cfg.mailgun.from, apiBaseUrl: cfg.mailgun.apiBaseUrl };
}
