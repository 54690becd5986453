#include "runtime/listen_address.h"

#include <charconv>

namespace ec::rt {
namespace {

bool parse_port_digits(std::string_view s, int& port) {
    if (s.empty() || s.size() > 9) return false;
    if (s[0] == '+' || s[0] == '-') {
        // Go's strconv.Atoi accepts a sign; a negative port then fails the range check.
        int v = 0;
        auto [p, ec] = std::from_chars(s.data() + 1, s.data() + s.size(), v);
        if (ec != std::errc() || p != s.data() + s.size()) return false;
        port = s[0] == '-' ? -v : v;
        return true;
    }
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
    return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string* error) {
    auto fail = [&](std::string msg) -> std::optional<ListenAddress> {
        if (error) *error = std::move(msg);
        return std::nullopt;
    };
    if (text.empty()) return fail("listen address is empty");
    ListenAddress out;
    if (text.find(':') == std::string_view::npos) {
        if (!parse_port_digits(text, out.port)) {
            return fail("invalid listen address format: " + std::string(text));
        }
    } else {
        // net.SplitHostPort: bracketed IPv6 host, otherwise exactly one colon.
        std::string_view host;
        std::string_view port;
        if (text.front() == '[') {
            auto close = text.find(']');
            if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
                return fail("invalid listen address format: " + std::string(text));
            }
            host = text.substr(1, close - 1);
            port = text.substr(close + 2);
        } else {
            auto colon = text.rfind(':');
            host = text.substr(0, colon);
            port = text.substr(colon + 1);
            if (host.find(':') != std::string_view::npos) {
                return fail("invalid listen address format: " + std::string(text) +
                            ": too many colons in address");
            }
        }
        if (!parse_port_digits(port, out.port)) {
            return fail("invalid port in listen address: " + std::string(port));
        }
        out.host = std::string(host);
    }
    if (out.port < 1 || out.port > 65535) {
        return fail("port must be between 1 and 65535, got " + std::to_string(out.port));
    }
    return out;
}

}  // namespace ec::rt
