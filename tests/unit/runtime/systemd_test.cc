#include "runtime/systemd.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/net.h"
#include "runtime/reactor.h"
#include "runtime/runtime.h"
#include "runtime/time.h"

namespace ec::rt::systemd {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A stand-in for systemd's notify socket: a Unix datagram socket in a temporary
// directory (or the abstract namespace) whose receiver thread records every datagram
// with its arrival time.
class FakeNotifySocket {
  public:
    struct Datagram {
        Clock::time_point at;
        std::string text;
    };

    explicit FakeNotifySocket(bool abstract = false, bool record = true) {
        _fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        EXPECT_GE(_fd, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        socklen_t len;
        if (abstract) {
            _address = "@ec-notify-test-" + std::to_string(getpid()) + "-" + std::to_string(next_id++);
            std::memcpy(sa.sun_path + 1, _address.data() + 1, _address.size() - 1);
            len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + _address.size());
        } else {
            char tmpl[] = "/tmp/ec-notify-XXXXXX";
            EXPECT_NE(mkdtemp(tmpl), nullptr);
            _dir = tmpl;
            _address = _dir + "/notify";
            std::memcpy(sa.sun_path, _address.c_str(), _address.size() + 1);
            len = sizeof sa;
        }
        EXPECT_EQ(bind(_fd, reinterpret_cast<sockaddr*>(&sa), len), 0) << strerror(errno);
        if (record) _thread = std::thread([this] { receive(); });
    }
    ~FakeNotifySocket() {
        _stop = true;
        if (_thread.joinable()) _thread.join();
        close(_fd);
        if (!_dir.empty()) {
            unlink(_address.c_str());
            rmdir(_dir.c_str());
        }
    }

    const std::string& address() const { return _address; }
    std::vector<Datagram> datagrams() const {
        std::lock_guard lk(_mu);
        return _got;
    }
    std::vector<Clock::time_point> times_of(const std::string& text) const {
        std::vector<Clock::time_point> out;
        for (const auto& d : datagrams())
            if (d.text == text) out.push_back(d.at);
        return out;
    }
    // Waits up to `limit` for the n-th datagram and returns it ("" on timeout).
    std::string wait_for(size_t n, std::chrono::milliseconds limit = 2000ms) const {
        auto end = Clock::now() + limit;
        while (Clock::now() < end) {
            {
                std::lock_guard lk(_mu);
                if (_got.size() >= n) return _got[n - 1].text;
            }
            std::this_thread::sleep_for(2ms);
        }
        return "";
    }

  private:
    void receive() {
        char buf[4096];
        while (!_stop) {
            pollfd p{_fd, POLLIN, 0};
            if (poll(&p, 1, 20) <= 0) continue;
            ssize_t n = recv(_fd, buf, sizeof buf, 0);
            if (n < 0) continue;
            std::lock_guard lk(_mu);
            _got.push_back({Clock::now(), std::string(buf, static_cast<size_t>(n))});
        }
    }

    static inline std::atomic<int> next_id{0};
    int _fd = -1;
    std::string _dir, _address;
    std::thread _thread;
    std::atomic<bool> _stop{false};
    mutable std::mutex _mu;
    std::vector<Datagram> _got;
};

uint64_t monotonic_usec() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

// Sets an environment variable for the scope of a test.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const std::string& value) : _name(name) {
        if (const char* old = getenv(name)) _old = old;
        setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (_old)
            setenv(_name, _old->c_str(), 1);
        else
            unsetenv(_name);
    }

  private:
    const char* _name;
    std::optional<std::string> _old;
};

// ----------------------------------------------------------------------------- Notifier

TEST(SystemdNotify, SendsEveryStateAsOneDatagram) {
    FakeNotifySocket fake;
    ScopedEnv env("NOTIFY_SOCKET", fake.address());
    Notifier n = Notifier::from_environment(/*unset=*/true);
    EXPECT_EQ(getenv("NOTIFY_SOCKET"), nullptr) << "children must not inherit NOTIFY_SOCKET";
    ASSERT_TRUE(n.enabled()) << n.error();
    EXPECT_EQ(n.address(), fake.address());

    EXPECT_EQ(n.ready("listening on :10070"), 0);
    EXPECT_EQ(fake.wait_for(1), "READY=1\nSTATUS=listening on :10070");
    EXPECT_EQ(n.status("line one\nline two"), 0);
    EXPECT_EQ(fake.wait_for(2), "STATUS=line one line two") << "a newline would start a new assignment";
    EXPECT_EQ(n.stopping(), 0);
    EXPECT_EQ(fake.wait_for(3), "STOPPING=1");
    uint64_t before = monotonic_usec();
    EXPECT_EQ(n.reloading("reloading configuration"), 0);
    uint64_t after = monotonic_usec();
    std::string reload = fake.wait_for(4);
    const std::string head = "RELOADING=1\nMONOTONIC_USEC=";
    ASSERT_EQ(reload.substr(0, head.size()), head) << reload;
    size_t nl = reload.find('\n', head.size());
    ASSERT_NE(nl, std::string::npos) << reload;
    uint64_t stamp = std::stoull(reload.substr(head.size(), nl - head.size()));
    EXPECT_GE(stamp, before);
    EXPECT_LE(stamp, after);
    EXPECT_EQ(reload.substr(nl), "\nSTATUS=reloading configuration");
    EXPECT_EQ(n.watchdog(), 0);
    EXPECT_EQ(fake.wait_for(5), "WATCHDOG=1");
    EXPECT_EQ(n.extend_timeout(std::chrono::seconds(5)), 0);
    EXPECT_EQ(fake.wait_for(6), "EXTEND_TIMEOUT_USEC=5000000");
    EXPECT_EQ(n.ready(), 0);
    EXPECT_EQ(fake.wait_for(7), "READY=1");
}

TEST(SystemdNotify, AbstractSocketAddress) {
    FakeNotifySocket fake(/*abstract=*/true);
    Notifier n(fake.address());
    ASSERT_TRUE(n.enabled()) << n.error();
    EXPECT_EQ(n.ready(), 0);
    EXPECT_EQ(fake.wait_for(1), "READY=1");
}

TEST(SystemdNotify, DisabledWithoutNotifySocket) {
    unsetenv("NOTIFY_SOCKET");
    Notifier n = Notifier::from_environment();
    EXPECT_FALSE(n.enabled());
    EXPECT_EQ(n.ready(), 0);
    EXPECT_EQ(n.watchdog(), 0);
    EXPECT_TRUE(n.error().empty());

    Notifier vsock("vsock:2:1234");
    EXPECT_FALSE(vsock.enabled());
    EXPECT_NE(vsock.error().find("vsock:2:1234"), std::string::npos) << vsock.error();

    Notifier missing("/nonexistent-dir/notify");
    ASSERT_TRUE(missing.enabled());
    EXPECT_EQ(missing.ready(), -ENOENT) << "errors are returned, not thrown";
}

TEST(SystemdNotify, SendingNeverBlocksWhenTheManagerIsNotReading) {
    FakeNotifySocket fake(false, /*record=*/false);  // nobody reads: its queue fills up
    Notifier n(fake.address());
    auto t0 = Clock::now();
    int r = 0;
    int sent = 0;
    while (sent < 100000 && (r = n.status("filling the queue")) == 0)
        ++sent;
    EXPECT_EQ(r, -EAGAIN) << "after " << sent << " datagrams";
    EXPECT_GT(sent, 0);
    EXPECT_LT(Clock::now() - t0, 2s);
}

// ----------------------------------------------------------------------------- Readiness

TEST(SystemdNotify, ReadyOnlyOnceEveryListenerIsBound) {
    FakeNotifySocket fake;
    Notifier n(fake.address());
    Readiness ready(n, 2, "accepting connections");
    std::atomic<uint16_t> ports[2] = {0, 0};
    std::atomic<bool> checked{false};
    Runtime rt(RuntimeOptions{.cores = 2});
    std::thread runner([&] {
        rt.run([&](unsigned core) -> Task<void> {
            if (core == 1) co_await sleep_for(Millis(100));  // the slow core decides
            auto l = TcpListener::bind(SocketAddress::loopback(0));
            ports[core] = l->local_address().port();
            ready.done_one();
            while (!checked)
                co_await sleep_for(Millis(5));
            co_await l->close();
        });
    });
    std::string got = fake.wait_for(1, 3000ms);
    // The moment READY=1 arrives, both listeners must accept connections.
    for (auto& port : ports) {
        uint16_t p = port.load();
        ASSERT_NE(p, 0) << "READY=1 was sent before every listener was bound";
        int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(p);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(connect(c, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << strerror(errno);
        close(c);
    }
    checked = true;
    runner.join();
    EXPECT_EQ(got, "READY=1\nSTATUS=accepting connections");
    EXPECT_TRUE(ready.ready());
    EXPECT_FALSE(ready.done_one()) << "READY=1 is sent exactly once";
    std::this_thread::sleep_for(30ms);
    EXPECT_EQ(fake.datagrams().size(), 1U);
}

// ----------------------------------------------------------------------------- Watchdog

TEST(SystemdWatchdog, IntervalFromEnvironment) {
    {
        ScopedEnv usec("WATCHDOG_USEC", "30000000");
        ScopedEnv pid("WATCHDOG_PID", std::to_string(getpid()));
        EXPECT_EQ(Watchdog::interval_from_environment(), std::chrono::microseconds(30000000));
    }
    {
        ScopedEnv usec("WATCHDOG_USEC", "30000000");
        ScopedEnv pid("WATCHDOG_PID", std::to_string(getpid() + 1));
        EXPECT_FALSE(Watchdog::interval_from_environment()) << "meant for another process";
    }
    {
        ScopedEnv usec("WATCHDOG_USEC", "30000000");
        unsetenv("WATCHDOG_PID");
        EXPECT_EQ(Watchdog::interval_from_environment(), std::chrono::microseconds(30000000));
    }
    {
        ScopedEnv usec("WATCHDOG_USEC", "30s");
        std::string err;
        EXPECT_FALSE(Watchdog::interval_from_environment(&err));
        EXPECT_NE(err.find("WATCHDOG_USEC=30s"), std::string::npos) << err;
    }
    unsetenv("WATCHDOG_USEC");
    EXPECT_FALSE(Watchdog::interval_from_environment());
    Notifier n("/tmp/unused");
    Watchdog off(n, 1);
    EXPECT_FALSE(off.enabled()) << "no WATCHDOG_USEC, no pings";
}

TEST(SystemdWatchdog, PingsAtHalfTheIntervalWhileReactorsAreIdle) {
    FakeNotifySocket fake;
    Notifier n(fake.address());
    ScopedEnv usec("WATCHDOG_USEC", "200000");
    ScopedEnv pid("WATCHDOG_PID", std::to_string(getpid()));
    Watchdog wd(n, 2, WatchdogOptions{.unset_environment = true});
    EXPECT_EQ(getenv("WATCHDOG_USEC"), nullptr);
    ASSERT_TRUE(wd.enabled());
    EXPECT_EQ(wd.interval(), 200ms);
    Runtime rt(RuntimeOptions{.cores = 2});
    Clock::time_point start, end;
    std::atomic<int> attached{0};
    rt.run([&](unsigned) -> Task<void> {
        auto member = wd.attach();
        if (++attached == 2) {
            start = Clock::now();
            wd.start();
        }
        co_await sleep_for(Millis(1100));  // idle: asleep in io_uring_enter the whole time
    });
    end = Clock::now();
    wd.stop();
    auto pings = fake.times_of("WATCHDOG=1");
    double seconds = std::chrono::duration<double>(end - start).count();
    // One ping per 100 ms: ~11 over 1.1 s; generous bounds for loaded CI machines.
    EXPECT_GE(pings.size(), static_cast<size_t>(seconds * 10 * 0.6)) << "over " << seconds << " s";
    EXPECT_LE(pings.size(), static_cast<size_t>(seconds * 10 * 1.3 + 1)) << "over " << seconds << " s";
    for (size_t i = 1; i < pings.size(); ++i) {
        auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(pings[i] - pings[i - 1]);
        EXPECT_GE(gap.count(), 60) << "ping " << i;
        EXPECT_LE(gap.count(), 250) << "ping " << i;
    }
    EXPECT_EQ(wd.pings_sent(), pings.size());
    EXPECT_EQ(wd.pings_withheld(), 0U);
}

TEST(SystemdWatchdog, PingsStopWhileAReactorIsStuckAndResumeAfterwards) {
    FakeNotifySocket fake;
    Notifier n(fake.address());
    std::mutex log_mu;
    std::vector<std::string> logs;
    WatchdogOptions opts;
    opts.interval = 200ms;
    opts.log = [&](std::string_view line) {
        std::lock_guard lk(log_mu);
        logs.emplace_back(line);
    };
    Watchdog wd(n, 2, opts);
    ASSERT_TRUE(wd.enabled());
    wd.start();
    Runtime rt(RuntimeOptions{.cores = 2});
    std::atomic<Clock::rep> spin_start{0}, spin_end{0};
    rt.run([&](unsigned core) -> Task<void> {
        auto member = wd.attach();
        if (core == 1) {
            co_await sleep_for(Millis(350));
            spin_start = Clock::now().time_since_epoch().count();
            // A busy loop: the reactor never returns to its ring, so it cannot answer.
            auto until = Clock::now() + 800ms;
            while (Clock::now() < until) {
            }
            spin_end = Clock::now().time_since_epoch().count();
            co_await sleep_for(Millis(600));
        } else {
            co_await sleep_for(Millis(1750));
        }
    });
    wd.stop();
    const Clock::time_point s0{Clock::duration(spin_start.load())};
    const Clock::time_point s1{Clock::duration(spin_end.load())};
    auto pings = fake.times_of("WATCHDOG=1");
    size_t before = 0, during = 0, after = 0;
    for (auto t : pings) {
        if (t < s0) ++before;
        // One tick after the spin began may still carry the answer to a probe sent
        // before it; everything later within the spin must be withheld.
        else if (t > s0 + 250ms && t < s1)
            ++during;
        else if (t >= s1)
            ++after;
    }
    EXPECT_GE(before, 2U);
    EXPECT_EQ(during, 0U) << "pings continued while core 1 was stuck";
    EXPECT_GE(after, 3U) << "pings did not resume";
    EXPECT_GE(wd.pings_withheld(), 4U);
    std::lock_guard lk(log_mu);
    bool named = false, resumed = false;
    for (const auto& l : logs) {
        if (l.find("withheld") != std::string::npos && l.find("\"cores\":[1]") != std::string::npos)
            named = true;
        if (l.find("resumed") != std::string::npos) resumed = true;
    }
    EXPECT_TRUE(named) << "no log line names the stuck core";
    EXPECT_TRUE(resumed);
    EXPECT_LE(logs.size(), 4U) << "one line when the stall starts, one when it ends (rate-limited)";
}

TEST(SystemdWatchdog, NoPingsUntilEveryCoreHasAttached) {
    FakeNotifySocket fake;
    Notifier n(fake.address());
    WatchdogOptions opts;
    opts.interval = 100ms;
    Watchdog wd(n, 2, opts);
    wd.start();
    Reactor r(0);  // core 1 never shows up
    r.block_on([](Watchdog& w) -> Task<void> {
        auto member = w.attach();
        co_await sleep_for(Millis(400));
    }(wd));
    wd.stop();
    EXPECT_EQ(fake.times_of("WATCHDOG=1").size(), 0U);
    EXPECT_EQ(wd.pings_sent(), 0U);
}

TEST(SystemdWatchdog, AttachRejectsAForeignCore) {
    Notifier n;
    Watchdog wd(n, 1, WatchdogOptions{.interval = 100ms});
    Reactor r(3);
    EXPECT_THROW((void)wd.attach(), std::out_of_range);
}

// ----------------------------------------------------------------------------- socket activation

TEST(SystemdListenFds, ParsesPerSdListenFds) {
    const pid_t self = 4242;
    EXPECT_TRUE(parse_listen_fds({}, self).empty()) << "not socket-activated";
    EXPECT_TRUE(parse_listen_fds({"4243", "2", nullptr}, self).empty()) << "passed to another process";

    auto named = parse_listen_fds({"4242", "3", "public:internal:metrics"}, self);
    ASSERT_EQ(named.size(), 3U);
    EXPECT_EQ(named[0].fd, 3);
    EXPECT_EQ(named[0].name, "public");
    EXPECT_EQ(named[1].fd, 4);
    EXPECT_EQ(named[1].name, "internal");
    EXPECT_EQ(named[2].fd, 5);
    EXPECT_EQ(named[2].name, "metrics");
    EXPECT_EQ(find_listen_fd(named, std::string_view("internal")), 4);
    EXPECT_FALSE(find_listen_fd(named, std::string_view("admin")));

    auto unnamed = parse_listen_fds({"4242", "2", nullptr}, self);
    ASSERT_EQ(unnamed.size(), 2U);
    EXPECT_EQ(unnamed[1].name, "unknown");
    EXPECT_TRUE(parse_listen_fds({"4242", "0", nullptr}, self).empty());

    auto throws_with = [&](ListenEnv env, const char* text) {
        try {
            parse_listen_fds(env, self);
            ADD_FAILURE() << "accepted " << text;
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
        }
    };
    throws_with({"4242", "two", nullptr}, "LISTEN_FDS=two");
    throws_with({"4242", "-1", nullptr}, "LISTEN_FDS=-1");
    throws_with({"42x", "1", nullptr}, "LISTEN_PID=42x");
    throws_with({"4242", nullptr, nullptr}, "LISTEN_FDS is missing");
    throws_with({"4242", "2", "public"}, "LISTEN_FDNAMES=public");
}

// The real thing: a child process inherits listening sockets at fds 3-5 with the
// variables systemd would set, adopts them and accepts a connection.
TEST(SystemdListenFds, AdoptsInheritedListeners) {
    int report[2];
    ASSERT_EQ(pipe(report), 0);
    pid_t child = fork();
    if (child == 0) {
        close(report[0]);
        auto fail = [&](const std::string& why) {
            [[maybe_unused]] ssize_t n = write(report[1], why.data(), why.size());
            _exit(1);
        };
        auto make = [&](int family, const char* host, int target) -> uint16_t {
            int fd = socket(family, SOCK_STREAM, 0);
            if (fd < 0 && family == AF_INET6) {  // no IPv6 here: a v4 wildcard will do
                family = AF_INET;
                host = "0.0.0.0";
                fd = socket(family, SOCK_STREAM, 0);
            }
            sockaddr_storage ss{};
            socklen_t len;
            if (family == AF_INET) {
                auto* in = reinterpret_cast<sockaddr_in*>(&ss);
                in->sin_family = AF_INET;
                inet_pton(AF_INET, host, &in->sin_addr);
                len = sizeof *in;
            } else {
                auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
                in6->sin6_family = AF_INET6;
                inet_pton(AF_INET6, host, &in6->sin6_addr);
                len = sizeof *in6;
            }
            if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, 16) != 0)
                fail(std::string("socket setup: ") + strerror(errno));
            len = sizeof ss;
            getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
            if (dup2(fd, target) != target) fail("dup2");
            close(fd);
            return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);  // same offset for v6
        };
        // Fds 3-5 may be taken by the test harness: park everything higher first.
        uint16_t p_public = make(AF_INET, "127.0.0.1", 60);
        uint16_t p_internal = make(AF_INET, "127.0.0.1", 61);
        uint16_t p_any = make(AF_INET6, "::", 62);
        for (int i = 0; i < 3; ++i) {
            if (dup2(60 + i, 3 + i) != 3 + i) fail("dup2 to 3+i");
            close(60 + i);
        }
        setenv("LISTEN_PID", std::to_string(getpid()).c_str(), 1);
        setenv("LISTEN_FDS", "3", 1);
        setenv("LISTEN_FDNAMES", "public:internal:any", 1);
        std::vector<ListenFd> fds;
        try {
            fds = listen_fds(/*unset=*/true);
        } catch (const std::exception& e) {
            fail(e.what());
        }
        if (fds.size() != 3) fail("expected 3 fds, got " + std::to_string(fds.size()));
        if (getenv("LISTEN_FDS") || getenv("LISTEN_PID") || getenv("LISTEN_FDNAMES"))
            fail("variables not unset");
        for (const auto& l : fds) {
            if (!(fcntl(l.fd, F_GETFD) & FD_CLOEXEC))
                fail("fd " + std::to_string(l.fd) + " lacks FD_CLOEXEC");
        }
        if (find_listen_fd(fds, std::string_view("internal")) != 4) fail("by name");
        if (find_listen_fd(fds, SocketAddress::loopback(p_public)) != 3) fail("by address (public)");
        if (find_listen_fd(fds, SocketAddress::loopback(p_internal)) != 4) fail("by address (internal)");
        auto wildcard = SocketAddress::parse(":" + std::to_string(p_any));
        if (!wildcard || find_listen_fd(fds, *wildcard) != 5)
            fail("IPv4 wildcard matches the dual-stack [::] socket");
        if (find_listen_fd(fds, SocketAddress::loopback(p_any)))
            fail("a specific address must not match [::]");
        if (find_listen_fd(fds, *SocketAddress::parse("127.0.0.2:" + std::to_string(p_public))))
            fail("other host matched");

        // Adopt a dup (as each core would) and accept a real connection.
        Reactor r;
        int accepted = r.block_on([](uint16_t port) -> Task<int> {
            auto l = TcpListener::adopt(fcntl(3, F_DUPFD_CLOEXEC, 3));
            auto conn = co_await connect(SocketAddress::loopback(port), 2000);
            int fd = co_await l->accept();
            if (fd >= 0) close(fd);
            co_await l->close();
            co_return conn.error == 0 ? fd : -1000 + conn.error;
        }(p_public));
        if (accepted < 0) fail("adopted listener did not accept: " + std::to_string(accepted));
        _exit(0);
    }
    close(report[1]);
    std::string why;
    char buf[512];
    ssize_t n;
    while ((n = read(report[0], buf, sizeof buf)) > 0)
        why.append(buf, static_cast<size_t>(n));
    close(report[0]);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << why;
}

TEST(SystemdListenFds, ReportsADescriptorThatIsNotOpen) {
    int report[2];
    ASSERT_EQ(pipe(report), 0);
    pid_t child = fork();
    if (child == 0) {
        close(report[0]);
        const int w = fcntl(report[1], F_DUPFD_CLOEXEC, 100);
        close(report[1]);
        report[1] = w;
        for (int fd = 3; fd < 8; ++fd)
            close(fd);
        setenv("LISTEN_PID", std::to_string(getpid()).c_str(), 1);
        setenv("LISTEN_FDS", "1", 1);
        try {
            (void)listen_fds();
            _exit(2);
        } catch (const std::runtime_error& e) {
            std::string w = e.what();
            [[maybe_unused]] ssize_t n = write(report[1], w.data(), w.size());
            _exit(0);
        }
    }
    close(report[1]);
    std::string msg;
    char buf[512];
    ssize_t n;
    while ((n = read(report[0], buf, sizeof buf)) > 0)
        msg.append(buf, static_cast<size_t>(n));
    close(report[0]);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_NE(msg.find("descriptor 3"), std::string::npos) << msg;
}

}  // namespace
}  // namespace ec::rt::systemd
