/**
 * The identity proof (`npm run engine:identity`): a base revision deployed through the real engine,
 * then changed copies of it previewed against that state. Each change below has a known effect on
 * the engine's plan: none, a replacement forced by a provider rule, new identities for every resource,
 * and (through the command, with its own base) an update of one property.
 */
import { expect } from "chai";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import {
    copyCheckout,
    deployBase,
    extractRevision,
    identityCommand,
    previewHead,
    provideDependencies,
    type StackIdentity,
} from "../../tools/engine/identity";
import { createEngineSession, REPO_ROOT, type EngineSession } from "../../tools/engine/session";
import { OPERATION_LIMIT_MS } from "./support";

const STACK = "dev";

/** Sets a key of a copy's stack file (`["webapp-infra:aws", "asg", "max"]`). */
function setStackValue(dir: string, keyPath: readonly string[], value: unknown): void {
    const file = path.join(dir, `Pulumi.${STACK}.yaml`);
    const doc = parseDocument(readFileSync(file, "utf8"));
    doc.setIn(["config", ...keyPath], value);
    writeFileSync(file, doc.toString());
}

describe("engine:identity: a base revision deployed, changed copies previewed against it", function () {
    this.timeout(2 * OPERATION_LIMIT_MS);
    let session: EngineSession;
    let baseDir: string;
    let baseResources: number;
    let count = 0;

    before(async function () {
        this.timeout(4 * OPERATION_LIMIT_MS);
        session = createEngineSession();
        baseDir = path.join(session.dir, "base");
        extractRevision("HEAD", baseDir);
        provideDependencies(baseDir, REPO_ROOT);
        baseResources = await deployBase(session, baseDir, STACK);
    });

    after(() => session?.dispose());

    /** A copy of the base with `edit` applied, previewed against the deployed stack. */
    async function previewChanged(edit: (dir: string) => void, mailgunKey?: string): Promise<StackIdentity> {
        count += 1;
        const headDir = path.join(session.dir, `head-${count}`);
        copyCheckout(baseDir, headDir);
        provideDependencies(headDir, REPO_ROOT);
        edit(headDir);
        return previewHead(session, { baseDir, headDir, stack: STACK, baseResources, mailgunKey });
    }

    it("the same revision changes nothing", async () => {
        const identity = await previewChanged(() => {});
        expect(baseResources).to.be.greaterThan(50);
        expect(identity.counts).to.deep.equal({ same: baseResources });
        expect(identity.unmet).to.deep.equal([]);
    });

    it("a new Mailgun key replaces its secret version (the provider's rule), and only that", async () => {
        const identity = await previewChanged(() => {}, "key-engine-rotated-0123456789abcdef0123");
        expect(identity.changed.map((s) => [s.op, s.type, s.replaceKeys])).to.deep.equal([
            ["replace", "aws:secretsmanager/secretVersion:SecretVersion", ["secretString"]],
        ]);
        expect(identity.unmet).to.deep.equal(["replace: 1 (expected 0)"]);
    });

    it("new logical names without aliases are new resources: every one is created and the old one deleted", async () => {
        // Another profile's name renames everything (names start with the environment); staging's
        // profile also adds resources (isolated subnets, network ACLs, WAF), so more are created.
        const identity = await previewChanged((dir) => setStackValue(dir, ["webapp-infra:environment"], "staging"));
        // Only the stack and the default provider (random's) keep their identity.
        expect(Object.keys(identity.counts).sort()).to.deep.equal(["create", "delete", "same"]);
        expect(identity.counts.same).to.equal(2);
        expect(identity.counts.delete).to.equal(baseResources - 2);
        expect(identity.counts.create).to.be.greaterThan(baseResources - 2);
    });

    it("the command deploys the base, previews the copy and reports an update with its property", async function () {
        this.timeout(4 * OPERATION_LIMIT_MS);
        const headDir = path.join(session.dir, "command-head");
        copyCheckout(baseDir, headDir);
        setStackValue(headDir, ["webapp-infra:aws", "asg", "max"], 3);
        const out: string[] = [];
        const err: string[] = [];
        const code = await identityCommand(["--base", "HEAD", "--stack", STACK, "--expect", "update=1"], {
            headDir,
            print: (line) => out.push(line),
            fail: (line) => err.push(line),
        });
        expect(code, err.join("\n")).to.equal(0);
        expect(out).to.have.length(3);
        expect(out[0]).to.match(
            new RegExp(
                `^dev: HEAD \\([0-9a-f]{7}\\) deployed ${baseResources} resources; ` +
                    `the working tree would: same ${baseResources - 1}, create 0, update 1, replace 0, delete 0$`,
            ),
        );
        expect(out.slice(1)).to.deep.equal([
            "  update aws:autoscaling/group:Group dev-compute-asg: maxSize",
            "  dev: as expected",
        ]);
    });
});
