// The serving side of edge-gateway. main() parses arguments and loads the configuration, then hands over
// here.
#pragma once

#include "gateway/config.h"

namespace ec::gw {

// Runs the gateway until shutdown; returns the process exit code.
int run_gateway(const Config& config);

}  // namespace ec::gw
