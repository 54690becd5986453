// TCP and Unix-socket networking on the reactor.
//
//  - SocketAddress: IPv4, IPv6 or Unix path; parses the listen forms of the reference
//    (":10070", "0.0.0.0:10070", "[::1]:80", "host:port" with a literal IP, "10070",
//    "unix:/run/x.sock").
//  - TcpListener: one per core with SO_REUSEPORT; a multishot ACCEPT feeds accept().
//  - TcpStream: owns a connected socket; recv/send/sendv are zero-allocation awaitables
//    resuming with bytes (>= 0) or -errno. Sends use MSG_NOSIGNAL.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <coroutine>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "runtime/cancel.h"
#include "runtime/reactor.h"
#include "runtime/task.h"
#include "runtime/time.h"

namespace ec::rt {

class SocketAddress {
  public:
    SocketAddress() = default;
    static std::optional<SocketAddress> parse(std::string_view s, std::string* err = nullptr);
    static SocketAddress ipv4(uint32_t host_order_addr, uint16_t port);
    static SocketAddress loopback(uint16_t port) { return ipv4(0x7f000001u, port); }
    static SocketAddress unix_path(std::string_view path);
    static SocketAddress from_sockaddr(const sockaddr* sa, socklen_t len);

    int family() const noexcept { return _ss.ss_family; }
    uint16_t port() const noexcept;
    const sockaddr* sa() const noexcept { return reinterpret_cast<const sockaddr*>(&_ss); }
    socklen_t len() const noexcept { return _len; }
    std::string to_string() const;
    // Host part only ("127.0.0.1", "::1"), empty for Unix sockets.
    std::string host_string() const;

  private:
    sockaddr_storage _ss{};
    socklen_t _len = 0;
};

struct ListenOptions {
    int backlog = 4096;
    bool reuse_port = true;
};

class TcpListener {
  public:
    // Creates, binds and listens. Throws std::system_error naming the address on failure.
    static std::unique_ptr<TcpListener> bind(const SocketAddress& addr, const ListenOptions& opts = {});
    // Takes over an already-listening socket (systemd socket activation).
    static std::unique_ptr<TcpListener> adopt(int fd);

    ~TcpListener();
    TcpListener(const TcpListener&) = delete;
    TcpListener& operator=(const TcpListener&) = delete;

    int fd() const noexcept { return _fd; }
    SocketAddress local_address() const;

    class AcceptAwaiter {
      public:
        explicit AcceptAwaiter(TcpListener& l) noexcept : _l(l) {}
        bool await_ready() noexcept;
        void await_suspend(std::coroutine_handle<> h) noexcept;
        // Connected fd (>= 0), or -ECANCELED once the listener is closing.
        int await_resume() noexcept { return _fd; }

      private:
        TcpListener& _l;
        int _fd = -1;
        friend class TcpListener;
    };
    // One accept() may be outstanding at a time.
    AcceptAwaiter accept() noexcept { return AcceptAwaiter(*this); }

    // Stops accepting (cancels the multishot accept and waits for its last CQE), closes
    // queued connections and the socket. Safe to call more than once.
    Task<void> close();

  private:
    explicit TcpListener(int fd);
    void arm() noexcept;
    static void on_accept(Completion* c, int32_t res, uint32_t flags) noexcept;
    void deliver(int fd_or_err) noexcept;

    struct AcceptOp : Completion {
        TcpListener* self;
    };
    int _fd;
    AcceptOp _op{};
    bool _armed = false;
    bool _closing = false;
    bool _closed = false;
    std::deque<int> _queue;
    AcceptAwaiter* _waiter = nullptr;
    std::coroutine_handle<> _waiter_h;
    std::coroutine_handle<> _close_waiter;
    struct RetryTimer : Timer {
        using Timer::Timer;
        TcpListener* self = nullptr;
    };
    RetryTimer _retry;  // backoff after EMFILE/ENFILE so a full fd table cannot spin the core
    uint64_t _accepted = 0;
};

// Drops `bytes` already sent from the front of an iovec array (cur/n updated in place).
inline void iov_advance(iovec*& cur, size_t& n, size_t bytes) noexcept {
    while (n > 0 && bytes >= cur->iov_len) {
        bytes -= cur->iov_len;
        ++cur;
        --n;
    }
    if (n > 0) {
        cur->iov_base = static_cast<char*>(cur->iov_base) + bytes;
        cur->iov_len -= bytes;
    }
}

class TcpStream {
  public:
    TcpStream() = default;
    explicit TcpStream(int fd) noexcept : _fd(fd) {}
    TcpStream(TcpStream&& o) noexcept
        : _fd(std::exchange(o._fd, -1)), _nonblock(std::exchange(o._nonblock, -1)) {}
    TcpStream& operator=(TcpStream&& o) noexcept {
        if (this != &o) {
            close();
            _fd = std::exchange(o._fd, -1);
            _nonblock = std::exchange(o._nonblock, -1);
        }
        return *this;
    }
    ~TcpStream() { close(); }

    int fd() const noexcept { return _fd; }
    bool is_open() const noexcept { return _fd >= 0; }
    // Closes the descriptor now. Callers must not have an operation in flight.
    void close() noexcept;
    void set_nodelay(bool on) noexcept;

    auto recv(std::span<char> buf, CancelToken tok = {}, int64_t timeout_ms = -1) noexcept {
        int fd = _fd;
        return uring_op([fd, buf](io_uring_sqe* s) { io_uring_prep_recv(s, fd, buf.data(), buf.size(), 0); },
                        tok, timeout_ms);
    }
    auto send(std::span<const char> buf, CancelToken tok = {}, int64_t timeout_ms = -1) noexcept {
        int fd = _fd;
        return uring_op(
            [fd, buf](io_uring_sqe* s) { io_uring_prep_send(s, fd, buf.data(), buf.size(), MSG_NOSIGNAL); },
            tok, timeout_ms);
    }
    // Vectored send (header + body in one call). `iov` must stay valid until resumed.
    auto sendv(const iovec* iov, size_t n, CancelToken tok = {}, int64_t timeout_ms = -1) noexcept {
        int fd = _fd;
        msghdr m{};
        m.msg_iov = const_cast<iovec*>(iov);
        m.msg_iovlen = n;
        return uring_op([fd, m](io_uring_sqe* s) mutable { io_uring_prep_sendmsg(s, fd, &m, MSG_NOSIGNAL); },
                        tok, timeout_ms);
    }

    // Loops until everything is sent: one synchronous sendmsg(MSG_DONTWAIT) first (most
    // sends fit the socket buffer), the rest through the ring. `iov` is modified in place;
    // `more` sets MSG_MORE (the bytes wait for the next send, e.g. a head before its file
    // body). Returns total bytes, or -errno.
    Task<int64_t> send_all(std::span<const char> buf, CancelToken tok = {}, int64_t timeout_ms = -1);
    Task<int64_t> sendv_all(iovec* iov, size_t n, CancelToken tok = {}, int64_t timeout_ms = -1,
                            bool more = false);
    // Sends `len` bytes of `file_fd` from `offset` without copying through user space.
    // On a non-blocking socket (accepted sockets are, see nonblocking_sockets_supported()):
    // sendfile(2) from this thread, waiting for POLLOUT through the ring when the socket
    // buffer is full — no thread hop, one syscall per burst. Otherwise io_uring SPLICE
    // through a pipe of a per-thread pool (executed by io-wq workers). The file's pages
    // are expected in the page cache (as with nginx's sendfile; a cold read blocks the
    // core for the disk read). Returns bytes or -errno.
    Task<int64_t> send_file(int file_fd, uint64_t offset, size_t len, CancelToken tok = {});

    // Best-effort synchronous send without waiting (MSG_DONTWAIT): bytes sent, or -errno
    // (-EAGAIN when the socket buffer is full). `more` sets MSG_MORE: the bytes wait for
    // the next send (a response head before its file body leaves in the same segment).
    int64_t try_sendv(const iovec* iov, size_t n, bool more = false) noexcept;

    // True when the descriptor has O_NONBLOCK (queried once, then cached).
    bool nonblocking() noexcept;

  private:
    int _fd = -1;
    int8_t _nonblock = -1;  // -1 unknown, 0/1
};

// Whether this kernel's io_uring waits (arms poll) for send/recv on O_NONBLOCK sockets
// instead of failing them with -EAGAIN. Probed once per process on a private ring.
// Listeners accept non-blocking sockets only when it does (sendfile(2) needs them).
bool nonblocking_sockets_supported() noexcept;

// Connects to `addr`; returns the stream or -errno (ETIMEDOUT when the deadline passes).
struct ConnectResult {
    TcpStream stream;
    int error = 0;  // 0 or -errno
};
Task<ConnectResult> connect(const SocketAddress& addr, int64_t timeout_ms = -1, CancelToken tok = {});

}  // namespace ec::rt
