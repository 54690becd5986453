// Measurements behind the engine's defaults (docs/renderer.md), not tests: disabled, run
// them by hand on an otherwise idle machine, preferably from a release build:
//
//   build-eng-rel/tests/integration/renderer/renderer_engine_tests \
//       --gtest_also_run_disabled_tests --gtest_filter='Measure.*'
//
// EC_MEASURE_RENDERS (default 120), EC_MEASURE_POOLS (default "4,8"), EC_MEASURE_PROCESSES
// (default "1,2,4,8"), EC_MEASURE_WAIT_FOR (default load) and EC_MEASURE_FLAGS (extra Chromium
// flags, space-separated) tune the runs; EC_CHROME_BINARY may point at a wrapper script that
// edits the flags and execs Chromium. "chrome ms/r" is the CPU of the whole Chromium tree.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "chrome_engine.h"
#include "engine_test_support.h"
#include "runtime/time.h"
#include "runtime/when_all.h"
#include "support/fixture_site.h"

namespace ec::rs::test {
namespace {

using ec::test::FixtureSite;

int env_int(const char* name, int def) {
    const char* v = getenv(name);  // NOLINT(concurrency-mt-unsafe)
    return v && *v ? atoi(v) : def;
}

std::vector<int> env_list(const char* name, const std::string& def) {
    const char* v = getenv(name);  // NOLINT(concurrency-mt-unsafe)
    std::stringstream ss(v && *v ? v : def);
    std::vector<int> out;
    std::string item;
    while (std::getline(ss, item, ','))
        out.push_back(std::stoi(item));
    return out;
}

double thread_cpu_ms() {
    rusage ru{};
    getrusage(RUSAGE_THREAD, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000.0 +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000.0;
}

// Proportional set size of every process in `pids`' groups, in MiB.
double pss_mib(const ChromiumWatch& w) {
    double kib = 0;
    for (pid_t p : w.live()) {
        FILE* f = fopen(("/proc/" + std::to_string(p) + "/smaps_rollup").c_str(), "r");
        if (!f) continue;
        char line[256];
        while (fgets(line, sizeof line, f)) {
            long v = 0;
            if (sscanf(line, "Pss: %ld kB", &v) == 1) kib += static_cast<double>(v);
        }
        fclose(f);
    }
    return kib / 1024.0;
}

// CPU time of every process of the watched groups, including their reaped children
// (renderers are reaped by the zygote, whose cutime then holds them), in ms.
double tree_cpu_ms(const ChromiumWatch& w) {
    const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
    double ticks = 0;
    for (pid_t p : w.live()) {
        FILE* f = fopen(("/proc/" + std::to_string(p) + "/stat").c_str(), "r");
        if (!f) continue;
        char buf[1024];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        const char* rp = strrchr(buf, ')');
        if (!rp) continue;
        // Fields after the comm: state(3) ... utime(14) stime(15) cutime(16) cstime(17).
        unsigned long ut = 0, st = 0;
        long cut = 0, cst = 0;
        if (sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %ld %ld", &ut, &st, &cut,
                   &cst) == 4)
            ticks += static_cast<double>(ut + st) + static_cast<double>(cut + cst);
    }
    return ticks * 1000.0 / tick;
}

// A small client-rendered page: markup built by JS, one delayed XHR, a stylesheet and
// an image, like the bench's fixture.
void add_pages(FixtureSite& site) {
    site.page("/style.css",
              "body{font-family:sans-serif} .card{margin:4px;padding:8px;border:1px solid #ccc}",
              {.content_type = "text/css"});
    site.page("/pic.svg", "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>",
              {.content_type = "image/svg+xml"});
    site.page("/api/products",
              R"([{"n":"alpha","p":1},{"n":"beta","p":2},{"n":"gamma","p":3},{"n":"delta","p":4}])",
              {.content_type = "application/json", .delay_ms = 30});
    std::string html =
        R"(<!doctype html><html><head><title>Shop</title><link rel=stylesheet href="/style.css">
<meta name="description" content="fixture shop"></head><body><h1>Products</h1><div id=app></div><img src="/pic.svg">
<script>
const app = document.getElementById('app');
for (let i = 0; i < 200; i++) { const d = document.createElement('div'); d.className = 'card';
  d.textContent = 'Item ' + i; app.appendChild(d); }
fetch('/api/products').then(r => r.json()).then(ps => { for (const p of ps) {
  const e = document.createElement('h2'); e.textContent = p.n + ' ' + p.p; app.appendChild(e); } });
</script></body></html>)";
    site.page("/shop", html);
}

struct LayoutRun {
    double renders_per_s = 0, our_cpu_ms_per_render = 0, chrome_cpu_ms_per_render = 0, pss_peak_mib = 0,
           pss_idle_mib = 0, p50_ms = 0;
    int failures = 0;
};

LayoutRun measure(int pool, int processes, int renders, const std::string& wait_for, FixtureSite& site) {
    TempDir dir;
    ChromiumWatch watch(tag_environment());
    EngineOptions o = test_options(dir.path);
    o.pool_size = pool;
    o.processes = processes;
    o.max_timeout_ms = 30'000;
    o.restart_after_count = 100'000;
    if (const char* f = getenv("EC_MEASURE_FLAGS")) {  // NOLINT(concurrency-mt-unsafe)
        std::stringstream ss(f);
        std::string flag;
        while (ss >> flag)
            o.extra_flags.push_back(flag);
    }
    LayoutRun run;
    with_engine(o, [&](ChromeEngine& e) -> rt::Task<void> {
        co_await rt::sleep_for(rt::Millis(500));
        run.pss_idle_mib = pss_mib(watch);
        // Warm-up: one render per slot.
        {
            std::vector<rt::Task<RenderResult>> warm;
            for (int i = 0; i < pool; ++i) {
                RenderRequest q = request(site.url("/shop"));
                q.wait_for = wait_for;
                warm.push_back(e.render(q, {}));
            }
            co_await rt::when_all(std::move(warm));
        }
        int next = 0;
        double excluded_cpu = 0;
        std::vector<int64_t> lat;
        const double cpu0 = thread_cpu_ms();
        const double tree0 = tree_cpu_ms(watch);
        const int64_t t0 = mono_ms();
        auto worker = [&]() -> rt::Task<void> {
            while (next < renders) {
                ++next;
                RenderRequest q = request(site.url("/shop"));
                q.wait_for = wait_for;
                const int64_t s = mono_ms();
                RenderResult r = co_await e.render(q, {});
                lat.push_back(mono_ms() - s);
                if (!r.success) ++run.failures;
                if (next % 10 == 0) {
                    // Reading smaps_rollup is costly kernel work on this thread: not ours.
                    const double c0 = thread_cpu_ms();
                    run.pss_peak_mib = std::max(run.pss_peak_mib, pss_mib(watch));
                    excluded_cpu += thread_cpu_ms() - c0;
                }
            }
        };
        std::vector<rt::Task<void>> ws;
        for (int i = 0; i < pool; ++i)
            ws.push_back(worker());
        co_await rt::when_all(std::move(ws));
        const int64_t took = mono_ms() - t0;
        run.our_cpu_ms_per_render = (thread_cpu_ms() - cpu0 - excluded_cpu) / renders;
        run.chrome_cpu_ms_per_render = (tree_cpu_ms(watch) - tree0) / renders;
        run.renders_per_s = renders * 1000.0 / static_cast<double>(took);
        std::sort(lat.begin(), lat.end());
        run.p50_ms = static_cast<double>(lat[lat.size() / 2]);
    });
    return run;
}

TEST(Measure, DISABLED_ThroughputAndMemoryByProcessLayout) {
    EC_REQUIRE_CHROMIUM();
    FixtureSite site;
    add_pages(site);
    const int renders = env_int("EC_MEASURE_RENDERS", 120);
    const char* wf = getenv("EC_MEASURE_WAIT_FOR");  // NOLINT(concurrency-mt-unsafe)
    const std::string wait_for = wf && *wf ? wf : "load";
    std::printf(
        "wait_for=%s renders=%d (CPU ms per render: ours = this thread, chrome = the whole Chromium tree; "
        "PSS of that tree)\n",
        wait_for.c_str(), renders);
    std::printf("%5s %9s %9s %8s %9s %12s %11s %11s %6s\n", "pool", "processes", "renders/s", "p50 ms",
                "our ms/r", "chrome ms/r", "pss idle MB", "pss peak MB", "fails");
    for (int pool : env_list("EC_MEASURE_POOLS", "4,8")) {
        for (int k : env_list("EC_MEASURE_PROCESSES", "1,2,4,8")) {
            if (k > pool) continue;
            LayoutRun r = measure(pool, k, renders, wait_for, site);
            std::printf("%5d %9d %9.1f %8.0f %9.2f %12.0f %11.0f %11.0f %6d\n", pool, k, r.renders_per_s,
                        r.p50_ms, r.our_cpu_ms_per_render, r.chrome_cpu_ms_per_render, r.pss_idle_mib,
                        r.pss_peak_mib, r.failures);
            std::fflush(stdout);
        }
    }
}

}  // namespace
}  // namespace ec::rs::test
