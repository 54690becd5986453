#include "gateway/go_url.h"

#include <cstring>

namespace ec::gw::gourl {
namespace {

constexpr char k_upper_hex[] = "0123456789ABCDEF";

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

unsigned unhex(char c) {
    if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
    return static_cast<unsigned>(c - 'A' + 10);
}

bool contains_ctl_byte(std::string_view s) {
    for (char c : s) {
        auto b = static_cast<unsigned char>(c);
        if (b < 0x20 || b == 0x7f) return true;
    }
    return false;
}

// Go's validOptionalPort.
bool valid_optional_port(std::string_view port) {
    if (port.empty()) return true;
    if (port[0] != ':') return false;
    for (char c : port.substr(1)) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

bool valid_userinfo(std::string_view s) {
    for (char c : s) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) continue;
        switch (c) {
            case '-':
            case '.':
            case '_':
            case ':':
            case '~':
            case '!':
            case '$':
            case '&':
            case '\'':
            case '(':
            case ')':
            case '*':
            case '+':
            case ',':
            case ';':
            case '=':
            case '%':
            case '@':
                continue;
            default:
                return false;
        }
    }
    return true;
}

// Go's parseHost, appending the decoded host to out.
std::string_view parse_host(std::string_view host, std::string& out) {
    out.clear();
    if (host.starts_with("[")) {
        auto i = host.rfind(']');
        if (i == std::string_view::npos) return "missing ']' in host";
        if (!valid_optional_port(host.substr(i + 1))) return "invalid port after host";
        auto zone = host.substr(0, i).find("%25");
        if (zone != std::string_view::npos) {
            if (!unescape_append(host.substr(0, zone), Mode::host, out) ||
                !unescape_append(host.substr(zone, i - zone), Mode::zone, out) ||
                !unescape_append(host.substr(i), Mode::host, out)) {
                return "invalid URL escape in host";
            }
            return {};
        }
    } else if (auto i = host.rfind(':'); i != std::string_view::npos) {
        if (!valid_optional_port(host.substr(i))) return "invalid port after host";
    }
    if (!unescape_append(host, Mode::host, out)) return "invalid character or escape in host name";
    return {};
}

}  // namespace

namespace {

bool should_escape_slow(unsigned char c, Mode mode) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return false;
    if (mode == Mode::host || mode == Mode::zone) {
        switch (c) {
            case '!':
            case '$':
            case '&':
            case '\'':
            case '(':
            case ')':
            case '*':
            case '+':
            case ',':
            case ';':
            case '=':
            case ':':
            case '[':
            case ']':
            case '<':
            case '>':
            case '"':
                return false;
            default:
                break;
        }
    }
    switch (c) {
        case '-':
        case '_':
        case '.':
        case '~':
            return false;
        case '$':
        case '&':
        case '+':
        case ',':
        case '/':
        case ':':
        case ';':
        case '=':
        case '?':
        case '@':
            switch (mode) {
                case Mode::path:
                    return c == '?';
                case Mode::path_segment:
                    return c == '/' || c == ';' || c == ',' || c == '?';
                case Mode::user_password:
                    return c == '@' || c == '/' || c == '?' || c == ':';
                case Mode::query_component:
                    return true;
                case Mode::fragment:
                    return false;
                default:
                    break;
            }
            break;
        default:
            break;
    }
    if (mode == Mode::fragment) {
        switch (c) {
            case '!':
            case '(':
            case ')':
            case '*':
                return false;
            default:
                break;
        }
    }
    return true;
}

// One 256-bit table per mode, built once from the rules above (which mirror Go's shouldEscape).
struct EscapeTables {
    bool table[7][256];
    EscapeTables() {
        for (int m = 0; m < 7; ++m) {
            for (int c = 0; c < 256; ++c)
                table[m][c] = should_escape_slow(static_cast<unsigned char>(c), static_cast<Mode>(m));
        }
    }
};

const EscapeTables& escape_tables() {
    static const EscapeTables t;
    return t;
}

}  // namespace

bool should_escape(unsigned char c, Mode mode) {
    return escape_tables().table[static_cast<int>(mode)][c];
}

void escape_append(std::string_view s, Mode mode, std::string& out) {
    const bool* table = escape_tables().table[static_cast<int>(mode)];
    // Fast path: nothing to escape (the common case for paths, hosts and keys).
    std::size_t clean = 0;
    while (clean < s.size() && !table[static_cast<unsigned char>(s[clean])])
        ++clean;
    out.append(s.data(), clean);
    s.remove_prefix(clean);
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c == ' ' && mode == Mode::query_component) {
            out.push_back('+');
        } else if (table[c]) {
            out.push_back('%');
            out.push_back(k_upper_hex[c >> 4]);
            out.push_back(k_upper_hex[c & 15]);
        } else {
            out.push_back(ch);
        }
    }
}

bool unescape_append(std::string_view s, Mode mode, std::string& out) {
    if (mode != Mode::host && mode != Mode::zone) {
        // Fast path: nothing to decode.
        if (s.empty()) return true;
        bool plain = std::memchr(s.data(), '%', s.size()) == nullptr &&
                     (mode != Mode::query_component || std::memchr(s.data(), '+', s.size()) == nullptr);
        if (plain) {
            out.append(s);
            return true;
        }
    }
    // Validate first, exactly like Go's unescape, then decode.
    for (std::size_t i = 0; i < s.size();) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) return false;
            if (mode == Mode::host && unhex(s[i + 1]) < 8 && s.substr(i, 3) != "%25") return false;
            if (mode == Mode::zone) {
                auto v = static_cast<unsigned char>(unhex(s[i + 1]) << 4 | unhex(s[i + 2]));
                if (s.substr(i, 3) != "%25" && v != ' ' && should_escape(v, Mode::host)) return false;
            }
            i += 3;
        } else {
            if ((mode == Mode::host || mode == Mode::zone) && static_cast<unsigned char>(c) < 0x80 &&
                should_escape(static_cast<unsigned char>(c), mode)) {
                return false;
            }
            ++i;
        }
    }
    for (std::size_t i = 0; i < s.size();) {
        char c = s[i];
        if (c == '%') {
            out.push_back(static_cast<char>(unhex(s[i + 1]) << 4 | unhex(s[i + 2])));
            i += 3;
        } else if (c == '+' && mode == Mode::query_component) {
            out.push_back(' ');
            ++i;
        } else {
            out.push_back(c);
            ++i;
        }
    }
    return true;
}

bool valid_encoded(std::string_view s, Mode mode) {
    for (char ch : s) {
        switch (ch) {
            case '!':
            case '$':
            case '&':
            case '\'':
            case '(':
            case ')':
            case '*':
            case '+':
            case ',':
            case ';':
            case '=':
            case ':':
            case '@':
            case '[':
            case ']':
            case '%':
                break;
            default:
                if (should_escape(static_cast<unsigned char>(ch), mode)) return false;
        }
    }
    return true;
}

std::string_view Url::hostname() const {
    std::string_view h = host;
    auto colon = h.rfind(':');
    if (colon != std::string_view::npos && valid_optional_port(h.substr(colon))) h = h.substr(0, colon);
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    return h;
}

std::string_view Url::port() const {
    std::string_view h = host;
    auto colon = h.rfind(':');
    if (colon != std::string_view::npos && valid_optional_port(h.substr(colon))) return h.substr(colon + 1);
    return {};
}

std::string_view parse(std::string_view raw, UrlBuffers& buffers, Url& out) {
    out = Url{};
    buffers.host.clear();
    buffers.path.clear();
    buffers.user.clear();
    buffers.password.clear();

    std::string_view u = raw;
    if (auto hash = raw.find('#'); hash != std::string_view::npos) {
        u = raw.substr(0, hash);
        out.fragment = raw.substr(hash + 1);
    }
    if (contains_ctl_byte(u)) return "net/url: invalid control character in URL";
    if (u == "*") {
        buffers.path = "*";
        out.path = buffers.path;
        out.raw_path = u;
        return {};
    }

    // getScheme
    std::string_view rest = u;
    for (std::size_t i = 0; i < u.size(); ++i) {
        char c = u[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) continue;
        if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
            if (i == 0) break;
            continue;
        }
        if (c == ':') {
            if (i == 0) return "missing protocol scheme";
            if (i > sizeof out.scheme_buf) return "scheme too long";
            for (std::size_t k = 0; k < i; ++k) {
                char s = u[k];
                out.scheme_buf[k] = (s >= 'A' && s <= 'Z') ? static_cast<char>(s + 32) : s;
            }
            out.scheme = std::string_view(out.scheme_buf, i);
            rest = u.substr(i + 1);
        }
        break;
    }

    if (rest.ends_with("?") && rest.find('?') == rest.size() - 1) {
        out.force_query = true;
        rest.remove_suffix(1);
    } else if (auto q = rest.find('?'); q != std::string_view::npos) {
        out.raw_query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }

    if (!rest.starts_with("/")) {
        if (!out.scheme.empty()) {
            out.opaque = true;  // "scheme:opaque": no authority, no path; callers reject it (no host)
            return {};
        }
        auto slash = rest.find('/');
        if (rest.substr(0, slash).find(':') != std::string_view::npos) {
            return "first path segment in URL cannot contain colon";
        }
    }

    if ((!out.scheme.empty() || !rest.starts_with("///")) && rest.starts_with("//")) {
        std::string_view authority = rest.substr(2);
        rest = {};
        if (auto slash = authority.find('/'); slash != std::string_view::npos) {
            rest = authority.substr(slash);
            authority = authority.substr(0, slash);
        }
        auto at = authority.rfind('@');
        std::string_view host_part = at == std::string_view::npos ? authority : authority.substr(at + 1);
        if (auto err = parse_host(host_part, buffers.host); !err.empty()) return err;
        if (at != std::string_view::npos) {
            std::string_view userinfo = authority.substr(0, at);
            if (!valid_userinfo(userinfo)) return "net/url: invalid userinfo";
            out.has_user = true;
            auto colon = userinfo.find(':');
            std::string_view name = colon == std::string_view::npos ? userinfo : userinfo.substr(0, colon);
            if (!unescape_append(name, Mode::user_password, buffers.user))
                return "invalid URL escape in userinfo";
            if (colon != std::string_view::npos) {
                out.has_password = true;
                if (!unescape_append(userinfo.substr(colon + 1), Mode::user_password, buffers.password)) {
                    return "invalid URL escape in userinfo";
                }
            }
        }
    }

    // setPath
    if (!unescape_append(rest, Mode::path, buffers.path)) return "invalid URL escape in path";
    out.raw_path = rest;

    if (!out.fragment.empty()) {
        // Validate like Go's setFragment; the decoded form is never needed.
        for (std::size_t i = 0; i < out.fragment.size(); ++i) {
            if (out.fragment[i] == '%') {
                if (i + 2 >= out.fragment.size() || !is_hex(out.fragment[i + 1]) ||
                    !is_hex(out.fragment[i + 2])) {
                    return "invalid URL escape in fragment";
                }
                i += 2;
            }
        }
    }

    out.host = buffers.host;
    out.path = buffers.path;
    out.user = buffers.user;
    out.password = buffers.password;
    return {};
}

bool query_first_value(std::string_view raw_query, std::string_view key, std::string& scratch,
                       std::string& value_out) {
    bool found = false;
    for_each_query_pair(raw_query, scratch, [&](std::string_view k, std::string_view v) {
        if (!found && k == key) {
            value_out.assign(v);
            found = true;
        }
    });
    return found;
}

}  // namespace ec::gw::gourl
