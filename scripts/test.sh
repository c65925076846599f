#!/usr/bin/env bash
# Builds actlab and runs every test (GoogleTest through CTest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)"
