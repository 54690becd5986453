#!/usr/bin/env bash
# Render throughput and memory: our render-service vs the prerender npm package, same
# Chromium binary and flags, same fixture pages, concurrency 1 and 4, alternating.
# Prints renders/s, p50/p95 and summed PSS (process trees), then
#   render: throughput_ratio=R memory_ratio=M      (ours / prerender)
# R = geometric mean over the two concurrency levels; M = peak PSS ours / peak PSS prerender.
set -euo pipefail
source "$(dirname "$0")/common.bash"
here=$(cd "$(dirname "$0")" && pwd)
need python3 node npm redis-server
need_built renderer/render-service benches/load/static_server
CHROME_BIN=${CHROME_BIN:-/usr/lib/chromium/chromium-headless-shell}
[[ -x "$CHROME_BIN" ]] || { echo "missing $CHROME_BIN (apt-get install chromium-headless-shell)" >&2; exit 3; }
DURATION=${DURATION:-20}
POOL=${POOL:-4}
# The flags our engine always passes (DEVELOPERS.md); prerender gets the same.
BASE_FLAGS="--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync"

tmp=$(mktemp -d)
pids=()
cleanup() {
  # Each server runs in its own session (setsid): killing the process group also takes
  # the Chromium that prerender's node process spawned, which would otherwise be orphaned.
  for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# ---- fixture site: client-rendered pages (each writes the marker only from JavaScript)
mkdir -p "$tmp/site"
python3 - "$tmp/site" <<'PY'
import json, sys
d = sys.argv[1]
items = "".join(f"<li>item {i}</li>" for i in range(40))
json.dump({"title": "From the API", "items": [f"row {i}" for i in range(30)]}, open(f"{d}/data.json", "w"))
head = "<!DOCTYPE html><html><head><meta charset='utf-8'><title>{t}</title><style>body{{font:16px sans-serif}}</style></head><body><div id='app'>loading…</div>"
pages = {
 "spa.html": head.format(t="SPA") + """<script>
  const app = document.getElementById('app');
  let html = '<h1 class="rendered-by-js">Client-rendered</h1><ul>';
  for (let i = 0; i < 200; i++) html += '<li>entry ' + i + '</li>';
  app.innerHTML = html + '</ul>';
</script></body></html>""",
 "xhr.html": head.format(t="XHR") + """<script>
  fetch('/data.json').then(r => r.json()).then(d => {
    document.getElementById('app').innerHTML = '<h1 class="rendered-by-js">' + d.title + '</h1><ul>' +
      d.items.map(x => '<li>' + x + '</li>').join('') + '</ul>';
  });
</script></body></html>""",
 "delayed.html": head.format(t="Delayed") + """<script>
  setTimeout(() => { document.getElementById('app').innerHTML = '<p class="rendered-by-js">late content</p>'; }, 200);
</script></body></html>""",
 "article.html": head.format(t="Article") + "<article><h1>Static article</h1><ul>" + items + "</ul></article>" +
   """<script>document.getElementById('app').innerHTML = '<nav class="rendered-by-js">menu</nav>';</script></body></html>""",
}
for name, html in pages.items():
    open(f"{d}/{name}", "w").write(html)
PY
site_port=$(free_port)
"$BUILD_DIR/benches/load/static_server" --root "$tmp/site" --listen "127.0.0.1:$site_port" --mode memory >/dev/null &
pids+=($!)
wait_port "$site_port"
site="http://127.0.0.1:$site_port"
urls=("$site/spa.html" "$site/xhr.html" "$site/delayed.html" "$site/article.html")

# ---- redis for the render service's registry
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" >/dev/null &
pids+=($!)
wait_port "$redis_port"

# ---- ours
rs_port=$(free_port)
cat > "$tmp/render-service.yaml" <<YAML
server:
  id: "bench-rs"
  listen: "127.0.0.1:$rs_port"
redis:
  addr: "127.0.0.1:$redis_port"
chrome:
  binary: "$CHROME_BIN"
  pool_size: $POOL
  warmup:
    url: "$site/article.html"
    timeout: 10s
  restart:
    after_count: 100000
    after_time: 24h
  render:
    max_timeout: 30s
log:
  level: "warn"
metrics:
  enabled: false
YAML
setsid "$BUILD_DIR/renderer/render-service" -c "$tmp/render-service.yaml" > "$tmp/rs.log" 2>&1 &
ours_pid=$!
pids+=($ours_pid)
for ((i = 0; i < 300; i++)); do
  curl -fs "http://127.0.0.1:$rs_port/health" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "http://127.0.0.1:$rs_port/health" >/dev/null || { echo "render-service did not become healthy:" >&2; tail -20 "$tmp/rs.log" >&2; exit 1; }

# ---- prerender (npm registry install into the temp dir)
mkdir -p "$tmp/prerender"
(cd "$tmp/prerender" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent prerender >/dev/null 2>&1) ||
  { echo "npm install prerender failed" >&2; exit 3; }
cp "$here/prerender_server.js" "$tmp/prerender/"
pr_port=$(free_port)
pr_debug=$(free_port)
(cd "$tmp/prerender" && PRERENDER_PORT=$pr_port PRERENDER_DEBUG_PORT=$pr_debug CHROME_BIN="$CHROME_BIN" \
  CHROME_FLAGS="$BASE_FLAGS --user-data-dir=$tmp/prerender-profile" exec setsid node prerender_server.js > "$tmp/pr.log" 2>&1) &
pr_pid=$!
pids+=($pr_pid)
wait_port "$pr_port" 30

# Sanity: both produce the client-rendered marker.
python3 "$here/render_driver.py" ours "http://127.0.0.1:$rs_port" 1 1 "${urls[0]}" >/dev/null
python3 "$here/render_driver.py" prerender "http://127.0.0.1:$pr_port" 1 1 "${urls[0]}" >/dev/null

sample_pss() {  # sample_pss PID OUTFILE — peak PSS kB while the file "$OUTFILE.run" exists
  local peak=0 v
  while [[ -e "$2.run" ]]; do
    v=$("$here/pss_tree" "$1" 2>/dev/null || echo 0)
    (( v > peak )) && peak=$v
    sleep 0.5
  done
  echo "$peak" > "$2"
}

printf "%-10s %-4s %10s %8s %8s %8s %10s\n" side conc renders/s p50_ms p95_ms errors pss_mb
declare -A RPS PSS
for c in 1 4; do
  order="prerender ours"
  [[ $c == 4 ]] && order="ours prerender"
  for who in $order; do
    if [[ $who == ours ]]; then base="http://127.0.0.1:$rs_port"; pid=$ours_pid; else base="http://127.0.0.1:$pr_port"; pid=$pr_pid; fi
    touch "$tmp/pss.$who.$c.run"
    sample_pss "$pid" "$tmp/pss.$who.$c" &
    res=$(python3 "$here/render_driver.py" "$who" "$base" "$c" "$DURATION" "${urls[@]}")
    rm -f "$tmp/pss.$who.$c.run"
    wait $!
    peak=$(cat "$tmp/pss.$who.$c")
    read -r rps p50 p95 errs first <<<"$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["renders_per_s"], d["p50_ms"], d["p95_ms"], d["errors"], (d["first_error"] or "-").replace(" ","_"))' "$res")"
    printf "%-10s %-4s %10.2f %8.0f %8.0f %8s %10.1f\n" "$who" "$c" "$rps" "$p50" "$p95" "$errs" "$(awk -v k="$peak" 'BEGIN{print k/1024}')"
    [[ "$errs" != 0 ]] && echo "  first error ($who): $first"
    RPS[$who,$c]=$rps
    PSS[$who,$c]=$peak
  done
done
r=$(awk -v a1="${RPS[ours,1]}" -v b1="${RPS[prerender,1]}" -v a4="${RPS[ours,4]}" -v b4="${RPS[prerender,4]}" \
  'BEGIN { if (b1 <= 0 || b4 <= 0) {print "inf"} else printf "%.2f", sqrt((a1/b1) * (a4/b4)) }')
mo=${PSS[ours,4]}; (( ${PSS[ours,1]} > mo )) && mo=${PSS[ours,1]}
mp=${PSS[prerender,4]}; (( ${PSS[prerender,1]} > mp )) && mp=${PSS[prerender,1]}
m=$(awk -v a="$mo" -v b="$mp" 'BEGIN { if (b <= 0) print "inf"; else printf "%.2f", a/b }')
echo "render: throughput_ratio=$r memory_ratio=$m"
