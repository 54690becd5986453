// What POST /render answers (docs/render-protocol.md).
//
//  - success: 200, application/octet-stream, body = uint32 big-endian N, N bytes of metadata JSON, then the
//    raw HTML bytes (never re-encoded);
//  - render failure: 200, application/json, body = the metadata JSON with success false;
//  - 400 / 503 / 504: application/json, body = the metadata JSON with success false and error/error_type.
//
// Metadata keys keep the reference's names: request_id, success, error?, error_type?, render_time (ns),
// html_size, timestamp (RFC 3339 UTC), chrome_id?, metrics?, headers?, har? (embedded JSON), page_seo?.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "render_types.h"

namespace ec::rs {

inline constexpr size_t kMaxHtmlBytes = size_t{20} * 1024 * 1024;  // 20 MiB (F-RS-18)

// Go's time.RFC3339Nano in UTC: "2026-11-21T18:27:54.123456789Z", trailing zeros of the fraction dropped.
std::string rfc3339_utc(int64_t unix_ns);

// The metadata JSON of a finished render (success or render failure). `req` supplies the echoed request
// settings in metrics (wait_for_event, extra_wait, timeout, viewport_width, viewport_height).
void write_result_metadata(std::string& out, const RenderResult& r, const RenderRequest& req,
                           int64_t timestamp_ns);

// 4-byte big-endian length + metadata + HTML, in one buffer.
std::string frame_success(const RenderResult& r, const RenderRequest& req, int64_t timestamp_ns);

// The JSON body of an answer without a render result (400, 503 before a render started).
std::string error_json(std::string_view request_id, std::string_view error, std::string_view error_type,
                       int64_t timestamp_ns);

// Splits a framed body back into metadata and HTML (tests and clients). False when malformed.
bool unframe(std::string_view body, std::string_view& metadata, std::string_view& html);

}  // namespace ec::rs
