/** The tags (AWS) and labels (GCP) every resource carries, set once on the providers. */
import * as pulumi from "@pulumi/pulumi";
import { PROJECT, type InfraConfig } from "../../config";

/** Keys and values are lowercase so the same map is valid as GCP labels. */
export function standardTags(cfg: Pick<InfraConfig, "environment">): Record<string, string> {
    return {
        project: PROJECT,
        environment: cfg.environment,
        stack: pulumi.getStack().toLowerCase(),
        "managed-by": "pulumi",
    };
}
