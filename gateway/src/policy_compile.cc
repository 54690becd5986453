#include "policy_compile.h"

#include <algorithm>
#include <filesystem>

#include "config_validate.h"
#include "gateway/ascii.h"
#include "gateway/bot_aliases.h"

namespace ec::gw::detail {
namespace {

using namespace std::chrono_literals;

// Characters other than '*', counted as code points like the original's rune loop.
int literal_chars(std::string_view s) {
    int n = 0;
    for (char c : s) {
        auto b = static_cast<unsigned char>(c);
        if ((b & 0xC0) == 0x80) continue;
        if (c != '*') ++n;
    }
    return n;
}

int slash_count(std::string_view p) {
    if (p.starts_with("~*")) {
        p.remove_prefix(2);
    } else if (p.starts_with("~")) {
        p.remove_prefix(1);
    }
    return static_cast<int>(std::count(p.begin(), p.end(), '/'));
}

WaitFor parse_wait_for(const std::string& s) {
    if (s == "DOMContentLoaded") return WaitFor::dom_content_loaded;
    if (s == "load") return WaitFor::load;
    if (s == "networkAlmostIdle") return WaitFor::network_almost_idle;
    return WaitFor::network_idle;
}

ExpiredPolicy to_expired(const model::CacheExpired& e) {
    ExpiredPolicy p;
    if (e.strategy.has() && *e.strategy == "serve_stale") p.strategy = ExpiredStrategy::serve_stale;
    if (e.stale_ttl.has()) p.stale_ttl = *e.stale_ttl;
    return p;
}

std::vector<int> to_ints(const model::IntList& l) {
    return std::vector<int>(l.begin(), l.end());
}

DistributionStrategy parse_strategy(const std::string& s) {
    if (s == "random") return DistributionStrategy::random;
    if (s == "primary_only") return DistributionStrategy::primary_only;
    return DistributionStrategy::hash_modulo;
}

RuleAction parse_rule_action(const std::string& a) {
    if (a == "bypass") return RuleAction::bypass;
    if (a == "block") return RuleAction::block;
    if (a == "status_403") return RuleAction::status_403;
    if (a == "status_404") return RuleAction::status_404;
    if (a == "status_410") return RuleAction::status_410;
    if (a == "status") return RuleAction::status;
    return RuleAction::render;
}

// Headers list directive: explicit list replaces (an explicit empty list clears, A-10), _add appends with
// case-insensitive de-duplication.
void apply_headers(std::vector<std::string>& list, const model::Setting<model::StringList>& replace,
                   const model::Setting<model::StringList>& add) {
    if (replace.has()) {
        list = *replace;
        return;
    }
    if (add.has()) {
        for (const auto& h : *add) {
            bool dup =
                std::any_of(list.begin(), list.end(), [&](const std::string& x) { return iequals(x, h); });
            if (!dup) list.push_back(h);
        }
    }
}

class Compiler {
  public:
    Compiler(const model::Global& g, Config& cfg, Diagnostics& diag) : _g(g), _cfg(cfg), _diag(diag) {}

    bool host(const model::Host& h);

  private:
    const Pattern* compile_pattern(const std::string& text, const std::string& file, int line) {
        std::string why;
        auto p = Pattern::compile(text, &why);
        if (!p) {
            _diag.error(file, line, why);
            _ok = false;
            return nullptr;
        }
        return _cfg.policy.own(std::move(*p));
    }

    std::vector<const Pattern*> compile_ua_list(const model::StringList& list, const std::string& file,
                                                int line) {
        std::vector<std::string> expanded;
        std::string why;
        if (!expand_bot_aliases(list, expanded, &why)) {
            _diag.error(file, line, why);
            _ok = false;
            return {};
        }
        std::vector<const Pattern*> out;
        for (const auto& p : expanded) {
            if (const Pattern* c = compile_pattern(p, file, line)) out.push_back(c);
        }
        return out;
    }

    void dimensions(const model::Host& h, CompiledHost& ch);
    ResolvedConfig resolve(const model::Host& h, const CompiledHost& ch, const model::UrlRule* rule,
                           const std::string& pattern, int index);

    const model::Global& _g;
    Config& _cfg;
    Diagnostics& _diag;
    bool _ok = true;
};

void Compiler::dimensions(const model::Host& h, CompiledHost& ch) {
    const std::vector<model::Dimension>* dims = nullptr;
    std::string file = h.file;
    if (h.dimensions && !h.dimensions->empty()) {
        dims = &*h.dimensions;
    } else if (_g.dimensions) {
        dims = &*_g.dimensions;
        file = _g.file;
    }
    if (dims) {
        for (const auto& d : *dims) {
            auto cd = std::make_unique<CompiledDimension>();
            cd->name = d.name;
            cd->id = static_cast<int>(d.id.value_or(0));
            std::string action = d.action.value_or("render");
            cd->action = action == "block"    ? DimensionAction::block
                         : action == "bypass" ? DimensionAction::bypass
                                              : DimensionAction::render;
            cd->width = static_cast<int>(d.width.value_or(0));
            cd->height = static_cast<int>(d.height.value_or(0));
            cd->render_ua = d.render_ua.value_or("");
            if (d.match_ua.has()) {
                std::string why;
                if (!expand_bot_aliases(*d.match_ua, cd->match_ua, &why)) {
                    _diag.error(file, d.match_ua.line, why);
                    _ok = false;
                }
            }
            ch.dimensions.push_back(std::move(cd));
        }
    }
    // The built-in bypass dimension: injected, or the user's declaration completed with the defaults.
    CompiledDimension* bypass = nullptr;
    for (auto& d : ch.dimensions) {
        if (d->name == "bypass") bypass = d.get();
    }
    if (!bypass) {
        ch.dimensions.push_back(std::make_unique<CompiledDimension>());
        bypass = ch.dimensions.back().get();
        bypass->name = "bypass";
    }
    bypass->id = 0;
    bypass->action = DimensionAction::bypass;
    if (bypass->width == 0) bypass->width = 1920;
    if (bypass->height == 0) bypass->height = 1080;
    if (bypass->render_ua.empty()) bypass->render_ua = k_bypass_dimension_render_ua;
    ch.bypass_dimension = bypass;

    // Detection order (F-GW-09): block dimensions first, exact > wildcard > regex, more literal characters
    // first, lower dimension id first.
    struct Item {
        CompiledHost::UaEntry entry;
        bool block;
        int priority;
        int literal;
        std::size_t order;
    };
    std::vector<Item> items;
    for (const auto& d : ch.dimensions) {
        for (const auto& text : d->match_ua) {
            const Pattern* p = compile_pattern(text, file, 0);
            if (!p) continue;
            items.push_back({{p, d.get()},
                             d->action == DimensionAction::block,
                             pattern_kind_priority(p->kind()),
                             literal_chars(text),
                             items.size()});
        }
    }
    // std::sort with the declaration order as last key: a total order, so the result is deterministic.
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
        if (a.block != b.block) return a.block;
        if (a.priority != b.priority) return a.priority > b.priority;
        if (a.literal != b.literal) return a.literal > b.literal;
        if (a.entry.dimension->id != b.entry.dimension->id)
            return a.entry.dimension->id < b.entry.dimension->id;
        return a.order < b.order;
    });
    for (const auto& it : items)
        ch.ua_order.push_back(it.entry);
}

ResolvedConfig Compiler::resolve(const model::Host& h, const CompiledHost& ch, const model::UrlRule* rule,
                                 const std::string& pattern, int index) {
    ResolvedConfig rc;
    const model::Render* gr = _g.render ? &*_g.render : nullptr;
    const model::Render* hr = h.render ? &*h.render : nullptr;
    std::string action = rule ? rule->action.value_or("render") : "render";
    rc.rule_matched = rule != nullptr;
    rc.rule_action = parse_rule_action(action);
    const model::Render* rr =
        (rule && rule->render && rc.rule_action == RuleAction::render) ? &*rule->render : nullptr;
    if (rule) {
        rc.matched_pattern = pattern;
        rc.matched_rule_id = "rule_" + std::to_string(index) + ":" + pattern;
        if (rule->has_match_query && !rule->match_query.empty()) rc.matched_rule_id += "?...";
    }

    // Status.
    switch (rc.rule_action) {
        case RuleAction::block:
        case RuleAction::status_403:
            rc.status.code = 403;
            break;
        case RuleAction::status_404:
            rc.status.code = 404;
            break;
        case RuleAction::status_410:
            rc.status.code = 410;
            break;
        default:
            break;
    }
    if (rule && rule->status) {
        if (rule->status->code.has()) rc.status.code = static_cast<int>(*rule->status->code);
        rc.status.reason = rule->status->reason.value_or("");
        rc.status.headers = rule->status->headers;
    }

    // Render.
    auto& r = rc.render;
    r.timeout = effective_host_render_timeout(_g, h);
    if (rr && rr->timeout.has()) r.timeout = *rr->timeout;
    r.wait_for = WaitFor::network_idle;
    for (const model::Render* lvl : {gr, hr, rr}) {
        if (!lvl || !lvl->events) continue;
        if (lvl->events->wait_for.has() && !lvl->events->wait_for->empty()) {
            r.wait_for = parse_wait_for(*lvl->events->wait_for);
        }
        if (lvl->events->additional_wait.has()) r.additional_wait = *lvl->events->additional_wait;
    }
    r.cache_ttl = 1h;
    r.cache_status_codes = {200, 301, 302, 307, 308, 404};
    for (const model::Render* lvl : {gr, hr, rr}) {
        if (!lvl) continue;
        if (lvl->cache) {
            if (lvl->cache->ttl.has()) r.cache_ttl = *lvl->cache->ttl;
            if (lvl->cache->status_codes.has() && !lvl->cache->status_codes->empty()) {
                r.cache_status_codes = to_ints(*lvl->cache->status_codes);
            }
            if (lvl->cache->expired) r.cache_expired = to_expired(*lvl->cache->expired);
        }
        // DECISIONS A-10: an explicit list (even empty) replaces the inherited one.
        if (lvl->blocked_resource_types.has()) r.blocked_resource_types = *lvl->blocked_resource_types;
        if (lvl->blocked_patterns.has()) r.blocked_patterns = *lvl->blocked_patterns;
        if (lvl->strip_scripts.has()) r.strip_scripts = *lvl->strip_scripts;
    }
    if (rr && rr->dimension.has() && !rr->dimension->empty())
        r.forced_dimension = ch.find_dimension(*rr->dimension);

    // Bypass (A-08: the resolved timeout and user agent are the ones used).
    auto& b = rc.bypass;
    b.timeout = 30s;
    b.user_agent = k_default_bypass_user_agent;
    b.cache_ttl = 30min;
    b.cache_status_codes = {200};
    const model::Bypass* bypass_levels[] = {_g.bypass ? &*_g.bypass : nullptr,
                                            h.bypass ? &*h.bypass : nullptr,
                                            rule && rule->bypass ? &*rule->bypass : nullptr};
    for (const model::Bypass* lvl : bypass_levels) {
        if (!lvl) continue;
        if (lvl->timeout.has()) b.timeout = *lvl->timeout;
        if (lvl->user_agent.has() && !lvl->user_agent->empty()) b.user_agent = *lvl->user_agent;
        if (!lvl->cache) continue;
        const auto& c = *lvl->cache;
        if (c.enabled.has()) b.cache_enabled = *c.enabled;
        if (c.ttl.has()) b.cache_ttl = *c.ttl;
        if (c.status_codes.has() && !c.status_codes->empty()) b.cache_status_codes = to_ints(*c.status_codes);
        if (c.expired) b.cache_expired = to_expired(*c.expired);
    }

    // Tracking parameters: `params` replaces (an empty list clears), `params_add` extends.
    bool strip = true;
    std::vector<std::string> params(std::begin(k_default_tracking_params),
                                    std::end(k_default_tracking_params));
    const model::TrackingParams* tp_levels[] = {
        _g.tracking_params ? &*_g.tracking_params : nullptr,
        h.tracking_params ? &*h.tracking_params : nullptr,
        rule && rule->tracking_params ? &*rule->tracking_params : nullptr};
    for (const model::TrackingParams* lvl : tp_levels) {
        if (!lvl) continue;
        if (lvl->strip.has()) strip = *lvl->strip;
        if (lvl->params.has()) {
            params = *lvl->params;
        } else if (lvl->params_add.has()) {
            params.insert(params.end(), lvl->params_add->begin(), lvl->params_add->end());
        }
    }
    params.erase(std::remove(params.begin(), params.end(), std::string()), params.end());
    rc.tracking.enabled = strip && !params.empty();
    if (rc.tracking.enabled) {
        rc.tracking.names = params;
        for (const auto& p : params) {
            if (const Pattern* c = compile_pattern(p, h.file, 0)) rc.tracking.patterns.push_back(c);
        }
    }

    // Sharding (A-13: enabled and distribution_strategy are global only).
    auto& s = rc.sharding;
    s.enabled = _cfg.sharding.enabled;
    s.strategy = _cfg.sharding.strategy;
    s.replication_factor = _cfg.sharding.replication_factor;
    s.push_on_render = _cfg.sharding.push_on_render;
    s.replicate_on_pull = _cfg.sharding.replicate_on_pull;
    const model::CacheSharding* sh_levels[] = {
        h.cache_sharding ? &*h.cache_sharding : nullptr,
        rule && rule->cache_sharding ? &*rule->cache_sharding : nullptr};
    for (const model::CacheSharding* lvl : sh_levels) {
        if (!lvl) continue;
        if (lvl->replication_factor.has()) s.replication_factor = static_cast<int>(*lvl->replication_factor);
        if (lvl->push_on_render.has()) s.push_on_render = *lvl->push_on_render;
        if (lvl->replicate_on_pull.has()) s.replicate_on_pull = *lvl->replicate_on_pull;
    }

    // Bot-hit recache: match_ua replaces when non-empty.
    auto& bh = rc.bothit;
    bh.interval = 24h;
    const model::BothitRecache* bh_levels[] = {
        _g.bothit_recache ? &*_g.bothit_recache : nullptr, h.bothit_recache ? &*h.bothit_recache : nullptr,
        rule && rule->bothit_recache ? &*rule->bothit_recache : nullptr};
    const model::Global* gp = &_g;
    const model::StringList* ua = nullptr;
    std::string ua_file = gp->file;
    int ua_line = 0;
    for (std::size_t i = 0; i < 3; ++i) {
        const model::BothitRecache* lvl = bh_levels[i];
        if (!lvl) continue;
        if (lvl->enabled.has()) bh.enabled = *lvl->enabled;
        if (lvl->interval.has()) bh.interval = *lvl->interval;
        if (lvl->match_ua.has() && !lvl->match_ua->empty()) {
            ua = &*lvl->match_ua;
            ua_file = i == 0 ? _g.file : h.file;
            ua_line = lvl->match_ua.line;
        }
    }
    if (ua) bh.match_ua = compile_ua_list(*ua, ua_file, ua_line);

    // Safe headers.
    rc.safe_response_headers.assign(std::begin(k_default_safe_response_headers),
                                    std::end(k_default_safe_response_headers));
    const model::Headers* hd_levels[] = {_g.headers ? &*_g.headers : nullptr,
                                         h.headers ? &*h.headers : nullptr,
                                         rule && rule->headers ? &*rule->headers : nullptr};
    for (const model::Headers* lvl : hd_levels) {
        if (!lvl) continue;
        apply_headers(rc.safe_request_headers, lvl->safe_request, lvl->safe_request_add);
        apply_headers(rc.safe_response_headers, lvl->safe_response, lvl->safe_response_add);
    }
    rc.compression = _cfg.storage.compression;
    return rc;
}

bool Compiler::host(const model::Host& h) {
    auto ch = std::make_unique<CompiledHost>();
    ch->id = static_cast<int>(h.id.value_or(0));
    ch->domains = h.domains;
    for (auto& d : ch->domains)
        d = to_lower_copy(d);
    ch->render_key = h.render_key.value_or("");
    ch->enabled = h.enabled.value_or(false);
    ch->file = h.file;
    dimensions(h, *ch);

    // Unmatched User-Agents: host value, else the global one, else bypass.
    std::string unmatched = h.unmatched_dimension.value_or("");
    if (unmatched.empty()) unmatched = _g.unmatched_dimension.value_or("");
    if (unmatched.empty() || unmatched == "bypass") {
        ch->unmatched_mode = UnmatchedMode::bypass;
    } else if (unmatched == "block") {
        ch->unmatched_mode = UnmatchedMode::block;
    } else {
        ch->unmatched_mode = UnmatchedMode::dimension;
        ch->unmatched_dimension = ch->find_dimension(unmatched);
        if (!ch->unmatched_dimension) {
            // A global unmatched_dimension naming a global dimension this host replaced.
            ch->unmatched_mode = UnmatchedMode::bypass;
            _diag.warning(h.file, h.line,
                          "host[" + std::to_string(h.index) + "] (" + h.primary_domain() +
                              "): unmatched_dimension '" + unmatched +
                              "' is not a dimension of this host; unmatched User-Agents use bypass");
        }
    }

    if (h.client_ip && h.client_ip->headers.has()) {
        ch->client_ip_headers = *h.client_ip->headers;
    } else {
        ch->client_ip_headers = _cfg.client_ip_headers;
    }

    ch->default_resolved = resolve(h, *ch, nullptr, "", -1);

    // URL rules: split multi-pattern rules, then stable sort (F-GW-11).
    struct Expanded {
        const model::UrlRule* rule;
        std::string pattern;
        int priority;
        bool has_query;
        int slashes;
        int order;
    };
    std::vector<Expanded> expanded;
    for (const auto& rule : h.url_rules) {
        for (const auto& p : rule.match) {
            if (p.empty()) continue;
            expanded.push_back({&rule, p, pattern_kind_priority(detect_pattern_kind(p)),
                                rule.has_match_query && !rule.match_query.empty(), slash_count(p),
                                static_cast<int>(expanded.size())});
        }
    }
    std::sort(expanded.begin(), expanded.end(), [](const Expanded& a, const Expanded& b) {
        if (a.priority != b.priority) return a.priority > b.priority;
        if (a.has_query != b.has_query) return a.has_query;
        if (a.slashes != b.slashes) return a.slashes > b.slashes;
        return a.order < b.order;
    });
    for (std::size_t i = 0; i < expanded.size(); ++i) {
        const auto& e = expanded[i];
        auto cr = std::make_unique<CompiledRule>();
        cr->index = static_cast<int>(i);
        cr->pattern = compile_pattern(e.pattern, h.file, e.rule->match_line);
        if (!cr->pattern) continue;
        for (const auto& q : e.rule->match_query) {
            QueryCondition qc;
            qc.key = q.key;
            for (const auto& v : q.values) {
                if (const Pattern* p = compile_pattern(v, h.file, q.line)) qc.values.push_back(p);
            }
            cr->query.push_back(std::move(qc));
        }
        cr->resolved = resolve(h, *ch, e.rule, e.pattern, static_cast<int>(i));
        ch->rules.push_back(std::move(cr));
    }
    _cfg.policy.add_host(std::move(ch));
    return _ok;
}

RotationSettings to_rotation(const std::optional<model::Rotation>& r) {
    RotationSettings s;
    if (!r) return s;
    s.max_size_mb = static_cast<int>(r->max_size.value_or(0));
    s.max_age_days = static_cast<int>(r->max_age.value_or(0));
    s.max_backups = static_cast<int>(r->max_backups.value_or(0));
    s.compress = r->compress.value_or(false);
    return s;
}

std::string resolve_file(const std::string& dir, const std::string& path) {
    std::filesystem::path p(path);
    if (p.is_relative()) p = std::filesystem::path(dir) / p;
    std::error_code ec;
    auto c = std::filesystem::canonical(p, ec);
    return ec ? p.string() : c.string();
}

void fill_globals(const model::Global& g, Config& cfg) {
    cfg.eg_id = g.eg_id.value_or("");
    cfg.server.listen_text = g.server.listen.value_or("");
    if (auto a = parse_listen_address(cfg.server.listen_text)) cfg.server.listen = *a;
    cfg.server.timeout = g.server.timeout.value_or(Duration{0});
    if (g.server.tls && g.server.tls->enabled.value_or(false)) {
        auto& t = cfg.server.tls;
        t.enabled = true;
        t.listen_text = g.server.tls->listen.value_or("");
        if (auto a = parse_listen_address(t.listen_text)) t.listen = *a;
        t.cert_file = resolve_file(cfg.dir, g.server.tls->cert_file.value_or(""));
        t.key_file = resolve_file(cfg.dir, g.server.tls->key_file.value_or(""));
    }
    cfg.sharding.enabled = g.cache_sharding && g.cache_sharding->enabled.value_or(false);
    if (g.cache_sharding) {
        const auto& cs = *g.cache_sharding;
        cfg.sharding.replication_factor = static_cast<int>(cs.replication_factor.value_or(2));
        cfg.sharding.strategy = parse_strategy(cs.distribution_strategy.value_or("hash_modulo"));
        cfg.sharding.push_on_render = cs.push_on_render.value_or(true);
        cfg.sharding.replicate_on_pull = cs.replicate_on_pull.value_or(true);
    }
    cfg.internal.listen_text = g.internal.listen.value_or("");
    cfg.internal.auth_key = g.internal.auth_key.value_or("");
    cfg.internal.enabled = !cfg.internal.listen_text.empty() && !cfg.internal.auth_key.empty();
    if (auto a = parse_listen_address(cfg.internal.listen_text)) cfg.internal.listen = *a;
    cfg.redis.addr = g.redis.addr.value_or("");
    cfg.redis.password = g.redis.password.value_or("");
    cfg.redis.db = static_cast<int>(g.redis.db.value_or(0));
    cfg.storage.base_path = g.storage.base_path.value_or("");
    std::string comp = g.storage.compression.value_or("");
    cfg.storage.compression = comp == "none"  ? Compression::none
                              : comp == "lz4" ? Compression::lz4
                                              : Compression::snappy;
    if (g.storage.cleanup) {
        auto& c = cfg.storage.cleanup;
        c.configured = true;
        c.enabled = g.storage.cleanup->enabled.value_or(false);
        c.interval = g.storage.cleanup->interval.value_or(Duration{0});
        c.safety_margin = g.storage.cleanup->safety_margin.value_or(Duration{0});
    }
    if (g.registry.selection_strategy.value_or("") == "most_available") {
        cfg.selection_strategy = SelectionStrategy::most_available;
    }
    auto& log = cfg.log;
    if (g.log.level.has() && !g.log.level->empty()) log.level = *g.log.level;
    log.console.enabled = g.log.console.enabled.value_or(false);
    if (g.log.console.format.has() && !g.log.console.format->empty())
        log.console.format = *g.log.console.format;
    log.console.level = g.log.console.level.value_or("");
    log.file.enabled = g.log.file.enabled.value_or(false);
    log.file.path = g.log.file.path.value_or("");
    if (g.log.file.format.has() && !g.log.file.format->empty()) log.file.format = *g.log.file.format;
    log.file.level = g.log.file.level.value_or("");
    log.file.rotation = to_rotation(g.log.file.rotation);
    if (!log.console.enabled && !log.file.enabled) log.console.enabled = true;  // as the original
    cfg.metrics.enabled = g.metrics.enabled.value_or(false);
    cfg.metrics.listen_text = g.metrics.listen.value_or("");
    if (auto a = parse_listen_address(cfg.metrics.listen_text)) cfg.metrics.listen = *a;
    if (g.metrics.path.has() && !g.metrics.path->empty()) cfg.metrics.path = *g.metrics.path;
    cfg.metrics.namespace_ = g.metrics.namespace_.value_or("");
    if (g.event_logging) {
        const auto& f = g.event_logging->file;
        cfg.event_logging.enabled = f.enabled.value_or(false);
        cfg.event_logging.path = f.path.value_or("");
        cfg.event_logging.template_ = f.template_.value_or("");
        if (cfg.event_logging.template_.empty())
            cfg.event_logging.template_ = std::string(k_default_event_template);
        cfg.event_logging.rotation = to_rotation(f.rotation);
    }
    if (g.client_ip && g.client_ip->headers.has()) cfg.client_ip_headers = *g.client_ip->headers;
    if (g.bypass) {
        cfg.policy.ssrf_protection = g.bypass->ssrf_protection.value_or(true);
        if (g.bypass->ssrf_allow.has()) {
            for (const auto& c : *g.bypass->ssrf_allow) {
                if (auto cidr = parse_cidr(c)) cfg.policy.ssrf_allow.push_back(*cidr);
            }
        }
    }
}

}  // namespace

bool compile_config(const model::Global& g, const std::vector<model::Host>& hosts, Config& cfg,
                    Diagnostics& diag) {
    fill_globals(g, cfg);
    Compiler c(g, cfg, diag);
    bool ok = true;
    for (const auto& h : hosts)
        ok = c.host(h) && ok;
    cfg.policy.index_domains();
    return ok;
}

}  // namespace ec::gw::detail
