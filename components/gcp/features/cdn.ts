import type * as gcp from "@pulumi/gcp";
import type { GcpFeature } from "./types";

/**
 * Cloud CDN's policy for the API's backend service: only what the application marks cacheable
 * (`Cache-Control: public, max-age=...`) is cached, so the API's per-user answers never are
 * (`USE_ORIGIN_HEADERS`, not `CACHE_ALL_STATIC`); errors are not cached (no negative caching),
 * nothing is served stale, the cache key keeps the whole query string, and no signed-URL keys
 * exist (nothing is served by signed URL).
 */
export function cdnPolicy(): gcp.types.input.compute.BackendServiceCdnPolicy {
    return {
        cacheMode: "USE_ORIGIN_HEADERS",
        negativeCaching: false,
        serveWhileStale: 0,
        cacheKeyPolicy: { includeHost: true, includeProtocol: true, includeQueryString: true },
    };
}

/** `features.cdn` on GCP: Cloud CDN on the load balancer's backend service. */
export const GCP_CDN: GcpFeature = {
    prepare: () => ({ cdnPolicy: cdnPolicy() }),
};
