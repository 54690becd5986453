// A real redis-server for tests: started on a free 127.0.0.1 port (and a Unix socket)
// in a temporary directory, with persistence off; killed by pid when the object dies.
//
//   EC_REQUIRE_REDIS_SERVER();           // GTEST_SKIP()s with the reason when absent
//   ec::test::RedisServer srv;           // throws std::runtime_error if it cannot start
//   opts.addr = srv.addr();              // "127.0.0.1:<port>"
//   srv.kill();  srv.restart();          // kill -9, then start again on the same port
//
// The server dies with the thread that started it (PR_SET_PDEATHSIG), so a crashed test
// leaves no stray redis-server behind; hence construct and restart() it on the test's
// main thread (checked), never on a short-lived helper thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ec::test {

class RedisServer {
  public:
    struct Options {
        std::string password;  // --requirepass when non-empty
        std::vector<std::string> extra_args;
    };

    // Whether redis-server can be run; otherwise `why` says what is missing.
    static bool available(std::string* why);

    RedisServer() : RedisServer(Options{}) {}
    explicit RedisServer(Options opts);
    ~RedisServer();
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    uint16_t port() const noexcept { return _port; }
    std::string addr() const { return "127.0.0.1:" + std::to_string(_port); }
    // "unix:/tmp/.../redis.sock", the form redis::Options::addr takes.
    std::string unix_addr() const { return "unix:" + _socket_path; }
    pid_t pid() const noexcept { return _pid; }
    bool running() const noexcept { return _pid > 0; }

    // SIGKILL and reap (no-op when not running).
    void kill();
    // Starts again on the same port and socket; returns once it answers PING.
    void restart();

    // Sends one command over a fresh blocking connection (AUTH first when a password
    // is set) and returns the raw RESP reply; throws on I/O failure. For test set-up
    // that must not depend on the client under test.
    std::string command(const std::vector<std::string>& args) const;

  private:
    void start();
    bool wait_ready(std::string* why);

    Options _opts;
    std::string _dir;
    std::string _socket_path;
    uint16_t _port = 0;
    pid_t _pid = -1;
};

}  // namespace ec::test

#define EC_REQUIRE_REDIS_SERVER()                                          \
    do {                                                                   \
        std::string ec_redis_why_;                                         \
        if (!::ec::test::RedisServer::available(&ec_redis_why_))           \
            GTEST_SKIP() << "redis-server unavailable: " << ec_redis_why_; \
    } while (0)
