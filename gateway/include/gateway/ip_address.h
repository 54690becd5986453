// IP literals and CIDR ranges, for the SSRF literal check (F-GW-02) and bypass.ssrf_allow.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ec::gw {

struct IpAddress {
    std::array<std::uint8_t, 16> bytes{};  // IPv4 is stored IPv4-mapped (::ffff:a.b.c.d)
    bool v4 = false;
};

// Parses an IPv4 dotted quad or an IPv6 literal (no brackets, no zone). IPv4-mapped IPv6 counts as IPv4, as
// in Go's net.IP. Does not allocate.
std::optional<IpAddress> parse_ip(std::string_view text);

struct Cidr {
    IpAddress base;
    int prefix = 0;  // in bits of the address family (0-32 for IPv4, 0-128 for IPv6)
    bool contains(const IpAddress& ip) const;
};

std::optional<Cidr> parse_cidr(std::string_view text, std::string* error = nullptr);

// The private/reserved ranges of F-GW-02: 127/8, 10/8, 172.16/12, 192.168/16, 169.254/16, 100.64/10, 0/8,
// 224/4, ::1/128, fe80::/10, fc00::/7, ff00::/8.
bool is_private_or_reserved(const IpAddress& ip);

}  // namespace ec::gw
