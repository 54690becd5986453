// Every validation rule and warning of the reference (private to the config library).
#pragma once

#include <string>
#include <vector>

#include "gateway/config_model.h"
#include "gateway/diagnostics.h"
#include "yaml_reader.h"

namespace ec::gw::detail {

// The render timeout a host gets when neither it nor the global render section sets one (DECISIONS A-02).
inline constexpr Duration k_default_render_timeout = std::chrono::seconds(30);

// Effective host render timeout: host value, else global value, else 30 s.
Duration effective_host_render_timeout(const model::Global& g, const model::Host& h);

// True when `name` is a valid HTTP header field name (RFC 7230 token); otherwise sets *why.
bool valid_header_name(std::string_view name, std::string* why);

// Checks the whole configuration. `config_dir` resolves TLS file paths.
void validate_config(const model::Global& g, const std::vector<model::Host>& hosts,
                     const std::string& config_dir, Diagnostics& diag, const EnvLookup& env);

}  // namespace ec::gw::detail
