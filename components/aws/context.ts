/** The AWS part of the stack context: the provider, the account, and how AWS tiers are named. */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { InfraConfig } from "../../config";
import { stackContext, type StackContext } from "../shared/context";
import { standardTags } from "../shared/tags";
import type { AwsAccount } from "./iam";

/**
 * The AWS provider every AWS resource uses: region, default tags, an optional account guard and an
 * optional named profile (`aws.profile`; otherwise the usual credential chain).
 */
export function awsProvider(cfg: InfraConfig, opts?: pulumi.ResourceOptions): aws.Provider {
    return new aws.Provider(
        `${cfg.environment}-aws`,
        {
            region: cfg.aws.region as aws.Region,
            defaultTags: { tags: standardTags(cfg) },
            allowedAccountIds: cfg.aws.allowedAccountIds,
            profile: cfg.aws.profile,
        },
        opts,
    );
}

export interface AwsContext extends StackContext {
    readonly provider: aws.Provider;
    /** The account and region deployed into (looked up through the provider). */
    readonly account: AwsAccount;
    /** Options for every AWS tier component: the caller's, with the AWS provider. */
    readonly tierOpts: pulumi.ComponentResourceOptions;
    /** A tier component's name: `<environment>-<tier>`, e.g. `dev-network`. */
    name(tier: string): string;
}

/**
 * The AWS context of a stack: creates the provider (or uses `provider`) and looks up the account
 * through it. `stack` may be the config itself (tests build a context from a config).
 */
export function awsContext(stack: StackContext | InfraConfig, provider?: aws.Provider): AwsContext {
    const base = "behaviour" in stack ? stack : stackContext(stack);
    const awsProviderResource = provider ?? awsProvider(base.config, { parent: base.opts.parent });
    const invokeOpts = { provider: awsProviderResource, parent: base.opts.parent };
    return {
        ...base,
        provider: awsProviderResource,
        account: {
            accountId: aws.getCallerIdentityOutput({}, invokeOpts).accountId,
            partition: aws.getPartitionOutput({}, invokeOpts).partition,
            region: base.config.aws.region,
        },
        tierOpts: pulumi.mergeOptions(base.opts, { providers: [awsProviderResource] }),
        name: (tier) => `${base.environment}-${tier}`,
    };
}
