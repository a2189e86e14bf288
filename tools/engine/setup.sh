#!/usr/bin/env bash
# What `npm run test:engine` needs besides the project's own dependencies: the Pulumi CLI (built by
# build-cli.sh when missing) and the policy pack's dependencies (the analyzer runs the pack with
# its own node_modules, as `pulumi preview --policy-pack policy` does), installed when missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bash "$root/tools/engine/build-cli.sh" >/dev/null
if [ ! -d "$root/policy/node_modules/@pulumi/policy" ]; then
    echo "Installing the policy pack's dependencies (npm ci --prefix policy)..." >&2
    npm ci --prefix "$root/policy" --no-audit --no-fund >&2
fi
