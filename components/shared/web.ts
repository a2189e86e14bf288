/** What the API's HTTPS front ends share on every cloud. */

/** HSTS on every HTTPS response: browsers use HTTPS only for a year. */
export const HSTS_HEADER = "max-age=31536000";

/** The API's address on a host name: `https://<host>`. */
export function httpsUrl(host: string): string {
    return `https://${host}`;
}
