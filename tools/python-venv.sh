#!/usr/bin/env bash
# Creates a Python virtual environment under the project's cache folder from a pinned requirements
# file and prints its bin folder. Idempotent: a venv built from the same requirements, with every
# named executable present, is kept. Used by the emulator and the scanner setups.
#   bash tools/python-venv.sh <name> <requirements.txt> <executable>...
# The venv is <cache>/<name>/venv; <cache> is $WEBAPP_CACHE_DIR, default <repository>/.cache.
# $PYTHON picks the interpreter (default python3).
set -euo pipefail
if [ "$#" -lt 3 ]; then
    echo "usage: bash tools/python-venv.sh <name> <requirements.txt> <executable>..." >&2
    exit 2
fi
name=$1
requirements=$2
shift 2
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${WEBAPP_CACHE_DIR:-$repo/.cache}
venv=$cache/$name/venv
stamp=$venv/.requirements.sha256
want=$(sha256sum "$requirements" | cut -d' ' -f1)

complete=true
for executable in "$@"; do
    [ -x "$venv/bin/$executable" ] || complete=false
done
if [ "$complete" = true ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    echo "$venv/bin"
    exit 0
fi

python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
    echo "python-venv.sh: $python not found; install Python 3.11 or later (Debian: apt-get install python3 python3-venv)" >&2
    exit 1
fi
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
if ! "$python" -m venv "$venv" >&2; then
    echo "python-venv.sh: '$python -m venv' failed; on Debian: apt-get install python3-venv" >&2
    exit 1
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check --require-virtualenv -r "$requirements" >&2
echo "$want" >"$stamp"
echo "$venv/bin"
