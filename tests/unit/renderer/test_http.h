// A blocking HTTP/1.1 client for tests (one request per connection, Content-Length framed responses).
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "support/blocking_socket.h"

namespace ec::rs::test {

struct HttpReply {
    int status = 0;
    std::string head;
    std::string body;
    bool ok = false;
    std::string error;  // why ok is false: the failing call and errno, or what arrived
    std::string header(std::string_view name) const {
        std::string h = head, n(name);
        for (auto& c : h)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        for (auto& c : n)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto p = h.find("\r\n" + n + ":");
        if (p == std::string::npos) return {};
        auto s = p + 2 + n.size() + 1;
        while (s < head.size() && head[s] == ' ')
            ++s;
        return head.substr(s, head.find("\r\n", s) - s);
    }
};

inline HttpReply http_request(uint16_t port, std::string_view method, std::string_view path,
                              std::string_view body = {}, std::string_view content_type = "application/json",
                              int timeout_s = 10) {
    HttpReply r;
    int fd = ec::test::connect_loopback(port, timeout_s * 1000, &r.error);
    if (fd < 0) return r;
    std::string req =
        std::string(method) + " " + std::string(path) + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n";
    if (!body.empty() || method == "POST") {
        req += "Content-Type: " + std::string(content_type) +
               "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    }
    req += "\r\n";
    req += body;
    if (!ec::test::send_all(fd, req)) r.error = "send: " + std::string(std::strerror(errno)) + "; ";
    std::string in;
    char buf[65536];
    for (;;) {
        ssize_t n = ec::test::recv_some(fd, buf, sizeof buf);
        if (n < 0) r.error += "recv: " + std::string(std::strerror(errno)) + "; ";
        if (n <= 0) break;
        in.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    auto end = in.find("\r\n\r\n");
    if (end == std::string::npos) {
        r.error += "no complete response head in " + std::to_string(in.size()) + " bytes received";
        return r;
    }
    r.head = in.substr(0, end + 2);
    r.status = std::atoi(r.head.c_str() + 9);
    r.body = in.substr(end + 4);
    std::string cl = r.header("content-length");
    if (!cl.empty() && r.body.size() != static_cast<size_t>(std::atoll(cl.c_str()))) {
        r.error += "body of " + std::to_string(r.body.size()) + " bytes, Content-Length " + cl;
        return r;
    }
    r.ok = true;
    return r;
}

}  // namespace ec::rs::test
