// Reading edge-gateway.yaml and host files into the raw model (private to the config library).
#pragma once

#include <string>
#include <vector>

#include "gateway/config_model.h"
#include "yaml_reader.h"

namespace ec::gw::detail {

// Parses the main file. Returns false when the file cannot be read or is not valid YAML (reported).
bool parse_global_file(const std::string& path, model::Global& out, ReadContext& ctx);

// Parses one host file, appending its hosts. Returns false when unreadable / invalid YAML (reported).
bool parse_hosts_file(const std::string& path, std::vector<model::Host>& out, ReadContext& ctx);

}  // namespace ec::gw::detail
