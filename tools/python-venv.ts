/**
 * Where the project's Python tools live: the venvs that tools/python-venv.sh builds under the cache
 * folder ($WEBAPP_CACHE_DIR, default <repository>/.cache), and a lookup that names the setup
 * command when a tool is missing.
 */
import { existsSync } from "node:fs";
import * as path from "node:path";

/** The bin folder of the venv `name` (`emulators`, `scan`). */
export function venvBin(name: string): string {
    const repo = path.resolve(__dirname, "..");
    const cache = process.env.WEBAPP_CACHE_DIR ?? path.join(repo, ".cache");
    return path.join(cache, name, "venv", "bin");
}

/** The path of `executable` in the venv `name`; throws, naming `setupCommand`, when it is not installed. */
export function venvTool(name: string, executable: string, setupCommand: string): string {
    const file = path.join(venvBin(name), executable);
    if (!existsSync(file)) {
        throw new Error(
            `${executable} is not installed at ${file}: run \`${setupCommand}\` (it creates the Python venv)`,
        );
    }
    return file;
}
