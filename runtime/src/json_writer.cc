#include "runtime/json_writer.h"

#include <cassert>
#include <charconv>
#include <cmath>

namespace ec::rt {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence starting at s[i] (2..4), or 0 when invalid (Go's utf8.DecodeRune:
// no overlongs, no surrogates, nothing above U+10FFFF). Sets *cp to the code point.
size_t utf8_seq(std::string_view s, size_t i, uint32_t* cp) {
    auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
    unsigned char c = b(0);
    size_t n = s.size() - i;
    auto cont = [&](size_t k) { return k < n && (b(k) & 0xC0) == 0x80; };
    if (c >= 0xC2 && c <= 0xDF) {
        if (!cont(1)) return 0;
        *cp = ((c & 0x1Fu) << 6) | (b(1) & 0x3Fu);
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(1) || !cont(2)) return 0;
        unsigned char c1 = b(1);
        if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
        if (c == 0xED && c1 > 0x9F) return 0;  // surrogate
        *cp = ((c & 0x0Fu) << 12) | ((c1 & 0x3Fu) << 6) | (b(2) & 0x3Fu);
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3)) return 0;
        unsigned char c1 = b(1);
        if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
        if (c == 0xF4 && c1 > 0x8F) return 0;  // > U+10FFFF
        *cp = ((c & 0x07u) << 18) | ((c1 & 0x3Fu) << 12) | ((b(2) & 0x3Fu) << 6) | (b(3) & 0x3Fu);
        return 4;
    }
    return 0;
}

}  // namespace

void json_append_string(std::string& out, std::string_view s) {
    out.push_back('"');
    size_t start = 0;  // first byte not yet copied
    size_t i = 0;
    auto flush = [&](size_t upto) { out.append(s.data() + start, upto - start); };
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
                ++i;
                continue;
            }
            flush(i);
            switch (c) {
                case '"':
                    out += "\\\"";
                    break;
                case '\\':
                    out += "\\\\";
                    break;
                case '\b':
                    out += "\\b";
                    break;
                case '\f':
                    out += "\\f";
                    break;
                case '\n':
                    out += "\\n";
                    break;
                case '\r':
                    out += "\\r";
                    break;
                case '\t':
                    out += "\\t";
                    break;
                default:
                    out += "\\u00";
                    out.push_back(kHex[c >> 4]);
                    out.push_back(kHex[c & 0xF]);
            }
            start = ++i;
            continue;
        }
        uint32_t cp = 0;
        size_t n = utf8_seq(s, i, &cp);
        if (n == 0) {
            flush(i);
            out += "\\ufffd";
            start = ++i;
            continue;
        }
        if (cp == 0x2028 || cp == 0x2029) {
            flush(i);
            out += cp == 0x2028 ? "\\u2028" : "\\u2029";
            i += n;
            start = i;
            continue;
        }
        i += n;
    }
    flush(s.size());
    out.push_back('"');
}

void json_append_double(std::string& out, double d) {
    if (!std::isfinite(d)) {
        out += "null";
        return;
    }
    char buf[64];
    double a = std::fabs(d);
    bool exp = a != 0 && (a < 1e-6 || a >= 1e21);
    auto r = std::to_chars(buf, buf + sizeof buf, d,
                           exp ? std::chars_format::scientific : std::chars_format::fixed);
    size_t n = static_cast<size_t>(r.ptr - buf);
    // Go writes "e-7", not "e-07".
    if (exp && n >= 4 && buf[n - 4] == 'e' && buf[n - 3] == '-' && buf[n - 2] == '0') {
        buf[n - 2] = buf[n - 1];
        --n;
    }
    out.append(buf, n);
}

void JsonWriter::before_value() {
    if (_after_key) {
        _after_key = false;
        return;
    }
    if (_depth > 0) {
        assert(!(_is_object & (1ull << (_depth - 1))) && "JSON object member needs key() first");
        uint64_t bit = 1ull << (_depth - 1);
        if (_has_elems & bit) _out.push_back(',');
        _has_elems |= bit;
    }
}

JsonWriter& JsonWriter::begin_object() {
    before_value();
    assert(_depth < 64);
    _out.push_back('{');
    uint64_t bit = 1ull << _depth;
    _has_elems &= ~bit;
    _is_object |= bit;
    ++_depth;
    return *this;
}

JsonWriter& JsonWriter::end_object() {
    assert(_depth > 0 && (_is_object & (1ull << (_depth - 1))) && !_after_key);
    --_depth;
    _out.push_back('}');
    return *this;
}

JsonWriter& JsonWriter::begin_array() {
    before_value();
    assert(_depth < 64);
    _out.push_back('[');
    uint64_t bit = 1ull << _depth;
    _has_elems &= ~bit;
    _is_object &= ~bit;
    ++_depth;
    return *this;
}

JsonWriter& JsonWriter::end_array() {
    assert(_depth > 0 && !(_is_object & (1ull << (_depth - 1))));
    --_depth;
    _out.push_back(']');
    return *this;
}

JsonWriter& JsonWriter::key(std::string_view k) {
    assert(_depth > 0 && (_is_object & (1ull << (_depth - 1))) && !_after_key);
    uint64_t bit = 1ull << (_depth - 1);
    if (_has_elems & bit) _out.push_back(',');
    _has_elems |= bit;
    json_append_string(_out, k);
    _out.push_back(':');
    _after_key = true;
    return *this;
}

JsonWriter& JsonWriter::value(std::string_view s) {
    before_value();
    json_append_string(_out, s);
    return *this;
}

JsonWriter& JsonWriter::value(bool b) {
    before_value();
    _out += b ? "true" : "false";
    return *this;
}

JsonWriter& JsonWriter::write_int(int64_t v) {
    before_value();
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    _out.append(buf, static_cast<size_t>(r.ptr - buf));
    return *this;
}

JsonWriter& JsonWriter::write_uint(uint64_t v) {
    before_value();
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    _out.append(buf, static_cast<size_t>(r.ptr - buf));
    return *this;
}

JsonWriter& JsonWriter::value(double d) {
    before_value();
    json_append_double(_out, d);
    return *this;
}

JsonWriter& JsonWriter::null() {
    before_value();
    _out += "null";
    return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
    before_value();
    _out += json.empty() ? std::string_view("null") : json;
    return *this;
}

}  // namespace ec::rt
