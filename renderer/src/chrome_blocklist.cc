#include "chrome_blocklist.h"

#include <algorithm>

#include "cdp_json.h"

namespace ec::rs {

const std::array<std::string_view, 32> kBuiltinBlockedPatterns = {
    "*2mdn.net*",
    "*adobestats.com*",
    "*adsappier.com*",
    "*affirm.com*",
    "*ampproject.org*",
    "*braintree-api.com*",
    "*braintreegateway.com*",
    "*chatra.io*",
    "*convertexperiments.com*",
    "*doubleclick.net*",
    "*estorecontent.com*",
    "*google-analytics.com*",
    "*googleadservices.com*",
    "*googleapis.com*",
    "*googlesyndication.com*",
    "*googletagservices.com*",
    "*googletagmanager.com*",
    "*googlevideo.com*",
    "*gstatic.com*",
    "*facebook.com*",
    "*lexx.me*",
    "*paypal.com*",
    "*paypalobjects.com*",
    "*pointandplace.com*",
    "*typekit.net*",
    "*twitter.com*",
    "*hotjar.com*",
    "*clarity.ms*",
    "*analytics.google.com*",
    "*youtube.com*",
    "*listrakbi.com*",
    "*static.cloudflareinsights.com*",
};

namespace {

char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
std::string lower_copy(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = lower(c);
    return out;
}
bool iequal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}
// Finds lower-case `needle` in `hay` folding hay's case.
size_t find_folded(std::string_view hay, std::string_view needle) noexcept {
    if (needle.empty()) return 0;
    if (needle.size() > hay.size()) return std::string_view::npos;
    for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
        if (lower(hay[i]) != needle[0]) continue;
        size_t k = 1;
        while (k < needle.size() && lower(hay[i + k]) == needle[k])
            ++k;
        if (k == needle.size()) return i;
    }
    return std::string_view::npos;
}

// Chromium's Fetch urlPattern for a C-04 exact/wildcard pattern: '*' stays a wildcard,
// '?' and '\' are escaped, and every ASCII letter becomes '?' (any one character) so the
// pattern pauses every case variant; the handler then checks exactly.
std::string fetch_glob(std::string_view text) {
    std::string g;
    g.reserve(text.size() + 8);
    for (char c : text) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            g.push_back('?');
        } else if (c == '?' || c == '\\') {
            g.push_back('\\');
            g.push_back(c);
        } else {
            g.push_back(c);
        }
    }
    return g;
}

std::string fetch_pattern_json(std::string_view url_pattern, std::string_view resource_type = {}) {
    JsonObject o;
    o.str("urlPattern", url_pattern);
    if (!resource_type.empty()) o.str("resourceType", resource_type);
    o.str("requestStage", "Request");
    return o.take();
}

}  // namespace

// ----------------------------------------------------------------------------- UrlPattern

std::unique_ptr<UrlPattern> UrlPattern::compile(std::string_view text, std::string* error) {
    if (text.empty()) {
        if (error) *error = "blocked pattern cannot be empty";
        return nullptr;
    }
    auto p = std::make_unique<UrlPattern>();
    p->_text = std::string(text);
    if (text.starts_with("~")) {
        const bool ci = text.starts_with("~*");
        std::string_view body = text.substr(ci ? 2 : 1);
        if (body.empty()) {
            if (error)
                *error = std::string("blocked pattern '") + std::string(text) + "' has an empty regexp";
            return nullptr;
        }
        re2::RE2::Options o;
        o.set_log_errors(false);
        o.set_never_capture(true);
        o.set_case_sensitive(!ci);
        p->_re = std::make_unique<re2::RE2>(re2::StringPiece(body.data(), body.size()), o);
        if (!p->_re->ok()) {
            if (error)
                *error = "invalid regexp in blocked pattern '" + std::string(text) + "': " + p->_re->error();
            return nullptr;
        }
        p->_kind = Kind::regex;
    } else if (text.find('*') != std::string_view::npos) {
        p->_kind = Kind::wildcard;
        for (char c : text) {
            if (c == '*') {
                p->_piece_ends.push_back(static_cast<uint32_t>(p->_lower.size()));
            } else {
                p->_lower.push_back(lower(c));
            }
        }
        p->_piece_ends.push_back(static_cast<uint32_t>(p->_lower.size()));
    } else {
        p->_kind = Kind::exact;
        p->_lower = lower_copy(text);
    }
    return p;
}

bool UrlPattern::unanchored_wildcard() const noexcept {
    return _kind == Kind::wildcard && _text.size() >= 2 && _text.front() == '*' && _text.back() == '*';
}

bool UrlPattern::matches(std::string_view url) const {
    switch (_kind) {
        case Kind::exact:
            return iequal(url, _lower);
        case Kind::regex:
            return re2::RE2::PartialMatch(re2::StringPiece(url.data(), url.size()), *_re);
        case Kind::wildcard: {
            // The original's algorithm: the input starts with the first piece, ends with
            // the last, and holds the middle ones in order (leftmost search).
            const std::string_view all(_lower);
            const size_t n = _piece_ends.size();
            const std::string_view first = all.substr(0, _piece_ends[0]);
            const std::string_view last =
                all.substr(_piece_ends[n - 2], _piece_ends[n - 1] - _piece_ends[n - 2]);
            if (url.size() < first.size() || !iequal(url.substr(0, first.size()), first)) return false;
            url.remove_prefix(first.size());
            if (url.size() < last.size() || !iequal(url.substr(url.size() - last.size()), last)) return false;
            url.remove_suffix(last.size());
            for (size_t i = 1; i + 1 < n; ++i) {
                const std::string_view piece =
                    all.substr(_piece_ends[i - 1], _piece_ends[i] - _piece_ends[i - 1]);
                if (piece.empty()) continue;
                const size_t at = find_folded(url, piece);
                if (at == std::string_view::npos) return false;
                url.remove_prefix(at + piece.size());
            }
            return true;
        }
    }
    return false;
}

// ----------------------------------------------------------------------------- Blocklist

Blocklist::Blocklist(const std::vector<std::string>& patterns, const std::vector<std::string>& resource_types,
                     std::vector<std::string>* errors) {
    std::vector<std::string> blink;  // setBlockedURLs entries
    auto add_blink = [&](std::string s) {
        if (std::ranges::find(blink, s) == blink.end()) blink.push_back(std::move(s));
    };
    auto add = [&](std::string_view text) {
        std::string err;
        auto p = UrlPattern::compile(text, &err);
        if (!p) {
            if (errors) errors->push_back(std::move(err));
            return;
        }
        if (p->unanchored_wildcard()) {
            add_blink(p->text());
            add_blink(lower_copy(p->text()));
        } else if (p->kind() == UrlPattern::Kind::regex) {
            _all = true;
        } else {
            std::string f = fetch_pattern_json(fetch_glob(p->text()));
            if (std::ranges::find(_fetch_patterns, f) == _fetch_patterns.end())
                _fetch_patterns.push_back(std::move(f));
        }
        _patterns.push_back(std::move(p));
    };
    for (std::string_view b : kBuiltinBlockedPatterns)
        add(b);
    for (const auto& s : patterns)
        add(s);
    for (const auto& t : resource_types) {
        if (t.empty()) continue;
        _types.push_back(t);
        _fetch_patterns.push_back(fetch_pattern_json("*", t));
    }
    if (_all) {
        _fetch_patterns.clear();
        _fetch_patterns.push_back(fetch_pattern_json("*"));
    }
    _blocked_urls_json = "[";
    for (size_t i = 0; i < blink.size(); ++i) {
        if (i) _blocked_urls_json.push_back(',');
        json_append_string(_blocked_urls_json, blink[i]);
    }
    _blocked_urls_json.push_back(']');
}

bool Blocklist::blocks_url(std::string_view url) const {
    for (const auto& p : _patterns)
        if (p->matches(url)) return true;
    return false;
}

bool Blocklist::blocks_type(std::string_view resource_type) const {
    for (const auto& t : _types)
        if (iequal(t, resource_type)) return true;
    return false;
}

std::string fetch_pattern_for_origin(std::string_view origin) {
    std::string g;
    g.reserve(origin.size() + 4);
    for (char c : origin) {
        if (c == '?' || c == '\\' || c == '*') g.push_back('\\');
        g.push_back(c);
    }
    g += "/*";
    return fetch_pattern_json(g);
}

}  // namespace ec::rs
