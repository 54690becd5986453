// Request blocking for a render: the 32 built-in patterns (F-RS-10) plus the request's
// C-04 patterns and resource types, and how each is handed to Chromium so that only
// requests that may be blocked cost a DevTools round trip:
//
//  - `*text*` wildcards (every built-in) go to Network.setBlockedURLs: Blink fails those
//    requests itself. Blink's match is "the '*'-separated parts occur in order", the same
//    as C-04 for a pattern that starts and ends with '*', but case-sensitive: the pattern
//    is sent as written and lower-cased. Scheme and host are canonical lower case in
//    Chromium, so the only difference to C-04 is an upper-case letter in the path or
//    query of a sub-request (docs/renderer.md).
//  - Exact patterns and wildcards anchored at either end become Fetch.enable patterns
//    with every ASCII letter turned into '?': a case-insensitive superset, so the few
//    requests that pause are re-checked here with exact C-04 semantics.
//  - A regex (`~`, `~*`) cannot be expressed: every request pauses and RE2 decides.
//  - Resource types become Fetch patterns with that resourceType.
#pragma once

#include <re2/re2.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ec::rs {

extern const std::array<std::string_view, 32> kBuiltinBlockedPatterns;

// One C-04 pattern (exact / wildcard / regex), matched against a full URL.
class UrlPattern {
  public:
    enum class Kind : uint8_t { exact, wildcard, regex };
    // Empty result + `error` for an empty pattern, an empty regex or an invalid regex.
    static std::unique_ptr<UrlPattern> compile(std::string_view text, std::string* error);

    // Exact and wildcard patterns fold ASCII case; regexes see the URL as is.
    bool matches(std::string_view url) const;
    Kind kind() const noexcept { return _kind; }
    const std::string& text() const noexcept { return _text; }
    // Starts and ends with '*': Blink's setBlockedURLs semantics equal ours.
    bool unanchored_wildcard() const noexcept;

  private:
    Kind _kind = Kind::exact;
    std::string _text;
    std::string _lower;                 // exact: the pattern; wildcard: pieces back to back
    std::vector<uint32_t> _piece_ends;  // wildcard: end offset of each piece in _lower
    std::unique_ptr<re2::RE2> _re;
};

class Blocklist {
  public:
    // Built-ins + `patterns` + `resource_types`. Invalid patterns are skipped and
    // described in `errors`.
    Blocklist(const std::vector<std::string>& patterns, const std::vector<std::string>& resource_types,
              std::vector<std::string>* errors = nullptr);

    bool blocks_url(std::string_view url) const;
    bool blocks_type(std::string_view resource_type) const;

    // Network.setBlockedURLs {"urls": ...} (JSON array text).
    const std::string& blocked_urls_json() const noexcept { return _blocked_urls_json; }
    // Fetch.enable pattern objects needed for blocking, each a JSON object text. Empty
    // when nothing needs interception.
    const std::vector<std::string>& fetch_patterns() const noexcept { return _fetch_patterns; }
    bool intercepts_everything() const noexcept { return _all; }

  private:
    std::vector<std::unique_ptr<UrlPattern>> _patterns;  // checked on paused requests
    std::vector<std::string> _types;
    std::string _blocked_urls_json;
    std::vector<std::string> _fetch_patterns;
    bool _all = false;
};

// Fetch urlPattern (wildcards '*' and '?', backslash escapes) that matches every URL
// of `origin` ("http://host:port" as Chromium writes it, default port omitted).
std::string fetch_pattern_for_origin(std::string_view origin);

}  // namespace ec::rs
