// The render-service registry (renderer/registry.h) against a real redis-server: registration and
// heartbeat, atomic reservation by strategy, owner-checked release, reservation expiry, a dead service
// leaving selection within 3 s, deregistration, script reload after SCRIPT FLUSH — and never KEYS/SCAN.
#include "renderer/registry.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "registrar.h"
#include "runtime/gate.h"
#include "runtime/reactor.h"
#include "runtime/redis.h"
#include "runtime/time.h"
#include "runtime/when_all.h"
#include "support/redis_server.h"

namespace ec::rs {
namespace {

using ::ec::test::RedisServer;
using rt::Task;
using rt::redis::Client;
namespace reg = registry;

#define CO_ASSERT(cond)                                  \
    do {                                                 \
        if (!(cond)) {                                   \
            ADD_FAILURE() << "assertion failed: " #cond; \
            co_return;                                   \
        }                                                \
    } while (0)

rt::Deadline soon() {
    return rt::Deadline::after(rt::Millis(2000));
}

void with_client(const RedisServer& srv, const std::function<Task<void>(Client&)>& body) {
    rt::Reactor r;
    r.block_on([](std::string addr, const std::function<Task<void>(Client&)>& b) -> Task<void> {
        rt::redis::Options o;
        o.addr = addr;
        Client c(o);
        std::exception_ptr ex;
        try {
            auto up = co_await c.connect(rt::Deadline::after(rt::Millis(5000)));
            EXPECT_TRUE(up);
            if (up) co_await b(c);
        } catch (...) {
            ex = std::current_exception();
        }
        co_await c.close();
        if (ex) std::rethrow_exception(ex);
    }(srv.addr(), body));
}

ServiceIdentity identity(const std::string& id, int capacity, int port = 10080) {
    ServiceIdentity w;
    w.id = id;
    w.address = "10.0.0." + std::to_string(port % 200);
    w.port = port;
    w.capacity = capacity;
    w.version = "test";
    w.hostname = "host-" + id;
    w.pid = 4242;
    w.started_at = "2026-01-01T00:00:00Z";
    return w;
}

// Commands of the server's own statistics ("keys", "scan", ...) that have been called at least once.
std::set<std::string> commands_called(const RedisServer& srv) {
    std::string info = srv.command({"INFO", "commandstats"});
    std::set<std::string> out;
    size_t p = 0;
    while ((p = info.find("cmdstat_", p)) != std::string::npos) {
        p += 8;
        out.insert(info.substr(p, info.find(':', p) - p));
    }
    return out;
}

// A logger with no output (the registrar logs only failures).
struct QuietLogger : rt::log::Logger {
    QuietLogger() { clear_sinks(); }
};

TEST(Registry, RegisterReserveRelease) {
    EC_REQUIRE_REDIS_SERVER();
    RedisServer srv;
    srv.command({"CONFIG", "RESETSTAT"});
    with_client(srv, [&](Client& c) -> Task<void> {
        QuietLogger log;
        Registrar a(c, identity("rs-a", 2, 10080), [] { return EngineStats{2, 0, 2, 1}; }, log);
        std::string err;
        CO_ASSERT(co_await a.register_service(soon(), &err));

        // The service hash carries what gateways dial.
        auto h = co_await c.command({"HGETALL", reg::service_key("rs-a")});
        CO_ASSERT(h && h->is_array());
        std::map<std::string, std::string> fields;
        for (size_t i = 0; i + 1 < h->elements().size(); i += 2)
            fields[std::string(h->elements()[i].str())] = std::string(h->elements()[i + 1].str());
        EXPECT_EQ(fields["address"], "10.0.0.80");
        EXPECT_EQ(fields["port"], "10080");
        EXPECT_EQ(fields["capacity"], "2");
        EXPECT_EQ(fields["version"], "test");
        EXPECT_EQ(fields["available"], "2");
        EXPECT_FALSE(fields["heartbeat_ms"].empty());
        auto ttl = co_await c.command({"PTTL", reg::service_key("rs-a")});
        CO_ASSERT(ttl);
        EXPECT_GT(ttl->integer(), 5000);

        auto r1 = co_await reg::reserve(c, "req-1", reg::Strategy::least_loaded, rt::Millis(10'000), soon());
        CO_ASSERT(r1.reservation);
        EXPECT_EQ(r1.reservation->service_id, "rs-a");
        EXPECT_EQ(r1.reservation->address, "10.0.0.80");
        EXPECT_EQ(r1.reservation->port, 10080);
        EXPECT_EQ(r1.reservation->slot, 0);
        EXPECT_EQ(r1.reservation->capacity, 2);
        EXPECT_EQ(r1.reservation->load, 1);
        auto r2 = co_await reg::reserve(c, "req-2", reg::Strategy::least_loaded, rt::Millis(10'000), soon());
        CO_ASSERT(r2.reservation);
        EXPECT_EQ(r2.reservation->slot, 1);
        auto r3 = co_await reg::reserve(c, "req-3", reg::Strategy::least_loaded, rt::Millis(10'000), soon());
        EXPECT_FALSE(r3.reservation);
        EXPECT_EQ(r3.reason, "no_capacity");
        EXPECT_FALSE(r3.redis_error);

        // Only the holder can release a slot.
        reg::Reservation forged = *r1.reservation;
        forged.token = "someone-else";
        EXPECT_FALSE((co_await reg::release(c, forged, soon())).held);
        auto rel = co_await reg::release(c, *r1.reservation, soon());
        EXPECT_TRUE(rel.held);
        EXPECT_TRUE(rel.error.empty());
        EXPECT_FALSE((co_await reg::release(c, *r1.reservation, soon())).held);  // twice: no-op

        // The freed slot (the lowest) is handed out again.
        auto r4 = co_await reg::reserve(c, "req-4", reg::Strategy::least_loaded, rt::Millis(10'000), soon());
        CO_ASSERT(r4.reservation);
        EXPECT_EQ(r4.reservation->slot, 0);

        auto list = co_await reg::list_services(c, soon());
        CO_ASSERT(list.error.empty() && list.services.size() == 1);
        EXPECT_EQ(list.services[0].id, "rs-a");
        EXPECT_EQ(list.services[0].capacity, 2);
        EXPECT_EQ(list.services[0].load, 2);

        // Deregistration removes it from selection at once.
        EXPECT_TRUE(co_await a.deregister(soon()));
        auto r5 = co_await reg::reserve(c, "req-5", reg::Strategy::least_loaded, rt::Millis(10'000), soon());
        EXPECT_EQ(r5.reason, "no_services");
        auto exists = co_await c.command(
            {"EXISTS", reg::service_key("rs-a"), reg::reservations_key("rs-a"), reg::owners_key("rs-a")});
        EXPECT_EQ(exists->integer(), 0);
    });
    auto called = commands_called(srv);
    EXPECT_EQ(called.count("keys"), 0u);
    EXPECT_EQ(called.count("scan"), 0u);
    EXPECT_EQ(called.count("evalsha"), 1u);
}

TEST(Registry, Strategies) {
    EC_REQUIRE_REDIS_SERVER();
    RedisServer srv;
    with_client(srv, [&](Client& c) -> Task<void> {
        QuietLogger log;
        Registrar small(c, identity("small", 2, 10001), {}, log);
        Registrar big(c, identity("big", 10, 10002), {}, log);
        CO_ASSERT(co_await small.register_service(soon()));
        CO_ASSERT(co_await big.register_service(soon()));
        // big already holds 4 of its 10 slots (far-future expiry).
        co_await c.command({"ZADD", reg::reservations_key("big"), "99999999999999", "0", "99999999999999",
                            "1", "99999999999999", "2", "99999999999999", "3"});
        auto r1 = co_await reg::reserve(c, "x1", reg::Strategy::least_loaded, rt::Millis(60'000), soon());
        CO_ASSERT(r1.reservation);
        EXPECT_EQ(r1.reservation->service_id, "small");  // 0/2 < 4/10
        auto r2 = co_await reg::reserve(c, "x2", reg::Strategy::least_loaded, rt::Millis(60'000), soon());
        CO_ASSERT(r2.reservation);
        EXPECT_EQ(r2.reservation->service_id, "big");  // 4/10 < 1/2
        EXPECT_EQ(r2.reservation->slot, 4);            // the lowest free slot
        auto r3 = co_await reg::reserve(c, "x3", reg::Strategy::most_available, rt::Millis(60'000), soon());
        CO_ASSERT(r3.reservation);
        EXPECT_EQ(r3.reservation->service_id, "big");  // 5 free > 1 free
        // small 1/2 and big 6/10: least_loaded still prefers small (0.5 < 0.6).
        auto r4 = co_await reg::reserve(c, "x4", reg::Strategy::least_loaded, rt::Millis(60'000), soon());
        CO_ASSERT(r4.reservation);
        EXPECT_EQ(r4.reservation->service_id, "small");
        auto list = co_await reg::list_services(c, soon());
        CO_ASSERT(list.services.size() == 2);
        std::map<std::string, int> load;
        for (const auto& s : list.services)
            load[s.id] = s.load;
        EXPECT_EQ(load["small"], 2);
        EXPECT_EQ(load["big"], 6);
    });
}

TEST(Registry, ReservationsExpireOnTheirOwn) {
    EC_REQUIRE_REDIS_SERVER();
    RedisServer srv;
    with_client(srv, [&](Client& c) -> Task<void> {
        QuietLogger log;
        Registrar a(c, identity("rs-a", 1), {}, log);
        CO_ASSERT(co_await a.register_service(soon()));
        // A gateway reserves and crashes (never releases): the slot frees itself after its ttl.
        auto r1 =
            co_await reg::reserve(c, "crashed-gw", reg::Strategy::least_loaded, rt::Millis(300), soon());
        CO_ASSERT(r1.reservation);
        auto r2 = co_await reg::reserve(c, "other", reg::Strategy::least_loaded, rt::Millis(300), soon());
        EXPECT_EQ(r2.reason, "no_capacity");
        co_await rt::sleep_for(rt::Millis(350));
        auto r3 = co_await reg::reserve(c, "other", reg::Strategy::least_loaded, rt::Millis(5000), soon());
        CO_ASSERT(r3.reservation);
        EXPECT_EQ(r3.reservation->slot, 0);
        // The late release of the crashed holder does not free the new holder's slot.
        EXPECT_FALSE((co_await reg::release(c, *r1.reservation, soon())).held);
        auto r4 = co_await reg::reserve(c, "third", reg::Strategy::least_loaded, rt::Millis(5000), soon());
        EXPECT_EQ(r4.reason, "no_capacity");
        // extend() pushes a live reservation's expiry; an expired or foreign one is refused.
        EXPECT_TRUE((co_await reg::extend(c, *r3.reservation, rt::Millis(60'000), soon())).held);
        auto pttl = co_await c.command({"PTTL", reg::reservations_key("rs-a")});
        EXPECT_GT(pttl->integer(), 60'000);
        EXPECT_FALSE((co_await reg::extend(c, *r1.reservation, rt::Millis(60'000), soon())).held);
    });
}

// The brief's acceptance test: register, stop heartbeating (as a killed service does), and the service
// must leave selection within 3 s — while staying selectable as long as its heartbeat is fresh.
TEST(Registry, DeadServiceLeavesSelectionWithinThreeSeconds) {
    EC_REQUIRE_REDIS_SERVER();
    RedisServer srv;
    with_client(srv, [&](Client& c) -> Task<void> {
        QuietLogger log;
        Registrar a(c, identity("rs-dying", 4), {}, log);
        CO_ASSERT(co_await a.register_service(soon()));
        // Heartbeats keep it alive well past the 3 s window.
        rt::CancelSource stop;
        rt::Gate g;
        rt::spawn(g, a.run(stop));
        co_await rt::sleep_for(rt::Millis(3500));
        auto alive =
            co_await reg::reserve(c, "probe-1", reg::Strategy::least_loaded, rt::Millis(100), soon());
        EXPECT_TRUE(alive.reservation) << alive.reason;
        EXPECT_GE(a.heartbeats_ok(), 3u);
        // "kill -9": the heartbeat stops without deregistration.
        stop.cancel();
        co_await g.close();
        rt::Reactor& r = rt::Reactor::current();
        const uint64_t killed = r.refresh_now();
        uint64_t gone_after = 0;
        bool seen_alive_late = false;
        while (r.refresh_now() - killed < 5000) {
            auto res = co_await reg::reserve(c, "probe", reg::Strategy::least_loaded, rt::Millis(1), soon());
            if (!res.reservation && res.reason == "no_services") {
                gone_after = r.refresh_now() - killed;
                break;
            }
            if (r.refresh_now() - killed >= 1500) seen_alive_late = true;
            co_await rt::sleep_for(rt::Millis(20));
        }
        EXPECT_GT(gone_after, 0u) << "still selectable 5 s after its last heartbeat";
        EXPECT_LE(gone_after, 3000u + 50u);
        // It was pruned by liveness expiry, not at once: the last beat was < 1 s before the kill.
        EXPECT_TRUE(seen_alive_late);
        auto members = co_await c.command({"ZCARD", reg::registry_key()});
        EXPECT_EQ(members->integer(), 0);  // pruned from the set by the reserve that found it dead
        // A heartbeat brings it back (a service that was only paused).
        CO_ASSERT(co_await a.heartbeat(soon()));
        auto back = co_await reg::reserve(c, "probe-2", reg::Strategy::least_loaded, rt::Millis(100), soon());
        EXPECT_TRUE(back.reservation);
    });
    EXPECT_EQ(commands_called(srv).count("keys"), 0u);
}

TEST(Registry, ConcurrentReservationsNeverExceedCapacity) {
    EC_REQUIRE_REDIS_SERVER();
    RedisServer srv;
    // Two clients (as two gateways) race for 5 slots on two services.
    with_client(srv, [&](Client& c1) -> Task<void> {
        QuietLogger log;
        Registrar a(c1, identity("a", 2, 10001), {}, log);
        Registrar b(c1, identity("b", 3, 10002), {}, log);
        CO_ASSERT(co_await a.register_service(soon()));
        CO_ASSERT(co_await b.register_service(soon()));
        rt::redis::Options o;
        o.addr = srv.addr();
        Client c2(o);
        CO_ASSERT(co_await c2.connect(soon()));
        std::vector<Task<reg::ReserveOutcome>> calls;
        for (int i = 0; i < 20; ++i) {
            Client& c = i % 2 ? c2 : c1;
            calls.push_back(reg::reserve(c, "t" + std::to_string(i), reg::Strategy::least_loaded,
                                         rt::Millis(60'000), soon()));
        }
        auto results = co_await rt::when_all(std::move(calls));
        co_await c2.close();
        std::map<std::string, std::set<int>> slots;
        int granted = 0;
        for (const auto& r : results) {
            if (!r.reservation) {
                EXPECT_EQ(r.reason, "no_capacity");
                continue;
            }
            ++granted;
            EXPECT_TRUE(slots[r.reservation->service_id].insert(r.reservation->slot).second)
                << "slot handed out twice";
        }
        EXPECT_EQ(granted, 5);
        EXPECT_EQ(slots["a"], (std::set<int>{0, 1}));
        EXPECT_EQ(slots["b"], (std::set<int>{0, 1, 2}));
    });
}

TEST(Registry, ScriptsSurviveFlushAndRestart) {
    EC_REQUIRE_REDIS_SERVER();
    RedisServer srv;
    with_client(srv, [&](Client& c) -> Task<void> {
        QuietLogger log;
        Registrar a(c, identity("rs-a", 1), {}, log);
        CO_ASSERT(co_await a.register_service(soon()));
        co_await c.command({"SCRIPT", "FLUSH"});
        auto r = co_await reg::reserve(c, "x", reg::Strategy::least_loaded, rt::Millis(1000), soon());
        EXPECT_TRUE(r.reservation) << r.reason;
        CO_ASSERT(co_await a.heartbeat(soon()));
    });
}

TEST(Registry, RegistrationDropsReservationsOfAPreviousIncarnation) {
    EC_REQUIRE_REDIS_SERVER();
    RedisServer srv;
    with_client(srv, [&](Client& c) -> Task<void> {
        QuietLogger log;
        {
            Registrar old(c, identity("rs-a", 1), {}, log);
            CO_ASSERT(co_await old.register_service(soon()));
            auto r =
                co_await reg::reserve(c, "orphan", reg::Strategy::least_loaded, rt::Millis(60'000), soon());
            CO_ASSERT(r.reservation);
        }
        // The process restarts with the same id: its old renders died with it.
        Registrar fresh(c, identity("rs-a", 1), {}, log);
        CO_ASSERT(co_await fresh.register_service(soon()));
        auto r = co_await reg::reserve(c, "new", reg::Strategy::least_loaded, rt::Millis(60'000), soon());
        EXPECT_TRUE(r.reservation) << r.reason;
    });
}

TEST(Registry, RedisDownIsAnErrorNotAVerdict) {
    EC_REQUIRE_REDIS_SERVER();
    RedisServer srv;
    with_client(srv, [&](Client& c) -> Task<void> {
        srv.kill();
        auto r = co_await reg::reserve(c, "x", reg::Strategy::least_loaded, rt::Millis(1000),
                                       rt::Deadline::after(rt::Millis(500)));
        EXPECT_FALSE(r.reservation);
        EXPECT_TRUE(r.redis_error);
        EXPECT_FALSE(r.reason.empty());
        auto rel = co_await reg::release(c, reg::Reservation{"a", "h", 1, 0, 1, 1, "t"},
                                         rt::Deadline::after(rt::Millis(500)));
        EXPECT_FALSE(rel.held);
        EXPECT_FALSE(rel.error.empty());
    });
}

}  // namespace
}  // namespace ec::rs
