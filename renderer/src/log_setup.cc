#include "log_setup.h"

namespace ec::rs {

std::string configure_logger(rt::log::Logger& logger, const ServiceConfig::Log& cfg) {
    using rt::log::Format;
    auto level = [&](const std::string& override_level) {
        return rt::log::parse_level(override_level.empty() ? cfg.level : override_level)
            .value_or(rt::log::Level::info);
    };
    logger.clear_sinks();
    if (cfg.console.enabled) {
        logger.add_fd(2, cfg.console.format == "json" ? Format::json : Format::text,
                      level(cfg.console.level));
    }
    if (cfg.file.enabled) {
        std::string why = logger.add_file(
            cfg.file.path, cfg.file.format == "json" ? Format::json : Format::text, level(cfg.file.level));
        if (!why.empty()) {
            // Never lose the reason: fall back to stderr so the error itself is seen.
            if (!cfg.console.enabled) logger.add_fd(2, Format::json, level({}));
            return why;
        }
    }
    return {};
}

void forward_engine_line(rt::log::Logger& logger, std::string_view json_line) {
    rt::log::Level l = rt::log::Level::info;
    constexpr std::string_view kLevelKey = R"("level":")";
    if (auto p = json_line.find(kLevelKey); p != std::string_view::npos) {
        auto start = p + kLevelKey.size();
        auto end = json_line.find('"', start);
        if (end != std::string_view::npos) {
            l = rt::log::parse_level(json_line.substr(start, end - start)).value_or(rt::log::Level::info);
        }
    }
    logger.raw(l, json_line);
}

}  // namespace ec::rs
