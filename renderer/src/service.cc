#include "service.h"

#include <unistd.h>

#include <ctime>
#include <optional>

#include "address_resolve.h"
#include "admission.h"
#include "registrar.h"
#include "render_api.h"
#include "render_request_json.h"
#include "render_response.h"
#include "renderer/registry.h"
#include "runtime/gate.h"
#include "runtime/http_server.h"
#include "runtime/metrics_handler.h"
#include "runtime/redis.h"
#include "runtime/time.h"
#include "service_metrics.h"

namespace ec::rs {
namespace {

using namespace std::chrono_literals;

// Cancels `target` when `from` fires, while alive.
class Link {
  public:
    Link(rt::CancelToken from, rt::CancelSource& target) : _hook(&Link::on), _target(target) {
        _hook.self = this;
        if (from.source() && !from.source()->add(&_hook)) target.cancel();
    }
    ~Link() { rt::CancelSource::remove_if_registered(&_hook); }
    Link(const Link&) = delete;
    Link& operator=(const Link&) = delete;

  private:
    struct Hook : rt::CancelCallback {
        using rt::CancelCallback::CancelCallback;
        Link* self = nullptr;
    };
    static void on(rt::CancelCallback* cb) noexcept { static_cast<Hook*>(cb)->self->_target.cancel(); }
    Hook _hook;
    rt::CancelSource& _target;
};

std::string hostname() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) return {};
    return buf;
}

int64_t unix_now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The socket to serve `addr` on: an activated one bound to that address, else a fresh bind.
std::unique_ptr<rt::TcpListener> open_listener(const rt::ListenAddress& addr, const std::string& text,
                                               const std::vector<rt::systemd::ListenFd>& activated,
                                               std::string* error) {
    auto addrs = resolve_host(addr.host, static_cast<uint16_t>(addr.port), error);
    if (addrs.empty()) return nullptr;
    for (const auto& a : addrs) {
        if (auto fd = rt::systemd::find_listen_fd(activated, a)) return rt::TcpListener::adopt(::dup(*fd));
    }
    std::string last;
    for (const auto& a : addrs) {
        try {
            return rt::TcpListener::bind(a);
        } catch (const std::exception& e) {
            last = e.what();
        }
    }
    if (error) *error = "cannot listen on " + text + ": " + last;
    return nullptr;
}

}  // namespace

struct Service::State {
    rt::CancelSource stop;   // first SIGTERM/SIGINT (or the test hook)
    rt::CancelSource force;  // a second one: cut the drain short
    rt::CancelSource signals_done;
    bool stopping = false;
};

Service::Service(const ServiceConfig& cfg, rt::log::Logger& log, rt::SignalSet* signals,
                 EngineFactory factory, ServiceHooks hooks)
    : _cfg(cfg), _log(log), _signals(signals), _factory(std::move(factory)), _hooks(std::move(hooks)) {}

Service::~Service() = default;

rt::Task<void> Service::watch_signals(State& st) {
    for (;;) {
        int sig = co_await _signals->wait(st.signals_done);
        if (sig < 0) co_return;
        if (sig == SIGHUP) {
            std::string why = _log.reopen();
            if (why.empty()) {
                _log.info(
                    "SIGHUP: log files reopened; configuration reload is not supported (restart to apply "
                    "changes)");
            } else {
                _log.error("SIGHUP: log file reopen failed", {{"error", why}});
            }
            continue;
        }
        const char* name = sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "signal";
        if (!st.stop.cancelled()) {
            _log.info("Shutdown requested", {{"signal", name}});
            st.stop.cancel();
        } else {
            _log.warn("Second shutdown signal: cancelling renders still in flight", {{"signal", name}});
            st.force.cancel();
        }
    }
}

rt::Task<int> Service::run() {
    State st;
    rt::systemd::Watchdog::Attachment member;
    if (_hooks.watchdog) member = _hooks.watchdog->attach();
    rt::Gate bg;
    Link test_stop(_hooks.stop, st.stop);
    if (_signals) rt::spawn(bg, watch_signals(st));
    int rc = 1;
    try {
        rc = co_await serve(st);
    } catch (const std::exception& e) {
        _log.error("Render service failed", {{"error", e.what()}});
        rc = 1;
    }
    st.signals_done.cancel();
    co_await bg.close();
    co_return rc;
}

rt::Task<int> Service::serve(State& st) {
    rt::Reactor& reactor = rt::Reactor::current();
    const auto* notifier = _hooks.notifier;
    auto status = [&](std::string_view s) {
        if (notifier) notifier->status(s);
    };
    const EngineOptions& eo = _cfg.engine;
    _log.info("Render service starting", {{"service_id", _cfg.server_id},
                                          {"version", kServiceVersion},
                                          {"listen", _cfg.listen_text},
                                          {"pool_size", eo.pool_size},
                                          {"pool_size_auto", _cfg.pool_auto},
                                          {"queue_size", _cfg.queue_size},
                                          {"max_timeout_ms", static_cast<int64_t>(eo.max_timeout_ms)},
                                          {"chrome", eo.chrome_binary}});

    // 1. The engine: Chromium launched and warmed up.
    status("starting Chromium");
    std::unique_ptr<RenderEngine> engine = _factory(eo);
    {
        std::string failure;
        try {
            co_await engine->start();
        } catch (const std::exception& e) {
            failure = e.what();
        }
        if (!failure.empty()) {
            _log.error("Chromium could not be started", {{"error", failure}, {"chrome", eo.chrome_binary}});
            co_await engine->stop();
            co_return 1;
        }
    }
    EngineStats started = engine->stats();
    _log.info("Chrome pool started", {{"pool_size", started.pool_size}, {"processes", started.processes}});
    if (st.stop.cancelled()) {
        co_await engine->stop();
        co_return 0;
    }

    // 2. Listeners.
    std::string why;
    auto api_listener = open_listener(_cfg.listen, _cfg.listen_text, _hooks.activated, &why);
    std::unique_ptr<rt::TcpListener> metrics_listener;
    if (api_listener && _cfg.metrics.enabled) {
        metrics_listener =
            open_listener(_cfg.metrics.listen, _cfg.metrics.listen_text, _hooks.activated, &why);
    }
    if (!api_listener || (_cfg.metrics.enabled && !metrics_listener)) {
        _log.error("Cannot listen", {{"error", why}});
        if (api_listener) co_await api_listener->close();
        co_await engine->stop();
        co_return 1;
    }
    rt::SocketAddress api_addr = api_listener->local_address();
    std::optional<rt::SocketAddress> metrics_addr;
    if (metrics_listener) metrics_addr = metrics_listener->local_address();

    Admission admission(eo.pool_size, _cfg.queue_size);
    RenderEngine* eng = engine.get();
    ServiceMetrics metrics(
        _cfg.metrics.namespace_, [eng] { return eng->stats(); }, [&admission] { return admission.queued(); });
    RenderApi api(*engine, admission, metrics, _log, ApiOptions{eo.pool_size, eo.max_timeout_ms});
    const auto conn_timeout = static_cast<uint32_t>(eo.max_timeout_ms + 10'000);
    rt::HttpServerOptions hopts;
    hopts.max_body_bytes = kMaxRequestBody;
    hopts.request_timeout_ms = 30'000;
    hopts.idle_timeout_ms = conn_timeout;  // the reference: read/write/idle = max_timeout + 10 s
    hopts.write_timeout_ms = conn_timeout;
    rt::HttpServer http(api, hopts);
    rt::metrics::MetricsHandler metrics_handler(metrics.registry(), _cfg.metrics.path);
    rt::HttpServerOptions mopts;
    mopts.max_body_bytes = 4096;
    rt::HttpServer metrics_http(metrics_handler, mopts);
    rt::Gate serving;
    rt::spawn(serving, http.serve(*api_listener));
    if (metrics_listener) rt::spawn(serving, metrics_http.serve(*metrics_listener));
    _log.info("Listening",
              {{"api", api_addr.to_string()},
               {"metrics", metrics_addr ? metrics_addr->to_string() + _cfg.metrics.path : "off"}});

    // 3. Redis: registered before READY=1.
    status("waiting for Redis");
    std::optional<rt::redis::Client> redis;
    std::optional<Registrar> registrar;
    bool registered = false;
    {
        ServiceIdentity who;
        who.id = _cfg.server_id;
        who.address = _cfg.advertise_host;
        who.port = _cfg.advertise_port ? _cfg.advertise_port : api_addr.port();
        who.capacity = eo.pool_size;
        who.version = kServiceVersion;
        who.hostname = hostname();
        who.pid = ::getpid();
        who.started_at = rfc3339_utc(unix_now_ns());
        if (who.address == "0.0.0.0") {
            _log.warn(
                "Advertising 0.0.0.0: only gateways on this machine can reach this service; set "
                "server.advertise",
                {{"service_id", who.id}});
        }
        while (!st.stop.cancelled()) {
            std::string addr_err;
            std::string addr = resolve_host_port(_cfg.redis.addr, &addr_err);
            if (!addr.empty() && !redis) {
                rt::redis::Options ro;
                ro.addr = addr;
                ro.password = _cfg.redis.password;
                ro.db = _cfg.redis.db;
                ro.command_timeout = rt::Millis(2000);
                redis.emplace(ro);
                registrar.emplace(*redis, who, [eng] { return eng->stats(); }, _log);
            }
            std::string err = addr_err;
            if (registrar) {
                auto up = co_await redis->connect(rt::Deadline::after(rt::Millis(3000)));
                if (up && co_await registrar->register_service(rt::Deadline::after(rt::Millis(3000)), &err)) {
                    registered = true;
                    break;
                }
                if (!up) err = up.error().message;
            }
            _log.limited(rt::log::Level::warn, "redis_wait", std::chrono::seconds(10),
                         "Waiting for Redis to register the service",
                         {{"redis", _cfg.redis.addr}, {"error", err}});
            co_await rt::sleep_for(rt::Millis(1000), st.stop);
        }
    }

    rt::CancelSource heartbeat_stop;
    rt::Gate heartbeat;
    if (registered) {
        _log.info("Registered in service registry",
                  {{"service_id", _cfg.server_id},
                   {"address", _cfg.advertise_host},
                   {"port", _cfg.advertise_port ? _cfg.advertise_port : static_cast<int>(api_addr.port())},
                   {"capacity", eo.pool_size}});
        if (notifier) notifier->ready("serving; render capacity " + std::to_string(eo.pool_size));
        rt::spawn(heartbeat,
                  registrar->run(heartbeat_stop, [&metrics] { metrics.render_error("registry"); }));
        if (_hooks.on_ready) _hooks.on_ready(api_addr, metrics_addr ? &*metrics_addr : nullptr);

        // 4. Serve until asked to stop.
        co_await rt::sleep_for(std::chrono::hours(24 * 365 * 10), st.stop);
    }

    // 5. Graceful shutdown.
    if (notifier) notifier->stopping("draining");
    _log.info("Shutting down", {{"in_flight", api.in_flight()}});
    heartbeat_stop.cancel();
    co_await heartbeat.close();
    if (registered) {
        bool ok = co_await registrar->deregister(rt::Deadline::after(rt::Millis(2000)));
        if (ok)
            _log.info("Deregistered from service registry", {{"service_id", _cfg.server_id}});
        else
            _log.warn("Deregistration failed; the entry expires within 3 s",
                      {{"service_id", _cfg.server_id}});
        // Gateways that reserved a slot just before deregistration are still on their way.
        co_await rt::sleep_for(rt::Millis(static_cast<int64_t>(_hooks.deregister_grace_ms)), st.force);
    }
    api.start_draining();
    const uint64_t bound = static_cast<uint64_t>(eo.max_timeout_ms) + _hooks.drain_extra_ms;
    {
        rt::CancelSource cut;
        Link forced(st.force, cut);
        struct CutRenders : rt::CancelCallback {
            RenderApi* api;
            CutRenders(RenderApi* a) : rt::CancelCallback(&CutRenders::fire), api(a) {}
            static void fire(rt::CancelCallback* cb) noexcept {
                static_cast<CutRenders*>(cb)->api->cancel_renders();
            }
        } cut_hook(&api);
        if (!cut.add(&cut_hook)) api.cancel_renders();
        const uint64_t t0 = reactor.refresh_now();
        co_await http.drain(bound);
        rt::CancelSource::remove_if_registered(&cut_hook);
        _log.info("HTTP drained", {{"drain_ms", static_cast<int64_t>(reactor.refresh_now() - t0)},
                                   {"bound_ms", static_cast<int64_t>(bound)}});
    }
    co_await metrics_http.drain(1000);
    co_await serving.close();
    api.cancel_renders();
    co_await engine->stop();
    _log.info("Chrome pool stopped");
    if (redis) co_await redis->close();
    _log.info("Render service stopped", {{"service_id", _cfg.server_id}});
    co_return 0;
}

}  // namespace ec::rs
