#!/usr/bin/env bash
# Configures and builds actlab (Release, warnings as errors) in ./build.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DACTLAB_WERROR=ON > /dev/null
cmake --build build -j "$(nproc)"
