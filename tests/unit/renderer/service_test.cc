// Service lifecycle without Redis: start-up failures end with exit code 1 and the engine stopped; while
// Redis is unreachable the API already answers /health, READY is withheld, and a stop request still ends
// cleanly.
#include "service.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "fake_engine.h"
#include "runtime/reactor.h"
#include "service_runner.h"
#include "test_http.h"

namespace ec::rs {
namespace {

uint16_t free_port() {
    auto l = rt::TcpListener::bind(rt::SocketAddress::loopback(0));
    return l->local_address().port();
}

ServiceConfig config(uint16_t port) {
    ServiceConfig c;
    c.server_id = "rs-test";
    c.listen = {"127.0.0.1", port};
    c.listen_text = "127.0.0.1:" + std::to_string(port);
    c.advertise_host = "127.0.0.1";
    c.advertise_port = port;
    c.redis.addr = "127.0.0.1:1";  // nothing listens there
    c.engine.pool_size = 2;
    c.engine.max_timeout_ms = 1000;
    c.queue_size = 2;
    return c;
}

TEST(Service, EngineStartFailureExitsWithOne) {
    ServiceConfig cfg = config(free_port());
    test::FakeEngine::Counts engine;
    test::ServiceRunner run(cfg, &engine, "no browser here");
    EXPECT_EQ(run.wait(), 1);
    EXPECT_EQ(engine.starts, 1);
    EXPECT_EQ(engine.stops, 1);
}

TEST(Service, ListenFailureExitsWithOne) {
    auto taken = rt::TcpListener::bind(rt::SocketAddress::loopback(0), rt::ListenOptions{16, false});
    ServiceConfig cfg = config(taken->local_address().port());
    test::FakeEngine::Counts engine;
    test::ServiceRunner run(cfg, &engine);
    EXPECT_EQ(run.wait(), 1);
    EXPECT_EQ(engine.stops, 1);
}

TEST(Service, ServesHealthWhileWaitingForRedisAndStopsCleanly) {
    uint16_t port = free_port();
    ServiceConfig cfg = config(port);
    test::FakeEngine::Counts engine;
    test::ServiceRunner run(cfg, &engine);
    test::HttpReply r;
    for (int i = 0; i < 200 && !r.ok; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        r = test::http_request(port, "GET", "/health");
    }
    ASSERT_TRUE(r.ok) << r.error << "\n" << run.logs();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"status":"ok","pool_size":2,"available_instances":2,"active_instances":0})");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_FALSE(run.ready());  // never registered: READY withheld
    run.stop();
    EXPECT_EQ(run.wait(), 0);
    EXPECT_EQ(engine.stops, 1);
    EXPECT_FALSE(test::http_request(port, "GET", "/health").ok);  // the listener is closed
}

}  // namespace
}  // namespace ec::rs
