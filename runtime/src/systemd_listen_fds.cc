// Socket activation: the descriptors systemd passes per sd_listen_fds(3).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "runtime/net.h"
#include "runtime/systemd.h"

namespace ec::rt::systemd {

namespace {

constexpr int kListenFdsStart = 3;  // SD_LISTEN_FDS_START

template <class T>
bool parse_number(const char* s, T& out) {
    const char* end = s + strlen(s);
    auto [p, ec] = std::from_chars(s, end, out);
    return ec == std::errc() && p == end && p != s;
}

bool is_wildcard(const sockaddr_storage& ss) noexcept {
    if (ss.ss_family == AF_INET)
        return reinterpret_cast<const sockaddr_in&>(ss).sin_addr.s_addr == htonl(INADDR_ANY);
    if (ss.ss_family == AF_INET6) {
        const auto& a = reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr;
        return IN6_IS_ADDR_UNSPECIFIED(&a) != 0;
    }
    return false;
}

}  // namespace

std::vector<ListenFd> parse_listen_fds(const ListenEnv& env, pid_t self) {
    std::vector<ListenFd> out;
    if (!env.listen_pid) return out;
    long pid = 0;
    if (!parse_number(env.listen_pid, pid) || pid <= 0) {
        throw std::invalid_argument(std::string("LISTEN_PID=") + env.listen_pid + " is not a process id");
    }
    if (pid != self) return out;  // passed to another process (we were exec'd by it): not ours
    if (!env.listen_fds) throw std::invalid_argument("LISTEN_PID is set but LISTEN_FDS is missing");
    unsigned n = 0;
    if (!parse_number(env.listen_fds, n) || n > 65536) {
        throw std::invalid_argument(std::string("LISTEN_FDS=") + env.listen_fds +
                                    " is not a descriptor count");
    }
    std::vector<std::string> names;
    if (env.listen_fdnames) {
        std::string_view rest = env.listen_fdnames;
        for (;;) {
            size_t colon = rest.find(':');
            names.emplace_back(rest.substr(0, colon));
            if (colon == std::string_view::npos) break;
            rest.remove_prefix(colon + 1);
        }
        if (names.size() != n) {
            throw std::invalid_argument("LISTEN_FDNAMES=" + std::string(env.listen_fdnames) + " names " +
                                        std::to_string(names.size()) +
                                        " descriptors but LISTEN_FDS=" + std::to_string(n));
        }
    }
    out.reserve(n);
    for (unsigned i = 0; i < n; ++i) {
        out.push_back(ListenFd{kListenFdsStart + static_cast<int>(i),
                               names.empty() || names[i].empty() ? std::string("unknown") : names[i]});
    }
    return out;
}

std::vector<ListenFd> listen_fds(bool unset) {
    // NOLINTNEXTLINE(concurrency-mt-unsafe): documented to run before threads start
    ListenEnv env{getenv("LISTEN_PID"), getenv("LISTEN_FDS"), getenv("LISTEN_FDNAMES")};
    std::vector<ListenFd> fds;
    try {
        fds = parse_listen_fds(env, getpid());
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(std::string("socket activation: ") + e.what());
    }
    if (unset) {
        // NOLINTBEGIN(concurrency-mt-unsafe): before threads start, as documented
        unsetenv("LISTEN_PID");
        unsetenv("LISTEN_FDS");
        unsetenv("LISTEN_FDNAMES");
        // NOLINTEND(concurrency-mt-unsafe)
    }
    for (const ListenFd& l : fds) {
        int flags = fcntl(l.fd, F_GETFD);
        if (flags < 0 || fcntl(l.fd, F_SETFD, flags | FD_CLOEXEC) != 0) {
            throw std::runtime_error(
                "socket activation: descriptor " + std::to_string(l.fd) + " (" + l.name +
                ") announced by LISTEN_FDS is not usable: " + std::generic_category().message(errno));
        }
    }
    return fds;
}

std::optional<int> find_listen_fd(const std::vector<ListenFd>& fds, std::string_view name) {
    for (const ListenFd& l : fds) {
        if (l.name == name) return l.fd;
    }
    return std::nullopt;
}

bool listen_fd_matches(int fd, const SocketAddress& want) noexcept {
    int type = 0, listening = 0;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) return false;
    len = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) return false;
    sockaddr_storage have{};
    len = sizeof have;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&have), &len) != 0) return false;
    SocketAddress got = SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&have), len);
    if (want.family() == AF_UNIX || got.family() == AF_UNIX) {
        return want.family() == got.family() && want.to_string() == got.to_string();
    }
    if (got.port() != want.port()) return false;
    sockaddr_storage w{};
    std::memcpy(&w, want.sa(), std::min<size_t>(want.len(), sizeof w));
    if (is_wildcard(w)) return is_wildcard(have);
    return got.family() == want.family() && got.host_string() == want.host_string();
}

std::optional<int> find_listen_fd(const std::vector<ListenFd>& fds, const SocketAddress& want) {
    for (const ListenFd& l : fds) {
        if (listen_fd_matches(l.fd, want)) return l.fd;
    }
    return std::nullopt;
}

}  // namespace ec::rt::systemd
