#include "gateway/url_normalize.h"

#include <xxhash.h>

#include <algorithm>

#include "gateway/ascii.h"
#include "gateway/pattern.h"

namespace ec::gw {
namespace {

// The original's normalizePath on the decoded path: drop empty and "." segments, ".." pops (never above the
// root), keep a trailing '/'.
void normalize_path(std::string_view path, NormalizeScratch& s) {
    s.segments.clear();
    std::size_t i = 0;
    while (i <= path.size()) {
        std::size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        std::string_view seg = path.substr(i, j - i);
        if (seg == "..") {
            if (!s.segments.empty()) s.segments.resize(s.segments.size() - 2);
        } else if (!seg.empty() && seg != ".") {
            s.segments.push_back(static_cast<std::uint32_t>(i));
            s.segments.push_back(static_cast<std::uint32_t>(seg.size()));
        }
        i = j + 1;
    }
    s.path.clear();
    s.path.push_back('/');
    for (std::size_t k = 0; k < s.segments.size(); k += 2) {
        if (k) s.path.push_back('/');
        s.path.append(path.substr(s.segments[k], s.segments[k + 1]));
    }
    if (s.path.size() > 1 && path.ends_with("/")) s.path.push_back('/');
}

bool strip_match(std::string_view name, std::span<const Pattern* const> strip) {
    for (const Pattern* p : strip) {
        if (p->matches(name)) return true;
    }
    return false;
}

// Collects pairs into s.store/s.pairs. Returns true when the query parsed cleanly.
bool collect_pairs(std::string_view raw, std::span<const Pattern* const> strip, bool stripping,
                   NormalizeScratch& s) {
    s.store.clear();
    s.pairs.clear();
    s.stripped.clear();
    std::uint32_t index = 0;
    return gourl::for_each_query_pair(raw, s.decode, [&](std::string_view k, std::string_view v) {
        auto key_off = static_cast<std::uint32_t>(s.store.size());
        s.store.append(k);
        if (stripping && strip_match(k, strip)) {
            // Remember each stripped name once (for logs); the key text stays in store.
            std::string_view name(s.store.data() + key_off, k.size());
            bool seen =
                std::any_of(s.stripped.begin(), s.stripped.end(), [&](std::string_view x) { return x == k; });
            if (!seen) s.stripped.push_back(name);
            return;
        }
        auto value_off = static_cast<std::uint32_t>(s.store.size());
        s.store.append(v);
        s.pairs.push_back({key_off, static_cast<std::uint32_t>(k.size()), value_off,
                           static_cast<std::uint32_t>(v.size()), index++});
    });
}

void emit_sorted_query(NormalizeScratch& s, std::string& out) {
    const std::string_view store(s.store);
    // Keys sorted by byte order; values of one key keep their order (index breaks ties, no allocation).
    std::sort(s.pairs.begin(), s.pairs.end(), [&](const auto& a, const auto& b) {
        std::string_view ka = store.substr(a.key_off, a.key_len);
        std::string_view kb = store.substr(b.key_off, b.key_len);
        if (ka != kb) return ka < kb;
        return a.index < b.index;
    });
    bool first = true;
    for (const auto& p : s.pairs) {
        if (!first) out.push_back('&');
        first = false;
        gourl::escape_append(store.substr(p.key_off, p.key_len), gourl::Mode::query_component, out);
        if (p.value_len > 0) {
            out.push_back('=');
            gourl::escape_append(store.substr(p.value_off, p.value_len), gourl::Mode::query_component, out);
        }
    }
}

}  // namespace

void NormalizeScratch::reserve(std::size_t max_url) {
    input.reserve(max_url + 16);
    url_buffers.reserve(max_url);
    decode.reserve(max_url);
    store.reserve(max_url);
    pairs.reserve(max_url / 2 + 1);
    segments.reserve(max_url + 2);
    path.reserve(max_url + 2);
    stripped.reserve(64);
}

std::string_view normalize_url(std::string_view raw, std::span<const Pattern* const> strip,
                               NormalizeScratch& s, std::string& out) {
    std::string_view text = raw;
    if (raw.find("://") == std::string_view::npos && !raw.starts_with("//")) {
        s.input.assign("https://");
        s.input.append(raw);
        text = s.input;
    }
    if (auto err = gourl::parse(text, s.url_buffers, s.url); !err.empty()) return err;
    return normalize_parsed(s.url, strip, s, out);
}

std::string_view normalize_parsed(const gourl::Url& url, std::span<const Pattern* const> strip,
                                  NormalizeScratch& s, std::string& out) {
    out.clear();
    if (url.host.empty()) return "missing host";
    std::string_view hostname = url.hostname();
    if (hostname.find('.') == std::string_view::npos && hostname != "localhost") return "invalid host";

    if (!url.scheme.empty()) {
        out.append(url.scheme);
        out.push_back(':');
    }
    out.append("//");
    if (url.has_user) {
        gourl::escape_append(url.user, gourl::Mode::user_password, out);
        if (url.has_password) {
            out.push_back(':');
            gourl::escape_append(url.password, gourl::Mode::user_password, out);
        }
        out.push_back('@');
    }

    // Host: lower-cased, one trailing '.' removed, default port dropped, then escaped as Go's String() does.
    const std::size_t host_start = out.size();
    for (char c : url.host)
        out.push_back(ascii_lower(c));
    if (out.size() > host_start && out.back() == '.') out.pop_back();
    std::string_view host(out.data() + host_start, out.size() - host_start);
    if ((url.scheme == "http" && host.ends_with(":80")) ||
        (url.scheme == "https" && host.ends_with(":443"))) {
        out.resize(host_start + host.rfind(':'));
    }
    // Escaping is a no-op for the usual ASCII host; only when a byte needs it do we rewrite in place.
    host = std::string_view(out.data() + host_start, out.size() - host_start);
    bool host_needs_escape = std::any_of(host.begin(), host.end(), [](char c) {
        return gourl::should_escape(static_cast<unsigned char>(c), gourl::Mode::host);
    });
    if (host_needs_escape) {
        s.path.assign(host);  // borrow the path buffer; it is rebuilt below
        out.resize(host_start);
        gourl::escape_append(s.path, gourl::Mode::host, out);
    }

    // Path: normalize the decoded path, then Go's EscapedPath (keep the raw form when it still decodes
    // equal).
    normalize_path(url.path, s);
    if (s.path == url.path && !url.raw_path.empty() &&
        gourl::valid_encoded(url.raw_path, gourl::Mode::path)) {
        out.append(url.raw_path);
    } else {
        gourl::escape_append(s.path, gourl::Mode::path, out);
    }

    // Query.
    const std::size_t q_mark = out.size();
    out.push_back('?');
    if (!strip.empty()) {
        // url.Query() (lenient) minus stripped names, then Encode() and the sorted rewrite.
        collect_pairs(url.raw_query, strip, true, s);
        emit_sorted_query(s, out);
    } else if (!url.raw_query.empty()) {
        if (collect_pairs(url.raw_query, strip, false, s)) {
            emit_sorted_query(s, out);
        } else {
            out.append(url.raw_query);  // unparsable (e.g. contains ';'): kept verbatim, unsorted
        }
    }
    if (out.size() == q_mark + 1 && !url.force_query) out.pop_back();
    return {};
}

std::uint64_t url_hash(std::string_view normalized) {
    return XXH64(normalized.data(), normalized.size(), 0);
}

void format_hash_hex(std::uint64_t hash, char out[16]) {
    constexpr char k_hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; --i) {
        out[i] = k_hex[hash & 15];
        hash >>= 4;
    }
}

std::string hash_hex(std::uint64_t hash) {
    std::string s(16, '0');
    format_hash_hex(hash, s.data());
    return s;
}

}  // namespace ec::gw
