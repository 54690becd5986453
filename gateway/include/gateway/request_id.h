// Request IDs (reference F-GW-03).
//
// A client X-Request-ID is sanitised (spaces → '-', only [A-Za-z0-9-] kept, runs of '-' collapsed, leading
// and trailing '-' trimmed, at most 30 characters) and prefixed with 5 random lower-case hex digits and '-'.
// When the header is absent or nothing survives, the ID is a random UUID v4. Randomness is passed in so the
// caller owns the generator (per core) and tests are deterministic. Nothing allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ec::gw {

inline constexpr std::size_t k_max_request_id = 36;

// Writes the sanitised client value (no prefix) to out; returns its length (0 = nothing usable).
std::size_t sanitize_request_id(std::string_view client_value, char out[30]);

// Writes the final request ID to out and returns its length (<= 36). r1/r2 are random bits.
std::size_t make_request_id(std::string_view client_value, std::uint64_t r1, std::uint64_t r2,
                            char out[k_max_request_id]);

}  // namespace ec::gw
