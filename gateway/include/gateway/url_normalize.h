// URL normalization and cache-key hashing, byte for byte as the original (reference F-GW-13, DECISIONS A-43,
// golden vectors in edgecomet-internals.md §10).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/go_url.h"

namespace ec::gw {

class Pattern;

// Reusable buffers for normalization. reserve() once per worker; afterwards normalizing a URL of up to
// `max_url` bytes performs no allocation.
struct NormalizeScratch {
    std::string input;  // "https://" + url when the scheme is missing
    gourl::UrlBuffers url_buffers;
    gourl::Url url;
    std::string decode;  // per-pair decode buffer
    std::string store;   // decoded query keys/values
    struct PairRef {
        std::uint32_t key_off, key_len, value_off, value_len, index;
    };
    std::vector<PairRef> pairs;
    std::vector<std::uint32_t> segments;     // path segment (offset,len) pairs
    std::string path;                        // normalized decoded path
    std::vector<std::string_view> stripped;  // names of stripped tracking parameters (views into `store`)

    void reserve(std::size_t max_url = 8192);
};

// Normalizes `raw` (prefixing "https://" when it has no "://" and does not start with "//"), stripping query
// parameters whose decoded name matches any of `strip` (stripping is "active" when `strip` is non-empty,
// which re-encodes the query even if nothing matched, like the original). Writes the result to `out` (cleared
// first). Returns an empty view on success, else the reason (the caller answers 400 "Failed to normalize URL:
// ...").
std::string_view normalize_url(std::string_view raw, std::span<const Pattern* const> strip,
                               NormalizeScratch& s, std::string& out);

// Same, for a URL already parsed into s.url / s.url_buffers (saves a second parse on the request path).
std::string_view normalize_parsed(const gourl::Url& url, std::span<const Pattern* const> strip,
                                  NormalizeScratch& s, std::string& out);

// XXH64 (seed 0) of the normalized URL.
std::uint64_t url_hash(std::string_view normalized);

// 16 lower-case hex digits, zero-padded (%016x). Writes exactly 16 chars to out.
void format_hash_hex(std::uint64_t hash, char out[16]);
std::string hash_hex(std::uint64_t hash);

}  // namespace ec::gw
