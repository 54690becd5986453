#include "runtime/net.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "runtime/fs.h"
#include "runtime/gate.h"
#include "runtime/time.h"
#include "runtime/when_all.h"

namespace ec::rt {
namespace {

TEST(SocketAddress, ParsesListenForms) {
    EXPECT_EQ(SocketAddress::parse(":10070")->to_string(), "0.0.0.0:10070");
    EXPECT_EQ(SocketAddress::parse("10070")->to_string(), "0.0.0.0:10070");
    EXPECT_EQ(SocketAddress::parse("127.0.0.1:80")->to_string(), "127.0.0.1:80");
    EXPECT_EQ(SocketAddress::parse("[::1]:8080")->to_string(), "[::1]:8080");
    EXPECT_EQ(SocketAddress::parse("localhost:9")->to_string(), "127.0.0.1:9");
    EXPECT_EQ(SocketAddress::parse("unix:/run/x.sock")->to_string(), "unix:/run/x.sock");
    std::string err;
    EXPECT_FALSE(SocketAddress::parse(":0", &err));
    EXPECT_NE(err.find("1 to 65535"), std::string::npos);
    EXPECT_FALSE(SocketAddress::parse(":70000"));
    EXPECT_FALSE(SocketAddress::parse("example.com:80", &err));
    EXPECT_NE(err.find("not an IP"), std::string::npos);
}

Task<void> echo_server(TcpListener& l, int connections) {
    Gate g;
    for (int i = 0; i < connections; ++i) {
        int fd = co_await l.accept();
        if (fd < 0) break;
        spawn(g, [](TcpStream s) -> Task<void> {
            char buf[4096];
            for (;;) {
                int n = co_await s.recv(buf);
                if (n <= 0) break;
                if (co_await s.send_all(std::span<const char>(buf, static_cast<size_t>(n))) < 0) break;
            }
        }(TcpStream(fd)));
    }
    co_await g.close();
}

Task<std::string> echo_client(SocketAddress addr, std::string msg) {
    auto c = co_await connect(addr, 2000);
    EXPECT_EQ(c.error, 0);
    if (c.error) co_return "";
    co_await c.stream.send_all(msg);
    std::string got;
    char buf[1024];
    while (got.size() < msg.size()) {
        int n = co_await c.stream.recv(buf, {}, 2000);
        if (n <= 0) break;
        got.append(buf, static_cast<size_t>(n));
    }
    co_return got;
}

TEST(Net, LoopbackEchoWithManyClients) {
    Reactor r;
    auto l = TcpListener::bind(SocketAddress::loopback(0));
    SocketAddress addr = l->local_address();
    ASSERT_GT(addr.port(), 0);
    constexpr int kClients = 32;
    auto results = r.block_on([](TcpListener& lst, SocketAddress a) -> Task<std::vector<std::string>> {
        std::vector<Task<std::string>> clients;
        for (int i = 0; i < kClients; ++i)
            clients.push_back(echo_client(a, std::string(1000 + i * 100, char('a' + i % 26))));
        auto [_, out] = co_await when_all(echo_server(lst, kClients), when_all(std::move(clients)));
        co_await lst.close();
        co_return out;
    }(*l, addr));
    ASSERT_EQ(results.size(), static_cast<size_t>(kClients));
    for (int i = 0; i < kClients; ++i)
        EXPECT_EQ(results[static_cast<size_t>(i)], std::string(1000 + i * 100, char('a' + i % 26)));
}

TEST(Net, VectoredSendKeepsOrder) {
    Reactor r;
    auto l = TcpListener::bind(SocketAddress::loopback(0));
    SocketAddress addr = l->local_address();
    std::string got = r.block_on([](TcpListener& lst, SocketAddress a) -> Task<std::string> {
        auto client = [](SocketAddress aa) -> Task<void> {
            auto c = co_await connect(aa, 2000);
            std::string head = "HEADER|", body(200000, 'b'), tail = "|TAIL";
            iovec iov[3] = {
                {head.data(), head.size()}, {body.data(), body.size()}, {tail.data(), tail.size()}};
            int64_t n = co_await c.stream.sendv_all(iov, 3);
            EXPECT_EQ(n, static_cast<int64_t>(head.size() + body.size() + tail.size()));
        };
        auto server = [](TcpListener& ll) -> Task<std::string> {
            TcpStream s(co_await ll.accept());
            std::string all;
            char buf[65536];
            for (;;) {
                int n = co_await s.recv(buf, {}, 3000);
                if (n <= 0) break;
                all.append(buf, static_cast<size_t>(n));
            }
            co_return all;
        };
        auto [_, s] = co_await when_all(client(a), server(lst));
        co_await lst.close();
        co_return s;
    }(*l, addr));
    EXPECT_EQ(got.size(), 7u + 200000u + 5u);
    EXPECT_TRUE(got.starts_with("HEADER|bbb"));
    EXPECT_TRUE(got.ends_with("bbb|TAIL"));
}

TEST(Net, SendFileSplicesWithoutUserCopy) {
    Reactor r;
    char tmpl[] = "/tmp/ec_sendfile_XXXXXX";
    int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    std::string content;
    for (int i = 0; i < 300000; ++i)
        content.push_back(static_cast<char>('A' + i % 23));
    ASSERT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    auto l = TcpListener::bind(SocketAddress::loopback(0));
    SocketAddress addr = l->local_address();
    std::string got = r.block_on([](TcpListener& lst, SocketAddress a, int file) -> Task<std::string> {
        auto sender = [](TcpListener& ll, int f) -> Task<void> {
            TcpStream s(co_await ll.accept());
            int64_t n = co_await s.send_file(f, 1000, 250000);
            EXPECT_EQ(n, 250000);
        };
        auto receiver = [](SocketAddress aa) -> Task<std::string> {
            auto c = co_await connect(aa, 2000);
            std::string all;
            char buf[65536];
            for (;;) {
                int n = co_await c.stream.recv(buf, {}, 3000);
                if (n <= 0) break;
                all.append(buf, static_cast<size_t>(n));
            }
            co_return all;
        };
        auto [_, s] = co_await when_all(sender(lst, file), receiver(a));
        co_await lst.close();
        co_return s;
    }(*l, addr, fd));
    EXPECT_EQ(got, content.substr(1000, 250000));
    close(fd);
    unlink(tmpl);
}

// A body far larger than the socket buffers, to a reader that starts late: the sender
// meets a full socket (EAGAIN / a pending splice) and must wait for room, in both
// send_file paths — sendfile(2) on the non-blocking accepted socket, and io_uring splice
// on a blocking one.
TEST(Net, SendFileToASlowReaderWaitsForRoomInBothPaths) {
    char tmpl[] = "/tmp/ec_sendfile_big_XXXXXX";
    int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    std::string content(8 << 20, '\0');
    for (size_t i = 0; i < content.size(); ++i)
        content[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
    ASSERT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    for (bool force_blocking : {false, true}) {
        SCOPED_TRACE(force_blocking ? "splice path (blocking socket)" : "accepted socket");
        Reactor r;
        auto l = TcpListener::bind(SocketAddress::loopback(0));
        SocketAddress addr = l->local_address();
        bool was_nonblocking = false;
        std::string got = r.block_on(
            [](TcpListener& lst, SocketAddress a, int file, bool blocking, bool& nb) -> Task<std::string> {
                auto sender = [](TcpListener& ll, int f, bool blk, bool& nbo) -> Task<void> {
                    int sfd = co_await ll.accept();
                    nbo = (fcntl(sfd, F_GETFL) & O_NONBLOCK) != 0;
                    if (blk) fcntl(sfd, F_SETFL, fcntl(sfd, F_GETFL) & ~O_NONBLOCK);
                    TcpStream s(sfd);
                    EXPECT_EQ(s.nonblocking(), !blk && nbo);
                    int64_t n = co_await s.send_file(f, 4096, (8 << 20) - 4096);
                    EXPECT_EQ(n, (8 << 20) - 4096);
                };
                auto receiver = [](SocketAddress aa) -> Task<std::string> {
                    auto c = co_await connect(aa, 2000);
                    co_await sleep_for(Millis(200));  // let the sender fill every buffer first
                    std::string all;
                    char buf[65536];
                    for (;;) {
                        int n = co_await c.stream.recv(buf, {}, 5000);
                        if (n <= 0) break;
                        all.append(buf, static_cast<size_t>(n));
                    }
                    co_return all;
                };
                auto [_, s] = co_await when_all(sender(lst, file, blocking, nb), receiver(a));
                co_await lst.close();
                co_return s;
            }(*l, addr, fd, force_blocking, was_nonblocking));
        EXPECT_EQ(was_nonblocking, nonblocking_sockets_supported())
            << "accepted sockets are non-blocking exactly when the ring waits on them";
        ASSERT_EQ(got.size(), content.size() - 4096);
        EXPECT_TRUE(got == content.substr(4096)) << "bytes differ";
    }
    close(fd);
    unlink(tmpl);
}

// What the probe promises: on a non-blocking accepted socket a receive through the ring
// still waits for data (here: until its timeout) instead of failing with EAGAIN.
TEST(Net, RingWaitsOnNonBlockingAcceptedSockets) {
    if (!nonblocking_sockets_supported())
        GTEST_SKIP() << "this kernel's io_uring fails I/O on O_NONBLOCK sockets with EAGAIN; accepted "
                        "sockets stay blocking";
    Reactor r;
    auto l = TcpListener::bind(SocketAddress::loopback(0));
    SocketAddress addr = l->local_address();
    int res = r.block_on([](TcpListener& lst, SocketAddress a) -> Task<int> {
        auto c = co_await connect(a, 2000);
        TcpStream s(co_await lst.accept());
        EXPECT_TRUE(s.nonblocking());
        char buf[16];
        const int64_t t0 = Reactor::current().now_ms();
        int n = co_await s.recv(buf, {}, 100);
        EXPECT_GE(Reactor::current().now_ms() - t0, 90);
        co_await lst.close();
        co_return n;
    }(*l, addr));
    EXPECT_NE(res, -EAGAIN);
    EXPECT_TRUE(res == -ETIMEDOUT || res == -ECANCELED || res == -ETIME) << res;
}

TEST(Net, ConnectRefusedAndListenerCloseWakesAcceptor) {
    Reactor r;
    // Find a port with nothing listening: bind, note, close.
    uint16_t port;
    {
        auto tmp = TcpListener::bind(SocketAddress::loopback(0));
        port = tmp->local_address().port();
        r.block_on(tmp->close());
    }
    auto res = r.block_on(connect(SocketAddress::loopback(port), 1000));
    EXPECT_EQ(res.error, -ECONNREFUSED);

    auto l = TcpListener::bind(SocketAddress::loopback(0));
    int accepted = r.block_on([](TcpListener& lst) -> Task<int> {
        Gate g;
        int result = 0;
        spawn(g, [](TcpListener& ll, int& out) -> Task<void> { out = co_await ll.accept(); }(lst, result));
        co_await sleep_for(Millis(10));
        co_await lst.close();
        co_await g.close();
        co_return result;
    }(*l));
    EXPECT_EQ(accepted, -ECANCELED);
}

TEST(Net, BindErrorNamesTheAddress) {
    auto a = TcpListener::bind(SocketAddress::loopback(0));
    SocketAddress addr = a->local_address();
    try {
        auto b = TcpListener::bind(addr, ListenOptions{.reuse_port = false});
        FAIL() << "second bind without SO_REUSEPORT must fail";
    } catch (const std::system_error& e) {
        EXPECT_NE(std::string(e.what()).find(addr.to_string()), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace ec::rt
