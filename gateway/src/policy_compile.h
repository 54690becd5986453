// Turning a validated model into the effective Config and its Policy (private to the config library).
#pragma once

#include <string>
#include <vector>

#include "gateway/config.h"
#include "gateway/config_model.h"

namespace ec::gw::detail {

// The original's built-in tracking parameters (F-GW-14).
inline constexpr const char* k_default_tracking_params[] = {
    "utm_source", "utm_content", "utm_medium", "utm_campaign", "utm_term", "gclid", "fbclid",  "msclkid",
    "_ga",        "_gl",         "mc_cid",     "mc_eid",       "_ke",      "ref",   "referrer"};

inline constexpr const char* k_default_safe_response_headers[] = {
    "Content-Type", "Cache-Control", "Expires", "Last-Modified", "ETag", "Location"};

inline constexpr const char* k_default_bypass_user_agent = "Mozilla/5.0 (compatible; EdgeComet/1.0)";
inline constexpr const char* k_bypass_dimension_render_ua =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

// Fills `cfg` from a model that passed validation. Returns false (with errors in diag) if something still
// cannot be compiled.
bool compile_config(const model::Global& g, const std::vector<model::Host>& hosts, Config& cfg,
                    Diagnostics& diag);

}  // namespace ec::gw::detail
