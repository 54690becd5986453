#!/usr/bin/env bash
# Redis client throughput: our redis::Client on one core (one reactor, one connection,
# CLIENTS=64 coroutines doing GET/SET) vs `redis-benchmark -P 16 -c 1` against the same
# redis-server in the same run. Server and clients are pinned to different cores; the
# two clients alternate RUNS times and the medians are compared.
#   R = (ours_SET / rb_SET + ours_GET / rb_GET) / 2   (mean of the per-command ratios)
# Last line: "redis: ratio=R".
set -euo pipefail
source "$(dirname "$0")/common.bash"
need redis-server redis-benchmark python3
need_built benches/load/redis_bench
RUNS=${RUNS:-3}
REQUESTS=${REQUESTS:-2000000}
CLIENTS=${CLIENTS:-64}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}

pin_server=() pin_client=()
if command -v taskset >/dev/null 2>&1 && (($(nproc) >= 2)); then
  pin_server=(taskset -c "$SERVER_CPU")
  pin_client=(taskset -c "$CLIENT_CPU")
fi

tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n "$server_pid" ]]; then kill -9 "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

port=$(free_port)
"${pin_server[@]}" redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
  --daemonize no --logfile "$tmp/redis.log" &
server_pid=$!
wait_port "$port" 10

# "SET: 884955.75 requests per second, p50=..." -> "SET 884955.75"
rps_lines() { tr '\r' '\n' | awk '/requests per second/ {sub(":", "", $1); print $1, $2}'; }

: > "$tmp/rb" ; : > "$tmp/ours"
for ((run = 1; run <= RUNS; run++)); do
  "${pin_client[@]}" redis-benchmark -h 127.0.0.1 -p "$port" -P 16 -c 1 -t set,get -n "$REQUESTS" -q \
    | rps_lines >> "$tmp/rb"
  "${pin_client[@]}" "$BUILD_DIR/benches/load/redis_bench" --addr "127.0.0.1:$port" --clients "$CLIENTS" \
    --requests "$REQUESTS" --tests set,get | rps_lines >> "$tmp/ours"
done

runs() { awk -v t="$1" '$1 == t {printf " %.0f", $2}' "$2"; }
echo "per run (requests/s):"
echo "  redis-benchmark SET:$(runs SET "$tmp/rb")   GET:$(runs GET "$tmp/rb")"
echo "  ours            SET:$(runs SET "$tmp/ours")   GET:$(runs GET "$tmp/ours")"

med() { awk -v t="$1" '$1 == t {print $2}' "$2" | median; }
rb_set=$(med SET "$tmp/rb");   rb_get=$(med GET "$tmp/rb")
our_set=$(med SET "$tmp/ours"); our_get=$(med GET "$tmp/ours")

printf '\n%-5s %28s %28s %8s\n' test "redis-benchmark -P16 -c1" "ours (1 core, $CLIENTS coros)" ratio
awk -v rs="$rb_set" -v os="$our_set" -v rg="$rb_get" -v og="$our_get" 'BEGIN {
  printf "%-5s %28.0f %28.0f %8.2f\n", "SET", rs, os, os / rs
  printf "%-5s %28.0f %28.0f %8.2f\n", "GET", rg, og, og / rg
}'
echo "(requests per second, median of $RUNS alternating runs of $REQUESTS requests; server on cpu ${SERVER_CPU}, clients on cpu ${CLIENT_CPU})"
awk -v rs="$rb_set" -v os="$our_set" -v rg="$rb_get" -v og="$our_get" \
  'BEGIN { printf "redis: ratio=%.2f\n", (os / rs + og / rg) / 2 }'
