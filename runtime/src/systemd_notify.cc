// sd_notify(3) over NOTIFY_SOCKET, spoken directly.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <system_error>
#include <utility>

#include "runtime/systemd.h"

namespace ec::rt::systemd {

namespace {

// STATUS= is one assignment per line: a newline inside would start a new assignment.
std::string one_line(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    return out;
}

std::string with_status(std::string_view head, std::string_view status) {
    std::string msg(head);
    if (!status.empty()) {
        msg += "\nSTATUS=";
        msg += one_line(status);
    }
    return msg;
}

}  // namespace

Notifier::Notifier(std::string_view address) : _address(address) {
    if (address.empty()) return;
    if (address[0] != '/' && address[0] != '@') {
        _error = "NOTIFY_SOCKET=" + _address + " is not a Unix socket path or @abstract name (unsupported)";
        return;
    }
    if (address.size() >= sizeof(_sa.sun_path)) {
        _error = "NOTIFY_SOCKET=" + _address + " is longer than a Unix socket path may be";
        return;
    }
    _sa.sun_family = AF_UNIX;
    std::memcpy(_sa.sun_path, address.data(), address.size());
    if (address[0] == '@') {
        _sa.sun_path[0] = '\0';  // abstract: no trailing NUL counted
        _sa_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size());
    } else {
        _sa_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size() + 1);
    }
    _fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (_fd < 0)
        _error = std::string("socket(AF_UNIX, SOCK_DGRAM): ") + std::generic_category().message(errno);
}

Notifier Notifier::from_environment(bool unset) {
    const char* v = getenv("NOTIFY_SOCKET");  // NOLINT(concurrency-mt-unsafe): before threads start
    Notifier n(v ? std::string_view(v) : std::string_view());
    if (unset) unsetenv("NOTIFY_SOCKET");  // NOLINT(concurrency-mt-unsafe)
    return n;
}

Notifier::Notifier(Notifier&& o) noexcept
    : _address(std::move(o._address)),
      _error(std::move(o._error)),
      _sa(o._sa),
      _sa_len(o._sa_len),
      _fd(std::exchange(o._fd, -1)) {}

Notifier& Notifier::operator=(Notifier&& o) noexcept {
    if (this != &o) {
        if (_fd >= 0) ::close(_fd);
        _address = std::move(o._address);
        _error = std::move(o._error);
        _sa = o._sa;
        _sa_len = o._sa_len;
        _fd = std::exchange(o._fd, -1);
    }
    return *this;
}

Notifier::~Notifier() {
    if (_fd >= 0) ::close(_fd);
}

int Notifier::notify(std::string_view state) const noexcept {
    if (_fd < 0) return 0;
    // sendto each time (no connect): a manager that re-created its socket (daemon-reexec)
    // is still reached.
    ssize_t n;
    do {
        n = ::sendto(_fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&_sa),
                     _sa_len);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : 0;
}

int Notifier::ready(std::string_view status) const {
    return notify(with_status("READY=1", status));
}

int Notifier::status(std::string_view status) const {
    return notify("STATUS=" + one_line(status));
}

int Notifier::stopping(std::string_view status) const {
    return notify(with_status("STOPPING=1", status));
}

int Notifier::reloading(std::string_view status) const {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t usec = static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
    return notify(with_status("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec), status));
}

int Notifier::watchdog() const noexcept {
    return notify("WATCHDOG=1");
}

int Notifier::extend_timeout(std::chrono::microseconds usec) const {
    return notify("EXTEND_TIMEOUT_USEC=" + std::to_string(usec.count()));
}

// ----------------------------------------------------------------------------- Readiness

Readiness::Readiness(const Notifier& n, unsigned pending, std::string status)
    : _n(n), _pending(pending), _status(std::move(status)) {}

bool Readiness::done_one() {
    unsigned cur = _pending.load(std::memory_order_relaxed);
    do {
        if (cur == 0) return false;  // already ready; extra calls are harmless
    } while (!_pending.compare_exchange_weak(cur, cur - 1, std::memory_order_acq_rel));
    if (cur != 1) return false;
    _n.ready(_status);
    return true;
}

}  // namespace ec::rt::systemd
