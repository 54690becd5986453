// A byte-exact port of the parts of Go's net/url that EdgeComet's normalization and rule matching depend on
// (url.Parse, EscapedPath, QueryEscape/QueryUnescape, ParseQuery). Reproducing them exactly keeps cache keys
// compatible with the original (DECISIONS A-43).
//
// Nothing here allocates once the caller's buffers have grown to the largest input (reserve them up front).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ec::gw::gourl {

// Go's encoding modes (net/url's `encoding`).
enum class Mode : std::uint8_t { path, path_segment, host, zone, user_password, query_component, fragment };

bool should_escape(unsigned char c, Mode mode);

// Appends escape(s, mode) to out (upper-case hex; ' ' becomes '+' in query_component mode).
void escape_append(std::string_view s, Mode mode, std::string& out);

// Appends unescape(s, mode) to out. Returns false on an invalid escape or (host/zone modes) a character not
// allowed there; `out` then holds a partial result the caller should discard.
bool unescape_append(std::string_view s, Mode mode, std::string& out);

// Go's validEncoded: every byte is allowed raw in mode (sub-delims, ':', '@', '[', ']', '%' always are).
bool valid_encoded(std::string_view s, Mode mode);

// Decoded pieces of a parsed URL live in these caller-owned buffers; reuse them across calls.
struct UrlBuffers {
    std::string host;
    std::string path;
    std::string user;
    std::string password;
    void reserve(std::size_t n) {
        host.reserve(n);
        path.reserve(n);
        user.reserve(n);
        password.reserve(n);
    }
};

// The result of parse(): views into the input and into UrlBuffers.
struct Url {
    std::string_view scheme;  // lower-cased by parse, as Go does (points into UrlBuffers-independent storage)
    char scheme_buf[16] = {};
    bool has_user = false;
    bool has_password = false;
    std::string_view user;      // decoded
    std::string_view password;  // decoded
    std::string_view host;      // decoded (Go's u.Host, may include ":port")
    std::string_view path;      // decoded (Go's u.Path)
    std::string_view raw_path;  // the path exactly as written
    std::string_view raw_query;
    bool force_query = false;   // a lone trailing '?'
    bool opaque = false;        // "scheme:opaque" form (no host)
    std::string_view fragment;  // raw, validated

    // Go's u.Hostname(): host without port and IPv6 brackets.
    std::string_view hostname() const;
    // Go's u.Port().
    std::string_view port() const;
};

// Go's url.Parse. Returns an empty view on success, else a static error text.
std::string_view parse(std::string_view raw, UrlBuffers& buffers, Url& out);

// Visits query pairs the way Go's url.ParseQuery does: split on '&', pairs containing ';' and pairs with a
// bad escape are skipped (and make the parse "failed"), empty pairs ignored. `fn(key, value)` receives
// decoded views valid only during the call. Returns true when the whole query parsed cleanly.
template <class Fn>
bool for_each_query_pair(std::string_view raw, std::string& scratch, Fn&& fn) {
    bool ok = true;
    while (!raw.empty()) {
        std::string_view pair;
        auto amp = raw.find('&');
        if (amp == std::string_view::npos) {
            pair = raw;
            raw = {};
        } else {
            pair = raw.substr(0, amp);
            raw.remove_prefix(amp + 1);
        }
        if (pair.find(';') != std::string_view::npos) {
            ok = false;
            continue;
        }
        if (pair.empty()) continue;
        std::string_view k = pair;
        std::string_view v;
        if (auto eq = pair.find('='); eq != std::string_view::npos) {
            k = pair.substr(0, eq);
            v = pair.substr(eq + 1);
        }
        scratch.clear();
        if (!unescape_append(k, Mode::query_component, scratch)) {
            ok = false;
            continue;
        }
        std::size_t klen = scratch.size();
        if (!unescape_append(v, Mode::query_component, scratch)) {
            ok = false;
            continue;
        }
        std::string_view all(scratch);
        fn(all.substr(0, klen), all.substr(klen));
    }
    return ok;
}

// First value of `key` in the query as url.Values would hold it (lenient parse). The value is copied into
// `value_out`. Returns false when the key is absent.
bool query_first_value(std::string_view raw_query, std::string_view key, std::string& scratch,
                       std::string& value_out);

}  // namespace ec::gw::gourl
