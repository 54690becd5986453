// Strict reading of YAML mappings into model::Setting fields (private to the config library). The reader is
// the runtime's domain-free one (runtime/yaml_strict.h); these names keep the config library's spelling.
#pragma once

#include "gateway/config_model.h"
#include "gateway/diagnostics.h"
#include "runtime/yaml_strict.h"

namespace ec::gw::detail {

using rt::yaml::EnvLookup;
using rt::yaml::line_of;
using rt::yaml::MapReader;
using rt::yaml::ReadContext;
using rt::yaml::scalar_to_bool;
using rt::yaml::scalar_to_int;
using rt::yaml::substitute_env;

}  // namespace ec::gw::detail
