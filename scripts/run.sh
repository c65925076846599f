#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build, and show actlab at work: the tour page.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
./build/bin/actlab examples
echo
# The main job: the tutorials as one HTML page with its figures (docs/tour.md).
./build/bin/actlab tour --out build/tour
echo
echo "The tour is ready: open $(pwd)/build/tour/index.html in a browser."
