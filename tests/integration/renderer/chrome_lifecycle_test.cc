// Process lifecycle of the render engine against real Chromium: crashes mid-render,
// restarts by count/age/RSS, the hard-timeout bound, cancellation, shutdown, and no
// zombie or orphan Chromium process ever left behind (also after kill -9 of the service).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "chrome_engine.h"
#include "chrome_process.h"
#include "engine_test_support.h"
#include "runtime/gate.h"
#include "runtime/process.h"
#include "runtime/time.h"
#include "runtime/when_all.h"
#include "support/fixture_site.h"

namespace ec::rs::test {
namespace {

using ec::test::FixtureSite;

std::string describe(const RenderResult& r) {
    return "success=" + std::to_string(r.success) + " error_type=" + r.error_type + " error=" + r.error +
           " status=" + std::to_string(r.metrics.status_code);
}

// Waits (on the reactor) until `pred` holds or `ms` pass.
template <class Pred>
rt::Task<bool> eventually(Pred pred, int ms) {
    const int64_t end = mono_ms() + ms;
    while (mono_ms() < end) {
        if (pred()) co_return true;
        co_await rt::sleep_for(rt::Millis(20));
    }
    co_return pred();
}

bool dir_exists(const std::string& p) {
    return access(p.c_str(), F_OK) == 0;
}

// Common tail of every test: nothing of ours survives, nothing is left unreaped.
void expect_nothing_left(const ChromiumWatch& watch, const std::string& root) {
    EXPECT_GE(watch.groups_seen(), 1u) << "the watch saw no browser at all";
    EXPECT_TRUE(watch.none_within(5000)) << "Chromium processes survived: " << watch.live().size();
    EXPECT_TRUE(zombie_children().empty()) << "zombie children: " << zombie_children().size();
    EXPECT_TRUE(list_dir(root).empty()) << "user-data dirs left in " << root;
}

TEST(EngineLifecycle, BrowserCrashMidRenderFailsFastAndIsReplaced) {
    EC_REQUIRE_CHROMIUM();
    FixtureSite site;
    site.hang("/hang");
    site.page("/ok", "<html><body>fine</body></html>");
    TempDir dir;
    ChromiumWatch watch(tag_environment());
    with_engine(test_options(dir.path), [&](ChromeEngine& e) -> rt::Task<void> {
        auto pids = e.browser_pids();
        EXPECT_EQ(pids.size(), 1u);
        const auto old_dirs = e.user_data_dirs();
        RenderResult res;
        int64_t done_at = 0;
        auto runner = [&]() -> rt::Task<void> {
            RenderRequest q = request(site.url("/hang"));
            res = co_await e.render(q, {});
            done_at = mono_ms();
        };
        rt::Gate g;
        rt::spawn(g, runner());
        co_await rt::sleep_for(rt::Millis(700));
        const int64_t killed_at = mono_ms();
        ::kill(pids.at(0), SIGKILL);
        co_await g.close();
        EXPECT_FALSE(res.success);
        EXPECT_EQ(res.error_type, "chrome_crash") << describe(res);
        EXPECT_EQ(res.service_status, 503);
        EXPECT_LT(done_at - killed_at, 1000) << "a crash fails its renders at once";
        ::testing::Test::RecordProperty("crash_to_result_ms", static_cast<int>(done_at - killed_at));

        EXPECT_TRUE(co_await eventually([&] { return e.stats().available > 0; }, 10'000))
            << "replacement ready";
        RenderResult ok = co_await e.render(request(site.url("/ok")), {});
        EXPECT_TRUE(ok.success) << describe(ok);
        EXPECT_NE(e.browser_pids(), pids);
        EngineStats s = e.stats();
        EXPECT_EQ(s.crashes_total, 1u);
        EXPECT_EQ(s.processes, 1);
        EXPECT_TRUE(co_await eventually([&] { return !dir_exists(old_dirs.at(0)); }, 3000))
            << "the dead browser's user-data dir is removed";
    });
    expect_nothing_left(watch, dir.path);
}

TEST(EngineLifecycle, RendererCrashFailsOnlyThatRender) {
    EC_REQUIRE_CHROMIUM();
    FixtureSite site;
    site.hang("/pending");
    site.page("/busy", "<html><body>busy<script>fetch('/pending')</script></body></html>");
    site.page("/ok", "<html><body>fine</body></html>");
    TempDir dir;
    ChromiumWatch watch(tag_environment());
    with_engine(test_options(dir.path), [&](ChromeEngine& e) -> rt::Task<void> {
        RenderResult res;
        auto runner = [&]() -> rt::Task<void> {
            RenderRequest q = request(site.url("/busy"));
            q.wait_for = "networkIdle";
            res = co_await e.render(q, {});
        };
        rt::Gate g;
        rt::spawn(g, runner());
        std::vector<pid_t> renderers;
        const pid_t browser = e.browser_pids().at(0);
        EXPECT_TRUE(co_await eventually(
            [&] { return !group_processes_with_arg(browser, "--type=renderer").empty(); }, 5000));
        // By now the page is loaded and waiting for /pending, in a renderer of its own or
        // in a spare page's: every renderer of the browser goes (spares included).
        co_await rt::sleep_for(rt::Millis(300));
        renderers = group_processes_with_arg(browser, "--type=renderer");
        for (pid_t p : renderers)
            ::kill(p, SIGKILL);
        co_await g.close();
        EXPECT_FALSE(res.success);
        EXPECT_EQ(res.error_type, "chrome_crash") << describe(res);
        EXPECT_EQ(res.service_status, 200) << "the browser is fine: a page-level failure";
        RenderResult ok = co_await e.render(request(site.url("/ok")), {});
        EXPECT_TRUE(ok.success) << describe(ok);
        EXPECT_EQ(e.stats().crashes_total, 0u);
    });
    expect_nothing_left(watch, dir.path);
}

// A browser whose zygotes died cannot start renderers: pages never answer. The render
// fails within the page set-up bound and the browser is replaced, instead of every later
// render running into the hard timeout.
TEST(EngineLifecycle, BrowserWithoutZygotesIsReplaced) {
    EC_REQUIRE_CHROMIUM();
    FixtureSite site;
    site.page("/ok", "<html><body>fine</body></html>");
    TempDir dir;
    ChromiumWatch watch(tag_environment());
    EngineOptions o = test_options(dir.path);
    o.max_timeout_ms = 20'000;
    with_engine(o, [&](ChromeEngine& e) -> rt::Task<void> {
        const pid_t browser = e.browser_pids().at(0);
        const auto zygotes = child_processes_with_arg(browser, "--type=zygote");
        EXPECT_EQ(zygotes.size(), 2u);
        for (pid_t z : zygotes)
            ::kill(z, SIGKILL);
        co_await rt::sleep_for(rt::Millis(300));
        // A renderer Chromium had already forked (a spare) may still serve one page.
        bool failed = false;
        for (int i = 0; i < 3 && !failed; ++i) {
            const int64_t t0 = mono_ms();
            RenderResult r = co_await e.render(request(site.url("/ok")), {});
            if (r.success) continue;
            failed = true;
            EXPECT_EQ(r.error_type, "chrome_crash") << describe(r);
            EXPECT_LT(mono_ms() - t0, 10'000) << "bounded by the page set-up limit, not max_timeout";
        }
        EXPECT_TRUE(failed) << "a browser without zygotes starts no page";
        EXPECT_TRUE(co_await eventually(
            [&] { return e.stats().available > 0 && e.browser_pids() != std::vector<pid_t>{browser}; },
            10'000));
        RenderResult ok = co_await e.render(request(site.url("/ok")), {});
        EXPECT_TRUE(ok.success) << describe(ok);
    });
    expect_nothing_left(watch, dir.path);
}

TEST(EngineLifecycle, RestartsByRenderCountInTheBackground) {
    EC_REQUIRE_CHROMIUM();
    FixtureSite site;
    site.page("/ok", "<html><body>fine</body></html>");
    TempDir dir;
    ChromiumWatch watch(tag_environment());
    EngineOptions o = test_options(dir.path);
    o.restart_after_count = 3;
    with_engine(o, [&](ChromeEngine& e) -> rt::Task<void> {
        std::vector<pid_t> seen = e.browser_pids();
        for (int i = 0; i < 9; ++i) {
            RenderResult r = co_await e.render(request(site.url("/ok")), {});
            EXPECT_TRUE(r.success) << i << ": " << describe(r);
            for (pid_t p : e.browser_pids())
                if (std::find(seen.begin(), seen.end(), p) == seen.end()) seen.push_back(p);
        }
        EXPECT_TRUE(co_await eventually([&] { return e.stats().restarts_total >= 2; }, 10'000));
        EXPECT_GE(seen.size(), 3u) << "new browsers took over";
        EXPECT_TRUE(co_await eventually([&] { return e.stats().processes == 1; }, 5000))
            << "old ones are gone";
        EXPECT_TRUE(co_await eventually([&] { return list_dir(dir.path).size() <= 2; }, 5000));
        EXPECT_EQ(e.stats().crashes_total, 0u);
    });
    expect_nothing_left(watch, dir.path);
}

TEST(EngineLifecycle, RestartsByAgeAndMemory) {
    EC_REQUIRE_CHROMIUM();
    TempDir dir;
    ChromiumWatch watch(tag_environment());
    EngineOptions o = test_options(dir.path);
    o.restart_after_time_ms = 1500;
    with_engine(o, [&](ChromeEngine& e) -> rt::Task<void> {
        EXPECT_TRUE(co_await eventually([&] { return e.stats().restarts_total >= 1; }, 6000)) << "age";
    });
    EngineOptions m = test_options(dir.path);
    m.restart_max_rss_bytes = 1;  // any browser is over it
    with_engine(m, [&](ChromeEngine& e) -> rt::Task<void> {
        EXPECT_TRUE(co_await eventually([&] { return e.stats().restarts_total >= 1; }, 9000)) << "rss";
        EXPECT_GT(e.stats().available, 0);
    });
    expect_nothing_left(watch, dir.path);
}

TEST(EngineLifecycle, HardTimeoutIsNeverExceededByMoreThanOneSecond) {
    EC_REQUIRE_CHROMIUM();
    FixtureSite site;
    site.hang("/never");
    site.page("/spin",
              "<html><body><p>before the loop</p><script>while (true) {}</script><p>after</p></body></html>");
    site.page("/spin-later",
              "<html><body><p>loaded</p><script>setTimeout(() => { while (true) {} }, 50);"
              "fetch('/never');</script></body></html>");
    TempDir dir;
    ChromiumWatch watch(tag_environment());
    EngineOptions o = test_options(dir.path);
    o.max_timeout_ms = 3000;
    with_engine(o, [&](ChromeEngine& e) -> rt::Task<void> {
        auto timed = [&](RenderRequest q, int64_t& took) -> rt::Task<RenderResult> {
            const int64_t t0 = mono_ms();
            RenderResult r = co_await e.render(std::move(q), {});
            took = mono_ms() - t0;
            co_return r;
        };
        int64_t took = 0;
        // A main document that never answers, the soft timeout capped at max_timeout.
        RenderRequest q = request(site.url("/never"));
        q.timeout_ns = 20'000'000'000;
        RenderResult r = co_await timed(q, took);
        EXPECT_EQ(r.error_type, "hard_timeout") << describe(r);
        EXPECT_EQ(r.service_status, 504);
        EXPECT_GE(took, 2900);
        EXPECT_LE(took, 4000);

        // A renderer stuck in the page's own JS.
        RenderRequest spin = request(site.url("/spin"));
        spin.timeout_ns = 20'000'000'000;
        r = co_await timed(spin, took);
        EXPECT_EQ(r.error_type, "hard_timeout") << describe(r);
        EXPECT_LE(took, 4000);

        // Stuck after load with a soft timeout before the hard one: the page's JS is
        // interrupted and the HTML captured.
        RenderRequest later = request(site.url("/spin-later"));
        later.wait_for = "networkIdle";
        later.timeout_ns = 800'000'000;
        r = co_await timed(later, took);
        EXPECT_TRUE(r.success) << describe(r);
        EXPECT_TRUE(r.metrics.timed_out);
        EXPECT_NE(r.html.find("loaded"), std::string::npos);
        EXPECT_LE(took, 4000);

        // The engine is still healthy afterwards.
        site.page("/ok", "<html><body>fine</body></html>");
        r = co_await timed(request(site.url("/ok")), took);
        EXPECT_TRUE(r.success) << describe(r);
    });
    expect_nothing_left(watch, dir.path);
}

TEST(EngineLifecycle, CancellationEndsARenderPromptly) {
    EC_REQUIRE_CHROMIUM();
    FixtureSite site;
    site.hang("/never");
    TempDir dir;
    ChromiumWatch watch(tag_environment());
    with_engine(test_options(dir.path), [&](ChromeEngine& e) -> rt::Task<void> {
        rt::CancelSource cs;
        RenderResult res;
        int64_t done_at = 0;
        auto runner = [&]() -> rt::Task<void> {
            res = co_await e.render(request(site.url("/never")), cs);
            done_at = mono_ms();
        };
        rt::Gate g;
        rt::spawn(g, runner());
        co_await rt::sleep_for(rt::Millis(400));
        const int64_t cancelled_at = mono_ms();
        cs.cancel();
        co_await g.close();
        EXPECT_EQ(res.error_type, "pool_unavailable") << describe(res);
        EXPECT_EQ(res.service_status, 503);
        EXPECT_LT(done_at - cancelled_at, 300);
    });
    expect_nothing_left(watch, dir.path);
}

TEST(EngineLifecycle, StopWaitsForRendersThenLeavesNothing) {
    EC_REQUIRE_CHROMIUM();
    FixtureSite site;
    site.page("/slow", "<html><body>slow but fine</body></html>", {.delay_ms = 700});
    TempDir dir;
    ChromiumWatch watch(tag_environment());
    rt::Reactor r;
    r.block_on([&]() -> rt::Task<void> {
        ChromeEngine e(test_options(dir.path));
        co_await e.start();
        RenderResult res;
        auto runner = [&]() -> rt::Task<void> { res = co_await e.render(request(site.url("/slow")), {}); };
        rt::Gate g;
        rt::spawn(g, runner());
        co_await rt::sleep_for(rt::Millis(100));
        // Two stops at once (the shell's signal path and its drain bound): both return.
        auto second = [&]() -> rt::Task<void> { co_await e.stop(); };
        rt::Gate sg;
        rt::spawn(sg, second());
        co_await e.stop();
        co_await sg.close();
        co_await g.close();
        EXPECT_TRUE(res.success) << describe(res);
        RenderResult after = co_await e.render(request(site.url("/slow")), {});
        EXPECT_EQ(after.error_type, "pool_unavailable");
        EXPECT_EQ(e.stats().processes, 0);
    }());
    expect_nothing_left(watch, dir.path);
}

TEST(EngineLifecycle, WarmUpVisitsTheUrlWithTheLoopPreventionHeader) {
    EC_REQUIRE_CHROMIUM();
    FixtureSite site;
    site.page("/warm", "<html><body>warm</body></html>");
    TempDir dir;
    ChromiumWatch watch(tag_environment());
    EngineOptions o = test_options(dir.path);
    o.warmup_url = site.url("/warm");
    with_engine(o, [&](ChromeEngine& e) -> rt::Task<void> {
        auto reqs = site.requests_for("/warm");
        EXPECT_EQ(reqs.size(), 1u) << "warmed up before start() returned";
        if (!reqs.empty()) {
            EXPECT_EQ(reqs[0].header("X-Edge-Render"), "rs-test");
        }
        EXPECT_GT(e.stats().available, 0);
        co_return;
    });
    // An unreachable warm-up URL is only logged (F-RS-06).
    std::vector<std::string> log;
    EngineOptions bad = test_options(dir.path, &log);
    bad.warmup_url = "http://127.0.0.1:9/unreachable";
    bad.warmup_timeout_ms = 2000;
    with_engine(bad, [&](ChromeEngine& e) -> rt::Task<void> {
        EXPECT_GT(e.stats().available, 0);
        co_return;
    });
    bool logged = false;
    for (const auto& l : log)
        logged |= l.find("warm-up failed") != std::string::npos;
    EXPECT_TRUE(logged);
    expect_nothing_left(watch, dir.path);
}

TEST(EngineLifecycle, MissingBinaryFailsStartWithAClearMessage) {
    TempDir dir;
    EngineOptions o = test_options(dir.path);
    o.chrome_binary = "/nonexistent/chromium-headless-shell";
    rt::Reactor r;
    std::string what;
    r.block_on([&]() -> rt::Task<void> {
        ChromeEngine e(o);
        try {
            co_await e.start();
        } catch (const std::exception& ex) {
            what = ex.what();
        }
        co_await e.stop();
    }());
    EXPECT_NE(what.find("/nonexistent/chromium-headless-shell"), std::string::npos) << what;
    EXPECT_TRUE(list_dir(dir.path).empty());
}

// A browser that dies while starting (seen under heavy load) does not fail the engine's start:
// the set is launched once more.
TEST(EngineLifecycle, StartLaunchesOnceMoreWhenNoBrowserCameUp) {
    EC_REQUIRE_CHROMIUM();
    std::string why;
    const std::string real = chrome_binary(&why);
    TempDir bin;
    const std::string wrapper = bin.path + "/chromium-once-broken";
    {
        // The first start exits at once (the DevTools pipe closes); later ones are the real browser.
        std::ofstream f(wrapper);
        f << "#!/bin/sh\nif [ ! -e '" << bin.path << "/tried' ]; then : > '" << bin.path
          << "/tried'; exit 1; fi\nexec '" << real << "' \"$@\"\n";
    }
    ASSERT_EQ(::chmod(wrapper.c_str(), 0755), 0);
    FixtureSite site;
    site.page("/ok", "<html><body>fine</body></html>");
    TempDir dir;
    ChromiumWatch watch(tag_environment());
    std::vector<std::string> log;
    EngineOptions o = test_options(dir.path, &log);
    o.chrome_binary = wrapper;
    with_engine(o, [&](ChromeEngine& e) -> rt::Task<void> {
        EXPECT_EQ(e.browser_pids().size(), 1u);
        RenderResult r = co_await e.render(request(site.url("/ok")), {});
        EXPECT_TRUE(r.success) << describe(r);
    });
    bool logged = false;
    for (const auto& l : log)
        logged |= l.find("no Chromium process started; trying once more") != std::string::npos;
    EXPECT_TRUE(logged);
    expect_nothing_left(watch, dir.path);
}

// 200 renders while browsers and their children are SIGKILLed at random: every render
// ends (no hang), every failure is a crash, and nothing is left afterwards.
TEST(EngineLifecycle, NoLeftoversAfter200RendersWithRandomKills) {
    EC_REQUIRE_CHROMIUM();
    FixtureSite site;
    site.page(
        "/p",
        "<html><head><title>p</title></head><body><div id=x></div>"
        "<script>document.getElementById('x').textContent = 'js ' + Math.random();</script></body></html>");
    TempDir dir;
    ChromiumWatch watch(tag_environment());
    std::vector<std::string> log;
    EngineOptions o = test_options(dir.path, getenv("EC_TEST_ENGINE_LOG") ? &log : nullptr);
    o.pool_size = 4;
    o.processes = 2;
    o.max_timeout_ms = 10'000;
    std::map<std::string, int> outcomes;
    int64_t longest = 0;
    int kills = 0;
    with_engine(o, [&](ChromeEngine& e) -> rt::Task<void> {
        int next = 0;
        bool done = false;
        auto worker = [&]() -> rt::Task<void> {
            while (next < 200) {
                ++next;
                const int64_t t0 = mono_ms();
                RenderResult r = co_await e.render(request(site.url("/p")), {});
                longest = std::max(longest, mono_ms() - t0);
                if (getenv("EC_TEST_ENGINE_LOG") && mono_ms() - t0 > 2000)
                    std::fprintf(stderr, "slow render %ld ms: %s\n", static_cast<long>(mono_ms() - t0),
                                 describe(r).c_str());
                ++outcomes[r.success ? std::string("ok") : r.error_type];
            }
        };
        auto killer = [&]() -> rt::Task<void> {
            std::mt19937 rng(42);
            while (!done) {
                co_await rt::sleep_for(rt::Millis(600 + static_cast<int64_t>(rng() % 600)));
                if (done) break;
                // Mostly browsers, sometimes one of their zygotes, renderers or utility processes.
                std::vector<pid_t> victims = rng() % 3 == 0 ? watch.live() : e.browser_pids();
                if (victims.empty()) continue;
                const pid_t victim = victims[rng() % victims.size()];
                if (getenv("EC_TEST_ENGINE_LOG")) {
                    std::fprintf(stderr, "kill %d\n", victim);
                    std::system(("ps -o args= -p " + std::to_string(victim) + " | cut -c1-90 >&2").c_str());
                }
                ::kill(victim, SIGKILL);
                ++kills;
            }
        };
        rt::Gate kg;
        rt::spawn(kg, killer());
        std::vector<rt::Task<void>> workers;
        for (int i = 0; i < 4; ++i)
            workers.push_back(worker());
        co_await rt::when_all(std::move(workers));
        done = true;
        co_await kg.close();
    });
    for (const auto& l : log)
        std::fprintf(stderr, "%s\n", l.c_str());
    int total = 0;
    for (const auto& [k, n] : outcomes)
        total += n;
    EXPECT_EQ(total, 200);
    std::string summary;
    for (const auto& [k, n] : outcomes)
        summary += k + "=" + std::to_string(n) + " ";
    EXPECT_GT(outcomes["ok"], 100) << "most renders succeed despite the kills: " << summary;
    std::fprintf(stderr, "outcomes: %s kills=%d longest=%ld ms\n", summary.c_str(), kills,
                 static_cast<long>(longest));
    for (const auto& [k, n] : outcomes)
        EXPECT_TRUE(k == "ok" || k == "chrome_crash" || k == "network_error" || k == "navigation_failed" ||
                    k == "pool_unavailable")
            << k << " x" << n;
    EXPECT_LE(longest, o.max_timeout_ms + 1000);
    EXPECT_GE(kills, 5);
    expect_nothing_left(watch, dir.path);
}

// kill -9 of the render service itself: PR_SET_PDEATHSIG takes the browser down, and the
// browser's zygotes, renderers and utility processes follow it.
TEST(EngineLifecycle, KillDashNineOfTheServiceLeavesNoChromium) {
    EC_REQUIRE_CHROMIUM();
    FixtureSite site;
    site.hang("/pending");
    site.page("/busy", "<html><body>busy<script>fetch('/pending')</script></body></html>");
    TempDir dir;
    ChromiumWatch watch(tag_environment());
    rt::Reactor r;
    rt::SpawnOptions so;
    so.program = EC_ENGINE_DRIVER;
    so.argv = {EC_ENGINE_DRIVER, chrome_binary(nullptr), dir.path, site.url("/busy")};
    so.stdout_mode = rt::Stdio::pipe;
    so.kill_group_on_exit = false;  // the test is about what the kernel and Chromium do
    rt::Process driver = rt::Process::spawn(so);
    rt::UniqueFd out = driver.take_stdout();
    std::string line = r.block_on([](int fd) -> rt::Task<std::string> {
        std::string s;
        char buf[256];
        while (s.find('\n') == std::string::npos) {
            int n = co_await rt::pipe_read(fd, buf, {}, 20'000);
            if (n <= 0) break;
            s.append(buf, static_cast<size_t>(n));
        }
        co_return s;
    }(out.get()));
    ASSERT_TRUE(line.starts_with("READY ")) << "driver said: " << line;
    EXPECT_TRUE(r.block_on(eventually([&] { return watch.live().size() >= 5; }, 3000)))
        << "driver, browser, zygotes, renderer, utility processes: " << watch.live().size();
    EXPECT_FALSE(watch.live_with_arg("--type=renderer").empty());
    driver.kill(SIGKILL);
    rt::ExitStatus st = r.block_on(driver.wait());
    EXPECT_EQ(st.signal, SIGKILL);
    EXPECT_TRUE(watch.none_within(5000)) << watch.live().size() << " Chromium processes outlived the service";
    EXPECT_TRUE(zombie_children().empty());
    // The next start sweeps the user-data dir the killed service could not remove.
    EXPECT_FALSE(list_dir(dir.path).empty());
    EXPECT_GE(remove_stale_user_data_dirs(dir.path), 1);
    EXPECT_TRUE(list_dir(dir.path).empty());
}

}  // namespace
}  // namespace ec::rs::test
