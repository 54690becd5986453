#!/usr/bin/env bash
# 10 000 idle keep-alive connections (each served one request first) held open against
# our server; prints its resident memory.
set -euo pipefail
source "$(dirname "$0")/common.bash"
need python3
need_built benches/load/static_server benches/load/idle_conns_client
N=${CONNS:-10000}
# Server and client are separate processes: each needs N descriptors plus a margin.
ulimit -n $((N + 1024)) 2>/dev/null || { echo "cannot raise the fd limit to $((N + 1024)) (hard limit: $(ulimit -Hn)); raise it (LimitNOFILE / ulimit -Hn)" >&2; exit 3; }
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
mkdir -p "$tmp/www"
head -c 20480 /dev/zero | tr '\0' 'x' > "$tmp/www/20KB.html"
port=$(free_port)
"$BUILD_DIR/benches/load/static_server" --root "$tmp/www" --listen "127.0.0.1:$port" --cores 1 > /dev/null &
server=$!
pids+=($server)
wait_port "$port"
rss_before=$(awk '/^VmRSS:/ {print $2}' "/proc/$server/status")
mkfifo "$tmp/hold"
"$BUILD_DIR/benches/load/idle_conns_client" 127.0.0.1 "$port" "$N" /20KB.html < "$tmp/hold" > "$tmp/client.out" &
pids+=($!)
exec 9> "$tmp/hold"   # keeps the client's stdin open until we exit
for ((i = 0; i < 600; i++)); do
  grep -q '^open' "$tmp/client.out" 2>/dev/null && break
  sleep 0.1
done
grep -q '^open' "$tmp/client.out" || { echo "client did not open $N connections" >&2; exit 1; }
sleep 1
rss_kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$server/status")
conns=$(ls "/proc/$server/fd" | wc -l)
echo "server rss before: $((rss_before / 1024)) MB; with $N idle connections: $((rss_kb / 1024)) MB; open fds: $conns"
awk -v n="$N" -v kb="$rss_kb" 'BEGIN {printf "idle-conns: connections=%d rss_mb=%.1f\n", n, kb/1024}'
