#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/, docs/fuzzing.md) with clang and runs
# each for a bounded time, starting from its seed corpus in fuzz/corpus/.
# Usage: scripts/fuzz.sh [--seconds N] [--build DIR] [--jobs J] [NAME...]
#   --seconds N  run each harness N seconds (default 25, what CI runs)
#   --build DIR  the clang build directory (default build-fuzz)
#   --jobs J     harnesses run side by side (default: the number of cores)
#   NAME         only these harnesses (npub asm hw npy image onnx; default all)
# Exits non-zero if a harness finds a crash, a leak, a sanitizer report, an
# input slower than 30 s or one needing more than 2 GB; the input is saved as
# DIR/artifacts/NAME-crash-... (reproduce: DIR/fuzz/fuzz_NAME FILE).
# New interesting inputs go to DIR/corpus/NAME, never into fuzz/corpus/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=25
dir=build-fuzz
jobs=$(nproc)
names=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --build) dir="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) names+=("$1"); shift ;;
  esac
done
[ ${#names[@]} -gt 0 ] || names=(npub asm hw npy image onnx)

# Only the harnesses and the libraries they link (ninja target "fuzzers"),
# not the tests: -O1 like the sanitizer suite, line tables for the reports.
mkdir -p "$dir"
if [ ! -f "$dir/build.ninja" ]; then
  CXX=clang++ cmake -G Ninja -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DNPUSIM_FUZZ=ON -DNPUSIM_WERROR=OFF \
    > "$dir/configure.log" 2>&1 || { cat "$dir/configure.log"; exit 1; }
fi
if ! grep -qs '^NPUSIM_FUZZ:BOOL=ON' "$dir/CMakeCache.txt"; then
  echo "fuzz.sh: $dir is not a fuzzing build (configure it with clang and -DNPUSIM_FUZZ=ON," \
    "or give --build a new directory)" >&2
  exit 2
fi
targets=()
for n in "${names[@]}"; do targets+=("fuzz_$n"); done
ninja -C "$dir" "${targets[@]}"

# One harness: its own output corpus (seeded from the repository's), its
# log, and a one-line summary from libFuzzer's final stats.
run_one() {
  local name="$1" work="$dir/corpus/$1" log="$dir/logs/$1.log"
  mkdir -p "$work" "$dir/artifacts" "$dir/logs"
  local status=0
  "$dir/fuzz/fuzz_$name" "$work" "fuzz/corpus/$name" -max_total_time="$seconds" -timeout=30 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/artifacts/$name-" \
    > "$log" 2>&1 || status=$?
  local runs
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ "$status" -eq 0 ]; then
    echo "fuzz $name: ok, ${runs:-?} executions in ${seconds} s, corpus $(ls "$work" | wc -l) inputs"
  else
    echo "fuzz $name: FAILED (exit $status), log $log:"
    grep -E "ERROR: |SUMMARY: |Test unit written|==[0-9]+==" "$log" | head -20
  fi
  echo "$status" > "$dir/logs/$name.status"
}

rm -f "$dir"/logs/*.status
for name in "${names[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  run_one "$name" &
done
wait
failed=0
for name in "${names[@]}"; do
  [ "$(cat "$dir/logs/$name.status" 2>/dev/null)" = 0 ] || failed=1
done
exit "$failed"
