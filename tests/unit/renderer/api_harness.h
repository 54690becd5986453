// Runs a RenderApi (with a FakeEngine) behind the real HTTP server on a loopback port, on a reactor thread,
// so tests can talk to it with a blocking client from the test thread.
#pragma once

#include <atomic>
#include <future>
#include <memory>
#include <thread>

#include "admission.h"
#include "fake_engine.h"
#include "render_api.h"
#include "runtime/gate.h"
#include "runtime/http_server.h"
#include "runtime/log.h"
#include "runtime/net.h"
#include "runtime/reactor.h"
#include "runtime/time.h"
#include "service_metrics.h"

namespace ec::rs::test {

class ApiHarness {
  public:
    ApiHarness(int pool, int queue, int64_t max_timeout_ms, uint64_t drain_ms = 3000)
        : engine(pool),
          admission(pool, queue),
          metrics(
              "", [this] { return engine.stats(); }, [this] { return admission.queued(); }),
          api(engine, admission, metrics, log, ApiOptions{pool, max_timeout_ms}),
          _drain_ms(drain_ms) {
        log.clear_sinks();  // keep test output quiet; lines are checked through the metrics instead
        std::promise<void> ready;
        auto f = ready.get_future();
        _th = std::thread([this, &ready] { run(ready); });
        f.wait();
    }
    ~ApiHarness() { stop(); }
    ApiHarness(const ApiHarness&) = delete;
    ApiHarness& operator=(const ApiHarness&) = delete;

    // Runs `fn` on the reactor thread and waits for it.
    template <class F>
    void on_reactor(F fn) {
        std::promise<void> done;
        auto f = done.get_future();
        _reactor.load()->post_remote([&] {
            fn();
            done.set_value();
        });
        f.wait();
    }

    // Graceful drain of the HTTP server (bounded by drain_ms), then the thread ends.
    void stop() {
        if (!_th.joinable()) return;
        _reactor.load()->post_remote([this] { _stop.cancel(); });
        _th.join();
    }

    uint16_t port() const noexcept { return _port; }

    FakeEngine engine;
    Admission admission;
    rt::log::Logger log;
    ServiceMetrics metrics;
    RenderApi api;

  private:
    void run(std::promise<void>& ready) {
        rt::Reactor r;
        _reactor = &r;
        r.block_on([](ApiHarness* self, std::promise<void>* ready) -> rt::Task<void> {
            co_await self->engine.start();
            auto l = rt::TcpListener::bind(rt::SocketAddress::loopback(0));
            self->_port = l->local_address().port();
            rt::HttpServer server(self->api);
            rt::Gate g;
            rt::spawn(g, server.serve(*l));
            ready->set_value();
            co_await rt::sleep_for(std::chrono::hours(1), self->_stop);
            self->api.start_draining();
            co_await server.drain(self->_drain_ms);
            co_await g.close();
            co_await self->engine.stop();
        }(this, &ready));
    }

    std::thread _th;
    std::atomic<rt::Reactor*> _reactor{nullptr};
    std::atomic<uint16_t> _port{0};
    rt::CancelSource _stop;
    uint64_t _drain_ms;
};

}  // namespace ec::rs::test
