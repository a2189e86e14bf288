/** How an opt-in feature plugs into the AWS platform (see `FEATURES` in `components/features.ts`). */
import type { AwsPlatform } from "..";
import type { AwsContext } from "../context";

/** A feature's AWS part; it runs only when the feature is on. */
export interface AwsFeature {
    /**
     * Once every AWS tier exists (before the DNS step): the feature's own components, top-level
     * like the tiers (`ctx.tierOpts`), named `ctx.name("<feature>")`.
     */
    build(ctx: AwsContext, platform: AwsPlatform): void;
}
