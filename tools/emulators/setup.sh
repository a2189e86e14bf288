#!/usr/bin/env bash
# Creates the Python virtual environment with the AWS API emulator (moto's server) and the AWS CLI
# that the emulator tests use, from the pinned requirements.txt beside this script. Idempotent: a
# venv built from the same requirements is kept. Prints the venv's bin folder.
#   bash tools/emulators/setup.sh        (npm run setup:emulators)
# The venv lives under the cache folder: $WEBAPP_CACHE_DIR, default <repository>/.cache.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec bash "$here/../python-venv.sh" emulators "$here/requirements.txt" moto_server aws
