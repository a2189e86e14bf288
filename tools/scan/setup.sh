#!/usr/bin/env bash
# Creates the Python virtual environment with the IaC scanner (Checkov) that `npm run scan` runs,
# from the pinned requirements.txt beside this script. Idempotent: a venv built from the same
# requirements is kept. Prints the venv's bin folder.
#   bash tools/scan/setup.sh        (npm run setup:scan)
# The venv lives under the cache folder: $WEBAPP_CACHE_DIR, default <repository>/.cache.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec bash "$here/../python-venv.sh" scan "$here/requirements.txt" checkov
