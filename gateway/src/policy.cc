#include "gateway/policy.h"

#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "gateway/ascii.h"

namespace ec::gw {

std::string_view to_string(RuleAction a) {
    switch (a) {
        case RuleAction::render:
            return "render";
        case RuleAction::bypass:
            return "bypass";
        case RuleAction::block:
            return "block";
        case RuleAction::status_403:
            return "status_403";
        case RuleAction::status_404:
            return "status_404";
        case RuleAction::status_410:
            return "status_410";
        case RuleAction::status:
            return "status";
    }
    return "render";
}

std::string_view to_string(Action a) {
    switch (a) {
        case Action::render:
            return "render";
        case Action::bypass:
            return "bypass";
        case Action::status:
            return "status";
    }
    return "render";
}

std::string_view to_string(WaitFor w) {
    switch (w) {
        case WaitFor::dom_content_loaded:
            return "DOMContentLoaded";
        case WaitFor::load:
            return "load";
        case WaitFor::network_idle:
            return "networkIdle";
        case WaitFor::network_almost_idle:
            return "networkAlmostIdle";
    }
    return "networkIdle";
}

std::string_view to_string(ExpiredStrategy s) {
    return s == ExpiredStrategy::serve_stale ? "serve_stale" : "delete";
}

std::string_view to_string(DistributionStrategy s) {
    switch (s) {
        case DistributionStrategy::hash_modulo:
            return "hash_modulo";
        case DistributionStrategy::random:
            return "random";
        case DistributionStrategy::primary_only:
            return "primary_only";
    }
    return "hash_modulo";
}

std::string_view to_string(Compression c) {
    switch (c) {
        case Compression::none:
            return "none";
        case Compression::snappy:
            return "snappy";
        case Compression::lz4:
            return "lz4";
    }
    return "snappy";
}

bool ResolvedConfig::Render::caches(int status_code) const {
    return cache_ttl.count() > 0 && std::find(cache_status_codes.begin(), cache_status_codes.end(),
                                              status_code) != cache_status_codes.end();
}

bool ResolvedConfig::Bypass::caches(int status_code) const {
    return cache_enabled && cache_ttl.count() > 0 &&
           std::find(cache_status_codes.begin(), cache_status_codes.end(), status_code) !=
               cache_status_codes.end();
}

Action ResolvedConfig::rule_effective_action() const {
    switch (rule_action) {
        case RuleAction::render:
            return Action::render;
        case RuleAction::bypass:
            return Action::bypass;
        default:
            return Action::status;
    }
}

const CompiledDimension* CompiledHost::find_dimension(std::string_view name) const {
    for (const auto& d : dimensions) {
        if (d->name == name) return d.get();
    }
    return nullptr;
}

const CompiledDimension* CompiledHost::find_dimension(int id) const {
    for (const auto& d : dimensions) {
        if (d->id == id) return d.get();
    }
    return nullptr;
}

namespace {

std::string_view fold_into(std::string_view in, std::string& buf) {
    buf.resize(in.size());
    for (std::size_t i = 0; i < in.size(); ++i)
        buf[i] = ascii_lower(in[i]);
    return buf;
}

}  // namespace

const CompiledDimension* CompiledHost::detect_dimension(std::string_view user_agent,
                                                        std::string& fold) const {
    std::string_view lowered = fold_into(user_agent, fold);
    for (const auto& e : ua_order) {
        if (e.pattern->matches_folded(user_agent, lowered)) return e.dimension;
    }
    return nullptr;
}

const CompiledDimension* CompiledHost::detect_dimension(std::string_view user_agent) const {
    std::string fold;
    return detect_dimension(user_agent, fold);
}

const CompiledRule* CompiledHost::match_rule(std::string_view path, std::string_view raw_query,
                                             std::string& fold, std::string& scratch,
                                             std::string& value) const {
    std::string_view lowered = fold_into(path, fold);
    for (const auto& rule : rules) {
        if (!rule->pattern->matches_folded(path, lowered)) continue;
        bool ok = true;
        for (const auto& q : rule->query) {
            if (!gourl::query_first_value(raw_query, q.key, scratch, value)) {
                ok = false;
                break;
            }
            bool any = false;
            for (const Pattern* p : q.values) {
                // "*" alone means: present with a non-empty value.
                if (p->is_match_all() ? !value.empty() : p->matches(value)) {
                    any = true;
                    break;
                }
            }
            if (!any) {
                ok = false;
                break;
            }
        }
        if (ok) return rule.get();
    }
    return nullptr;
}

const CompiledHost* Policy::find_host(std::string_view hostname) const {
    auto it =
        std::lower_bound(_by_domain.begin(), _by_domain.end(), hostname,
                         [](const auto& e, std::string_view h) { return std::string_view(e.first) < h; });
    if (it == _by_domain.end() || it->first != hostname) return nullptr;
    return it->second;
}

const CompiledHost* Policy::find_host_by_id(int id) const {
    for (const auto& h : _hosts) {
        if (h->id == id) return h.get();
    }
    return nullptr;
}

CompiledHost& Policy::add_host(std::unique_ptr<CompiledHost> host) {
    _hosts.push_back(std::move(host));
    return *_hosts.back();
}

const Pattern* Policy::own(Pattern p) {
    _patterns.push_back(std::make_unique<Pattern>(std::move(p)));
    return _patterns.back().get();
}

void Policy::index_domains() {
    // Any value unique per build will do; a nanosecond clock reading is.
    _epoch = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) | 1;
    _by_domain.clear();
    for (const auto& h : _hosts) {
        for (const auto& d : h->domains)
            _by_domain.emplace_back(to_lower_copy(d), h.get());
    }
    std::sort(_by_domain.begin(), _by_domain.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
}

void UaCache::reserve() {
    if (_entries.empty()) {
        _entries.resize(2 * k_sets);
        _victim.resize(k_sets);
    }
}

const UaCache::Entry* UaCache::find(const Policy& policy, const CompiledHost* host, std::string_view ua,
                                    std::uint64_t hash) const {
    const Entry* set = &_entries[2 * (hash % k_sets)];
    for (int way = 0; way < 2; ++way) {
        const Entry& e = set[way];
        if (e.epoch == policy.epoch() && e.hash == hash && e.host == host && e.len == ua.size() &&
            (ua.empty() || std::memcmp(e.ua, ua.data(), ua.size()) == 0)) {
            return &e;
        }
    }
    return nullptr;
}

bool UaCache::lookup(const Policy& policy, const CompiledHost* host, std::string_view ua, std::uint64_t hash,
                     const CompiledDimension** dim) const {
    if (_entries.empty() || ua.size() > k_max_ua) return false;
    const Entry* e = find(policy, host, ua, hash);
    if (!e) return false;
    *dim = e->dim;
    return true;
}

void UaCache::store(const Policy& policy, const CompiledHost* host, std::string_view ua, std::uint64_t hash,
                    const CompiledDimension* dim) {
    if (_entries.empty() || ua.size() > k_max_ua) return;
    std::size_t set = hash % k_sets;
    Entry& e = _entries[2 * set + _victim[set]];
    _victim[set] ^= 1;
    e.epoch = policy.epoch();
    e.hash = hash;
    e.host = host;
    e.dim = dim;
    e.len = static_cast<std::uint32_t>(ua.size());
    if (!ua.empty()) std::memcpy(e.ua, ua.data(), ua.size());
}

void DecisionScratch::reserve(std::size_t max_url) {
    ua_cache.reserve();
    normalize.reserve(max_url);
    normalized.reserve(3 * max_url + 64);
    query_decode.reserve(max_url);
    query_value.reserve(max_url);
    fold.reserve(max_url);
    reason.reserve(256);
}

void decide(const Policy& policy, const RequestInput& in, DecisionScratch& s, Decision& out) {
    out = Decision{};
    auto fail = [&](Verdict v, std::string_view reason) {
        out.verdict = v;
        out.reason = reason;
    };

    // F-GW-02: URL intake.
    if (in.target_url.empty()) return fail(Verdict::invalid_url, "missing url parameter");
    if (in.target_url.size() > k_max_target_url)
        return fail(Verdict::invalid_url, "URL exceeds maximum length of 2048 characters");
    gourl::Url& url = s.normalize.url;
    if (auto err = gourl::parse(in.target_url, s.normalize.url_buffers, url); !err.empty()) {
        return fail(Verdict::invalid_url, err);
    }
    if (url.scheme != "http" && url.scheme != "https")
        return fail(Verdict::invalid_url, "URL scheme must be http or https");
    if (url.host.empty()) return fail(Verdict::invalid_url, "URL must have a host");
    std::string_view hostname = url.hostname();
    if (policy.ssrf_protection) {
        if (auto ip = parse_ip(hostname); ip && is_private_or_reserved(*ip)) {
            bool allowed = std::any_of(policy.ssrf_allow.begin(), policy.ssrf_allow.end(),
                                       [&](const Cidr& c) { return c.contains(*ip); });
            if (!allowed) {
                s.reason.assign("hostname resolves to private/reserved IP address: ");
                s.reason.append(hostname);
                return fail(Verdict::invalid_url, s.reason);
            }
        }
    }

    // F-GW-04: host by target hostname, then the render key.
    if (!in.has_render_key || in.render_key.empty())
        return fail(Verdict::auth_failed, "X-Render-Key header is required");
    if (hostname.size() > sizeof s.host_lower)
        return fail(Verdict::auth_failed, "invalid render key or domain mismatch");
    for (std::size_t i = 0; i < hostname.size(); ++i)
        s.host_lower[i] = ascii_lower(hostname[i]);
    const CompiledHost* host = policy.find_host(std::string_view(s.host_lower, hostname.size()));
    if (!host || !host->enabled || host->render_key != in.render_key) {
        return fail(Verdict::auth_failed, "invalid render key or domain mismatch");
    }
    out.host = host;

    // F-GW-09/10: dimension.
    const CompiledDimension* dim = nullptr;
    const std::uint64_t ua_hash = XXH3_64bits(in.user_agent.data(), in.user_agent.size());
    if (!s.ua_cache.lookup(policy, host, in.user_agent, ua_hash, &dim)) {
        dim = host->detect_dimension(in.user_agent, s.fold);
        s.ua_cache.store(policy, host, in.user_agent, ua_hash, dim);
    }
    out.detected = dim;
    if (dim && dim->action == DimensionAction::block) return fail(Verdict::dimension_blocked, "Forbidden");
    if (!dim) {
        out.unmatched = true;
        switch (host->unmatched_mode) {
            case UnmatchedMode::block:
                return fail(Verdict::unmatched_blocked, "User-Agent not supported for rendering");
            case UnmatchedMode::bypass:
                dim = host->bypass_dimension;
                break;
            case UnmatchedMode::dimension:
                dim = host->unmatched_dimension;
                if (dim->action == DimensionAction::block)
                    return fail(Verdict::dimension_blocked, "Forbidden");
                break;
        }
    }

    // F-GW-11/12: rule, resolved config, action.
    const CompiledRule* rule =
        host->match_rule(url.path, url.raw_query, s.fold, s.query_decode, s.query_value);
    const ResolvedConfig* rc = rule ? &rule->resolved : &host->default_resolved;
    out.rule = rule;
    out.config = rc;
    if (rule) {
        out.action = rc->rule_effective_action();
    } else {
        out.action = dim->action == DimensionAction::bypass ? Action::bypass : Action::render;
    }
    if (out.action == Action::render && rc->render.forced_dimension) dim = rc->render.forced_dimension;
    out.dimension = dim;

    // F-GW-13/14: normalization and hash (status actions too, they are evaluated after normalization).
    std::span<const Pattern* const> strip;
    if (rc->tracking.enabled) strip = rc->tracking.patterns;
    if (auto err = normalize_parsed(url, strip, s.normalize, s.normalized); !err.empty()) {
        return fail(Verdict::normalize_failed, err);
    }
    out.normalized_url = s.normalized;
    out.url_hash = url_hash(s.normalized);
    format_hash_hex(out.url_hash, out.url_hash_hex);
    out.verdict = out.action == Action::status ? Verdict::status : Verdict::proceed;
}

}  // namespace ec::gw
