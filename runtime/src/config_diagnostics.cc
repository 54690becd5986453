#include "runtime/config_diagnostics.h"

namespace ec::rt {

std::string format_diagnostic(const Diagnostic& d) {
    if (d.line > 0) return d.file + ":" + std::to_string(d.line) + ": " + d.message;
    return d.file + ": " + d.message;
}

std::string format_diagnostic_for_listing(const Diagnostic& d) {
    if (d.line > 0) return d.file + " line " + std::to_string(d.line) + ": " + d.message;
    return d.file + ": " + d.message;
}

}  // namespace ec::rt
