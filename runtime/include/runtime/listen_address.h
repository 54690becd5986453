// Listen addresses as accepted by configuration files: ":10070", "0.0.0.0:10070", "127.0.0.1:10070",
// "host:port", "[::1]:10070" and a bare port "10070". Port must be 1-65535. Syntax only: the host is not
// resolved (see net.h's SocketAddress for binding).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ec::rt {

struct ListenAddress {
    std::string host;  // empty = all interfaces
    int port = 0;
};

// Parses and range-checks. On failure returns nullopt and sets *error, e.g.
// "invalid listen address format: x" or "port must be between 1 and 65535, got 0".
std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string* error = nullptr);

}  // namespace ec::rt
