#!/usr/bin/env bash
# Configures and builds npusim with Ninja + ccache.
# Usage: scripts/build.sh [BUILD_DIR] [--target NAME]... [cmake args...]
#   --target NAME  build only NAME and what it needs (repeatable; default: everything,
#                  the test suite included), e.g. --target npusim --target npusim-facedetect
# Optimised, with line tables only (-g1): backtraces and profiles keep file and
# line, and the build takes about a quarter less time than with full -g.
# Later cmake args override these (e.g. -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g").
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
shift || true
targets=()
cmake_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --target) [ $# -ge 2 ] || { echo "build.sh: --target needs a name" >&2; exit 2; }
              targets+=("$2"); shift 2 ;;
    *) cmake_args+=("$1"); shift ;;
  esac
done
mkdir -p "$dir"
cmake -G Ninja -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" "${cmake_args[@]}" > "$dir/configure.log" 2>&1 ||
  { cat "$dir/configure.log"; exit 1; }
ninja -C "$dir" "${targets[@]}"
