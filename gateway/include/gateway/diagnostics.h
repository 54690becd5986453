// Configuration errors and warnings, each naming the file and line it comes from. The types are the
// runtime's domain-free ones (runtime/config_diagnostics.h); these names keep the gateway's spelling.
#pragma once

#include "runtime/config_diagnostics.h"

namespace ec::gw {

using rt::Diagnostic;
using rt::Diagnostics;
using rt::format_diagnostic;
using rt::format_diagnostic_for_listing;

}  // namespace ec::gw
