#!/usr/bin/env bash
# The installed package as another project uses it (docs/python.md,
# "Installing"): cmake --install into a fresh prefix, then
#   1. a C++ program outside the tree (examples/cpp) built with
#      find_package(npusim), and the same source built with pkg-config;
#   2. the Python twin (examples/python/blazeface_run.py) in a clean process
#      that sees only the installed package;
# all three run BlazeFace on the simulated NPU and must print the same
# output checksums, simulated picoseconds and faces.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR PYTHON
set -euo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd) python=$3
cache="${NPUSIM_CACHE:-$HOME/.cache/npusim}"
model="$cache/models/blazeface.onnx" photo="$cache/images/astronaut.png"
for f in "$model" "$photo"; do
  [ -f "$f" ] || { echo "missing $f: run scripts/fetch-models.sh --no-yolo and scripts/fetch-images.sh"; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

step() { echo "== $*"; }
step "cmake --install"
cmake --install "$build" --prefix "$prefix" > "$work/install.log"
grep -q "npusimConfig.cmake" "$work/install.log"

step "npusim --version"
"$prefix/bin/npusim" --version | tee "$work/version.txt"
grep -Eq "^npusim [0-9]+\.[0-9]+\.[0-9]+$" "$work/version.txt"
grep -Eq "^git revision [0-9a-f]{7,}" "$work/version.txt"
grep -q "^  sram_per_pe = 16MiB$" "$work/version.txt"

step "BlazeFace: quantise and compile with the installed command line"
"$prefix/bin/npusim" quantize "$model" -o "$work/blazeface.int8.onnx" --calib "$photo" \
  --scale 2/255 --mean 1 --holdout 0 --quiet > /dev/null
"$prefix/bin/npusim" compile "$work/blazeface.int8.onnx" -o "$work/blazeface.npub" > /dev/null

step "C++ with find_package(npusim)"
cmake -S "$src/examples/cpp" -B "$work/cpp" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" > "$work/cpp-configure.log" || { cat "$work/cpp-configure.log"; exit 1; }
cmake --build "$work/cpp" > "$work/cpp-build.log" || { cat "$work/cpp-build.log"; exit 1; }

step "C++ with pkg-config"
flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs npusim)
echo "pkg-config --cflags --libs npusim: $flags"
# shellcheck disable=SC2086  # the flags are words
g++ -O1 "$src/examples/cpp/blazeface_run.cpp" -o "$work/blazeface_run_pc" $flags

export NPUSIM_CACHE="$work/cache"  # compile cache of the ONNX runs, fresh
step "run: C++ (CMake), C++ (pkg-config), Python (clean process, installed package)"
pydir=$(find "$prefix/lib" -name '_npusim*.so' -printf '%h\n' | head -1)
pydir=$(dirname "$pydir")
for m in blazeface.npub blazeface.int8.onnx; do
  "$work/cpp/blazeface_run" "$work/$m" "$photo" > "$work/cpp-$m.txt"
  "$work/blazeface_run_pc" "$work/$m" "$photo" > "$work/pc-$m.txt"
  (cd "$work" && env -i PATH=/usr/bin:/bin HOME="$HOME" NPUSIM_CACHE="$NPUSIM_CACHE" \
    PYTHONPATH="$pydir" "$python" "$src/examples/python/blazeface_run.py" "$work/$m" "$photo") \
    > "$work/py-$m.txt"
  cat "$work/cpp-$m.txt"
  diff "$work/cpp-$m.txt" "$work/pc-$m.txt"
  diff "$work/cpp-$m.txt" "$work/py-$m.txt"
  grep -q "^faces      1$" "$work/cpp-$m.txt"
done
python_module=$(cd "$work" && env -i PATH=/usr/bin:/bin PYTHONPATH="$pydir" "$python" -c \
  "import npusim, os; print(os.path.dirname(npusim.__file__))")
[ "$python_module" = "$pydir/npusim" ] || { echo "imported $python_module, not the installed package"; exit 1; }
echo "identical outputs and simulated times: C++ (CMake), C++ (pkg-config), Python"
