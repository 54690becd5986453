#include "chrome_engine.h"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "chrome_render_job.h"
#include "runtime/time.h"
#include "runtime/when_all.h"

namespace ec::rs {

namespace {

constexpr int64_t kLaunchTimeoutMs = 30'000;   // spawn → DevTools pipe answering
constexpr int kStartAttempts = 2;              // launches of the whole set at start() before giving up
constexpr int64_t kDisposeTimeoutMs = 10'000;  // Target.disposeBrowserContext
constexpr int64_t kPingTimeoutMs = 5'000;
constexpr unsigned kPingEveryS = 10;
constexpr unsigned kRssEveryS = 5;
constexpr size_t kMaxCachedBlocklists = 256;
constexpr uint64_t kHousekeepingDelayMaxMs = 250;  // context disposal / spare preparation
constexpr int64_t kHousekeepingPollMs = 5;

uint64_t backoff_ms(int failures) {
    if (failures <= 0) return 0;
    const uint64_t ms = 100ULL << std::min(failures - 1, 7);  // 100 ms … 12.8 s
    return std::min<uint64_t>(ms, 10'000);
}

RenderResult failure(std::string_view type, std::string msg, int service_status) {
    RenderResult r;
    r.success = false;
    r.error_type = std::string(type);
    r.error = std::move(msg);
    r.service_status = service_status;
    return r;
}

}  // namespace

ProcessPlan plan_processes(int pool_size, int processes_option) {
    ProcessPlan p;
    const int n = std::max(pool_size, 1);
    if (processes_option > 0) {
        p.processes = std::min(processes_option, n);
    } else {
        p.processes = (n + kSlotsPerProcess - 1) / kSlotsPerProcess;
    }
    p.slots_per_process = (n + p.processes - 1) / p.processes;
    return p;
}

ChromeEngine::ChromeEngine(EngineOptions opts)
    : _opts(std::move(opts)), _log(_opts.log), _plan(plan_processes(_opts.pool_size, _opts.processes)) {
    if (_opts.pool_size < 1) _opts.pool_size = 1;
    if (_opts.max_timeout_ms <= 0) _opts.max_timeout_ms = 60'000;
}

ChromeEngine::~ChromeEngine() {
    for (const auto& p : _procs) {
        if (!p->shut_down()) {
            std::fprintf(stderr, "ChromeEngine destroyed without co_await stop(); aborting\n");
            std::abort();
        }
    }
}

std::shared_ptr<ChromeProcess> ChromeEngine::add_process(int slot) {
    _procs.push_back(std::make_shared<ChromeProcess>(
        slot, ++_serial, _opts, _log, [this](ChromeProcess& p, std::string_view why) { on_lost(p, why); }));
    return _procs.back();
}

std::shared_ptr<ChromeProcess> ChromeEngine::shared(ChromeProcess& p) const {
    for (const auto& q : _procs)
        if (q.get() == &p) return q;
    return nullptr;
}

void ChromeEngine::schedule_shutdown(const std::shared_ptr<ChromeProcess>& p) {
    if (!p || p->shutdown_scheduled) return;
    p->shutdown_scheduled = true;
    p->draining = true;
    if (!rt::spawn(_bg, shutdown_and_forget(p))) p->shutdown_scheduled = false;  // stop() takes over
}

rt::Task<void> ChromeEngine::start() {
    if (_started) co_return;
    _started = true;
    // Writing to the pipe of a browser that just died must fail with EPIPE, not kill us.
    struct sigaction sa{};
    if (sigaction(SIGPIPE, nullptr, &sa) == 0 && sa.sa_handler == SIG_DFL && !(sa.sa_flags & SA_SIGINFO)) {
        signal(SIGPIPE, SIG_IGN);
        _log.info(
            "SIGPIPE was not ignored; the render engine now ignores it (writes to a dead browser fail with "
            "EPIPE)");
    }
    if (int n = remove_stale_user_data_dirs(_opts.user_data_root); n > 0)
        _log.info("removed user-data dirs left by a previous run", {{"count", std::to_string(n)}});

    _slot_failures.assign(static_cast<size_t>(_plan.processes), 0);
    _slot_replacing.assign(static_cast<size_t>(_plan.processes), false);
    std::vector<std::shared_ptr<ChromeProcess>> ps;
    std::vector<std::string> errors;
    int ok = 0;
    std::string first_error;
    // A browser now and then dies while starting (seen under heavy CPU load: the DevTools pipe closed
    // ~200 ms after the spawn). When none came up, the whole set is launched once more before the
    // engine gives up; a set that is partly up replaces its failures in the background (below).
    for (int attempt = 1;; ++attempt) {
        ps.clear();
        std::vector<rt::Task<std::string>> launches;
        for (int slot = 0; slot < _plan.processes; ++slot) {
            ps.push_back(add_process(slot));
            launches.push_back(launch(*ps.back()));
        }
        errors = co_await rt::when_all(std::move(launches));
        ok = 0;
        first_error.clear();
        for (size_t i = 0; i < ps.size(); ++i) {
            if (errors[i].empty()) {
                ++ok;
                continue;
            }
            if (first_error.empty()) first_error = errors[i];
        }
        if (ok > 0 || attempt == kStartAttempts) break;
        _log.warn("no Chromium process started; trying once more", {{"error", first_error}});
        for (const auto& p : ps)
            schedule_shutdown(p);  // in the background; each leaves _procs when it is down
    }
    if (ok == 0) {
        _stopping = true;
        _stop_started = true;
        wake_waiters();
        for (const auto& p : ps)
            co_await p->shutdown();
        co_await _bg.close();
        co_await _renders.close();
        _procs.clear();
        _stopped = true;
        throw std::runtime_error("render engine: cannot start Chromium: " + first_error);
    }
    for (size_t i = 0; i < ps.size(); ++i) {
        if (errors[i].empty()) continue;
        const int slot = ps[i]->slot();
        _slot_failures[static_cast<size_t>(slot)] = 1;
        _last_launch_error = errors[i];
        schedule_shutdown(ps[i]);
        _slot_replacing[static_cast<size_t>(slot)] = true;
        rt::spawn(_bg, replace(slot, backoff_ms(1)));
    }
    rt::spawn(_bg, monitor());
    _log.info("render engine started",
              {{"processes", std::to_string(ok)},
               {"slots_per_process", std::to_string(_plan.slots_per_process)},
               {"pool_size", std::to_string(_opts.pool_size)},
               {"chromium", _procs.empty() ? std::string() : _procs.front()->version()}});
}

rt::Task<std::string> ChromeEngine::launch(ChromeProcess& p) {
    std::string err;
    try {
        err = co_await p.launch(now_ms() + kLaunchTimeoutMs);
    } catch (const std::exception& e) {
        err = e.what();
    }
    if (err.empty()) {
        co_await p.warm_up(_opts.warmup_url, _opts.warmup_timeout_ms);
        if (!p.alive()) err = "Chromium died during warm-up: " + p.cdp().close_reason();
    }
    if (err.empty()) {
        p.ready = true;
        top_up_spares(p);
        _log.info("Chromium process ready", {{"chrome_id", p.id()},
                                             {"pid", std::to_string(p.pid())},
                                             {"serial", std::to_string(p.serial())}});
        wake_waiters();
    } else {
        _log.error("Chromium process failed to start", {{"chrome_id", p.id()}, {"error", err}});
    }
    co_return err;
}

rt::Task<void> ChromeEngine::replace(int slot, uint64_t delay_ms) {
    const auto s = static_cast<size_t>(slot);
    _slot_replacing[s] = true;
    if (delay_ms > 0) co_await rt::sleep_for(rt::Millis(static_cast<int64_t>(delay_ms)), _bg_stop);
    if (_stopping) {
        _slot_replacing[s] = false;
        co_return;
    }
    std::shared_ptr<ChromeProcess> sp = add_process(slot);
    ChromeProcess& p = *sp;
    std::string err = co_await launch(p);
    _slot_replacing[s] = false;
    if (!err.empty() || _stopping) {
        if (!err.empty()) {
            ++_slot_failures[s];
            _last_launch_error = err;
        }
        schedule_shutdown(sp);
        if (!_stopping) {
            _slot_replacing[s] = true;
            rt::spawn(_bg, replace(slot, backoff_ms(_slot_failures[s])));
        }
        wake_waiters();
        co_return;
    }
    _slot_failures[s] = 0;
    ++_restarts_total;
    // The process it replaces stops taking renders and goes once they are done.
    for (auto& q : _procs) {
        if (q.get() != &p && q->slot() == slot && !q->draining) {
            q->draining = true;
            if (SparePages* sp = q->spares()) sp->stop();
            maybe_shutdown(*q);
        }
    }
    wake_waiters();
}

void ChromeEngine::top_up_spares(ChromeProcess& p) {
    SparePages* sp = p.spares();
    if (!sp || !p.ready || p.retiring || p.draining || _stopping || !p.alive()) return;
    sp->top_up(p.tasks(), static_cast<size_t>(std::clamp(_opts.spare_pages, 0, _plan.slots_per_process)));
}

void ChromeEngine::retire(ChromeProcess& p, std::string_view why) {
    if (p.retiring || p.draining || _stopping) return;
    p.retiring = true;
    if (SparePages* sp = p.spares()) sp->stop();
    _log.info("restarting Chromium process",
              {{"chrome_id", p.id()}, {"reason", why}, {"renders", std::to_string(p.renders)}});
    const auto s = static_cast<size_t>(p.slot());
    if (!_slot_replacing[s]) {
        _slot_replacing[s] = true;
        rt::spawn(_bg, replace(p.slot(), 0));
    }
}

void ChromeEngine::on_lost(ChromeProcess& p, std::string_view why) {
    const bool was_ready = p.ready;
    p.ready = false;
    p.draining = true;
    if (_stopping) return;
    if (was_ready) {
        ++_crashes_total;
        _log.error("Chromium process lost", {{"chrome_id", p.id()},
                                             {"pid", std::to_string(p.pid())},
                                             {"error", why},
                                             {"renders_in_flight", std::to_string(p.active)}});
        const auto s = static_cast<size_t>(p.slot());
        if (!_slot_replacing[s]) {
            _slot_replacing[s] = true;
            rt::spawn(_bg, replace(p.slot(), backoff_ms(_slot_failures[s])));
        }
    }
    // A process still launching fails its launch(); replace() deals with it.
    maybe_shutdown(p);
    wake_waiters();
}

void ChromeEngine::maybe_shutdown(ChromeProcess& p) {
    // A process still launching is handled by its replace() once the launch returns.
    if (!p.draining || p.active > 0 || p.disposing > 0 || p.shutdown_scheduled || (!p.ready && p.alive()))
        return;
    schedule_shutdown(shared(p));
}

rt::Task<void> ChromeEngine::shutdown_and_forget(std::shared_ptr<ChromeProcess> p) {
    co_await p->shutdown();
    if (_stopping) co_return;  // stop() owns the list now
    _procs.remove(p);
}

rt::Task<void> ChromeEngine::monitor() {
    uint64_t tick = 0;
    while (!_stopping) {
        if (!co_await rt::sleep_for(rt::Millis(1000), _bg_stop)) break;
        ++tick;
        const uint64_t now = now_ms();
        for (auto& up : _procs) {
            ChromeProcess& p = *up;
            if (!p.ready || !p.alive() || p.draining) continue;
            if (_opts.restart_after_time_ms > 0 &&
                now - p.started_ms() >= static_cast<uint64_t>(_opts.restart_after_time_ms))
                retire(p, "age");
            if (_opts.restart_max_rss_bytes > 0 && tick % kRssEveryS == 0 && !p.retiring) {
                const uint64_t rss = p.rss_bytes();
                if (rss >= _opts.restart_max_rss_bytes)
                    retire(p, "rss " + std::to_string(rss >> 20) + " MiB");
            }
            if (tick % kPingEveryS == 0 && !p.pinging) rt::spawn(p.tasks(), ping(&p));
        }
    }
}

rt::Task<void> ChromeEngine::ping(ChromeProcess* p) {
    p->pinging = true;
    CdpResult r = co_await p->cdp().call("Browser.getVersion", "{}", "", now_ms() + kPingTimeoutMs);
    p->pinging = false;
    if (r.status == CdpStatus::timeout && p->alive()) {
        _log.error("Chromium stopped answering; killing it",
                   {{"chrome_id", p->id()}, {"pid", std::to_string(p->pid())}});
        p->kill();  // reported as lost by its exit watcher
    }
}

ChromeProcess* ChromeEngine::pick() noexcept {
    if (_active >= _opts.pool_size) return nullptr;
    ChromeProcess* best = nullptr;
    ChromeProcess* fallback = nullptr;  // retiring ones serve only when nothing else can
    for (auto& up : _procs) {
        ChromeProcess& p = *up;
        if (!p.ready || p.draining || p.poisoned || !p.alive()) continue;
        if (p.active >= _plan.slots_per_process) continue;
        ChromeProcess*& slot = p.retiring ? fallback : best;
        if (!slot || p.active < slot->active) slot = &p;
    }
    return best ? best : fallback;
}

void ChromeEngine::wake_waiters() noexcept {
    for (Waiter* w : _waiters)
        w->sig.notify();
}

rt::Task<ChromeProcess*> ChromeEngine::acquire(uint64_t deadline_ms, rt::CancelToken cancel,
                                               const char** et) {
    for (;;) {
        if (_stopping || cancel.cancelled()) {
            *et = error_type::kPoolUnavailable;
            co_return nullptr;
        }
        if (ChromeProcess* p = pick()) {
            ++p->active;
            ++p->renders;
            ++_active;
            if (_opts.restart_after_count > 0 && p->renders >= _opts.restart_after_count)
                retire(*p, "render count");
            co_return p;
        }
        // Nothing alive and every slot failing to launch: say so instead of waiting.
        bool any_alive = false;
        bool all_failing = true;
        for (auto& up : _procs)
            if (up->alive() && !up->draining) any_alive = true;
        for (int f : _slot_failures)
            if (f == 0) all_failing = false;
        if (!any_alive && all_failing) {
            *et = error_type::kChromeRestartFailed;
            co_return nullptr;
        }
        if (now_ms() >= deadline_ms) {
            *et = error_type::kPoolUnavailable;
            co_return nullptr;
        }
        Waiter w;
        _waiters.push_back(&w);
        co_await w.sig.wait_until(deadline_ms, cancel);
        _waiters.erase(std::ranges::find(_waiters, &w));
    }
}

void ChromeEngine::release(ChromeProcess& p) {
    --p.disposing;
    maybe_shutdown(p);
}

rt::Task<void> ChromeEngine::finish_render(ChromeProcess* p, std::string context_id,
                                           bool browser_unresponsive) {
    // Housekeeping waits while a render of this browser is starting: the browser's main
    // thread tearing a renderer down or starting one slows that render's set-up and
    // navigation (measured ~20 ms each); during the quiet window it costs nothing.
    const uint64_t until = now_ms() + kHousekeepingDelayMaxMs;
    while (p->starting > 0 && p->alive() && now_ms() < until)
        if (!co_await rt::sleep_for(rt::Millis(kHousekeepingPollMs), _bg_stop)) break;
    if (!context_id.empty() && p->alive()) {
        CdpResult r = co_await p->cdp().call("Target.disposeBrowserContext",
                                             JsonObject().str("browserContextId", context_id).take(), "",
                                             now_ms() + kDisposeTimeoutMs);
        if (r.status == CdpStatus::timeout) browser_unresponsive = true;
    }
    if (browser_unresponsive && p->alive()) {
        _log.error("Chromium left a browser command unanswered; killing it",
                   {{"chrome_id", p->id()}, {"pid", std::to_string(p->pid())}});
        p->poisoned = true;
        p->kill();
    }
    top_up_spares(*p);
    release(*p);
}

std::shared_ptr<const Blocklist> ChromeEngine::blocklist_for(const RenderRequest& req) {
    std::string key;
    for (const auto& s : req.blocked_patterns) {
        key += s;
        key.push_back('\x1f');
    }
    key.push_back('\x1e');
    for (const auto& s : req.blocked_resource_types) {
        key += s;
        key.push_back('\x1f');
    }
    if (auto it = _blocklists.find(key); it != _blocklists.end()) return it->second;
    std::vector<std::string> errors;
    auto bl = std::make_shared<const Blocklist>(req.blocked_patterns, req.blocked_resource_types, &errors);
    for (const auto& e : errors)
        _log.warn("blocked pattern ignored", {{"error", e}});
    if (_blocklists.size() >= kMaxCachedBlocklists) _blocklists.clear();
    _blocklists.emplace(std::move(key), bl);
    return bl;
}

rt::Task<RenderResult> ChromeEngine::render(RenderRequest req, rt::CancelToken cancel) {
    const uint64_t start = now_ms();
    const uint64_t hard = start + static_cast<uint64_t>(_opts.max_timeout_ms);
    auto finish = [&](RenderResult r) {
        r.render_time_ns = static_cast<int64_t>(now_ms() - start) * 1'000'000;
        return r;
    };
    if (!_started || _stopping || !_renders.try_enter())
        co_return finish(failure(error_type::kPoolUnavailable, "the render engine is not running", 503));
    struct Leave {
        rt::Gate& g;
        ~Leave() { g.leave(); }
    } leave{_renders};

    const char* et = error_type::kPoolUnavailable;
    ChromeProcess* p = co_await acquire(hard, cancel, &et);
    if (!p) {
        std::string msg = et == error_type::kChromeRestartFailed
                              ? "Chromium cannot be (re)started: " + _last_launch_error
                              : std::string("no Chromium process became available in time");
        co_return finish(failure(et, std::move(msg), 503));
    }
    // A prepared page when one is ready (its context is then this render's); finish_render
    // prepares the next one.
    std::optional<PreparedPage> spare;
    if (SparePages* sp = p->spares()) spare = sp->take();
    if (spare) ++_spares_used;
    RenderResult r;
    std::string context_id;
    bool unresponsive = false;
    {
        RenderJob job(*p, req, blocklist_for(req), _opts, _log, start, hard, cancel,
                      spare ? &*spare : nullptr);
        r = co_await job.run();
        context_id = job.context_id();
        unresponsive = job.browser_unresponsive();
    }
    --_active;
    --p->active;
    ++p->disposing;
    ++_renders_total;
    // The context is disposed after answering, in the background: the next render may
    // take the slot at once.
    if (!rt::spawn(p->tasks(), finish_render(p, std::move(context_id), unresponsive))) release(*p);
    wake_waiters();
    if (r.chrome_id.empty()) r.chrome_id = p->id();
    co_return finish(std::move(r));
}

rt::Task<void> ChromeEngine::stop() {
    if (_stop_started) {  // a second caller waits for the first (a Gate takes one closer)
        while (!_stopped)
            co_await rt::sleep_for(rt::Millis(5));
        co_return;
    }
    _stop_started = true;
    _stopping = true;
    wake_waiters();
    co_await _renders.close();
    _bg_stop.cancel();
    std::vector<std::shared_ptr<ChromeProcess>> ps(_procs.begin(), _procs.end());
    for (const auto& p : ps)
        p->kill();
    for (const auto& p : ps)
        co_await p->shutdown();
    co_await _bg.close();
    for (auto& p : _procs)
        co_await p->shutdown();  // any launched while we waited
    _procs.clear();
    _stopped = true;
    if (_started) _log.info("render engine stopped", {{"renders", std::to_string(_renders_total)}});
}

EngineStats ChromeEngine::stats() const {
    EngineStats s;
    s.pool_size = _opts.pool_size;
    s.active = _active;
    bool any_ready = false;
    for (const auto& p : _procs) {
        if (p->alive()) ++s.processes;
        if (p->ready && p->alive() && !p->draining) any_ready = true;
    }
    s.available = _started && !_stopping && any_ready ? std::max(0, _opts.pool_size - _active) : 0;
    s.renders_total = _renders_total;
    s.restarts_total = _restarts_total;
    s.crashes_total = _crashes_total;
    return s;
}

std::vector<pid_t> ChromeEngine::browser_pids() const {
    std::vector<pid_t> v;
    for (const auto& p : _procs)
        if (p->alive()) v.push_back(p->pid());
    return v;
}

bool ChromeEngine::spare_pages_full() const noexcept {
    const auto target = static_cast<size_t>(std::clamp(_opts.spare_pages, 0, _plan.slots_per_process));
    for (const auto& p : _procs) {
        if (!p->alive() || !p->ready || p->retiring || p->draining) continue;
        const SparePages* sp = p->spares();
        if (!sp || sp->ready() < target) return false;
    }
    return true;
}

std::vector<std::string> ChromeEngine::user_data_dirs() const {
    std::vector<std::string> v;
    for (const auto& p : _procs)
        if (!p->user_data_dir().empty()) v.push_back(p->user_data_dir());
    return v;
}

}  // namespace ec::rs
