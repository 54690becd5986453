// Address classification for SSRF protection: the reference's private/reserved ranges
// (F-GW-02) plus an allow-list of CIDRs (DECISIONS A-38, `bypass.ssrf_allow`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/net.h"

namespace ec::rt {

struct Cidr {
    int family = 0;  // AF_INET or AF_INET6
    uint8_t addr[16] = {};
    int prefix = 0;
    // "10.0.0.0/8", "fd00::/8", or a single address. nullopt + err on bad input.
    static std::optional<Cidr> parse(std::string_view s, std::string* err = nullptr);
    bool contains(const SocketAddress& a) const noexcept;
};

class IpPolicy {
  public:
    // Blocks the reference's private/reserved ranges except those in `allow`.
    explicit IpPolicy(std::vector<Cidr> allow = {});
    bool allowed(const SocketAddress& a) const noexcept;
    static bool is_private_or_reserved(const SocketAddress& a) noexcept;

  private:
    std::vector<Cidr> _allow;
};

}  // namespace ec::rt
