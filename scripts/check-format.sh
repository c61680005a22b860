#!/usr/bin/env bash
# Fails if any tracked C++ file differs from clang-format's output (.clang-format).
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files '*.cpp' '*.hpp' | xargs -r clang-format --dry-run --Werror
echo "clang-format: all files formatted"
