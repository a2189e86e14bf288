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
export function awsProvider(
    cfg: InfraConfig,
    opts?: pulumi.ResourceOptions,
    where: { region: string; role: string } = { region: cfg.aws.region, role: "aws" },
): aws.Provider {
    return new aws.Provider(
        `${cfg.environment}-${where.role}`,
        {
            region: where.region as aws.Region,
            defaultTags: { tags: standardTags(cfg) },
            allowedAccountIds: cfg.aws.allowedAccountIds,
            profile: cfg.aws.profile,
        },
        opts,
    );
}

/** The disaster-recovery region (`aws.dr.region`): its own provider, same account, tags and guard. */
export interface AwsDrContext {
    readonly region: string;
    readonly provider: aws.Provider;
    readonly account: AwsAccount;
    /** Options for a component whose resources live in the DR region. */
    readonly tierOpts: pulumi.ComponentResourceOptions;
}

export interface AwsContext extends StackContext {
    readonly provider: aws.Provider;
    /** The account and region deployed into (looked up through the provider). */
    readonly account: AwsAccount;
    /** Options for every AWS tier component: the caller's, with the AWS provider. */
    readonly tierOpts: pulumi.ComponentResourceOptions;
    /** A tier component's name: `<environment>-<tier>`, e.g. `dev-network`. */
    name(tier: string): string;
    /** The DR region, when `aws.dr.region` is set. */
    readonly dr?: AwsDrContext;
    /**
     * With `features.cdn`: options for the CDN's component, whose resources must be in us-east-1
     * (a second provider, `<env>-aws-edge`, with the same tags and account guard).
     */
    readonly edgeOpts?: pulumi.ComponentResourceOptions;
}

/** Where CloudFront's certificate, web ACL and log delivery must be. */
export const EDGE_REGION = "us-east-1";

/**
 * The AWS context of a stack: creates the provider (or uses `provider`) and looks up the account
 * through it. `stack` may be the config itself (tests build a context from a config).
 */
export function awsContext(stack: StackContext | InfraConfig, provider?: aws.Provider): AwsContext {
    const base = "behaviour" in stack ? stack : stackContext(stack);
    const awsProviderResource = provider ?? awsProvider(base.config, { parent: base.opts.parent });
    const invokeOpts = { provider: awsProviderResource, parent: base.opts.parent };
    const drRegion = base.config.aws.dr.region;
    const drProvider =
        drRegion === undefined
            ? undefined
            : awsProvider(base.config, { parent: base.opts.parent }, { region: drRegion, role: "aws-dr" });
    const edgeProvider = base.config.features.cdn
        ? awsProvider(base.config, { parent: base.opts.parent }, { region: EDGE_REGION, role: "aws-edge" })
        : undefined;
    const account = {
        accountId: aws.getCallerIdentityOutput({}, invokeOpts).accountId,
        partition: aws.getPartitionOutput({}, invokeOpts).partition,
    };
    return {
        ...base,
        provider: awsProviderResource,
        account: { ...account, region: base.config.aws.region },
        tierOpts: pulumi.mergeOptions(base.opts, { providers: [awsProviderResource] }),
        name: (tier) => `${base.environment}-${tier}`,
        ...(edgeProvider === undefined
            ? {}
            : { edgeOpts: pulumi.mergeOptions(base.opts, { providers: [edgeProvider] }) }),
        ...(drRegion === undefined || drProvider === undefined
            ? {}
            : {
                  dr: {
                      region: drRegion,
                      provider: drProvider,
                      account: { ...account, region: drRegion },
                      tierOpts: pulumi.mergeOptions(base.opts, { providers: [drProvider] }),
                  },
              }),
    };
}
