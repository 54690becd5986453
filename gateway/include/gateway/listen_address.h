// Listen addresses as accepted by the configuration (reference C-03). The parser is the runtime's
// domain-free one (runtime/listen_address.h); these names keep the gateway's spelling.
#pragma once

#include "runtime/listen_address.h"

namespace ec::gw {

using rt::ListenAddress;
using rt::parse_listen_address;

}  // namespace ec::gw
