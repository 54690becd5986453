#include "config_parse.h"

#include <yaml-cpp/yaml.h>

namespace ec::gw::detail {
namespace {

enum class Level { global, host, rule };

void read_expired(MapReader& parent, std::optional<model::CacheExpired>& out) {
    YAML::Node n;
    int line = 0;
    if (!parent.section("expired", n, line)) return;
    MapReader r(n, parent.key_path("expired"), parent.ctx());
    model::CacheExpired e;
    e.line = line;
    r.str("strategy", e.strategy);
    r.duration("stale_ttl", e.stale_ttl);
    r.finish();
    out = std::move(e);
}

void read_render(MapReader& parent, Level level, std::optional<model::Render>& out) {
    YAML::Node n;
    int line = 0;
    if (!parent.section("render", n, line)) return;
    MapReader r(n, parent.key_path("render"), parent.ctx());
    model::Render m;
    m.line = line;
    r.duration("timeout", m.timeout);
    if (level == Level::rule) r.str("dimension", m.dimension);
    YAML::Node sub;
    int sub_line = 0;
    if (r.section("events", sub, sub_line)) {
        MapReader e(sub, r.key_path("events"), r.ctx());
        model::RenderEvents ev;
        ev.line = sub_line;
        e.str("wait_for", ev.wait_for);
        e.duration("additional_wait", ev.additional_wait);
        e.finish();
        m.events = std::move(ev);
    }
    if (r.section("cache", sub, sub_line)) {
        MapReader c(sub, r.key_path("cache"), r.ctx());
        model::RenderCache rc;
        rc.line = sub_line;
        c.duration("ttl", rc.ttl);
        c.int_list("status_codes", rc.status_codes);
        read_expired(c, rc.expired);
        c.finish();
        m.cache = std::move(rc);
    }
    r.str_list("blocked_resource_types", m.blocked_resource_types);
    r.str_list("blocked_patterns", m.blocked_patterns);
    r.boolean("strip_scripts", m.strip_scripts);
    r.finish();
    out = std::move(m);
}

void read_bypass(MapReader& parent, Level level, std::optional<model::Bypass>& out) {
    YAML::Node n;
    int line = 0;
    if (!parent.section("bypass", n, line)) return;
    MapReader r(n, parent.key_path("bypass"), parent.ctx());
    model::Bypass m;
    m.line = line;
    if (level == Level::host) r.boolean("enabled", m.enabled);
    r.duration("timeout", m.timeout);
    r.str("user_agent", m.user_agent);
    if (level == Level::global) {
        r.boolean("ssrf_protection", m.ssrf_protection);
        r.str_list("ssrf_allow", m.ssrf_allow);
    }
    YAML::Node sub;
    int sub_line = 0;
    if (r.section("cache", sub, sub_line)) {
        MapReader c(sub, r.key_path("cache"), r.ctx());
        model::BypassCache bc;
        bc.line = sub_line;
        c.boolean("enabled", bc.enabled);
        c.duration("ttl", bc.ttl);
        c.int_list("status_codes", bc.status_codes);
        read_expired(c, bc.expired);
        c.finish();
        m.cache = std::move(bc);
    }
    r.finish();
    out = std::move(m);
}

void read_tracking(MapReader& parent, std::optional<model::TrackingParams>& out) {
    YAML::Node n;
    int line = 0;
    if (!parent.section("tracking_params", n, line)) return;
    MapReader r(n, parent.key_path("tracking_params"), parent.ctx());
    model::TrackingParams m;
    m.line = line;
    r.boolean("strip", m.strip);
    r.str_list("params", m.params);
    r.str_list("params_add", m.params_add);
    r.finish();
    out = std::move(m);
}

void read_bothit(MapReader& parent, std::optional<model::BothitRecache>& out) {
    YAML::Node n;
    int line = 0;
    if (!parent.section("bothit_recache", n, line)) return;
    MapReader r(n, parent.key_path("bothit_recache"), parent.ctx());
    model::BothitRecache m;
    m.line = line;
    r.boolean("enabled", m.enabled);
    r.duration("interval", m.interval);
    r.str_list("match_ua", m.match_ua);
    r.finish();
    out = std::move(m);
}

void read_sharding(MapReader& parent, std::optional<model::CacheSharding>& out) {
    YAML::Node n;
    int line = 0;
    if (!parent.section("cache_sharding", n, line)) return;
    MapReader r(n, parent.key_path("cache_sharding"), parent.ctx());
    model::CacheSharding m;
    m.line = line;
    r.boolean("enabled", m.enabled);
    r.integer("replication_factor", m.replication_factor);
    r.str("distribution_strategy", m.distribution_strategy);
    r.boolean("push_on_render", m.push_on_render);
    r.boolean("replicate_on_pull", m.replicate_on_pull);
    r.finish();
    out = std::move(m);
}

void read_headers(MapReader& parent, std::optional<model::Headers>& out) {
    YAML::Node n;
    int line = 0;
    if (parent.section("headers", n, line)) {
        MapReader r(n, parent.key_path("headers"), parent.ctx());
        model::Headers m;
        m.line = line;
        r.str_list("safe_request", m.safe_request);
        r.str_list("safe_request_add", m.safe_request_add);
        r.str_list("safe_response", m.safe_response);
        r.str_list("safe_response_add", m.safe_response_add);
        r.finish();
        out = std::move(m);
    }
    // DECISIONS A-03: `safe_headers` is an alias of headers.safe_response at the same level.
    model::Setting<model::StringList> alias;
    parent.str_list("safe_headers", alias);
    if (alias.has() || alias.invalid) {
        if (!out) {
            out.emplace();
            out->line = alias.line;
        }
        if (out->safe_response.has()) {
            parent.ctx().diag->error(parent.ctx().file, alias.line,
                                     "'" + parent.key_path("safe_headers") +
                                         "' is an alias of headers.safe_response; set only one of them");
        } else {
            out->safe_response = std::move(alias);
        }
    }
}

void read_client_ip(MapReader& parent, std::optional<model::ClientIp>& out) {
    YAML::Node n;
    int line = 0;
    if (!parent.section("client_ip", n, line)) return;
    MapReader r(n, parent.key_path("client_ip"), parent.ctx());
    model::ClientIp m;
    m.line = line;
    r.str_list("headers", m.headers);
    r.finish();
    out = std::move(m);
}

void read_dimensions(MapReader& parent, std::optional<std::vector<model::Dimension>>& out, int& out_line) {
    YAML::Node n;
    int line = 0;
    if (!parent.section("dimensions", n, line)) return;
    out_line = line;
    std::vector<model::Dimension> dims;
    MapReader all(n, parent.key_path("dimensions"), parent.ctx());
    if (n.IsMap()) {
        for (auto it = n.begin(); it != n.end(); ++it) {
            if (!it->first.IsScalar()) continue;
            std::string name = it->first.Scalar();
            YAML::Node value = all.take(name);
            if (!value.IsDefined()) continue;  // duplicate key, already reported
            model::Dimension d;
            d.name = name;
            d.line = line_of(it->first);
            MapReader r(value, all.key_path(name), parent.ctx());
            r.integer("id", d.id);
            r.str("action", d.action);
            r.integer("width", d.width);
            r.integer("height", d.height);
            r.str("render_ua", d.render_ua);
            r.str_list("match_ua", d.match_ua);
            r.finish();
            if (!value.IsNull() && !value.IsMap()) continue;
            dims.push_back(std::move(d));
        }
    }
    all.finish();
    out = std::move(dims);
}

// `key: "x"` or `key: ["x", "y"]` (used by match, domain and match_query values).
bool read_string_or_list(const YAML::Node& n, model::StringList& out) {
    if (n.IsScalar()) {
        out.push_back(n.Scalar());
        return true;
    }
    if (n.IsSequence()) {
        for (const auto& item : n) {
            if (!item.IsScalar()) return false;
            out.push_back(item.Scalar());
        }
        return true;
    }
    return false;
}

void read_status(MapReader& parent, std::optional<model::Status>& out) {
    YAML::Node n;
    int line = 0;
    if (!parent.section("status", n, line)) return;
    MapReader r(n, parent.key_path("status"), parent.ctx());
    model::Status m;
    m.line = line;
    r.integer("code", m.code);
    r.str("reason", m.reason);
    YAML::Node h;
    int h_line = 0;
    if (r.section("headers", h, h_line)) {
        m.headers_line = h_line;
        if (h.IsMap()) {
            for (auto it = h.begin(); it != h.end(); ++it) {
                if (!it->first.IsScalar() || !it->second.IsScalar()) {
                    r.type_error(it->second, "headers", "a mapping of header name to string");
                    continue;
                }
                m.headers.emplace_back(it->first.Scalar(), it->second.Scalar());
            }
        }
    }
    r.finish();
    out = std::move(m);
}

void read_url_rule(const YAML::Node& node, const std::string& path, ReadContext& ctx, model::UrlRule& rule) {
    rule.line = line_of(node);
    MapReader r(node, path, ctx);
    int key_line = 0;
    YAML::Node match = r.take("match", &key_line);
    if (match.IsDefined() && !match.IsNull()) {
        rule.match_present = true;
        rule.match_line = line_of(match, key_line);
        if (!read_string_or_list(match, rule.match))
            r.type_error(match, "match", "a string or a list of strings");
    }
    r.str("action", rule.action);
    YAML::Node mq = r.take("match_query", &key_line);
    if (mq.IsDefined() && !mq.IsNull()) {
        rule.has_match_query = true;
        rule.match_query_line = key_line;
        if (!mq.IsMap()) {
            r.type_error(mq, "match_query", "a mapping of parameter name to string or list of strings");
        } else {
            for (auto it = mq.begin(); it != mq.end(); ++it) {
                model::MatchQuery q;
                q.key = it->first.IsScalar() ? it->first.Scalar() : std::string();
                q.line = line_of(it->first);
                if (it->second.IsSequence() && it->second.size() == 0) {
                    // kept empty: validation reports "has empty array"
                } else if (!read_string_or_list(it->second, q.values)) {
                    ctx.diag->error(ctx.file, line_of(it->second, q.line),
                                    "match_query key '" + q.key +
                                        "' has invalid type (must be string or array of strings)");
                    continue;
                }
                rule.match_query.push_back(std::move(q));
            }
        }
    }
    read_render(r, Level::rule, rule.render);
    read_bypass(r, Level::rule, rule.bypass);
    read_status(r, rule.status);
    read_tracking(r, rule.tracking_params);
    read_sharding(r, rule.cache_sharding);
    read_bothit(r, rule.bothit_recache);
    read_headers(r, rule.headers);
    r.finish();
}

void read_host(const YAML::Node& node, const std::string& path, ReadContext& ctx, model::Host& h) {
    h.line = line_of(node);
    MapReader r(node, path, ctx);
    r.integer("id", h.id);
    int key_line = 0;
    YAML::Node domain = r.take("domain", &key_line);
    if (domain.IsDefined() && !domain.IsNull()) {
        h.domain_present = true;
        h.domain_line = line_of(domain, key_line);
        model::StringList raw;
        if (!read_string_or_list(domain, raw)) {
            r.type_error(domain, "domain", "a string or a list of strings");
        }
        for (std::string d : raw) {
            // Trim spaces and one trailing '.', as the original does while decoding.
            auto b = d.find_first_not_of(" \t\r\n");
            auto e = d.find_last_not_of(" \t\r\n");
            d = b == std::string::npos ? std::string() : d.substr(b, e - b + 1);
            if (d.ends_with(".")) d.pop_back();
            if (d.empty()) continue;  // the original drops blank entries
            h.domains.push_back(std::move(d));
        }
    }
    r.str("render_key", h.render_key, true);
    r.boolean("enabled", h.enabled);
    r.str("unmatched_dimension", h.unmatched_dimension);
    read_dimensions(r, h.dimensions, h.dimensions_line);
    read_render(r, Level::host, h.render);
    read_bypass(r, Level::host, h.bypass);
    read_tracking(r, h.tracking_params);
    read_bothit(r, h.bothit_recache);
    read_sharding(r, h.cache_sharding);
    read_headers(r, h.headers);
    read_client_ip(r, h.client_ip);
    YAML::Node rules = r.take("url_rules", &key_line);
    if (rules.IsDefined() && !rules.IsNull()) {
        if (!rules.IsSequence()) {
            r.type_error(rules, "url_rules", "a list of rules");
        } else {
            for (std::size_t i = 0; i < rules.size(); ++i) {
                model::UrlRule rule;
                read_url_rule(rules[i], path + ".url_rules[" + std::to_string(i) + "]", ctx, rule);
                h.url_rules.push_back(std::move(rule));
            }
        }
    }
    r.finish();
}

void read_rotation(MapReader& parent, std::optional<model::Rotation>& out) {
    YAML::Node n;
    int line = 0;
    if (!parent.section("rotation", n, line)) return;
    MapReader r(n, parent.key_path("rotation"), parent.ctx());
    model::Rotation m;
    m.line = line;
    r.integer("max_size", m.max_size);
    r.integer("max_age", m.max_age);
    r.integer("max_backups", m.max_backups);
    r.boolean("compress", m.compress);
    r.finish();
    out = std::move(m);
}

}  // namespace

bool parse_global_file(const std::string& path, model::Global& g, ReadContext& ctx) {
    YAML::Node root;
    if (!rt::yaml::load_file(path, root, ctx)) return false;
    g.file = path;
    MapReader r(root, "", ctx);
    if (!r.ok()) return false;
    YAML::Node n;
    int line = 0;

    if (r.section("server", n, line)) {
        g.server.line = line;
        MapReader s(n, "server", ctx);
        s.str("listen", g.server.listen);
        s.duration("timeout", g.server.timeout);
        YAML::Node t;
        int t_line = 0;
        if (s.section("tls", t, t_line)) {
            MapReader tr(t, "server.tls", ctx);
            model::Global::Tls tls;
            tls.line = t_line;
            tr.boolean("enabled", tls.enabled);
            tr.str("listen", tls.listen);
            tr.str("cert_file", tls.cert_file);
            tr.str("key_file", tls.key_file);
            tr.finish();
            g.server.tls = std::move(tls);
        }
        s.finish();
    }
    if (r.section("internal", n, line)) {
        g.internal_present = true;
        g.internal.line = line;
        MapReader s(n, "internal", ctx);
        s.str("listen", g.internal.listen);
        s.str("auth_key", g.internal.auth_key, true);
        s.finish();
    }
    r.str("eg_id", g.eg_id);
    if (r.section("redis", n, line)) {
        g.redis.line = line;
        MapReader s(n, "redis", ctx);
        s.str("addr", g.redis.addr);
        s.str("password", g.redis.password, true);
        s.integer("db", g.redis.db);
        s.finish();
    }
    if (r.section("storage", n, line)) {
        g.storage.line = line;
        MapReader s(n, "storage", ctx);
        s.str("base_path", g.storage.base_path);
        s.str("compression", g.storage.compression);
        YAML::Node c;
        int c_line = 0;
        if (s.section("cleanup", c, c_line)) {
            MapReader cr(c, "storage.cleanup", ctx);
            model::Global::Cleanup cl;
            cl.line = c_line;
            cr.boolean("enabled", cl.enabled);
            cr.duration("interval", cl.interval);
            cr.duration("safety_margin", cl.safety_margin);
            cr.finish();
            g.storage.cleanup = std::move(cl);
        }
        s.finish();
    }
    read_render(r, Level::global, g.render);
    read_bypass(r, Level::global, g.bypass);
    r.str("unmatched_dimension", g.unmatched_dimension);
    read_dimensions(r, g.dimensions, g.dimensions_line);
    if (r.section("registry", n, line)) {
        g.registry.line = line;
        MapReader s(n, "registry", ctx);
        s.str("selection_strategy", g.registry.selection_strategy);
        s.finish();
    }
    if (r.section("log", n, line)) {
        g.log.line = line;
        MapReader s(n, "log", ctx);
        s.str("level", g.log.level);
        YAML::Node o;
        int o_line = 0;
        if (s.section("console", o, o_line)) {
            g.log.console.line = o_line;
            MapReader c(o, "log.console", ctx);
            c.boolean("enabled", g.log.console.enabled);
            c.str("format", g.log.console.format);
            c.str("level", g.log.console.level);
            c.finish();
        }
        if (s.section("file", o, o_line)) {
            g.log.file.line = o_line;
            MapReader f(o, "log.file", ctx);
            f.boolean("enabled", g.log.file.enabled);
            f.str("path", g.log.file.path);
            f.str("format", g.log.file.format);
            f.str("level", g.log.file.level);
            read_rotation(f, g.log.file.rotation);
            f.finish();
        }
        s.finish();
    }
    if (r.section("metrics", n, line)) {
        g.metrics.line = line;
        MapReader s(n, "metrics", ctx);
        s.boolean("enabled", g.metrics.enabled);
        s.str("listen", g.metrics.listen);
        s.str("path", g.metrics.path);
        s.str("namespace", g.metrics.namespace_);
        s.finish();
    }
    read_tracking(r, g.tracking_params);
    read_bothit(r, g.bothit_recache);
    read_sharding(r, g.cache_sharding);
    read_headers(r, g.headers);
    read_client_ip(r, g.client_ip);
    if (r.section("event_logging", n, line)) {
        model::Global::EventLogging ev;
        ev.line = line;
        MapReader s(n, "event_logging", ctx);
        YAML::Node f;
        int f_line = 0;
        if (s.section("file", f, f_line)) {
            ev.file.line = f_line;
            MapReader fr(f, "event_logging.file", ctx);
            fr.boolean("enabled", ev.file.enabled);
            fr.str("path", ev.file.path);
            fr.str("template", ev.file.template_);
            read_rotation(fr, ev.file.rotation);
            fr.finish();
        }
        s.finish();
        g.event_logging = std::move(ev);
    }
    if (r.section("hosts", n, line)) {
        g.hosts.line = line;
        MapReader s(n, "hosts", ctx);
        s.str("include", g.hosts.include);
        s.finish();
    }
    r.finish();
    return true;
}

bool parse_hosts_file(const std::string& path, std::vector<model::Host>& out, ReadContext& ctx) {
    YAML::Node root;
    if (!rt::yaml::load_file(path, root, ctx)) return false;
    MapReader r(root, "", ctx);
    if (!r.ok()) return false;
    int key_line = 0;
    YAML::Node hosts = r.take("hosts", &key_line);
    r.finish();
    if (!hosts.IsDefined() || hosts.IsNull()) {
        ctx.diag->error(path, key_line, "no hosts configured");
        return true;
    }
    if (!hosts.IsSequence()) {
        r.type_error(hosts, "hosts", "a list of hosts");
        return true;
    }
    if (hosts.size() == 0) ctx.diag->error(path, key_line, "no hosts configured");
    for (std::size_t i = 0; i < hosts.size(); ++i) {
        model::Host h;
        h.file = path;
        h.index = static_cast<int>(i);
        read_host(hosts[i], "hosts[" + std::to_string(i) + "]", ctx, h);
        out.push_back(std::move(h));
    }
    return true;
}

}  // namespace ec::gw::detail
