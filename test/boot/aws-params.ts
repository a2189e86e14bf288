/** The EC2 boot script's parameters in the tests (no emulator needed to import them). */
import type { AwsBootParams } from "../../functions/boot/aws";

/** Not the emulator's default region: a script that dropped `--region` would find nothing. */
export const AWS_REGION = "eu-central-1";
export const AWS_SECRET_NAME = "dev-secrets-db-credentials";
/** The secret RDS keeps the master credentials in is named `rds!db-<uuid>`. */
export const AWS_CREDENTIALS_NAME = "rds!db-3f2c9a4e-7b1d-4c8e-9f0a-5d6e7f8a9b0c";
export const AWS_TOPIC_ARN = `arn:aws:sns:${AWS_REGION}:123456789012:dev-registrations`;

export const AWS_PARAMS: AwsBootParams = {
    region: AWS_REGION,
    dbSecretId: `arn:aws:secretsmanager:${AWS_REGION}:123456789012:secret:${AWS_SECRET_NAME}-AbCdEf`,
    bucketName: "webapp-dev-bucket-1234567",
    registrationTopicArn: AWS_TOPIC_ARN,
    app: { user: "webapp", directory: "/opt/webapp", serviceName: "webapp", port: 80 },
    logGroupName: "webapp-dev-app-logs-1234567",
    metricsNamespace: "webapp/dev",
};
