// ChromeProcess: one headless Chromium browser process and its DevTools pipe.
//
//  - Spawned through rt::Process in its own process group with PR_SET_PDEATHSIG(SIGKILL)
//    (the browser dies with the render service's reactor thread; its zygotes, renderers
//    and utility processes notice their parent is gone and exit, measured < 1 s) and
//    with kill_group_on_exit (whatever is left of the group is SIGKILLed when the browser
//    is reaped). Its fd 3 reads our commands, its fd 4 carries replies and events.
//  - A fresh --user-data-dir per process under EngineOptions::user_data_root, removed
//    once the process is reaped. Directories of a service that died by kill -9 are swept
//    at the next start (remove_stale_user_data_dirs).
//  - Exit is seen at once through the pidfd, and so is the pipe's EOF: either closes the
//    CdpClient, which fails every call and session in flight, and `on_lost` tells the
//    engine.
//
// Core affinity: the reactor thread that launched it (PR_SET_PDEATHSIG is tied to it).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cdp_client.h"
#include "chrome_log.h"
#include "chrome_spares.h"
#include "engine_options.h"
#include "runtime/gate.h"
#include "runtime/process.h"
#include "runtime/task.h"

namespace ec::rs {

// The command line of one browser process (argv[0] included).
std::vector<std::string> chrome_argv(const EngineOptions& opts, const std::string& user_data_dir);

// Removes <root>/ec-chrome-<pid>-* directories whose <pid> no longer exists. Returns the
// number removed.
int remove_stale_user_data_dirs(const std::string& root);

// rm -rf of a directory tree (the small profile of one browser). 0 or -errno.
int remove_tree(const std::string& path);

class ChromeProcess {
  public:
    using LostFn = std::function<void(ChromeProcess&, std::string_view why)>;

    ChromeProcess(int slot, uint64_t serial, const EngineOptions& opts, const EngineLog& log, LostFn on_lost);
    ~ChromeProcess();
    ChromeProcess(const ChromeProcess&) = delete;
    ChromeProcess& operator=(const ChromeProcess&) = delete;

    // Creates the user-data dir, spawns Chromium and waits until the DevTools pipe answers
    // (Browser.getVersion) by `deadline_ms`. Returns "" on success, else why it failed
    // (the process is then already killed; call shutdown() anyway).
    rt::Task<std::string> launch(uint64_t deadline_ms);
    // One throw-away browser context with a page, navigated to `url` when not empty and
    // awaited until its load event or `timeout_ms`. The first context of a fresh browser
    // costs ~200 ms; this keeps that off the first render. Failures are only logged.
    rt::Task<void> warm_up(const std::string& url, int64_t timeout_ms);
    // SIGKILL to the group, reap, close the pipe, wait for background work, remove the
    // user-data dir. Idempotent; must complete before destruction.
    rt::Task<void> shutdown();

    CdpClient& cdp() noexcept { return *_cdp; }
    bool alive() const noexcept { return _cdp && _cdp->is_open() && !_exited && !_shutting_down; }
    bool shut_down() const noexcept { return _shut_down; }
    int slot() const noexcept { return _slot; }
    uint64_t serial() const noexcept { return _serial; }
    const std::string& id() const noexcept { return _id; }  // "chrome-<slot>"
    pid_t pid() const noexcept { return _pid; }
    const std::string& user_data_dir() const noexcept { return _user_dir; }
    uint64_t started_ms() const noexcept { return _started_ms; }
    const std::string& version() const noexcept { return _version; }
    // Resident memory of the whole process group (browser, zygotes, renderers, utility
    // processes), from /proc. 0 when unknown.
    uint64_t rss_bytes() const;

    // Pages prepared ahead of renders (null until launch() succeeded).
    SparePages* spares() noexcept { return _spares.get(); }
    const SparePages* spares() const noexcept { return _spares.get(); }

    // Background work tied to this process (context disposals, spare pages); shutdown()
    // waits for it.
    rt::Gate& tasks() noexcept { return _tasks; }

    // SIGKILL to the whole group now; the exit is then reported like a crash.
    void kill() noexcept;

    // Bookkeeping of the engine.
    bool ready = false;  // launched and warmed up
    bool shutdown_scheduled = false;
    bool pinging = false;
    int active = 0;         // renders in progress here (they hold its render slots)
    int starting = 0;       // of those, renders not yet at DOMContentLoaded (RenderJob)
    int disposing = 0;      // finished renders whose browser context is being disposed
    int renders = 0;        // renders started here
    bool retiring = false;  // due for restart: takes renders only when nothing else can
    bool draining = false;  // takes no renders; shut down once nothing is in flight
    bool poisoned = false;  // a browser-level command timed out: replace it

  private:
    rt::Task<void> watch_exit();
    void lost(const std::string& why);

    int _slot;
    uint64_t _serial;
    std::string _id;
    const EngineOptions& _opts;
    const EngineLog& _log;
    LostFn _on_lost;
    std::string _user_dir;
    std::string _version;
    pid_t _pid = -1;
    uint64_t _started_ms = 0;
    std::optional<rt::Process> _proc;
    std::unique_ptr<CdpClient> _cdp;
    std::unique_ptr<SparePages> _spares;  // after _cdp: destroyed first
    rt::Gate _tasks;
    bool _exited = false;
    bool _shutting_down = false;
    bool _shut_down = false;
    bool _lost_reported = false;
};

}  // namespace ec::rs
