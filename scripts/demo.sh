#!/usr/bin/env bash
# The main job (until the compiler lands): install, build, show the device,
# and run hand-written programs on the simulated NPU with a readable report.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build > build.log 2>&1 || { tail -50 build.log; exit 1; }
npusim=build/tools/npusim
echo "== npusim info"
$npusim info
for program in tests/programs/matmul_requant.s tests/programs/tiled_matmul_double_buffered.s; do
  echo
  echo "== npusim exec $program"
  $npusim exec "$program"
done
echo
echo "== the same tiled program on a 16x16 weight-stationary array (--set array=16x16)"
$npusim exec tests/programs/tiled_matmul_double_buffered.s --set array=16x16
