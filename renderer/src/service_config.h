// render-service.yaml: the reference's schema (F-RS-01) plus our extensions, read strictly (unknown keys
// are errors with `file:line` and a did-you-mean), validated with every problem collected.
//
// Keys (defaults in brackets; * = our extension, see docs/configuration.md):
//   server.id (required), server.listen (required), server.advertise*
//   redis.addr (required), redis.password [""] (${ENV} expanded), redis.db [0]
//   chrome.pool_size (required: "auto" | positive int, number or string), chrome.binary*,
//   chrome.extra_flags*, chrome.processes* [0 = engine decides], chrome.warmup.url (required; "" = no
//   warm-up), chrome.warmup.timeout (required), chrome.restart.after_count [100], chrome.restart.after_time
//   [60m], chrome.restart.max_rss* [0 = off], chrome.render.max_timeout (required), chrome.render.queue_size*
//   [= pool size]
//   log.level (required), log.console.{enabled,format,level}, log.file.{enabled,path,format,level,
//   rotation.{max_size,max_age,max_backups,compress}}
//   metrics.{enabled [false], listen (required when enabled), path [/metrics], namespace [""]}
//
// No network I/O: only the file itself, /proc/meminfo and the cgroup memory limit (pool_size "auto"), and
// an access() check of chrome.binary.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine_options.h"
#include "runtime/config_diagnostics.h"
#include "runtime/duration.h"
#include "runtime/listen_address.h"

namespace ec::rs {

inline constexpr const char* kDefaultConfigPath = "configs/render-service.yaml";

struct LogOutputConfig {
    bool enabled = false;
    std::string format;  // console: "console" | "json"; file: "text" | "json"
    std::string level;   // "" = log.level
    std::string path;    // file only
};

struct ServiceConfig {
    std::string path;  // the file as given

    std::string server_id;
    rt::ListenAddress listen;
    std::string listen_text;
    // Published in Redis for gateways to dial: server.advertise, else the host of server.listen (0.0.0.0
    // when it has none, as the original does; a warning says so).
    std::string advertise_host;
    int advertise_port = 0;

    struct Redis {
        std::string addr;
        std::string password;
        int db = 0;
    } redis;

    bool pool_auto = false;
    EngineOptions engine;  // pool_size, chrome_binary, extra_flags, processes, warmup, restart, max_timeout
    int queue_size = 0;    // renders allowed to wait for a free slot beyond pool_size

    struct Log {
        std::string level = "info";
        LogOutputConfig console{true, "console", "", ""};
        LogOutputConfig file{false, "text", "", ""};
    } log;

    struct Metrics {
        bool enabled = false;
        rt::ListenAddress listen;
        std::string listen_text;
        std::string path = "/metrics";
        std::string namespace_;
    } metrics;
};

struct LoadOptions {
    // ${VAR} lookups for redis.password; default: the process environment.
    std::function<bool(const std::string& name, std::string& value)> env;
    // Total memory in bytes for pool_size "auto" (0 = unknown); default: detect_memory_bytes().
    std::function<uint64_t()> total_memory;
};

struct LoadResult {
    std::unique_ptr<ServiceConfig> config;  // null when there are errors
    rt::Diagnostics diagnostics;            // every error and warning, in file order
};

LoadResult load_service_config(const std::string& path, const LoadOptions& options = {});

// pool_size "auto": (total RAM - 2 GiB) / 500 MiB, clamped to 2..50; 8 GiB assumed when unknown (0).
int auto_pool_size(uint64_t total_memory_bytes);

// min(MemTotal, cgroup v2/v1 memory limit) in bytes; 0 when unknown.
uint64_t detect_memory_bytes();

// "1500MB", "2GiB", "512KiB", "1G", or a plain number of bytes. nullopt on anything else.
std::optional<uint64_t> parse_byte_size(std::string_view text);

}  // namespace ec::rs
