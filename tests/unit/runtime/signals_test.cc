#include "runtime/signals.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "runtime/reactor.h"
#include "runtime/time.h"

namespace ec::rt {
namespace {

TEST(Signals, SignalIsDeliveredThroughTheRing) {
    SignalSet sigs({SIGUSR1});
    Reactor r;
    std::thread t([] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        kill(getpid(), SIGUSR1);
    });
    int s = r.block_on(sigs.wait());
    t.join();
    EXPECT_EQ(s, SIGUSR1);
}

TEST(Signals, WaitIsCancellable) {
    SignalSet sigs({SIGUSR2});
    Reactor r;
    CancelSource cs;
    int s = r.block_on([](SignalSet& ss, CancelSource& c) -> Task<int> {
        struct Canceller {
            static Task<void> run(CancelSource& c2) {
                co_await sleep_for(Millis(10));
                c2.cancel();
            }
        };
        auto t = Canceller::run(c);
        auto h = t.handle();
        h.resume();  // start it; it suspends on the sleep
        int got = co_await ss.wait(c);
        while (!h.done())
            co_await yield();
        co_return got;
    }(sigs, cs));
    EXPECT_EQ(s, -ECANCELED);
}

}  // namespace
}  // namespace ec::rt
