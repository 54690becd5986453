// Standard HTTP reason phrases, the same table as Go's http.StatusText (used for status-action bodies and the
// -t report).
#pragma once

#include <string_view>

namespace ec::gw {

// "" for an unknown code.
std::string_view status_text(int code);

}  // namespace ec::gw
