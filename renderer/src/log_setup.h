// Applies log.* of render-service.yaml to a Logger: console -> stderr ("console" = text layout, "json"),
// file -> appended file ("text" | "json"), per-output level overrides. Rotation keys are accepted for
// compatibility; rotation itself is left to logrotate (SIGHUP reopens the file).
#pragma once

#include <string>
#include <string_view>

#include "runtime/log.h"
#include "service_config.h"

namespace ec::rs {

// Returns "" or why an output could not be set up (the file cannot be opened).
std::string configure_logger(rt::log::Logger& logger, const ServiceConfig::Log& cfg);

// Routes one line of the engine's own JSON encoder (EngineOptions::log) into `logger`, keeping its level.
void forward_engine_line(rt::log::Logger& logger, std::string_view json_line);

}  // namespace ec::rs
