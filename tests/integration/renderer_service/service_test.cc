// The whole service (fake engine) against a real redis-server: it registers before READY, serves renders
// on reserved slots, exports metrics, survives a Redis restart, and on SIGTERM deregisters at once, lets
// the render in flight finish, and exits 0 leaving nothing in Redis.
#include "service.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "fake_engine.h"
#include "renderer/registry.h"
#include "runtime/reactor.h"
#include "runtime/redis.h"
#include "service_runner.h"
#include "support/redis_server.h"
#include "test_http.h"

namespace ec::rs {
namespace {

namespace reg = registry;
using ::ec::test::RedisServer;

// Two distinct free ports: both listeners are held while the second is picked (a port
// released by the first pick may otherwise be handed out again at once).
std::pair<uint16_t, uint16_t> free_ports() {
    auto a = rt::TcpListener::bind(rt::SocketAddress::loopback(0));
    auto b = rt::TcpListener::bind(rt::SocketAddress::loopback(0));
    return {a->local_address().port(), b->local_address().port()};
}

ServiceConfig config(const RedisServer& srv) {
    ServiceConfig c;
    c.server_id = "rs-it";
    const auto [port, metrics_port] = free_ports();
    c.listen = {"127.0.0.1", port};
    c.listen_text = "127.0.0.1:" + std::to_string(port);
    c.advertise_host = "127.0.0.1";
    c.advertise_port = port;
    c.redis.addr = srv.addr();
    c.engine.pool_size = 2;
    c.engine.max_timeout_ms = 5000;
    c.queue_size = 2;
    c.metrics.enabled = true;
    c.metrics.listen = {"127.0.0.1", metrics_port};
    c.metrics.listen_text = "127.0.0.1:" + std::to_string(c.metrics.listen.port);
    c.metrics.namespace_ = "ec";
    return c;
}

reg::ReserveOutcome reserve(const RedisServer& srv, const std::string& token) {
    rt::Reactor r;
    return r.block_on([](std::string addr, std::string tok) -> rt::Task<reg::ReserveOutcome> {
        rt::redis::Options o;
        o.addr = addr;
        rt::redis::Client c(o);
        co_await c.connect(rt::Deadline::after(rt::Millis(3000)));
        auto out = co_await reg::reserve(c, tok, reg::Strategy::least_loaded, rt::Millis(30'000),
                                         rt::Deadline::after(rt::Millis(2000)));
        co_await c.close();
        co_return out;
    }(srv.addr(), token));
}

std::string render_body(const std::string& url, int tab) {
    return R"({"request_id":"it-1","url":")" + url + R"(","tab_id":)" + std::to_string(tab) + "}";
}

TEST(RenderService, RegistersServesAndShutsDownGracefully) {
    EC_REQUIRE_REDIS_SERVER();
    RedisServer srv;
    ServiceConfig cfg = config(srv);
    test::FakeEngine::Counts engine;
    test::ServiceRunner run(cfg, &engine, {}, /*grace_ms=*/100);
    ASSERT_TRUE(run.wait_ready(10'000)) << "not registered within 10 s";

    // A gateway reserves a slot and renders on it.
    reg::ReserveOutcome res = reserve(srv, "gw-req-1");
    ASSERT_TRUE(res.reservation) << res.reason;
    EXPECT_EQ(res.reservation->service_id, "rs-it");
    EXPECT_EQ(res.reservation->address, "127.0.0.1");
    EXPECT_EQ(res.reservation->port, run.api_port());
    EXPECT_EQ(res.reservation->capacity, 2);
    test::HttpReply r = test::http_request(static_cast<uint16_t>(res.reservation->port), "POST", "/render",
                                           render_body("https://a.example/", res.reservation->slot));
    ASSERT_TRUE(r.ok) << r.error << "\n" << run.logs();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("content-type"), "application/octet-stream");

    test::HttpReply m = test::http_request(run.metrics_port(), "GET", "/metrics");
    ASSERT_TRUE(m.ok) << m.error << "\n" << run.logs();
    EXPECT_EQ(m.status, 200);
    EXPECT_NE(m.body.find("ec_rs_renders_total{status=\"success\"} 1\n"), std::string::npos) << m.body;
    EXPECT_NE(m.body.find("\nec_rs_chrome_pool_size 2\n"), std::string::npos) << m.body;
    EXPECT_NE(m.body.find("\nprocess_resident_memory_bytes "), std::string::npos);
    EXPECT_EQ(test::http_request(run.metrics_port(), "GET", "/other").status, 404);

    // A slow render is in flight when SIGTERM arrives.
    auto slow = std::async(std::launch::async, [&] {
        return test::http_request(run.api_port(), "POST", "/render",
                                  render_body("https://a.example/?delay=1500", 1));
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto t_stop = std::chrono::steady_clock::now();
    run.stop();
    // Deregistered at once (well before the render ends).
    bool gone = false;
    while (std::chrono::steady_clock::now() - t_stop < std::chrono::milliseconds(1000)) {
        if (reserve(srv, "probe").reason == "no_services") {
            gone = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(gone) << "still selectable 1 s after SIGTERM";
    test::HttpReply done = slow.get();
    EXPECT_EQ(done.status, 200) << done.body;  // finished within the drain bound
    EXPECT_EQ(run.wait(), 0);
    EXPECT_EQ(engine.stops, 1);
    EXPECT_EQ(engine.cancelled, 0);
    EXPECT_EQ(srv.command({"EXISTS", reg::service_key("rs-it")}), "(integer) 0");
    EXPECT_EQ(srv.command({"ZCARD", reg::registry_key()}), "(integer) 0");
}

TEST(RenderService, ReRegistersAfterRedisRestart) {
    EC_REQUIRE_REDIS_SERVER();
    RedisServer srv;
    ServiceConfig cfg = config(srv);
    test::FakeEngine::Counts engine;
    test::ServiceRunner run(cfg, &engine);
    ASSERT_TRUE(run.wait_ready(10'000));
    ASSERT_TRUE(reserve(srv, "a").reservation);
    srv.kill();
    srv.restart();  // empty: the registry is gone
    bool back = false;
    auto t0 = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
        if (reserve(srv, "b").reservation) {
            back = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(back) << "not re-registered 5 s after Redis came back";
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
    run.stop();
    EXPECT_EQ(run.wait(), 0);
}

TEST(RenderService, WaitsForRedisBeforeReady) {
    EC_REQUIRE_REDIS_SERVER();
    RedisServer srv;
    ServiceConfig cfg = config(srv);
    srv.kill();
    test::FakeEngine::Counts engine;
    test::ServiceRunner run(cfg, &engine);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_FALSE(run.ready());
    srv.restart();
    EXPECT_TRUE(run.wait_ready(5000)) << "not ready 5 s after Redis came up";
    EXPECT_TRUE(reserve(srv, "x").reservation);
    run.stop();
    EXPECT_EQ(run.wait(), 0);
}

}  // namespace
}  // namespace ec::rs
