#include "gateway/pattern.h"

#include <re2/re2.h>

#include "gateway/ascii.h"

namespace ec::gw {
namespace {

// The literal text a regex body must start with, e.g. "OAI-SearchBot/" for `OAI-SearchBot\/\d+`. Empty when
// the body starts with anything else or contains an alternation anywhere (which could bypass the prefix).
std::string leading_literal(std::string_view body) {
    if (body.find('|') != std::string_view::npos || body.starts_with("(?")) return {};
    std::string lit;
    std::size_t i = 0;
    while (i < body.size()) {
        char c = body[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (alnum || c == ' ' || c == '-' || c == '_' || c == '/' || c == ',' || c == ';' || c == ':' ||
            c == '@' || c == '=' || c == '%' || c == '&' || c == '#' || c == '\'' || c == '"' || c == '<' ||
            c == '>' || c == '!' || c == '~') {
            lit.push_back(c);
            ++i;
            continue;
        }
        if (c == '\\' && i + 1 < body.size()) {
            char e = body[i + 1];
            bool word = (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9');
            if (word) break;  // \d, \w, \b, \pN, ... are not literals
            lit.push_back(e);
            i += 2;
            continue;
        }
        // A quantifier makes the previous character optional.
        if ((c == '*' || c == '?' || c == '{') && !lit.empty()) lit.pop_back();
        break;
    }
    return lit;
}

}  // namespace

PatternKind detect_pattern_kind(std::string_view text) {
    if (text.starts_with("~")) return PatternKind::regex;
    if (text.find('*') != std::string_view::npos) return PatternKind::wildcard;
    return PatternKind::exact;
}

int pattern_kind_priority(PatternKind kind) {
    switch (kind) {
        case PatternKind::exact:
            return 3;
        case PatternKind::wildcard:
            return 2;
        case PatternKind::regex:
            return 1;
    }
    return 0;
}

Pattern::Pattern(Pattern&&) noexcept = default;
Pattern& Pattern::operator=(Pattern&&) noexcept = default;
Pattern::~Pattern() = default;

std::optional<Pattern> Pattern::compile(std::string_view text, std::string* error) {
    if (text.empty()) {
        if (error) *error = "pattern cannot be empty";
        return std::nullopt;
    }
    Pattern p;
    p._text = std::string(text);
    p._kind = detect_pattern_kind(text);
    switch (p._kind) {
        case PatternKind::regex: {
            bool ci = text.starts_with("~*");
            std::string_view body = text.substr(ci ? 2 : 1);
            if (body.empty()) {
                if (error) *error = ci ? "regexp pattern '~*' is empty" : "regexp pattern '~' is empty";
                return std::nullopt;
            }
            RE2::Options opts;
            opts.set_log_errors(false);
            opts.set_never_capture(true);
            opts.set_case_sensitive(!ci);
            p._re = std::make_unique<RE2>(re2::StringPiece(body.data(), body.size()), opts);
            if (!p._re->ok()) {
                if (error) *error = "invalid regexp pattern '" + std::string(text) + "': " + p._re->error();
                return std::nullopt;
            }
            p._literal_anchored = body.starts_with("^");
            p._literal = leading_literal(p._literal_anchored ? body.substr(1) : body);
            if (ci) p._literal = to_lower_copy(p._literal);
            break;
        }
        case PatternKind::wildcard: {
            // Keep the pieces between '*' back to back in _lower and remember where each ends.
            for (char c : text) {
                if (c == '*') {
                    p._piece_ends.push_back(static_cast<std::uint32_t>(p._lower.size()));
                } else {
                    p._lower.push_back(ascii_lower(c));
                }
            }
            p._piece_ends.push_back(static_cast<std::uint32_t>(p._lower.size()));
            break;
        }
        case PatternKind::exact:
            p._lower = to_lower_copy(text);
            break;
    }
    return p;
}

bool Pattern::matches_folded(std::string_view input, std::string_view lowered) const {
    switch (_kind) {
        case PatternKind::exact:
            return lowered == std::string_view(_lower);
        case PatternKind::regex:
            if (!_literal.empty()) {
                std::string_view hay = _re->options().case_sensitive() ? input : lowered;
                if (_literal_anchored ? !hay.starts_with(_literal)
                                      : hay.find(_literal) == std::string_view::npos) {
                    return false;
                }
            }
            return RE2::PartialMatch(re2::StringPiece(input.data(), input.size()), *_re);
        case PatternKind::wildcard: {
            const std::string_view all(_lower);
            const std::size_t n = _piece_ends.size();
            std::string_view first = all.substr(0, _piece_ends[0]);
            std::string_view last = all.substr(_piece_ends[n - 2], _piece_ends[n - 1] - _piece_ends[n - 2]);
            if (!lowered.starts_with(first)) return false;
            lowered.remove_prefix(first.size());
            if (!lowered.ends_with(last)) return false;
            lowered.remove_suffix(last.size());
            for (std::size_t i = 1; i + 1 < n; ++i) {
                std::string_view piece = all.substr(_piece_ends[i - 1], _piece_ends[i] - _piece_ends[i - 1]);
                if (piece.empty()) continue;
                std::size_t at = lowered.find(piece);
                if (at == std::string_view::npos) return false;
                lowered.remove_prefix(at + piece.size());
            }
            return true;
        }
    }
    return false;
}

bool Pattern::matches(std::string_view input) const {
    switch (_kind) {
        case PatternKind::exact:
            return iequals(input, _lower);
        case PatternKind::regex:
            if (!_literal.empty()) {
                bool cs = _re->options().case_sensitive();
                bool ok = _literal_anchored
                              ? (cs ? input.starts_with(_literal) : starts_with_folded(input, _literal))
                              : (cs ? input.find(_literal) : find_folded(input, _literal)) !=
                                    std::string_view::npos;
                if (!ok) return false;
            }
            return RE2::PartialMatch(re2::StringPiece(input.data(), input.size()), *_re);
        case PatternKind::wildcard: {
            // Same algorithm as the original: prefix = first piece, suffix = last piece, middle pieces found
            // left to right in what remains.
            const std::string_view all(_lower);
            const std::size_t n = _piece_ends.size();  // >= 2 for a wildcard
            std::string_view first = all.substr(0, _piece_ends[0]);
            std::string_view last = all.substr(_piece_ends[n - 2], _piece_ends[n - 1] - _piece_ends[n - 2]);
            if (!starts_with_folded(input, first)) return false;
            input.remove_prefix(first.size());
            if (!ends_with_folded(input, last)) return false;
            input.remove_suffix(last.size());
            for (std::size_t i = 1; i + 1 < n; ++i) {
                std::string_view piece = all.substr(_piece_ends[i - 1], _piece_ends[i] - _piece_ends[i - 1]);
                if (piece.empty()) continue;
                std::size_t at = find_folded(input, piece);
                if (at == std::string_view::npos) return false;
                input.remove_prefix(at + piece.size());
            }
            return true;
        }
    }
    return false;
}

std::string check_pattern_syntax(std::string_view text, std::string_view context) {
    if (text == "*") return {};
    if (text.find("**") != std::string_view::npos) {
        return "pattern contains consecutive wildcards '**' - use single '*' for recursive matching";
    }
    if (text.starts_with("~")) {
        bool ci = text.starts_with("~*");
        std::string_view body = text.substr(ci ? 2 : 1);
        if (body.empty())
            return std::string(context) + (ci ? " pattern '~*' is empty" : " pattern '~' is empty");
        RE2::Options opts;
        opts.set_log_errors(false);
        opts.set_case_sensitive(!ci);
        RE2 re(re2::StringPiece(body.data(), body.size()), opts);
        if (!re.ok()) {
            return "invalid " + std::string(context) + (ci ? " case-insensitive" : " case-sensitive") +
                   " regexp '" + std::string(text) + "': " + re.error();
        }
    }
    return {};
}

}  // namespace ec::gw
