// `edge-gateway -t [URL]` (reference F-GW-40): validate everything, including the storage write test, and
// optionally report how one URL would be handled. Lives beside the binary, not in the I/O-free config
// library, because the storage test creates and writes files.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "gateway/config.h"

namespace ec::gw {

// storage.base_path is made absolute (against the working directory, like the original), created if missing
// and write/read-tested. Returns "" on success, else the reason.
std::string check_storage_path(const std::string& base_path);

// Runs the test. Output goes to `out`, internal failures to `err`. Returns the process exit code (0 / 1).
int run_config_test(const std::string& config_path, const std::optional<std::string>& url, std::ostream& out,
                    std::ostream& err, const LoadOptions& options = {});

// The per-URL report alone (after a successful load).
int print_url_report(const Config& cfg, const std::string& url, std::ostream& out);

}  // namespace ec::gw
