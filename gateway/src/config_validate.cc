#include "config_validate.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "gateway/ascii.h"
#include "gateway/bot_aliases.h"
#include "gateway/ip_address.h"
#include "gateway/listen_address.h"
#include "gateway/pattern.h"

namespace ec::gw::detail {
namespace {

using namespace std::chrono_literals;
using model::Setting;

const char* const k_resource_types[] = {"Document",  "Stylesheet",     "Image",       "Media",
                                        "Font",      "Script",         "TextTrack",   "XHR",
                                        "Fetch",     "Prefetch",       "EventSource", "WebSocket",
                                        "Manifest",  "SignedExchange", "Ping",        "CSPViolationReport",
                                        "Preflight", "Other"};

const char* const k_event_placeholders[] = {"timestamp",
                                            "request_id",
                                            "host",
                                            "host_id",
                                            "url",
                                            "url_hash",
                                            "event_type",
                                            "dimension",
                                            "user_agent",
                                            "client_ip",
                                            "matched_rule",
                                            "status_code",
                                            "page_size",
                                            "serve_time",
                                            "source",
                                            "redirect_to",
                                            "render_service_id",
                                            "render_time",
                                            "chrome_id",
                                            "title",
                                            "index_status",
                                            "cache_age",
                                            "cache_key",
                                            "error_type",
                                            "error_message",
                                            "eg_instance_id",
                                            "metrics.final_url",
                                            "metrics.total_requests",
                                            "metrics.total_bytes",
                                            "metrics.same_origin_requests",
                                            "metrics.same_origin_bytes",
                                            "metrics.third_party_requests",
                                            "metrics.third_party_bytes",
                                            "metrics.third_party_domains",
                                            "metrics.blocked_count",
                                            "metrics.failed_count",
                                            "metrics.timed_out",
                                            "metrics.console_messages",
                                            "metrics.error_count",
                                            "metrics.warning_count",
                                            "metrics.time_to_first_request",
                                            "metrics.time_to_last_response"};

std::string ds(Duration d) {
    return go_duration_string(d);
}

class Validator {
  public:
    Validator(const model::Global& g, const std::vector<model::Host>& hosts, const std::string& dir,
              Diagnostics& d, const EnvLookup& env)
        : _g(g), _hosts(hosts), _dir(dir), _d(d), _env(env) {}

    void run();

  private:
    void err(const std::string& file, int line, std::string msg) { _d.error(file, line, std::move(msg)); }
    void warn(const std::string& file, int line, std::string msg) { _d.warning(file, line, std::move(msg)); }
    const std::string& gf() const { return _g.file; }

    bool env_is(const char* name, const char* value) const {
        std::string v;
        return _env && _env(name, v) && v == value;
    }

    void duration_unit(const Setting<Duration>& s, const std::string& field, const std::string& file) {
        if (s.has() && s->count() > 0 && *s < 1ms) {
            warn(file, s.line,
                 field + " value " + ds(*s) +
                     " is suspiciously small. Did you forget the unit suffix (s, ms, m, h)?");
        }
    }

    void server();
    void tls();
    void redis();
    void metrics();
    void internal();
    void registry();
    void log();
    void storage();
    void event_logging();
    void global_sections();
    void hosts();
    void host(const model::Host& h, bool has_global_dims, std::set<std::string>& render_keys,
              std::map<std::int64_t, std::string>& ids_in_file);
    void cross();

    void expired(const model::CacheExpired& e, const std::string& ctx, const std::string& file);
    void status_codes(const Setting<model::IntList>& codes, const std::string& ctx, const std::string& file,
                      bool empty_is_error);
    void events(const model::RenderEvents& e, const std::string& ctx, const std::string& file);
    void render_section(const model::Render& r, const std::string& ctx, const std::string& file,
                        bool is_global);
    void bypass_cache(const model::BypassCache& c, const std::string& ctx, const std::string& file,
                      bool check_enabled_for_stale);
    void tracking(const model::TrackingParams& t, const std::string& level, const std::string& file);
    void bothit(const model::BothitRecache& b, const std::string& level, const std::string& file);
    void headers(const model::Headers& h, const std::string& level, const std::string& file);
    void client_ip(const model::ClientIp& c, const std::string& level, const std::string& file);
    void dimensions(const std::vector<model::Dimension>& dims, const std::string& ctx,
                    const std::string& file);
    void sharding_override(const model::CacheSharding& s, const std::string& ctx, const std::string& file);
    void render_timeout(const Setting<Duration>& t, const std::string& ctx, const std::string& file);
    void patterns(const Setting<model::StringList>& list, const std::string& ctx, const std::string& what,
                  const std::string& file);
    void url_rules(const model::Host& h, const std::string& ctx);

    const std::vector<model::Dimension>* effective_dims(const model::Host& h) const {
        if (h.dimensions && !h.dimensions->empty()) return &*h.dimensions;
        if (_g.dimensions) return &*_g.dimensions;
        return nullptr;
    }

    const model::Global& _g;
    const std::vector<model::Host>& _hosts;
    const std::string& _dir;
    Diagnostics& _d;
    const EnvLookup& _env;
};

bool is_resource_type(std::string_view t) {
    return std::any_of(std::begin(k_resource_types), std::end(k_resource_types),
                       [&](const char* x) { return t == x; });
}

std::string host_ctx(const model::Host& h) {
    return "host[" + std::to_string(h.index) + "] (" + h.primary_domain() + ")";
}

bool valid_level(std::string_view l) {
    return l == "debug" || l == "info" || l == "warn" || l == "error" || l == "dpanic" || l == "panic" ||
           l == "fatal";
}

}  // namespace

Duration effective_host_render_timeout(const model::Global& g, const model::Host& h) {
    if (h.render && h.render->timeout.has()) return *h.render->timeout;
    if (g.render && g.render->timeout.has()) return *g.render->timeout;
    return k_default_render_timeout;
}

bool valid_header_name(std::string_view name, std::string* why) {
    if (name.empty()) {
        if (why) *why = "header name cannot be empty";
        return false;
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        auto c = static_cast<unsigned char>(name[i]);
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
        if (ok) continue;
        if (why) {
            std::string q = "\"" + std::string(name) + "\"";
            if (c == ' ') {
                *why = "header name " + q + " contains invalid space at position " + std::to_string(i);
            } else if (c == ':') {
                *why = "header name " + q + " contains invalid colon at position " + std::to_string(i);
            } else if (c < 32 || c == 127) {
                *why = "header name " + q + " contains invalid control character at position " +
                       std::to_string(i);
            } else {
                *why = "header name " + q + " contains invalid character '" +
                       std::string(1, static_cast<char>(c)) + "' at position " + std::to_string(i);
            }
        }
        return false;
    }
    return true;
}

void Validator::run() {
    server();
    tls();
    redis();
    metrics();
    internal();
    if (_g.render) render_section(*_g.render, "render", gf(), true);
    if (_g.dimensions) dimensions(*_g.dimensions, "dimensions", gf());
    if (_g.unmatched_dimension.has()) {
        const std::string& u = *_g.unmatched_dimension;
        bool known = u == "bypass" || u == "block" ||
                     (_g.dimensions && std::any_of(_g.dimensions->begin(), _g.dimensions->end(),
                                                   [&](const model::Dimension& d) { return d.name == u; }));
        if (!known) {
            err(gf(), _g.unmatched_dimension.line,
                "unmatched_dimension '" + u +
                    "' is invalid (must be 'block', 'bypass', or a dimension name defined in dimensions at "
                    "the "
                    "global level)");
        }
    }
    global_sections();
    registry();
    log();
    event_logging();
    storage();
    hosts();
    cross();
}

void Validator::server() {
    const auto& s = _g.server;
    if (!s.listen.has()) {
        if (!s.listen.invalid) err(gf(), s.line, "server.listen is required");
    } else {
        std::string why;
        if (!parse_listen_address(*s.listen, &why)) err(gf(), s.listen.line, "invalid server.listen: " + why);
    }
    if (!s.timeout.has()) {
        if (!s.timeout.invalid) err(gf(), s.line, "server.timeout must be positive, got 0s");
        return;
    }
    if (s.timeout->count() <= 0) {
        err(gf(), s.timeout.line, "server.timeout must be positive, got " + ds(*s.timeout));
        return;
    }
    duration_unit(s.timeout, "server.timeout", gf());
    if (*s.timeout < 60s) {
        warn(gf(), s.timeout.line,
             "server.timeout (" + ds(*s.timeout) +
                 ") is low. Recommended minimum is 60s to accommodate render timeouts and coordination "
                 "overhead");
    }
    if (*s.timeout > 300s) {
        warn(gf(), s.timeout.line,
             "server.timeout (" + ds(*s.timeout) +
                 ") is very high. Values over 300s (5 minutes) may indicate architectural issues");
    }
}

void Validator::tls() {
    if (!_g.server.tls || !_g.server.tls->enabled.value_or(false)) return;
    const auto& t = *_g.server.tls;
    int line = t.line;
    if (!t.listen.has()) err(gf(), line, "TLS enabled but tls.listen not specified");
    if (!t.cert_file.has()) err(gf(), line, "TLS enabled but tls.cert_file not specified");
    if (!t.key_file.has()) err(gf(), line, "TLS enabled but tls.key_file not specified");
    int tls_port = 0;
    if (t.listen.has()) {
        auto a = parse_listen_address(*t.listen);
        if (!a || t.listen->find(':') == std::string::npos) {
            err(gf(), t.listen.line, "TLS listen address invalid: " + *t.listen);
        } else {
            tls_port = a->port;
        }
    }
    auto check_file = [&](const Setting<std::string>& f, const char* what) {
        if (!f.has()) return;
        std::filesystem::path p(*f);
        if (p.is_relative()) p = std::filesystem::path(_dir) / p;
        std::error_code ec;
        auto resolved = std::filesystem::canonical(p, ec);
        if (ec) {
            err(gf(), f.line, std::string("TLS ") + what + " not found: " + p.string());
            return;
        }
        if (::access(resolved.c_str(), R_OK) != 0) {
            err(gf(), f.line, std::string("TLS ") + what + " not readable: " + resolved.string());
        }
    };
    check_file(t.cert_file, "cert_file");
    check_file(t.key_file, "key_file");
    if (tls_port > 0) {
        auto port_of = [](const Setting<std::string>& s) {
            if (!s.has()) return 0;
            auto a = parse_listen_address(*s);
            return a ? a->port : 0;
        };
        if (port_of(_g.server.listen) == tls_port) {
            err(gf(), t.listen.line,
                "TLS listen port conflicts with server.listen: both use port " + std::to_string(tls_port));
        }
        if (_g.metrics.enabled.value_or(false) && port_of(_g.metrics.listen) == tls_port) {
            err(gf(), t.listen.line,
                "TLS listen port " + std::to_string(tls_port) + " conflicts with metrics.port");
        }
        if (port_of(_g.internal.listen) == tls_port) {
            err(gf(), t.listen.line,
                "TLS listen port " + std::to_string(tls_port) + " conflicts with internal_server.listen");
        }
    }
}

void Validator::redis() {
    if (!_g.redis.addr.has() || _g.redis.addr->empty()) {
        if (!_g.redis.addr.invalid)
            err(gf(), _g.redis.addr.line ? _g.redis.addr.line : _g.redis.line, "redis.addr is required");
    }
    if (_g.redis.db.has() && *_g.redis.db < 0) {
        err(gf(), _g.redis.db.line, "redis.db must be >= 0, got " + std::to_string(*_g.redis.db));
    }
}

void Validator::metrics() {
    const auto& m = _g.metrics;
    bool enabled = m.enabled.value_or(false);
    if (enabled) {
        if (!m.listen.has()) {
            if (!m.listen.invalid) err(gf(), m.line, "metrics.listen is required when metrics enabled");
        } else {
            std::string why;
            if (!parse_listen_address(*m.listen, &why)) {
                err(gf(), m.listen.line, "invalid metrics.listen: " + why);
            } else if (_g.server.listen.has()) {
                auto mp = parse_listen_address(*m.listen);
                auto sp = parse_listen_address(*_g.server.listen);
                if (mp && sp && mp->port == sp->port) {
                    err(gf(), m.listen.line,
                        "metrics.listen port (" + std::to_string(mp->port) +
                            ") must differ from server.listen port (" + std::to_string(sp->port) +
                            ") when metrics enabled - metrics always run on separate port");
                }
            }
        }
    }
    if (m.path.has() && !m.path->starts_with("/")) {
        err(gf(), m.path.line, "invalid metrics.path '" + *m.path + "' (must start with /)");
    }
    if (m.namespace_.has() && !m.namespace_->empty()) {
        const std::string& ns = *m.namespace_;
        bool ok = !(ns[0] >= '0' && ns[0] <= '9') && std::all_of(ns.begin(), ns.end(), [](char c) {
            return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        });
        if (!ok)
            err(gf(), m.namespace_.line,
                "invalid metrics.namespace '" + ns + "' (must match [a-zA-Z_][a-zA-Z0-9_]*)");
    }
}

void Validator::internal() {
    const auto& in = _g.internal;
    bool sharding = _g.cache_sharding && _g.cache_sharding->enabled.value_or(false);
    bool listen_set = in.listen.has() && !in.listen->empty();
    bool key_set = in.auth_key.has() && !in.auth_key->empty();
    int line = in.line ? in.line : 0;
    // DECISIONS A-28: required only when sharding is on; otherwise both absent turns the internal server off.
    if (!listen_set && !key_set && !sharding) {
        if (!in.listen.invalid && !in.auth_key.invalid) {
            warn(
                gf(), line,
                "internal.listen and internal.auth_key are not set: the internal server is off (cache-daemon "
                "recache and HAR debug need it)");
        }
        return;
    }
    if (!listen_set) {
        if (!in.listen.invalid) {
            err(gf(), line,
                sharding ? "internal.listen is required when cache_sharding.enabled=true"
                         : "internal.listen is required when internal.auth_key is set");
        }
    } else {
        std::string why;
        auto a = parse_listen_address(*in.listen, &why);
        if (!a) {
            err(gf(), in.listen.line, "invalid internal.listen: " + why);
        } else if (_g.server.listen.has()) {
            auto sp = parse_listen_address(*_g.server.listen);
            if (sp && sp->port == a->port) {
                err(gf(), in.listen.line,
                    "internal.listen port (" + std::to_string(a->port) +
                        ") must differ from server.listen port (" + std::to_string(sp->port) + ")");
            }
        }
    }
    if (!key_set) {
        if (!in.auth_key.invalid) {
            err(gf(), line,
                sharding ? "internal.auth_key is required when cache_sharding.enabled=true"
                         : "internal.auth_key is required when internal.listen is set");
        }
    } else if (in.auth_key->size() < 16) {
        warn(gf(), in.auth_key.line,
             "internal.auth_key is short (" + std::to_string(in.auth_key->size()) +
                 " chars), recommend 32+ characters for security");
    }
}

void Validator::registry() {
    const auto& s = _g.registry.selection_strategy;
    if (s.has() && *s != "least_loaded" && *s != "most_available") {
        err(gf(), s.line,
            "invalid registry.selection_strategy '" + *s + "', must be 'least_loaded' or 'most_available'");
    }
}

void Validator::log() {
    const auto& l = _g.log;
    auto level = [&](const Setting<std::string>& s, const char* name) {
        if (s.has() && !s->empty() && !valid_level(*s)) {
            err(gf(), s.line,
                std::string("invalid ") + name + " '" + *s +
                    "' (must be debug, info, warn, error, dpanic, panic, or fatal)");
        }
    };
    level(l.level, "log.level");
    level(l.console.level, "log.console.level");
    level(l.file.level, "log.file.level");
    if (l.console.enabled.value_or(false) && l.console.format.has() && !l.console.format->empty() &&
        *l.console.format != "json" && *l.console.format != "console") {
        err(gf(), l.console.format.line,
            "invalid log.console.format '" + *l.console.format + "' (must be json or console)");
    }
    if (l.file.enabled.value_or(false)) {
        if (!l.file.path.has() || l.file.path->empty()) {
            err(gf(), l.file.line, "log.file.path must be specified when file logging is enabled");
        }
        if (l.file.format.has() && !l.file.format->empty() && *l.file.format != "json" &&
            *l.file.format != "text") {
            err(gf(), l.file.format.line,
                "invalid log.file.format '" + *l.file.format + "' (must be json or text)");
        }
        if (l.file.rotation) {
            const auto& r = *l.file.rotation;
            auto nonneg = [&](const Setting<std::int64_t>& v, const char* name) {
                if (v.has() && *v < 0) {
                    err(gf(), v.line,
                        std::string("log.file.rotation.") + name + " must be >= 0, got " +
                            std::to_string(*v));
                }
            };
            nonneg(r.max_size, "max_size");
            nonneg(r.max_age, "max_age");
            nonneg(r.max_backups, "max_backups");
        }
    }
}

void Validator::event_logging() {
    if (!_g.event_logging) return;
    const auto& f = _g.event_logging->file;
    if (f.template_.has()) {
        // Unknown placeholders are a start-up error (F-GW-39).
        const std::string& t = *f.template_;
        std::size_t i = 0;
        while ((i = t.find('{', i)) != std::string::npos) {
            auto close = t.find('}', i + 1);
            if (close == std::string::npos) break;
            std::string name = t.substr(i + 1, close - i - 1);
            bool known = std::any_of(std::begin(k_event_placeholders), std::end(k_event_placeholders),
                                     [&](const char* p) { return name == p; });
            if (!known) {
                err(gf(), f.template_.line,
                    "event_logging.file.template: unknown placeholder '{" + name + "}'");
            }
            i = close + 1;
        }
    }
    if (!f.enabled.value_or(false)) return;
    if (!f.path.has() || f.path->empty()) {
        err(gf(), f.line, "event_logging.file.path is required when event logging is enabled");
    }
    if (f.rotation) {
        auto nonneg = [&](const Setting<std::int64_t>& v, const char* name) {
            if (v.has() && *v < 0) {
                err(gf(), v.line,
                    std::string("event_logging.file.rotation.") + name + " must be >= 0, got " +
                        std::to_string(*v));
            }
        };
        nonneg(f.rotation->max_size, "max_size");
        nonneg(f.rotation->max_age, "max_age");
        nonneg(f.rotation->max_backups, "max_backups");
    }
}

void Validator::storage() {
    const auto& s = _g.storage;
    if (!s.base_path.has() || s.base_path->find_first_not_of(" \t") == std::string::npos) {
        if (!s.base_path.invalid)
            err(gf(), s.base_path.line ? s.base_path.line : s.line, "storage.base_path is required");
    }
    if (s.compression.has() && !s.compression->empty() && *s.compression != "none" &&
        *s.compression != "snappy" && *s.compression != "lz4") {
        err(gf(), s.compression.line,
            "storage.compression must be 'none', 'snappy', 'lz4', or empty, got '" + *s.compression + "'");
    }
    if (!s.cleanup) return;
    const auto& c = *s.cleanup;
    bool test_mode = env_is("TEST_MODE", "local");
    Duration min_interval = test_mode ? Duration(1s) : Duration(10min);
    Duration min_margin = test_mode ? Duration(1s) : Duration(1h);
    if (!c.interval.has() || c.interval->count() <= 0) {
        if (!c.interval.invalid)
            err(gf(), c.interval.line ? c.interval.line : c.line,
                "storage.cleanup.interval must be positive");
    } else {
        duration_unit(c.interval, "storage.cleanup.interval", gf());
        if (*c.interval < min_interval) {
            err(gf(), c.interval.line,
                "storage.cleanup.interval must be >= " + ds(min_interval) + ", got " + ds(*c.interval));
        }
        if (*c.interval > 24h)
            err(gf(), c.interval.line, "storage.cleanup.interval must be <= 24h, got " + ds(*c.interval));
    }
    if (!c.safety_margin.has() || c.safety_margin->count() <= 0) {
        if (!c.safety_margin.invalid) {
            err(gf(), c.safety_margin.line ? c.safety_margin.line : c.line,
                "storage.cleanup.safety_margin must be positive");
        }
    } else {
        duration_unit(c.safety_margin, "storage.cleanup.safety_margin", gf());
        if (*c.safety_margin < min_margin) {
            err(gf(), c.safety_margin.line,
                "storage.cleanup.safety_margin must be >= " + ds(min_margin) + ", got " +
                    ds(*c.safety_margin));
        }
    }
    if (c.interval.has() && c.interval->count() > 0) {
        Duration min_stale{0};
        auto consider = [&](const std::optional<model::CacheExpired>& e) {
            if (e && e->stale_ttl.has() && e->stale_ttl->count() > 0) {
                if (min_stale.count() == 0 || *e->stale_ttl < min_stale) min_stale = *e->stale_ttl;
            }
        };
        for (const auto& h : _hosts) {
            if (h.render && h.render->cache) consider(h.render->cache->expired);
            if (h.bypass && h.bypass->cache) consider(h.bypass->cache->expired);
        }
        if (min_stale.count() > 0 && *c.interval > min_stale) {
            warn(gf(), c.interval.line,
                 "storage.cleanup.interval (" + ds(*c.interval) + ") exceeds minimum stale_ttl (" +
                     ds(min_stale) + ") across hosts - files may accumulate between cleanup runs");
        }
    }
}

void Validator::expired(const model::CacheExpired& e, const std::string& ctx, const std::string& file) {
    if (e.strategy.has()) {
        const std::string& s = *e.strategy;
        if (s != "serve_stale" && s != "delete") {
            err(file, e.strategy.line,
                ctx + ": invalid expired.strategy '" + s + "', must be 'serve_stale' or 'delete'");
        }
        if (s == "serve_stale") {
            if (!e.stale_ttl.has()) {
                if (!e.stale_ttl.invalid)
                    err(file, e.line, ctx + ": stale_ttl is required when strategy is 'serve_stale'");
            } else if (e.stale_ttl->count() <= 0) {
                err(file, e.stale_ttl.line,
                    ctx + ": stale_ttl must be positive when strategy is 'serve_stale'");
            }
        }
    }
    if (e.stale_ttl.has() && !e.strategy.has() && !e.strategy.invalid) {
        err(file, e.stale_ttl.line,
            ctx + ": stale_ttl specified without strategy. Must set strategy: 'serve_stale' or 'delete'");
    }
    if (e.stale_ttl.has() && e.stale_ttl->count() < 0) {
        err(file, e.stale_ttl.line, ctx + ": stale_ttl cannot be negative");
    }
    if (e.stale_ttl.has() && e.strategy.has() && *e.strategy == "serve_stale" && e.stale_ttl->count() > 0) {
        duration_unit(e.stale_ttl, ctx + ".stale_ttl", file);
        if (*e.stale_ttl < 1h) {
            warn(file, e.stale_ttl.line,
                 ctx + ": stale_ttl is very short (" + ds(*e.stale_ttl) + "), recommended minimum is 1h0m0s");
        } else if (*e.stale_ttl > 168h) {
            warn(file, e.stale_ttl.line,
                 ctx + ": stale_ttl is very large (" + ds(*e.stale_ttl) +
                     "), recommended maximum is 168h0m0s");
        }
    }
}

void Validator::status_codes(const Setting<model::IntList>& codes, const std::string& ctx,
                             const std::string& file, bool empty_is_error) {
    if (!codes.has()) return;
    if (codes->empty() && empty_is_error) err(file, codes.line, ctx + ".status_codes cannot be empty");
    for (auto c : *codes) {
        if (c < 100 || c >= 600) {
            err(file, codes.line,
                ctx + ": invalid HTTP status code: " + std::to_string(c) + " (must be 100-599)");
        }
    }
}

void Validator::events(const model::RenderEvents& e, const std::string& ctx, const std::string& file) {
    if (e.wait_for.has() && !e.wait_for->empty()) {
        const std::string& w = *e.wait_for;
        if (w != "DOMContentLoaded" && w != "load" && w != "networkIdle" && w != "networkAlmostIdle") {
            err(file, e.wait_for.line,
                ctx + ": events.wait_for '" + w +
                    "' is invalid (must be 'DOMContentLoaded', 'load', 'networkIdle', or "
                    "'networkAlmostIdle')");
        }
    }
    if (e.additional_wait.has()) {
        duration_unit(e.additional_wait, ctx + ".additional_wait", file);
        if (e.additional_wait->count() < 0) {
            err(file, e.additional_wait.line,
                ctx + ": events.additional_wait cannot be negative (got " + ds(*e.additional_wait) + ")");
        }
        if (*e.additional_wait > 30s) {
            err(file, e.additional_wait.line,
                ctx + ": events.additional_wait cannot exceed 30s (got " + ds(*e.additional_wait) + ")");
        }
    }
}

void Validator::patterns(const Setting<model::StringList>& list, const std::string& ctx,
                         const std::string& what, const std::string& file) {
    if (!list.has()) return;
    for (const auto& p : *list) {
        std::string why;
        if (!Pattern::compile(p, &why))
            err(file, list.line, ctx + ": invalid " + what + " pattern '" + p + "': " + why);
    }
}

void Validator::render_timeout(const Setting<Duration>& t, const std::string& ctx, const std::string& file) {
    if (!t.has()) return;
    duration_unit(t, ctx + ": render.timeout", file);
    if (t->count() <= 0) {
        err(file, t.line, ctx + ": render.timeout must be positive");
        return;
    }
    if (*t < 5s) {
        err(file, t.line,
            ctx + ": render.timeout (" + ds(*t) +
                ") is too low (minimum 5s required). JavaScript execution will fail");
        return;
    }
    if (*t < 10s) {
        warn(file, t.line,
             ctx + ": render.timeout (" + ds(*t) +
                 ") is very low. Only suitable for simple static pages. JavaScript-heavy pages will fail. "
                 "Recommended minimum: 10s");
    }
    if (*t > 120s) {
        warn(file, t.line,
             ctx + ": render.timeout (" + ds(*t) +
                 ") is very high. Pages taking over 120s (2 minutes) are likely broken or have infinite "
                 "loops. "
                 "Consider investigating page performance");
    }
}

void Validator::render_section(const model::Render& r, const std::string& ctx, const std::string& file,
                               bool is_global) {
    if (is_global) render_timeout(r.timeout, "render", file);
    if (r.cache) {
        const auto& c = *r.cache;
        std::string cctx = ctx + ".cache";
        if (c.ttl.has()) {
            duration_unit(c.ttl, ctx + ".cache.ttl", file);
            if (c.ttl->count() < 0) err(file, c.ttl.line, ctx + ".cache.ttl cannot be negative");
        }
        status_codes(c.status_codes, cctx, file, !is_global);
        if (c.expired) expired(*c.expired, cctx, file);
    }
    if (r.events) events(*r.events, ctx, file);
    if (r.blocked_resource_types.has()) {
        for (const auto& t : *r.blocked_resource_types) {
            if (!is_resource_type(t)) {
                err(file, r.blocked_resource_types.line,
                    ctx + ": invalid blocked_resource_type '" + t +
                        "', must be a valid Chrome DevTools Protocol resource type");
            }
        }
    }
    patterns(r.blocked_patterns, ctx, "blocked_patterns", file);
}

void Validator::bypass_cache(const model::BypassCache& c, const std::string& ctx, const std::string& file,
                             bool check_enabled_for_stale) {
    if (c.ttl.has()) {
        duration_unit(c.ttl, ctx + ".ttl", file);
        if (c.ttl->count() < 0) err(file, c.ttl.line, ctx + ".ttl cannot be negative");
    }
    if (c.expired) {
        expired(*c.expired, ctx, file);
        if (check_enabled_for_stale && c.expired->strategy.has() && *c.expired->strategy == "serve_stale" &&
            !c.enabled.value_or(false)) {
            err(file, c.expired->strategy.line,
                ctx + ".expired.strategy is 'serve_stale' but bypass caching is disabled");
        }
    }
}

void Validator::tracking(const model::TrackingParams& t, const std::string& level, const std::string& file) {
    if (t.params.has() && !t.params->empty() && t.params_add.has() && !t.params_add->empty()) {
        err(file, t.line,
            "tracking_params at " + level +
                " level: cannot have both 'params' and 'params_add' - use 'params' to replace or "
                "'params_add' to "
                "extend");
    }
    auto check = [&](const Setting<model::StringList>& list, const char* name) {
        if (!list.has()) return;
        for (const auto& p : *list) {
            if (p.empty()) continue;  // skipped, as in the original
            std::string why;
            if (!Pattern::compile(p, &why)) {
                err(file, list.line,
                    std::string("invalid tracking_params.") + name + " at " + level + " level: " + why);
            }
        }
    };
    check(t.params, "params");
    check(t.params_add, "params_add");
}

void Validator::bothit(const model::BothitRecache& b, const std::string& level, const std::string& file) {
    if (b.interval.has()) duration_unit(b.interval, level + " bothit_recache.interval", file);
    if (!b.enabled.value_or(false)) {
        // Aliases are expanded (and so checked) whenever a list is present.
        if (b.match_ua.has()) {
            std::vector<std::string> out;
            std::string why;
            if (!expand_bot_aliases(*b.match_ua, out, &why))
                err(file, b.match_ua.line, level + " bothit_recache: " + why);
        }
        return;
    }
    if (b.interval.has()) {
        if (*b.interval < 30min) {
            err(file, b.interval.line,
                level + " bothit_recache: interval must be >= 30m, got " + ds(*b.interval));
        }
        if (*b.interval > 24h) {
            err(file, b.interval.line,
                level + " bothit_recache: interval must be <= 24h, got " + ds(*b.interval));
        }
    }
    if (!b.match_ua.has() || b.match_ua->empty()) {
        if (!b.match_ua.invalid) {
            err(file, b.match_ua.line ? b.match_ua.line : b.line,
                level + " bothit_recache: match_ua must be non-empty when enabled=true");
        }
        return;
    }
    for (const auto& p : *b.match_ua) {
        if (p.empty()) {
            err(file, b.match_ua.line, level + " bothit_recache: match_ua pattern contains empty string");
            return;
        }
        if (p.starts_with("$")) continue;
        std::string why = check_pattern_syntax(p, "user-agent");
        if (!why.empty()) {
            err(file, b.match_ua.line,
                level + " bothit_recache: invalid match_ua pattern '" + p + "': " + why);
            return;
        }
    }
    std::vector<std::string> out;
    std::string why;
    if (!expand_bot_aliases(*b.match_ua, out, &why))
        err(file, b.match_ua.line, level + " bothit_recache: " + why);
}

void Validator::headers(const model::Headers& h, const std::string& level, const std::string& file) {
    auto nonempty = [](const Setting<model::StringList>& s) { return s.has() && !s->empty(); };
    if (nonempty(h.safe_request) && nonempty(h.safe_request_add)) {
        err(file, h.safe_request_add.line, level + ": cannot use both safe_request and safe_request_add");
    }
    if (nonempty(h.safe_response) && nonempty(h.safe_response_add)) {
        err(file, h.safe_response_add.line, level + ": cannot use both safe_response and safe_response_add");
    }
    auto check = [&](const Setting<model::StringList>& list, const char* name, bool request) {
        if (!list.has()) return;
        for (std::size_t i = 0; i < list->size(); ++i) {
            const std::string& hd = (*list)[i];
            std::string why;
            std::string where = level + " " + name + "[" + std::to_string(i) + "]: ";
            if (!valid_header_name(hd, &why)) {
                err(file, list.line, where + why);
                continue;
            }
            if (!request) continue;
            std::string lower = to_lower_copy(hd);
            static const char* const k_deny[] = {"host",       "content-length", "transfer-encoding",
                                                 "connection", "upgrade",        "keep-alive",
                                                 "te",         "trailer"};
            if (std::any_of(std::begin(k_deny), std::end(k_deny),
                            [&](const char* x) { return lower == x; })) {
                err(file, list.line, where + "header \"" + hd + "\" is blocked for security reasons");
            } else if (lower.starts_with("proxy-")) {
                err(file, list.line,
                    where + "header \"" + hd + "\" is blocked (prefix \"proxy-\" not allowed)");
            }
        }
    };
    check(h.safe_request, "safe_request", true);
    check(h.safe_request_add, "safe_request_add", true);
    check(h.safe_response, "safe_response", false);
    check(h.safe_response_add, "safe_response_add", false);
}

void Validator::client_ip(const model::ClientIp& c, const std::string& level, const std::string& file) {
    if (!c.headers.has() || c.headers->empty()) {
        if (!c.headers.invalid) {
            err(file, c.headers.line ? c.headers.line : c.line,
                level + ": client_ip.headers must not be empty when client_ip is configured");
        }
        return;
    }
    for (std::size_t i = 0; i < c.headers->size(); ++i) {
        std::string why;
        if (!valid_header_name((*c.headers)[i], &why)) {
            err(file, c.headers.line, level + " client_ip.headers[" + std::to_string(i) + "]: " + why);
        }
    }
}

void Validator::dimensions(const std::vector<model::Dimension>& dims, const std::string& ctx,
                           const std::string& file) {
    std::map<std::int64_t, std::string> ids;
    for (const auto& d : dims) {
        bool is_bypass = d.name == "bypass";
        std::string action = d.action.value_or("");
        std::int64_t id = d.id.value_or(0);
        int line = d.line;
        if (!action.empty() && action != "render" && action != "bypass" && action != "block") {
            err(file, d.action.line,
                ctx + ": dimension '" + d.name + "' has invalid action '" + action +
                    "' (must be 'render', 'bypass', or 'block')");
        }
        if (is_bypass) {
            if (id != 0)
                err(file, d.id.line ? d.id.line : line, ctx + ": dimension 'bypass' must use reserved ID 0");
            if (!action.empty() && action != "bypass") {
                err(file, d.action.line, ctx + ": dimension 'bypass' must have action 'bypass'");
            }
        } else {
            if (!d.id.invalid) {
                if (id == 0) {
                    err(file, d.id.line ? d.id.line : line,
                        ctx + ": dimension '" + d.name +
                            "': ID 0 is reserved for the built-in bypass dimension");
                } else if (id < 0) {
                    err(file, d.id.line,
                        ctx + ": dimension '" + d.name + "' has invalid ID " + std::to_string(id) +
                            " (must be positive)");
                }
            }
            if (action == "bypass") {
                err(file, d.action.line,
                    ctx + ": dimension '" + d.name +
                        "': only the built-in bypass dimension can have action 'bypass'");
            }
        }
        if (action == "block") {
            if (!d.match_ua.has() || d.match_ua->empty()) {
                err(file, line,
                    ctx + ": dimension '" + d.name +
                        "': block dimensions must have at least one match_ua pattern");
            }
            if (id <= 0 && !is_bypass) {
                err(file, line,
                    ctx + ": dimension '" + d.name + "': block dimensions must have a positive ID");
            }
        }
        if (!d.id.invalid) {
            if (auto it = ids.find(id); it != ids.end()) {
                err(file, d.id.line ? d.id.line : line,
                    ctx + ": dimension ID " + std::to_string(id) + " is used by both '" + it->second +
                        "' and '" + d.name + "' (must be unique)");
            } else {
                ids.emplace(id, d.name);
            }
        }
        if (action != "block" && !is_bypass) {
            if (!d.width.invalid && d.width.value_or(0) <= 0) {
                err(file, d.width.line ? d.width.line : line,
                    ctx + ": dimension '" + d.name + "' has invalid width " +
                        std::to_string(d.width.value_or(0)) + " (must be positive)");
            }
            if (!d.height.invalid && d.height.value_or(0) <= 0) {
                err(file, d.height.line ? d.height.line : line,
                    ctx + ": dimension '" + d.name + "' has invalid height " +
                        std::to_string(d.height.value_or(0)) + " (must be positive)");
            }
        }
        if (d.match_ua.has()) {
            bool bad = false;
            for (const auto& p : *d.match_ua) {
                if (p.empty()) {
                    err(file, d.match_ua.line,
                        ctx + ": dimension '" + d.name + "': match_ua pattern contains empty string");
                    bad = true;
                    continue;
                }
                if (p.starts_with("$")) continue;
                std::string why = check_pattern_syntax(p, "user-agent");
                if (!why.empty()) {
                    err(file, d.match_ua.line,
                        ctx + ": dimension '" + d.name + "': invalid match_ua pattern '" + p + "': " + why);
                    bad = true;
                }
            }
            if (!bad) {
                std::vector<std::string> out;
                std::string why;
                if (!expand_bot_aliases(*d.match_ua, out, &why)) {
                    err(file, d.match_ua.line, ctx + ": dimension '" + d.name + "': " + why);
                } else {
                    for (const auto& p : out) {
                        std::string e2;
                        if (!Pattern::compile(p, &e2)) {
                            err(file, d.match_ua.line, ctx + ": dimension '" + d.name + "': " + e2);
                        }
                    }
                }
            }
        }
    }
}

void Validator::sharding_override(const model::CacheSharding& s, const std::string& ctx,
                                  const std::string& file) {
    if (s.replication_factor.has() && *s.replication_factor < 0) {
        err(file, s.replication_factor.line,
            ctx + ": cache_sharding.replication_factor must be >= 0, got " +
                std::to_string(*s.replication_factor));
    }
    if (s.distribution_strategy.has()) {
        const std::string& d = *s.distribution_strategy;
        if (d != "hash_modulo" && d != "random" && d != "primary_only") {
            err(file, s.distribution_strategy.line,
                ctx + ": invalid cache_sharding.distribution_strategy: \"" + d +
                    "\" (must be: hash_modulo, random, primary_only)");
        }
    }
    // DECISIONS A-13: only these two are global-only.
    if (s.enabled.has()) {
        warn(file, s.enabled.line,
             ctx + ": cache_sharding.enabled is a global setting; the value here is ignored");
    }
    if (s.distribution_strategy.has()) {
        warn(file, s.distribution_strategy.line,
             ctx + ": cache_sharding.distribution_strategy is a global setting; the value here is ignored");
    }
}

void Validator::global_sections() {
    if (_g.bypass) {
        const auto& b = *_g.bypass;
        if (b.timeout.has()) {
            if (b.timeout->count() <= 0) {
                err(gf(), b.timeout.line, "bypass.timeout must be positive");
            } else {
                duration_unit(b.timeout, "bypass.timeout", gf());
                if (*b.timeout < 5s) {
                    warn(gf(), b.timeout.line,
                         "bypass.timeout (" + ds(*b.timeout) +
                             ") is low. Slow origin servers may timeout. Recommended minimum: 5s");
                }
                if (*b.timeout > 60s) {
                    warn(gf(), b.timeout.line,
                         "bypass.timeout (" + ds(*b.timeout) +
                             ") is high. Values over 60s may indicate origin server performance issues");
                }
            }
        }
        if (b.ssrf_allow.has()) {
            for (const auto& c : *b.ssrf_allow) {
                std::string why;
                if (!parse_cidr(c, &why))
                    err(gf(), b.ssrf_allow.line, "invalid bypass.ssrf_allow entry '" + c + "': " + why);
            }
        }
        if (b.cache) {
            const auto& c = *b.cache;
            bypass_cache(c, "bypass.cache", gf(), true);
            if (c.status_codes.has()) {
                for (auto code : *c.status_codes) {
                    if (code < 100 || code >= 600) {
                        err(gf(), c.status_codes.line,
                            "invalid HTTP status code: " + std::to_string(code) + " (must be 100-599)");
                    }
                }
            }
            if (c.enabled.value_or(false)) {
                if (!c.status_codes.has() || c.status_codes->empty()) {
                    err(gf(), c.line, "bypass.cache.status_codes must not be empty when caching enabled");
                }
                if (c.ttl.has() && c.ttl->count() == 0) {
                    warn(gf(), c.ttl.line,
                         "bypass.cache.enabled=true but ttl=0 (no caching - all requests fetch from origin)");
                }
            }
        }
    }
    if (_g.tracking_params) tracking(*_g.tracking_params, "global", gf());
    if (_g.bothit_recache) bothit(*_g.bothit_recache, "global", gf());
    if (_g.headers) headers(*_g.headers, "global", gf());
    if (_g.client_ip) client_ip(*_g.client_ip, "global", gf());
    if (_g.cache_sharding) {
        const auto& cs = *_g.cache_sharding;
        if (cs.replication_factor.has() && *cs.replication_factor < 0) {
            err(gf(), cs.replication_factor.line,
                "cache_sharding.replication_factor must be >= 0, got " +
                    std::to_string(*cs.replication_factor));
        }
        if (cs.distribution_strategy.has()) {
            const std::string& d = *cs.distribution_strategy;
            if (d != "hash_modulo" && d != "random" && d != "primary_only") {
                err(gf(), cs.distribution_strategy.line,
                    "invalid cache_sharding.distribution_strategy: \"" + d +
                        "\" (must be: hash_modulo, random, primary_only)");
            }
        }
        if (cs.enabled.value_or(false)) {
            if (!_g.eg_id.has() || _g.eg_id->empty()) {
                err(gf(), cs.enabled.line, "eg_id is required when cache_sharding.enabled=true");
            }
            if (_g.internal.listen.has()) {
                auto a = parse_listen_address(*_g.internal.listen);
                if (a && (a->host == "localhost" || a->host == "127.0.0.1")) {
                    warn(gf(), _g.internal.listen.line,
                         "internal.listen is localhost (\"" + *_g.internal.listen +
                             "\") with cache_sharding enabled; use an IP address for inter-EG communication "
                             "in "
                             "production");
                }
            }
        }
    }
}

void Validator::url_rules(const model::Host& h, const std::string& hctx) {
    const auto* dims = effective_dims(h);
    for (std::size_t i = 0; i < h.url_rules.size(); ++i) {
        const auto& r = h.url_rules[i];
        const std::string& f = h.file;
        std::string ctx = hctx + ": url_rules[" + std::to_string(i) + "]";
        if (r.match.empty()) {
            err(f, r.match_line ? r.match_line : r.line, ctx + ": match pattern cannot be empty");
            continue;
        }
        for (const auto& p : r.match) {
            if (p.empty()) {
                err(f, r.match_line, ctx + ": match pattern contains empty string");
                continue;
            }
            std::string why = check_pattern_syntax(p, "URL");
            if (!why.empty()) err(f, r.match_line, ctx + ": invalid pattern '" + p + "': " + why);
        }
        std::string action = r.action.value_or("");
        static const char* const k_actions[] = {"render",     "bypass",     "block", "status_403",
                                                "status_404", "status_410", "status"};
        bool action_ok = std::any_of(std::begin(k_actions), std::end(k_actions),
                                     [&](const char* a) { return action == a; });
        if (!action_ok && !r.action.invalid) {
            err(f, r.action.line ? r.action.line : r.line, ctx + ": invalid action '" + action + "'");
        }
        if (r.has_match_query) {
            for (const auto& q : r.match_query) {
                if (q.key.empty()) {
                    err(f, q.line, ctx + ": match_query contains empty key");
                    continue;
                }
                if (q.values.empty()) {
                    err(f, q.line, ctx + ": match_query key '" + q.key + "' has empty array");
                    continue;
                }
                for (const auto& v : q.values) {
                    std::string why;
                    if (!Pattern::compile(v, &why)) {
                        err(f, q.line,
                            ctx + ": invalid pattern in match_query key '" + q.key + "', value '" + v +
                                "': " + why);
                    }
                }
            }
        }
        if (r.tracking_params) tracking(*r.tracking_params, ctx, f);
        if (r.bothit_recache) bothit(*r.bothit_recache, ctx, f);
        if (r.headers) headers(*r.headers, ctx, f);
        if (r.cache_sharding) sharding_override(*r.cache_sharding, ctx, f);
        if (action == "render" && r.render) {
            const auto& rr = *r.render;
            render_timeout(rr.timeout, ctx, f);
            if (rr.cache) {
                std::string cctx = ctx + ": render.cache";
                if (rr.cache->ttl.has()) {
                    duration_unit(rr.cache->ttl, cctx + ".ttl", f);
                    if (rr.cache->ttl->count() < 0)
                        err(f, rr.cache->ttl.line, cctx + ".ttl cannot be negative");
                }
                status_codes(rr.cache->status_codes, cctx, f, true);
                if (rr.cache->expired) expired(*rr.cache->expired, cctx, f);
            }
            if (rr.dimension.has() && !rr.dimension->empty()) {
                const model::Dimension* dim = nullptr;
                if (dims) {
                    for (const auto& d : *dims) {
                        if (d.name == *rr.dimension) dim = &d;
                    }
                }
                if (!dim && *rr.dimension != "bypass") {
                    err(f, rr.dimension.line,
                        ctx + ": render.dimension '" + *rr.dimension + "' does not exist");
                } else if (dim && dim->action.value_or("") == "block") {
                    err(f, rr.dimension.line,
                        ctx + ": render.dimension cannot reference a block dimension '" + *rr.dimension +
                            "'");
                }
            }
            if (rr.events) events(*rr.events, ctx, f);
            if (rr.blocked_resource_types.has()) {
                for (const auto& t : *rr.blocked_resource_types) {
                    if (!is_resource_type(t)) {
                        err(f, rr.blocked_resource_types.line,
                            ctx + ": invalid blocked_resource_type '" + t + "'");
                    }
                }
            }
            patterns(rr.blocked_patterns, ctx, "blocked_patterns", f);
        }
        if (action == "bypass" && r.bypass && r.bypass->cache) {
            const auto& c = *r.bypass->cache;
            std::string cctx = ctx + ": bypass.cache";
            if (c.ttl.has()) {
                duration_unit(c.ttl, cctx + ".ttl", f);
                if (c.ttl->count() < 0) err(f, c.ttl.line, cctx + ".ttl cannot be negative");
            }
            status_codes(c.status_codes, cctx, f, true);
            if (c.expired) expired(*c.expired, cctx, f);
        }
        if (action == "bypass" && r.bypass && r.bypass->timeout.has() && r.bypass->timeout->count() <= 0) {
            err(f, r.bypass->timeout.line, ctx + ": bypass.timeout must be positive");
        }
        bool status_action = action == "block" || action == "status_403" || action == "status_404" ||
                             action == "status_410" || action == "status";
        if (status_action) {
            if (action == "status" && (!r.status || !r.status->code.has())) {
                if (!(r.status && r.status->code.invalid)) {
                    err(f, r.status ? r.status->line : (r.action.line ? r.action.line : r.line),
                        ctx + ": status.code is required for action='status'");
                }
            } else if (r.status && r.status->code.has()) {
                std::int64_t code = *r.status->code;
                if (code < 300 || code >= 600) {
                    err(f, r.status->code.line,
                        ctx + ": status.code must be 3xx, 4xx, or 5xx (got " + std::to_string(code) + ")");
                }
                if (code / 100 == 3) {
                    bool has_location = std::any_of(
                        r.status->headers.begin(), r.status->headers.end(),
                        [](const auto& kv) { return iequals(kv.first, "Location") && !kv.second.empty(); });
                    if (!has_location) {
                        err(f, r.status->code.line,
                            ctx + ": status.headers.Location is required for 3xx redirect (code " +
                                std::to_string(code) + ")");
                    }
                }
            }
            if (r.status) {
                for (const auto& kv : r.status->headers) {
                    std::string why;
                    if (!valid_header_name(kv.first, &why))
                        err(f, r.status->headers_line, ctx + ": status.headers: " + why);
                }
            }
        }
    }
}

void Validator::host(const model::Host& h, bool has_global_dims, std::set<std::string>& render_keys,
                     std::map<std::int64_t, std::string>& ids_in_file) {
    const std::string& f = h.file;
    std::string ctx = host_ctx(h);
    std::string idx = "host[" + std::to_string(h.index) + "]";
    if (h.domains.empty()) {
        err(f, h.domain_line ? h.domain_line : h.line,
            idx + ": domain is required (at least one domain must be specified)");
    } else {
        std::set<std::string> seen;
        for (std::size_t j = 0; j < h.domains.size(); ++j) {
            const std::string& d = h.domains[j];
            std::string dctx = idx + ": domain[" + std::to_string(j) + "] \"" + d + "\"";
            if (d.find("://") != std::string::npos)
                err(f, h.domain_line, dctx + ": must not contain protocol (remove http:// or https://)");
            if (d.find('/') != std::string::npos)
                err(f, h.domain_line, dctx + ": must not contain path (domain only, no slashes)");
            if (d.find(':') != std::string::npos)
                err(f, h.domain_line, dctx + ": must not contain port (domain only)");
            if (d.find('*') != std::string::npos)
                err(f, h.domain_line, dctx + ": wildcards not allowed in domain names");
            if (d != to_lower_copy(d)) err(f, h.domain_line, dctx + ": must be lowercase (RFC 1123)");
            if (!seen.insert(to_lower_copy(d)).second)
                err(f, h.domain_line, dctx + ": duplicate domain within same host");
        }
    }
    if (!h.render_key.has() || h.render_key->empty()) {
        if (!h.render_key.invalid) err(f, h.line, idx + ": render_key is required");
    } else if (!render_keys.insert(*h.render_key).second) {
        err(f, h.render_key.line, "duplicate render_key for domain: " + h.primary_domain());
    }
    if (!h.id.invalid) {
        std::int64_t id = h.id.value_or(0);
        if (id <= 0) {
            err(f, h.id.line ? h.id.line : h.line,
                ctx + ": id must be positive (got " + std::to_string(id) + ")");
        } else if (auto it = ids_in_file.find(id); it != ids_in_file.end()) {
            err(f, h.id.line,
                "duplicate host id " + std::to_string(id) + ": used by both '" + it->second + "' and '" +
                    h.primary_domain() + "' (cache key collision)");
        } else {
            ids_in_file.emplace(id, h.primary_domain());
        }
    }
    if (h.render) {
        render_timeout(h.render->timeout, ctx, f);
        render_section(*h.render, ctx + ": render", f, false);
    }
    bool host_dims = h.dimensions && !h.dimensions->empty();
    if (!host_dims && !has_global_dims) {
        err(f, h.dimensions_line ? h.dimensions_line : h.line,
            ctx + ": at least one dimension must be configured (no global dimensions defined)");
    }
    if (host_dims) dimensions(*h.dimensions, ctx, f);
    if (h.unmatched_dimension.has() && !h.unmatched_dimension->empty()) {
        const std::string& u = *h.unmatched_dimension;
        const auto* dims = effective_dims(h);
        bool known = u == "block" || u == "bypass" ||
                     (dims && std::any_of(dims->begin(), dims->end(),
                                          [&](const model::Dimension& d) { return d.name == u; }));
        if (!known) {
            err(f, h.unmatched_dimension.line,
                ctx + ": unmatched_dimension '" + u +
                    "' is invalid (must be 'block', 'bypass', or a dimension name defined in this host's "
                    "dimensions)");
        }
    }
    if (h.bypass) {
        const auto& b = *h.bypass;
        if (b.timeout.has()) {
            if (b.timeout->count() <= 0) {
                err(f, b.timeout.line, ctx + ": bypass.timeout must be positive");
            } else {
                duration_unit(b.timeout, ctx + ": bypass.timeout", f);
                if (*b.timeout < 5s) {
                    warn(f, b.timeout.line,
                         ctx + ": bypass.timeout (" + ds(*b.timeout) +
                             ") is low. Slow origins may timeout. Recommended minimum: 5s");
                }
                if (*b.timeout > 60s) {
                    warn(f, b.timeout.line,
                         ctx + ": bypass.timeout (" + ds(*b.timeout) +
                             ") is high. May indicate origin performance issues");
                }
            }
        }
        if (b.cache) {
            bypass_cache(*b.cache, ctx + ": bypass.cache", f, true);
            status_codes(b.cache->status_codes, ctx + ": bypass.cache", f, true);
        }
    }
    if (h.tracking_params) tracking(*h.tracking_params, ctx, f);
    if (h.bothit_recache) bothit(*h.bothit_recache, ctx, f);
    if (h.headers) headers(*h.headers, ctx, f);
    if (h.client_ip) client_ip(*h.client_ip, ctx, f);
    if (h.cache_sharding) sharding_override(*h.cache_sharding, ctx, f);
    url_rules(h, ctx);
}

void Validator::hosts() {
    bool has_global_dims = _g.dimensions && !_g.dimensions->empty();
    std::map<std::int64_t, std::string> ids_across;  // id -> file
    std::map<std::string, std::string> domains_across;
    std::string current_file;
    std::set<std::string> render_keys;  // per file
    std::map<std::int64_t, std::string> ids_in_file;
    std::set<std::string> domains_in_file;
    for (const auto& h : _hosts) {
        if (h.file != current_file) {
            current_file = h.file;
            render_keys.clear();
            ids_in_file.clear();
            domains_in_file.clear();
        }
        host(h, has_global_dims, render_keys, ids_in_file);
        if (h.id.has() && *h.id > 0) {
            if (auto it = ids_across.find(*h.id); it != ids_across.end() && it->second != h.file) {
                err(h.file, h.id.line,
                    "duplicate host ID " + std::to_string(*h.id) + " found in '" + h.file +
                        "' (already defined in '" + it->second + "')");
            } else {
                ids_across.emplace(*h.id, h.file);
            }
        }
        for (std::size_t j = 0; j < h.domains.size(); ++j) {
            std::string lower = to_lower_copy(h.domains[j]);
            auto it = domains_across.find(lower);
            if (it == domains_across.end()) {
                domains_across.emplace(lower, h.file);
                domains_in_file.insert(lower);
                continue;
            }
            if (it->second == h.file) {
                // Within one file: a repeat inside one host was reported above.
                bool same_host = std::count_if(h.domains.begin(), h.domains.end(), [&](const std::string& x) {
                                     return to_lower_copy(x) == lower;
                                 }) > 1;
                if (!same_host) {
                    err(h.file, h.domain_line,
                        "host[" + std::to_string(h.index) + "]: domain[" + std::to_string(j) + "] \"" +
                            h.domains[j] + "\": duplicate domain (already used by another host)");
                }
            } else {
                err(h.file, h.domain_line,
                    "duplicate domain \"" + h.domains[j] + "\" found in '" + h.file +
                        "' (already defined in '" + it->second + "')");
            }
        }
    }
}

void Validator::cross() {
    if (_hosts.empty() || !_g.server.timeout.has() || _g.server.timeout->count() <= 0) return;
    Duration max_t{0};
    for (const auto& h : _hosts)
        max_t = std::max(max_t, effective_host_render_timeout(_g, h));
    if (max_t.count() > 0) {
        auto wait = Duration(static_cast<std::int64_t>(static_cast<double>(max_t.count()) * 0.8));
        if (wait > 60s) wait = 60s;
        Duration required = wait + max_t + 10s;
        if (*_g.server.timeout < required) {
            err(gf(), _g.server.timeout.line,
                "server.timeout (" + ds(*_g.server.timeout) +
                    ") is too small. Required minimum: max_concurrent_wait (" + ds(wait) +
                    ") + max_host_render_timeout (" + ds(max_t) + ") + overhead (10s) = " + ds(required) +
                    ". Either increase server.timeout or reduce host render timeouts");
        }
    }
    if (_g.bypass && _g.bypass->timeout.has() && *_g.bypass->timeout > *_g.server.timeout) {
        err(gf(), _g.bypass->timeout.line,
            "bypass.timeout (" + ds(*_g.bypass->timeout) + ") exceeds server.timeout (" +
                ds(*_g.server.timeout) + "). Bypass operations will never complete successfully");
    }
}

void validate_config(const model::Global& g, const std::vector<model::Host>& hosts,
                     const std::string& config_dir, Diagnostics& diag, const EnvLookup& env) {
    Validator(g, hosts, config_dir, diag, env).run();
}

}  // namespace ec::gw::detail
