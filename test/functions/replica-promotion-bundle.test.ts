/**
 * The promotion function's bundle: built by the same mechanism as the e-mail function, one
 * `index.js` with the SDK clients it needs and nothing of the deploying program. (It runs against
 * moto in test/emulators/replica-promotion.test.ts.)
 */
import { expect } from "chai";
import * as path from "node:path";
import {
    bundleFunction,
    freshFunctionBundle,
    functionClouds,
    REPLICA_PROMOTION_DIST,
    REPLICA_PROMOTION_ENTRY_POINT,
    replicaPromotionArchive,
} from "../../functions/bundle";

describe("replica promotion: bundle", function () {
    this.timeout(60_000);

    it("is a Lambda bundle only, with the handler index.handler", () => {
        expect(functionClouds("replica-promotion")).to.deep.equal(["aws"]);
        expect(functionClouds("email-verification")).to.deep.equal(["aws", "gcp"]);
        expect(REPLICA_PROMOTION_ENTRY_POINT).to.equal("index.handler");
        expect(() => bundleFunction("replica-promotion", "gcp")).to.throw(
            "the replica-promotion function has no gcp adapter",
        );
    });

    it("holds the RDS and SNS clients and none of the program's Pulumi code", () => {
        const bundle = freshFunctionBundle("replica-promotion", "aws");
        expect(bundle.directory).to.equal(path.join(REPLICA_PROMOTION_DIST, "aws"));
        const packages = (name: string) =>
            bundle.inputs.some((f) => f.includes(`${path.sep}node_modules${path.sep}${name}${path.sep}`));
        expect([packages("@aws-sdk/client-rds"), packages("@aws-sdk/client-sns")]).to.deep.equal([true, true]);
        expect([
            packages("@pulumi/pulumi"),
            packages("@pulumi/aws"),
            packages("@aws-sdk/client-secrets-manager"),
        ]).to.deep.equal([false, false, false]);
        expect(bundle.inputs.some((f) => f.endsWith(path.join("replica-promotion", "iam.ts")))).to.equal(false);
    });

    it("archives exactly index.js", async () => {
        const assets = (await replicaPromotionArchive().assets) as Record<string, { path: Promise<string> }>;
        expect(Object.keys(assets)).to.deep.equal(["index.js"]);
        expect(await assets["index.js"].path).to.equal(path.join(REPLICA_PROMOTION_DIST, "aws", "index.js"));
    });
});
