#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test (ctest, one process per
# test). With --sanitize, also builds and runs the tests under ASan + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
(cd build && ctest --output-on-failure -j "$(nproc)" --timeout 300)
if [ "${1:-}" = "--sanitize" ]; then
  scripts/build.sh build-asan -DNPUSIM_SANITIZE=ON
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j "$(nproc)" --timeout 600)
fi
