// The configuration exactly as written: every key of edge-gateway.yaml and the host files, with "not set"
// kept distinct from "set to the zero value" and the line each value came from. The loader fills it, the
// validator checks it, and policy compilation turns it into the per-host decision structures (policy.h).
//
// Levels: G = global (edge-gateway.yaml), H = host, R = URL rule. Sections shared between levels use one
// struct; keys a level does not allow are simply never read there (and so rejected as unknown keys).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/duration.h"
#include "runtime/config_setting.h"

namespace ec::gw::model {

// A value as written, with its line (runtime/config_setting.h).
template <class T>
using Setting = rt::Setting<T>;

using StringList = std::vector<std::string>;
using IntList = std::vector<std::int64_t>;

struct CacheExpired {  // G,H,R render.cache.expired / bypass.cache.expired
    int line = 0;
    Setting<std::string> strategy;  // delete | serve_stale
    Setting<Duration> stale_ttl;
};

struct RenderCache {  // G,H,R
    int line = 0;
    Setting<Duration> ttl;
    Setting<IntList> status_codes;
    std::optional<CacheExpired> expired;
};

struct RenderEvents {  // G,H,R
    int line = 0;
    Setting<std::string> wait_for;
    Setting<Duration> additional_wait;
};

struct Render {
    int line = 0;
    Setting<Duration> timeout;       // G (DECISIONS A-02), H, R
    Setting<std::string> dimension;  // R only
    std::optional<RenderEvents> events;
    std::optional<RenderCache> cache;
    Setting<StringList> blocked_resource_types;
    Setting<StringList> blocked_patterns;
    Setting<bool> strip_scripts;
};

struct BypassCache {  // G,H,R
    int line = 0;
    Setting<bool> enabled;
    Setting<Duration> ttl;
    Setting<IntList> status_codes;
    std::optional<CacheExpired> expired;
};

struct Bypass {
    int line = 0;
    Setting<bool> enabled;  // H only; parsed and unused, as in the original
    Setting<Duration> timeout;
    Setting<std::string> user_agent;
    Setting<bool> ssrf_protection;   // G only
    Setting<StringList> ssrf_allow;  // G only (DECISIONS A-38)
    std::optional<BypassCache> cache;
};

struct TrackingParams {  // G,H,R
    int line = 0;
    Setting<bool> strip;
    Setting<StringList> params;
    Setting<StringList> params_add;
};

struct BothitRecache {  // G,H,R
    int line = 0;
    Setting<bool> enabled;
    Setting<Duration> interval;
    Setting<StringList> match_ua;
};

struct CacheSharding {  // G,H,R
    int line = 0;
    Setting<bool> enabled;
    Setting<std::int64_t> replication_factor;
    Setting<std::string> distribution_strategy;
    Setting<bool> push_on_render;
    Setting<bool> replicate_on_pull;
};

struct Headers {  // G,H,R; `safe_headers` at the same level is an alias of safe_response (DECISIONS A-03)
    int line = 0;
    Setting<StringList> safe_request;
    Setting<StringList> safe_request_add;
    Setting<StringList> safe_response;
    Setting<StringList> safe_response_add;
};

struct ClientIp {  // G,H
    int line = 0;
    Setting<StringList> headers;
};

struct Dimension {  // G,H
    std::string name;
    int line = 0;
    Setting<std::int64_t> id;
    Setting<std::string> action;  // render (default) | block | bypass
    Setting<std::int64_t> width;
    Setting<std::int64_t> height;
    Setting<std::string> render_ua;
    Setting<StringList> match_ua;
};

struct Status {  // R
    int line = 0;
    Setting<std::int64_t> code;
    Setting<std::string> reason;
    std::vector<std::pair<std::string, std::string>> headers;  // in file order
    int headers_line = 0;
};

struct MatchQuery {
    std::string key;
    int line = 0;
    StringList values;  // a single string becomes one value
};

struct UrlRule {
    int line = 0;
    StringList match;  // a single string becomes one pattern
    int match_line = 0;
    bool match_present = false;
    Setting<std::string> action;
    std::vector<MatchQuery> match_query;
    bool has_match_query = false;
    int match_query_line = 0;
    std::optional<Render> render;
    std::optional<Bypass> bypass;
    std::optional<Status> status;
    std::optional<TrackingParams> tracking_params;
    std::optional<CacheSharding> cache_sharding;
    std::optional<BothitRecache> bothit_recache;
    std::optional<Headers> headers;
};

struct Host {
    std::string file;  // host file it came from
    int index = 0;     // position inside that file's hosts list
    int line = 0;
    Setting<std::int64_t> id;
    std::vector<std::string> domains;  // trimmed, one trailing '.' removed
    int domain_line = 0;
    bool domain_present = false;
    Setting<std::string> render_key;
    Setting<bool> enabled;
    Setting<std::string> unmatched_dimension;
    std::optional<std::vector<Dimension>> dimensions;  // in file order; empty map = inherit
    int dimensions_line = 0;
    std::optional<Render> render;
    std::optional<Bypass> bypass;
    std::optional<TrackingParams> tracking_params;
    std::optional<BothitRecache> bothit_recache;
    std::optional<CacheSharding> cache_sharding;
    std::optional<Headers> headers;
    std::optional<ClientIp> client_ip;
    std::vector<UrlRule> url_rules;

    // Primary domain for messages ("" when none).
    std::string primary_domain() const { return domains.empty() ? std::string() : domains.front(); }
};

struct Rotation {
    int line = 0;
    Setting<std::int64_t> max_size;
    Setting<std::int64_t> max_age;
    Setting<std::int64_t> max_backups;
    Setting<bool> compress;
};

struct Global {
    std::string file;

    struct Tls {
        int line = 0;
        Setting<bool> enabled;
        Setting<std::string> listen;
        Setting<std::string> cert_file;
        Setting<std::string> key_file;
    };
    struct Server {
        int line = 0;
        Setting<std::string> listen;
        Setting<Duration> timeout;
        std::optional<Tls> tls;
    } server;

    struct Internal {
        int line = 0;
        Setting<std::string> listen;
        Setting<std::string> auth_key;
    } internal;
    bool internal_present = false;

    Setting<std::string> eg_id;

    struct Redis {
        int line = 0;
        Setting<std::string> addr;
        Setting<std::string> password;
        Setting<std::int64_t> db;
    } redis;

    struct Cleanup {
        int line = 0;
        Setting<bool> enabled;
        Setting<Duration> interval;
        Setting<Duration> safety_margin;
    };
    struct Storage {
        int line = 0;
        Setting<std::string> base_path;
        Setting<std::string> compression;
        std::optional<Cleanup> cleanup;
    } storage;

    std::optional<Render> render;
    std::optional<Bypass> bypass;
    Setting<std::string> unmatched_dimension;
    std::optional<std::vector<Dimension>> dimensions;
    int dimensions_line = 0;

    struct Registry {
        int line = 0;
        Setting<std::string> selection_strategy;
    } registry;

    struct LogOutput {
        int line = 0;
        Setting<bool> enabled;
        Setting<std::string> path;  // file only
        Setting<std::string> format;
        Setting<std::string> level;
        std::optional<Rotation> rotation;  // file only
    };
    struct Log {
        int line = 0;
        Setting<std::string> level;
        LogOutput console;
        LogOutput file;
    } log;

    struct Metrics {
        int line = 0;
        Setting<bool> enabled;
        Setting<std::string> listen;
        Setting<std::string> path;
        Setting<std::string> namespace_;
    } metrics;

    std::optional<TrackingParams> tracking_params;
    std::optional<BothitRecache> bothit_recache;
    std::optional<CacheSharding> cache_sharding;
    std::optional<Headers> headers;
    std::optional<ClientIp> client_ip;

    struct EventFile {
        int line = 0;
        Setting<bool> enabled;
        Setting<std::string> path;
        Setting<std::string> template_;
        std::optional<Rotation> rotation;
    };
    struct EventLogging {
        int line = 0;
        EventFile file;
    };
    std::optional<EventLogging> event_logging;

    struct Hosts {
        int line = 0;
        Setting<std::string> include;
    } hosts;
};

}  // namespace ec::gw::model
