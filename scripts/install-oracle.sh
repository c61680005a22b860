#!/usr/bin/env bash
# Installs ONNX Runtime (onnxruntime-node, pinned in tools/oracle/package.json and
# package-lock.json) into ${NPUSIM_CACHE:-$HOME/.cache/npusim}/oracle for the
# independent oracle tools/oracle/ort_run.js. CPU only (~290 MB).
# Idempotent: skipped when the installed tree matches the committed lockfile.
# Usage: scripts/install-oracle.sh [--force]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/tools/oracle"
CACHE="${NPUSIM_CACHE:-$HOME/.cache/npusim}"
DEST="$CACHE/oracle"
STAMP="$DEST/.installed"

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-oracle: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

die() { echo "install-oracle: ERROR: $*" >&2; exit 1; }
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "install-oracle: installing nodejs and npm from Debian"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y nodejs npm
fi
command -v node >/dev/null || die "'node' not found (apt-get install nodejs npm)"
command -v npm >/dev/null || die "'npm' not found (apt-get install npm)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 16 ] || die "node >= 16 required (found $(node --version))"

want="$(cat "$SRC/package.json" "$SRC/package-lock.json" | sha256sum | cut -d' ' -f1)"

smoke() {  # loads the native binding and prints the ORT version
  node -e '
    const ort = require(process.argv[1]);
    const v = require(process.argv[2]).version;
    if (typeof ort.InferenceSession !== "function") throw new Error("no InferenceSession");
    console.log(v);' \
    "$DEST/node_modules/onnxruntime-node" "$DEST/node_modules/onnxruntime-node/package.json"
}

if [ "$force" = 0 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  if v="$(smoke 2>/dev/null)"; then
    echo "install-oracle: onnxruntime-node $v already installed in $DEST"
    exit 0
  fi
  echo "install-oracle: existing install in $DEST does not load; reinstalling"
fi

mkdir -p "$DEST"
rm -f "$STAMP"
cp "$SRC/package.json" "$SRC/package-lock.json" "$DEST/"
echo "install-oracle: npm ci in $DEST (onnxruntime-node, ~290 MB)"
# ONNXRUNTIME_NODE_INSTALL=skip and --ignore-scripts: the post-install step would
# try to download CUDA parts; the CPU library is already inside the package.
if ! (cd "$DEST" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --ignore-scripts \
        --no-audit --no-fund --loglevel=error); then
  die "npm ci failed in $DEST (is the npm registry reachable?)"
fi
v="$(smoke)" || die "onnxruntime-node was installed but does not load (see the error above)"
echo "$want" > "$STAMP"
echo "install-oracle: onnxruntime-node $v installed in $DEST"
