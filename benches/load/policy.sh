#!/usr/bin/env bash
# Runs the gateway policy micro-benchmark (one request decision per iteration) and prints Google Benchmark's
# table followed by "policy: ns_per_request=N", N being the mean CPU nanoseconds of BM_PolicyDecision (CPU
# rather than wall time, so that other work on a shared machine does not count against the decision).
# Build first: meson setup build -Dbuildtype=release && ninja -C build benches/micro/policy_bench
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build_dir="${BUILD_DIR:-build}"
case "$build_dir" in /*) ;; *) build_dir="$root/$build_dir" ;; esac
bench="$build_dir/benches/micro/policy_bench"
if [[ ! -x "$bench" ]]; then
    echo "policy.sh: $bench not found; build it with: ninja -C $build_dir benches/micro/policy_bench" >&2
    exit 1
fi

json="$(mktemp)"
trap 'rm -f "$json"' EXIT
"$bench" --benchmark_repetitions="${REPETITIONS:-5}" --benchmark_min_time="${MIN_TIME:-0.5}" \
    --benchmark_out="$json" --benchmark_out_format=json

mean_ns="$(python3 - "$json" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
unit = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
for b in data["benchmarks"]:
    if b.get("run_name") == "BM_PolicyDecision" and b.get("aggregate_name") == "mean":
        print(round(b["cpu_time"] * unit[b.get("time_unit", "ns")]))
        break
else:
    runs = [b for b in data["benchmarks"] if b.get("run_name", b["name"]) == "BM_PolicyDecision"]
    print(round(sum(b["cpu_time"] * unit[b.get("time_unit", "ns")] for b in runs) / len(runs)))
PY
)"
echo "policy: ns_per_request=$mean_ns"
