#include "gateway/ip_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace ec::gw {

std::optional<IpAddress> parse_ip(std::string_view text) {
    char buf[64];
    if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    IpAddress ip;
    in_addr v4{};
    if (text.find(':') == std::string_view::npos) {
        // Go rejects leading zeros ("01.2.3.4") to avoid octal ambiguity; inet_pton does too.
        if (inet_pton(AF_INET, buf, &v4) != 1) return std::nullopt;
        ip.bytes[10] = 0xff;
        ip.bytes[11] = 0xff;
        std::memcpy(&ip.bytes[12], &v4, 4);
        ip.v4 = true;
        return ip;
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, buf, &v6) != 1) return std::nullopt;
    std::memcpy(ip.bytes.data(), &v6, 16);
    static constexpr std::uint8_t k_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    ip.v4 = std::memcmp(ip.bytes.data(), k_mapped, 12) == 0;
    return ip;
}

bool Cidr::contains(const IpAddress& ip) const {
    if (ip.v4 != base.v4) return false;
    int bits = base.v4 ? prefix + 96 : prefix;
    for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
        std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
        if ((ip.bytes[i] & mask) != (base.bytes[i] & mask)) return false;
    }
    return true;
}

std::optional<Cidr> parse_cidr(std::string_view text, std::string* error) {
    auto fail = [&](const char* why) -> std::optional<Cidr> {
        if (error) *error = why;
        return std::nullopt;
    };
    auto slash = text.find('/');
    std::string_view addr = text.substr(0, slash);
    auto ip = parse_ip(addr);
    if (!ip) return fail("not an IP address");
    Cidr c;
    c.base = *ip;
    int max = ip->v4 && addr.find(':') == std::string_view::npos ? 32 : 128;
    if (max == 128) c.base.v4 = false;  // an IPv6 range, even if written ::ffff:...
    if (slash == std::string_view::npos) {
        c.prefix = max;
    } else {
        std::string_view p = text.substr(slash + 1);
        auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), c.prefix);
        if (p.empty() || ec != std::errc() || end != p.data() + p.size() || c.prefix < 0 || c.prefix > max) {
            return fail("invalid prefix length");
        }
    }
    return c;
}

bool is_private_or_reserved(const IpAddress& ip) {
    static const Cidr* const k_ranges = [] {
        static Cidr ranges[12];
        const char* texts[12] = {"127.0.0.0/8",    "10.0.0.0/8",    "172.16.0.0/12", "192.168.0.0/16",
                                 "169.254.0.0/16", "100.64.0.0/10", "0.0.0.0/8",     "224.0.0.0/4",
                                 "::1/128",        "fe80::/10",     "fc00::/7",      "ff00::/8"};
        for (int i = 0; i < 12; ++i)
            ranges[i] = *parse_cidr(texts[i]);
        return ranges;
    }();
    for (int i = 0; i < 12; ++i) {
        if (k_ranges[i].contains(ip)) return true;
    }
    return false;
}

}  // namespace ec::gw
