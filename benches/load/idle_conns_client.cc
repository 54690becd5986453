// Opens N keep-alive connections to HOST:PORT, sends one request on each, reads the
// response, then keeps them all open and idle until stdin closes or SIGTERM.
// Prints "open N" once all are established.
//
//   idle_conns_client 127.0.0.1 PORT N /path
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc < 5) {
        std::fprintf(stderr, "usage: idle_conns_client HOST PORT N PATH\n");
        return 2;
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
    inet_pton(AF_INET, argv[1], &a.sin_addr);
    int n = std::atoi(argv[3]);
    std::string req = std::string("GET ") + argv[4] + " HTTP/1.1\r\nHost: bench\r\n\r\n";
    std::vector<int> fds;
    fds.reserve(static_cast<size_t>(n));
    char buf[256 * 1024];
    for (int i = 0; i < n; ++i) {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            std::fprintf(stderr, "connect %d failed: %s\n", i, std::strerror(errno));
            return 1;
        }
        if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) return 1;
        // Read the whole response: headers, then Content-Length bytes.
        std::string got;
        size_t need = std::string::npos;
        while (need == std::string::npos || got.size() < need) {
            ssize_t r = ::recv(fd, buf, sizeof buf, 0);
            if (r <= 0) {
                std::fprintf(stderr, "connection %d closed early\n", i);
                return 1;
            }
            got.append(buf, static_cast<size_t>(r));
            size_t he = got.find("\r\n\r\n");
            if (need == std::string::npos && he != std::string::npos) {
                size_t cl = got.find("Content-Length: ");
                size_t len = cl == std::string::npos ? 0 : std::strtoull(got.c_str() + cl + 16, nullptr, 10);
                need = he + 4 + len;
            }
        }
        fds.push_back(fd);
    }
    std::printf("open %d\n", n);
    std::fflush(stdout);
    char c;
    while (::read(0, &c, 1) > 0) {
    }
    for (int fd : fds)
        ::close(fd);
    return 0;
}
