// Turning configured host names into socket addresses at start-up (blocking getaddrinfo: used before the
// service serves anything, never on a request path). IP literals, "localhost", "" and "0.0.0.0" never
// touch DNS.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/net.h"

namespace ec::rs {

// Addresses for `host`:`port`, IPv4 first; empty with `error` set when the name does not resolve.
std::vector<rt::SocketAddress> resolve_host(const std::string& host, uint16_t port, std::string* error);

// "host:port" (as in redis.addr) with the host resolved to an IP literal ("10.0.0.5:6379"); "unix:..."
// and literals are returned unchanged. Empty with `error` set on failure.
std::string resolve_host_port(const std::string& addr, std::string* error);

}  // namespace ec::rs
