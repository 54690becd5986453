#!/usr/bin/env bash
# Cache-hit serving: our static server (runtime + HTTP server; MODE=auto: files sent with
# sendfile(2), see static_server.cc) vs nginx-light with an equivalent config (sendfile on):
# same 20 KB / 100 KB files, keep-alive, one worker each, both pinned to the same core, wrk
# on the other core, 64 connections, 10 s runs alternating between the two servers.
# RUNS (default 5) alternating runs per size; the ratios are of the medians. On a shared
# 2-vCPU VM single 10 s runs of the same server vary by up to ±30 %, so more than three
# runs per invocation keep one noisy run from deciding the ratio.
set -euo pipefail
source "$(dirname "$0")/common.bash"
need nginx wrk taskset python3
need_built benches/load/static_server
DURATION=${DURATION:-10}
RUNS=${RUNS:-5}
CONNS=${CONNS:-64}
MODE=${MODE:-auto}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}

tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

mkdir -p "$tmp/www" "$tmp/nginx"
chmod 755 "$tmp" "$tmp/www"  # nginx workers run as an unprivileged user
python3 - "$tmp/www" <<'PY'
import sys, random
random.seed(42)
words = "render crawler cache edge gateway chromium page index search bot html body content fast".split()
for name, size in (("20KB.html", 20 * 1024), ("100KB.html", 100 * 1024)):
    parts = ["<!DOCTYPE html><html><head><title>bench</title></head><body>"]
    n = len(parts[0])
    while n < size - 20:
        w = "<p>" + " ".join(random.choice(words) for _ in range(12)) + "</p>\n"
        parts.append(w); n += len(w)
    s = "".join(parts)[: size - 14] + "</body></html>"
    open(f"{sys.argv[1]}/{name}", "w").write(s.ljust(size)[:size])
PY

nginx_port=$(free_port)
ours_port=$(free_port)
cat > "$tmp/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 60s;
  keepalive_requests 100000000;
  open_file_cache max=64 inactive=60s;
  default_type text/html;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  server {
    listen 127.0.0.1:$nginx_port;
    root $tmp/www;
  }
}
CONF
taskset -c "$SERVER_CPU" nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx" -e "$tmp/nginx/error.log" &
pids+=($!)
taskset -c "$SERVER_CPU" "$BUILD_DIR/benches/load/static_server" --root "$tmp/www" \
  --listen "127.0.0.1:$ours_port" --cores 1 --mode "$MODE" > "$tmp/ours.out" &
pids+=($!)
wait_port "$nginx_port"
wait_port "$ours_port"

# Same bytes from both?
for f in 20KB 100KB; do
  a=$(curl -s "http://127.0.0.1:$nginx_port/$f.html" | sha256sum)
  b=$(curl -s "http://127.0.0.1:$ours_port/$f.html" | sha256sum)
  [[ "$a" == "$b" ]] || { echo "bodies differ for $f" >&2; exit 1; }
done

run_wrk() {  # run_wrk PORT FILE -> "rps p99_us"
  local out
  out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$1/$2.html")
  local rps p99
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out" | to_us)
  echo "$rps $p99"
}

printf "%-6s %-5s %-6s %14s %12s\n" size run server req/s p99_us
declare -A R P
for f in 20KB 100KB; do
  # warm-up both
  taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d2s "http://127.0.0.1:$nginx_port/$f.html" >/dev/null
  taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d2s "http://127.0.0.1:$ours_port/$f.html" >/dev/null
  for ((i = 1; i <= RUNS; i++)); do
    order="nginx ours"
    (( i % 2 == 0 )) && order="ours nginx"
    for who in $order; do
      port=$nginx_port; [[ $who == ours ]] && port=$ours_port
      read -r rps p99 < <(run_wrk "$port" "$f")
      printf "%-6s %-5s %-6s %14.0f %12.0f\n" "$f" "$i" "$who" "$rps" "$p99"
      R[$f,$who]+="$rps "
      P[$f,$who]+="$p99 "
    done
  done
done
line="static:"
sep=""
for f in 20KB 100KB; do
  med() { tr ' ' '\n' <<<"$1" | grep -v '^$' | median; }
  rn=$(med "${R[$f,nginx]}"); ro=$(med "${R[$f,ours]}")
  pn=$(med "${P[$f,nginx]}"); po=$(med "${P[$f,ours]}")
  ratio=$(awk -v a="$ro" -v b="$rn" 'BEGIN {printf "%.2f", a/b}')
  pratio=$(awk -v a="$po" -v b="$pn" 'BEGIN {printf "%.2f", a/b}')
  printf "median %-6s nginx %.0f req/s p99 %.0fus | ours %.0f req/s p99 %.0fus\n" "$f" "$rn" "$pn" "$ro" "$po"
  line+="$sep $f ratio=$ratio p99_ratio=$pratio"
  sep=";"
done
echo "$line"
