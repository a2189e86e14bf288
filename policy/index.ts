// The CrossGuard policy pack: `pulumi preview --policy-pack policy` (run `npm ci` in policy/ first).
// The rules live in ./rules as plain functions; the offline plan runs the same ones.
import { PolicyPack } from "@pulumi/policy";
import { packPolicies } from "./pack";

new PolicyPack("webapp-infra-policy", {
    description:
        "Security rules of the webapp platform on AWS and GCP: encryption with customer-managed keys, " +
        "private data stores, minimal internet exposure, flow logs, deletion protection, no plain-text secrets.",
    policies: packPolicies(),
});
