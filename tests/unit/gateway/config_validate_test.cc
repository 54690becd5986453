// Every validation rule and warning of the reference, one case each.
#include <gtest/gtest.h>

#include "test_support.h"

namespace ec::gw {
namespace {

using testing::host_yaml;
using testing::main_yaml;

std::string replaced(std::string s, std::string_view from, std::string_view to) {
    auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << "test bug: '" << from << "' not in template";
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
}

// A host list whose only host has the standard header lines plus `body` (4-space host keys).
std::string host_with(std::string_view body) {
    return std::string(
               "hosts:\n"
               "  - id: 1\n"
               "    domain: \"example.com\"\n"
               "    render_key: \"key1\"\n"
               "    enabled: true\n") +
           std::string(body);
}

const std::string k_dims =
    "    dimensions:\n"
    "      desktop:\n"
    "        id: 1\n"
    "        width: 1920\n"
    "        height: 1080\n"
    "        match_ua: [\"*Googlebot*\"]\n";

struct Case {
    const char* name;
    std::string main;
    std::string hosts;
    const char* needle;
    bool warning = false;
};

std::vector<Case> cases() {
    const std::string m = main_yaml();
    const std::string h = host_yaml();
    std::vector<Case> c;
    // --- server ---
    c.push_back(
        {"listen_required", replaced(m, "  listen: \":10070\"\n", ""), h, "server.listen is required"});
    c.push_back({"listen_invalid", replaced(m, "\":10070\"", "\":0\""), h,
                 "invalid server.listen: port must be between 1 and 65535, got 0"});
    c.push_back({"timeout_positive", replaced(m, "timeout: 120s", "timeout: 0s"), h,
                 "server.timeout must be positive, got 0s"});
    c.push_back(
        {"timeout_missing", replaced(m, "  timeout: 120s\n", ""), h, "server.timeout must be positive"});
    c.push_back({"timeout_low", replaced(m, "timeout: 120s", "timeout: 59s"), h,
                 "server.timeout (59s) is low. Recommended minimum is 60s", true});
    c.push_back({"timeout_high", replaced(m, "timeout: 120s", "timeout: 301s"), h,
                 "server.timeout (5m1s) is very high", true});
    c.push_back({"timeout_too_small_for_render", replaced(m, "timeout: 120s", "timeout: 60s"), h,
                 "server.timeout (1m0s) is too small. Required minimum: max_concurrent_wait (24s) + "
                 "max_host_render_timeout (30s) + overhead (10s) = 1m4s"});
    c.push_back({"suspicious_unit", replaced(m, "timeout: 120s", "timeout: 500us"), h,
                 "server.timeout value 500\xC2\xB5s is suspiciously small", true});
    // --- TLS ---
    c.push_back({"tls_listen_missing", m + "", h, nullptr});
    c.back().main = replaced(m, "  timeout: 120s\n", "  timeout: 120s\n  tls:\n    enabled: true\n");
    c.back().needle = "TLS enabled but tls.listen not specified";
    c.push_back({"tls_cert_missing", c.back().main, h, "TLS enabled but tls.cert_file not specified"});
    c.push_back({"tls_key_missing", c.back().main, h, "TLS enabled but tls.key_file not specified"});
    const std::string tls = replaced(m, "  timeout: 120s\n",
                                     "  timeout: 120s\n  tls:\n    enabled: true\n    listen: \":10070\"\n"
                                     "    cert_file: \"missing.pem\"\n    key_file: \"missing.key\"\n");
    c.push_back({"tls_cert_not_found", tls, h, "TLS cert_file not found: "});
    c.push_back({"tls_key_not_found", tls, h, "TLS key_file not found: "});
    c.push_back(
        {"tls_conflict_server", tls, h, "TLS listen port conflicts with server.listen: both use port 10070"});
    c.push_back({"tls_conflict_internal",
                 replaced(tls, "listen: \":10070\"\n    cert", "listen: \":10071\"\n    cert"), h,
                 "TLS listen port 10071 conflicts with internal_server.listen"});
    c.push_back({"tls_conflict_metrics",
                 replaced(tls, "listen: \":10070\"\n    cert", "listen: \":10079\"\n    cert") +
                     "metrics:\n  enabled: true\n  listen: \":10079\"\n",
                 h, "TLS listen port 10079 conflicts with metrics.port"});
    c.push_back({"tls_listen_invalid",
                 replaced(tls, "listen: \":10070\"\n    cert", "listen: \"nope\"\n    cert"), h,
                 "TLS listen address invalid: nope"});
    // --- redis ---
    c.push_back({"redis_addr", replaced(m, "  addr: \"localhost:6379\"\n", ""), h, "redis.addr is required"});
    c.push_back({"redis_db", replaced(m, "  addr: \"localhost:6379\"\n", "  addr: \"x:1\"\n  db: -1\n"), h,
                 "redis.db must be >= 0, got -1"});
    // --- metrics ---
    c.push_back({"metrics_listen_required", m + "metrics:\n  enabled: true\n", h,
                 "metrics.listen is required when metrics enabled"});
    c.push_back({"metrics_listen_invalid", m + "metrics:\n  enabled: true\n  listen: \"x:y\"\n", h,
                 "invalid metrics.listen: invalid port in listen address: y"});
    c.push_back({"metrics_same_port", m + "metrics:\n  enabled: true\n  listen: \"10070\"\n", h,
                 "metrics.listen port (10070) must differ from server.listen port (10070)"});
    c.push_back({"metrics_path", m + "metrics:\n  path: \"metrics\"\n", h,
                 "invalid metrics.path 'metrics' (must start with /)"});
    c.push_back({"metrics_namespace", m + "metrics:\n  namespace: \"1bad-ns\"\n", h,
                 "invalid metrics.namespace '1bad-ns' (must match [a-zA-Z_][a-zA-Z0-9_]*)"});
    // --- internal (A-28) ---
    const std::string no_internal =
        replaced(m, "internal:\n  listen: \":10071\"\n  auth_key: \"0123456789abcdef0123\"\n", "");
    c.push_back({"internal_off_warning", no_internal, h, "the internal server is off", true});
    c.push_back({"internal_key_required", replaced(m, "  auth_key: \"0123456789abcdef0123\"\n", ""), h,
                 "internal.auth_key is required when internal.listen is set"});
    c.push_back({"internal_listen_required", replaced(m, "  listen: \":10071\"\n", ""), h,
                 "internal.listen is required when internal.auth_key is set"});
    c.push_back(
        {"internal_listen_invalid", replaced(m, "\":10071\"", "\"a:b:c\""), h, "invalid internal.listen: "});
    c.push_back({"internal_same_port", replaced(m, "\":10071\"", "\":10070\""), h,
                 "internal.listen port (10070) must differ from server.listen port (10070)"});
    c.push_back({"internal_short_key", replaced(m, "0123456789abcdef0123", "short"), h,
                 "internal.auth_key is short (5 chars), recommend 32+ characters for security", true});
    c.push_back({"internal_required_with_sharding",
                 no_internal + "eg_id: \"eg-1\"\ncache_sharding:\n  enabled: true\n", h,
                 "internal.listen is required when cache_sharding.enabled=true"});
    // --- registry / log ---
    c.push_back(
        {"registry", m + "registry:\n  selection_strategy: \"fastest\"\n", h,
         "invalid registry.selection_strategy 'fastest', must be 'least_loaded' or 'most_available'"});
    c.push_back({"log_level", m + "log:\n  level: \"verbose\"\n", h,
                 "invalid log.level 'verbose' (must be debug, info, warn, error, dpanic, panic, or fatal)"});
    c.push_back({"log_console_level", m + "log:\n  console:\n    level: \"x\"\n", h,
                 "invalid log.console.level 'x'"});
    c.push_back({"log_file_level", m + "log:\n  file:\n    level: \"x\"\n", h, "invalid log.file.level 'x'"});
    c.push_back({"log_console_format", m + "log:\n  console:\n    enabled: true\n    format: \"xml\"\n", h,
                 "invalid log.console.format 'xml' (must be json or console)"});
    c.push_back({"log_file_path", m + "log:\n  file:\n    enabled: true\n", h,
                 "log.file.path must be specified when file logging is enabled"});
    c.push_back({"log_file_format",
                 m + "log:\n  file:\n    enabled: true\n    path: \"x.log\"\n    format: \"csv\"\n", h,
                 "invalid log.file.format 'csv' (must be json or text)"});
    c.push_back(
        {"log_rotation",
         m + "log:\n  file:\n    enabled: true\n    path: \"x.log\"\n    rotation:\n      max_size: -1\n", h,
         "log.file.rotation.max_size must be >= 0, got -1"});
    // --- event logging ---
    c.push_back({"event_path", m + "event_logging:\n  file:\n    enabled: true\n", h,
                 "event_logging.file.path is required when event logging is enabled"});
    c.push_back({"event_placeholder", m + "event_logging:\n  file:\n    template: \"{timestamp} {bogus}\"\n",
                 h, "event_logging.file.template: unknown placeholder '{bogus}'"});
    c.push_back({"event_rotation",
                 m + "event_logging:\n  file:\n    enabled: true\n    path: \"a.log\"\n    rotation:\n      "
                     "max_age: -2\n",
                 h, "event_logging.file.rotation.max_age must be >= 0, got -2"});
    // --- storage ---
    c.push_back({"storage_base_path", replaced(m, "  base_path: \"cache\"\n", ""), h,
                 "storage.base_path is required"});
    c.push_back({"storage_compression",
                 replaced(m, "  base_path: \"cache\"\n", "  base_path: \"cache\"\n  compression: zstd\n"), h,
                 "storage.compression must be 'none', 'snappy', 'lz4', or empty, got 'zstd'"});
    const std::string cleanup =
        replaced(m, "  base_path: \"cache\"\n",
                 "  base_path: \"cache\"\n  cleanup:\n    enabled: true\n    interval: 1h\n"
                 "    safety_margin: 2h\n");
    c.push_back({"cleanup_interval_positive", replaced(cleanup, "interval: 1h", "interval: 0s"), h,
                 "storage.cleanup.interval must be positive"});
    c.push_back({"cleanup_interval_min", replaced(cleanup, "interval: 1h", "interval: 5m"), h,
                 "storage.cleanup.interval must be >= 10m0s, got 5m0s"});
    c.push_back({"cleanup_interval_max", replaced(cleanup, "interval: 1h", "interval: 25h"), h,
                 "storage.cleanup.interval must be <= 24h, got 25h0m0s"});
    c.push_back({"cleanup_margin_positive", replaced(cleanup, "safety_margin: 2h", "safety_margin: 0s"), h,
                 "storage.cleanup.safety_margin must be positive"});
    c.push_back({"cleanup_margin_min", replaced(cleanup, "safety_margin: 2h", "safety_margin: 30m"), h,
                 "storage.cleanup.safety_margin must be >= 1h0m0s, got 30m0s"});
    c.push_back(
        {"cleanup_interval_vs_stale", replaced(cleanup, "interval: 1h", "interval: 3h"),
         h + "      cache:\n        expired:\n          strategy: serve_stale\n          stale_ttl: 2h\n",
         "storage.cleanup.interval (3h0m0s) exceeds minimum stale_ttl (2h0m0s) across hosts", true});
    // --- global render ---
    c.push_back({"global_render_timeout", m + "render:\n  timeout: 3s\n", h,
                 "render: render.timeout (3s) is too low (minimum 5s required)"});
    c.push_back({"global_cache_ttl", m + "render:\n  cache:\n    ttl: -1s\n", h,
                 "render.cache.ttl cannot be negative"});
    c.push_back({"expired_strategy", m + "render:\n  cache:\n    expired:\n      strategy: keep\n", h,
                 "render.cache: invalid expired.strategy 'keep', must be 'serve_stale' or 'delete'"});
    c.push_back({"expired_stale_required",
                 m + "render:\n  cache:\n    expired:\n      strategy: serve_stale\n", h,
                 "render.cache: stale_ttl is required when strategy is 'serve_stale'"});
    c.push_back({"expired_stale_positive",
                 m + "render:\n  cache:\n    expired:\n      strategy: serve_stale\n      stale_ttl: 0s\n", h,
                 "render.cache: stale_ttl must be positive when strategy is 'serve_stale'"});
    c.push_back({"expired_orphan", m + "render:\n  cache:\n    expired:\n      stale_ttl: 2h\n", h,
                 "render.cache: stale_ttl specified without strategy"});
    c.push_back({"expired_negative",
                 m + "render:\n  cache:\n    expired:\n      strategy: delete\n      stale_ttl: -1h\n", h,
                 "render.cache: stale_ttl cannot be negative"});
    c.push_back({"expired_short",
                 m + "render:\n  cache:\n    expired:\n      strategy: serve_stale\n      stale_ttl: 30m\n",
                 h, "render.cache: stale_ttl is very short (30m0s), recommended minimum is 1h0m0s", true});
    c.push_back({"expired_long",
                 m + "render:\n  cache:\n    expired:\n      strategy: serve_stale\n      stale_ttl: 8d\n", h,
                 "render.cache: stale_ttl is very large (192h0m0s), recommended maximum is 168h0m0s", true});
    c.push_back({"global_status_code", m + "render:\n  cache:\n    status_codes: [200, 99]\n", h,
                 "invalid HTTP status code: 99 (must be 100-599)"});
    c.push_back(
        {"blocked_type", m + "render:\n  blocked_resource_types: [\"Images\"]\n", h,
         "invalid blocked_resource_type 'Images', must be a valid Chrome DevTools Protocol resource type"});
    c.push_back({"blocked_pattern", m + "render:\n  blocked_patterns: [\"~(\"]\n", h,
                 "invalid blocked_patterns pattern '~('"});
    c.push_back({"wait_for", m + "render:\n  events:\n    wait_for: idle\n", h,
                 "events.wait_for 'idle' is invalid (must be 'DOMContentLoaded', 'load', 'networkIdle', or "
                 "'networkAlmostIdle')"});
    c.push_back({"additional_wait_negative", m + "render:\n  events:\n    additional_wait: -1s\n", h,
                 "events.additional_wait cannot be negative (got -1s)"});
    c.push_back({"additional_wait_max", m + "render:\n  events:\n    additional_wait: 31s\n", h,
                 "events.additional_wait cannot exceed 30s (got 31s)"});
    // --- dimensions (global) ---
    auto gdim = [&](std::string_view body) { return m + "dimensions:\n" + std::string(body); };
    c.push_back(
        {"dim_action", gdim("  d:\n    id: 1\n    width: 1\n    height: 1\n    action: skip\n"), h,
         "dimensions: dimension 'd' has invalid action 'skip' (must be 'render', 'bypass', or 'block')"});
    c.push_back({"dim_bypass_id", gdim("  bypass:\n    id: 3\n"), h,
                 "dimensions: dimension 'bypass' must use reserved ID 0"});
    c.push_back({"dim_bypass_action", gdim("  bypass:\n    id: 0\n    action: render\n"), h,
                 "dimensions: dimension 'bypass' must have action 'bypass'"});
    c.push_back({"dim_id_zero", gdim("  d:\n    width: 1\n    height: 1\n"), h,
                 "dimensions: dimension 'd': ID 0 is reserved for the built-in bypass dimension"});
    c.push_back({"dim_id_negative", gdim("  d:\n    id: -2\n    width: 1\n    height: 1\n"), h,
                 "dimensions: dimension 'd' has invalid ID -2 (must be positive)"});
    c.push_back({"dim_only_builtin_bypass", gdim("  d:\n    id: 2\n    action: bypass\n"), h,
                 "dimensions: dimension 'd': only the built-in bypass dimension can have action 'bypass'"});
    c.push_back({"dim_block_match_ua", gdim("  d:\n    id: 2\n    action: block\n"), h,
                 "dimensions: dimension 'd': block dimensions must have at least one match_ua pattern"});
    c.push_back({"dim_block_positive", gdim("  d:\n    id: -1\n    action: block\n    match_ua: [\"x\"]\n"),
                 h, "dimensions: dimension 'd': block dimensions must have a positive ID"});
    c.push_back(
        {"dim_duplicate_id",
         gdim("  a:\n    id: 1\n    width: 1\n    height: 1\n  b:\n    id: 1\n    width: 1\n    height: 1\n"),
         h, "dimensions: dimension ID 1 is used by both 'a' and 'b' (must be unique)"});
    c.push_back({"dim_width", gdim("  d:\n    id: 1\n    height: 1\n"), h,
                 "dimensions: dimension 'd' has invalid width 0 (must be positive)"});
    c.push_back({"dim_height", gdim("  d:\n    id: 1\n    width: 1\n    height: -5\n"), h,
                 "dimensions: dimension 'd' has invalid height -5 (must be positive)"});
    c.push_back({"dim_empty_pattern",
                 gdim("  d:\n    id: 1\n    width: 1\n    height: 1\n    match_ua: [\"\"]\n"), h,
                 "dimensions: dimension 'd': match_ua pattern contains empty string"});
    c.push_back({"dim_bad_pattern",
                 gdim("  d:\n    id: 1\n    width: 1\n    height: 1\n    match_ua: [\"*a**\"]\n"), h,
                 "invalid match_ua pattern '*a**': pattern contains consecutive wildcards"});
    c.push_back({"dim_bad_regex",
                 gdim("  d:\n    id: 1\n    width: 1\n    height: 1\n    match_ua: [\"~*(\"]\n"), h,
                 "invalid match_ua pattern '~*(': invalid user-agent case-insensitive regexp"});
    c.push_back({"dim_unknown_alias",
                 gdim("  d:\n    id: 1\n    width: 1\n    height: 1\n    match_ua: [\"$Robots\"]\n"), h,
                 "unknown bot alias \"$Robots\""});
    c.push_back(
        {"global_unmatched", m + "unmatched_dimension: tablet\n", h,
         "unmatched_dimension 'tablet' is invalid (must be 'block', 'bypass', or a dimension name defined in "
         "dimensions at the global level)"});
    // --- bypass (global) ---
    c.push_back({"bypass_timeout", m + "bypass:\n  timeout: 0s\n", h, "bypass.timeout must be positive"});
    c.push_back(
        {"bypass_timeout_low", m + "bypass:\n  timeout: 2s\n", h, "bypass.timeout (2s) is low", true});
    c.push_back(
        {"bypass_timeout_high", m + "bypass:\n  timeout: 61s\n", h, "bypass.timeout (1m1s) is high", true});
    c.push_back({"bypass_exceeds_server", m + "bypass:\n  timeout: 121s\n", h,
                 "bypass.timeout (2m1s) exceeds server.timeout (2m0s)"});
    c.push_back({"bypass_cache_ttl", m + "bypass:\n  cache:\n    ttl: -1m\n", h,
                 "bypass.cache.ttl cannot be negative"});
    c.push_back({"bypass_cache_code", m + "bypass:\n  cache:\n    status_codes: [600]\n", h,
                 "invalid HTTP status code: 600 (must be 100-599)"});
    c.push_back({"bypass_cache_codes_required", m + "bypass:\n  cache:\n    enabled: true\n", h,
                 "bypass.cache.status_codes must not be empty when caching enabled"});
    c.push_back({"bypass_stale_disabled",
                 m + "bypass:\n  cache:\n    expired:\n      strategy: serve_stale\n      stale_ttl: 2h\n", h,
                 "bypass.cache.expired.strategy is 'serve_stale' but bypass caching is disabled"});
    c.push_back({"bypass_ttl_zero",
                 m + "bypass:\n  cache:\n    enabled: true\n    ttl: 0s\n    status_codes: [200]\n", h,
                 "bypass.cache.enabled=true but ttl=0", true});
    c.push_back({"ssrf_allow", m + "bypass:\n  ssrf_allow: [\"10.0.0.0/8\", \"nope\"]\n", h,
                 "invalid bypass.ssrf_allow entry 'nope': not an IP address"});
    // --- tracking / bothit / headers / client_ip (global) ---
    c.push_back({"tracking_both", m + "tracking_params:\n  params: [a]\n  params_add: [b]\n", h,
                 "tracking_params at global level: cannot have both 'params' and 'params_add'"});
    c.push_back({"tracking_regex", m + "tracking_params:\n  params_add: [\"~(\"]\n", h,
                 "invalid tracking_params.params_add at global level: invalid regexp pattern '~('"});
    c.push_back({"bothit_min",
                 m + "bothit_recache:\n  enabled: true\n  interval: 10m\n  match_ua: [\"*bot*\"]\n", h,
                 "global bothit_recache: interval must be >= 30m, got 10m0s"});
    c.push_back({"bothit_max",
                 m + "bothit_recache:\n  enabled: true\n  interval: 25h\n  match_ua: [\"*bot*\"]\n", h,
                 "global bothit_recache: interval must be <= 24h, got 25h0m0s"});
    c.push_back({"bothit_match_ua", m + "bothit_recache:\n  enabled: true\n", h,
                 "global bothit_recache: match_ua must be non-empty when enabled=true"});
    c.push_back({"bothit_empty_pattern", m + "bothit_recache:\n  enabled: true\n  match_ua: [\"\"]\n", h,
                 "global bothit_recache: match_ua pattern contains empty string"});
    c.push_back({"bothit_bad_pattern", m + "bothit_recache:\n  enabled: true\n  match_ua: [\"~[\"]\n", h,
                 "global bothit_recache: invalid match_ua pattern '~['"});
    c.push_back({"bothit_alias", m + "bothit_recache:\n  enabled: true\n  match_ua: [\"$Nope\"]\n", h,
                 "global bothit_recache: unknown bot alias \"$Nope\""});
    c.push_back({"headers_request_both", m + "headers:\n  safe_request: [A]\n  safe_request_add: [B]\n", h,
                 "global: cannot use both safe_request and safe_request_add"});
    c.push_back({"headers_response_both", m + "headers:\n  safe_response: [A]\n  safe_response_add: [B]\n", h,
                 "global: cannot use both safe_response and safe_response_add"});
    c.push_back({"header_name_space", m + "headers:\n  safe_response: [\"X Bad\"]\n", h,
                 "global safe_response[0]: header name \"X Bad\" contains invalid space at position 1"});
    c.push_back({"header_name_colon", m + "headers:\n  safe_request_add: [\"X:Bad\"]\n", h,
                 "header name \"X:Bad\" contains invalid colon at position 1"});
    c.push_back({"header_denied", m + "headers:\n  safe_request: [\"Content-Length\"]\n", h,
                 "global safe_request[0]: header \"Content-Length\" is blocked for security reasons"});
    c.push_back({"header_proxy_prefix", m + "headers:\n  safe_request: [\"Proxy-Authorization\"]\n", h,
                 "header \"Proxy-Authorization\" is blocked (prefix \"proxy-\" not allowed)"});
    c.push_back({"client_ip_empty", m + "client_ip:\n  headers: []\n", h,
                 "global: client_ip.headers must not be empty when client_ip is configured"});
    c.push_back({"client_ip_name", m + "client_ip:\n  headers: [\"X(Real)\"]\n", h,
                 "global client_ip.headers[0]: header name \"X(Real)\" contains invalid character '(' at "
                 "position 1"});
    // --- cache sharding ---
    c.push_back({"sharding_rf", m + "cache_sharding:\n  replication_factor: -1\n", h,
                 "cache_sharding.replication_factor must be >= 0, got -1"});
    c.push_back({"sharding_strategy", m + "cache_sharding:\n  distribution_strategy: ring\n", h,
                 "invalid cache_sharding.distribution_strategy: \"ring\" (must be: hash_modulo, random, "
                 "primary_only)"});
    c.push_back({"sharding_eg_id", m + "cache_sharding:\n  enabled: true\n", h,
                 "eg_id is required when cache_sharding.enabled=true"});
    c.push_back(
        {"sharding_localhost",
         replaced(m, "\":10071\"", "\"127.0.0.1:10071\"") + "eg_id: a\ncache_sharding:\n  enabled: true\n", h,
         "internal.listen is localhost", true});
    // --- hosts ---
    c.push_back({"no_hosts", m, "hosts: []\n", "no hosts configured"});
    c.push_back({"domain_required", m, replaced(h, "    domain: \"example.com\"\n", ""),
                 "host[0]: domain is required (at least one domain must be specified)"});
    c.push_back({"domain_protocol", m, replaced(h, "\"example.com\"", "\"https://example.com\""),
                 "must not contain protocol (remove http:// or https://)"});
    c.push_back({"domain_path", m, replaced(h, "\"example.com\"", "\"example.com/x\""),
                 "must not contain path (domain only, no slashes)"});
    c.push_back({"domain_port", m, replaced(h, "\"example.com\"", "\"example.com:8080\""),
                 "host[0]: domain[0] \"example.com:8080\": must not contain port (domain only)"});
    c.push_back({"domain_wildcard", m, replaced(h, "\"example.com\"", "\"*.example.com\""),
                 "wildcards not allowed in domain names"});
    c.push_back({"domain_lowercase", m, replaced(h, "\"example.com\"", "\"Example.com\""),
                 "must be lowercase (RFC 1123)"});
    c.push_back({"domain_dup_in_host", m, replaced(h, "\"example.com\"", "[\"a.com\", \"a.com\"]"),
                 "host[0]: domain[1] \"a.com\": duplicate domain within same host"});
    c.push_back({"domain_dup_across_hosts", m, h + "  - id: 2\n    domain: example.com\n    render_key: k2\n",
                 "host[1]: domain[0] \"example.com\": duplicate domain (already used by another host)"});
    c.push_back({"render_key_required", m, replaced(h, "    render_key: \"key1\"\n", ""),
                 "host[0]: render_key is required"});
    c.push_back({"render_key_duplicate", m, h + "  - id: 2\n    domain: b.com\n    render_key: key1\n",
                 "duplicate render_key for domain: b.com"});
    c.push_back({"host_id_positive", m, replaced(h, "  - id: 1\n", "  - id: 0\n"),
                 "host[0] (example.com): id must be positive (got 0)"});
    c.push_back({"host_id_duplicate", m, h + "  - id: 1\n    domain: b.com\n    render_key: k2\n",
                 "duplicate host id 1: used by both 'example.com' and 'b.com' (cache key collision)"});
    c.push_back({"host_render_timeout_low", m, replaced(h, "timeout: 30s", "timeout: 4s"),
                 "host[0] (example.com): render.timeout (4s) is too low (minimum 5s required)"});
    c.push_back({"host_render_timeout_zero", m, replaced(h, "timeout: 30s", "timeout: 0s"),
                 "host[0] (example.com): render.timeout must be positive"});
    c.push_back({"host_render_timeout_warn_low", m, replaced(h, "timeout: 30s", "timeout: 8s"),
                 "render.timeout (8s) is very low", true});
    c.push_back({"host_render_timeout_warn_high", replaced(m, "timeout: 120s", "timeout: 300s"),
                 replaced(h, "timeout: 30s", "timeout: 121s"), "render.timeout (2m1s) is very high", true});
    c.push_back(
        {"host_dimensions_required", m, host_with("    render:\n      timeout: 30s\n"),
         "host[0] (example.com): at least one dimension must be configured (no global dimensions defined)"});
    c.push_back({"host_dim_rules", m, host_with("    dimensions:\n      d:\n        id: 0\n"),
                 "host[0] (example.com): dimension 'd': ID 0 is reserved for the built-in bypass dimension"});
    c.push_back({"host_unmatched", m, h + "    unmatched_dimension: phone\n",
                 "host[0] (example.com): unmatched_dimension 'phone' is invalid"});
    c.push_back({"host_cache_codes_empty", m, h + "      cache:\n        status_codes: []\n",
                 "host[0] (example.com): render.cache.status_codes cannot be empty"});
    c.push_back({"host_cache_code_range", m, h + "      cache:\n        status_codes: [700]\n",
                 "invalid HTTP status code: 700"});
    c.push_back({"host_cache_ttl", m, h + "      cache:\n        ttl: -5m\n",
                 "host[0] (example.com): render.cache.ttl cannot be negative"});
    c.push_back({"host_events", m, h + "      events:\n        wait_for: never\n",
                 "events.wait_for 'never' is invalid"});
    c.push_back({"host_bypass_timeout_low", m, h + "    bypass:\n      timeout: 1s\n",
                 "host[0] (example.com): bypass.timeout (1s) is low", true});
    c.push_back({"host_bypass_timeout_high", m, h + "    bypass:\n      timeout: 90s\n",
                 "host[0] (example.com): bypass.timeout (1m30s) is high", true});
    c.push_back({"host_bypass_codes_empty", m, h + "    bypass:\n      cache:\n        status_codes: []\n",
                 "host[0] (example.com): bypass.cache.status_codes cannot be empty"});
    c.push_back({"host_bypass_stale_disabled", m,
                 h + "    bypass:\n      cache:\n        expired:\n          strategy: serve_stale\n         "
                     " stale_ttl: 2h\n",
                 "host[0] (example.com): bypass.cache.expired.strategy is 'serve_stale' but bypass caching "
                 "is disabled"});
    c.push_back({"host_sharding_enabled_warning", m, h + "    cache_sharding:\n      enabled: true\n",
                 "cache_sharding.enabled is a global setting", true});
    c.push_back({"host_sharding_strategy_warning", m,
                 h + "    cache_sharding:\n      distribution_strategy: random\n",
                 "cache_sharding.distribution_strategy is a global setting", true});
    c.push_back({"host_client_ip", m, h + "    client_ip:\n      headers: []\n",
                 "host[0] (example.com): client_ip.headers must not be empty when client_ip is configured"});
    c.push_back({"host_tracking", m, h + "    tracking_params:\n      params: [a]\n      params_add: [b]\n",
                 "tracking_params at host[0] (example.com) level: cannot have both"});
    c.push_back({"host_bothit", m, h + "    bothit_recache:\n      enabled: true\n",
                 "host[0] (example.com) bothit_recache: match_ua must be non-empty when enabled=true"});
    c.push_back({"host_headers", m, h + "    headers:\n      safe_request: [Host]\n",
                 "host[0] (example.com) safe_request[0]: header \"Host\" is blocked for security reasons"});
    // --- URL rules ---
    auto rule = [&](std::string_view body) { return h + "    url_rules:\n" + std::string(body); };
    c.push_back({"rule_match_empty", m, rule("      - action: render\n"),
                 "host[0] (example.com): url_rules[0]: match pattern cannot be empty"});
    c.push_back({"rule_match_empty_string", m,
                 rule("      - match: [\"/a\", \"\"]\n        action: render\n"),
                 "url_rules[0]: match pattern contains empty string"});
    c.push_back({"rule_double_star", m, rule("      - match: \"/a/**\"\n        action: render\n"),
                 "url_rules[0]: invalid pattern '/a/**': pattern contains consecutive wildcards '**'"});
    c.push_back({"rule_bad_regex", m, rule("      - match: \"~/a(\"\n        action: render\n"),
                 "url_rules[0]: invalid pattern '~/a(': invalid URL case-sensitive regexp '~/a('"});
    c.push_back({"rule_action", m, rule("      - match: /a\n        action: redirect\n"),
                 "url_rules[0]: invalid action 'redirect'"});
    c.push_back({"rule_action_missing", m, rule("      - match: /a\n"), "url_rules[0]: invalid action ''"});
    c.push_back({"rule_query_empty_key", m,
                 rule("      - match: /a\n        action: render\n        match_query:\n          \"\": x\n"),
                 "url_rules[0]: match_query contains empty key"});
    c.push_back({"rule_query_empty_list", m,
                 rule("      - match: /a\n        action: render\n        match_query:\n          q: []\n"),
                 "url_rules[0]: match_query key 'q' has empty array"});
    c.push_back(
        {"rule_query_bad_type", m,
         rule("      - match: /a\n        action: render\n        match_query:\n          q: {a: b}\n"),
         "match_query key 'q' has invalid type (must be string or array of strings)"});
    c.push_back(
        {"rule_query_bad_regex", m,
         rule("      - match: /a\n        action: render\n        match_query:\n          q: \"~(\"\n"),
         "url_rules[0]: invalid pattern in match_query key 'q', value '~('"});
    c.push_back(
        {"rule_dimension_missing", m,
         rule("      - match: /a\n        action: render\n        render:\n          dimension: tv\n"),
         "url_rules[0]: render.dimension 'tv' does not exist"});
    c.push_back(
        {"rule_dimension_block", m,
         host_with(
             k_dims +
             "      scrapers:\n        id: 9\n        action: block\n        match_ua: [\"*Semrush*\"]\n"
             "    url_rules:\n      - match: /a\n        action: render\n        render:\n          "
             "dimension: scrapers\n"),
         "url_rules[0]: render.dimension cannot reference a block dimension 'scrapers'"});
    c.push_back({"rule_render_timeout", m,
                 rule("      - match: /a\n        action: render\n        render:\n          timeout: 2s\n"),
                 "url_rules[0]: render.timeout (2s) is too low"});
    c.push_back({"rule_render_codes_empty", m,
                 rule("      - match: /a\n        action: render\n        render:\n          cache:\n        "
                      "    status_codes: []\n"),
                 "url_rules[0]: render.cache.status_codes cannot be empty"});
    c.push_back({"rule_render_code_range", m,
                 rule("      - match: /a\n        action: render\n        render:\n          cache:\n        "
                      "    status_codes: [42]\n"),
                 "url_rules[0]: render.cache: invalid HTTP status code: 42"});
    c.push_back({"rule_render_ttl", m,
                 rule("      - match: /a\n        action: render\n        render:\n          cache:\n        "
                      "    ttl: -1h\n"),
                 "url_rules[0]: render.cache.ttl cannot be negative"});
    c.push_back({"rule_render_expired", m,
                 rule("      - match: /a\n        action: render\n        render:\n          cache:\n        "
                      "    expired:\n"
                      "              strategy: serve_stale\n"),
                 "url_rules[0]: render.cache: stale_ttl is required when strategy is 'serve_stale'"});
    c.push_back({"rule_events", m,
                 rule("      - match: /a\n        action: render\n        render:\n          events:\n       "
                      "     additional_wait: 40s\n"),
                 "url_rules[0]: events.additional_wait cannot exceed 30s (got 40s)"});
    c.push_back({"rule_blocked_type", m,
                 rule("      - match: /a\n        action: render\n        render:\n          "
                      "blocked_resource_types: [Video]\n"),
                 "url_rules[0]: invalid blocked_resource_type 'Video'"});
    c.push_back({"rule_bypass_codes_empty", m,
                 rule("      - match: /a\n        action: bypass\n        bypass:\n          cache:\n        "
                      "    status_codes: []\n"),
                 "url_rules[0]: bypass.cache.status_codes cannot be empty"});
    c.push_back({"rule_bypass_ttl", m,
                 rule("      - match: /a\n        action: bypass\n        bypass:\n          cache:\n        "
                      "    ttl: -1s\n"),
                 "url_rules[0]: bypass.cache.ttl cannot be negative"});
    c.push_back({"rule_status_code_required", m, rule("      - match: /a\n        action: status\n"),
                 "url_rules[0]: status.code is required for action='status'"});
    c.push_back({"rule_status_code_range", m,
                 rule("      - match: /a\n        action: status\n        status:\n          code: 200\n"),
                 "url_rules[0]: status.code must be 3xx, 4xx, or 5xx (got 200)"});
    c.push_back({"rule_status_location", m,
                 rule("      - match: /a\n        action: status\n        status:\n          code: 301\n"),
                 "url_rules[0]: status.headers.Location is required for 3xx redirect (code 301)"});
    c.push_back({"rule_tracking", m,
                 rule("      - match: /a\n        action: render\n        tracking_params:\n          "
                      "params: [a]\n          params_add: [b]\n"),
                 "tracking_params at host[0] (example.com): url_rules[0] level: cannot have both"});
    c.push_back({"rule_bothit", m,
                 rule("      - match: /a\n        action: render\n        bothit_recache:\n          "
                      "enabled: true\n          interval: 1m\n"
                      "          match_ua: [x]\n"),
                 "host[0] (example.com): url_rules[0] bothit_recache: interval must be >= 30m, got 1m0s"});
    c.push_back(
        {"rule_headers", m,
         rule("      - match: /a\n        action: render\n        headers:\n          safe_request: [TE]\n"),
         "host[0] (example.com): url_rules[0] safe_request[0]: header \"TE\" is blocked"});
    c.push_back({"rule_sharding_warning", m,
                 rule("      - match: /a\n        action: render\n        cache_sharding:\n          "
                      "enabled: false\n"),
                 "url_rules[0]: cache_sharding.enabled is a global setting", true});
    return c;
}

class ValidationRule : public ::testing::TestWithParam<Case> {};

TEST_P(ValidationRule, IsReported) {
    const Case& c = GetParam();
    testing::TempDir dir;
    auto r = testing::load_strings(dir, c.main, c.hosts);
    if (c.warning) {
        EXPECT_TRUE(testing::has_warning(r, c.needle)) << "expected warning: " << c.needle << "\n"
                                                       << testing::all_errors(r);
    } else {
        const Diagnostic* d = testing::find_error(r, c.needle);
        ASSERT_NE(d, nullptr) << "expected error: " << c.needle << "\n" << testing::all_errors(r);
        EXPECT_FALSE(r.config);
        EXPECT_FALSE(d->file.empty());
    }
}

INSTANTIATE_TEST_SUITE_P(Reference, ValidationRule, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                             return std::string(info.param.name);
                         });

TEST(Validation, BaselineIsClean) {
    testing::TempDir dir;
    auto r = testing::load_strings(dir, main_yaml(), host_yaml());
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    EXPECT_TRUE(r.diagnostics.warnings().empty()) << testing::all_errors(r);
}

TEST(Validation, AllErrorsAreCollected) {
    testing::TempDir dir;
    auto r = testing::load_strings(
        dir,
        replaced(main_yaml(), "  addr: \"localhost:6379\"\n", "") + "registry:\n  selection_strategy: x\n",
        replaced(host_yaml(), "  - id: 1\n", "  - id: -3\n"));
    EXPECT_GE(r.diagnostics.errors().size(), 3u) << testing::all_errors(r);
    EXPECT_TRUE(testing::has_error(r, "redis.addr is required"));
    EXPECT_TRUE(testing::has_error(r, "invalid registry.selection_strategy"));
    EXPECT_TRUE(testing::has_error(r, "id must be positive (got -3)"));
}

TEST(Validation, ErrorsNameTheLine) {
    testing::TempDir dir;
    auto r = testing::load_strings(dir, main_yaml(), replaced(host_yaml(), "timeout: 30s", "timeout: 2s"));
    const Diagnostic* d = testing::find_error(r, "render.timeout (2s) is too low");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->line, 14);
    EXPECT_NE(d->file.find("hosts.d/01-host.yaml"), std::string::npos);
}

TEST(Validation, CleanupTestModeRelaxesMinimums) {
    testing::TempDir dir;
    std::string m = replaced(
        main_yaml(), "  base_path: \"cache\"\n",
        "  base_path: \"cache\"\n  cleanup:\n    enabled: true\n    interval: 2s\n    safety_margin: 2s\n");
    LoadOptions opts;
    opts.env = [](const std::string& n, std::string& v) {
        if (n != "TEST_MODE") return false;
        v = "local";
        return true;
    };
    auto r = testing::load_strings(dir, m, host_yaml(), opts);
    EXPECT_TRUE(r.config) << testing::all_errors(r);
    testing::TempDir dir2;
    auto strict = testing::load_strings(dir2, m, host_yaml());
    EXPECT_TRUE(testing::has_error(strict, "storage.cleanup.interval must be >= 10m0s, got 2s"));
}

TEST(Validation, DuplicatesAcrossHostFiles) {
    testing::TempDir dir;
    std::string path = dir.write("edge-gateway.yaml", main_yaml());
    dir.write("hosts.d/01-a.yaml", host_yaml());
    dir.write("hosts.d/02-b.yaml", replaced(host_yaml(), "render_key: \"key1\"", "render_key: \"key2\""));
    auto r = load_config(path);
    EXPECT_TRUE(testing::has_error(r, "duplicate host ID 1 found in")) << testing::all_errors(r);
    EXPECT_TRUE(testing::has_error(r, "duplicate domain \"example.com\" found in")) << testing::all_errors(r);
}

TEST(Validation, RenderKeyUniquenessIsPerFile) {
    // the original only checks within one file; lookups go by domain, so that is harmless.
    testing::TempDir dir;
    std::string path = dir.write("edge-gateway.yaml", main_yaml());
    dir.write("hosts.d/01-a.yaml", host_yaml());
    dir.write("hosts.d/02-b.yaml", replaced(replaced(host_yaml(), "id: 1\n    domain", "id: 2\n    domain"),
                                            "\"example.com\"", "\"b.com\""));
    auto r = load_config(path);
    EXPECT_TRUE(r.config) << testing::all_errors(r);
}

}  // namespace
}  // namespace ec::gw
