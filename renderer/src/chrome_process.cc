#include "chrome_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "runtime/reactor.h"
#include "runtime/time.h"

namespace ec::rs {

namespace {

constexpr int kPipeBytes = 1 << 20;  // fewer reads for big captures (pipe-max-size default)

std::string user_data_root(const EngineOptions& o) {
    if (!o.user_data_root.empty()) return o.user_data_root;
    const char* t = getenv("TMPDIR");  // NOLINT(concurrency-mt-unsafe): read-only
    return t && *t ? t : "/tmp";
}

int rm_entry(const char* path, const struct stat*, int type, struct FTW*) {
    if (type == FTW_DP) {
        rmdir(path);
    } else {
        unlink(path);
    }
    return 0;  // keep going: remove as much as possible
}

// Reads a small /proc file; "" when unreadable.
std::string read_small(const char* path) {
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    char buf[1024];
    ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// Records the loaders that reached their load event (warm-up only): events of the
// navigation may arrive before its reply names the loader, and about:blank has its own.
class LoadWaiter final : public CdpEventSink {
  public:
    explicit LoadWaiter(Signal& s) : _s(s) {}
    void on_cdp_event(std::string_view, std::string_view method, JsonView params) override {
        if (method == "Page.lifecycleEvent" && params["name"].str() == "load" && _loaded.size() < 16) {
            _loaded.emplace_back(params["loaderId"].str());
            _s.notify();
        }
    }
    void on_cdp_detached(std::string_view, std::string_view) override {
        gone = true;
        _s.notify();
    }
    bool loaded(std::string_view loader) const {
        return !loader.empty() && std::ranges::find(_loaded, loader) != _loaded.end();
    }
    bool gone = false;

  private:
    Signal& _s;
    std::vector<std::string> _loaded;
};

}  // namespace

std::vector<std::string> chrome_argv(const EngineOptions& opts, const std::string& user_data_dir) {
    std::vector<std::string> a = {
        opts.chrome_binary,
        // Always (DEVELOPERS.md).
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--remote-debugging-pipe",
        "--user-data-dir=" + user_data_dir,
        // No background work, no throttling of pages we never show.
        "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows",
        "--disable-ipc-flooding-protection",
        "--disable-hang-monitor",
        "--disable-breakpad",
        "--disable-client-side-phishing-detection",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-popup-blocking",
        "--disable-prompt-on-repost",
        "--disable-domain-reliability",
        // site-per-process and IsolateOrigins off: cross-site iframes stay in the page's renderer,
        // so the page session's blocklist, X-Edge-Render and Fetch rules reach their requests
        // (out-of-process frames would be separate targets), and no process per iframe.
        std::string(
            "--disable-features=Translate,OptimizationHints,MediaRouter,InterestFeedContentSuggestions,") +
            "AutofillServerCommunication,CertificateTransparencyComponentUpdater,site-per-process,"
            "IsolateOrigins",
        "--disable-site-isolation-trials",
        "--no-default-browser-check",
        "--no-pings",
        "--metrics-recording-only",
        "--password-store=basic",
        "--use-mock-keychain",
        "--mute-audio",
        "--hide-scrollbars",
        "--force-color-profile=srgb",
        // The (software-only) GPU process runs as a browser thread: one process and ~12 MB
        // PSS less per browser, throughput within noise (docs/renderer.md).
        "--in-process-gpu",
        // /dev/shm is often 64 MB in containers; Chromium then crashes renderers.
        "--disable-dev-shm-usage",
    };
    for (const auto& f : opts.extra_flags)
        a.push_back(f);
    return a;
}

int remove_tree(const std::string& path) {
    if (path.empty()) return 0;
    if (nftw(path.c_str(), rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT) return -errno;
    return 0;
}

int remove_stale_user_data_dirs(const std::string& root_in) {
    EngineOptions dummy;
    dummy.user_data_root = root_in;
    const std::string root = user_data_root(dummy);
    DIR* d = opendir(root.c_str());
    if (!d) return 0;
    int removed = 0;
    while (dirent* e = readdir(d)) {
        std::string_view name = e->d_name;
        if (!name.starts_with("ec-chrome-")) continue;
        std::string_view rest = name.substr(10);
        size_t dash = rest.find('-');
        if (dash == std::string_view::npos) continue;
        char* end = nullptr;
        std::string pid_s(rest.substr(0, dash));
        long pid = strtol(pid_s.c_str(), &end, 10);
        if (!end || *end != '\0' || pid <= 0) continue;
        if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // owner alive
        if (remove_tree(root + "/" + std::string(name)) == 0) ++removed;
    }
    closedir(d);
    return removed;
}

ChromeProcess::ChromeProcess(int slot, uint64_t serial, const EngineOptions& opts, const EngineLog& log,
                             LostFn on_lost)
    : _slot(slot),
      _serial(serial),
      _id("chrome-" + std::to_string(slot)),
      _opts(opts),
      _log(log),
      _on_lost(std::move(on_lost)) {}

ChromeProcess::~ChromeProcess() {
    if (!_shut_down && (_proc || _cdp)) {
        std::fprintf(stderr, "ChromeProcess %s destroyed without shutdown(); aborting\n", _id.c_str());
        std::abort();
    }
}

rt::Task<std::string> ChromeProcess::launch(uint64_t deadline_ms) {
    const std::string root = user_data_root(_opts);
    std::string tmpl =
        root + "/ec-chrome-" + std::to_string(getpid()) + "-" + std::to_string(_slot) + "-XXXXXX";
    if (!mkdtemp(tmpl.data())) {
        co_return "cannot create a user-data dir under " + root + ": " +
            std::generic_category().message(errno);
    }
    _user_dir = tmpl;

    rt::Pipe to, from;
    try {
        to = rt::make_pipe();
        from = rt::make_pipe();
    } catch (const std::system_error& e) {
        co_return std::string("cannot create the DevTools pipes: ") + e.what();
    }
    fcntl(from.write.get(), F_SETPIPE_SZ, kPipeBytes);  // best effort

    rt::SpawnOptions so;
    so.program = _opts.chrome_binary;
    so.argv = chrome_argv(_opts, _user_dir);
    so.fds = {{.child_fd = 3, .parent_fd = to.read.get()}, {.child_fd = 4, .parent_fd = from.write.get()}};
    so.stdin_mode = rt::Stdio::null;
    so.stdout_mode = rt::Stdio::null;
    so.stderr_mode = rt::Stdio::null;
    so.new_process_group = true;
    so.die_with_parent = true;
    so.kill_group_on_exit = true;
    _proc.emplace(rt::Process::spawn(so));  // throws SpawnError naming the binary and the cause
    _pid = _proc->pid();
    _started_ms = now_ms();
    to.read.reset();
    from.write.reset();

    _cdp = std::make_unique<CdpClient>(std::move(to.write), std::move(from.read),
                                       [this](std::string_view why) { lost(std::string(why)); });
    _cdp->start();
    rt::spawn(_tasks, watch_exit());

    CdpResult v = co_await _cdp->call("Browser.getVersion", "{}", "", deadline_ms);
    if (!v.ok()) {
        co_return "Chromium (" + _opts.chrome_binary + ", pid " + std::to_string(_pid) +
            ") did not answer on the DevTools pipe: " + (v.message.empty() ? to_string(v.status) : v.message);
    }
    simdjson::dom::parser p;
    _version = std::string(v.result(p)["product"].str());
    _spares = std::make_unique<SparePages>(*_cdp, _opts, _log, _id);
    co_return std::string();
}

rt::Task<void> ChromeProcess::warm_up(const std::string& url, int64_t timeout_ms) {
    const uint64_t deadline = now_ms() + static_cast<uint64_t>(std::max<int64_t>(timeout_ms, 1));
    simdjson::dom::parser p;
    CdpResult ctx =
        co_await _cdp->call("Target.createBrowserContext", "{\"disposeOnDetach\":true}", "", deadline);
    if (!ctx.ok()) {
        _log.warn("warm-up failed", {{"chrome_id", _id}, {"error", ctx.message}});
        co_return;
    }
    const std::string ctx_id(ctx.result(p)["browserContextId"].str());
    std::string error;
    CdpResult tgt = co_await _cdp->call(
        "Target.createTarget", JsonObject().str("url", "about:blank").str("browserContextId", ctx_id).take(),
        "", deadline);
    if (tgt.ok() && !url.empty()) {
        const std::string target_id(tgt.result(p)["targetId"].str());
        CdpResult att = co_await _cdp->call(
            "Target.attachToTarget", JsonObject().str("targetId", target_id).boolean("flatten", true).take(),
            "", deadline);
        if (att.ok()) {
            const std::string session(att.result(p)["sessionId"].str());
            Signal sig;
            LoadWaiter w(sig);
            _cdp->add_sink(session, &w);
            CdpCall en(*_cdp, "Page.enable", "{}", session, &sig);
            CdpCall lc(*_cdp, "Page.setLifecycleEventsEnabled", "{\"enabled\":true}", session, &sig);
            // Loop prevention holds for the warm-up too (F-INT-04): the URL may sit behind our proxy.
            CdpCall net(*_cdp, "Network.enable", "{\"maxTotalBufferSize\":0,\"maxResourceBufferSize\":0}",
                        session, &sig);
            CdpCall hdr(*_cdp, "Network.setExtraHTTPHeaders",
                        JsonObject()
                            .raw("headers", _opts.server_id.empty()
                                                ? std::string("{}")
                                                : JsonObject().str("X-Edge-Render", _opts.server_id).take())
                            .take(),
                        session, &sig);
            // Applied by the renderer: navigating before the replies races them (chrome_render_job.h).
            while (!(en.done() && lc.done() && net.done() && hdr.done()) && !w.gone && now_ms() < deadline)
                co_await sig.wait_until(deadline);
            CdpCall nav(*_cdp, "Page.navigate", JsonObject().str("url", url).take(), session, &sig);
            std::string loader;
            while (!w.loaded(loader) && !w.gone && now_ms() < deadline) {
                if (nav.done() && loader.empty()) {
                    if (!nav.ok()) break;
                    JsonView r = nav.result().result(p);
                    if (!r["errorText"].str().empty()) {
                        error = std::string(r["errorText"].str());
                        break;
                    }
                    loader = std::string(r["loaderId"].str());
                    continue;
                }
                co_await sig.wait_until(deadline);
            }
            if (error.empty() && !w.loaded(loader))
                error = nav.ok() ? "no load event in time" : nav.result().message;
            _cdp->remove_sink(session);
        } else {
            error = att.message;
        }
    } else if (!tgt.ok()) {
        error = tgt.message;
    }
    // Always dispose, bounded even when the deadline has passed.
    co_await _cdp->call("Target.disposeBrowserContext", JsonObject().str("browserContextId", ctx_id).take(),
                        "", now_ms() + 5000);
    if (!error.empty()) _log.warn("warm-up failed", {{"chrome_id", _id}, {"url", url}, {"error", error}});
}

rt::Task<void> ChromeProcess::watch_exit() {
    if (!_proc) co_return;
    rt::ExitStatus st;
    try {
        st = co_await _proc->wait();
    } catch (const std::exception& e) {
        st.unknown = true;
        _log.error("cannot watch the Chromium process", {{"chrome_id", _id}, {"error", e.what()}});
    }
    _exited = true;
    if (!_shutting_down) {
        const std::string why = "Chromium exited: " + st.to_string();
        _cdp->abort(why);  // fails every call and session at once; calls lost() via on_closed
        lost(why);
    }
}

void ChromeProcess::lost(const std::string& why) {
    if (_shutting_down || _lost_reported) return;
    _lost_reported = true;
    if (_on_lost) _on_lost(*this, why);
}

void ChromeProcess::kill() noexcept {
    if (_proc && _proc->running()) _proc->kill_group(SIGKILL);
}

rt::Task<void> ChromeProcess::shutdown() {
    if (_shut_down || _shutting_down) {
        while (!_shut_down)
            co_await rt::sleep_for(rt::Millis(1));
        co_return;
    }
    _shutting_down = true;
    if (_proc && _proc->running()) _proc->kill_group(SIGKILL);
    if (_cdp) co_await _cdp->close();
    co_await _tasks.close();  // the exit watcher has reaped the browser by now
    if (_proc && _proc->running()) {
        // Only if the watcher never ran (launch failed before it): reap here, bounded.
        co_await _proc->wait_for(5000);
    }
    _proc.reset();  // a still-unreaped child is SIGKILLed and reaped by the destructor
    _spares.reset();  // unregisters from the client: before it goes
    _cdp.reset();
    remove_tree(_user_dir);
    _shut_down = true;
}

uint64_t ChromeProcess::rss_bytes() const {
    if (_pid <= 0 || _exited) return 0;
    DIR* d = opendir("/proc");
    if (!d) return 0;
    const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    uint64_t total = 0;
    char path[64];
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        std::snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        std::string stat = read_small(path);
        size_t paren = stat.rfind(')');
        if (paren == std::string::npos) continue;
        // After ") ": state ppid pgrp
        char state = 0;
        long ppid = 0, pgrp = 0;
        if (std::sscanf(stat.c_str() + paren + 1, " %c %ld %ld", &state, &ppid, &pgrp) != 3) continue;
        if (pgrp != _pid) continue;
        std::snprintf(path, sizeof path, "/proc/%s/statm", e->d_name);
        std::string statm = read_small(path);
        unsigned long size = 0, resident = 0;
        if (std::sscanf(statm.c_str(), "%lu %lu", &size, &resident) == 2) total += resident * page;
    }
    closedir(d);
    return total;
}

}  // namespace ec::rs
