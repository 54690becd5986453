#include "runtime/dns.h"

#include <ares.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "runtime/reactor.h"

namespace ec::rt {

namespace {

SocketAddress with_port(const SocketAddress& a, uint16_t port) {
    sockaddr_storage ss{};
    std::memcpy(&ss, a.sa(), a.len());
    if (ss.ss_family == AF_INET)
        reinterpret_cast<sockaddr_in*>(&ss)->sin_port = htons(port);
    else if (ss.ss_family == AF_INET6)
        reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port = htons(port);
    return SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), a.len());
}

std::optional<SocketAddress> literal(const std::string& host, uint16_t port) {
    std::string h = host;
    if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    sockaddr_in in{};
    if (inet_pton(AF_INET, h.c_str(), &in.sin_addr) == 1) {
        in.sin_family = AF_INET;
        in.sin_port = htons(port);
        return SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&in), sizeof in);
    }
    sockaddr_in6 in6{};
    if (inet_pton(AF_INET6, h.c_str(), &in6.sin6_addr) == 1) {
        in6.sin6_family = AF_INET6;
        in6.sin6_port = htons(port);
        return SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&in6), sizeof in6);
    }
    return std::nullopt;
}

struct QueryCtx {
    std::function<void(int, std::string, std::vector<std::pair<SocketAddress, uint32_t>>)> done;
};

void on_addrinfo(void* arg, int status, int /*timeouts*/, ares_addrinfo* res) {
    auto* q = static_cast<QueryCtx*>(arg);
    std::vector<std::pair<SocketAddress, uint32_t>> out;
    if (status == ARES_SUCCESS && res) {
        for (ares_addrinfo_node* n = res->nodes; n; n = n->ai_next) {
            if (n->ai_family != AF_INET && n->ai_family != AF_INET6) continue;
            out.emplace_back(SocketAddress::from_sockaddr(n->ai_addr, n->ai_addrlen),
                             static_cast<uint32_t>(std::max(0, n->ai_ttl)));
        }
        // IPv4 first (the reference prefers it for origin fetches), order otherwise kept.
        // (two passes instead of std::stable_partition: libstdc++ 12's uses a deprecated API)
        std::vector<std::pair<SocketAddress, uint32_t>> ordered;
        ordered.reserve(out.size());
        for (auto& p : out)
            if (p.first.family() == AF_INET) ordered.push_back(p);
        for (auto& p : out)
            if (p.first.family() != AF_INET) ordered.push_back(p);
        out.swap(ordered);
    }
    if (res) ares_freeaddrinfo(res);
    std::string msg = status == ARES_SUCCESS ? "" : ares_strerror(status);
    if (status == ARES_SUCCESS && out.empty()) {
        status = ARES_ENODATA;
        msg = "no IPv4 or IPv6 address";
    }
    q->done(status, std::move(msg), std::move(out));
    delete q;
}

}  // namespace

uint64_t DnsResolver::now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

DnsResolver::DnsResolver(DnsOptions opts) : _opts(std::move(opts)) {
    static const int init = ares_library_init(ARES_LIB_INIT_ALL);
    if (init != ARES_SUCCESS) throw std::runtime_error(std::string("c-ares init: ") + ares_strerror(init));
    _wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (_wake_fd < 0) throw std::runtime_error("DnsResolver: eventfd failed");
    _thread = std::thread([this] { thread_main(); });
}

DnsResolver::~DnsResolver() {
    _stop = true;
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(_wake_fd, &one, sizeof one);
    _thread.join();
    ::close(_wake_fd);
}

void DnsResolver::thread_main() {
    ares_channel channel;
    ares_options o{};
    o.timeout = static_cast<int>(_opts.timeout_ms);
    o.tries = _opts.tries;
    std::string lookups = _opts.lookups;
    o.lookups = lookups.data();
    int st = ares_init_options(&channel, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS);
    if (st != ARES_SUCCESS) {
        // Fail every query with the reason instead of hanging callers.
        while (!_stop) {
            std::vector<Pending> batch;
            {
                std::lock_guard lk(_mu);
                batch.swap(_queue);
            }
            for (auto& p : batch)
                p.done(st, std::string("c-ares channel: ") + ares_strerror(st), {});
            pollfd pfd{_wake_fd, POLLIN, 0};
            ::poll(&pfd, 1, 1000);
            uint64_t v;
            while (::read(_wake_fd, &v, sizeof v) > 0) {
            }
        }
        return;
    }
    while (!_stop) {
        std::vector<Pending> batch;
        {
            std::lock_guard lk(_mu);
            batch.swap(_queue);
        }
        for (auto& p : batch) {
            ares_addrinfo_hints hints{};
            hints.ai_family = AF_UNSPEC;
            hints.ai_flags = ARES_AI_NOSORT;
            auto* ctx = new QueryCtx{std::move(p.done)};
            ++_queries;
            ares_getaddrinfo(channel, p.host.c_str(), nullptr, &hints, &on_addrinfo, ctx);
        }
        ares_socket_t socks[ARES_GETSOCK_MAXNUM];
        int bits = ares_getsock(channel, socks, ARES_GETSOCK_MAXNUM);
        pollfd pfds[ARES_GETSOCK_MAXNUM + 1];
        nfds_t n = 0;
        pfds[n++] = pollfd{_wake_fd, POLLIN, 0};
        for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
            short ev = 0;
            if (ARES_GETSOCK_READABLE(bits, i)) ev |= POLLIN;
            if (ARES_GETSOCK_WRITABLE(bits, i)) ev |= POLLOUT;
            if (ev) pfds[n++] = pollfd{socks[i], ev, 0};
        }
        timeval tv{};
        timeval max{1, 0};
        timeval* t = ares_timeout(channel, &max, &tv);
        int timeout_ms = static_cast<int>(t->tv_sec * 1000 + t->tv_usec / 1000);
        ::poll(pfds, n, timeout_ms);
        if (pfds[0].revents) {
            uint64_t v;
            while (::read(_wake_fd, &v, sizeof v) > 0) {
            }
        }
        bool any = false;
        for (nfds_t i = 1; i < n; ++i) {
            if (!pfds[i].revents) continue;
            any = true;
            ares_socket_t r = (pfds[i].revents & (POLLIN | POLLERR | POLLHUP)) ? pfds[i].fd : ARES_SOCKET_BAD;
            ares_socket_t w = (pfds[i].revents & POLLOUT) ? pfds[i].fd : ARES_SOCKET_BAD;
            ares_process_fd(channel, r, w);
        }
        if (!any) ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts
    }
    ares_destroy(channel);  // runs pending callbacks with ARES_EDESTRUCTION
}

Task<DnsResult> DnsResolver::resolve(std::string host, uint16_t port) {
    DnsResult out;
    if (auto lit = literal(host, port)) {
        out.addresses.push_back(*lit);
        co_return out;
    }
    std::string key = host;
    for (auto& c : key)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    {
        std::lock_guard lk(_mu);
        auto it = _cache.find(key);
        if (it != _cache.end() && it->second.expires_ms > now_ms()) {
            out.error = it->second.error;
            out.message = it->second.message;
            for (const auto& a : it->second.addrs)
                out.addresses.push_back(with_port(a, port));
            out.from_cache = true;
            co_return out;
        }
    }
    struct Awaiter {
        DnsResolver* self;
        std::string host;
        int status = 0;
        std::string message;
        std::vector<std::pair<SocketAddress, uint32_t>> addrs;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> h) {
            Reactor* origin = &Reactor::current();
            Pending p;
            p.host = host;
            p.done = [this, origin, h](int st, std::string msg,
                                       std::vector<std::pair<SocketAddress, uint32_t>> a) {
                // Runs on the resolver thread: hand the answer to the asking reactor.
                // During resolver destruction the reactors may already be gone: drop it.
                if (st == ARES_EDESTRUCTION) return;
                origin->post_remote([this, h, st, msg = std::move(msg), a = std::move(a)]() mutable {
                    status = st;
                    message = std::move(msg);
                    addrs = std::move(a);
                    h.resume();
                });
            };
            {
                std::lock_guard lk(self->_mu);
                self->_queue.push_back(std::move(p));
            }
            uint64_t one = 1;
            [[maybe_unused]] ssize_t n = ::write(self->_wake_fd, &one, sizeof one);
        }
        void await_resume() const noexcept {}
    };
    Awaiter aw{this, host};
    co_await aw;
    CacheEntry e;
    e.error = aw.status;
    e.message = aw.status == ARES_SUCCESS ? "" : "cannot resolve " + host + ": " + aw.message;
    uint32_t ttl = _opts.negative_ttl_s;
    if (aw.status == ARES_SUCCESS) {
        ttl = _opts.max_ttl_s;
        for (const auto& [a, t] : aw.addrs)
            ttl = std::min(ttl, t);
        ttl = std::clamp(ttl, _opts.min_ttl_s, _opts.max_ttl_s);
        for (const auto& [a, t] : aw.addrs)
            e.addrs.push_back(a);
    }
    e.expires_ms = now_ms() + uint64_t{ttl} * 1000;
    out.error = e.error;
    out.message = e.message;
    for (const auto& a : e.addrs)
        out.addresses.push_back(with_port(a, port));
    if (aw.status != ARES_EDESTRUCTION) {
        std::lock_guard lk(_mu);
        if (_cache.size() > 10000) _cache.clear();  // bound memory under hostile input
        _cache[key] = std::move(e);
    }
    co_return out;
}

}  // namespace ec::rt
