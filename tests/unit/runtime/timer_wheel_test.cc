#include "runtime/timer_wheel.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace ec::rt {
namespace {

struct Rec : Timer {
    Rec() : Timer(&Rec::fire) {}
    static void fire(Timer* t) noexcept {
        auto* r = static_cast<Rec*>(t);
        r->fired_at = r->wheel->current_ms();
        r->log->push_back(r->id);
    }
    int id = 0;
    uint64_t fired_at = 0;
    TimerWheel* wheel = nullptr;
    std::vector<int>* log = nullptr;
};

TEST(TimerWheel, FiresInOrderAtTheRightTick) {
    TimerWheel w(1000);
    std::vector<int> log;
    std::vector<uint64_t> delays = {1, 5, 63, 64, 65, 1000, 4095, 4096, 5000, 300000, 20'000'000};
    std::vector<Rec> ts(delays.size());
    for (size_t i = 0; i < delays.size(); ++i) {
        ts[i].id = static_cast<int>(i);
        ts[i].wheel = &w;
        ts[i].log = &log;
        w.schedule(ts[i], 1000 + delays[i]);
    }
    uint64_t now = 1000;
    while (!w.empty()) {
        uint64_t next = w.next_wakeup_ms();
        ASSERT_NE(next, UINT64_MAX);
        ASSERT_GT(next, now);
        now = next;
        w.advance(now);
    }
    ASSERT_EQ(log.size(), delays.size());
    for (size_t i = 0; i < delays.size(); ++i) {
        EXPECT_EQ(log[i], static_cast<int>(i));
        EXPECT_EQ(ts[i].fired_at, 1000 + delays[i]) << "timer " << i << " fired at the wrong time";
    }
}

TEST(TimerWheel, NextWakeupNeverOvershoots) {
    std::mt19937 rng(7);
    TimerWheel w(0);
    std::vector<int> log;
    std::vector<Rec> ts(2000);
    for (auto& t : ts) {
        t.wheel = &w;
        t.log = &log;
        w.schedule(t, 1 + rng() % 100000);
    }
    uint64_t now = 0;
    while (!w.empty()) {
        now = w.next_wakeup_ms();
        w.advance(now);
    }
    for (auto& t : ts)
        EXPECT_EQ(t.fired_at, t.expiry_ms());
}

TEST(TimerWheel, CancelAndRescheduleAndPastDeadlines) {
    TimerWheel w(100);
    std::vector<int> log;
    Rec a, b, c;
    for (Rec* r : {&a, &b, &c}) {
        r->wheel = &w;
        r->log = &log;
    }
    a.id = 1;
    b.id = 2;
    c.id = 3;
    w.schedule(a, 150);
    w.schedule(b, 120);
    w.schedule(c, 50);  // already past: fires on the next advance
    w.cancel(b);
    w.schedule(a, 110);  // re-arm earlier
    EXPECT_EQ(w.count(), 2u);
    w.advance(100);
    EXPECT_EQ(log, std::vector<int>({3}));
    w.advance(200);
    EXPECT_EQ(log, std::vector<int>({3, 1}));
    EXPECT_TRUE(w.empty());
    EXPECT_EQ(w.next_wakeup_ms(), UINT64_MAX);
}

TEST(TimerWheel, CallbackMayCancelAnotherTimerInTheSameSlot) {
    TimerWheel w(0);
    struct Killer : Timer {
        Killer() : Timer(&Killer::fire) {}
        static void fire(Timer* t) noexcept {
            auto* k = static_cast<Killer*>(t);
            k->w->cancel(*k->victim);
            k->fired = true;
        }
        TimerWheel* w = nullptr;
        Timer* victim = nullptr;
        bool fired = false;
    };
    Killer k1, k2;
    k1.w = k2.w = &w;
    k1.victim = &k2;
    k2.victim = &k1;
    w.schedule(k1, 10);
    w.schedule(k2, 10);
    w.advance(10);
    EXPECT_NE(k1.fired, k2.fired) << "exactly one fires, and it cancels the other";
    EXPECT_TRUE(w.empty());
}

TEST(TimerWheel, DestroyingArmedTimerUnlinksIt) {
    TimerWheel w(0);
    {
        Rec r;
        std::vector<int> log;
        r.log = &log;
        r.wheel = &w;
        w.schedule(r, 42);
        EXPECT_EQ(w.count(), 1u);
    }
    EXPECT_TRUE(w.empty());
    w.advance(100);
}

}  // namespace
}  // namespace ec::rt
