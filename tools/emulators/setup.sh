#!/usr/bin/env bash
# Creates the Python virtual environment with the AWS API emulator (moto's server) and the AWS CLI
# that the emulator tests use, from the pinned requirements.txt beside this script. Idempotent: a
# venv built from the same requirements is kept. Prints the venv's bin folder.
#   bash tools/emulators/setup.sh        (npm run setup:emulators)
# The venv lives under the cache folder: $WEBAPP_CACHE_DIR, default <repository>/.cache.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${WEBAPP_CACHE_DIR:-$repo/.cache}
venv=$cache/emulators/venv
requirements=$here/requirements.txt
stamp=$venv/.requirements.sha256
want=$(sha256sum "$requirements" | cut -d' ' -f1)

if [ -x "$venv/bin/moto_server" ] && [ -x "$venv/bin/aws" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    echo "$venv/bin"
    exit 0
fi

python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
    echo "setup.sh: $python not found; install Python 3.9 or later (Debian: apt-get install python3 python3-venv)" >&2
    exit 1
fi
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
if ! "$python" -m venv "$venv" >&2; then
    echo "setup.sh: '$python -m venv' failed; on Debian: apt-get install python3-venv" >&2
    exit 1
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check --require-virtualenv -r "$requirements" >&2
echo "$want" >"$stamp"
echo "$venv/bin"
