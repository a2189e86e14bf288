/**
 * `createInfrastructure(cfg)`: builds the chosen clouds' tiers from a validated config and returns
 * the stack outputs, grouped per cloud. The CLI program (`index.ts`), the offline plan and the
 * Automation API all run this same function.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, loadConfig, parseConfig, type Cloud, type InfraConfig } from "../config";
import { createAwsPlatform, type AwsOutputs, type AwsPlatform } from "./aws";
import { createGcpPlatform, type GcpOutputs } from "./gcp";
import { awsProvider, gcpProvider } from "./providers";

export interface InfrastructureOutputs {
    environment: string;
    clouds: Cloud[];
    /** Present when `clouds` includes `aws`. */
    aws?: AwsOutputs;
    /** Present when `clouds` includes `gcp`. */
    gcp?: GcpOutputs;
}

/**
 * Builds the platform. The config is validated again first (callers may hand-build it), so an
 * invalid config throws `ConfigError` before any resource is registered.
 */
export function createInfrastructure(
    cfg: InfraConfig,
    opts: pulumi.ComponentResourceOptions = {},
): InfrastructureOutputs {
    const config = parseConfig(cfg, cfg?.environment);
    const outputs: InfrastructureOutputs = { environment: config.environment, clouds: [...config.clouds] };
    let aws: AwsPlatform | undefined;
    if (config.clouds.includes("aws")) {
        const provider = awsProvider(config, { parent: opts.parent });
        aws = createAwsPlatform(config, provider, opts);
        outputs.aws = aws.outputs;
    }
    if (config.clouds.includes("gcp")) {
        const provider = gcpProvider(config, { parent: opts.parent });
        // Next to AWS, the GCP load balancer's names (and a DNS failover) live in the Route 53 zone.
        const awsDns = aws && { dns: aws.dns, loadBalancerTarget: aws.loadBalancerTarget };
        outputs.gcp = createGcpPlatform(config, provider, opts, awsDns).outputs;
    }
    return outputs;
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
