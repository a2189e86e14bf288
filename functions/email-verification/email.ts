/** The verification link and the e-mail that carries it (text and HTML). */
import type { Registration } from "./message";

/** The API's verification endpoint, relative to its domain. */
export const VERIFY_PATH = "/v1/user/verify";

export const SUBJECT = "Verify your e-mail address";

/**
 * `https://<domainName>/v1/user/verify?email=...&token=...`, each value percent-encoded
 * (`+` becomes `%2B`, `@` becomes `%40`), so the API reads back exactly what was registered.
 */
export function verificationLink(domainName: string, email: string, token: string): string {
    return `https://${domainName}${VERIFY_PATH}?email=${encodeURIComponent(email)}&token=${encodeURIComponent(token)}`;
}

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
    return text
        .replace(/&/g, "&amp;")
        .replace(/</g, "&lt;")
        .replace(/>/g, "&gt;")
        .replace(/"/g, "&quot;")
        .replace(/'/g, "&#39;");
}

export interface EmailContent {
    readonly subject: string;
    readonly text: string;
    readonly html: string;
}

/** The verification e-mail for a registration, as plain text and as HTML (the name is escaped). */
export function verificationEmail(registration: Registration, link: string): EmailContent {
    const greeting = registration.firstName ? `Hello ${registration.firstName},` : "Hello,";
    const text = [
        greeting,
        "",
        "Please confirm your e-mail address by opening this link:",
        "",
        link,
        "",
        "If you did not create an account, you can ignore this e-mail.",
        "",
    ].join("\n");
    const html = [
        "<!DOCTYPE html>",
        '<html><body style="font-family: sans-serif">',
        `<p>${escapeHtml(greeting)}</p>`,
        "<p>Please confirm your e-mail address by opening this link:</p>",
        `<p><a href="${escapeHtml(link)}">Verify my e-mail address</a></p>`,
        `<p style="font-size: small">Or copy this address into your browser: ${escapeHtml(link)}</p>`,
        "<p>If you did not create an account, you can ignore this e-mail.</p>",
        "</body></html>",
        "",
    ].join("\n");
    return { subject: SUBJECT, text, html };
}
