#include "address_resolve.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <string>

#include "runtime/listen_address.h"

namespace ec::rs {

std::vector<rt::SocketAddress> resolve_host(const std::string& host, uint16_t port, std::string* error) {
    std::string literal = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (auto a = rt::SocketAddress::parse(literal + ":" + std::to_string(port))) return {*a};
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
    if (rc != 0) {
        if (error) *error = "cannot resolve '" + host + "': " + ::gai_strerror(rc);
        return {};
    }
    std::vector<rt::SocketAddress> out;
    for (addrinfo* p = res; p; p = p->ai_next) {
        if (p->ai_family != AF_INET && p->ai_family != AF_INET6) continue;
        rt::SocketAddress a = rt::SocketAddress::from_sockaddr(p->ai_addr, p->ai_addrlen);
        auto withport = rt::SocketAddress::parse(
            (a.family() == AF_INET6 ? "[" + a.host_string() + "]" : a.host_string()) + ":" +
            std::to_string(port));
        if (withport && std::none_of(out.begin(), out.end(), [&](const rt::SocketAddress& x) {
                return x.to_string() == withport->to_string();
            })) {
            out.push_back(*withport);
        }
    }
    ::freeaddrinfo(res);
    std::vector<rt::SocketAddress> v4_first;
    for (const auto& a : out)
        if (a.family() == AF_INET) v4_first.push_back(a);
    for (const auto& a : out)
        if (a.family() != AF_INET) v4_first.push_back(a);
    out.swap(v4_first);
    if (out.empty() && error) *error = "'" + host + "' has no IPv4 or IPv6 address";
    return out;
}

std::string resolve_host_port(const std::string& addr, std::string* error) {
    if (addr.starts_with("unix:")) return addr;
    std::string why;
    auto la = rt::parse_listen_address(addr, &why);
    if (!la || la->host.empty()) {
        if (error) *error = "invalid address '" + addr + "'" + (why.empty() ? "" : ": " + why);
        return {};
    }
    auto addrs = resolve_host(la->host, static_cast<uint16_t>(la->port), error);
    if (addrs.empty()) return {};
    return addrs.front().to_string();
}

}  // namespace ec::rs
