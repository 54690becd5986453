# Shared helpers for benches/load/*.sh (sourced, not run).
BUILD_DIR=${BUILD_DIR:-build}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac

need() {
  for b in "$@"; do
    command -v "$b" >/dev/null 2>&1 || { echo "missing '$b': install it (see README: scripts/install-deps)" >&2; exit 3; }
  done
}
need_built() {
  for f in "$@"; do
    [[ -x "$BUILD_DIR/$f" ]] || { echo "missing $BUILD_DIR/$f: build first (meson setup build && ninja -C build)" >&2; exit 3; }
  done
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
wait_port() {  # wait_port PORT [seconds]
  local p=$1 t=${2:-10} i
  for ((i = 0; i < t * 20; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "nothing listens on 127.0.0.1:$p after ${t}s" >&2
  return 1
}
# median of numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print 0} else if (NR%2) {print a[(NR+1)/2]} else {print (a[NR/2]+a[NR/2+1])/2}}'; }
# wrk latency value ("1.23ms", "850.00us", "1.2s") -> microseconds
to_us() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); print v+0} else if (v ~ /ms$/) {sub(/ms$/,"",v); print v*1000} else if (v ~ /s$/) {sub(/s$/,"",v); print v*1000000} else print v}'; }
