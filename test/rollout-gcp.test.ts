/**
 * The GCP followers for real (google-auth-library's client, the REST calls, paging, retries)
 * against a loopback stand-in of the Compute Engine and Cloud Run Admin APIs that answers as
 * Google documents (test/fakes/gcp-rollout.ts).
 */
import { expect } from "chai";
import { follow, type Clock } from "../automation/rollout/follow";
import { CloudRunFollower, GoogleApi, MigFollower, resourcePath, sameImage } from "../automation/rollout/gcp";
import {
    DEMO_GCP,
    fakeAuthClient,
    GoogleRolloutFake,
    instanceGroupManager,
    instanceTemplate,
    managedInstance,
    runRevision,
    runService,
    type GoogleState,
} from "./fakes/gcp-rollout";
import { fakeClock, followSeen } from "./rollout-support";

const {
    project: PROJECT,
    region: REGION,
    group: GROUP,
    newTemplate: NEW_TEMPLATE,
    oldTemplate: OLD_TEMPLATE,
} = DEMO_GCP;
const NEW_IMAGE = `projects/${PROJECT}/global/images/webapp-20260105`;
const OLD_IMAGE = `projects/${PROJECT}/global/images/webapp-20251201`;
const SERVICE = "webapp-api";
const NEW_URI = "us-east1-docker.pkg.dev/example-webapp-demo/webapp/api:1.1.0";
const OLD_URI = "us-east1-docker.pkg.dev/example-webapp-demo/webapp/api:1.0.0";

describe("rollout followers on GCP (loopback Compute Engine and Cloud Run APIs)", () => {
    const group = (template: string, options: Parameters<typeof instanceGroupManager>[4]) =>
        instanceGroupManager(PROJECT, REGION, GROUP, template, options);
    const instance = (name: string, template: string, options?: Parameters<typeof managedInstance>[4]) =>
        managedInstance(PROJECT, "us-east1-b", name, template, options);
    /** What the fake serves at one look: the group on a template, and its instances. */
    const at = (
        template: string,
        options: Parameters<typeof instanceGroupManager>[4],
        instances?: ReturnType<typeof managedInstance>[],
    ): GoogleState => ({
        groups: { [GROUP]: group(template, options) },
        ...(instances === undefined ? {} : { instances: { [GROUP]: instances } }),
    });

    let fake: GoogleRolloutFake | undefined;
    afterEach(async () => {
        await fake?.close();
        fake = undefined;
    });

    async function start(states: GoogleState[], extra: { revisions?: Record<string, unknown> } = {}) {
        fake = await GoogleRolloutFake.start({
            project: PROJECT,
            region: REGION,
            templates: { [NEW_TEMPLATE]: instanceTemplate(NEW_IMAGE), [OLD_TEMPLATE]: instanceTemplate(OLD_IMAGE) },
            revisions: extra.revisions,
            states,
        });
        return fake;
    }

    const google = (clock: Clock, token?: string) =>
        new GoogleApi({
            auth: fakeAuthClient(token),
            computeEndpoint: fake!.computeEndpoint,
            runEndpoint: fake!.runEndpoint,
            clock,
        });
    const migFollower = (clock: Clock, token?: string) =>
        new MigFollower(
            { shape: "mig", project: PROJECT, region: REGION, instanceGroupManagerName: GROUP },
            { expectedImage: { name: "webapp-20260105", project: PROJECT }, google: google(clock, token) },
        );

    describe("managed instance group", () => {
        /** Two instances wanted, one of them being created on the new template. */
        const CREATING_ONE = { targetSize: 2, stable: false, reached: false, actions: { none: 1, creating: 1 } };
        it("follows the update until the group is stable with every instance on the new template", async () => {
            await start([
                at(NEW_TEMPLATE, CREATING_ONE, [
                    instance("webapp-a", OLD_TEMPLATE),
                    instance("webapp-b", NEW_TEMPLATE, { action: "CREATING", status: "PROVISIONING" }),
                ]),
                at(
                    NEW_TEMPLATE,
                    {
                        targetSize: 2,
                        stable: false,
                        reached: true,
                        actions: { none: 1, verifying: 1 },
                    },
                    [
                        instance("webapp-b", NEW_TEMPLATE),
                        instance("webapp-c", NEW_TEMPLATE, { action: "VERIFYING", health: "UNKNOWN" }),
                    ],
                ),
                at(NEW_TEMPLATE, { targetSize: 2, stable: true, reached: true }, [
                    instance("webapp-b", NEW_TEMPLATE),
                    instance("webapp-c", NEW_TEMPLATE),
                ]),
            ]);
            const clock = fakeClock();
            const { result, seen } = await followSeen([migFollower(clock)], clock);
            expect(result.outcome).to.equal("succeeded");
            expect(seen.map((o) => [o.state, o.summary, o.percent])).to.deep.equal([
                ["in-progress", `0/2 instances running template ${NEW_TEMPLATE} (creating 1), updating`, 0],
                ["in-progress", `1/2 instances running template ${NEW_TEMPLATE} (verifying 1), settling`, 50],
                ["succeeded", `2/2 instances running template ${NEW_TEMPLATE}`, 100],
            ]);
            // The template is read once; the group and its instances at each look.
            const base = `/compute/v1/projects/${PROJECT}`;
            expect(fake!.requests.slice(0, 3)).to.deep.equal([
                `GET ${base}/regions/${REGION}/instanceGroupManagers/${GROUP}`,
                `GET ${base}/global/instanceTemplates/${NEW_TEMPLATE}`,
                `POST ${base}/regions/${REGION}/instanceGroupManagers/${GROUP}/listManagedInstances`,
            ]);
            expect(fake!.requests.filter((r) => r.includes("instanceTemplates"))).to.have.length(1);
        });

        it("fails when instances of the new template cannot be created, saying why", async () => {
            const error = { code: "RESOURCE_NOT_FOUND", message: `The resource '${NEW_IMAGE}' was not found` };
            await start([
                at(NEW_TEMPLATE, CREATING_ONE, [
                    instance("webapp-a", OLD_TEMPLATE),
                    instance("webapp-b", NEW_TEMPLATE, { action: "CREATING", status: "PROVISIONING", error }),
                ]),
            ]);
            const clock = fakeClock();
            const result = await follow([migFollower(clock)], { timeoutMs: 30 * 60_000, clock });
            expect(result.outcome).to.equal("failed");
            expect(result.results[0].last).to.deep.equal({
                state: "failed",
                summary: `instances of template ${NEW_TEMPLATE} fail to start: RESOURCE_NOT_FOUND ${error.message}`,
                reason: error.message,
                platformRollback: { outcome: "none", detail: "a managed instance group does not roll back by itself" },
            });
        });

        it("fails when the group's template does not boot the new image", async () => {
            await start([at(OLD_TEMPLATE, { targetSize: 2, stable: true, reached: true })]);
            const observation = await migFollower(fakeClock()).observe();
            expect(observation.state).to.equal("failed");
            expect(observation.summary).to.equal(
                `template ${OLD_TEMPLATE} boots ${OLD_IMAGE}, not projects/${PROJECT}/global/images/webapp-20260105`,
            );
        });

        it("times out while instances stay unhealthy", async () => {
            await start([
                at(
                    NEW_TEMPLATE,
                    {
                        targetSize: 2,
                        stable: false,
                        reached: true,
                        actions: { none: 0, recreating: 2 },
                    },
                    [
                        instance("webapp-b", NEW_TEMPLATE, { health: "UNHEALTHY" }),
                        instance("webapp-c", NEW_TEMPLATE, { action: "RECREATING" }),
                    ],
                ),
            ]);
            const clock = fakeClock();
            const result = await follow([migFollower(clock)], { timeoutMs: 60_000, clock });
            expect(result.outcome).to.equal("timeout");
            expect(result.results[0].last?.summary).to.equal(
                `0/2 instances running template ${NEW_TEMPLATE} (recreating 2), settling`,
            );
            expect(fake!.looks).to.equal(5);
        });

        it("retries 429 answers with back-off, then on the next look", async () => {
            await start([
                at(NEW_TEMPLATE, { targetSize: 1, stable: true, reached: true }, [instance("webapp-b", NEW_TEMPLATE)]),
            ]);
            fake!.throttle(5);
            const clock = fakeClock();
            const retries: string[] = [];
            const result = await follow([migFollower(clock)], {
                timeoutMs: 30 * 60_000,
                clock,
                onRetry: (_, error) => retries.push((error as Error).message),
            });
            expect(result.outcome).to.equal("succeeded");
            expect(retries).to.deep.equal([
                `${fake!.computeEndpoint}projects/${PROJECT}/regions/${REGION}/instanceGroupManagers/${GROUP}: 429 Quota exceeded for quota metric 'Read requests'.`,
            ]);
            // Four attempts (1, 2, 4 s apart), the next look 15 s later, one more 429, then answers.
            expect(clock.slept).to.deep.equal([1000, 2000, 4000, 15_000, 1000]);
        });

        it("ends with an error when the API refuses the credentials", async () => {
            await start([at(NEW_TEMPLATE, { targetSize: 1, stable: true, reached: true })]);
            const clock = fakeClock();
            const result = await follow([migFollower(clock, "ya29.wrong")], { timeoutMs: 60_000, clock });
            expect(result.outcome).to.equal("error");
            expect(result.results[0].error).to.match(/: 401 Request is missing required authentication credential\.$/);
            expect(clock.slept).to.deep.equal([]);
        });
    });

    describe("Cloud Run service", () => {
        const full = `projects/${PROJECT}/locations/${REGION}/services/${SERVICE}`;
        const service = (options: Parameters<typeof runService>[3]) => runService(PROJECT, REGION, SERVICE, options);
        const revision = (name: string, image: string, ready: Parameters<typeof runRevision>[5], message?: string) =>
            runRevision(PROJECT, REGION, SERVICE, name, image, ready, message);
        const runFollower = (clock: Clock) =>
            new CloudRunFollower(
                { shape: "cloudRun", project: PROJECT, region: REGION, serviceName: SERVICE },
                { expectedImage: NEW_URI, google: google(clock) },
            );
        const rolling = service({
            generation: 3,
            observedGeneration: 3,
            reconciling: true,
            created: "webapp-api-00003-xyz",
            ready: "webapp-api-00002-abc",
            terminal: "CONDITION_RECONCILING",
            traffic: [{ latest: true, percent: 100 }],
            image: NEW_URI,
        });

        it("follows a new revision until it is ready and takes all traffic", async () => {
            await start(
                [
                    { services: { [SERVICE]: rolling } },
                    {
                        services: {
                            [SERVICE]: service({
                                generation: 3,
                                observedGeneration: 3,
                                reconciling: false,
                                created: "webapp-api-00003-xyz",
                                ready: "webapp-api-00003-xyz",
                                terminal: "CONDITION_SUCCEEDED",
                                traffic: [{ latest: true, percent: 100 }],
                                image: NEW_URI,
                            }),
                        },
                    },
                ],
                {
                    revisions: {
                        "webapp-api-00003-xyz": revision("webapp-api-00003-xyz", NEW_URI, "CONDITION_PENDING"),
                    },
                },
            );
            const clock = fakeClock();
            const { result, seen } = await followSeen([runFollower(clock)], clock);
            expect(result.outcome).to.equal("succeeded");
            expect(seen.map((o) => o.summary)).to.deep.equal([
                "revision webapp-api-00003-xyz starting (CONDITION_PENDING)",
                "revision webapp-api-00003-xyz ready, 100 % of traffic",
            ]);
            expect(fake!.requests).to.deep.equal([
                `GET /v2/${full}`,
                `GET /v2/${full}/revisions/webapp-api-00003-xyz`,
                `GET /v2/${full}`,
                `GET /v2/${full}/revisions/webapp-api-00003-xyz`,
            ]);
        });

        it("reports a revision that failed while Cloud Run kept the traffic on the previous one", async () => {
            const message =
                "The user-provided container failed to start and listen on the port defined provided by the PORT=8080 environment variable.";
            await start(
                [
                    {
                        services: {
                            [SERVICE]: service({
                                generation: 3,
                                observedGeneration: 3,
                                reconciling: false,
                                created: "webapp-api-00003-xyz",
                                ready: "webapp-api-00002-abc",
                                terminal: "CONDITION_FAILED",
                                message,
                                traffic: [{ latest: true, percent: 100 }],
                                image: NEW_URI,
                            }),
                        },
                    },
                ],
                {
                    revisions: {
                        "webapp-api-00003-xyz": revision("webapp-api-00003-xyz", NEW_URI, "CONDITION_FAILED", message),
                    },
                },
            );
            const clock = fakeClock();
            const result = await follow([runFollower(clock)], { timeoutMs: 30 * 60_000, clock });
            expect(result.outcome).to.equal("failed");
            expect(result.results[0].last).to.deep.equal({
                state: "failed",
                summary: `revision webapp-api-00003-xyz failed: ${message}`,
                reason: message,
                platformRollback: {
                    outcome: "rolled-back",
                    detail: "Cloud Run kept the traffic on webapp-api-00002-abc",
                },
            });
        });

        it("waits while a traffic split keeps part of the traffic on an older revision", async () => {
            await start(
                [
                    {
                        services: {
                            [SERVICE]: service({
                                generation: 4,
                                observedGeneration: 4,
                                reconciling: false,
                                created: "webapp-api-00003-xyz",
                                ready: "webapp-api-00003-xyz",
                                terminal: "CONDITION_SUCCEEDED",
                                traffic: [
                                    { revision: "webapp-api-00003-xyz", percent: 50 },
                                    { revision: "webapp-api-00002-abc", percent: 50 },
                                ],
                                image: NEW_URI,
                            }),
                        },
                    },
                ],
                {
                    revisions: {
                        "webapp-api-00003-xyz": revision("webapp-api-00003-xyz", NEW_URI, "CONDITION_SUCCEEDED"),
                    },
                },
            );
            expect(await runFollower(fakeClock()).observe()).to.deep.equal({
                state: "in-progress",
                summary: "revision webapp-api-00003-xyz ready, 50 % of traffic",
                percent: 50,
            });
        });

        it("fails when the ready revision runs another image", async () => {
            await start(
                [
                    {
                        services: {
                            [SERVICE]: service({
                                generation: 2,
                                observedGeneration: 2,
                                reconciling: false,
                                created: "webapp-api-00002-abc",
                                ready: "webapp-api-00002-abc",
                                terminal: "CONDITION_SUCCEEDED",
                                traffic: [{ latest: true, percent: 100 }],
                                image: OLD_URI,
                            }),
                        },
                    },
                ],
                {
                    revisions: {
                        "webapp-api-00002-abc": revision("webapp-api-00002-abc", OLD_URI, "CONDITION_SUCCEEDED"),
                    },
                },
            );
            const observation = await runFollower(fakeClock()).observe();
            expect(observation.state).to.equal("failed");
            expect(observation.summary).to.equal(`ready revision webapp-api-00002-abc runs ${OLD_URI}, not ${NEW_URI}`);
        });

        it("times out on a service that keeps reconciling, and retries throttled reads", async () => {
            await start([{ services: { [SERVICE]: rolling } }], {
                revisions: {
                    "webapp-api-00003-xyz": revision("webapp-api-00003-xyz", NEW_URI, "CONDITION_RECONCILING"),
                },
            });
            fake!.throttle(1);
            const clock = fakeClock();
            const result = await follow([runFollower(clock)], { timeoutMs: 45_000, clock });
            expect(result.outcome).to.equal("timeout");
            expect(result.results[0].last?.summary).to.equal(
                "revision webapp-api-00003-xyz starting (CONDITION_RECONCILING)",
            );
            // One 429 retried after 1 s inside the first look.
            expect(clock.slept[0]).to.equal(1000);
        });
    });

    it("compares template paths and source images as the API writes them", () => {
        expect(
            resourcePath(`https://www.googleapis.com/compute/v1/projects/p1/global/instanceTemplates/t?uniqueId=123`),
        ).to.equal("projects/p1/global/instanceTemplates/t");
        const url = "https://www.googleapis.com/compute/v1/projects/p1/global/images/webapp-1";
        expect(sameImage(url, { name: "webapp-1" })).to.equal(true);
        expect(sameImage(url, { name: "webapp-1", project: "p1" })).to.equal(true);
        expect(sameImage(url, { name: "webapp-1", project: "p2" })).to.equal(false);
        expect(sameImage(url, { name: "webapp-2" })).to.equal(false);
        expect(sameImage(`${url.replace("images/", "images/family/")}`, { family: "webapp-1" })).to.equal(true);
    });
});
