// The gateway's pre-I/O request decision on a realistic host: 50 URL rules of every kind (some with
// match_query), 6 dimensions built from bot aliases, tracking-parameter stripping on. One iteration is one
// request: host lookup → X-Render-Key → dimension → URL rule → resolved config → normalization → XXH64.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gateway/config.h"
#include "gateway/policy.h"

namespace {

namespace fs = std::filesystem;

std::string host_file() {
    std::string s = R"(hosts:
  - id: 1
    domain: ["shop.example.com", "www.shop.example.com"]
    render_key: "bench-key"
    enabled: true
    render:
      timeout: 30s
    tracking_params:
      params_add: ["sess_*", "~*^fb_"]
    dimensions:
      desktop:
        id: 1
        width: 1920
        height: 1080
        match_ua: ["$GooglebotSearchDesktop", "$BingbotDesktop", "*Googlebot*"]
      mobile:
        id: 2
        width: 390
        height: 844
        match_ua: ["$GooglebotSearchMobile", "$BingbotMobile", "*Googlebot*Mobile*"]
      ai:
        id: 3
        width: 1280
        height: 800
        match_ua: ["$AIBots"]
      social:
        id: 4
        width: 1200
        height: 630
        match_ua: ["$Socials", "$Messengers"]
      ads:
        id: 5
        width: 1920
        height: 1080
        match_ua: ["$GoogleBotAds", "$GoogleBotAdsMobileWeb"]
      scrapers:
        id: 6
        action: block
        match_ua: ["*SemrushBot*", "*AhrefsBot*", "*MJ12bot*"]
    url_rules:
)";
    // 50 rules: exact, wildcard and regex paths; eight with match_query.
    const char* exact[] = {"/",        "/about",  "/contact", "/cart",   "/checkout",
                           "/login",   "/search", "/faq",     "/terms",  "/privacy",
                           "/careers", "/press",  "/sitemap", "/stores", "/gift-cards"};
    for (const char* p : exact)
        s += "      - match: \"" + std::string(p) + "\"\n        action: render\n";
    const char* wild[] = {"/blog/*",     "/news/*",    "/products/*", "/products/*/reviews",
                          "/category/*", "/static/*",  "/assets/*",   "*.css",
                          "*.js",        "*.pdf",      "*.jpg",       "*.png",
                          "/admin/*",    "/account/*", "/api/*",      "/de/*",
                          "/fr/*",       "/old/*",     "/tmp/*"};
    for (int i = 0; i < 19; ++i) {
        const char* action = i < 5 ? "render" : (i < 12 ? "bypass" : (i < 14 ? "status_403" : "render"));
        s += "      - match: \"" + std::string(wild[i]) + "\"\n        action: " + action + "\n";
    }
    const char* re[] = {"~^/api/v[0-9]+/public/",   "~*\\\\.(gif|webp|svg)$", "~^/p/[0-9]+$",
                        "~*^/collections/[a-z-]+$", "~^/legacy/.*\\\\.html$", "~/amp/?$",
                        "~*^/(en|es)/blog/"};
    for (const char* p : re)
        s += "      - match: \"" + std::string(p) + "\"\n        action: render\n";
    const char* q[] = {"/search", "/products/*", "/category/*", "/listing",
                       "/filter", "/",           "/blog/*",     "~^/shop/"};
    const char* qv[] = {"q: \"*\"",
                        "page: \"~^[0-9]+$\"",
                        "sort: [\"price\", \"name\", \"new*\"]",
                        "type: \"~*^(sale|new)$\"",
                        "color: \"*\"",
                        "lang: [\"en\", \"de\"]",
                        "tag: \"*\"",
                        "ref: \"partner*\""};
    for (int i = 0; i < 8; ++i) {
        s += "      - match: \"" + std::string(q[i]) + "\"\n        match_query:\n          " + qv[i] +
             "\n        action: render\n";
    }
    s += "      - match: \"/gone/*\"\n        action: status_410\n";
    return s;
}

struct Fixture {
    fs::path dir;
    ec::gw::LoadResult loaded;
    Fixture() {
        std::string tmpl = (fs::temp_directory_path() / "ec-policy-bench-XXXXXX").string();
        dir = ::mkdtemp(tmpl.data());
        fs::create_directories(dir / "hosts.d");
        std::ofstream(dir / "edge-gateway.yaml") << "server:\n  listen: \":10070\"\n  timeout: 120s\n"
                                                    "redis:\n  addr: \"localhost:6379\"\n"
                                                    "storage:\n  base_path: \"cache\"\n"
                                                    "hosts:\n  include: \"hosts.d/\"\n";
        std::ofstream(dir / "hosts.d" / "shop.yaml") << host_file();
        loaded = ec::gw::load_config((dir / "edge-gateway.yaml").string());
        fs::remove_all(dir);
        if (!loaded.config) {
            for (const auto& e : loaded.diagnostics.errors())
                fprintf(stderr, "%s\n", ec::gw::format_diagnostic(e).c_str());
            std::abort();
        }
    }
};

const char* const k_user_agents[] = {
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; "
    "+http://www.google.com/bot.html) "
    "Chrome/131.0.6778.69 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
    "Mozilla/5.0 (compatible; Claude-User/1.0; +Claude-User@anthropic.com)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
    "Safari/537.36",
};

const char* const k_urls[] = {
    "https://shop.example.com/",
    "https://shop.example.com/products/blue-shirt?utm_source=google&utm_medium=cpc&color=blue",
    "https://www.shop.example.com/blog/2024/11/holiday-guide?fbclid=abc123",
    "https://shop.example.com/search?q=red+shoes&page=2&sess_id=99",
    "https://shop.example.com/category/shoes?page=3&sort=price",
    "https://shop.example.com/about",
    "https://shop.example.com/p/12345",
    "https://shop.example.com/static/app.css?v=3",
    "https://shop.example.com/collections/Summer-Sale?gclid=xyz&ref=partner42",
    "https://SHOP.example.com:443/products/x/reviews?z=1&a=2#top",
    "https://shop.example.com/api/v2/public/items?fb_click=1",
    "https://shop.example.com/de/produkte/schuhe",
};

void BM_PolicyDecision(benchmark::State& state) {
    static Fixture fixture;
    const ec::gw::Policy& policy = fixture.loaded.config->policy;
    ec::gw::DecisionScratch scratch;
    scratch.reserve();
    ec::gw::Decision decision;
    constexpr std::size_t n_ua = std::size(k_user_agents);
    constexpr std::size_t n_url = std::size(k_urls);
    std::size_t i = 0;
    for (auto _ : state) {
        ec::gw::RequestInput in{k_urls[i % n_url], "bench-key", true, k_user_agents[(i / n_url + i) % n_ua]};
        ec::gw::decide(policy, in, scratch, decision);
        benchmark::DoNotOptimize(decision.url_hash);
        ++i;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PolicyDecision);

void BM_NormalizeOnly(benchmark::State& state) {
    ec::gw::NormalizeScratch scratch;
    scratch.reserve();
    std::string out;
    out.reserve(8192);
    std::size_t i = 0;
    for (auto _ : state) {
        auto err = ec::gw::normalize_url(k_urls[i++ % std::size(k_urls)], {}, scratch, out);
        benchmark::DoNotOptimize(err);
        benchmark::DoNotOptimize(ec::gw::url_hash(out));
    }
}
BENCHMARK(BM_NormalizeOnly);

void BM_DimensionOnly(benchmark::State& state) {
    static Fixture fixture;
    const ec::gw::CompiledHost& host = *fixture.loaded.config->policy.hosts()[0];
    std::size_t i = 0;
    for (auto _ : state)
        benchmark::DoNotOptimize(host.detect_dimension(k_user_agents[i++ % std::size(k_user_agents)]));
}
BENCHMARK(BM_DimensionOnly);

}  // namespace

BENCHMARK_MAIN();
