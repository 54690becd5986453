#include "runtime/task.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "runtime/gate.h"
#include "runtime/reactor.h"
#include "runtime/time.h"
#include "runtime/when_all.h"

namespace ec::rt {
namespace {

Task<int> answer(int& started) {
    ++started;
    co_return 42;
}

TEST(Task, IsLazyUntilAwaited) {
    Reactor r;
    int started = 0;
    Task<int> t = answer(started);
    EXPECT_EQ(started, 0) << "creating a task must not run it";
    EXPECT_EQ(r.block_on(std::move(t)), 42);
    EXPECT_EQ(started, 1);
}

TEST(Task, DestroyingUnstartedTaskNeverRunsIt) {
    int started = 0;
    { Task<int> t = answer(started); }
    EXPECT_EQ(started, 0);
}

Task<int> throws_after_suspend() {
    co_await yield();
    throw std::runtime_error("boom");
}

Task<std::string> catches() {
    try {
        co_await throws_after_suspend();
    } catch (const std::runtime_error& e) {
        co_return std::string("caught ") + e.what();
    }
    co_return "not caught";
}

TEST(Task, ExceptionPropagatesToAwaiter) {
    Reactor r;
    EXPECT_EQ(r.block_on(catches()), "caught boom");
    EXPECT_THROW(r.block_on(throws_after_suspend()), std::runtime_error);
}

Task<int> nested(int depth) {
    if (depth == 0) co_return 0;
    int below = co_await nested(depth - 1);
    co_return below + 1;
}

TEST(Task, MillionNestedAwaitsDoNotGrowTheStack) {
    // Each level is a real coroutine frame; resumption both down and up the chain goes
    // through symmetric transfer, so the machine stack stays flat.
    Reactor r;
    EXPECT_EQ(r.block_on(nested(1'000'000)), 1'000'000);
}

Task<int> ready_value(int v) {
    co_return v;
}

Task<long> many_sequential(int n) {
    long sum = 0;
    for (int i = 0; i < n; ++i)
        sum += co_await ready_value(1);
    co_return sum;
}

TEST(Task, MillionSequentialSynchronousAwaits) {
    Reactor r;
    EXPECT_EQ(r.block_on(many_sequential(1'000'000)), 1'000'000);
}

TEST(Task, MoveOnlyResult) {
    Reactor r;
    auto t = []() -> Task<std::unique_ptr<int>> { co_return std::make_unique<int>(7); };
    auto p = r.block_on(t());
    ASSERT_TRUE(p);
    EXPECT_EQ(*p, 7);
}

Task<int> sleepy(int ms, int v) {
    co_await sleep_for(Millis(ms));
    co_return v;
}

TEST(WhenAll, CollectsResultsInArgumentOrder) {
    Reactor r;
    auto [a, b, c] = r.block_on(when_all(sleepy(20, 1), sleepy(5, 2), sleepy(10, 3)));
    EXPECT_EQ(a, 1);
    EXPECT_EQ(b, 2);
    EXPECT_EQ(c, 3);
}

TEST(WhenAll, VectorFormAndConcurrency) {
    Reactor r;
    std::vector<Task<int>> ts;
    for (int i = 0; i < 50; ++i)
        ts.push_back(sleepy(30, i));
    uint64_t t0 = r.refresh_now();
    auto out = r.block_on(when_all(std::move(ts)));
    uint64_t elapsed = r.refresh_now() - t0;
    ASSERT_EQ(out.size(), 50u);
    for (int i = 0; i < 50; ++i)
        EXPECT_EQ(out[static_cast<size_t>(i)], i);
    EXPECT_LT(elapsed, 1000u) << "tasks must run concurrently, not one after another";
}

TEST(WhenAll, RethrowsAfterAllFinish) {
    Reactor r;
    int finished = 0;
    auto ok = [&]() -> Task<void> {
        co_await sleep_for(Millis(10));
        ++finished;
    };
    EXPECT_THROW(r.block_on(when_all(ok(), throws_after_suspend(), ok())), std::runtime_error);
    EXPECT_EQ(finished, 2);
}

Task<int> cancellable_sleep(int ms, int v, CancelToken tok) {
    bool fired = co_await sleep_for(Millis(ms), tok);
    co_return fired ? v : -v;
}

TEST(WhenAny, FirstWinsAndLosersAreCancelled) {
    Reactor r;
    CancelSource losers;
    std::vector<Task<int>> ts;
    ts.push_back(cancellable_sleep(5000, 1, losers));
    ts.push_back(cancellable_sleep(10, 2, losers));
    ts.push_back(cancellable_sleep(5000, 3, losers));
    uint64_t t0 = r.refresh_now();
    auto [idx, v] = r.block_on(when_any(std::move(ts), losers));
    EXPECT_EQ(idx, 1u);
    EXPECT_EQ(v, 2);
    EXPECT_LT(r.refresh_now() - t0, 2000u) << "losers must be cancelled, not waited out";
}

TEST(Gate, CloseWaitsForSpawnedTasks) {
    Reactor r;
    Gate g;
    int done = 0;
    for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE(spawn(g, [](int& d, int ms) -> Task<void> {
            co_await sleep_for(Millis(ms));
            ++d;
        }(done, 5 + i)));
    }
    EXPECT_EQ(g.count(), 10u);
    r.block_on([](Gate& gg) -> Task<void> { co_await gg.close(); }(g));
    EXPECT_EQ(done, 10);
    EXPECT_FALSE(spawn(g, []() -> Task<void> { co_return; }())) << "a closed gate refuses new tasks";
}

TEST(Gate, SeveralCoroutinesMayWaitForClose) {
    Reactor r;
    Gate g;
    spawn(g, []() -> Task<void> { co_await sleep_for(Millis(20)); }());
    int woke = 0;
    Gate waiters;
    for (int i = 0; i < 3; ++i) spawn(waiters, [](Gate& gg, int& w) -> Task<void> {
            co_await gg.close();
            ++w;
        }(g, woke));
    r.block_on([](Gate& ww) -> Task<void> { co_await ww.close(); }(waiters));
    EXPECT_EQ(woke, 3);
}

TEST(Gate, ExceptionInSpawnedTaskDoesNotLeakTheGate) {
    Reactor r;
    Gate g;
    spawn(g, []() -> Task<void> {
        co_await yield();
        throw std::runtime_error("detached failure");
    }());
    r.block_on([](Gate& gg) -> Task<void> { co_await gg.close(); }(g));
    EXPECT_EQ(g.count(), 0u);
}

}  // namespace
}  // namespace ec::rt
