#include "support/blocking_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ec::test {

int connect_loopback(uint16_t port, int timeout_ms, std::string* error) {
    auto fail = [&](const char* what, int fd) {
        const int e = errno;
        if (error)
            *error = std::string(what) + " 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(e);
        if (fd >= 0) ::close(fd);
        errno = e;
        return -1;
    };
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail("socket for", -1);
    if (timeout_ms > 0) {
        timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return fd;
    if (errno != EINTR && errno != EINPROGRESS) return fail("connect to", fd);
    // Interrupted: the connection goes on in the kernel; wait for it and read its outcome.
    for (;;) {
        pollfd p{fd, POLLOUT, 0};
        const int r = ::poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) errno = ETIMEDOUT;
        if (r <= 0) return fail("connect to", fd);
        break;
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return fail("connect to", fd);
    if (err != 0) {
        errno = err;
        return fail("connect to", fd);
    }
    return fd;
}

bool send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

ssize_t recv_some(int fd, void* buf, size_t len) {
    for (;;) {
        const ssize_t n = ::recv(fd, buf, len, 0);
        if (n >= 0 || errno != EINTR) return n;
    }
}

}  // namespace ec::test
