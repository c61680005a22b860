#!/usr/bin/env bash
# Installs dependencies (with the ONNX Runtime oracle), fetches the developer
# models and images, builds, and runs every test (ctest, one process per
# test). With --sanitize (what CI runs) every test still runs once, most of
# them under ASan + UBSan and the few named below in the main build, and the
# host-side threading tests run again under TSan.
set -euo pipefail
cd "$(dirname "$0")/.."
# Runs a stage and prints its wall time, so a CI log shows where the time goes.
stage() {
  local name="$1" t0=$SECONDS
  shift
  echo "== $name"
  "$@"
  echo "== $name: $((SECONDS - t0)) s"
}
# Fails if a test of the main build would run in neither build with
# --sanitize: one the ASan build does not have and MAIN_ONLY (a ctest regex)
# does not name.
check_every_test_runs() {
  local main_only="$1" missing
  missing=$(comm -23 <(test_names build) <(test_names build-asan) | grep -Ev -- "$main_only" || true)
  if [ -n "$missing" ]; then
    echo "test.sh: these tests are not in the ASan build; add them to main_only:" >&2
    echo "$missing" >&2
    exit 1
  fi
}
test_names() {
  (cd "$1" && ctest -N) | sed -n 's/^ *Test *#[0-9]*: //p' | sort
}
stage deps scripts/install-deps.sh --with-oracle   # also ONNX Runtime from npm (~290 MB, cached)
# The developer models and sample images the oracle tests (tests/oracle) need;
# cached, so reruns need no network.
stage models scripts/fetch-models.sh --no-yolo
scripts/fetch-images.sh
stage build scripts/build.sh build
if [ "${1:-}" != "--sanitize" ]; then
  stage tests bash -c 'cd build && ctest --output-on-failure -j "$(nproc)" --timeout 300'
else
  # Sanitizer builds keep -Werror off: compilers report false warnings under
  # -fsanitize (GCC 12: std::regex, stringop); the main build enforces them.
  # -O1: half the compile time of -O2 under the sanitizers, and still fast enough to run.
  # One clang build serves the ASan + UBSan suite and the libFuzzer harnesses
  # (.ci/run then runs scripts/fuzz.sh --build build-asan): clang compiles this
  # code about a third faster than GCC under the sanitizers, and the
  # harnesses need clang anyway. A GCC build-asan from before is replaced.
  grep -qs "CMAKE_CXX_COMPILER:[A-Z]*=.*clang" build-asan/CMakeCache.txt || rm -rf build-asan
  stage asan-build env CXX=clang++ scripts/build.sh build-asan -DNPUSIM_SANITIZE=ON \
    -DNPUSIM_FUZZ=ON -DNPUSIM_WERROR=OFF -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG"
  # With --sanitize every test still runs once, in one of the two builds:
  # under ASan + UBSan, which checks more, except these, which run in the main
  # build: the ONNX Runtime comparisons (Oracle*), which would only repeat the
  # reference executor slowly next to a node subprocess; the tests whose time
  # goes to Chromium, Slurm or a Python interpreter (Browser, Plot, SlurmSweep,
  # Packaging, Python; the Python module is not built under sanitizers) or that
  # replay whole walkthroughs (Tutorial, Demo) through CLI paths cli_tests
  # covers; and the 184 NPU conformance cases and the YOLOv8n debugger run,
  # each a compile and simulation whose code paths run under ASan in the e2e
  # op families, the developer models, the smaller debugger runs and fuzz_onnx.
  main_only='^(Oracle[A-Za-z]*|BrowserTest|PlotTest|Packaging|Python|SlurmSweepTest|Tutorial|Demo|Onnx/NpuConformance)\.|^DebugCli\.YoloV8n'
  check_every_test_runs "$main_only"
  stage tests bash -c "cd build && ctest --output-on-failure -j $(nproc) --timeout 300 -R '$main_only'"
  stage asan-tests bash -c "cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure \
    -j $(nproc) --timeout 600 -E '$main_only'"
fi
if [ "${1:-}" = "--sanitize" ]; then
  # TSan covers the host-side threading: the simulation-thread handoff, the PEs'
  # kernels on host threads (KernelOffload.*, and every functional run below with
  # NPUSIM_KERNEL_THREADS=all: every kernel on its PE's thread, not only the large
  # ones), and the runtime's dispatcher, application threads, futures and queue on
  # the real device (RuntimeTest.*, with the 10,000-request stress test).
  mkdir -p build-tsan
  cmake -G Ninja -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNPUSIM_TSAN=ON -DNPUSIM_WERROR=OFF \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
    > build-tsan/configure.log 2>&1 || { cat build-tsan/configure.log; exit 1; }
  stage tsan-build ninja -C build-tsan sim_tests runtime_tests
  export TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/tests/tsan.supp"
  stage tsan-tests bash -c "build-tsan/tests/sim_tests --gtest_filter='SimulationThread.*:KernelOffload.*' &&
    NPUSIM_KERNEL_THREADS=all build-tsan/tests/runtime_tests --gtest_filter='RuntimeTest.*:LayerTraceTest.*'"
fi
