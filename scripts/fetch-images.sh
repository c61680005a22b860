#!/usr/bin/env bash
# Copies scikit-image's sample photos into ${NPUSIM_CACHE:-$HOME/.cache/npusim}/images/:
#   astronaut.png (one face), chelsea.png, coffee.png (no person),
#   text.png, page.png (printed text, for the OCR models).
# Uses Debian's python3-skimage package without installing it or its
# dependencies: `apt-get download` (signature-checked by apt) + `dpkg -x` in a
# temporary directory. sha256 of each image pinned in models/images.sha256.
# Idempotent: nothing is downloaded when every image is cached with the right
# checksum. A wrong checksum is an error naming the file (nothing overwritten).
# Usage: scripts/fetch-images.sh [--check]   (--check: verify only, no network)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SUMS="$ROOT/models/images.sha256"
CACHE="${NPUSIM_CACHE:-$HOME/.cache/npusim}"
DIR="$CACHE/images"
PKG=python3-skimage
DATA=usr/lib/python3/dist-packages/skimage/data

check_only=0
for arg in "$@"; do
  case "$arg" in
    --check) check_only=1 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fetch-images: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

die() { echo "fetch-images: ERROR: $*" >&2; exit 1; }

mapfile -t NAMES < <(awk 'NF == 2 { print $2 }' "$SUMS")
[ "${#NAMES[@]}" -gt 0 ] || die "no images listed in $SUMS"
expected_sha() { awk -v n="$1" '$2 == n { print $1 }' "$SUMS"; }

# Pass 1: what is cached?
missing=()
errors=0
for name in "${NAMES[@]}"; do
  file="$DIR/$name"
  exp="$(expected_sha "$name")"
  if [ -f "$file" ]; then
    act="$(sha256sum "$file" | cut -d' ' -f1)"
    if [ "$act" = "$exp" ]; then
      echo "fetch-images: $name ok (cached)"
    else
      echo "fetch-images: ERROR: cached $file has a wrong checksum" >&2
      echo "    expected sha256 $exp" >&2
      echo "    actual   sha256 $act" >&2
      echo "    delete the file and rerun to fetch it again" >&2
      errors=$((errors + 1))
    fi
  elif [ "$check_only" = 1 ]; then
    echo "fetch-images: ERROR: $file is missing (run scripts/fetch-images.sh)" >&2
    errors=$((errors + 1))
  else
    missing+=("$name")
  fi
done

# Pass 2: download the .deb once, extract, verify, rename into place.
if [ "${#missing[@]}" -gt 0 ]; then
  for tool in apt-get apt-cache dpkg; do
    command -v "$tool" >/dev/null || die "'$tool' not found (this script needs Debian's apt)"
  done
  mkdir -p "$DIR"
  tmp="$(mktemp -d "$DIR/.fetch.XXXXXX")"   # same filesystem: the rename is atomic
  trap 'rm -rf "$tmp"' EXIT
  if ! apt-cache show "$PKG" >/dev/null 2>&1; then
    echo "fetch-images: apt does not know $PKG yet; running apt-get update"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq || die "apt-get update failed"
  fi
  apt_opts=(-qq)
  # As root, apt drops to the _apt user, which cannot write to our private temp dir.
  if [ "$(id -u)" -eq 0 ]; then apt_opts+=(-o APT::Sandbox::User=root); fi
  echo "fetch-images: apt-get download $PKG (~21 MB, not installed)"
  (cd "$tmp" && apt-get "${apt_opts[@]}" download "$PKG") ||
    die "apt-get download $PKG failed (is the Debian mirror reachable?)"
  debs=("$tmp"/"$PKG"_*.deb)
  [ -f "${debs[0]}" ] || die "apt-get download produced no $PKG .deb"
  dpkg -x "${debs[0]}" "$tmp/x" || die "dpkg -x ${debs[0]} failed"
  for name in "${missing[@]}"; do
    src="$tmp/x/$DATA/$name"
    [ -f "$src" ] || { echo "fetch-images: ERROR: $name not in $(basename "${debs[0]}")" >&2;
                       errors=$((errors + 1)); continue; }
    exp="$(expected_sha "$name")"
    act="$(sha256sum "$src" | cut -d' ' -f1)"
    if [ "$act" != "$exp" ]; then
      echo "fetch-images: ERROR: $name from $(basename "${debs[0]}") has a wrong checksum; not installed" >&2
      echo "    expected sha256 $exp" >&2
      echo "    actual   sha256 $act" >&2
      errors=$((errors + 1))
      continue
    fi
    cp "$src" "$tmp/$name.part"
    chmod 0644 "$tmp/$name.part"
    mv -f "$tmp/$name.part" "$DIR/$name"
    echo "fetch-images: $name fetched ($(stat -c %s "$DIR/$name") bytes)"
  done
fi

[ "$errors" -eq 0 ] || die "$errors problem(s), see above"
echo "fetch-images: all images in $DIR"
