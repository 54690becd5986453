// ASCII helpers used on hot paths: case folding and case-insensitive comparison without allocation.
//
// Only ASCII letters fold. Go's EqualFold/ToLower also fold non-ASCII letters; configuration patterns and
// header names are ASCII in practice, and docs/compatibility.md records the difference.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ec::gw {

constexpr char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    }
    return true;
}

// `lower` must already be lower-case.
constexpr bool starts_with_folded(std::string_view s, std::string_view lower) {
    return s.size() >= lower.size() && iequals(s.substr(0, lower.size()), lower);
}

constexpr bool ends_with_folded(std::string_view s, std::string_view lower) {
    return s.size() >= lower.size() && iequals(s.substr(s.size() - lower.size()), lower);
}

// Leftmost position of `lower` (already lower-case) in `s`, case-insensitively; npos if absent.
std::size_t find_folded(std::string_view s, std::string_view lower);

inline std::string to_lower_copy(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = ascii_lower(c);
    return out;
}

}  // namespace ec::gw
