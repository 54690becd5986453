// The render service's lifecycle on one reactor: start-up, serving, graceful shutdown.
//
// Start-up: engine (Chromium launched and warmed up) -> listeners bound (API, metrics) -> Redis answers and
// the service is registered -> READY=1 (systemd) -> serve; the watchdog pings while the reactor turns.
//
// SIGTERM/SIGINT: STOPPING=1 -> heartbeat stopped and the service deregistered (gateways stop choosing it
// at once) -> a short grace (1 s) in which renders already reserved by gateways are still accepted -> the
// API stops taking renders (503 pool_unavailable) and the listener closes -> renders in flight get up to
// max_timeout + 5 s to finish, then are cancelled -> the engine stops (every Chromium killed and reaped) ->
// exit 0. A second signal cuts the drain short. SIGHUP reopens log files (reload is not supported).
//
// Core affinity: run() on the one reactor of the service; the engine is created there by the factory.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "render_types.h"
#include "runtime/cancel.h"
#include "runtime/log.h"
#include "runtime/net.h"
#include "runtime/signals.h"
#include "runtime/systemd.h"
#include "runtime/task.h"
#include "service_config.h"

namespace ec::rs {

using EngineFactory = std::function<std::unique_ptr<RenderEngine>(const EngineOptions&)>;

struct ServiceHooks {
    // Systemd integration (null: none).
    const rt::systemd::Notifier* notifier = nullptr;
    rt::systemd::Watchdog* watchdog = nullptr;
    // Listening sockets passed by socket activation (LISTEN_FDS), matched to the configured addresses.
    std::vector<rt::systemd::ListenFd> activated;
    // Grace between deregistration and closing the API (requests already routed here keep coming in).
    uint64_t deregister_grace_ms = 1000;
    // Extra drain time on top of max_timeout.
    uint64_t drain_extra_ms = 5000;
    // Tests: called once the service is registered and serving, with the bound API and metrics addresses.
    std::function<void(const rt::SocketAddress& api, const rt::SocketAddress* metrics)> on_ready;
    // Tests: stops the service as SIGTERM would (checked alongside the signals).
    rt::CancelToken stop;
};

class Service {
  public:
    Service(const ServiceConfig& cfg, rt::log::Logger& log, rt::SignalSet* signals, EngineFactory factory,
            ServiceHooks hooks = {});
    ~Service();
    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;

    // Runs until stopped; returns the process exit code (0 after a graceful stop, 1 when start-up failed).
    rt::Task<int> run();

  private:
    struct State;
    rt::Task<void> watch_signals(State& st);
    rt::Task<int> serve(State& st);

    const ServiceConfig& _cfg;
    rt::log::Logger& _log;
    rt::SignalSet* _signals;
    EngineFactory _factory;
    ServiceHooks _hooks;
};

// Version string published in the registry and the start-up log.
inline constexpr const char* kServiceVersion = "0.1.0";

}  // namespace ec::rs
