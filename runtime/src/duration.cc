#include "runtime/duration.h"

#include <cstdint>
#include <limits>

namespace ec::rt {
namespace {

constexpr std::uint64_t k_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

// Leading decimal integer, like Go's time.leadingInt. Returns false on overflow.
bool leading_int(std::string_view& s, std::uint64_t& x) {
    std::size_t i = 0;
    x = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
        if (x > k_max / 10) return false;
        x = x * 10 + static_cast<std::uint64_t>(s[i] - '0');
        if (x > k_max) return false;
    }
    s.remove_prefix(i);
    return true;
}

// Fraction digits, like Go's time.leadingFraction: value and scale, overflow digits ignored.
void leading_fraction(std::string_view& s, std::uint64_t& x, double& scale) {
    std::size_t i = 0;
    x = 0;
    scale = 1;
    bool overflow = false;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
        if (overflow) continue;
        if (x > (k_max - 1) / 10) {
            overflow = true;
            continue;
        }
        std::uint64_t y = x * 10 + static_cast<std::uint64_t>(s[i] - '0');
        if (y > k_max) {
            overflow = true;
            continue;
        }
        x = y;
        scale *= 10;
    }
    s.remove_prefix(i);
}

std::optional<std::uint64_t> unit_ns(std::string_view u) {
    if (u == "ns") return 1;
    if (u == "us" || u == "\xC2\xB5s" || u == "\xCE\xBCs") return 1000;
    if (u == "ms") return 1000000;
    if (u == "s") return 1000000000ULL;
    if (u == "m") return 60ULL * 1000000000ULL;
    if (u == "h") return 3600ULL * 1000000000ULL;
    return std::nullopt;
}

// Go's time.ParseDuration.
std::optional<Duration> parse_go(std::string_view s) {
    std::uint64_t d = 0;
    bool neg = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s == "0") return Duration{0};
    if (s.empty()) return std::nullopt;
    while (!s.empty()) {
        if (!(s[0] == '.' || (s[0] >= '0' && s[0] <= '9'))) return std::nullopt;
        std::size_t before = s.size();
        std::uint64_t v = 0;
        if (!leading_int(s, v)) return std::nullopt;
        bool pre = before != s.size();
        std::uint64_t f = 0;
        double scale = 1;
        bool post = false;
        if (!s.empty() && s[0] == '.') {
            s.remove_prefix(1);
            std::size_t b = s.size();
            leading_fraction(s, f, scale);
            post = b != s.size();
        }
        if (!pre && !post) return std::nullopt;
        std::size_t i = 0;
        while (i < s.size() && s[i] != '.' && !(s[i] >= '0' && s[i] <= '9'))
            ++i;
        if (i == 0) return std::nullopt;  // missing unit
        auto unit = unit_ns(s.substr(0, i));
        if (!unit) return std::nullopt;
        s.remove_prefix(i);
        if (v > k_max / *unit) return std::nullopt;
        v *= *unit;
        if (f > 0) {
            v += static_cast<std::uint64_t>(static_cast<double>(f) * (static_cast<double>(*unit) / scale));
            if (v > k_max) return std::nullopt;
        }
        d += v;
        if (d > k_max) return std::nullopt;
    }
    auto r = static_cast<std::int64_t>(d);
    return Duration{neg ? -r : r};
}

// The original's extension: ^(-?)(\d+(?:\.\d+)?)(d|w)$
std::optional<Duration> parse_extended(std::string_view s) {
    bool neg = false;
    if (!s.empty() && s[0] == '-') {
        neg = true;
        s.remove_prefix(1);
    }
    if (s.size() < 2) return std::nullopt;
    char suffix = s.back();
    if (suffix != 'd' && suffix != 'w') return std::nullopt;
    s.remove_suffix(1);
    std::size_t i = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9')
        ++i;
    if (i == 0) return std::nullopt;
    double value = 0;
    for (std::size_t k = 0; k < i; ++k)
        value = value * 10 + (s[k] - '0');
    if (i < s.size()) {
        if (s[i] != '.' || i + 1 == s.size()) return std::nullopt;
        double scale = 0.1;
        for (std::size_t k = i + 1; k < s.size(); ++k) {
            if (s[k] < '0' || s[k] > '9') return std::nullopt;
            value += (s[k] - '0') * scale;
            scale /= 10;
        }
    }
    double unit = suffix == 'd' ? 86400e9 : 7 * 86400e9;
    double ns = value * unit;
    if (ns >= 9.2e18) return std::nullopt;
    auto r = static_cast<std::int64_t>(ns);
    return Duration{neg ? -r : r};
}

// Go's fmtFrac / fmtInt, writing backwards into buf ending at w.
std::size_t fmt_frac(char* buf, std::size_t w, std::uint64_t v, int prec, std::uint64_t& out) {
    bool print = false;
    for (int i = 0; i < prec; ++i) {
        unsigned digit = static_cast<unsigned>(v % 10);
        print = print || digit != 0;
        if (print) {
            --w;
            buf[w] = static_cast<char>('0' + digit);
        }
        v /= 10;
    }
    if (print) {
        --w;
        buf[w] = '.';
    }
    out = v;
    return w;
}

std::size_t fmt_int(char* buf, std::size_t w, std::uint64_t v) {
    if (v == 0) {
        --w;
        buf[w] = '0';
    } else {
        while (v > 0) {
            --w;
            buf[w] = static_cast<char>('0' + v % 10);
            v /= 10;
        }
    }
    return w;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text, std::string* error) {
    if (auto d = parse_go(text)) return d;
    if (auto d = parse_extended(text)) return d;
    if (error) *error = "invalid duration \"" + std::string(text) + "\" (use a unit: ms, s, m, h, d, w)";
    return std::nullopt;
}

std::string go_duration_string(Duration d) {
    char buf[32];
    std::size_t w = sizeof buf;
    std::int64_t n = d.count();
    std::uint64_t u = static_cast<std::uint64_t>(n);
    bool neg = n < 0;
    if (neg) u = -u;
    if (u < 1000000000ULL) {
        int prec = 0;
        --w;
        buf[w] = 's';
        --w;
        if (u == 0) return "0s";
        if (u < 1000) {
            prec = 0;
            buf[w] = 'n';
        } else if (u < 1000000) {
            prec = 3;
            // U+00B5 micro sign, as Go prints it.
            --w;
            buf[w] = '\xC2';
            buf[w + 1] = '\xB5';
        } else {
            prec = 6;
            buf[w] = 'm';
        }
        w = fmt_frac(buf, w, u, prec, u);
        w = fmt_int(buf, w, u);
    } else {
        --w;
        buf[w] = 's';
        w = fmt_frac(buf, w, u, 9, u);
        w = fmt_int(buf, w, u % 60);
        u /= 60;
        if (u > 0) {
            --w;
            buf[w] = 'm';
            w = fmt_int(buf, w, u % 60);
            u /= 60;
            if (u > 0) {
                --w;
                buf[w] = 'h';
                w = fmt_int(buf, w, u);
            }
        }
    }
    if (neg) {
        --w;
        buf[w] = '-';
    }
    return std::string(buf + w, sizeof buf - w);
}

}  // namespace ec::rt
