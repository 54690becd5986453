// The compiled policy: sort orders, dimension detection, merge semantics and the request decision.
#include "gateway/policy.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace ec::gw {
namespace {

using testing::host_yaml;
using testing::main_yaml;
using testing::TempDir;

const char* const k_global_dims =
    "dimensions:\n  desktop:\n    id: 1\n    width: 1\n    height: 1\n    match_ua: [\"*Googlebot*\"]\n";

class PolicyTest : public ::testing::Test {
  protected:
    const Config& load(std::string_view main, std::string_view hosts) {
        _result = testing::load_strings(_dir, main, hosts);
        EXPECT_TRUE(_result.config) << testing::all_errors(_result);
        if (!_result.config) throw std::runtime_error("load failed");
        return *_result.config;
    }
    const CompiledHost& host(int i = 0) { return *_result.config->policy.hosts()[i]; }
    Decision decide_for(std::string_view url, std::string_view ua = "Googlebot",
                        std::string_view key = "key1") {
        _scratch.reserve();
        Decision d;
        decide(_result.config->policy, {url, key, true, ua}, _scratch, d);
        return d;
    }
    std::vector<std::string> rule_ids() {
        std::vector<std::string> ids;
        for (const auto& r : host().rules)
            ids.push_back(r->resolved.matched_rule_id);
        return ids;
    }

    TempDir _dir;
    LoadResult _result;
    DecisionScratch _scratch;
};

TEST_F(PolicyTest, UrlRuleSortOrder) {
    load(main_yaml(), host_yaml(R"(    url_rules:
      - match: "~^/re/a/b"
        action: render
      - match: ["/w/*", "/w/x/*"]
        action: render
      - match: "/exact"
        action: render
      - match: "/w/*"
        match_query:
          q: "*"
        action: render
      - match: "/a/b/c"
        action: bypass
      - match: "~*/re"
        action: render
)"));
    EXPECT_EQ(rule_ids(),
              (std::vector<std::string>{"rule_0:/a/b/c", "rule_1:/exact", "rule_2:/w/*?...", "rule_3:/w/x/*",
                                        "rule_4:/w/*", "rule_5:~^/re/a/b", "rule_6:~*/re"}));
}

TEST_F(PolicyTest, FirstMatchWinsAndDefault) {
    load(main_yaml(), host_yaml(R"(    url_rules:
      - match: "/blog/*"
        action: bypass
      - match: "/blog/special"
        action: status_410
      - match: "*"
        action: render
)"));
    auto d = decide_for("https://example.com/blog/special");
    EXPECT_EQ(d.verdict, Verdict::status);
    EXPECT_EQ(d.config->status.code, 410);
    EXPECT_EQ(d.config->matched_rule_id, "rule_0:/blog/special");
    d = decide_for("https://example.com/blog/x");
    EXPECT_EQ(d.action, Action::bypass);
    EXPECT_EQ(d.config->matched_rule_id, "rule_1:/blog/*");
    d = decide_for("https://example.com/blog");  // "/blog/*" needs the slash
    EXPECT_EQ(d.config->matched_rule_id, "rule_2:*");
}

TEST_F(PolicyTest, RulesMatchTheDecodedPathBeforeNormalization) {
    load(main_yaml(), host_yaml(R"(    url_rules:
      - match: "/a b/*"
        action: bypass
      - match: "/x//y"
        action: status_404
)"));
    EXPECT_EQ(decide_for("https://example.com/a%20b/c").action, Action::bypass);
    auto d = decide_for("https://example.com/x//y");
    EXPECT_EQ(d.verdict, Verdict::status);
    EXPECT_EQ(d.normalized_url, "https://example.com/x/y");
}

TEST_F(PolicyTest, MatchQuerySemantics) {
    load(main_yaml(), host_yaml(R"(    url_rules:
      - match: "/search"
        match_query:
          q: "*"
          cat: ["shoes", "~^hat[0-9]+$", "bag*"]
        action: bypass
      - match: "/search"
        action: status_404
)"));
    EXPECT_EQ(decide_for("https://example.com/search?q=x&cat=SHOES").action, Action::bypass);
    EXPECT_EQ(decide_for("https://example.com/search?q=x&cat=hat12").action, Action::bypass);
    EXPECT_EQ(decide_for("https://example.com/search?q=x&cat=Hat12").action,
              Action::status);  // ~ is case-sensitive
    EXPECT_EQ(decide_for("https://example.com/search?q=x&cat=bagpack").action, Action::bypass);
    EXPECT_EQ(decide_for("https://example.com/search?q=&cat=shoes").action,
              Action::status);  // "*" needs a value
    EXPECT_EQ(decide_for("https://example.com/search?cat=shoes").action, Action::status);  // missing key
    EXPECT_EQ(decide_for("https://example.com/search?q=1&cat=boots&cat=shoes").action,
              Action::status);  // first value
    EXPECT_EQ(decide_for("https://example.com/search?Q=1&cat=shoes").action,
              Action::status);  // key case-sensitive
}

TEST_F(PolicyTest, DimensionDetectionOrder) {
    load(main_yaml(), testing::host_yaml_dims(R"(      mobile:
        id: 2
        width: 390
        height: 844
        match_ua: ["*Googlebot*Mobile*", "~Mobile"]
      scrapers:
        id: 5
        action: block
        match_ua: ["~*semrush"]
      exact:
        id: 3
        width: 10
        height: 10
        match_ua: ["Googlebot Mobile"]
)"));
    // Block dimensions first even though they are regexes.
    EXPECT_EQ(host().detect_dimension("Googlebot SemrushBot")->name, "scrapers");
    // Exact before wildcard.
    EXPECT_EQ(host().detect_dimension("googlebot mobile")->name, "exact");
    // Wildcard with more literal characters before fewer.
    EXPECT_EQ(host().detect_dimension("Googlebot/2.1 Mobile")->name, "mobile");
    EXPECT_EQ(host().detect_dimension("Googlebot/2.1")->name, "desktop");
    // Wildcards before regexes.
    EXPECT_EQ(host().detect_dimension("x Mobile")->name, "mobile");
    EXPECT_EQ(host().detect_dimension("Firefox"), nullptr);
    ASSERT_EQ(host().ua_order.front().dimension->name, "scrapers");
}

TEST_F(PolicyTest, DecisionVerdicts) {
    load(main_yaml(), testing::host_yaml_dims(R"(      scrapers:
        id: 4
        action: block
        match_ua: ["*AhrefsBot*"]
)"));
    EXPECT_EQ(decide_for("").verdict, Verdict::invalid_url);
    EXPECT_EQ(decide_for("ftp://example.com/").verdict, Verdict::invalid_url);
    EXPECT_EQ(decide_for("https:///x").verdict, Verdict::invalid_url);
    EXPECT_EQ(decide_for("https://example.com/" + std::string(2048, 'a')).verdict, Verdict::invalid_url);
    auto d = decide_for("http://127.0.0.1/");
    EXPECT_EQ(d.verdict, Verdict::invalid_url);
    EXPECT_EQ(d.reason, "hostname resolves to private/reserved IP address: 127.0.0.1");
    d = decide_for("https://example.com/", "Googlebot", "");
    EXPECT_EQ(d.verdict, Verdict::auth_failed);
    EXPECT_EQ(d.reason, "X-Render-Key header is required");
    EXPECT_EQ(decide_for("https://example.com/", "Googlebot", "wrong").verdict, Verdict::auth_failed);
    EXPECT_EQ(decide_for("https://unknown.com/").verdict, Verdict::auth_failed);
    EXPECT_EQ(decide_for("https://EXAMPLE.com:8443/").verdict,
              Verdict::proceed);  // lower-cased, port stripped
    EXPECT_EQ(decide_for("https://example.com/", "AhrefsBot/7").verdict, Verdict::dimension_blocked);
    d = decide_for("https://example.com/p?b=2&a=1&utm_source=x", "Googlebot");
    EXPECT_EQ(d.verdict, Verdict::proceed);
    EXPECT_EQ(d.action, Action::render);
    EXPECT_EQ(d.dimension->name, "desktop");
    EXPECT_FALSE(d.unmatched);
    EXPECT_EQ(d.normalized_url, "https://example.com/p?a=1&b=2");
    EXPECT_EQ(std::string(d.url_hash_hex, 16), hash_hex(url_hash("https://example.com/p?a=1&b=2")));
    EXPECT_EQ(decide_for("https://example.com/a%zz").verdict, Verdict::invalid_url);
    // No User-Agent at all: unmatched (twice, the second answer comes from the per-worker cache).
    for (int i = 0; i < 2; ++i) {
        d = decide_for("https://example.com/", "");
        EXPECT_TRUE(d.unmatched);
        EXPECT_EQ(d.action, Action::bypass);
    }
}

TEST_F(PolicyTest, DisabledHostFailsAuthentication) {
    std::string h = host_yaml();
    h.replace(h.find("enabled: true"), 13, "enabled: false");
    load(main_yaml(), h);
    EXPECT_EQ(decide_for("https://example.com/").verdict, Verdict::auth_failed);
}

TEST_F(PolicyTest, SsrfAllowAndSwitch) {
    load(main_yaml(std::string("bypass:\n  ssrf_allow: [\"10.20.0.0/16\"]\n") + k_global_dims),
         host_yaml("  - id: 2\n    domain: 10.20.1.1\n    render_key: k2\n    enabled: true\n"));
    // Inside ssrf_allow: passes intake and authentication.
    EXPECT_EQ(decide_for("http://10.20.1.1/", "Googlebot", "k2").verdict, Verdict::proceed);
    EXPECT_EQ(decide_for("http://10.21.1.1/", "Googlebot", "k2").verdict, Verdict::invalid_url);
}

TEST_F(PolicyTest, UnmatchedHandling) {
    load(main_yaml(std::string("unmatched_dimension: block\n") + k_global_dims),
         host_yaml("  - id: 2\n    domain: b.com\n    render_key: k2\n"
                   "    enabled: true\n    unmatched_dimension: desktop\n"
                   "  - id: 3\n    domain: c.com\n    render_key: k3\n"
                   "    enabled: true\n    unmatched_dimension: bypass\n"));
    // Host 1 inherits the global value (A-09).
    auto d = decide_for("https://example.com/", "Firefox");
    EXPECT_EQ(d.verdict, Verdict::unmatched_blocked);
    EXPECT_EQ(d.reason, "User-Agent not supported for rendering");
    d = decide_for("https://b.com/", "Firefox", "k2");
    EXPECT_EQ(d.verdict, Verdict::proceed);
    EXPECT_TRUE(d.unmatched);
    EXPECT_EQ(d.dimension->name, "desktop");
    EXPECT_EQ(d.action, Action::render);
    d = decide_for("https://c.com/", "Firefox", "k3");
    EXPECT_TRUE(d.unmatched);
    EXPECT_EQ(d.dimension->id, 0);
    EXPECT_EQ(d.action, Action::bypass);
    EXPECT_EQ(d.dimension->width, 1920);
}

TEST_F(PolicyTest, RenderRuleOverridesBypassDimension) {
    load(main_yaml(), host_yaml(R"(    url_rules:
      - match: "*"
        action: render
)"));
    auto d = decide_for("https://example.com/x", "Firefox");
    EXPECT_TRUE(d.unmatched);
    EXPECT_EQ(d.action, Action::render);
    EXPECT_EQ(d.dimension->id, 0);
}

TEST_F(PolicyTest, ForcedDimension) {
    load(main_yaml(), testing::host_yaml_dims(R"(      mobile:
        id: 2
        width: 390
        height: 844
        match_ua: ["*iPhone*"]
)",
                                              R"(    url_rules:
      - match: "/m/*"
        action: render
        render:
          dimension: mobile
)"));
    auto d = decide_for("https://example.com/m/x", "Googlebot");
    EXPECT_EQ(d.detected->name, "desktop");
    EXPECT_EQ(d.dimension->name, "mobile");
}

TEST_F(PolicyTest, DeclaredBypassDimensionGetsDefaults) {
    load(main_yaml(), testing::host_yaml_dims(R"(      bypass:
        match_ua: ["*Chrome*"]
)"));
    auto d = decide_for("https://example.com/", "Mozilla Chrome/120");
    EXPECT_FALSE(d.unmatched);
    EXPECT_EQ(d.dimension->id, 0);
    EXPECT_EQ(d.action, Action::bypass);
    EXPECT_EQ(d.dimension->height, 1080);
}

TEST_F(PolicyTest, MergeSemantics) {
    load(main_yaml(R"(render:
  timeout: 40s
  cache:
    ttl: 2h
    status_codes: [200]
    expired:
      strategy: serve_stale
      stale_ttl: 48h
  events:
    wait_for: load
    additional_wait: 1s
  blocked_resource_types: [Image, Font]
  blocked_patterns: ["*ads*"]
  strip_scripts: false
bypass:
  timeout: 20s
tracking_params:
  params_add: ["sid"]
bothit_recache:
  enabled: true
  interval: 12h
  match_ua: ["*Googlebot*"]
headers:
  safe_request: [Cookie]
  safe_response_add: [Vary]
)"),
         std::string("hosts:\n  - id: 1\n    domain: example.com\n    render_key: key1\n    enabled: true\n"
                     "    dimensions:\n      desktop:\n        id: 1\n        width: 1\n        height: 1\n"
                     "        match_ua: [\"*Googlebot*\"]\n") +
             R"(    render:
      cache:
        ttl: 3h
        expired:
          strategy: delete
      events:
        additional_wait: 2s
      blocked_resource_types: []
    bypass:
      user_agent: "HostUA/1"
      cache:
        enabled: true
        status_codes: [200, 301]
    tracking_params:
      params_add: ["h_*"]
    headers:
      safe_request_add: [cookie, Accept-Language]
      safe_response: []
    url_rules:
      - match: "/r"
        action: render
        render:
          timeout: 50s
          cache:
            status_codes: [404]
          events:
            wait_for: DOMContentLoaded
          blocked_patterns: ["*x*"]
        tracking_params:
          params: []
        bothit_recache:
          enabled: false
      - match: "/b"
        action: bypass
        bypass:
          timeout: 5s
          cache:
            ttl: 0s
        render:
          timeout: 99s
)");
    const auto& def = host().default_resolved;
    EXPECT_EQ(def.render.timeout, std::chrono::seconds(40));  // A-02: global default
    EXPECT_EQ(def.render.cache_ttl, std::chrono::hours(3));
    EXPECT_EQ(def.render.cache_status_codes, (std::vector<int>{200}));
    EXPECT_EQ(def.render.cache_expired.strategy, ExpiredStrategy::remove);  // atomic replace
    EXPECT_EQ(def.render.cache_expired.stale_ttl.count(), 0);
    EXPECT_EQ(def.render.wait_for, WaitFor::load);  // field merge
    EXPECT_EQ(def.render.additional_wait, std::chrono::seconds(2));
    EXPECT_TRUE(def.render.blocked_resource_types.empty());  // A-10: explicit [] clears
    EXPECT_EQ(def.render.blocked_patterns, (std::vector<std::string>{"*ads*"}));
    EXPECT_FALSE(def.render.strip_scripts);
    EXPECT_EQ(def.bypass.timeout, std::chrono::seconds(20));
    EXPECT_EQ(def.bypass.user_agent, "HostUA/1");
    EXPECT_TRUE(def.bypass.cache_enabled);
    EXPECT_EQ(def.bypass.cache_ttl, std::chrono::minutes(30));
    EXPECT_EQ(def.bypass.cache_status_codes, (std::vector<int>{200, 301}));
    EXPECT_EQ(def.tracking.names.size(), 17u);  // 15 built-ins + sid + h_*
    EXPECT_TRUE(def.tracking.enabled);
    EXPECT_TRUE(def.bothit.enabled);
    EXPECT_EQ(def.bothit.interval, std::chrono::hours(12));
    EXPECT_EQ(def.safe_request_headers, (std::vector<std::string>{"Cookie", "Accept-Language"}));
    EXPECT_TRUE(def.safe_response_headers.empty());

    const auto& r = host().rules[0]->resolved;  // "/b" sorts first (exact, same slashes: declaration order)
    const auto& rr =
        host().rules[0]->pattern->text() == "/r" ? host().rules[0]->resolved : host().rules[1]->resolved;
    const auto& rb =
        host().rules[0]->pattern->text() == "/b" ? host().rules[0]->resolved : host().rules[1]->resolved;
    (void)r;
    EXPECT_EQ(rr.render.timeout, std::chrono::seconds(50));
    EXPECT_EQ(rr.render.cache_status_codes, (std::vector<int>{404}));
    EXPECT_EQ(rr.render.cache_ttl, std::chrono::hours(3));
    EXPECT_EQ(rr.render.wait_for, WaitFor::dom_content_loaded);
    EXPECT_EQ(rr.render.additional_wait, std::chrono::seconds(2));
    EXPECT_EQ(rr.render.blocked_patterns, (std::vector<std::string>{"*x*"}));
    EXPECT_FALSE(rr.tracking.enabled);  // params: [] empties the list
    EXPECT_FALSE(rr.bothit.enabled);
    EXPECT_EQ(rb.bypass.timeout, std::chrono::seconds(5));
    EXPECT_EQ(rb.bypass.cache_ttl.count(), 0);
    EXPECT_FALSE(rb.bypass.caches(200));
    EXPECT_EQ(rb.render.timeout, std::chrono::seconds(40));  // render overrides only on render rules
}

TEST_F(PolicyTest, BuiltinDefaults) {
    load(main_yaml(), host_yaml());
    const auto& d = host().default_resolved;
    EXPECT_EQ(d.render.cache_ttl, std::chrono::hours(1));
    EXPECT_EQ(d.render.cache_status_codes, (std::vector<int>{200, 301, 302, 307, 308, 404}));
    EXPECT_EQ(d.render.wait_for, WaitFor::network_idle);
    EXPECT_TRUE(d.render.strip_scripts);
    EXPECT_EQ(d.bypass.timeout, std::chrono::seconds(30));
    EXPECT_EQ(d.bypass.user_agent, "Mozilla/5.0 (compatible; EdgeComet/1.0)");  // A-08
    EXPECT_FALSE(d.bypass.cache_enabled);
    EXPECT_EQ(d.bypass.cache_status_codes, (std::vector<int>{200}));
    EXPECT_EQ(d.tracking.names.size(), 15u);
    EXPECT_EQ(d.safe_response_headers, (std::vector<std::string>{"Content-Type", "Cache-Control", "Expires",
                                                                 "Last-Modified", "ETag", "Location"}));
    EXPECT_TRUE(d.safe_request_headers.empty());
    EXPECT_EQ(d.bothit.interval, std::chrono::hours(24));
    EXPECT_FALSE(d.sharding.enabled);
    EXPECT_EQ(d.sharding.replication_factor, 2);
}

TEST_F(PolicyTest, RenderTimeoutDefaultsTo30s) {
    std::string h = host_yaml();
    h.erase(h.find("    render:\n"));
    load(main_yaml(), h);
    EXPECT_EQ(host().default_resolved.render.timeout, std::chrono::seconds(30));
}

TEST_F(PolicyTest, ShardingOverridesAtHostAndRule) {
    load(main_yaml("eg_id: eg1\ncache_sharding:\n  enabled: true\n  replication_factor: 3\n"),
         host_yaml("    cache_sharding:\n      replication_factor: 1\n      push_on_render: false\n"
                   "    url_rules:\n      - match: /x\n        action: render\n        cache_sharding:\n"
                   "          replicate_on_pull: false\n"));
    const auto& d = host().default_resolved;
    EXPECT_TRUE(d.sharding.enabled);
    EXPECT_EQ(d.sharding.replication_factor, 1);
    EXPECT_FALSE(d.sharding.push_on_render);
    EXPECT_TRUE(d.sharding.replicate_on_pull);
    EXPECT_FALSE(host().rules[0]->resolved.sharding.replicate_on_pull);
}

TEST_F(PolicyTest, ClientIpHostListReplacesGlobal) {
    load(main_yaml(std::string("client_ip:\n  headers: [X-Real-IP, X-Forwarded-For]\n") + k_global_dims),
         host_yaml("  - id: 2\n    domain: b.com\n    render_key: k2\n    client_ip:\n      headers: "
                   "[CF-Connecting-IP]\n"));
    EXPECT_EQ(host(0).client_ip_headers, (std::vector<std::string>{"X-Real-IP", "X-Forwarded-For"}));
    EXPECT_EQ(host(1).client_ip_headers, (std::vector<std::string>{"CF-Connecting-IP"}));
}

TEST_F(PolicyTest, StatusActions) {
    load(main_yaml(), host_yaml(R"(    url_rules:
      - match: /a
        action: block
      - match: /b
        action: status_404
      - match: /c
        action: status
        status:
          code: 301
          headers:
            Location: "https://example.com/new"
      - match: /d
        action: status
        status:
          code: 429
          reason: "Slow down"
          headers:
            Retry-After: "60"
)"));
    auto d = decide_for("https://example.com/a");
    EXPECT_EQ(d.config->status.code, 403);
    EXPECT_EQ(d.config->rule_action, RuleAction::block);
    EXPECT_EQ(decide_for("https://example.com/b").config->status.code, 404);
    d = decide_for("https://example.com/c");
    EXPECT_EQ(d.config->status.code, 301);
    ASSERT_EQ(d.config->status.headers.size(), 1u);
    EXPECT_EQ(d.config->status.headers[0].second, "https://example.com/new");
    d = decide_for("https://example.com/d");
    EXPECT_EQ(d.config->status.reason, "Slow down");
    // A block dimension is absolute, status actions come after it.
}

TEST_F(PolicyTest, TrackingMergeAcrossLevels) {
    load(main_yaml("tracking_params:\n  params: [\"a\"]\n"),
         host_yaml("    tracking_params:\n      params_add: [\"b*\"]\n    url_rules:\n"
                   "      - match: /off\n        action: render\n        tracking_params:\n          strip: "
                   "false\n"));
    auto d = decide_for("https://example.com/p?a=1&bb=2&c=3&utm_source=x");
    EXPECT_EQ(d.normalized_url, "https://example.com/p?c=3&utm_source=x");
    d = decide_for("https://example.com/off?a=1&utm_source=x");
    EXPECT_EQ(d.normalized_url, "https://example.com/off?a=1&utm_source=x");
}

}  // namespace
}  // namespace ec::gw
