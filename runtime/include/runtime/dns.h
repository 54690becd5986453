// DNS resolution off the reactors: c-ares runs on one resolver thread; answers are
// delivered back to the reactor that asked. Answers are cached by their TTL (clamped),
// failures briefly (negative TTL). IP literals never touch DNS. IPv4 and IPv6.
//
// Thread-safety: one DnsResolver per process, usable from every reactor.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "runtime/net.h"
#include "runtime/task.h"

namespace ec::rt {

struct DnsOptions {
    uint32_t timeout_ms = 2000;  // per try
    int tries = 2;
    std::string lookups = "fb";  // c-ares order: f = /etc/hosts, b = DNS servers
    uint32_t min_ttl_s = 1;
    uint32_t max_ttl_s = 300;
    uint32_t negative_ttl_s = 5;
};

struct DnsResult {
    int error = 0;                         // 0, or an ARES_* status code
    std::string message;                   // human-readable reason when error != 0
    std::vector<SocketAddress> addresses;  // port already set; IPv4 first
    bool from_cache = false;
};

class DnsResolver {
  public:
    explicit DnsResolver(DnsOptions opts = {});
    ~DnsResolver();
    DnsResolver(const DnsResolver&) = delete;
    DnsResolver& operator=(const DnsResolver&) = delete;

    // Resolves `host` for `port` on the calling reactor.
    Task<DnsResult> resolve(std::string host, uint16_t port);

    // Queries sent to c-ares so far (tests: cache hits do not count).
    uint64_t queries_sent() const noexcept { return _queries.load(); }

  private:
    struct Pending {
        std::string host;
        std::function<void(int status, std::string message, std::vector<std::pair<SocketAddress, uint32_t>>)>
            done;
    };
    struct CacheEntry {
        int error = 0;
        std::string message;
        std::vector<SocketAddress> addrs;  // port 0
        uint64_t expires_ms = 0;
    };
    void thread_main();
    static uint64_t now_ms();

    DnsOptions _opts;
    std::mutex _mu;
    std::vector<Pending> _queue;
    std::unordered_map<std::string, CacheEntry> _cache;
    int _wake_fd = -1;
    std::atomic<bool> _stop{false};
    std::atomic<uint64_t> _queries{0};
    std::thread _thread;
};

}  // namespace ec::rt
