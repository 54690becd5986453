// Render admission: capacity, FIFO hand-over, bounded queue, deadlines, cancellation.
#include "admission.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/gate.h"
#include "runtime/reactor.h"
#include "runtime/time.h"

namespace ec::rs {
namespace {

using rt::Reactor;
using rt::Task;

Task<void> take(Admission& a, uint64_t wait_ms, rt::CancelToken tok, std::vector<std::string>& log,
                std::string name, uint64_t hold_ms) {
    Reactor& r = Reactor::current();
    auto res = co_await a.acquire(r.refresh_now() + wait_ms, tok);
    switch (res) {
        case Admission::Result::admitted:
            log.push_back(name + ":in");
            break;
        case Admission::Result::queue_full:
            log.push_back(name + ":full");
            co_return;
        case Admission::Result::timed_out:
            log.push_back(name + ":timeout");
            co_return;
        case Admission::Result::cancelled:
            log.push_back(name + ":cancelled");
            co_return;
    }
    co_await rt::sleep_for(rt::Millis(hold_ms));
    log.push_back(name + ":out");
    a.release();
}

TEST(Admission, CapacityThenFifoThenRefusal) {
    Reactor r;
    Admission a(2, 2);
    std::vector<std::string> log;
    r.block_on([&]() -> Task<void> {
        rt::Gate g;
        rt::spawn(g, take(a, 1000, {}, log, "a", 30));
        rt::spawn(g, take(a, 1000, {}, log, "b", 60));
        EXPECT_EQ(a.active(), 2);
        rt::spawn(g, take(a, 1000, {}, log, "c", 10));
        rt::spawn(g, take(a, 1000, {}, log, "d", 10));
        EXPECT_EQ(a.queued(), 2);
        rt::spawn(g, take(a, 1000, {}, log, "e", 10));  // queue full: refused at once
        co_await g.close();
    }());
    EXPECT_EQ(a.active(), 0);
    EXPECT_EQ(a.queued(), 0);
    std::vector<std::string> want = {"a:in",  "b:in", "e:full", "a:out", "c:in",
                                     "c:out", "d:in", "d:out",  "b:out"};
    EXPECT_EQ(log, want);
}

TEST(Admission, WaitersTimeOutAndNoBarging) {
    Reactor r;
    Admission a(1, 5);
    std::vector<std::string> log;
    r.block_on([&]() -> Task<void> {
        rt::Gate g;
        rt::spawn(g, take(a, 1000, {}, log, "holder", 80));
        rt::spawn(g, take(a, 20, {}, log, "impatient", 1));
        rt::spawn(g, take(a, 1000, {}, log, "patient", 1));
        co_await rt::sleep_for(rt::Millis(40));
        EXPECT_EQ(a.queued(), 1);
        // A newcomer while someone waits goes behind them even if a slot frees meanwhile.
        rt::spawn(g, take(a, 1000, {}, log, "late", 1));
        co_await g.close();
    }());
    std::vector<std::string> want = {"holder:in",   "impatient:timeout", "holder:out", "patient:in",
                                     "patient:out", "late:in",           "late:out"};
    EXPECT_EQ(log, want);
}

TEST(Admission, CancelledWaitersLeaveTheQueue) {
    Reactor r;
    Admission a(1, 3);
    std::vector<std::string> log;
    r.block_on([&]() -> Task<void> {
        rt::Gate g;
        rt::CancelSource stop;
        rt::spawn(g, take(a, 1000, {}, log, "holder", 30));
        rt::spawn(g, take(a, 1000, stop, log, "w1", 1));
        rt::spawn(g, take(a, 1000, stop, log, "w2", 1));
        EXPECT_EQ(a.queued(), 2);
        stop.cancel();
        EXPECT_EQ(a.queued(), 0);
        rt::spawn(g, take(a, 1000, stop, log, "after", 1));  // already cancelled
        co_await g.close();
    }());
    // "after" is refused synchronously, before the cancelled waiters get to run (in either order).
    ASSERT_EQ(log.size(), 5u);
    EXPECT_EQ(log[0], "holder:in");
    EXPECT_EQ(log[1], "after:cancelled");
    EXPECT_TRUE((log[2] == "w1:cancelled" && log[3] == "w2:cancelled") ||
                (log[2] == "w2:cancelled" && log[3] == "w1:cancelled"));
    EXPECT_EQ(log[4], "holder:out");
    EXPECT_EQ(a.active(), 0);
}

TEST(Admission, ZeroQueueRefusesWhenBusy) {
    Reactor r;
    Admission a(1, 0);
    std::vector<std::string> log;
    r.block_on([&]() -> Task<void> {
        rt::Gate g;
        rt::spawn(g, take(a, 1000, {}, log, "a", 5));
        rt::spawn(g, take(a, 1000, {}, log, "b", 5));
        co_await g.close();
        rt::Gate g2;
        rt::spawn(g2, take(a, 1000, {}, log, "c", 1));
        co_await g2.close();
    }());
    std::vector<std::string> want = {"a:in", "b:full", "a:out", "c:in", "c:out"};
    EXPECT_EQ(log, want);
}

}  // namespace
}  // namespace ec::rs
