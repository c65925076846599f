#!/usr/bin/env bash
# Installs the Debian packages actlab needs, only those that are missing.
# Usage: scripts/setup.sh            (as root, or with sudo available)
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config
  # libraries
  libfmt-dev libcli11-dev nlohmann-json3-dev libopenblas-dev zlib1g-dev libhwy-dev
  # figures: Cairo (PNG/SVG/PDF), stb_image (reading PNG/JPEG), the DejaVu fonts
  libcairo2-dev libstb-dev fonts-dejavu-core
  # the study's storage: SQLite files, PostgreSQL clients (libpq) and a server for the tests
  libsqlite3-dev libpq-dev postgresql
  # the default data set: Fashion-MNIST in /usr/share/datasets/fashion-mnist
  dataset-fashion-mnist
  # the tour's test: a headless browser loads the page and takes a screenshot
  chromium
  # tests and benchmarks
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  # the peers of actlab_peer_bench (bench/peers): oneDNN, XNNPACK and its thread pool
  libdnnl-dev libxnnpack-dev libpthreadpool-dev
  # PyTorch as the tests' oracle (run with /usr/bin/python3)
  python3 python3-torch python3-numpy
  # Optuna 3.1 as the study's oracle (TPE trial by trial)
  python3-optuna
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages are installed"
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then as_root=(sudo); fi
echo "setup: installing ${missing[*]}"
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
