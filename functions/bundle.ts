/**
 * Bundles the functions the program deploys with esbuild: one self-contained `index.js` per function
 * and cloud (its dependencies, the AWS SDK clients included, inside), under
 * `dist/functions/<function>/<cloud>/`, and the archives the program deploys. The functions:
 *
 * - `email-verification` (AWS and GCP): sends the verification e-mail for each registration event;
 * - `replica-promotion` (AWS): promotes the cross-region database replica when the primary fails.
 *
 * The program always has a fresh bundle before it registers a function: deploying whatever
 * `dist/` holds would risk a stale bundle, and a "newer than its sources" check is not safe either,
 * because npm unpacks packages with a fixed old timestamp, so an upgraded dependency would look
 * older than the bundle. So each build records the SHA-256 of every file esbuild read and wrote
 * (`node_modules/.cache/webapp-infra/bundles/`); the next process reuses the bundle only when all
 * of them still match, and builds again otherwise. The output is deterministic, so an unchanged
 * handler keeps the same archive and the function is not updated for nothing.
 *
 * `npm run build` runs this file too (`dist/` is git-ignored), so the tree can be inspected or
 * deployed by hand: `dist/functions/<function>/<cloud>/`.
 */
import * as pulumi from "@pulumi/pulumi";
import { buildSync, version as esbuildVersion, type BuildOptions, type Metafile } from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";

export type FunctionCloud = "aws" | "gcp";
export const FUNCTION_CLOUDS: readonly FunctionCloud[] = ["aws", "gcp"];

/** The functions in `functions/`, by folder name. */
export type FunctionName = "email-verification" | "replica-promotion";

/** The project root (this file lives in `functions/`). */
const ROOT = path.resolve(__dirname, "..");

/** Each function's adapter source (relative to `functions/<name>/`) and platform entry point, per cloud it runs on. */
const FUNCTIONS: Record<FunctionName, Partial<Record<FunctionCloud, { source: string; entryPoint: string }>>> = {
    "email-verification": {
        /** Lambda `handler`: file `index.js`, export `handler`. */
        aws: { source: "aws.ts", entryPoint: "index.handler" },
        /** Cloud Functions `entryPoint`: export `verifyEmail` of the package's main file. */
        gcp: { source: "gcp.ts", entryPoint: "verifyEmail" },
    },
    "replica-promotion": {
        aws: { source: "aws.ts", entryPoint: "index.handler" },
    },
};

/** The clouds a function has an adapter for. */
export function functionClouds(name: FunctionName): FunctionCloud[] {
    return FUNCTION_CLOUDS.filter((cloud) => FUNCTIONS[name][cloud] !== undefined);
}

function specOf(name: FunctionName, cloud: FunctionCloud): { source: string; entryPoint: string } {
    const spec = FUNCTIONS[name][cloud];
    if (spec === undefined) {
        throw new Error(`the ${name} function has no ${cloud} adapter`);
    }
    return spec;
}

/** Where a function's bundles go: `dist/functions/<name>/<cloud>/`. */
export function functionDist(name: FunctionName): string {
    return path.join(ROOT, "dist", "functions", name);
}

/** The entry point a platform is configured with for a function (Lambda handler, Cloud Functions entry point). */
export function functionEntryPoint(name: FunctionName, cloud: FunctionCloud): string {
    return specOf(name, cloud).entryPoint;
}

/** Where the e-mail function's bundles go: `dist/functions/email-verification/<cloud>/`. */
export const EMAIL_FUNCTION_DIST = functionDist("email-verification");

/** The entry point each platform is configured with for the e-mail function. */
export const EMAIL_FUNCTION_ENTRY_POINT: Record<FunctionCloud, string> = {
    aws: functionEntryPoint("email-verification", "aws"),
    gcp: functionEntryPoint("email-verification", "gcp"),
};

/** Where the promotion function's bundle goes: `dist/functions/replica-promotion/aws/`. */
export const REPLICA_PROMOTION_DIST = functionDist("replica-promotion");

/** The Lambda handler of the promotion function: file `index.js`, export `handler`. */
export const REPLICA_PROMOTION_ENTRY_POINT = functionEntryPoint("replica-promotion", "aws");

/** The Node.js runtime every bundle targets. */
export const NODE_TARGET = "node22";

/**
 * The `package.json` a Cloud Functions source needs: `main` names the bundle; no dependencies
 * (everything is bundled), so the build installs nothing but the Functions Framework it adds.
 */
export function gcpPackageJson(name: FunctionName) {
    return { name, version: "1.0.0", private: true, main: "index.js", engines: { node: "22" } };
}

/** The e-mail function's Cloud Functions `package.json`. */
export const GCP_PACKAGE_JSON = gcpPackageJson("email-verification");

export interface FunctionBundle {
    readonly name: FunctionName;
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
    /** Output folder. Default `dist/functions/<function>/<cloud>`. */
    readonly outDir?: string;
}

/** The esbuild options of a function's bundle for one cloud (the output file aside). */
function buildOptions(name: FunctionName, cloud: FunctionCloud): BuildOptions {
    return {
        entryPoints: [path.join(ROOT, "functions", name, specOf(name, cloud).source)],
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
        // A linked node_modules (the identity proof's copies link the working tree's) keeps the
        // paths the bundle's comments name, so the same sources build the same bytes.
        preserveSymlinks: true,
    };
}

/** Bundles one function's adapter for one cloud now (synchronously), replacing the folder's previous content. */
export function bundleFunction(name: FunctionName, cloud: FunctionCloud, options: BundleOptions = {}): FunctionBundle {
    const spec = specOf(name, cloud);
    const directory = options.outDir ?? path.join(functionDist(name), cloud);
    rmSync(directory, { recursive: true, force: true });
    mkdirSync(directory, { recursive: true });
    const outfile = path.join(directory, "index.js");
    const result = buildSync({ ...buildOptions(name, cloud), outfile });
    const files: Record<string, string> = { "index.js": outfile };
    if (cloud === "gcp") {
        const manifest = path.join(directory, "package.json");
        writeFileSync(manifest, `${JSON.stringify(gcpPackageJson(name), null, 2)}\n`);
        files["package.json"] = manifest;
    }
    return {
        name,
        cloud,
        directory,
        files,
        entryPoint: spec.entryPoint,
        inputs: inputsOf(result.metafile),
    };
}

/** Bundles the e-mail function's adapter for `cloud` now. */
export function bundleEmailFunction(cloud: FunctionCloud, options: BundleOptions = {}): FunctionBundle {
    return bundleFunction("email-verification", cloud, options);
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

const built = new Map<string, { bundle: FunctionBundle; fingerprint: string }>();

/** Where the content hashes of the last build of each function's bundles are kept between processes. */
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

const buildKey = (name: FunctionName, cloud: FunctionCloud) =>
    `${esbuildVersion} ${JSON.stringify({ ...buildOptions(name, cloud), package: cloud === "gcp" ? gcpPackageJson(name) : null })}`;

/** The record file of a function's bundle for one cloud. */
const recordFile = (name: FunctionName, cloud: FunctionCloud) => path.join(BUNDLE_CACHE, `${name}-${cloud}.json`);

/**
 * The bundle of an earlier process, when every file it was built from and every file it wrote
 * still has the same content (compared by SHA-256, not by timestamp).
 */
function cachedBundle(name: FunctionName, cloud: FunctionCloud): FunctionBundle | undefined {
    let record: BuildRecord;
    try {
        record = JSON.parse(readFileSync(recordFile(name, cloud), "utf8")) as BuildRecord;
    } catch {
        return undefined;
    }
    const directory = path.join(functionDist(name), cloud);
    const unchanged = (hashes: Record<string, string>, resolve: (name: string) => string) =>
        Object.entries(hashes).every(([name, hash]) => sha256(resolve(name)) === hash);
    if (
        record.build !== buildKey(name, cloud) ||
        Object.keys(record.inputs).length === 0 ||
        !unchanged(record.inputs, (input) => path.resolve(ROOT, input)) ||
        !unchanged(record.outputs, (name) => path.join(directory, name))
    ) {
        return undefined;
    }
    return {
        name,
        cloud,
        directory,
        files: Object.fromEntries(Object.keys(record.outputs).map((name) => [name, path.join(directory, name)])),
        entryPoint: functionEntryPoint(name, cloud),
        inputs: Object.keys(record.inputs).map((input) => path.resolve(ROOT, input)),
    };
}

function recordBuild(bundle: FunctionBundle): void {
    const hashes = (files: Array<[string, string]>) =>
        Object.fromEntries(files.map(([name, file]) => [name, sha256(file) ?? ""]));
    const record: BuildRecord = {
        build: buildKey(bundle.name, bundle.cloud),
        inputs: hashes(bundle.inputs.map((file) => [path.relative(ROOT, file), file])),
        outputs: hashes(Object.entries(bundle.files)),
    };
    try {
        mkdirSync(BUNDLE_CACHE, { recursive: true });
        const file = recordFile(bundle.name, bundle.cloud);
        writeFileSync(`${file}.${process.pid}.tmp`, `${JSON.stringify(record)}\n`);
        renameSync(`${file}.${process.pid}.tmp`, file);
    } catch {
        // Without a writable cache the next process builds again.
    }
}

/**
 * A fresh bundle of a function for `cloud`: the one of an earlier run when none of its inputs and
 * outputs changed since (content hashes), else built now; within a process, rebuilt when any input
 * or output changed since the last call. What the program deploys always matches the sources.
 */
export function freshFunctionBundle(name: FunctionName, cloud: FunctionCloud): FunctionBundle {
    const key = `${name}/${cloud}`;
    const previous = built.get(key);
    if (previous && fingerprint(previous.bundle) === previous.fingerprint) {
        return previous.bundle;
    }
    let bundle = previous ? undefined : cachedBundle(name, cloud);
    if (!bundle) {
        bundle = bundleFunction(name, cloud);
        recordBuild(bundle);
    }
    built.set(key, { bundle, fingerprint: fingerprint(bundle) });
    return bundle;
}

/** A fresh bundle of the e-mail function for `cloud` (see `freshFunctionBundle`). */
export function freshEmailFunctionBundle(cloud: FunctionCloud): FunctionBundle {
    return freshFunctionBundle("email-verification", cloud);
}

/**
 * The deployable archive of a function for `cloud`, freshly bundled: for AWS a zip with `index.js`;
 * for GCP a zip with `index.js` and `package.json`, to upload to a bucket for the function's build.
 */
export function functionArchive(name: FunctionName, cloud: FunctionCloud): pulumi.asset.AssetArchive {
    const bundle = freshFunctionBundle(name, cloud);
    return new pulumi.asset.AssetArchive(
        Object.fromEntries(
            Object.entries(bundle.files).map(([entry, file]) => [entry, new pulumi.asset.FileAsset(file)]),
        ),
    );
}

/**
 * The deployable archive of the e-mail function for `cloud`: for AWS handler `index.handler`, for
 * GCP entry point `verifyEmail`.
 */
export function emailFunctionArchive(cloud: FunctionCloud): pulumi.asset.AssetArchive {
    return functionArchive("email-verification", cloud);
}

/** The deployable archive of the promotion function (Lambda, handler `index.handler`). */
export function replicaPromotionArchive(): pulumi.asset.AssetArchive {
    return functionArchive("replica-promotion", "aws");
}

// `npm run build` / `npm run bundle`: bundle every function for every cloud it runs on and report what was written.
if (require.main === module) {
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
        for (const cloud of functionClouds(name)) {
            const bundle = bundleFunction(name, cloud);
            const sizes = Object.entries(bundle.files).map(
                ([entry, file]) => `${entry} ${(statSync(file).size / 1024).toFixed(0)} KiB`,
            );
            console.log(`${path.relative(ROOT, bundle.directory)}: ${sizes.join(", ")} (entry ${bundle.entryPoint})`);
        }
    }
}
