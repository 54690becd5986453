// Standard HTTP reason phrases: the same table as Go's http.StatusText (the gateway's
// status-action bodies and -t report must match the original byte for byte). I/O-free:
// part of the runtime_config library.
#pragma once

#include <string_view>

namespace ec::rt {

// "" for an unknown code.
std::string_view http_status_text(int code) noexcept;

}  // namespace ec::rt
