// POST /render's JSON body (reference F-RS-02) -> RenderRequest, with the service's limits applied.
//
// Fields: request_id (required), url (required, absolute http/https), tab_id (0 <= id < pool size when
// present), viewport_width/height (1..16384; absent or 0 = 1920x1080), user_agent, timeout and extra_wait
// (integer nanoseconds, or Go duration strings such as "15s"; timeout <= 0 or absent = 30 s; both capped at
// chrome.render.max_timeout), wait_for (DOMContentLoaded | load | networkIdle | networkAlmostIdle; absent =
// networkIdle), blocked_patterns, blocked_resource_types (string lists), include_har, strip_scripts
// (default true), headers (object: name -> list of strings, or a single string). Unknown fields are
// ignored; null means absent. Every failure is a 400 with error_type invalid_url, as in the reference.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "render_types.h"

namespace ec::rs {

struct RequestLimits {
    int pool_size = 0;
    int64_t max_timeout_ns = 0;
};

inline constexpr size_t kMaxRequestBody = size_t{1024} * 1024;  // 1 MiB

// Fills `out` and returns true, or returns false with `error` saying what is wrong. `out.request_id` is
// set as soon as it was read, so error answers can echo it.
bool parse_render_request(std::string_view body, const RequestLimits& limits, RenderRequest& out,
                          std::string& error);

// True for an absolute http:// or https:// URL with a non-empty host (case-insensitive scheme).
bool is_renderable_url(std::string_view url);

}  // namespace ec::rs
