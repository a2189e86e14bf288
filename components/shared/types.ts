/**
 * Output interfaces shared by the AWS and GCP implementation of a tier, where the concept is the
 * same on both clouds. Cloud-neutral: nothing here names a cloud's types.
 */
import type * as pulumi from "@pulumi/pulumi";

export interface NetworkOutputs {
    /** VPC id (AWS) or network self link (GCP). */
    readonly networkId: pulumi.Output<string>;
    /** Subnets for instances, the database and functions (no route from the internet). */
    readonly privateSubnetIds: pulumi.Output<string[]>;
}

export interface DatabaseOutputs {
    /** Private host name or IP address of the MySQL server. */
    readonly host: pulumi.Output<string>;
    readonly port: pulumi.Output<number>;
    /** The application's database (schema) name. */
    readonly databaseName: string;
}

export interface StorageOutputs {
    readonly bucketName: pulumi.Output<string>;
}

export interface SecretsOutputs {
    /** Id of the secret holding the database credentials document (ARN on AWS, resource id on GCP). */
    readonly databaseSecretId: pulumi.Output<string>;
    /** Id of the secret holding the Mailgun API key. */
    readonly mailgunSecretId: pulumi.Output<string>;
}

type OutputsOf<T> = T extends { build(...args: never[]): { readonly outputs: infer O } } ? O : never;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/**
 * The outputs any implementation in a compute table may add to the stack's outputs, each
 * optional (a stack has one kind): e.g. `{ autoScalingGroupName?: Output<string> }`.
 */
export type BackendOutputsOf<Table> = Partial<UnionToIntersection<OutputsOf<Table[keyof Table]>>>;
