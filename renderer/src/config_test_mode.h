// `render-service -t`: validate the configuration and exit, in the gateway's -t format:
//
//   configuration file <path> syntax is ok
//   [Configuration warnings (N):
//   - <file> line N: <message>]
//   configuration test is successful                     exit 0
//
//   Configuration validation FAILED:
//   - <file> line N: <message>                           exit 1
#pragma once

#include <ostream>
#include <string>

#include "service_config.h"

namespace ec::rs {

int run_config_test(const std::string& config_path, std::ostream& out, std::ostream& err,
                    const LoadOptions& options = {});

}  // namespace ec::rs
