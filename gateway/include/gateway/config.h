// The loaded edge-gateway configuration: effective global settings (defaults applied) and the compiled
// per-host Policy. Produced by load_config(); immutable afterwards.
//
// The cache daemon reuses this library. It performs no network I/O and starts nothing: it reads the YAML
// files (and checks that configured TLS files exist), nothing else.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gateway/config_model.h"
#include "gateway/diagnostics.h"
#include "gateway/duration.h"
#include "gateway/listen_address.h"
#include "gateway/policy.h"

namespace ec::gw {

enum class SelectionStrategy : std::uint8_t { least_loaded, most_available };

struct RotationSettings {
    int max_size_mb = 0;  // 0 = library default
    int max_age_days = 0;
    int max_backups = 0;
    bool compress = false;
};

struct Config {
    std::string path;  // main file as given
    std::string dir;   // its directory ("." when none)
    std::vector<std::string> host_files;
    std::string eg_id;  // "" when not set (runtime id "default")

    struct Server {
        ListenAddress listen;
        std::string listen_text;
        Duration timeout{0};
        struct Tls {
            bool enabled = false;
            ListenAddress listen;
            std::string listen_text;
            std::string cert_file;  // resolved against the config directory, symlinks followed
            std::string key_file;
        } tls;
    } server;

    struct Internal {
        bool enabled = false;  // off when neither listen nor auth_key is set and sharding is off
        ListenAddress listen;
        std::string listen_text;
        std::string auth_key;
    } internal;

    struct Redis {
        std::string addr;
        std::string password;
        int db = 0;
    } redis;

    struct Storage {
        std::string base_path;  // as written; made absolute at start-up by the binary
        Compression compression = Compression::snappy;
        struct Cleanup {
            bool configured = false;
            bool enabled = false;
            Duration interval{0};
            Duration safety_margin{0};
        } cleanup;
    } storage;

    SelectionStrategy selection_strategy = SelectionStrategy::least_loaded;

    struct Log {
        std::string level = "info";
        struct Console {
            bool enabled = true;
            std::string format = "console";
            std::string level;  // "" = log.level
        } console;
        struct File {
            bool enabled = false;
            std::string path;
            std::string format = "text";
            std::string level;
            RotationSettings rotation;
        } file;
    } log;

    struct Metrics {
        bool enabled = false;
        ListenAddress listen;
        std::string listen_text;
        std::string path = "/metrics";
        std::string namespace_;         // "" = none (names start "eg_")
    } metrics;

    struct EventLog {
        bool enabled = false;
        std::string path;
        std::string template_;  // default template applied when empty
        RotationSettings rotation;
    } event_logging;

    struct Sharding {
        bool enabled = false;
        int replication_factor = 2;
        DistributionStrategy strategy = DistributionStrategy::hash_modulo;
        bool push_on_render = true;
        bool replicate_on_pull = true;
    } sharding;

    std::vector<std::string> client_ip_headers;  // global list

    Policy policy;
};

// The default access-log template (F-GW-39).
inline constexpr std::string_view k_default_event_template =
    "{timestamp}\t{host}\t{url}\t{status_code}\t{event_type}\t{source}\t{serve_time}\t{render_time}\t{cache_"
    "age}\t{"
    "client_ip}";

struct LoadOptions {
    // Looks environment variables up for ${VAR} in render_key, internal.auth_key and redis.password.
    // Defaults to the process environment.
    std::function<bool(const std::string& name, std::string& value)> env;
};

struct LoadResult {
    std::unique_ptr<Config> config;  // null when there are errors
    Diagnostics diagnostics;         // every error and warning, in file order
    model::Global global;            // the raw model, for tools and tests
    std::vector<model::Host> hosts;
};

// Loads edge-gateway.yaml and every host file named by hosts.include, validates everything and compiles the
// policy. All errors are collected (not only the first).
LoadResult load_config(const std::string& path, const LoadOptions& options = {});

}  // namespace ec::gw
