// The unified pattern syntax of EdgeComet (reference C-04), compiled once at load.
//
//   "~*re"  RE2 regular expression, case-insensitive ("(?i)" is prepended)
//   "~re"   RE2 regular expression, case-sensitive
//   "a*b"   wildcard: '*' matches any run of bytes (including '/' and nothing); anchored at both ends;
//           case-insensitive
//   "abc"   exact, whole-string, case-insensitive
//
// Regexes use unanchored search semantics (RE2::PartialMatch), like Go's MatchString. Matching never
// allocates (RE2's lazily built DFA aside, which warms up after the first few inputs). A compiled Pattern is
// immutable and may be shared between threads (RE2 is thread-safe).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace ec::gw {

enum class PatternKind : std::uint8_t { exact, wildcard, regex };

// Detection order of C-04: "~*" → regex (ci), "~" → regex, contains '*' → wildcard, else exact.
PatternKind detect_pattern_kind(std::string_view text);

// Sort priority used by URL rules and UA detection: exact (3) > wildcard (2) > regex (1).
int pattern_kind_priority(PatternKind kind);

class Pattern {
  public:
    // Compiles `text`. On failure returns nullopt and sets *error: "pattern cannot be empty",
    // "regexp pattern '~' is empty", or "invalid regexp pattern '<text>': <RE2 error>".
    static std::optional<Pattern> compile(std::string_view text, std::string* error = nullptr);

    Pattern(Pattern&&) noexcept;
    Pattern& operator=(Pattern&&) noexcept;
    ~Pattern();

    bool matches(std::string_view input) const;

    // The same, given `lowered` = `input` with ASCII letters lower-cased (same length). Callers testing many
    // patterns against one input fold it once and save the per-pattern case folding.
    bool matches_folded(std::string_view input, std::string_view lowered) const;

    PatternKind kind() const { return _kind; }
    // The pattern exactly as written (including any "~" prefix).
    const std::string& text() const { return _text; }
    // True for the single-character pattern "*".
    bool is_match_all() const { return _text == "*"; }

  private:
    Pattern() = default;

    std::string _text;
    PatternKind _kind = PatternKind::exact;
    std::string _lower;  // exact/wildcard: lower-cased pattern (without '*' for wildcards, pieces below)
    std::vector<std::uint32_t> _piece_ends;  // wildcard: end offset in _lower of each '*'-separated piece
    std::unique_ptr<re2::RE2> _re;
    // Literal text every match must contain (or, for a '^'-anchored regex, start with): "OAI-SearchBot/" for
    // `OAI-SearchBot\/\d+`. Checked with a plain search before RE2 runs; compared case-folded for "~*".
    std::string _literal;
    bool _literal_anchored = false;
};

// Syntax checks the original's validator adds on top of compilation for URL and User-Agent patterns
// (a "**" run is rejected; "*" alone is fine). Returns an empty string when the pattern is acceptable.
// `context` is "URL" or "user-agent" and appears in the message.
std::string check_pattern_syntax(std::string_view text, std::string_view context);

}  // namespace ec::gw
