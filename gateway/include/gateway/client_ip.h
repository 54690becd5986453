// Client IP extraction (reference F-GW-25): the configured headers in order, first non-empty wins; for a
// comma list the first element; IPv6 brackets and zone stripped; otherwise the socket peer. Returns a view
// into the header value or the peer string; never allocates.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace ec::gw {

// Cleans one header value; returns "" when nothing usable is left.
std::string_view clean_client_ip(std::string_view value);

// `lookup(name)` returns the request header's value ("" when absent).
template <class Lookup>
std::string_view extract_client_ip(std::span<const std::string> headers, Lookup&& lookup,
                                   std::string_view peer) {
    for (const std::string& name : headers) {
        std::string_view ip = clean_client_ip(lookup(std::string_view(name)));
        if (!ip.empty()) return ip;
    }
    return peer;
}

}  // namespace ec::gw
