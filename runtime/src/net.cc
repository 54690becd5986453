#include "runtime/net.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <vector>

namespace ec::rt {

// ----------------------------------------------------------------------------- address

SocketAddress SocketAddress::ipv4(uint32_t host_order_addr, uint16_t port) {
    SocketAddress a;
    auto* in = reinterpret_cast<sockaddr_in*>(&a._ss);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    in->sin_addr.s_addr = htonl(host_order_addr);
    a._len = sizeof(sockaddr_in);
    return a;
}

SocketAddress SocketAddress::unix_path(std::string_view path) {
    SocketAddress a;
    auto* un = reinterpret_cast<sockaddr_un*>(&a._ss);
    un->sun_family = AF_UNIX;
    size_t n = std::min(path.size(), sizeof(un->sun_path) - 1);
    std::memcpy(un->sun_path, path.data(), n);
    a._len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + n + 1);
    return a;
}

SocketAddress SocketAddress::from_sockaddr(const sockaddr* sa, socklen_t len) {
    SocketAddress a;
    std::memcpy(&a._ss, sa, std::min<size_t>(len, sizeof a._ss));
    a._len = len;
    return a;
}

std::optional<SocketAddress> SocketAddress::parse(std::string_view s, std::string* err) {
    auto fail = [&](const std::string& why) -> std::optional<SocketAddress> {
        if (err) *err = why;
        return std::nullopt;
    };
    if (s.starts_with("unix:")) {
        auto path = s.substr(5);
        if (path.empty() || path.size() >= sizeof(sockaddr_un::sun_path))
            return fail("unix socket path is empty or longer than 107 bytes");
        return unix_path(path);
    }
    std::string_view host, port;
    if (s.starts_with('[')) {
        auto close = s.find(']');
        if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':')
            return fail("expected [ipv6]:port");
        host = s.substr(1, close - 1);
        port = s.substr(close + 2);
    } else if (auto colon = s.rfind(':'); colon != std::string_view::npos) {
        host = s.substr(0, colon);
        port = s.substr(colon + 1);
    } else {
        port = s;  // bare port number
    }
    unsigned p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || p < 1 || p > 65535)
        return fail("port must be a number from 1 to 65535");
    SocketAddress a;
    std::string h(host);
    if (h.empty() || h == "0.0.0.0" || h == "*") {
        return ipv4(0, static_cast<uint16_t>(p));
    }
    if (h == "localhost") return loopback(static_cast<uint16_t>(p));
    auto* in = reinterpret_cast<sockaddr_in*>(&a._ss);
    if (inet_pton(AF_INET, h.c_str(), &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons(static_cast<uint16_t>(p));
        a._len = sizeof(sockaddr_in);
        return a;
    }
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&a._ss);
    if (inet_pton(AF_INET6, h.c_str(), &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(static_cast<uint16_t>(p));
        a._len = sizeof(sockaddr_in6);
        return a;
    }
    return fail("host '" + h + "' is not an IP address (names are resolved by the DNS resolver, not here)");
}

uint16_t SocketAddress::port() const noexcept {
    if (_ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&_ss)->sin_port);
    if (_ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&_ss)->sin6_port);
    return 0;
}

std::string SocketAddress::host_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (_ss.ss_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&_ss)->sin_addr, buf, sizeof buf);
    } else if (_ss.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&_ss)->sin6_addr, buf, sizeof buf);
    }
    return buf;
}

std::string SocketAddress::to_string() const {
    if (_ss.ss_family == AF_UNIX)
        return std::string("unix:") + reinterpret_cast<const sockaddr_un*>(&_ss)->sun_path;
    if (_ss.ss_family == AF_INET6) return "[" + host_string() + "]:" + std::to_string(port());
    return host_string() + ":" + std::to_string(port());
}

// ----------------------------------------------------------------------------- listener

std::unique_ptr<TcpListener> TcpListener::bind(const SocketAddress& addr, const ListenOptions& opts) {
    int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket() for " + addr.to_string());
    int one = 1;
    if (addr.family() != AF_UNIX) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (opts.reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    }
    if (::bind(fd, addr.sa(), addr.len()) != 0) {
        int e = errno;
        ::close(fd);
        throw std::system_error(
            e, std::generic_category(),
            "cannot listen on " + addr.to_string() +
                (e == EADDRINUSE ? " (address in use: another process holds this port)" : ""));
    }
    if (::listen(fd, opts.backlog) != 0) {
        int e = errno;
        ::close(fd);
        throw std::system_error(e, std::generic_category(), "listen() on " + addr.to_string());
    }
    return std::unique_ptr<TcpListener>(new TcpListener(fd));
}

std::unique_ptr<TcpListener> TcpListener::adopt(int fd) {
    return std::unique_ptr<TcpListener>(new TcpListener(fd));
}

TcpListener::TcpListener(int fd) : _fd(fd) {
    _op.fn = &TcpListener::on_accept;
    _op.self = this;
    _retry.self = this;
    _retry.set_callback([](Timer* t) noexcept {
        TcpListener* l = static_cast<RetryTimer*>(t)->self;
        if (!l->_closing) l->arm();
    });
}

TcpListener::~TcpListener() {
    // close() must have been awaited if the multishot accept was ever armed; otherwise
    // the kernel could still complete into freed memory.
    if (_armed) std::terminate();
    for (int fd : _queue)
        ::close(fd);
    if (_fd >= 0 && !_closed) ::close(_fd);
}

SocketAddress TcpListener::local_address() const {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    getsockname(_fd, reinterpret_cast<sockaddr*>(&ss), &len);
    return SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

void TcpListener::arm() noexcept {
    if (_armed || _closing) return;
    io_uring_sqe* s = Reactor::current().sqe();
    // Non-blocking sockets let send_file() use sendfile(2) on the reactor thread; the
    // ring still waits for readiness on them where the probe says so.
    static const int accept_flags = SOCK_CLOEXEC | (nonblocking_sockets_supported() ? SOCK_NONBLOCK : 0);
    io_uring_prep_multishot_accept(s, _fd, nullptr, nullptr, accept_flags);
    io_uring_sqe_set_data(s, static_cast<Completion*>(&_op));
    _armed = true;
}

void TcpListener::deliver(int fd_or_err) noexcept {
    if (_waiter) {
        _waiter->_fd = fd_or_err;
        _waiter = nullptr;
        auto h = std::exchange(_waiter_h, {});
        h.resume();
    } else if (fd_or_err >= 0) {
        _queue.push_back(fd_or_err);
    }
}

void TcpListener::on_accept(Completion* c, int32_t res, uint32_t flags) noexcept {
    TcpListener* self = static_cast<AcceptOp*>(c)->self;
    bool more = flags & IORING_CQE_F_MORE;
    if (!more) self->_armed = false;
    if (res >= 0) {
        ++self->_accepted;
        if (self->_closing)
            ::close(res);
        else
            self->deliver(res);
    }
    if (!more) {
        if (self->_closing) {
            if (self->_close_waiter) Reactor::current().post(std::exchange(self->_close_waiter, {}));
            return;
        }
        if (res == -EMFILE || res == -ENFILE || res == -ENOBUFS || res == -ENOMEM) {
            // Out of descriptors/memory: back off 10 ms instead of spinning on the error.
            Reactor& r = Reactor::current();
            r.timers().schedule(self->_retry, r.now_ms() + 10);
            return;
        }
        self->arm();
    }
}

bool TcpListener::AcceptAwaiter::await_ready() noexcept {
    if (_l._closing) {
        _fd = -ECANCELED;
        return true;
    }
    if (!_l._queue.empty()) {
        _fd = _l._queue.front();
        _l._queue.pop_front();
        return true;
    }
    return false;
}

void TcpListener::AcceptAwaiter::await_suspend(std::coroutine_handle<> h) noexcept {
    _l._waiter = this;
    _l._waiter_h = h;
    if (!_l._armed && !_l._retry.armed()) _l.arm();
}

Task<void> TcpListener::close() {
    if (_closed) co_return;
    _closing = true;
    if (_waiter) deliver(-ECANCELED);
    if (_armed) {
        struct WaitDisarm {
            TcpListener& l;
            bool await_ready() const noexcept { return !l._armed; }
            void await_suspend(std::coroutine_handle<> h) noexcept { l._close_waiter = h; }
            void await_resume() const noexcept {}
        };
        submit_cancel(Reactor::current(), &_op);
        co_await WaitDisarm{*this};
    }
    if (_retry.armed()) Reactor::current().timers().cancel(_retry);
    for (int fd : _queue)
        ::close(fd);
    _queue.clear();
    ::close(_fd);
    _closed = true;
}

// ----------------------------------------------------------------------------- stream

void TcpStream::close() noexcept {
    if (_fd >= 0) {
        ::close(_fd);
        _fd = -1;
    }
}

void TcpStream::set_nodelay(bool on) noexcept {
    int v = on ? 1 : 0;
    setsockopt(_fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v);
}

Task<int64_t> TcpStream::send_all(std::span<const char> buf, CancelToken tok, int64_t timeout_ms) {
    iovec iov{const_cast<char*>(buf.data()), buf.size()};
    co_return co_await sendv_all(&iov, 1, tok, timeout_ms);
}

Task<int64_t> TcpStream::sendv_all(iovec* iov, size_t n, CancelToken tok, int64_t timeout_ms, bool more) {
    if (tok.cancelled()) co_return -ECANCELED;
    int64_t total = 0;
    // Most sends fit the socket buffer: one sendmsg now, no ring round trip.
    const int64_t w = try_sendv(iov, n, more);
    if (w < 0 && w != -EAGAIN) co_return w;
    if (w > 0) {
        total = w;
        iov_advance(iov, n, static_cast<size_t>(w));
    }
    const int flags = MSG_NOSIGNAL | (more ? MSG_MORE : 0);
    while (n > 0) {
        const int fd = _fd;
        msghdr m{};
        m.msg_iov = iov;
        m.msg_iovlen = n;
        int r = co_await uring_op(
            [fd, &m, flags](io_uring_sqe* s) { io_uring_prep_sendmsg(s, fd, &m, flags); }, tok, timeout_ms);
        if (r < 0) co_return r;
        if (r == 0) co_return -EPIPE;
        total += r;
        iov_advance(iov, n, static_cast<size_t>(r));
    }
    co_return total;
}

namespace {

// Pipes for splice, pooled per thread: a pipe is only needed while a body is in flight,
// so connections never hold two extra descriptors each.
struct PipePool {
    std::vector<std::array<int, 2>> free;
    ~PipePool() {
        for (auto& p : free) {
            ::close(p[0]);
            ::close(p[1]);
        }
    }
    bool acquire(std::array<int, 2>& out) {
        if (!free.empty()) {
            out = free.back();
            free.pop_back();
            return true;
        }
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) return false;
        out = {fds[0], fds[1]};
        return true;
    }
    void release(const std::array<int, 2>& p, bool clean) {
        if (clean && free.size() < 64) {
            free.push_back(p);
        } else {
            ::close(p[0]);
            ::close(p[1]);
        }
    }
};
thread_local PipePool t_pipes;

}  // namespace

bool TcpStream::nonblocking() noexcept {
    if (_nonblock < 0 && _fd >= 0) {
        const int fl = ::fcntl(_fd, F_GETFL);
        _nonblock = fl >= 0 && (fl & O_NONBLOCK) ? 1 : 0;
    }
    return _nonblock == 1;
}

int64_t TcpStream::try_sendv(const iovec* iov, size_t n, bool more) noexcept {
    msghdr m{};
    m.msg_iov = const_cast<iovec*>(iov);
    m.msg_iovlen = n;
    for (;;) {
        const ssize_t r = ::sendmsg(_fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL | (more ? MSG_MORE : 0));
        if (r >= 0) return r;
        if (errno != EINTR) return -errno;
    }
}

namespace {

// sendfile(2) on a non-blocking socket, waiting for POLLOUT through the ring.
Task<int64_t> sendfile_nonblocking(int sock, int file_fd, uint64_t offset, size_t len, CancelToken tok) {
    auto off = static_cast<off_t>(offset);
    int64_t total = 0;
    while (len > 0) {
        const ssize_t n = ::sendfile(sock, file_fd, &off, std::min<size_t>(len, size_t{1} << 30));
        if (n > 0) {
            total += n;
            len -= static_cast<size_t>(n);
            continue;
        }
        if (n == 0) co_return -EIO;  // the file is shorter than promised
        if (errno == EINTR) continue;
        if (errno != EAGAIN) co_return -errno;
        const int r =
            co_await uring_op([sock](io_uring_sqe* s) { io_uring_prep_poll_add(s, sock, POLLOUT); }, tok);
        if (r < 0) co_return r;
        if (r & (POLLERR | POLLHUP)) co_return -EPIPE;
    }
    co_return total;
}

// One probe of io_uring's behaviour on O_NONBLOCK sockets, on a private ring.
bool probe_nonblocking_sockets() noexcept {
    io_uring ring{};
    if (io_uring_queue_init(4, &ring, 0) != 0) return false;
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
        io_uring_queue_exit(&ring);
        return false;
    }
    bool ok = false;
    char byte = 0;
    io_uring_sqe* s = io_uring_get_sqe(&ring);
    io_uring_prep_recv(s, sv[0], &byte, 1, 0);
    if (io_uring_submit(&ring) == 1) {
        io_uring_cqe* cqe = nullptr;
        // -EAGAIN right away: this kernel would fail every wait on such a socket.
        if (io_uring_peek_cqe(&ring, &cqe) != 0 || cqe == nullptr) {
            const char b = 'x';
            if (::write(sv[1], &b, 1) == 1) {
                __kernel_timespec ts{.tv_sec = 1, .tv_nsec = 0};
                int w;
                // io_uring task work of another ring on this thread interrupts the wait: wait again.
                do {
                    w = io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
                } while (w == -EINTR);
                if (w == 0 && cqe) ok = cqe->res == 1;
            }
        }
        if (cqe) io_uring_cqe_seen(&ring, cqe);
    }
    ::close(sv[0]);
    ::close(sv[1]);
    io_uring_queue_exit(&ring);  // cancels anything left pending
    return ok;
}

}  // namespace

bool nonblocking_sockets_supported() noexcept {
    static const bool ok = [] {
        if (const char* e = std::getenv("EC_NO_NONBLOCK_SOCKETS"); e && *e == '1') return false;
        return probe_nonblocking_sockets();
    }();
    return ok;
}

Task<int64_t> TcpStream::send_file(int file_fd, uint64_t offset, size_t len, CancelToken tok) {
    if (nonblocking()) co_return co_await sendfile_nonblocking(_fd, file_fd, offset, len, tok);
    std::array<int, 2> pipe{};
    if (!t_pipes.acquire(pipe)) co_return -errno;
    int64_t total = 0;
    bool clean = true;
    while (len > 0) {
        size_t chunk = std::min<size_t>(len, 64 * 1024);  // the default pipe capacity
        int in_fd = file_fd, pw = pipe[1];
        auto off = static_cast<int64_t>(offset);
        int n = co_await uring_op(
            [=](io_uring_sqe* s) {
                io_uring_prep_splice(s, in_fd, off, pw, -1, static_cast<unsigned>(chunk), SPLICE_F_MOVE);
            },
            tok);
        if (n <= 0) {
            t_pipes.release(pipe, true);
            co_return n == 0 ? -EIO : n;  // file shorter than promised
        }
        int pr = pipe[0], sock = _fd;
        int left = n;
        while (left > 0) {
            int m = co_await uring_op(
                [=](io_uring_sqe* s) {
                    io_uring_prep_splice(s, pr, -1, sock, -1, static_cast<unsigned>(left), SPLICE_F_MOVE);
                },
                tok);
            if (m <= 0) {
                clean = false;  // bytes may be stranded in the pipe: never reuse it
                t_pipes.release(pipe, clean);
                co_return m == 0 ? -EPIPE : m;
            }
            left -= m;
        }
        total += n;
        offset += static_cast<uint64_t>(n);
        len -= static_cast<size_t>(n);
    }
    t_pipes.release(pipe, clean);
    co_return total;
}

Task<ConnectResult> connect(const SocketAddress& addr, int64_t timeout_ms, CancelToken tok) {
    ConnectResult out;
    int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        out.error = -errno;
        co_return out;
    }
    SocketAddress a = addr;
    int r = co_await uring_op([fd, &a](io_uring_sqe* s) { io_uring_prep_connect(s, fd, a.sa(), a.len()); },
                              tok, timeout_ms);
    if (r < 0) {
        ::close(fd);
        out.error = (r == -ECANCELED && !tok.cancelled()) ? -ETIMEDOUT : r;
        co_return out;
    }
    out.stream = TcpStream(fd);
    if (addr.family() != AF_UNIX) out.stream.set_nodelay(true);
    co_return out;
}

}  // namespace ec::rt
