#!/usr/bin/env bash
# Reads ninja's output on stdin and shows the build's progress compactly:
# on a terminal one line that updates in place, otherwise a line at every
# tenth of the way. Anything that is not a progress line (compiler errors,
# FAILED: ...) passes through as it is. Usage: ninja ... | scripts/build-progress.sh LABEL
set -uo pipefail
label="${1:-build}"
start=$SECONDS
next_tenth=1
last_total=0
tty=0
[ -t 1 ] && tty=1
while IFS= read -r line; do
  if [[ "$line" =~ ^\[([0-9]+)/([0-9]+)\]\  ]]; then
    done_=${BASH_REMATCH[1]} total=${BASH_REMATCH[2]}
    # ninja counts again from 1 after regenerating its build files (a fresh
    # configure's generated sources, [1/6]..., then the build, [1/186]...).
    if [ "$total" != "$last_total" ]; then
      next_tenth=1
      last_total=$total
    fi
    pct=$((100 * done_ / total))
    status="$label: $done_/$total steps ($pct %), $((SECONDS - start)) s"
    if [ "$tty" = 1 ]; then
      printf '\r%s' "$status"
    elif [ "$((10 * done_ / total))" -ge "$next_tenth" ] || [ "$done_" = "$total" ]; then
      echo "$status"
      next_tenth=$((10 * done_ / total + 1))
    fi
  elif [ -n "$line" ] && [[ "$line" != ninja:\ Entering* ]]; then
    [ "$tty" = 1 ] && printf '\n'
    echo "$line"
  fi
done
[ "$tty" = 1 ] && printf '\n'
exit 0
