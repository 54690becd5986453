#!/usr/bin/env bash
# pss.sh PID — summed PSS (kB) of PID and all its descendants.
set -euo pipefail
root=$1
pids=$(ps -e -o pid=,ppid= | awk -v r="$root" '
  { parent[$1] = $2 }
  END {
    keep[r] = 1; changed = 1
    while (changed) { changed = 0; for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; changed = 1 } }
    for (p in keep) print p
  }')
total=0
for p in $pids; do
  v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
  total=$((total + ${v:-0}))
done
echo "$total"
