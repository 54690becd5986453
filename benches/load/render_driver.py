#!/usr/bin/env python3
"""Drives a renderer at a fixed concurrency and prints one JSON line of results.

  render_driver.py ours|prerender BASE_URL CONCURRENCY DURATION_S URL [URL...]

ours:      POST BASE_URL/render with the gateway's JSON request (wait_for networkIdle)
prerender: GET  BASE_URL/render?url=...
A render counts when it answers 200 and the HTML contains the page's client-rendered
marker ("rendered-by-js"), so both sides are held to the same result.
"""
import http.client, json, sys, threading, time, urllib.parse, uuid

kind, base, conc, duration = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
urls = sys.argv[5:]
u = urllib.parse.urlparse(base)
lat, errors, lock = [], [], threading.Lock()
stop_at = time.monotonic() + duration


def one(conn, url):
    if kind == "ours":
        body = json.dumps({
            "request_id": str(uuid.uuid4()), "url": url, "viewport_width": 1280, "viewport_height": 800,
            "user_agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "timeout": 20_000_000_000, "wait_for": "networkIdle", "extra_wait": 0, "strip_scripts": True,
        })
        conn.request("POST", "/render", body, {"Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        if r.status != 200 or len(data) < 4:
            return False, f"status {r.status}: {data[:200]!r}"
        n = int.from_bytes(data[:4], "big")
        meta = json.loads(data[4:4 + n])
        html = data[4 + n:]
        if not meta.get("success"):
            return False, f"render failed: {meta.get('error_type')} {meta.get('error')}"
    else:
        conn.request("GET", "/render?url=" + urllib.parse.quote(url, safe=""))
        r = conn.getresponse()
        html = r.read()
        if r.status != 200:
            return False, f"status {r.status}"
    if b"rendered-by-js" not in html:
        return False, "client-rendered content missing"
    return True, ""


def worker(i):
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    k = i
    while time.monotonic() < stop_at:
        url = urls[k % len(urls)]
        k += 1
        t0 = time.monotonic()
        try:
            ok, why = one(conn, url)
        except Exception as e:  # connection reset etc.
            ok, why = False, repr(e)
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        dt = time.monotonic() - t0
        with lock:
            (lat.append(dt) if ok else errors.append(why))


t_start = time.monotonic()
threads = [threading.Thread(target=worker, args=(i,)) for i in range(conc)]
for t in threads:
    t.start()
for t in threads:
    t.join()
wall = time.monotonic() - t_start
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else 0
print(json.dumps({"kind": kind, "concurrency": conc, "renders": len(lat), "errors": len(errors),
                  "first_error": errors[0] if errors else "", "renders_per_s": len(lat) / wall,
                  "p50_ms": pct(0.50), "p95_ms": pct(0.95)}))
