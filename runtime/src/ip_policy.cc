#include "runtime/ip_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace ec::rt {

namespace {

// Extracts the raw address bytes; v4-mapped v6 addresses are treated as v4.
int raw(const SocketAddress& a, uint8_t out[16]) noexcept {
    if (a.family() == AF_INET) {
        std::memcpy(out, &reinterpret_cast<const sockaddr_in*>(a.sa())->sin_addr, 4);
        return AF_INET;
    }
    if (a.family() == AF_INET6) {
        const auto* in6 = &reinterpret_cast<const sockaddr_in6*>(a.sa())->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(in6)) {
            std::memcpy(out, in6->s6_addr + 12, 4);
            return AF_INET;
        }
        std::memcpy(out, in6->s6_addr, 16);
        return AF_INET6;
    }
    return 0;
}

bool match(const uint8_t* a, const uint8_t* net, int prefix) noexcept {
    int full = prefix / 8, rem = prefix % 8;
    if (std::memcmp(a, net, static_cast<size_t>(full)) != 0) return false;
    if (rem == 0) return true;
    auto mask = static_cast<uint8_t>(0xff << (8 - rem));
    return (a[full] & mask) == (net[full] & mask);
}

const char* const kReserved[] = {"127.0.0.0/8",    "10.0.0.0/8",    "172.16.0.0/12", "192.168.0.0/16",
                                 "169.254.0.0/16", "100.64.0.0/10", "0.0.0.0/8",     "224.0.0.0/4",
                                 "::1/128",        "fe80::/10",     "fc00::/7",      "ff00::/8"};

}  // namespace

std::optional<Cidr> Cidr::parse(std::string_view s, std::string* err) {
    auto fail = [&](const char* why) -> std::optional<Cidr> {
        if (err) *err = std::string("invalid CIDR '") + std::string(s) + "': " + why;
        return std::nullopt;
    };
    Cidr c;
    std::string_view addr = s;
    int prefix = -1;
    if (auto slash = s.find('/'); slash != std::string_view::npos) {
        addr = s.substr(0, slash);
        auto p = s.substr(slash + 1);
        auto r = std::from_chars(p.data(), p.data() + p.size(), prefix);
        if (r.ec != std::errc() || r.ptr != p.data() + p.size()) return fail("prefix is not a number");
    }
    std::string a(addr);
    if (inet_pton(AF_INET, a.c_str(), c.addr) == 1) {
        c.family = AF_INET;
        if (prefix < 0) prefix = 32;
        if (prefix > 32) return fail("IPv4 prefix must be 0-32");
    } else if (inet_pton(AF_INET6, a.c_str(), c.addr) == 1) {
        c.family = AF_INET6;
        if (prefix < 0) prefix = 128;
        if (prefix > 128) return fail("IPv6 prefix must be 0-128");
    } else {
        return fail("not an IP address");
    }
    c.prefix = prefix;
    return c;
}

bool Cidr::contains(const SocketAddress& a) const noexcept {
    uint8_t b[16];
    int fam = raw(a, b);
    return fam == family && match(b, addr, prefix);
}

IpPolicy::IpPolicy(std::vector<Cidr> allow) : _allow(std::move(allow)) {}

bool IpPolicy::is_private_or_reserved(const SocketAddress& a) noexcept {
    static const std::vector<Cidr> reserved = [] {
        std::vector<Cidr> v;
        for (const char* s : kReserved)
            v.push_back(*Cidr::parse(s));
        return v;
    }();
    for (const auto& c : reserved)
        if (c.contains(a)) return true;
    return false;
}

bool IpPolicy::allowed(const SocketAddress& a) const noexcept {
    if (!is_private_or_reserved(a)) return true;
    for (const auto& c : _allow)
        if (c.contains(a)) return true;
    return false;
}

}  // namespace ec::rt
