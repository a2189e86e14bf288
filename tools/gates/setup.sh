#!/usr/bin/env bash
# Builds the security gates' tools from the Go module proxy, at pinned versions, into the cache
# folder: gitleaks (secret scan) and actionlint (workflow lint). Idempotent: tools built at the same
# versions are kept. Prints their bin folder.
#   bash tools/gates/setup.sh        (npm run setup:gates)
# The folder is $WEBAPP_CACHE_DIR/gates/bin, default <repository>/.cache/gates/bin. Needs Go 1.24+.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${WEBAPP_CACHE_DIR:-$repo/.cache}
bin=$cache/gates/bin

# Pinned versions (each built from its own go.mod and checked against the Go checksum database).
GITLEAKS=github.com/zricethezav/gitleaks/v8@v8.30.1
ACTIONLINT=github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
want="$GITLEAKS $ACTIONLINT"
stamp=$bin/.versions

if [ -x "$bin/gitleaks" ] && [ -x "$bin/actionlint" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    echo "$bin"
    exit 0
fi
if ! command -v go >/dev/null 2>&1; then
    echo "setup.sh: the Go toolchain (1.24 or later) is needed to build gitleaks and actionlint; on Debian: apt-get install golang-go" >&2
    exit 1
fi
mkdir -p "$bin"
for module in $GITLEAKS $ACTIONLINT; do
    echo "setup.sh: building $module" >&2
    GOBIN=$bin GOFLAGS=-trimpath go install "$module" >&2
done
echo "$want" >"$stamp"
echo "$bin"
