// redis::Client and redis::Subscriber against real redis-server processes started here
// on free loopback ports (skipped with the reason when redis-server is not installed).
#include "runtime/redis.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/gate.h"
#include "runtime/net.h"
#include "runtime/reactor.h"
#include "runtime/runtime.h"
#include "runtime/time.h"
#include "runtime/when_all.h"
#include "support/redis_server.h"

namespace ec::rt::redis {
namespace {

using test::RedisServer;

constexpr uint64_t kDeadline = 500;  // per-command deadline in the kill test
constexpr uint64_t kSlack = 50;      // timer resolution and scheduling

// Inside coroutines gtest's ASSERT_* cannot return; this bails out of the body instead
// (the harness still closes the client).
#define CO_ASSERT(cond)                                  \
    do {                                                 \
        if (!(cond)) {                                   \
            ADD_FAILURE() << "assertion failed: " #cond; \
            co_return;                                   \
        }                                                \
    } while (0)

uint64_t now_ms() {
    return Reactor::current().refresh_now();
}

Options options_for(const std::string& addr) {
    Options o;
    o.addr = addr;
    return o;
}

// Runs `body` with a connected client on a fresh reactor and always closes the client.
void with_client(const Options& opts, const std::function<Task<void>(Client&)>& body) {
    Reactor r;
    r.block_on([](const Options& o, const std::function<Task<void>(Client&)>& b) -> Task<void> {
        Client c(o);
        std::exception_ptr ex;
        try {
            auto up = co_await c.connect(Deadline::after(Millis(5000)));
            EXPECT_TRUE(up) << (up ? "" : up.error().message);
            if (up) co_await b(c);
        } catch (...) {
            ex = std::current_exception();
        }
        co_await c.close();
        if (ex) std::rethrow_exception(ex);
    }(opts, body));
}

TEST(RedisClient, TypedReplies) {
    EC_REQUIRE_REDIS_SERVER();
    RedisServer srv;
    with_client(options_for(srv.addr()), [](Client& c) -> Task<void> {
        auto set = co_await c.set("k", "v");
        CO_ASSERT(set);
        EXPECT_TRUE(set->is_ok());
        auto get = co_await c.get("k");
        CO_ASSERT(get);
        EXPECT_TRUE(get->is_string());
        EXPECT_EQ(get->str(), "v");
        auto missing = co_await c.get("missing");
        CO_ASSERT(missing);
        EXPECT_TRUE(missing->is_nil());
        auto incr = co_await c.command({"INCRBY", "n", "41"});
        CO_ASSERT(incr && incr->is_integer());
        EXPECT_EQ(incr->integer(), 41);
        co_await c.command({"RPUSH", "list", "a", "b", "c"});
        auto range = co_await c.command({"LRANGE", "list", "0", "-1"});
        CO_ASSERT(range && range->is_array());
        EXPECT_EQ(*range, Reply::array({Reply::string("a"), Reply::string("b"), Reply::string("c")}));
        auto wrong = co_await c.get("list");
        CO_ASSERT(wrong);
        EXPECT_TRUE(wrong->is_error());
        EXPECT_EQ(wrong->error_code(), "WRONGTYPE");
        auto px = co_await c.set("ttl", "x", Millis(60'000));
        EXPECT_TRUE(px && px->is_ok());
        auto pttl = co_await c.command({"PTTL", "ttl"});
        CO_ASSERT(pttl && pttl->is_integer());
        EXPECT_GT(pttl->integer(), 50'000);
        const std::vector<std::string> dyn = {"MGET", "k", "missing"};
        auto mget = co_await c.command(dyn);
        CO_ASSERT(mget);
        EXPECT_EQ(*mget, Reply::array({Reply::string("v"), Reply()}));
        auto del = co_await c.del("k");
        CO_ASSERT(del);
        EXPECT_EQ(del->integer(), 1);
        const std::string binary("a\0b\r\nc", 6);
        co_await c.set("bin", binary);
        auto bin = co_await c.get("bin");
        CO_ASSERT(bin);
        EXPECT_EQ(bin->str(), binary);
    });
}

TEST(RedisClient, PipeliningKeepsOrderUnderConcurrency) {
    EC_REQUIRE_REDIS_SERVER();
    RedisServer srv;
    with_client(options_for(srv.addr()), [](Client& c) -> Task<void> {
        constexpr int kWorkers = 100;
        constexpr int kRounds = 60;
        int mismatches = 0;
        int failures = 0;
        auto worker = [](Client& cl, int id, int& bad, int& failed) -> Task<void> {
            const std::string key = "w:" + std::to_string(id);
            for (int j = 0; j < kRounds; ++j) {
                // Every 25th value is large, so sends and receives split across syscalls.
                std::string value = std::to_string(id) + ":" + std::to_string(j) + ":" +
                                    std::string((id * 7 + j) % 25 == 0 ? 70'000 : (id + j) % 40, 'x');
                // Issue three commands before awaiting any: they share a send.
                Call set = cl.set(key, value);
                Call get = cl.get(key);
                Call echo = cl.command({"ECHO", value});
                auto rs = co_await set;
                auto rg = co_await get;
                auto re = co_await echo;
                if (!rs || !rg || !re) {
                    ++failed;
                    continue;
                }
                if (!rs->is_ok() || rg->str() != value || re->str() != value) ++bad;
            }
        };
        std::vector<Task<void>> tasks;
        for (int i = 0; i < kWorkers; ++i)
            tasks.push_back(worker(c, i, mismatches, failures));
        co_await when_all(std::move(tasks));
        EXPECT_EQ(mismatches, 0);
        EXPECT_EQ(failures, 0);

        // Commands created in one turn and awaited later, in reverse order.
        std::vector<std::unique_ptr<Call>> calls;
        for (int i = 0; i < 500; ++i)
            calls.emplace_back(new Call(c.command({"ECHO", std::to_string(i)})));
        for (int i = 499; i >= 0; --i) {
            auto r = co_await *calls[static_cast<size_t>(i)];
            EXPECT_TRUE(r && r->str() == std::to_string(i)) << i;
        }

        const Stats& st = c.stats();
        EXPECT_EQ(st.replies, st.commands);
        // All commands of a loop turn share one send: far fewer sends than commands.
        EXPECT_LT(st.sends * 5, st.commands) << "sends=" << st.sends << " commands=" << st.commands;
    });
}

TEST(RedisClient, DeadlineAbandonsLateReplyWithoutDesync) {
    EC_REQUIRE_REDIS_SERVER();
    RedisServer srv;
    with_client(options_for(srv.addr()), [](Client& c) -> Task<void> {
        co_await c.set("after", "ok");
        uint64_t t0 = now_ms();
        // The server holds BLPOP for 300 ms, and the GET queued behind it.
        Call blocked = c.command({"BLPOP", "nothing", "0.3"}, Deadline::after(Millis(50)));
        Call behind = c.get("after");
        auto rb = co_await blocked;
        uint64_t waited = now_ms() - t0;
        CO_ASSERT(!rb);
        EXPECT_EQ(rb.error().code, Errc::timeout);
        EXPECT_NE(rb.error().message.find("BLPOP"), std::string::npos) << rb.error().message;
        EXPECT_NE(rb.error().message.find(c.address()), std::string::npos) << rb.error().message;
        EXPECT_GE(waited, 50u);
        EXPECT_LT(waited, 250u);
        // The late nil reply to BLPOP is discarded; GET still gets its own reply.
        auto rg = co_await behind;
        CO_ASSERT(rg);
        EXPECT_EQ(rg->str(), "ok");
        auto ping = co_await c.ping();
        CO_ASSERT(ping);
        EXPECT_EQ(ping->str(), "PONG");
        EXPECT_EQ(c.stats().discarded, 1u);
    });
}

TEST(RedisClient, ManyAbandonedCallsNeverDesynchronise) {
    EC_REQUIRE_REDIS_SERVER();
    RedisServer srv;
    with_client(options_for(srv.addr()), [](Client& c) -> Task<void> {
        // Every third call has an already-passed deadline: it times out if its reply has
        // not arrived when it is awaited, and its reply must then be skipped in order.
        std::vector<std::unique_ptr<Call>> calls;
        for (int i = 0; i < 300; ++i) {
            const std::string payload = "p" + std::to_string(i);
            if (i % 3 == 0)
                calls.emplace_back(new Call(c.command({"ECHO", payload}, Deadline::after(Millis(0)))));
            else
                calls.emplace_back(new Call(c.command({"ECHO", payload})));
        }
        int timed_out = 0, wrong = 0;
        for (int i = 0; i < 300; ++i) {
            auto r = co_await *calls[static_cast<size_t>(i)];
            if (!r) {
                if (i % 3 != 0 || r.error().code != Errc::timeout) ++wrong;
                ++timed_out;
            } else if (r->str() != "p" + std::to_string(i)) {
                ++wrong;
            }
        }
        calls.clear();
        EXPECT_EQ(wrong, 0);
        EXPECT_GT(timed_out, 0);  // the first is awaited before anything was even sent
        auto after = co_await c.command({"ECHO", "last"});
        CO_ASSERT(after);
        EXPECT_EQ(after->str(), "last");
        EXPECT_EQ(c.stats().discarded, static_cast<uint64_t>(timed_out));
    });
}

TEST(RedisClient, CancelTokenAbandonsCall) {
    EC_REQUIRE_REDIS_SERVER();
    RedisServer srv;
    with_client(options_for(srv.addr()), [](Client& c) -> Task<void> {
        CancelSource cs;
        Gate g;
        spawn(g, [](CancelSource& s) -> Task<void> {
            co_await sleep_for(Millis(20));
            s.cancel();
        }(cs));
        uint64_t t0 = now_ms();
        auto r = co_await c.command({"BLPOP", "nothing", "0.3"}, Deadline::after(Millis(5000)), cs);
        EXPECT_LT(now_ms() - t0, 250u);
        co_await g.close();
        CO_ASSERT(!r);
        EXPECT_EQ(r.error().code, Errc::cancelled);
        // Already cancelled token: fails without being sent.
        auto again = co_await c.command({"PING"}, Deadline::after(Millis(1000)), cs);
        CO_ASSERT(!again);
        EXPECT_EQ(again.error().code, Errc::cancelled);
        auto echo = co_await c.command({"ECHO", "in order"});
        CO_ASSERT(echo);
        EXPECT_EQ(echo->str(), "in order");
    });
}

TEST(RedisClient, ScriptsReloadAfterFlush) {
    EC_REQUIRE_REDIS_SERVER();
    RedisServer srv;
    with_client(options_for(srv.addr()), [&srv](Client& c) -> Task<void> {
        Script s("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}");
        auto first = co_await c.eval(s, {"counter"}, {"arg"});
        CO_ASSERT(first);
        EXPECT_EQ(*first, Reply::array({Reply::string("counter"), Reply::string("arg"), Reply::integer(1)}));

        // The server forgets every script; the next calls reload it transparently, even
        // many at once.
        EXPECT_EQ(srv.command({"SCRIPT", "FLUSH"}), "OK");
        std::vector<Task<Result>> calls;
        for (int i = 0; i < 20; ++i)
            calls.push_back(c.eval(s, {"counter"}, {"arg"}));
        auto results = co_await when_all(std::move(calls));
        std::vector<int64_t> seen;
        for (auto& r : results) {
            EXPECT_TRUE(r && r->is_array()) << (r ? r->to_string() : r.error().message);
            if (r && r->elements().size() == 3) seen.push_back(r->elements()[2].integer());
        }
        EXPECT_EQ(seen.size(), 20u);
        auto exists = co_await c.command({"SCRIPT", "EXISTS", s.sha1()});
        CO_ASSERT(exists);
        EXPECT_EQ(*exists, Reply::array({Reply::integer(1)}));

        auto loaded = co_await c.load(Script("return 7"));
        CO_ASSERT(loaded);
        EXPECT_EQ(loaded->str(), Script("return 7").sha1());
        // A script that fails at run time is an error reply, not a transport error.
        auto broken = co_await c.eval(Script("return redis.call('NOSUCHCMD')"), {}, {});
        CO_ASSERT(broken);
        EXPECT_TRUE(broken->is_error()) << broken->to_string();
        // A script that does not compile: the SCRIPT LOAD error is returned.
        auto syntax = co_await c.eval(Script("this is not lua"), {}, {});
        CO_ASSERT(syntax);
        EXPECT_TRUE(syntax->is_error()) << syntax->to_string();
    });
}

TEST(RedisClient, AuthAndSelect) {
    EC_REQUIRE_REDIS_SERVER();
    RedisServer srv(RedisServer::Options{.password = "s3cret pass"});
    Options db3 = options_for(srv.addr());
    db3.password = "s3cret pass";
    db3.db = 3;
    with_client(db3, [](Client& c) -> Task<void> {
        auto r = co_await c.set("where", "db3");
        EXPECT_TRUE(r && r->is_ok());
    });
    Options db0 = db3;
    db0.db = 0;
    with_client(db0, [](Client& c) -> Task<void> {
        auto r = co_await c.get("where");
        CO_ASSERT(r);
        EXPECT_TRUE(r->is_nil());
    });
    Options acl = db3;
    acl.username = "default";  // AUTH <user> <password>
    with_client(acl, [](Client& c) -> Task<void> {
        auto r = co_await c.get("where");
        CO_ASSERT(r);
        EXPECT_EQ(r->str(), "db3");
    });

    Reactor reactor;
    reactor.block_on([](std::string addr) -> Task<void> {
        Options bad = options_for(addr);
        bad.password = "wrong";
        Client c(bad);
        auto up = co_await c.connect(Deadline::after(Millis(300)));
        EXPECT_FALSE(up);
        if (!up) {
            EXPECT_NE(up.error().message.find("AUTH failed"), std::string::npos) << up.error().message;
            EXPECT_NE(up.error().message.find(addr), std::string::npos) << up.error().message;
        }
        auto r = co_await c.ping();
        EXPECT_FALSE(r);
        if (!r) {
            EXPECT_EQ(r.error().code, Errc::not_connected);
            EXPECT_NE(r.error().message.find("AUTH failed"), std::string::npos) << r.error().message;
        }
        co_await c.close();
    }(srv.addr()));
}

TEST(RedisClient, UnixSocket) {
    EC_REQUIRE_REDIS_SERVER();
    RedisServer srv;
    with_client(options_for(srv.unix_addr()), [](Client& c) -> Task<void> {
        EXPECT_TRUE(c.address().starts_with("unix:/"));
        co_await c.set("via", "unix");
        auto r = co_await c.get("via");
        CO_ASSERT(r);
        EXPECT_EQ(r->str(), "unix");
    });
}

TEST(RedisClient, ConnectRefusedNamesTheAddress) {
    // No server needed: a port nobody listens on.
    Reactor reactor;
    uint16_t port = 0;
    {
        auto l = TcpListener::bind(SocketAddress::loopback(0));
        port = l->local_address().port();
        reactor.block_on(l->close());
    }
    reactor.block_on([](uint16_t p) -> Task<void> {
        Client c(options_for("127.0.0.1:" + std::to_string(p)));
        auto up = co_await c.connect(Deadline::after(Millis(200)));
        EXPECT_FALSE(up);
        if (!up) {
            EXPECT_EQ(up.error().code, Errc::timeout);
            EXPECT_NE(up.error().message.find("127.0.0.1:" + std::to_string(p)), std::string::npos);
            EXPECT_NE(up.error().message.find("refused"), std::string::npos) << up.error().message;
        }
        uint64_t t0 = now_ms();
        auto r = co_await c.get("x");
        EXPECT_LT(now_ms() - t0, 100u);  // fails fast, no waiting for the deadline
        EXPECT_FALSE(r);
        if (!r) EXPECT_EQ(r.error().code, Errc::not_connected);
        co_await c.close();
    }(port));
}

TEST(RedisClient, CloseFailsPendingCalls) {
    EC_REQUIRE_REDIS_SERVER();
    RedisServer srv;
    Reactor reactor;
    reactor.block_on([](std::string addr) -> Task<void> {
        Client c(options_for(addr));
        auto up = co_await c.connect(Deadline::after(Millis(5000)));
        EXPECT_TRUE(up);
        Call blocked = c.command({"BLPOP", "nothing", "5"}, Deadline::after(Millis(10'000)));
        Call behind = c.get("x");
        Gate g;
        uint64_t t0 = now_ms();
        spawn(g, [](Client& cl) -> Task<void> {
            co_await sleep_for(Millis(20));
            co_await cl.close();
        }(c));
        auto rb = co_await blocked;
        auto rg = co_await behind;
        co_await g.close();
        EXPECT_LT(now_ms() - t0, 1000u);
        EXPECT_FALSE(rb);
        EXPECT_FALSE(rg);
        if (!rb) EXPECT_EQ(rb.error().code, Errc::closed);
        if (!rg) EXPECT_EQ(rg.error().code, Errc::closed);
        auto after = co_await c.ping();
        EXPECT_FALSE(after);
        if (!after) EXPECT_EQ(after.error().code, Errc::closed);
        co_await c.close();  // idempotent
    }(srv.addr()));
}

TEST(RedisClient, KillUnderLoadFailsPendingWithinDeadlineAndRecoversWithinOneSecond) {
    EC_REQUIRE_REDIS_SERVER();
    RedisServer srv;
    Reactor reactor;
    reactor.block_on([](RedisServer& server) -> Task<void> {
        Client c(options_for(server.addr()));
        auto up = co_await c.connect(Deadline::after(Millis(5000)));
        EXPECT_TRUE(up);

        struct Tally {
            uint64_t issued = 0, completed = 0, ok = 0, lost = 0, not_connected = 0, timeouts = 0, other = 0;
            uint64_t late = 0;  // completed after deadline + slack
            uint64_t worst_overrun_ms = 0;
        } t;
        bool stop = false;
        auto worker = [](Client& cl, int id, Tally& tl, bool& st) -> Task<void> {
            uint64_t n = 0;
            while (!st) {
                uint64_t start = now_ms();
                ++tl.issued;
                const std::string key = "load:" + std::to_string(id), value = std::to_string(n++);
                auto r = co_await cl.command({"SET", key, value}, Deadline::after(Millis(kDeadline)));
                uint64_t end = now_ms();
                ++tl.completed;
                if (end > start + kDeadline + kSlack) {
                    ++tl.late;
                    tl.worst_overrun_ms = std::max(tl.worst_overrun_ms, end - start - kDeadline);
                }
                if (r) {
                    ++tl.ok;
                    continue;
                }
                switch (r.error().code) {
                    case Errc::connection_lost:
                        ++tl.lost;
                        break;
                    case Errc::not_connected:
                        ++tl.not_connected;
                        break;
                    case Errc::timeout:
                        ++tl.timeouts;
                        break;
                    default:
                        ++tl.other;
                        break;
                }
                co_await sleep_for(Millis(5));  // errors come fast: don't spin
            }
        };
        Gate g;
        for (int i = 0; i < 64; ++i)
            spawn(g, worker(c, i, t, stop));

        co_await sleep_for(Millis(150));
        uint64_t ok_before = t.ok;
        server.kill();
        co_await sleep_for(Millis(300));
        EXPECT_FALSE(c.connected());
        server.restart();  // blocks this reactor for the start-up (~20 ms)
        uint64_t restarted = now_ms();
        uint64_t served = 0;
        while (now_ms() - restarted < 3000) {
            auto p = co_await c.command({"PING"}, Deadline::after(Millis(100)));
            if (p && p->str() == "PONG") {
                served = now_ms();
                break;
            }
            co_await sleep_for(Millis(10));
        }
        uint64_t ok_at_recovery = t.ok;
        co_await sleep_for(Millis(100));
        stop = true;
        co_await g.close();

        EXPECT_GT(ok_before, 0u);
        EXPECT_GT(t.ok, ok_at_recovery) << "workers serve again after the restart";
        EXPECT_EQ(t.issued, t.completed);
        EXPECT_EQ(t.late, 0u) << "worst overrun " << t.worst_overrun_ms << " ms";
        EXPECT_GT(t.lost, 0u) << "commands in flight at the kill fail with connection_lost";
        EXPECT_EQ(t.other, 0u);
        EXPECT_EQ(t.timeouts, 0u) << "a dead server is detected at once, not by deadlines";
        EXPECT_NE(served, 0u) << "never served again after restart";
        if (served) {
            EXPECT_LE(served - restarted, 1000u) << "client must serve within 1 s of the restart";
            std::fprintf(
                stderr,
                "[   info   ] served again %llu ms after the restart; %llu calls lost, %llu refused\n",
                static_cast<unsigned long long>(served - restarted), static_cast<unsigned long long>(t.lost),
                static_cast<unsigned long long>(t.not_connected));
        }
        EXPECT_GE(c.stats().connects, 2u);
        EXPECT_GE(c.stats().losses, 1u);
        co_await c.close();
    }(srv));
}

TEST(RedisClient, OneClientPerCore) {
    EC_REQUIRE_REDIS_SERVER();
    RedisServer srv;
    Runtime rt(RuntimeOptions{.cores = 2});
    std::atomic<int> good{0};
    rt.run([&](unsigned core) -> Task<void> {
        return [](std::string addr, unsigned core_id, std::atomic<int>& ok) -> Task<void> {
            Client c(options_for(addr));
            const std::string key = "core:" + std::to_string(core_id);
            for (int i = 0; i < 100; ++i) {
                co_await c.set(key, std::to_string(i));
                auto r = co_await c.get(key);
                if (r && r->str() == std::to_string(i)) ++ok;
            }
            co_await c.close();
        }(srv.addr(), core, good);
    });
    EXPECT_EQ(good.load(), 200);
}

// ------------------------------------------------------------------------- pub/sub

TEST(RedisSubscriber, ChannelsPatternsHandlersAndUnsubscribe) {
    EC_REQUIRE_REDIS_SERVER();
    RedisServer srv;
    with_client(options_for(srv.addr()), [&srv](Client& pub) -> Task<void> {
        Subscriber sub(options_for(srv.addr()));
        std::vector<Message> handled;
        auto body = [&]() -> Task<void> {
            auto up = co_await sub.connect(Deadline::after(Millis(5000)));
            CO_ASSERT(up);
            auto conf = co_await sub.subscribe("news");
            CO_ASSERT(conf);
            EXPECT_EQ(*conf,
                      Reply::array({Reply::string("subscribe"), Reply::string("news"), Reply::integer(1)}));
            auto pconf = co_await sub.psubscribe("ev.*");
            CO_ASSERT(pconf);
            auto hconf = co_await sub.subscribe("cb", [&handled](const Message& m) { handled.push_back(m); });
            CO_ASSERT(hconf);

            auto n1 = co_await pub.publish("news", "hello");
            CO_ASSERT(n1);
            EXPECT_EQ(n1->integer(), 1);
            co_await pub.publish("ev.login", "alice");
            co_await pub.publish("cb", "to handler");

            auto m1 = co_await sub.next(Deadline::after(Millis(2000)));
            CO_ASSERT(m1);
            EXPECT_EQ(m1->kind, Message::Kind::message);
            EXPECT_EQ(m1->channel, "news");
            EXPECT_EQ(m1->payload, "hello");
            EXPECT_EQ(m1->pattern, "");
            auto m2 = co_await sub.next(Deadline::after(Millis(2000)));
            CO_ASSERT(m2);
            EXPECT_EQ(m2->channel, "ev.login");
            EXPECT_EQ(m2->pattern, "ev.*");
            EXPECT_EQ(m2->payload, "alice");
            for (int i = 0; i < 100 && handled.empty(); ++i)
                co_await sleep_for(Millis(5));
            CO_ASSERT(handled.size() == 1u);
            EXPECT_EQ(handled[0].channel, "cb");
            EXPECT_EQ(handled[0].payload, "to handler");

            auto unsub = co_await sub.unsubscribe("news");
            CO_ASSERT(unsub);
            auto n2 = co_await pub.publish("news", "nobody listens");
            CO_ASSERT(n2);
            EXPECT_EQ(n2->integer(), 0);
            auto none = co_await sub.next(Deadline::after(Millis(100)));
            CO_ASSERT(!none);
            EXPECT_EQ(none.error().code, Errc::timeout);
            EXPECT_EQ(sub.queued(), 0u);
            EXPECT_EQ(sub.dropped(), 0u);
        };
        co_await body();
        co_await sub.close();
        auto after = co_await sub.next(Deadline::after(Millis(100)));
        EXPECT_FALSE(after);
        if (!after) EXPECT_EQ(after.error().code, Errc::closed);
    });
}

TEST(RedisSubscriber, ResubscribesAfterServerRestart) {
    EC_REQUIRE_REDIS_SERVER();
    RedisServer srv;
    Reactor reactor;
    reactor.block_on([](RedisServer& server) -> Task<void> {
        Client pub(options_for(server.addr()));
        Subscriber sub(options_for(server.addr()));
        std::vector<Message> by_pattern;
        auto body = [&]() -> Task<void> {
            CO_ASSERT(co_await pub.connect(Deadline::after(Millis(5000))));
            CO_ASSERT(co_await sub.connect(Deadline::after(Millis(5000))));
            CO_ASSERT(co_await sub.subscribe("inval"));
            CO_ASSERT(
                co_await sub.psubscribe("p.*", [&by_pattern](const Message& m) { by_pattern.push_back(m); }));

            server.kill();
            server.restart();  // blocks this reactor for the start-up (~20 ms)
            uint64_t restarted = now_ms();

            // The queue consumer learns that messages may have been lost...
            auto ev = co_await sub.next(Deadline::after(Millis(3000)));
            CO_ASSERT(ev);
            EXPECT_EQ(ev->kind, Message::Kind::reconnected);
            EXPECT_EQ(ev->channel, "inval");
            EXPECT_LE(now_ms() - restarted, 1000u);
            for (int i = 0; i < 200 && by_pattern.empty(); ++i)
                co_await sleep_for(Millis(5));
            CO_ASSERT(!by_pattern.empty());
            EXPECT_EQ(by_pattern[0].kind, Message::Kind::reconnected);
            EXPECT_EQ(by_pattern[0].pattern, "p.*");

            // ...and receives what is published after the resubscription.
            CO_ASSERT(co_await pub.connect(Deadline::after(Millis(3000))));
            auto n = co_await pub.publish("inval", "key-1");
            CO_ASSERT(n);
            EXPECT_EQ(n->integer(), 1);
            co_await pub.publish("p.x", "via pattern");
            auto m = co_await sub.next(Deadline::after(Millis(2000)));
            CO_ASSERT(m);
            EXPECT_EQ(m->kind, Message::Kind::message);
            EXPECT_EQ(m->payload, "key-1");
            for (int i = 0; i < 200 && by_pattern.size() < 2; ++i)
                co_await sleep_for(Millis(5));
            CO_ASSERT(by_pattern.size() == 2u);
            EXPECT_EQ(by_pattern[1].payload, "via pattern");
            EXPECT_EQ(by_pattern[1].channel, "p.x");
            EXPECT_GE(sub.stats().connects, 2u);
        };
        co_await body();
        co_await sub.close();
        co_await pub.close();
    }(srv));
}

}  // namespace
}  // namespace ec::rt::redis
