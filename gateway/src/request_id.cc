#include "gateway/request_id.h"

namespace ec::gw {
namespace {

constexpr char k_hex[] = "0123456789abcdef";

bool keep(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

}  // namespace

std::size_t sanitize_request_id(std::string_view in, char out[30]) {
    // Collapse and trim while copying: a '-' is only written when a kept character follows it.
    std::size_t n = 0;
    bool pending_dash = false;
    for (char c : in) {
        if (c == ' ') c = '-';
        if (!keep(c)) continue;
        if (c == '-') {
            pending_dash = n > 0;
            continue;
        }
        if (pending_dash) {
            if (n == 30) break;
            out[n++] = '-';
            pending_dash = false;
        }
        if (n == 30) break;
        out[n++] = c;
    }
    return n;
}

std::size_t make_request_id(std::string_view client_value, std::uint64_t r1, std::uint64_t r2,
                            char out[k_max_request_id]) {
    char clean[30];
    std::size_t n = client_value.empty() ? 0 : sanitize_request_id(client_value, clean);
    if (n > 0) {
        for (int i = 0; i < 5; ++i)
            out[i] = k_hex[(r1 >> (4 * i)) & 15];
        out[5] = '-';
        for (std::size_t i = 0; i < n; ++i)
            out[6 + i] = clean[i];
        return 6 + n;
    }
    // UUID v4: 8-4-4-4-12, version nibble 4, variant 10xx.
    unsigned char b[16];
    for (int i = 0; i < 8; ++i)
        b[i] = static_cast<unsigned char>(r1 >> (8 * i));
    for (int i = 0; i < 8; ++i)
        b[8 + i] = static_cast<unsigned char>(r2 >> (8 * i));
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
    std::size_t w = 0;
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out[w++] = '-';
        out[w++] = k_hex[b[i] >> 4];
        out[w++] = k_hex[b[i] & 15];
    }
    return w;
}

}  // namespace ec::gw
