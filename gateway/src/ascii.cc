#include "gateway/ascii.h"

namespace ec::gw {

std::size_t find_folded(std::string_view s, std::string_view lower) {
    if (lower.empty()) return 0;
    if (lower.size() > s.size()) return std::string_view::npos;
    const char first = lower[0];
    const std::size_t last_start = s.size() - lower.size();
    for (std::size_t i = 0; i <= last_start; ++i) {
        if (ascii_lower(s[i]) != first) continue;
        std::size_t k = 1;
        while (k < lower.size() && ascii_lower(s[i + k]) == lower[k])
            ++k;
        if (k == lower.size()) return i;
    }
    return std::string_view::npos;
}

}  // namespace ec::gw
