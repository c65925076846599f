#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build, and show actlab at work.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
./build/bin/actlab list
echo
./build/bin/actlab examples
