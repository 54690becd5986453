// Runs a Service (with a FakeEngine) on its own reactor thread for tests; stop() asks it to stop as
// SIGTERM would, wait() returns its exit code.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "fake_engine.h"
#include "runtime/log.h"
#include "runtime/net.h"
#include "runtime/reactor.h"
#include "service.h"

namespace ec::rs::test {

// Runs a Service on its own reactor thread; stop() asks it to stop as SIGTERM would.
class ServiceRunner {
  public:
    // `counts` receives what the engine did once the service destroyed it (after wait()).
    ServiceRunner(const ServiceConfig& cfg, FakeEngine::Counts* counts, std::string start_error = {},
                  uint64_t grace_ms = 0)
        : _cfg(cfg) {
        // The service's log goes to a private file, printed by tests when they fail (logs()).
        _log.clear_sinks();
        const char* tmp = std::getenv("TMPDIR");  // NOLINT(concurrency-mt-unsafe)
        std::string path = std::string(tmp && *tmp ? tmp : "/tmp") + "/ec-rs-test-log-XXXXXX";
        int fd = ::mkstemp(path.data());
        if (fd >= 0) {
            ::close(fd);
            _log_path = path;
            _log.add_file(_log_path, rt::log::Format::text, rt::log::Level::debug);
        }
        _th = std::thread([this, counts, start_error, grace_ms] {
            rt::Reactor r;
            {
                std::lock_guard<std::mutex> lk(_mu);
                _reactor = &r;
            }
            _started = true;
            ServiceHooks hooks;
            hooks.stop = _stop;
            hooks.deregister_grace_ms = grace_ms;
            hooks.on_ready = [this](const rt::SocketAddress& api, const rt::SocketAddress* metrics) {
                _api_port = api.port();
                _metrics_port = metrics ? metrics->port() : 0;
                _ready = true;
            };
            Service svc(
                _cfg, _log, nullptr,
                [counts, start_error](const EngineOptions& o) -> std::unique_ptr<RenderEngine> {
                    auto e = std::make_unique<FakeEngine>(o.pool_size, counts);
                    e->start_error = start_error;
                    return e;
                },
                std::move(hooks));
            _rc = r.block_on(svc.run());
            std::lock_guard<std::mutex> lk(_mu);
            _reactor = nullptr;  // from here on stop() must not post to it
        });
        while (!_started.load())
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ~ServiceRunner() {
        stop();
        if (_th.joinable()) _th.join();
        if (!_log_path.empty()) ::unlink(_log_path.c_str());
    }
    // What the service logged so far (for failure messages).
    std::string logs() const {
        std::ifstream in(_log_path);
        return "service log:\n" + std::string(std::istreambuf_iterator<char>(in), {});
    }
    void stop() {
        std::lock_guard<std::mutex> lk(_mu);
        if (_reactor) _reactor->post_remote([this] { _stop.cancel(); });
    }
    int wait() {
        _th.join();
        return _rc;
    }
    bool ready() const { return _ready; }
    // Waits until the service registered and serves (false after `ms`).
    bool wait_ready(int ms) const {
        for (int i = 0; i < ms && !_ready; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return _ready;
    }
    uint16_t api_port() const { return _api_port; }
    uint16_t metrics_port() const { return _metrics_port; }

  private:
    const ServiceConfig& _cfg;
    std::string _log_path;
    rt::log::Logger _log;
    std::thread _th;
    std::mutex _mu;
    rt::Reactor* _reactor = nullptr;  // guarded by _mu
    std::atomic<bool> _started{false};
    rt::CancelSource _stop;
    std::atomic<bool> _ready{false};
    std::atomic<uint16_t> _api_port{0}, _metrics_port{0};
    int _rc = -1;
};

}  // namespace ec::rs::test
