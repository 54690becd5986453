// Durations as written in EdgeComet configuration files (reference C-02). The parser is the runtime's
// domain-free one (runtime/duration.h); these names keep the gateway's spelling.
#pragma once

#include "runtime/duration.h"

namespace ec::gw {

using rt::Duration;
using rt::go_duration_string;
using rt::parse_duration;

}  // namespace ec::gw
