#!/usr/bin/env bash
# Prints the path of the Pulumi CLI the engine tests use, building it first when it is missing.
#
# The CLI is built from its Go module (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) at the version
# tools/engine/go.mod pins, the version of @pulumi/pulumi in package.json, into
# <cache>/engine/pulumi-<version>/bin/pulumi, where <cache> is $WEBAPP_CACHE_DIR, default the
# repository's .cache folder (ignored by git). The first build downloads about 400 MB
# of Go modules and takes about 11 minutes on 2 cores; with warm Go caches it takes under a minute;
# when the binary is there and reports the pinned version, nothing is built.
#
# PULUMI_ENGINE_CLI=<path> uses an existing CLI instead (it must report the same version).
# Progress goes to stderr; stdout is only the path.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

version=$(awk '$1 == "github.com/pulumi/pulumi/pkg/v3" { print $2; exit }' "$here/go.mod")
if [ -z "$version" ]; then
    echo "tools/engine/go.mod does not require github.com/pulumi/pulumi/pkg/v3" >&2
    exit 1
fi

reports_version() {
    [ -x "$1" ] && [ "$("$1" version 2>/dev/null)" = "$version" ]
}

if [ -n "${PULUMI_ENGINE_CLI:-}" ]; then
    if ! reports_version "$PULUMI_ENGINE_CLI"; then
        echo "PULUMI_ENGINE_CLI=$PULUMI_ENGINE_CLI is not a Pulumi CLI reporting $version" >&2
        exit 1
    fi
    echo "$PULUMI_ENGINE_CLI"
    exit 0
fi

cache=${WEBAPP_CACHE_DIR:-$root/.cache}
out="$cache/engine/pulumi-$version/bin/pulumi"
if reports_version "$out"; then
    echo "$out"
    exit 0
fi

if ! command -v go >/dev/null 2>&1; then
    echo "Go is needed to build the Pulumi CLI for the engine tests: install it (https://go.dev/doc/install," >&2
    echo "e.g. apt-get install golang-go, or the tarball), then run npm run test:engine again." >&2
    exit 1
fi

echo "Building the Pulumi CLI $version from its Go module into $out (the first time takes about 11 minutes on 2 cores)..." >&2
mkdir -p "$(dirname "$out")"
started=$SECONDS
(
    cd "$here"
    # -mod=readonly: go.mod and go.sum are the pinned dependency set; a build never rewrites them.
    GOFLAGS="${GOFLAGS:-} -mod=readonly" go build \
        -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
        -o "$out.partial" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
)
mv "$out.partial" "$out"
if ! reports_version "$out"; then
    echo "the built CLI does not report $version: $("$out" version 2>&1 || true)" >&2
    exit 1
fi
echo "Built the Pulumi CLI $version in $((SECONDS - started)) s." >&2
echo "$out"
