#!/usr/bin/env bash
# Installs every Debian package npusim needs to build and test. Idempotent.
# Usage: scripts/install-deps.sh [--with-oracle]   (--with-oracle also installs
# ONNX Runtime from npm, see scripts/install-oracle.sh).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
APT="$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900"

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config clang-format
  clang  # libFuzzer for the fuzz harnesses (scripts/fuzz.sh, docs/fuzzing.md)
  libsystemc-dev verilator
  libboost-program-options-dev libspdlog-dev libfmt-dev libgtest-dev
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
  nlohmann-json3-dev libdnnl-dev zlib1g-dev libbenchmark-dev libstb-dev libturbojpeg0-dev
  python3-onnx python3-numpy
  python3-dev pybind11-dev python3-pybind11 python3-tqdm  # the Python package (python/), examples
  chromium  # headless: tests/report renders the HTML profile report
  libyaml-cpp-dev libsqlite3-dev sqlite3  # npusim sweep: YAML specs, the results database
  python3-matplotlib                     # npusim plot (tools/sweep/plot_sweep.py)
  slurm-wlm munge                        # sweeps on Slurm; the tests start a one-node cluster
)
# Node.js and npm run ONNX Runtime (the test oracle). Install them only when the
# commands are missing: a machine may carry NodeSource's nodejs, which bundles
# npm and conflicts with Debian's npm package.
if ! command -v node >/dev/null 2>&1; then PACKAGES+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(npm); fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $APT update
  $APT install -y --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all Debian packages present"
fi

if [ "${1:-}" = "--with-oracle" ]; then
  "$(dirname "$0")/install-oracle.sh"
fi
