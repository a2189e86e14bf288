/**
 * Bundles the e-mail verification function with esbuild: one self-contained `index.js` per cloud
 * (its dependencies, the AWS SDK client included, inside), under `dist/functions/`, and the
 * archives the program deploys.
 *
 * The program always has a fresh bundle before it registers the function: deploying whatever
 * `dist/` holds would risk a stale bundle, and a "newer than its sources" check is not safe either,
 * because npm unpacks packages with a fixed old timestamp, so an upgraded dependency would look
 * older than the bundle. So each build records the SHA-256 of every file esbuild read and wrote
 * (`node_modules/.cache/webapp-infra/bundles/`); the next process reuses the bundle only when all
 * of them still match, and builds again otherwise. The output is deterministic, so an unchanged
 * handler keeps the same archive and the function is not updated for nothing.
 *
 * `npm run build` runs this file too (`dist/` is git-ignored), so the tree can be inspected or
 * deployed by hand: `dist/functions/email-verification/<cloud>/`.
 */
import * as pulumi from "@pulumi/pulumi";
import { buildSync, version as esbuildVersion, type BuildOptions, type Metafile } from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";

export type FunctionCloud = "aws" | "gcp";
export const FUNCTION_CLOUDS: readonly FunctionCloud[] = ["aws", "gcp"];

/** The project root (this file lives in `functions/`). */
const ROOT = path.resolve(__dirname, "..");

/** Where bundles go: `dist/functions/email-verification/<cloud>/`. */
export const EMAIL_FUNCTION_DIST = path.join(ROOT, "dist", "functions", "email-verification");

/** The adapter source of each cloud. */
const ENTRY: Record<FunctionCloud, string> = {
    aws: path.join(ROOT, "functions", "email-verification", "aws.ts"),
    gcp: path.join(ROOT, "functions", "email-verification", "gcp.ts"),
};

/** The entry point each platform is configured with. */
export const EMAIL_FUNCTION_ENTRY_POINT: Record<FunctionCloud, string> = {
    /** Lambda `handler`: file `index.js`, export `handler`. */
    aws: "index.handler",
    /** Cloud Functions `entryPoint`: export `verifyEmail` of the package's main file. */
    gcp: "verifyEmail",
};

/** The Node.js runtime both bundles target. */
export const NODE_TARGET = "node22";

/**
 * The `package.json` a Cloud Functions source needs: `main` names the bundle; no dependencies
 * (everything is bundled), so the build installs nothing but the Functions Framework it adds.
 */
export const GCP_PACKAGE_JSON = {
    name: "email-verification",
    version: "1.0.0",
    private: true,
    main: "index.js",
    engines: { node: "22" },
};

export interface FunctionBundle {
    readonly cloud: FunctionCloud;
    /** The folder holding the deployable files. */
    readonly directory: string;
    /** Archive entry name -> absolute path, e.g. `index.js` -> `/.../dist/.../aws/index.js`. */
    readonly files: Readonly<Record<string, string>>;
    /** Lambda handler or Cloud Functions entry point. */
    readonly entryPoint: string;
    /** Every source file esbuild read (project files and packages), absolute paths. */
    readonly inputs: readonly string[];
}

export interface BundleOptions {
    /** Output folder. Default `dist/functions/email-verification/<cloud>`. */
    readonly outDir?: string;
}

/** The esbuild options of a cloud's bundle (the output file aside). */
function buildOptions(cloud: FunctionCloud): BuildOptions {
    return {
        entryPoints: [ENTRY[cloud]],
        bundle: true,
        platform: "node",
        target: NODE_TARGET,
        format: "cjs",
        // ESM builds of the AWS SDK tree-shake better than its CommonJS ones.
        mainFields: ["module", "main"],
        sourcemap: false,
        minify: false,
        legalComments: "none",
        metafile: true,
        logLevel: "silent",
        absWorkingDir: ROOT,
    };
}

/** Bundles one cloud's adapter now (synchronously), replacing the folder's previous content. */
export function bundleEmailFunction(cloud: FunctionCloud, options: BundleOptions = {}): FunctionBundle {
    const directory = options.outDir ?? path.join(EMAIL_FUNCTION_DIST, cloud);
    rmSync(directory, { recursive: true, force: true });
    mkdirSync(directory, { recursive: true });
    const outfile = path.join(directory, "index.js");
    const result = buildSync({ ...buildOptions(cloud), outfile });
    const files: Record<string, string> = { "index.js": outfile };
    if (cloud === "gcp") {
        const manifest = path.join(directory, "package.json");
        writeFileSync(manifest, `${JSON.stringify(GCP_PACKAGE_JSON, null, 2)}\n`);
        files["package.json"] = manifest;
    }
    return {
        cloud,
        directory,
        files,
        entryPoint: EMAIL_FUNCTION_ENTRY_POINT[cloud],
        inputs: inputsOf(result.metafile),
    };
}

function inputsOf(metafile: Metafile | undefined): string[] {
    return Object.keys(metafile?.inputs ?? {}).map((input) => path.resolve(ROOT, input));
}

/** Size and modification time of every input and output: equal fingerprints mean nothing changed. */
function fingerprint(bundle: FunctionBundle): string {
    return [...bundle.inputs, ...Object.values(bundle.files)]
        .map((file) => {
            try {
                const stat = statSync(file);
                return `${file}:${stat.size}:${stat.mtimeMs}`;
            } catch {
                return `${file}:missing`;
            }
        })
        .join("\n");
}

const built = new Map<FunctionCloud, { bundle: FunctionBundle; fingerprint: string }>();

/** Where the content hashes of the last build of each cloud's bundle are kept between processes. */
export const BUNDLE_CACHE = path.join(ROOT, "node_modules", ".cache", "webapp-infra", "bundles");

/** What a build read and wrote, by content: equal hashes mean an equal bundle. */
interface BuildRecord {
    /** esbuild's version and the build options: another esbuild or other options build anew. */
    readonly build: string;
    readonly inputs: Record<string, string>;
    readonly outputs: Record<string, string>;
}

function sha256(file: string): string | undefined {
    try {
        return createHash("sha256").update(readFileSync(file)).digest("hex");
    } catch {
        return undefined;
    }
}

const buildKey = (cloud: FunctionCloud) =>
    `${esbuildVersion} ${JSON.stringify({ ...buildOptions(cloud), package: cloud === "gcp" ? GCP_PACKAGE_JSON : null })}`;

/**
 * The bundle of an earlier process, when every file it was built from and every file it wrote
 * still has the same content (compared by SHA-256, not by timestamp).
 */
function cachedBundle(cloud: FunctionCloud): FunctionBundle | undefined {
    let record: BuildRecord;
    try {
        record = JSON.parse(readFileSync(path.join(BUNDLE_CACHE, `${cloud}.json`), "utf8")) as BuildRecord;
    } catch {
        return undefined;
    }
    const directory = path.join(EMAIL_FUNCTION_DIST, cloud);
    const unchanged = (hashes: Record<string, string>, resolve: (name: string) => string) =>
        Object.entries(hashes).every(([name, hash]) => sha256(resolve(name)) === hash);
    if (
        record.build !== buildKey(cloud) ||
        Object.keys(record.inputs).length === 0 ||
        !unchanged(record.inputs, (input) => path.resolve(ROOT, input)) ||
        !unchanged(record.outputs, (name) => path.join(directory, name))
    ) {
        return undefined;
    }
    return {
        cloud,
        directory,
        files: Object.fromEntries(Object.keys(record.outputs).map((name) => [name, path.join(directory, name)])),
        entryPoint: EMAIL_FUNCTION_ENTRY_POINT[cloud],
        inputs: Object.keys(record.inputs).map((input) => path.resolve(ROOT, input)),
    };
}

function recordBuild(bundle: FunctionBundle): void {
    const hashes = (files: Array<[string, string]>) =>
        Object.fromEntries(files.map(([name, file]) => [name, sha256(file) ?? ""]));
    const record: BuildRecord = {
        build: buildKey(bundle.cloud),
        inputs: hashes(bundle.inputs.map((file) => [path.relative(ROOT, file), file])),
        outputs: hashes(Object.entries(bundle.files)),
    };
    try {
        mkdirSync(BUNDLE_CACHE, { recursive: true });
        const file = path.join(BUNDLE_CACHE, `${bundle.cloud}.json`);
        writeFileSync(`${file}.${process.pid}.tmp`, `${JSON.stringify(record)}\n`);
        renameSync(`${file}.${process.pid}.tmp`, file);
    } catch {
        // Without a writable cache the next process builds again.
    }
}

/**
 * A fresh bundle of the function for `cloud`: the one of an earlier run when none of its inputs
 * and outputs changed since (content hashes), else built now; within a process, rebuilt when any
 * input or output changed since the last call. What the program deploys always matches the sources.
 */
export function freshEmailFunctionBundle(cloud: FunctionCloud): FunctionBundle {
    const previous = built.get(cloud);
    if (previous && fingerprint(previous.bundle) === previous.fingerprint) {
        return previous.bundle;
    }
    let bundle = previous ? undefined : cachedBundle(cloud);
    if (!bundle) {
        bundle = bundleEmailFunction(cloud);
        recordBuild(bundle);
    }
    built.set(cloud, { bundle, fingerprint: fingerprint(bundle) });
    return bundle;
}

/**
 * The deployable archive of the function for `cloud`, freshly bundled: for AWS a zip with
 * `index.js` (handler `index.handler`); for GCP a zip with `index.js` and `package.json` (entry
 * point `verifyEmail`), to upload to a bucket for the function's build.
 */
export function emailFunctionArchive(cloud: FunctionCloud): pulumi.asset.AssetArchive {
    const bundle = freshEmailFunctionBundle(cloud);
    return new pulumi.asset.AssetArchive(
        Object.fromEntries(
            Object.entries(bundle.files).map(([name, file]) => [name, new pulumi.asset.FileAsset(file)]),
        ),
    );
}

// `npm run build` / `npm run bundle`: bundle every cloud and report what was written.
if (require.main === module) {
    for (const cloud of FUNCTION_CLOUDS) {
        const bundle = bundleEmailFunction(cloud);
        const sizes = Object.entries(bundle.files).map(
            ([name, file]) => `${name} ${(statSync(file).size / 1024).toFixed(0)} KiB`,
        );
        console.log(`${path.relative(ROOT, bundle.directory)}: ${sizes.join(", ")} (entry ${bundle.entryPoint})`);
    }
}
