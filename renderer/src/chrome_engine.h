// ChromeEngine: the RenderEngine of the render service, on headless Chromium.
//
// Capacity model: `pool_size` concurrent renders carried by K browser processes with M
// render slots each (K = chrome.processes, or ceil(pool_size / kSlotsPerProcess); see
// docs/renderer.md for the measurements behind the choice). Every render runs in its own
// browser context of one of them; a render goes to the ready process with the fewest
// renders in flight.
//
// Lifecycle of a process: launched and warmed up → ready → (render count, age or RSS
// over its limit) retiring: a replacement is launched and warmed up in the background,
// the old process still serves only while nothing else has room → draining once the
// replacement is ready: no new renders; killed when its last render is done. A crash
// (pipe EOF or pidfd exit) fails its renders at once with chrome_crash and a replacement
// is launched (with backoff if launches keep failing). A browser that stops answering
// (10 s health ping, or a browser-level command unanswered for 5 s) is killed and
// replaced the same way.
//
// Core affinity: construct, use and destroy on the one reactor thread of the service;
// stop() must complete before destruction.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "chrome_blocklist.h"
#include "chrome_log.h"
#include "chrome_process.h"
#include "chrome_signal.h"
#include "engine_options.h"
#include "render_types.h"
#include "runtime/cancel.h"
#include "runtime/gate.h"

namespace ec::rs {

// Render slots per browser process when chrome.processes is not set (measured, see
// docs/renderer.md).
inline constexpr int kSlotsPerProcess = 8;

struct ProcessPlan {
    int processes = 1;
    int slots_per_process = 1;
};
ProcessPlan plan_processes(int pool_size, int processes_option);

class ChromeEngine final : public RenderEngine {
  public:
    explicit ChromeEngine(EngineOptions opts);
    ~ChromeEngine() override;
    ChromeEngine(const ChromeEngine&) = delete;
    ChromeEngine& operator=(const ChromeEngine&) = delete;

    rt::Task<void> start() override;
    rt::Task<RenderResult> render(RenderRequest req, rt::CancelToken cancel) override;
    rt::Task<void> stop() override;
    EngineStats stats() const override;

    const ProcessPlan& plan() const noexcept { return _plan; }
    // Diagnostics and tests: browser pids and user-data dirs of the live processes.
    std::vector<pid_t> browser_pids() const;
    std::vector<std::string> user_data_dirs() const;
    // Renders that started on a prepared page (chrome_spares.h).
    uint64_t spare_pages_used() const noexcept { return _spares_used; }
    // Whether every live process holds all the spare pages it keeps (tests wait for this).
    bool spare_pages_full() const noexcept;

  private:
    struct Waiter {
        Signal sig;
    };

    rt::Task<ChromeProcess*> acquire(uint64_t deadline_ms, rt::CancelToken cancel, const char** error_type);
    ChromeProcess* pick() noexcept;
    void release(ChromeProcess& p);
    void wake_waiters() noexcept;
    rt::Task<void> finish_render(ChromeProcess* p, std::string context_id, bool browser_unresponsive);

    rt::Task<std::string> launch(ChromeProcess& p);
    rt::Task<void> replace(int slot, uint64_t delay_ms);
    void schedule_shutdown(const std::shared_ptr<ChromeProcess>& p);
    void retire(ChromeProcess& p, std::string_view why);
    void top_up_spares(ChromeProcess& p);
    void on_lost(ChromeProcess& p, std::string_view why);
    void maybe_shutdown(ChromeProcess& p);
    rt::Task<void> shutdown_and_forget(std::shared_ptr<ChromeProcess> p);
    std::shared_ptr<ChromeProcess> shared(ChromeProcess& p) const;
    rt::Task<void> monitor();
    rt::Task<void> ping(ChromeProcess* p);
    std::shared_ptr<ChromeProcess> add_process(int slot);
    std::shared_ptr<const Blocklist> blocklist_for(const RenderRequest& req);

    EngineOptions _opts;
    EngineLog _log;
    ProcessPlan _plan;
    // Starting, ready, retiring and draining processes. Shared: a launch in progress keeps
    // its process alive even if the process is dropped from the list meanwhile.
    std::list<std::shared_ptr<ChromeProcess>> _procs;
    std::vector<int> _slot_failures;    // consecutive launch failures per slot
    std::vector<bool> _slot_replacing;  // a replacement launch is under way
    std::deque<Waiter*> _waiters;
    uint64_t _serial = 0;
    int _active = 0;
    bool _started = false;
    bool _stopping = false;
    bool _stop_started = false, _stopped = false;
    uint64_t _renders_total = 0, _restarts_total = 0, _crashes_total = 0, _spares_used = 0;
    std::string _last_launch_error;
    std::unordered_map<std::string, std::shared_ptr<const Blocklist>> _blocklists;
    rt::Gate _renders;  // render() calls in flight
    rt::Gate _bg;       // launches, shutdowns, the monitor
    rt::CancelSource _bg_stop;
};

}  // namespace ec::rs
