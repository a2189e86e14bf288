import { expect } from "chai";
import { CLOUDFRONT_ORIGIN_PREFIX_LIST, ORIGIN_HEADER_NAME } from "../components/aws/compute/loadBalancer";
import { MANAGED_RULE_GROUPS } from "../components/aws/features/waf";
import { mockPassword } from "../tools/offline/mocks";
import type { OfflineRun, RecordedResource } from "../tools/offline/run";
import { isSecretValue } from "../tools/offline/values";
import { build, buildStack, inside, json, referenced, stackConfig, statements } from "./support";

const T = {
    cdn: "webapp:aws:Cdn",
    provider: "pulumi:providers:aws",
    distribution: "aws:cloudfront/distribution:Distribution",
    certificate: "aws:acm/certificate:Certificate",
    validation: "aws:acm/certificateValidation:CertificateValidation",
    acl: "aws:wafv2/webAcl:WebAcl",
    association: "aws:wafv2/webAclAssociation:WebAclAssociation",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    key: "aws:kms/key:Key",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    listener: "aws:lb/listener:Listener",
    listenerRule: "aws:lb/listenerRule:ListenerRule",
    record: "aws:route53/record:Record",
    password: "random:index/randomPassword:RandomPassword",
    secret: "aws:secretsmanager/secret:Secret",
    secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
    source: "aws:cloudwatch/logDeliverySource:LogDeliverySource",
    destination: "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination",
    delivery: "aws:cloudwatch/logDelivery:LogDelivery",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
};

const ACCOUNT = "123456789012";

describe("features.cdn on AWS", () => {
    let run: OfflineRun;
    let edge: RecordedResource;
    let primary: RecordedResource;
    const onEdge = (r: RecordedResource) => r.provider.startsWith(`${edge.urn}::`);
    const originValue = () => mockPassword(run.one(T.password, "-cdn-origin-value").name);

    before(async () => {
        // A stack outside us-east-1 (with WAF on, as outside dev): the edge's resources must still be there.
        run = await build(stackConfig("demo", { aws: { region: "eu-west-1" }, features: { cdn: true } }));
        const providers = run.ofType(T.provider);
        expect(providers.map((p) => p.name).sort()).to.deep.equal(["demo-aws", "demo-aws-edge"]);
        edge = providers.find((p) => p.name === "demo-aws-edge")!;
        primary = providers.find((p) => p.name === "demo-aws")!;
    });

    it("puts every resource of the CDN on a second provider in us-east-1, with the primary's tags", () => {
        expect(run.plain(edge).region).to.equal("us-east-1");
        expect(run.plain(edge).defaultTags).to.deep.equal(run.plain(primary).defaultTags);
        expect(run.plain(primary).region).to.equal("eu-west-1");
        const custom = inside(run, run.one(T.cdn)).filter((r) => !r.type.startsWith("webapp:"));
        expect(custom.map((r) => r.type).sort()).to.deep.equal(
            [
                T.certificate,
                T.validation,
                T.key,
                "aws:kms/alias:Alias",
                T.acl,
                T.logGroup,
                "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
                T.distribution,
                T.source,
                T.destination,
                T.delivery,
            ].sort(),
        );
        for (const r of custom) {
            expect(onEdge(r), `${r.type} ${r.name}`).to.equal(true);
        }
        // Nothing outside the CDN component uses the edge provider.
        const outside = run.resources.filter((r) => onEdge(r) && !custom.includes(r));
        expect(outside.map((r) => r.name)).to.deep.equal([]);
    });

    it("serves HTTPS only with the us-east-1 certificate, TLS 1.2_2021, HTTP/2 and 3, IPv6", () => {
        const d = run.one(T.distribution);
        const inputs = run.plain(d);
        expect(inputs).to.include({ enabled: true, isIpv6Enabled: true, httpVersion: "http2and3" });
        expect(inputs.aliases).to.deep.equal(["demo.example.com"]);
        expect(inputs.viewerCertificate).to.deep.include({
            sslSupportMethod: "sni-only",
            minimumProtocolVersion: "TLSv1.2_2021",
        });
        const validation = referenced(run, d, "viewerCertificate", T.validation);
        const certificate = referenced(run, validation, "certificateArn", T.certificate);
        expect(run.plain(certificate)).to.include({ domainName: "demo.example.com", validationMethod: "DNS" });
        expect(inputs.viewerCertificate.acmCertificateArn).to.match(/^arn:aws:acm:us-east-1:/);
        expect(onEdge(certificate)).to.equal(true);
    });

    it("validates the certificate with the load balancer's record (the same CNAME in every region)", () => {
        const validation = run.one(T.validation, "demo-cdn-certificate-validation");
        const records = (validation.propertyDependencies.validationRecordFqdns ?? []).map((u) => run.byUrn(u));
        expect(records.map((r) => r.name)).to.deep.equal(["demo-compute-certificate-validation-record"]);
        expect(run.ofType(T.record).filter((r) => /cdn/.test(r.name))).to.have.length(0);
    });

    it("never caches the API: the managed CachingDisabled and AllViewer policies, compression, HTTPS only", () => {
        const behaviour = run.plain(run.one(T.distribution)).defaultCacheBehavior;
        expect(behaviour).to.include({
            cachePolicyId: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
            originRequestPolicyId: "216adef6-5c7f-47e4-b989-5492eafa07d3",
            viewerProtocolPolicy: "https-only",
            compress: true,
            targetOriginId: "alb",
        });
        expect(behaviour.allowedMethods).to.have.length(7);
        expect(run.plain(run.one(T.distribution)).orderedCacheBehaviors ?? []).to.deep.equal([]);
    });

    it("reaches the load balancer over HTTPS (TLS 1.2) with the origin header", () => {
        const d = run.one(T.distribution);
        const origins = run.plain(d).origins as any[];
        expect(origins).to.have.length(1);
        expect(origins[0].customOriginConfig).to.deep.include({
            originProtocolPolicy: "https-only",
            httpsPort: 443,
            originSslProtocols: ["TLSv1.2"],
        });
        expect(origins[0].domainName).to.match(/\.eu-west-1\.elb\.amazonaws\.com$/);
        expect(origins[0].customHeaders).to.deep.equal([{ name: "X-Origin-Verify", value: originValue() }]);
        expect(d.propertyDependencies.origins.map((u) => run.byUrn(u).type)).to.include(
            "aws:lb/loadBalancer:LoadBalancer",
        );
    });

    it("has a CLOUDFRONT web ACL with the managed rule groups and the per-IP rate limit, logged in us-east-1", () => {
        const acl = referenced(run, run.one(T.distribution), "webAclId", T.acl);
        const inputs = run.plain(acl);
        expect(inputs.scope).to.equal("CLOUDFRONT");
        expect((inputs.rules as any[]).map((r) => r.name)).to.deep.equal([...MANAGED_RULE_GROUPS, "rate-limit-per-ip"]);
        const group = run.one(T.logGroup, "demo-cdn-waf-logs");
        expect(run.plain(group)).to.include({ namePrefix: "aws-waf-logs-webapp-demo-cdn-", retentionInDays: 365 });
        const key = referenced(run, group, "kmsKeyId", T.key);
        expect(onEdge(key)).to.equal(true);
        const logs = statements(json(run, key, "policy")).filter((s) => s.Principal?.Service?.startsWith?.("logs."));
        expect(logs.map((s) => s.Principal.Service)).to.deep.equal(["logs.us-east-1.amazonaws.com"]);
    });

    it("replaces the regional web ACL on the load balancer (which sees only CloudFront's addresses)", () => {
        expect(run.ofType(T.acl)).to.have.length(1);
        expect(run.ofType(T.association)).to.have.length(0);
        expect(run.ofType("webapp:aws:Waf").map((r) => r.name)).to.deep.equal(["demo-cdn-waf"]);
    });

    it("delivers access logs to the log bucket under cdn/, which admits this account's delivery sources", () => {
        const source = run.plain(run.one(T.source));
        expect(source).to.include({ logType: "ACCESS_LOGS" });
        expect(source.resourceArn).to.match(/^arn:aws:cloudfront::123456789012:distribution\/E/);
        const destination = run.one(T.destination);
        expect(run.plain(destination).deliveryDestinationConfiguration.destinationResourceArn).to.match(
            /^arn:aws:s3:::demo-storage-access-logs-bucket-[0-9a-f]+\/cdn$/,
        );
        const delivery = run.one(T.delivery);
        const policy = run.one(T.bucketPolicy, "demo-storage-access-logs-policy");
        expect(delivery.dependencies).to.include(policy.urn);
        const write = statements(json(run, policy, "policy")).find((s) => s.Sid === "CdnAccessLogsFromThisAccount")!;
        expect(write.Principal).to.deep.equal({ Service: "delivery.logs.amazonaws.com" });
        expect(write.Resource[0]).to.match(/\/cdn\/\*$/);
        expect(write.Condition).to.deep.equal({
            StringEquals: { "aws:SourceAccount": ACCOUNT },
            ArnLike: { "aws:SourceArn": `arn:aws:logs:us-east-1:${ACCOUNT}:delivery-source:*` },
        });
    });

    it("admits only CloudFront's origin-facing prefix list, on 443, and no HTTP listener", () => {
        const sg = run.one("aws:ec2/securityGroup:SecurityGroup", "demo-compute-alb-sg");
        const rules = run.ofType(T.ingress).filter((r) => r.propertyDependencies.securityGroupId?.includes(sg.urn));
        expect(rules).to.have.length(1);
        expect(run.plain(rules[0])).to.include({
            prefixListId: "pl-3b927c52",
            fromPort: 443,
            toPort: 443,
            ipProtocol: "tcp",
        });
        expect(run.plain(rules[0]).cidrIpv4).to.equal(undefined);
        const lookup = run.invokes.filter((i) => i.token === "aws:ec2/getManagedPrefixList:getManagedPrefixList");
        expect(lookup.map((i) => (i.inputs as any).name)).to.deep.equal([CLOUDFRONT_ORIGIN_PREFIX_LIST]);
        expect(run.ofType(T.listener).map((l) => run.plain(l).port)).to.deep.equal([443]);
    });

    it("answers 403 to a request without the origin header; only the header rule forwards", () => {
        const listener = run.one(T.listener);
        expect(run.plain(listener).defaultActions).to.deep.equal([
            {
                type: "fixed-response",
                fixedResponse: { contentType: "text/plain", messageBody: "Forbidden", statusCode: "403" },
            },
        ]);
        const rule = run.one(T.listenerRule);
        expect(rule.propertyDependencies.listenerArn).to.deep.equal([listener.urn]);
        const inputs = run.plain(rule);
        expect(inputs.priority).to.equal(1);
        expect(inputs.conditions).to.deep.equal([
            { httpHeader: { httpHeaderName: ORIGIN_HEADER_NAME, values: [originValue()] } },
        ]);
        expect(inputs.actions).to.have.length(1);
        expect(inputs.actions[0].type).to.equal("forward");
        expect(referenced(run, rule, "actions", "aws:lb/targetGroup:TargetGroup").name).to.equal("demo-compute-tg");
    });

    it("keeps the origin header value only in its secret, the distribution and the listener rule, always secret", () => {
        const value = originValue();
        const hits = run.locate(value);
        expect(hits.map((h) => h.type).sort()).to.deep.equal([T.distribution, T.listenerRule, T.secretVersion].sort());
        for (const hit of hits) {
            expect(hit.inSecret, `${hit.where}.${hit.path}`).to.equal(true);
        }
        expect(JSON.stringify(run.outputs)).not.to.contain(value);
        const version = run.one(T.secretVersion, "-cdn-origin-header");
        expect(isSecretValue(version.inputs.secretString)).to.equal(true);
        const store = referenced(run, version, "secretId", T.secret);
        const key = referenced(run, store, "kmsKeyId", T.key);
        expect(key.name).to.equal("demo-kms-secrets");
        expect(run.plain(run.one(T.password, "-cdn-origin-value"))).to.deep.include({
            length: 48,
            special: false,
            keepers: { generation: "1" },
        });
    });

    it("generates a new origin value when aws.cdn.originSecretGeneration changes", async () => {
        const rotated = await build(
            stackConfig("demo", {
                aws: { region: "eu-west-1", cdn: { originSecretGeneration: 2 } },
                features: { cdn: true },
            }),
        );
        expect(rotated.plain(rotated.one(T.password, "-cdn-origin-value")).keepers).to.deep.equal({ generation: "2" });
    });

    it("points the apex (A and AAAA, the same records as without it) at the distribution, and exports it", () => {
        const apex = run.ofType(T.record).filter((r) => /^demo-dns-alb-/.test(r.name));
        expect(apex.map((r) => r.name).sort()).to.deep.equal(["demo-dns-alb-a", "demo-dns-alb-aaaa"]);
        for (const record of apex) {
            expect(run.plain(record).aliases[0]).to.deep.include({
                zoneId: "Z2FDTNDATAQYW2",
                evaluateTargetHealth: true,
            });
            expect(run.plain(record).aliases[0].name).to.match(/\.cloudfront\.net$/);
        }
        const cdn = (run.outputs as any).aws.cdn;
        expect(Object.keys(cdn).sort()).to.deep.equal(["distributionId", "domainName"]);
    });
});

describe("features.cdn off", () => {
    it("leaves dev and demo without a distribution, edge provider, origin header or prefix-list rule", async () => {
        for (const stack of ["dev", "demo"]) {
            const run = await buildStack(stack);
            expect(run.ofType(T.distribution), stack).to.have.length(0);
            expect(run.ofType(T.listenerRule), stack).to.have.length(0);
            expect(
                run.ofType(T.provider).map((p) => p.name),
                stack,
            ).to.deep.equal([`${stack}-aws`]);
            const open = run.ofType(T.ingress).filter((r) => /-compute-alb-in-/.test(r.name));
            expect(
                open.map((r) => run.plain(r).cidrIpv4),
                stack,
            ).to.deep.equal(["0.0.0.0/0", "0.0.0.0/0"]);
        }
    });
});

describe("features.cdn on GCP", () => {
    it("turns on Cloud CDN on the backend service, caching only what the origin marks cacheable", async () => {
        const run = await build(stackConfig("demo", { features: { cdn: true } }));
        const backends = run.ofType("gcp:compute/backendService:BackendService");
        expect(backends).to.have.length(1);
        const inputs = run.plain(backends[0]);
        expect(inputs.enableCdn).to.equal(true);
        expect(inputs.cdnPolicy).to.deep.equal({
            cacheMode: "USE_ORIGIN_HEADERS",
            negativeCaching: false,
            serveWhileStale: 0,
            cacheKeyPolicy: { includeHost: true, includeProtocol: true, includeQueryString: true },
        });
        expect(inputs.cdnPolicy).not.to.have.property("signedUrlCacheMaxAgeSec");
        expect(run.ofType("gcp:compute/backendBucketSignedUrlKey:BackendBucketSignedUrlKey")).to.have.length(0);
        expect(run.ofType("gcp:compute/backendServiceSignedUrlKey:BackendServiceSignedUrlKey")).to.have.length(0);
    });

    it("is off on GCP unless the stack turns it on", async () => {
        const run = await buildStack("demo");
        const inputs = run.plain(run.one("gcp:compute/backendService:BackendService"));
        expect(inputs.enableCdn).to.equal(undefined);
        expect(inputs.cdnPolicy).to.equal(undefined);
    });
});
