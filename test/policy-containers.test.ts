/** The container rules on hand-built compliant and non-compliant task definitions and repositories. */
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import {
    AWS,
    DEFAULT_RULE_OPTIONS,
    ecrScanAndCmk,
    ecsTasksUnprivileged,
    noPlaintextSecretsInContainerEnvironment,
    RULES,
    type Props,
    type ResourceRule,
} from "../policy/rules";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const KEY = "arn:aws:kms:us-east-1:123456789012:key/mrk-1";

const container = (overrides: Record<string, unknown> = {}) => ({
    name: "app",
    image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/webapp:1",
    user: "webapp",
    readonlyRootFilesystem: true,
    privileged: false,
    environment: [{ name: "APP_PORT", value: "80" }],
    secrets: [{ name: "DB_PASSWORD", valueFrom: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db:password::" }],
    ...overrides,
});
const taskDefinition = (...containers: Array<Record<string, unknown>>): Props => ({
    family: "webapp-dev-web",
    containerDefinitions: JSON.stringify(containers),
});
const check = (rule: ResourceRule, type: string, props: Props) => rule.check(type, props, DEFAULT_RULE_OPTIONS);

describe("policy rules: containers", () => {
    it("are in the catalogue, mandatory, on the SDK's own type tokens", () => {
        const names = RULES.map((r) => r.name);
        for (const rule of [ecsTasksUnprivileged, noPlaintextSecretsInContainerEnvironment, ecrScanAndCmk]) {
            expect(names).to.include(rule.name);
            expect(rule.enforcementLevel, rule.name).to.equal("mandatory");
        }
        expect(AWS.ecsTaskDefinition).to.equal(
            (aws.ecs.TaskDefinition as unknown as { __pulumiType: string }).__pulumiType,
        );
        expect(AWS.ecrRepository).to.equal((aws.ecr.Repository as unknown as { __pulumiType: string }).__pulumiType);
    });

    it("ecs-tasks-unprivileged: no privileged container, a read-only root, a non-root user", () => {
        expect(check(ecsTasksUnprivileged, AWS.ecsTaskDefinition, taskDefinition(container()))).to.deep.equal([]);
        const bad: Array<[Record<string, unknown>, string]> = [
            [{ privileged: true }, 'container "app" is privileged'],
            [
                { readonlyRootFilesystem: false },
                'container "app" has a writable root file system (readonlyRootFilesystem is not true)',
            ],
            [
                { readonlyRootFilesystem: undefined },
                'container "app" has a writable root file system (readonlyRootFilesystem is not true)',
            ],
            [{ user: "root" }, 'container "app" runs as "root": set user to a non-root user'],
            [{ user: "0:0" }, 'container "app" runs as "0:0": set user to a non-root user'],
            [{ user: undefined }, 'container "app" runs as the image\'s default user: set user to a non-root user'],
        ];
        expect(bad).to.have.length(6);
        for (const [overrides, message] of bad) {
            expect(
                check(ecsTasksUnprivileged, AWS.ecsTaskDefinition, taskDefinition(container(overrides))),
            ).to.deep.equal([message]);
        }
        // Every container counts, and a list (not JSON text) is read too.
        expect(
            check(ecsTasksUnprivileged, AWS.ecsTaskDefinition, {
                containerDefinitions: [container(), container({ name: "sidecar", privileged: true })],
            }),
        ).to.deep.equal(['container "sidecar" is privileged']);
        expect(check(ecsTasksUnprivileged, AWS.ecsTaskDefinition, { containerDefinitions: "[{" })).to.deep.equal([
            "containerDefinitions is not valid JSON",
        ]);
        // Unknown during a preview: nothing to say yet.
        expect(check(ecsTasksUnprivileged, AWS.ecsTaskDefinition, { containerDefinitions: UNKNOWN })).to.deep.equal([]);
    });

    it("no-plaintext-secrets-in-container-environment: secret-named values go in secrets, by reference", () => {
        const rule = noPlaintextSecretsInContainerEnvironment;
        expect(check(rule, AWS.ecsTaskDefinition, taskDefinition(container()))).to.deep.equal([]);
        const leaked = [
            "DB_PASSWORD",
            "MAILGUN_API_KEY",
            "session_secret",
            "GITHUB_TOKEN",
            "TLS_PRIVATE_KEY",
            "AWS_CREDENTIALS",
        ];
        expect(leaked).to.have.length(6);
        for (const name of leaked) {
            const td = taskDefinition(container({ environment: [{ name, value: "hunter2" }] }));
            expect(check(rule, AWS.ecsTaskDefinition, td)).to.deep.equal([
                `container "app" sets ${name} in its environment: pass it in secrets (valueFrom) instead`,
            ]);
        }
        // Names and ARNs are not secrets; an empty value holds nothing.
        const fine = container({
            environment: [
                { name: "S3_BUCKET_NAME", value: "b" },
                { name: "DB_DOCUMENT_VERSION", value: "v1" },
                { name: "API_TOKEN", value: "" },
            ],
        });
        expect(check(rule, AWS.ecsTaskDefinition, taskDefinition(fine))).to.deep.equal([]);
    });

    it("ecr-scan-and-cmk: scan on push, immutable tags, a customer-managed key", () => {
        const good = {
            imageTagMutability: "IMMUTABLE",
            imageScanningConfiguration: { scanOnPush: true },
            encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: KEY }],
        };
        expect(check(ecrScanAndCmk, AWS.ecrRepository, good)).to.deep.equal([]);
        expect(check(ecrScanAndCmk, AWS.ecrRepository, {})).to.deep.equal([
            "imageScanningConfiguration.scanOnPush is not true",
            'imageTagMutability is "MUTABLE": a tag could be re-pointed to another image',
            "encryptionConfigurations does not name a customer-managed KMS key (images would use AES256 or the AWS-managed key)",
        ]);
        expect(
            check(ecrScanAndCmk, AWS.ecrRepository, { ...good, encryptionConfigurations: [{ encryptionType: "KMS" }] }),
        ).to.have.length(1);
        expect(
            check(ecrScanAndCmk, AWS.ecrRepository, {
                ...good,
                encryptionConfigurations: [{ encryptionType: "AES256" }],
            }),
        ).to.have.length(1);
    });

    it("ignore other resource types", () => {
        for (const rule of [ecsTasksUnprivileged, noPlaintextSecretsInContainerEnvironment, ecrScanAndCmk]) {
            expect(
                check(rule, AWS.iamRole, { containerDefinitions: "[]", imageTagMutability: "MUTABLE" }),
            ).to.deep.equal([]);
        }
    });
});
