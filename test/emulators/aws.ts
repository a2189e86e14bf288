/** The AWS CLI of the emulator venv, run against a moto server, for setting up and inspecting resources. */
import { spawnSync } from "node:child_process";
import { awsCli, type Moto } from "../../tools/emulators/moto";

/**
 * Runs `aws <args> --output json` against `moto` and returns the parsed answer ({} when empty).
 * The endpoint is given with `--endpoint-url`: this CLI (v1) honours `AWS_ENDPOINT_URL` for some
 * services only (Secrets Manager yes, SQS and RDS no).
 */
export function awsJson(moto: Moto, args: readonly string[]): any {
    const result = spawnSync(awsCli(), [...args, "--endpoint-url", moto.endpoint, "--output", "json"], {
        env: { PATH: process.env.PATH ?? "", ...moto.env() },
        encoding: "utf8",
    });
    if (result.status !== 0) {
        throw new Error(`aws ${args.join(" ")} failed (${result.status}): ${result.stderr}`);
    }
    return result.stdout.trim() === "" ? {} : JSON.parse(result.stdout);
}
