// Structured log lines of the render engine: one JSON object per event, handed to the
// service's log sink (EngineOptions::log) or written to stderr.
#pragma once

#include <cstdio>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "cdp_json.h"

namespace ec::rs {

class EngineLog {
  public:
    using Field = std::pair<std::string_view, std::string_view>;

    explicit EngineLog(std::function<void(std::string_view)> sink = {}) : _sink(std::move(sink)) {}

    void write(std::string_view level, std::string_view msg, std::initializer_list<Field> fields = {}) const {
        std::string line = R"({"level":)";
        json_append_string(line, level);
        line += R"(,"component":"render-engine","msg":)";
        json_append_string(line, msg);
        for (const auto& [k, v] : fields) {
            line.push_back(',');
            json_append_string(line, k);
            line.push_back(':');
            json_append_string(line, v);
        }
        line.push_back('}');
        if (_sink) {
            _sink(line);
        } else {
            line.push_back('\n');
            std::fwrite(line.data(), 1, line.size(), stderr);
        }
    }
    void info(std::string_view msg, std::initializer_list<Field> f = {}) const { write("info", msg, f); }
    void warn(std::string_view msg, std::initializer_list<Field> f = {}) const { write("warn", msg, f); }
    void error(std::string_view msg, std::initializer_list<Field> f = {}) const { write("error", msg, f); }

  private:
    std::function<void(std::string_view)> _sink;
};

}  // namespace ec::rs
