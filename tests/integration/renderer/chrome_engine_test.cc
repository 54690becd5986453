// The render procedure (F-RS-08 … F-RS-18) against real Chromium and fixture sites served
// by the test. One engine (one browser process, two slots) serves the whole suite, which
// also exercises context reuse and disposal between renders.
#include "chrome_engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "cdp_json.h"
#include "engine_test_support.h"
#include "runtime/net.h"
#include "runtime/reactor.h"
#include "runtime/time.h"
#include "runtime/when_all.h"
#include "support/fixture_site.h"

namespace ec::rs::test {
namespace {

using ec::test::FixtureSite;

bool contains(const std::string& hay, std::string_view needle) {
    return hay.find(needle) != std::string::npos;
}

const std::vector<std::string>* header_values(const HeaderList& h, std::string_view name) {
    for (const auto& [n, v] : h) {
        if (n.size() == name.size() && std::equal(n.begin(), n.end(), name.begin(),
                                                  [](char a, char b) { return tolower(a) == tolower(b); }))
            return &v;
    }
    return nullptr;
}

std::string describe(const RenderResult& r) {
    return "success=" + std::to_string(r.success) + " error_type=" + r.error_type + " error=" + r.error +
           " status=" + std::to_string(r.metrics.status_code) + " final_url=" + r.metrics.final_url;
}

class RenderProcedure : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        if (chrome_binary(&_skip).empty()) return;
        _reactor = std::make_unique<rt::Reactor>();
        _dir = std::make_unique<TempDir>();
        _site = std::make_unique<FixtureSite>();
        _other = std::make_unique<FixtureSite>();
        EngineOptions o = test_options(_dir->path);
        o.pool_size = 2;
        _engine = std::make_unique<ChromeEngine>(o);
        _reactor->block_on(_engine->start());
    }
    static void TearDownTestSuite() {
        if (_engine) _reactor->block_on(_engine->stop());
        _engine.reset();
        _site.reset();
        _other.reset();
        _dir.reset();
        _reactor.reset();
    }
    void SetUp() override {
        if (!_skip.empty()) GTEST_SKIP() << "Chromium unavailable: " << _skip;
    }

    static RenderResult render(const RenderRequest& req) {
        RenderResult r = _reactor->block_on(_engine->render(req, {}));
        // Let the context disposal finish before the next test looks at anything.
        _reactor->block_on([]() -> rt::Task<void> { co_await rt::sleep_for(rt::Millis(20)); }());
        return r;
    }

    static inline std::string _skip;
    static inline std::unique_ptr<rt::Reactor> _reactor;
    static inline std::unique_ptr<TempDir> _dir;
    static inline std::unique_ptr<FixtureSite> _site, _other;
    static inline std::unique_ptr<ChromeEngine> _engine;
};

TEST_F(RenderProcedure, ClientRenderedContent) {
    _site->page("/csr", R"(<!doctype html><html><head><title>CSR</title></head><body><div id=app></div>
<script>document.getElementById('app').innerHTML = '<h1>Rendered by JS</h1><p>' + (6 * 7) + '</p>';</script>
</body></html>)");
    RenderResult r = render(request(_site->url("/csr")));
    ASSERT_TRUE(r.success) << describe(r);
    EXPECT_EQ(r.metrics.status_code, 200);
    EXPECT_EQ(r.metrics.final_url, _site->url("/csr"));
    EXPECT_TRUE(r.html.starts_with("<!DOCTYPE html><html>")) << r.html.substr(0, 80);
    EXPECT_TRUE(contains(r.html, "<h1>Rendered by JS</h1><p>42</p>")) << r.html;
    EXPECT_FALSE(contains(r.html, "<script")) << "scripts are stripped by default";
    ASSERT_TRUE(r.seo.has_value());
    EXPECT_EQ(r.seo->title, "CSR");
    EXPECT_EQ(r.seo->h1s, std::vector<std::string>{"Rendered by JS"});
    EXPECT_EQ(r.chrome_id, "chrome-0");
    EXPECT_GT(r.render_time_ns, 0);
    EXPECT_GE(r.metrics.total_requests, 1);
    bool saw_load = false;
    for (const auto& e : r.metrics.lifecycle_events)
        saw_load |= e.name == "load";
    EXPECT_TRUE(saw_load);
}

TEST_F(RenderProcedure, XhrThenRenderWaitsForNetworkIdle) {
    _site->page("/xhr", R"(<!doctype html><html><body><ul id=list></ul><script>
fetch('/api/items').then(r => r.json()).then(items => {
  document.getElementById('list').innerHTML = items.map(i => '<li>' + i + '</li>').join('');
});</script></body></html>)");
    _site->page("/api/items", R"(["alpha","beta","gamma"])",
                {.content_type = "application/json", .delay_ms = 300});
    RenderRequest q = request(_site->url("/xhr"));
    q.wait_for = "networkIdle";
    RenderResult r = render(q);
    ASSERT_TRUE(r.success) << describe(r);
    EXPECT_FALSE(r.metrics.timed_out);
    EXPECT_TRUE(contains(r.html, "<li>alpha</li><li>beta</li><li>gamma</li>")) << r.html;
    int64_t fetches = 0;
    for (const auto& [type, n] : r.metrics.requests_by_type)
        if (type == "Fetch") fetches = n;
    EXPECT_EQ(fetches, 1);
    bool idle = false;
    for (const auto& e : r.metrics.lifecycle_events)
        idle |= e.name == "networkIdle";
    EXPECT_TRUE(idle);
}

// networkIdle is Chrome's definition (nothing in flight for 500 ms after DOMContentLoaded),
// computed by the engine from Network events: a request that starts inside the window
// postpones it until 500 ms after that request ends.
TEST_F(RenderProcedure, NetworkIdleWaitsForARequestStartedInsideTheQuietWindow) {
    _site->page("/late-xhr", R"(<!doctype html><html><body><p id=out>waiting</p><script>
setTimeout(() => fetch('/api/late').then(r => r.text()).then(t => {
  document.getElementById('out').textContent = t;
}), 300);</script></body></html>)");
    _site->page("/api/late", "late answer", {.content_type = "text/plain", .delay_ms = 400});
    RenderRequest q = request(_site->url("/late-xhr"));
    q.wait_for = "networkIdle";
    RenderResult r = render(q);
    ASSERT_TRUE(r.success) << describe(r);
    EXPECT_FALSE(r.metrics.timed_out);
    EXPECT_TRUE(contains(r.html, ">late answer<")) << r.html;
    double dcl = -1, idle = -1;
    for (const auto& e : r.metrics.lifecycle_events) {
        if (e.name == "DOMContentLoaded" && dcl < 0) dcl = e.time_s;
        if (e.name == "networkIdle" && idle < 0) idle = e.time_s;
    }
    ASSERT_GE(dcl, 0);
    ASSERT_GE(idle, 0);
    EXPECT_GE(idle - dcl, 1.15) << "300 ms to the request + 400 ms answer + the 500 ms window";
}

// networkAlmostIdle: at most two requests in flight for 500 ms. Two requests that never
// end do not hold the render (networkIdle would run into the soft timeout).
TEST_F(RenderProcedure, NetworkAlmostIdleToleratesTwoOpenRequests) {
    _site->hang("/open-a");
    _site->hang("/open-b");
    _site->page("/two-open", R"(<!doctype html><html><body><p id=x>no</p><script>
fetch('/open-a'); fetch('/open-b'); document.getElementById('x').textContent = 'ready';
</script></body></html>)");
    RenderRequest q = request(_site->url("/two-open"));
    q.wait_for = "networkAlmostIdle";
    q.timeout_ns = 8'000'000'000;
    RenderResult r = render(q);
    ASSERT_TRUE(r.success) << describe(r);
    EXPECT_FALSE(r.metrics.timed_out);
    EXPECT_TRUE(contains(r.html, ">ready<")) << r.html;
    EXPECT_LT(r.render_time_ns, 8'000'000'000);
}

TEST_F(RenderProcedure, DelayedContentNeedsExtraWait) {
    _site->page("/delayed", R"(<!doctype html><html><body><div id=late>early</div><script>
setTimeout(() => { document.getElementById('late').textContent = 'late content'; }, 600);
</script></body></html>)");
    RenderRequest q = request(_site->url("/delayed"));
    RenderResult quick = render(q);
    ASSERT_TRUE(quick.success) << describe(quick);
    EXPECT_TRUE(contains(quick.html, ">early<"));
    q.extra_wait_ns = 1'200'000'000;
    RenderResult waited = render(q);
    ASSERT_TRUE(waited.success) << describe(waited);
    EXPECT_TRUE(contains(waited.html, ">late content<")) << waited.html;
    EXPECT_GE(waited.render_time_ns, 1'200'000'000);
}

TEST_F(RenderProcedure, NeverIdlePageEndsAtTheSoftTimeoutWithHtml) {
    _site->hang("/poll-forever");
    _site->page("/never-idle", R"(<!doctype html><html><body><p>visible text</p>
<script>fetch('/poll-forever');</script></body></html>)");
    RenderRequest q = request(_site->url("/never-idle"));
    q.wait_for = "networkIdle";
    q.timeout_ns = 2'000'000'000;
    q.extra_wait_ns = 5'000'000'000;  // skipped after a soft timeout
    const int64_t t0 = mono_ms();
    RenderResult r = render(q);
    const int64_t took = mono_ms() - t0;
    ASSERT_TRUE(r.success) << describe(r);
    EXPECT_TRUE(r.metrics.timed_out);
    EXPECT_TRUE(contains(r.html, "visible text"));
    EXPECT_GE(took, 1900);
    EXPECT_LT(took, 4000) << "extra_wait is skipped after a soft timeout";
}

TEST_F(RenderProcedure, BlocksResourceTypesAndPatterns) {
    _site->page("/img.png", "not really a png", {.content_type = "image/png"});
    _site->page("/font.woff2", "nope", {.content_type = "font/woff2"});
    _site->page("/t/google-analytics.com/ga.js", "window.ga=1", {.content_type = "text/javascript"});
    _site->page("/ads/banner.js", "window.ad=1", {.content_type = "text/javascript"});
    _site->page("/anchored.js", "window.anchored=1", {.content_type = "text/javascript"});
    _site->page("/ok.js", "document.title='ok js ran'", {.content_type = "text/javascript"});
    _site->page("/blocking", R"(<!doctype html><html><head>
<style>@font-face { font-family: F; src: url(/font.woff2) format('woff2'); } body { font-family: F; }</style>
<script src="/t/google-analytics.com/ga.js"></script>
<script src="/ads/banner.js"></script>
<script src="/anchored.js"></script>
<script src="/ok.js"></script>
</head><body>text in the font<img src="/img.png"></body></html>)");
    RenderRequest q = request(_site->url("/blocking"));
    q.blocked_resource_types = {"Image", "Font"};
    q.blocked_patterns = {"*/ads/*", _site->url("/ANCHORED.js")};  // exact: case-insensitive
    RenderResult r = render(q);
    ASSERT_TRUE(r.success) << describe(r);
    EXPECT_EQ(r.seo->title, "ok js ran") << "unblocked scripts run";
    for (const char* path :
         {"/img.png", "/font.woff2", "/t/google-analytics.com/ga.js", "/ads/banner.js", "/anchored.js"})
        EXPECT_EQ(_site->count(path), 0u) << path << " reached the server";
    EXPECT_EQ(_site->count("/ok.js"), 1u);
    EXPECT_GE(r.metrics.blocked_count, 4) << "the font may not be requested once blocked elsewhere";
    EXPECT_EQ(r.metrics.failed_count, 0) << "blocked requests are not failures";
}

TEST_F(RenderProcedure, RegexPatternInterceptsAndDecidesPerRequest) {
    _site->page("/regex42.js", "window.r=1", {.content_type = "text/javascript"});
    _site->page("/REGEXok.js", "window.k=1", {.content_type = "text/javascript"});
    _site->page("/regex-page", R"(<!doctype html><html><head><script src="/regex42.js"></script>
<script src="/REGEXok.js"></script></head><body>regex</body></html>)");
    RenderRequest q = request(_site->url("/regex-page"));
    q.blocked_patterns = {"~*/regex[0-9]+\\.js$"};
    RenderResult r = render(q);
    ASSERT_TRUE(r.success) << describe(r);
    EXPECT_EQ(_site->count("/regex42.js"), 0u);
    EXPECT_EQ(_site->count("/REGEXok.js"), 1u);
    EXPECT_EQ(r.metrics.blocked_count, 1);
}

TEST_F(RenderProcedure, ConsoleErrorsWarningsAndUncaughtExceptions) {
    _site->page("/js-error", R"(<!doctype html><html><body><p>still renders</p>
<script>console.error('boom', 42); console.warn('careful'); console.log('ignored');</script>
<script>throw new Error('uncaught kaboom');</script></body></html>)");
    RenderResult r = render(request(_site->url("/js-error")));
    ASSERT_TRUE(r.success) << describe(r);
    EXPECT_TRUE(contains(r.html, "still renders"));
    const auto& c = r.metrics.console_messages;
    ASSERT_EQ(c.size(), 3u);
    EXPECT_EQ(c[0].type, "error");
    EXPECT_EQ(c[0].message, "boom 42");
    EXPECT_EQ(c[0].source_url, _site->url("/js-error"));
    EXPECT_EQ(c[0].source_location, "2:17");
    EXPECT_EQ(c[1].type, "warning");
    EXPECT_EQ(c[1].message, "careful");
    EXPECT_EQ(c[2].type, "error");
    EXPECT_TRUE(contains(c[2].message, "uncaught kaboom")) << c[2].message;
}

TEST_F(RenderProcedure, MainDocumentRedirectsComeBackAs3xxWithoutHtml) {
    _site->redirect("/r301", 301, "/target");
    _site->redirect("/r302", 302, _other->url("/elsewhere"));
    _site->page("/target", "<html><body>target</body></html>");
    RenderResult r = render(request(_site->url("/r301")));
    ASSERT_TRUE(r.success) << describe(r);
    EXPECT_EQ(r.metrics.status_code, 301);
    EXPECT_EQ(r.metrics.final_url, _site->url("/target"));
    EXPECT_TRUE(r.html.empty());
    const auto* loc = header_values(r.headers, "Location");
    ASSERT_NE(loc, nullptr);
    EXPECT_EQ(*loc, std::vector<std::string>{"/target"});

    RenderResult r2 = render(request(_site->url("/r302")));
    ASSERT_TRUE(r2.success) << describe(r2);
    EXPECT_EQ(r2.metrics.status_code, 302);
    EXPECT_EQ(r2.metrics.final_url, _other->url("/elsewhere"));
    EXPECT_TRUE(r2.html.empty());
}

TEST_F(RenderProcedure, NotFoundPageKeepsStatusAndHtml) {
    _site->page("/missing", "<html><head><title>Nope</title></head><body>custom 404</body></html>",
                {.status = 404});
    RenderResult r = render(request(_site->url("/missing")));
    ASSERT_TRUE(r.success) << describe(r);
    EXPECT_EQ(r.metrics.status_code, 404);
    EXPECT_TRUE(contains(r.html, "custom 404"));
    ASSERT_TRUE(r.seo.has_value());
    EXPECT_EQ(r.seo->index_status, 2);
}

TEST_F(RenderProcedure, PrerenderStatusCodeMetaTags) {
    _site->page("/soft-404", R"(<html><head><meta name="prerender-status-code" content="404"></head>
<body>gone</body></html>)");
    RenderResult r = render(request(_site->url("/soft-404")));
    ASSERT_TRUE(r.success) << describe(r);
    EXPECT_EQ(r.metrics.status_code, 404);
    EXPECT_TRUE(contains(r.html, "gone"));

    _site->page("/meta-redirect", R"(<html><head><script>
var m = document.createElement('meta'); m.name = 'prerender-status-code'; m.content = '301';
var h = document.createElement('meta'); h.name = 'prerender-header'; h.content = 'Location: /moved-here';
document.head.append(m, h);</script></head><body>x</body></html>)");
    RenderResult r2 = render(request(_site->url("/meta-redirect")));
    ASSERT_TRUE(r2.success) << describe(r2);
    EXPECT_EQ(r2.metrics.status_code, 301);
    EXPECT_EQ(r2.metrics.final_url, _site->url("/moved-here"));
    EXPECT_TRUE(r2.html.empty());
    const auto* loc = header_values(r2.headers, "Location");
    ASSERT_NE(loc, nullptr);
    EXPECT_EQ(loc->front(), "/moved-here");
}

TEST_F(RenderProcedure, PageOver20MiBIsRejected) {
    _site->page("/huge", R"(<html><body><div id=big style="display:none"></div><script>
document.getElementById('big').textContent = 'x'.repeat(21 * 1024 * 1024);</script></body></html>)");
    int64_t t0 = mono_ms();
    RenderResult r = render(request(_site->url("/huge")));
    fprintf(stderr, "huge took %ld ms\n", (long)(mono_ms() - t0));
    EXPECT_FALSE(r.success);
    EXPECT_EQ(r.error_type, "response_too_large");
    EXPECT_EQ(r.metrics.status_code, 413);
    EXPECT_TRUE(r.html.empty());
    EXPECT_EQ(r.service_status, 200);

    _site->page("/big-but-ok", R"(<html><body><div id=big style="display:none"></div><script>
document.getElementById('big').textContent = 'y'.repeat(5 * 1024 * 1024);</script></body></html>)");
    t0 = mono_ms();
    RenderResult ok = render(request(_site->url("/big-but-ok")));
    fprintf(stderr, "5MB took %ld ms\n", (long)(mono_ms() - t0));
    ASSERT_TRUE(ok.success) << describe(ok);
    EXPECT_GT(ok.html.size(), 5u * 1024 * 1024);
}

TEST_F(RenderProcedure, ScriptStrippingKeepsLdJsonAndNoscript) {
    _site->page("/m.js", "export const x = 1;", {.content_type = "text/javascript"});
    _site->page("/strip", R"(<!doctype html><html><head>
<script>var a = 1;</script>
<script type="text/javascript">var b = 2;</script>
<script type="module">window.m = 1;</script>
<script type="application/javascript">var c = 3;</script>
<script type="application/ld+json">{"@context":"https://schema.org","@type":"Product","offers":{"@type":"Offer"},
 "@graph":[{"@type":["Organization","Brand"]}]}</script>
<script type="text/template"><b>tpl</b></script>
<link rel="modulepreload" href="/m.js">
<link rel="preload" as="script" href="/m.js">
<link rel="preload" as="style" href="/s.css">
</head><body><noscript>no js here</noscript><p>content</p></body></html>)");
    RenderResult r = render(request(_site->url("/strip")));
    ASSERT_TRUE(r.success) << describe(r);
    EXPECT_FALSE(contains(r.html, "var a = 1")) << r.html;
    EXPECT_FALSE(contains(r.html, "var b = 2"));
    EXPECT_FALSE(contains(r.html, "window.m = 1"));
    EXPECT_FALSE(contains(r.html, "var c = 3"));
    EXPECT_FALSE(contains(r.html, "modulepreload"));
    EXPECT_FALSE(contains(r.html, "as=\"script\""));
    EXPECT_TRUE(contains(r.html, "application/ld+json"));
    EXPECT_TRUE(contains(r.html, "text/template"));
    EXPECT_TRUE(contains(r.html, "as=\"style\""));
    EXPECT_TRUE(contains(r.html, "<noscript>"));
    ASSERT_TRUE(r.seo.has_value());
    EXPECT_EQ(r.seo->structured_data_types,
              (std::vector<std::string>{"Product", "Offer", "Organization", "Brand"}));

    RenderRequest keep = request(_site->url("/strip"));
    keep.strip_scripts = false;
    RenderResult k = render(keep);
    ASSERT_TRUE(k.success) << describe(k);
    EXPECT_TRUE(contains(k.html, "var a = 1"));
    EXPECT_TRUE(contains(k.html, "modulepreload"));
}

TEST_F(RenderProcedure, ForwardedHeadersGoToTheSameOriginOnly) {
    _site->page("/same.js", "1", {.content_type = "text/javascript"});
    _other->page("/cross.js", "1", {.content_type = "text/javascript"});
    _other->page("/cross-api", "{}", {.content_type = "application/json"});
    _site->page("/inject", "<html><head><script src=\"/same.js\"></script><script src=\"" +
                               _other->url("/cross.js") + "\"></script></head><body><img src=\"" +
                               _other->url("/cross-api") +
                               "\"><script>fetch('/same-api').then(r => r.text());</script></body></html>");
    _site->page("/same-api", "{}", {.content_type = "application/json"});
    _site->clear_requests();
    _other->clear_requests();
    RenderRequest q = request(_site->url("/inject"));
    q.wait_for = "networkIdle";
    q.headers = {
        {"X-Forwarded-Test", {"v1"}}, {"Cookie", {"a=1", "b=2"}}, {"Accept-Language", {"de", "en;q=0.5"}}};
    RenderResult r = render(q);
    ASSERT_TRUE(r.success) << describe(r);
    EXPECT_FALSE(r.metrics.timed_out);
    for (const char* path : {"/inject", "/same.js", "/same-api"}) {
        auto reqs = _site->requests_for(path);
        ASSERT_EQ(reqs.size(), 1u) << path;
        EXPECT_EQ(reqs[0].header("X-Forwarded-Test"), "v1") << path;
        EXPECT_EQ(reqs[0].header("Cookie"), "a=1; b=2") << path;
        EXPECT_EQ(reqs[0].header("Accept-Language"), "de, en;q=0.5") << path;
        EXPECT_EQ(reqs[0].header("X-Edge-Render"), "rs-test") << path;
    }
    for (const char* path : {"/cross.js", "/cross-api"}) {
        auto reqs = _other->requests_for(path);
        ASSERT_EQ(reqs.size(), 1u) << path;
        EXPECT_FALSE(reqs[0].has_header("X-Forwarded-Test")) << path;
        EXPECT_FALSE(reqs[0].has_header("Cookie")) << path;
        EXPECT_EQ(reqs[0].header("X-Edge-Render"), "rs-test") << "loop prevention on every request: " << path;
    }
}

TEST_F(RenderProcedure, XEdgeRenderOnEveryRequestWithoutInjection) {
    _site->page("/plain.js", "1", {.content_type = "text/javascript"});
    _site->page("/plain", "<html><head><script src=\"/plain.js\"></script></head><body>p</body></html>");
    _site->clear_requests();
    RenderResult r = render(request(_site->url("/plain")));
    ASSERT_TRUE(r.success) << describe(r);
    auto all = _site->requests();
    ASSERT_GE(all.size(), 2u);
    for (const auto& q : all)
        EXPECT_EQ(q.header("X-Edge-Render"), "rs-test") << q.path;
}

TEST_F(RenderProcedure, CrossSiteIframesGetTheSameRules) {
    // "localhost" is another site than "127.0.0.1": an out-of-process frame under site isolation.
    const std::string frame_origin = "http://localhost:" + std::to_string(_other->port());
    _other->page("/frame",
                 "<html><body>in the frame<script src=\"/frame.js\"></script>"
                 "<img src=\"/ads/pixel.png\"></body></html>");
    _other->page("/frame.js", "1", {.content_type = "text/javascript"});
    _other->page("/ads/pixel.png", "x", {.content_type = "image/png"});
    _site->page("/with-frame",
                "<html><body>outer<iframe src=\"" + frame_origin + "/frame\"></iframe></body></html>");
    _other->clear_requests();
    RenderRequest q = request(_site->url("/with-frame"));
    q.blocked_patterns = {"*/ads/*"};
    RenderResult r = render(q);
    ASSERT_TRUE(r.success) << describe(r);
    for (const char* path : {"/frame", "/frame.js"}) {
        auto reqs = _other->requests_for(path);
        ASSERT_EQ(reqs.size(), 1u) << path;
        EXPECT_EQ(reqs[0].header("X-Edge-Render"), "rs-test") << path;
    }
    EXPECT_EQ(_other->count("/ads/pixel.png"), 0u) << "blocked inside the frame too";
}

TEST_F(RenderProcedure, WorkersGetTheSameRulesAndServiceWorkersAreOff) {
    _site->page("/worker.js", "fetch('/from-worker'); fetch('/ads/from-worker'); postMessage('done');",
                {.content_type = "text/javascript"});
    _site->page("/from-worker", "{}", {.content_type = "application/json"});
    _site->page("/ads/from-worker", "{}", {.content_type = "application/json"});
    _site->page("/sw.js", "self.addEventListener('install', () => {});", {.content_type = "text/javascript"});
    _site->page("/with-worker", R"(<html><body><p id=s>sw: </p><script>
document.getElementById('s').textContent += ('serviceWorker' in navigator);
if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js');
new Worker('/worker.js');</script></body></html>)");
    _site->clear_requests();
    RenderRequest q = request(_site->url("/with-worker"));
    q.wait_for = "networkIdle";
    q.blocked_patterns = {"*/ads/*"};
    RenderResult r = render(q);
    ASSERT_TRUE(r.success) << describe(r);
    EXPECT_TRUE(contains(r.html, "sw: false")) << r.html;
    EXPECT_EQ(_site->count("/sw.js"), 0u);
    auto from_worker = _site->requests_for("/from-worker");
    ASSERT_EQ(from_worker.size(), 1u);
    EXPECT_EQ(from_worker[0].header("X-Edge-Render"), "rs-test") << "loop prevention reaches worker requests";
    EXPECT_EQ(_site->count("/ads/from-worker"), 0u) << "the blocklist reaches worker requests";
}

TEST_F(RenderProcedure, JavaScriptDialogsDoNotBlockThePage) {
    _site->page("/dialogs", R"(<html><body><p id=r>start</p><script>
alert('hello'); const ok = confirm('sure?'); const name = prompt('name?', 'default');
document.getElementById('r').textContent = 'after dialogs ' + ok + ' ' + name;</script></body></html>)");
    const int64_t t0 = mono_ms();
    RenderResult r = render(request(_site->url("/dialogs")));
    ASSERT_TRUE(r.success) << describe(r);
    EXPECT_TRUE(contains(r.html, "after dialogs true default")) << r.html;
    EXPECT_LT(mono_ms() - t0, 3000);
}

TEST_F(RenderProcedure, SeoExtractionAndIndexStatus) {
    _site->page("/seo", R"(<!doctype html><html><head><title>  The   Title </title>
<meta name="description" content="A description.">
<meta name="robots" content="index, follow">
<link rel="canonical" href="/seo">
<link rel="alternate" hreflang="de" href="/de/seo">
<link rel="alternate" hreflang="x-default" href="https://example.com/seo">
</head><body><h1>One</h1><h2>a</h2><h2>b</h2><h2>c</h2><h2>d</h2><h2>e</h2><h2>f</h2><h3>  spaced
 out </h3></body></html>)");
    RenderResult r = render(request(_site->url("/seo")));
    ASSERT_TRUE(r.success) << describe(r);
    ASSERT_TRUE(r.seo.has_value());
    const PageSeo& s = *r.seo;
    EXPECT_EQ(s.title, "The Title");
    EXPECT_EQ(s.meta_description, "A description.");
    EXPECT_EQ(s.meta_robots, "index, follow");
    EXPECT_EQ(s.canonical_url, _site->url("/seo"));
    EXPECT_EQ(s.h1s, std::vector<std::string>{"One"});
    EXPECT_EQ(s.h2s.size(), 5u);
    EXPECT_EQ(s.h3s, std::vector<std::string>{"spaced out"});
    ASSERT_EQ(s.hreflang.size(), 2u);
    EXPECT_EQ(s.hreflang[0].lang, "de");
    EXPECT_EQ(s.hreflang[0].url, _site->url("/de/seo"));
    EXPECT_EQ(s.index_status, 1);

    _site->page("/noindex",
                R"(<html><head><meta name="robots" content="index"><meta name="googlebot" content="noindex">
</head><body>x</body></html>)");
    RenderResult n = render(request(_site->url("/noindex")));
    ASSERT_TRUE(n.success) << describe(n);
    EXPECT_EQ(n.seo->index_status, 3) << "googlebot takes precedence";

    _site->page("/noncanon",
                R"(<html><head><link rel="canonical" href="/other"></head><body>x</body></html>)");
    RenderResult c = render(request(_site->url("/noncanon")));
    ASSERT_TRUE(c.success) << describe(c);
    EXPECT_EQ(c.seo->index_status, 4);
}

TEST_F(RenderProcedure, MobileViewportAndUserAgent) {
    _site->page("/device", R"(<!doctype html><html><head><meta name="viewport" content="width=device-width">
</head><body><span id=w></span>|<span id=ua></span><script>
document.getElementById('w').textContent = window.innerWidth;
document.getElementById('ua').textContent = navigator.userAgent;</script></body></html>)");
    _site->clear_requests();
    RenderRequest q = request(_site->url("/device"));
    q.viewport_width = 375;
    q.viewport_height = 812;
    q.user_agent = "Mozilla/5.0 (Linux; Android 10) TestBot/1.0 Mobile";
    RenderResult r = render(q);
    ASSERT_TRUE(r.success) << describe(r);
    EXPECT_TRUE(contains(r.html, "<span id=\"w\">375</span>")) << r.html;
    EXPECT_TRUE(contains(r.html, "TestBot/1.0 Mobile</span>"));
    auto reqs = _site->requests_for("/device");
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].header("User-Agent"), q.user_agent);

    RenderRequest d = request(_site->url("/device"));
    d.viewport_width = 1280;
    RenderResult desk = render(d);
    ASSERT_TRUE(desk.success) << describe(desk);
    EXPECT_TRUE(contains(desk.html, "<span id=\"w\">1280</span>")) << desk.html;
}

TEST_F(RenderProcedure, MainDocumentHeadersKeepMultipleValues) {
    _site->page(
        "/headers", "<html><body>h</body></html>",
        {.headers = {{"X-Multi", "one"}, {"X-Multi", "two"}, {"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}}});
    RenderResult r = render(request(_site->url("/headers")));
    ASSERT_TRUE(r.success) << describe(r);
    const auto* multi = header_values(r.headers, "X-Multi");
    ASSERT_NE(multi, nullptr);
    EXPECT_EQ(*multi, (std::vector<std::string>{"one", "two"}));
    const auto* cookies = header_values(r.headers, "Set-Cookie");
    ASSERT_NE(cookies, nullptr);
    EXPECT_EQ(cookies->size(), 2u);
}

TEST_F(RenderProcedure, JavaScriptRedirectIsFollowedNotReportedAsRedirect) {
    _site->page("/js-redirect", "<html><body><script>location.replace('/js-target');</script></body></html>");
    _site->page("/js-target", "<html><body>arrived</body></html>");
    RenderRequest q = request(_site->url("/js-redirect"));
    RenderResult r = render(q);
    ASSERT_TRUE(r.success) << describe(r);
    EXPECT_EQ(r.metrics.status_code, 200);
    EXPECT_EQ(r.metrics.final_url, _site->url("/js-target"));
    EXPECT_TRUE(contains(r.html, "arrived"));
}

TEST_F(RenderProcedure, DomContentLoadedDoesNotWaitForSlowImages) {
    _site->page("/slow.png", "x", {.content_type = "image/png", .delay_ms = 1500});
    _site->page("/dcl", "<html><body>dcl<img src=\"/slow.png\"></body></html>");
    RenderRequest q = request(_site->url("/dcl"));
    q.wait_for = "DOMContentLoaded";
    const int64_t t0 = mono_ms();
    RenderResult r = render(q);
    ASSERT_TRUE(r.success) << describe(r);
    EXPECT_LT(mono_ms() - t0, 1400);
    bool dcl = false;
    for (const auto& e : r.metrics.lifecycle_events)
        dcl |= e.name == "DOMContentLoaded";
    EXPECT_TRUE(dcl);
}

TEST_F(RenderProcedure, NetworkErrorsAndInvalidUrls) {
    uint16_t closed_port = 0;
    {
        auto l = rt::TcpListener::bind(rt::SocketAddress::loopback(0));
        closed_port = l->local_address().port();
        _reactor->block_on(l->close());
    }
    RenderResult refused = render(request("http://127.0.0.1:" + std::to_string(closed_port) + "/"));
    EXPECT_FALSE(refused.success);
    EXPECT_EQ(refused.error_type, "network_error") << describe(refused);
    EXPECT_TRUE(contains(refused.error, "ERR_CONNECTION_REFUSED")) << refused.error;
    EXPECT_EQ(refused.service_status, 200);

    RenderResult bad = render(request("ftp://example.com/x"));
    EXPECT_FALSE(bad.success);
    EXPECT_EQ(bad.error_type, "invalid_url");
}

TEST_F(RenderProcedure, HarLogWithMetadata) {
    _site->page("/har.js", "1", {.content_type = "text/javascript"});
    _site->page("/har.png", "x", {.content_type = "image/png"});
    _site->redirect("/har-old.js", 301, "/har.js");
    _site->page("/har",
                "<html><head><title>H</title><script src=\"/har-old.js\"></script></head>"
                "<body><img src=\"/har.png\"><script>console.error('har boom')</script></body></html>");
    RenderRequest q = request(_site->url("/har?x=1&y=two"));
    q.include_har = true;
    q.blocked_resource_types = {"Image"};
    RenderResult r = render(q);
    ASSERT_TRUE(r.success) << describe(r);
    ASSERT_FALSE(r.har_json.empty());
    simdjson::dom::parser p;
    simdjson::dom::element har;
    ASSERT_EQ(p.parse(r.har_json).get(har), simdjson::SUCCESS) << r.har_json;
    JsonView h(har);
    EXPECT_EQ(h["log"]["version"].str(), "1.2");
    EXPECT_EQ(h["log"]["browser"]["name"].str(), "HeadlessChrome");
    std::vector<std::string> urls;
    std::vector<int64_t> statuses;
    h["log"]["entries"].each([&](JsonView e) {
        urls.emplace_back(e["request"]["url"].str());
        statuses.push_back(e["response"]["status"].i64());
    });
    ASSERT_GE(urls.size(), 4u);
    EXPECT_EQ(urls[0], _site->url("/har?x=1&y=two"));
    EXPECT_EQ(statuses[0], 200);
    auto at = std::find(urls.begin(), urls.end(), _site->url("/har-old.js"));
    ASSERT_NE(at, urls.end());
    EXPECT_EQ(statuses[static_cast<size_t>(at - urls.begin())], 301) << "redirect hops are entries";
    EXPECT_NE(std::find(urls.begin(), urls.end(), _site->url("/har.js")), urls.end());
    int query_params = 0;
    h["log"]["entries"].each([&](JsonView e) {
        if (e["request"]["url"].str() == _site->url("/har?x=1&y=two"))
            e["request"]["queryString"].each([&](JsonView) { ++query_params; });
    });
    EXPECT_EQ(query_params, 2);
    JsonView meta = h["_metadata"];
    int blocked = 0;
    meta["blockedRequests"].each([&](JsonView b) {
        ++blocked;
        EXPECT_EQ(b["url"].str(), _site->url("/har.png"));
        EXPECT_EQ(b["resourceType"].str(), "Image");
    });
    EXPECT_EQ(blocked, 1);
    int errors = 0;
    meta["consoleErrors"].each([&](JsonView e) { errors += e.str() == "har boom"; });
    EXPECT_EQ(errors, 1);
    EXPECT_EQ(meta["requestConfig"]["waitFor"].str(), "load");
    EXPECT_EQ(meta["renderMetrics"]["serviceId"].str(), "rs-test");
    EXPECT_FALSE(meta["truncated"].boolean(true));

    RenderResult plain = render(request(_site->url("/har?x=1&y=two")));
    EXPECT_TRUE(plain.har_json.empty()) << "only on request";
}

// Renders after the first start on prepared (spare) pages; each is still a context of
// its own: no cookie, localStorage or sessionStorage of an earlier render is visible.
TEST_F(RenderProcedure, SequentialRendersOnSparePagesStartClean) {
    _site->page("/state", R"(<!doctype html><html><body><p id=s></p><script>
document.getElementById('s').textContent = 'cookie=' + (document.cookie || 'none') +
  ' local=' + (localStorage.getItem('k') || 'none') + ' session=' + (sessionStorage.getItem('k') || 'none');
document.cookie = 'k=1'; localStorage.setItem('k', '1'); sessionStorage.setItem('k', '1');
</script></body></html>)");
    for (int i = 0; i < 4; ++i) {
        // Spares are prepared in the background after each take: wait (bounded) until every
        // browser holds its full set, so this render must start on one.
        const bool full = _reactor->block_on([]() -> rt::Task<bool> {
            for (int t = 0; t < 500; ++t) {
                if (_engine->spare_pages_full()) co_return true;
                co_await rt::sleep_for(rt::Millis(10));
            }
            co_return false;
        }());
        ASSERT_TRUE(full) << "spare pages not prepared within 5 s after render " << i;
        const uint64_t used_before = _engine->spare_pages_used();
        RenderResult r = render(request(_site->url("/state")));
        ASSERT_TRUE(r.success) << describe(r);
        EXPECT_EQ(_engine->spare_pages_used() - used_before, 1u) << "render " << i << " started on a spare";
        EXPECT_TRUE(contains(r.html, ">cookie=none local=none session=none<"))
            << "render " << i << ": " << r.html;
    }
}

TEST_F(RenderProcedure, ConcurrentRendersUseSeparateContexts) {
    _site->page("/cookie-set",
                "<html><body><span id=c></span><script>document.getElementById('c').textContent="
                "document.cookie||'none'; document.cookie='seen=1';</script></body></html>");
    std::vector<rt::Task<RenderResult>> tasks;
    for (int i = 0; i < 4; ++i)
        tasks.push_back(_engine->render(request(_site->url("/cookie-set")), {}));
    auto results = _reactor->block_on(rt::when_all(std::move(tasks)));
    for (const auto& r : results) {
        ASSERT_TRUE(r.success) << describe(r);
        EXPECT_TRUE(contains(r.html, "<span id=\"c\">none</span>")) << "each render starts without cookies";
    }
    EngineStats s = _engine->stats();
    EXPECT_EQ(s.active, 0);
    EXPECT_EQ(s.pool_size, 2);
    EXPECT_EQ(s.processes, 1);
}

}  // namespace
}  // namespace ec::rs::test
