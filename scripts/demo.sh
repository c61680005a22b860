#!/usr/bin/env bash
# The main job: a real face detector through the whole flow on the simulated
# NPU. BlazeFace (FP32 ONNX, from npm) -> npusim quantize (calibrated on the
# skimage photos) -> npusim compile -> runtime on the simulated Warboy-class
# NPU -> decode the faces on the host -> out/demo/astronaut_faces.png and a
# report (out/demo/report.txt).
#
# Builds only what the job needs (the command line and the face detector, not
# the test suite), showing its progress; the full log is in build.log.
#
# Usage: scripts/demo.sh [--no-setup] [--build DIR] [--out DIR]
#   --no-setup  skip installing, building and fetching (all done already)
#   --build DIR the build directory (build); --out DIR where results go (out/demo),
#               relative paths from the repository root
# (tests/tutorial/demo_test.cpp runs the job with --no-setup on the test build)
set -euo pipefail
cd "$(dirname "$0")/.."
setup=1
build=build
out=out/demo
while [ $# -gt 0 ]; do
  case "$1" in
    --no-setup) setup=0; shift ;;
    --build | --out)
      [ $# -ge 2 ] || { echo "demo: $1 needs a directory" >&2; exit 2; }
      if [ "$1" = --build ]; then build="$2"; else out="$2"; fi
      shift 2 ;;
    *) echo "demo: unknown option \"$1\" (usage: scripts/demo.sh [--no-setup] [--build DIR] [--out DIR])" >&2
       exit 2 ;;
  esac
done
if [ "$setup" = 1 ]; then
  scripts/install-deps.sh
  echo "== 0. build npusim and npusim-facedetect ($(nproc) jobs, log in build.log)"
  if ! scripts/build.sh "$build" --target npusim --target npusim-facedetect 2>&1 | tee build.log |
    scripts/build-progress.sh build; then
    echo "demo: the build failed; the end of build.log:" >&2
    tail -30 build.log >&2
    exit 1
  fi
  scripts/fetch-models.sh --no-yolo
  scripts/fetch-images.sh
fi
cache="${NPUSIM_CACHE:-$HOME/.cache/npusim}"
npusim="$build/tools/npusim"
mkdir -p "$out"

echo
echo "== 1. quantise: FP32 -> int8 QDQ, calibrated on the sample photos (and 8 crops of each)"
"$npusim" quantize "$cache/models/blazeface.onnx" -o "$out/blazeface.int8.onnx" \
  --calib "$cache/images" --crops 8 --scale 2/255 --mean 1 --top 3 --quiet

echo
echo "== 2. compile for one PE of the simulated NPU"
"$npusim" compile "$out/blazeface.int8.onnx" -o "$out/blazeface.npub" | grep -v '^  \(Q\|NPU \)'

echo
echo "== 3. run on the simulated NPU (runtime, sync runner), decode faces on the host"
"$build/tools/npusim-facedetect" --model "$out/blazeface.npub" \
  --fp32 "$cache/models/blazeface.onnx" --image "$cache/images/astronaut.png" \
  -o "$out/astronaut_faces.png" --report "$out/report.txt"

echo
echo "== 4. the same model on the fused pair of PEs (compiled on the fly through the cache)"
"$npusim" run "$out/blazeface.int8.onnx" -d npu0pe0-1 -i "$cache/images/astronaut.png" \
  --scale 2/255 --mean 1 | sed -n '/^latency/,$p'
echo
echo "Open $out/astronaut_faces.png: the green box and key points sit on the astronaut's face."
