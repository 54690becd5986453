// Standard HTTP reason phrases (Go's http.StatusText), used for status-action bodies and the
// -t report. The table lives in the runtime (runtime/http_status.h), shared with the HTTP server.
#pragma once

#include <string_view>

#include "runtime/http_status.h"

namespace ec::gw {

// "" for an unknown code.
inline std::string_view status_text(int code) {
    return rt::http_status_text(code);
}

}  // namespace ec::gw
