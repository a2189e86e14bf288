/**
 * `createInfrastructure(cfg)`: builds the chosen clouds' tiers from a validated config and returns
 * the stack outputs, grouped per cloud. The CLI program (`index.ts`), the offline plan and the
 * Automation API all run this same function.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, loadConfig, parseConfig, type Cloud, type InfraConfig } from "../config";
import { awsContext, createAwsPlatform, type AwsOutputs, type AwsPlatform } from "./aws";
import { publishDns } from "./edge";
import { createGcpPlatform, gcpContext, type GcpOutputs, type GcpPlatform } from "./gcp";
import { stackContext } from "./shared/context";

export interface InfrastructureOutputs {
    environment: string;
    clouds: Cloud[];
    /** Present when `clouds` includes `aws`. */
    aws?: AwsOutputs;
    /** Present when `clouds` includes `gcp`. */
    gcp?: GcpOutputs;
}

/**
 * Builds the platform, in order: the stack context (providers, account, project), each cloud's
 * tiers and features, then the DNS step that joins them (`publishDns`). The config is validated
 * again first (callers may hand-build it), so an invalid config throws `ConfigError` before any
 * resource is registered.
 */
export function createInfrastructure(
    cfg: InfraConfig,
    opts: pulumi.ComponentResourceOptions = {},
): InfrastructureOutputs {
    const config = parseConfig(cfg, cfg?.environment);
    const ctx = stackContext(config, opts);
    const aws: AwsPlatform | undefined = ctx.uses("aws") ? createAwsPlatform(awsContext(ctx)) : undefined;
    const gcp: GcpPlatform | undefined = ctx.uses("gcp") ? createGcpPlatform(gcpContext(ctx)) : undefined;
    const dns = publishDns(ctx, { aws, gcp });
    return {
        environment: config.environment,
        clouds: [...config.clouds],
        ...(aws === undefined ? {} : { aws: aws.outputs }),
        ...(gcp === undefined
            ? {}
            : {
                  gcp: {
                      ...gcp.outputs,
                      ...(dns.gcpNameServers === undefined ? {} : { nameServers: dns.gcpNameServers }),
                  },
              }),
    };
}

/**
 * The stack outputs: every output of `createInfrastructure`, minus the clouds the stack does not use
 * (Pulumi warns about undefined outputs).
 */
export function toStackOutputs(outputs: InfrastructureOutputs): Record<string, unknown> {
    return Object.fromEntries(Object.entries(outputs).filter(([, value]) => value !== undefined));
}

/**
 * The program body shared by `index.ts` and the Automation API: load the stack's config, build,
 * return the outputs. A config error ends the run with its message only (no stack trace).
 */
export function program(): Record<string, unknown> {
    let config: InfraConfig;
    try {
        config = loadConfig();
    } catch (error) {
        if (error instanceof ConfigError) {
            throw new pulumi.RunError(error.message);
        }
        throw error;
    }
    return toStackOutputs(createInfrastructure(config));
}
