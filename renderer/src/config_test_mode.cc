#include "config_test_mode.h"

#include <filesystem>

namespace ec::rs {

int run_config_test(const std::string& config_path, std::ostream& out, std::ostream& err,
                    const LoadOptions& options) {
    std::error_code ec;
    if (!std::filesystem::exists(config_path, ec)) {
        err << "Validation error: failed to load config: config file not found: " << config_path << "\n";
        return 1;
    }
    LoadResult r = load_service_config(config_path, options);
    if (r.diagnostics.has_errors()) {
        out << "Configuration validation FAILED:\n";
        for (const auto& e : r.diagnostics.errors())
            out << "- " << rt::format_diagnostic_for_listing(e) << "\n";
        return 1;
    }
    out << "configuration file " << config_path << " syntax is ok\n";
    const auto& warnings = r.diagnostics.warnings();
    if (!warnings.empty()) {
        out << "\nConfiguration warnings (" << warnings.size() << "):\n";
        for (const auto& w : warnings)
            out << "- " << rt::format_diagnostic_for_listing(w) << "\n";
        out << "\n";
    }
    out << "configuration test is successful\n";
    return 0;
}

}  // namespace ec::rs
