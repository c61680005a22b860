#!/usr/bin/env bash
# Regenerates the seed corpus in fuzz/corpus/ (docs/fuzzing.md): the files
# make_seeds.py writes, .npub programs compiled and assembled by npusim, the
# assembly test programs, and two JPEGs (see README.md here).
# Usage: fuzz/seeds/make_corpus.sh [NPUSIM]   (default build/tools/npusim)
set -euo pipefail
cd "$(dirname "$0")/../.."
npusim="${1:-build/tools/npusim}"
out=fuzz/corpus
rm -rf "$out"
/usr/bin/python3 fuzz/seeds/make_seeds.py "$out"
cp fuzz/seeds/*.jpg "$out/image/"
mkdir -p "$out/asm" "$out/npub"
cp tests/programs/matmul_requant.s fuzz/seeds/*.s "$out/asm/"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for m in conv3x3 add_pool; do
  "$npusim" compile "$out/onnx/$m.onnx" -o "$out/npub/$m.npub" > /dev/null
done
"$npusim" compile "$out/onnx/conv1x1_s2.onnx" --target fused -o "$out/npub/conv1x1_s2_fused.npub" \
  > /dev/null
for s in "$out"/asm/*.s; do
  "$npusim" asm "$s" -o "$out/npub/$(basename "$s" .s).npub" > /dev/null
done
du -sh "$out"
