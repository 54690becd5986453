#include "runtime/reactor.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "runtime/gate.h"
#include "runtime/time.h"

namespace ec::rt {
namespace {

TEST(Reactor, ReportsSetupMode) {
    Reactor r;
    std::string mode = r.setup_mode();
    EXPECT_TRUE(mode == "single_issuer+defer_taskrun" || mode == "coop_taskrun" || mode == "basic");
}

TEST(Reactor, FallsBackToWeakerSetupModes) {
    for (int level = 1; level <= 2; ++level) {
        ReactorOptions o;
        o.force_setup_level = level;
        Reactor r(0, o);
        EXPECT_STREQ(r.setup_mode(), level == 1 ? "coop_taskrun" : "basic");
        EXPECT_EQ(r.block_on([]() -> Task<int> {
            co_await sleep_for(Millis(2));
            co_return 5;
        }()),
                  5);
    }
}

TEST(Reactor, SleepWaitsAtLeastTheDuration) {
    Reactor r;
    uint64_t t0 = r.refresh_now();
    bool fired = r.block_on([]() -> Task<bool> { co_return co_await sleep_for(Millis(30)); }());
    uint64_t dt = r.refresh_now() - t0;
    EXPECT_TRUE(fired);
    EXPECT_GE(dt, 30u);
    EXPECT_LT(dt, 1000u);
}

TEST(Reactor, CancelledSleepResumesEarly) {
    Reactor r;
    CancelSource cs;
    uint64_t t0 = r.refresh_now();
    bool fired = r.block_on([](CancelSource& c) -> Task<bool> {
        Gate g;
        spawn(g, [](CancelSource& cc) -> Task<void> {
            co_await sleep_for(Millis(10));
            cc.cancel();
        }(c));
        bool f = co_await sleep_for(Millis(10'000), c);
        co_await g.close();
        co_return f;
    }(cs));
    EXPECT_FALSE(fired);
    EXPECT_LT(r.refresh_now() - t0, 2000u);
}

TEST(Reactor, CancelInFlightRecvWaitsForItsCompletion) {
    // A recv on a silent socket is cancelled; the coroutine resumes only after the CQE,
    // with -ECANCELED, and its buffer (in the frame) is never touched afterwards.
    Reactor r;
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    CancelSource cs;
    int res = r.block_on([](int fd, CancelSource& c) -> Task<int> {
        Gate g;
        spawn(g, [](CancelSource& cc) -> Task<void> {
            co_await sleep_for(Millis(20));
            cc.cancel();
        }(c));
        char buf[64];
        int n = co_await uring_op([&](io_uring_sqe* s) { io_uring_prep_recv(s, fd, buf, sizeof buf, 0); }, c);
        co_await g.close();
        co_return n;
    }(sv[0], cs));
    EXPECT_EQ(res, -ECANCELED);
    close(sv[0]);
    close(sv[1]);
}

TEST(Reactor, AlreadyCancelledTokenSkipsSubmission) {
    Reactor r;
    CancelSource cs;
    cs.cancel();
    uint64_t before = r.completions();
    int res = r.block_on([](CancelSource& c) -> Task<int> {
        co_return co_await uring_op([](io_uring_sqe* s) { io_uring_prep_nop(s); }, c);
    }(cs));
    EXPECT_EQ(res, -ECANCELED);
    EXPECT_EQ(r.completions(), before);
}

TEST(Reactor, LinkedTimeoutBoundsAnOperation) {
    Reactor r;
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    uint64_t t0 = r.refresh_now();
    int res = r.block_on([](int fd) -> Task<int> {
        char buf[8];
        co_return co_await uring_op([&](io_uring_sqe* s) { io_uring_prep_recv(s, fd, buf, sizeof buf, 0); },
                                    {}, 25);
    }(sv[0]));
    uint64_t dt = r.refresh_now() - t0;
    EXPECT_EQ(res, -ECANCELED);
    EXPECT_GE(dt, 20u);
    EXPECT_LT(dt, 2000u);
    close(sv[0]);
    close(sv[1]);
}

TEST(Reactor, PostRemoteRunsOnTheReactorThread) {
    Reactor r;
    std::thread::id reactor_thread = std::this_thread::get_id();
    std::thread::id ran_on;
    bool done = false;
    std::thread other([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        r.post_remote([&] {
            ran_on = std::this_thread::get_id();
            done = true;
        });
    });
    r.block_on([](bool& d) -> Task<void> {
        while (!d)
            co_await sleep_for(Millis(1));
    }(done));
    other.join();
    EXPECT_EQ(ran_on, reactor_thread);
}

TEST(Reactor, StopFromAnotherThreadEndsRun) {
    Reactor r;
    std::thread other([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        r.post_remote([&] { r.stop(); });
    });
    r.run();  // returns only because of the remote stop
    other.join();
    SUCCEED();
}

}  // namespace
}  // namespace ec::rt
