/**
 * Lambda code signing, shared by the functions the program deploys (the e-mail function, the DR
 * region's replica promotion function): the bundle goes to a versioned, private, KMS-encrypted
 * artifacts bucket, an AWS Signer job signs it with a signing profile of the function's own, and
 * the function deploys the signed copy under a code signing config that refuses anything else.
 *
 * The resources take the provider of `parent` (the DR component's is the DR region's), so the
 * bucket, its key and its access-log target must be in the same region as the function.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ABORT_MULTIPART_AFTER_DAYS, privateBucket, type AccessLogTarget } from "./storage";

/** AWS Signer's platform for Lambda code (ECDSA with SHA-384). */
export const LAMBDA_SIGNING_PLATFORM = "AWSLambda-SHA384-ECDSA";
/** Replaced bundles (older object versions) are removed after this many days. */
export const ARTIFACT_NONCURRENT_DAYS = 30;
/** The provider appends a 26-character unique suffix to a `namePrefix`. */
const NAME_PREFIX_SUFFIX = 26;

/** Where a function's bundle and its signed copy live in its artifacts bucket. */
export interface ArtifactKeys {
    /** The object key of the unsigned bundle, e.g. `email-function/unsigned/bundle.zip`. */
    readonly unsigned: string;
    /** The prefix the signing job writes the signed copy under, e.g. `email-function/signed/`. */
    readonly signedPrefix: string;
}

/** The artifact keys of a function under `folder`: `<folder>/unsigned/bundle.zip` and `<folder>/signed/`. */
export function artifactKeys(folder: string): ArtifactKeys {
    return { unsigned: `${folder}/unsigned/bundle.zip`, signedPrefix: `${folder}/signed/` };
}

/**
 * The signing profile's name prefix: Signer allows only letters, digits and `_` (2-64 characters,
 * the provider's 26-character suffix included), e.g. `dev-messaging` -> `dev_messaging_`.
 */
export function signingProfileNamePrefix(name: string): string {
    const safe = name.replace(/[^A-Za-z0-9_]/g, "_");
    return `${safe.slice(0, 64 - NAME_PREFIX_SUFFIX - 1)}_`;
}

export interface SignedCodeArgs {
    /** The bundled handler. */
    code: pulumi.asset.Archive;
    /** Where the bundle and its signed copy go in the bucket (`artifactKeys(...)`). */
    keys: ArtifactKeys;
    /** The customer-managed key of the artifacts bucket, in the function's region. */
    kmsKeyArn: pulumi.Input<string>;
    /** Where the artifacts bucket's server access logs go: a log bucket in the same region. */
    accessLogs: AccessLogTarget;
    /** Let `pulumi destroy` delete the artifacts bucket with its bundles. */
    forceDestroy: boolean;
    /** The code signing config's description, e.g. `webapp e-mail verification function: ...`. */
    description: string;
}

/** What a function needs to deploy signed code, and the resources behind it. */
export interface SignedCode {
    /** The signed copy's bucket and key: the function's `s3Bucket` and `s3Key`. */
    readonly s3Bucket: pulumi.Output<string>;
    readonly s3Key: pulumi.Output<string>;
    /** The function's `codeSigningConfigArn`. */
    readonly codeSigningConfigArn: pulumi.Output<string>;
    readonly bucket: aws.s3.Bucket;
    readonly profile: aws.signer.SigningProfile;
    readonly job: aws.signer.SigningJob;
    readonly config: aws.lambda.CodeSigningConfig;
}

/**
 * The artifacts bucket (`<name>-artifacts-*`), the bundle (`<name>-bundle`), the signing profile
 * (`<name>-signing-profile`), the signing job (`<name>-signing`) and the enforcing code signing
 * config (`<name>-code-signing`), all children of `parent`. A new bundle is a new object version,
 * so a new signing job (jobs are never updated) and a new signed object.
 */
export function signedCode(name: string, args: SignedCodeArgs, parent: pulumi.Resource): SignedCode {
    const child = { parent };
    const { bucket } = privateBucket(
        `${name}-artifacts`,
        {
            kmsKeyArn: args.kmsKeyArn,
            forceDestroy: args.forceDestroy,
            versioning: true,
            lifecycleRules: [
                {
                    id: "expire-replaced-bundles",
                    status: "Enabled",
                    filter: { prefix: "" },
                    noncurrentVersionExpiration: { noncurrentDays: ARTIFACT_NONCURRENT_DAYS },
                    abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_MULTIPART_AFTER_DAYS },
                },
            ],
            accessLogs: args.accessLogs,
        },
        parent,
    );
    const bundle = new aws.s3.BucketObjectv2(
        `${name}-bundle`,
        { bucket: bucket.id, key: args.keys.unsigned, source: args.code },
        child,
    );
    const profile = new aws.signer.SigningProfile(
        `${name}-signing-profile`,
        { namePrefix: signingProfileNamePrefix(name), platformId: LAMBDA_SIGNING_PLATFORM },
        child,
    );
    const job = new aws.signer.SigningJob(
        `${name}-signing`,
        {
            profileName: profile.name,
            source: { s3: { bucket: bucket.id, key: bundle.key, version: bundle.versionId } },
            destination: { s3: { bucket: bucket.id, prefix: args.keys.signedPrefix } },
            ignoreSigningJobFailure: false,
        },
        child,
    );
    const signed = job.signedObjects.apply((objects) => {
        const s3 = objects[0]?.s3s[0];
        if (s3 === undefined) {
            throw new Error("the signing job reported no signed object");
        }
        return s3;
    });
    const config = new aws.lambda.CodeSigningConfig(
        `${name}-code-signing`,
        {
            description: args.description,
            allowedPublishers: { signingProfileVersionArns: [profile.versionArn] },
            policies: { untrustedArtifactOnDeployment: "Enforce" },
        },
        child,
    );
    return {
        s3Bucket: signed.bucket,
        s3Key: signed.key,
        codeSigningConfigArn: config.arn,
        bucket,
        profile,
        job,
        config,
    };
}
