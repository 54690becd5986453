#include "runtime/runtime.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "runtime/time.h"

namespace ec::rt {
namespace {

TEST(Runtime, SubmitToRunsOnTheTargetCoreAndReturns) {
    Runtime rt(RuntimeOptions{.cores = 2});
    std::atomic<int> checks{0};
    rt.run([&](unsigned core) -> Task<void> {
        unsigned other = 1 - core;
        // Plain function: result comes back to this core.
        unsigned ran_on = co_await submit_to(other, [] { return Reactor::current().id(); });
        EXPECT_EQ(ran_on, other);
        EXPECT_EQ(Reactor::current().id(), core) << "caller resumes on its own core";
        // Task-returning function: awaited on the target core.
        int v = co_await submit_to(other, [core]() -> Task<int> {
            co_await sleep_for(Millis(5));
            co_return static_cast<int>(Reactor::current().id() * 10 + core);
        });
        EXPECT_EQ(v, static_cast<int>(other * 10 + core));
        ++checks;
    });
    EXPECT_EQ(checks.load(), 2);
}

TEST(Runtime, ManyCrossCoreMessagesInBothDirections) {
    Runtime rt(RuntimeOptions{.cores = 2});
    std::atomic<long> total{0};
    rt.run([&](unsigned core) -> Task<void> {
        long sum = 0;
        for (int i = 0; i < 20000; ++i)
            sum += co_await submit_to(1 - core, [i] { return i; });
        total += sum;
    });
    EXPECT_EQ(total.load(), 2L * (19999L * 20000L / 2));
}

TEST(Runtime, ExceptionsCrossCores) {
    Runtime rt(RuntimeOptions{.cores = 2});
    std::atomic<int> caught{0};
    rt.run([&](unsigned core) -> Task<void> {
        try {
            co_await submit_to(1 - core, []() -> int { throw std::runtime_error("remote"); });
        } catch (const std::runtime_error&) {
            ++caught;
        }
    });
    EXPECT_EQ(caught.load(), 2);
}

TEST(Runtime, FailureOnOneCoreIsRethrownByRun) {
    Runtime rt(RuntimeOptions{.cores = 2});
    EXPECT_THROW(rt.run([](unsigned core) -> Task<void> {
        co_await sleep_for(Millis(1));
        if (core == 1) throw std::logic_error("core 1 failed");
    }),
                 std::logic_error);
}

}  // namespace
}  // namespace ec::rt
