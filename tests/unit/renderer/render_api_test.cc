// The HTTP API over a real loopback server with a fake engine: /render answers of every kind, /health,
// 404/405, the bounded queue, the render backstop and draining.
#include "render_api.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <future>
#include <thread>
#include <vector>

#include "api_harness.h"
#include "render_response.h"
#include "test_http.h"

namespace ec::rs {
namespace {

using test::ApiHarness;
using test::http_request;
using test::HttpReply;

std::string render_body(std::string_view url, std::string_view extra = {}) {
    return R"({"request_id":"req-7","url":")" + std::string(url) + "\"" + std::string(extra) + "}";
}

simdjson::dom::element parse(simdjson::dom::parser& p, const std::string& json) {
    simdjson::dom::element e;
    EXPECT_EQ(p.parse(json).get(e), simdjson::SUCCESS) << json;
    return e;
}

TEST(RenderApi, HealthAndUnknownPaths) {
    ApiHarness h(3, 3, 2000);
    HttpReply r = http_request(h.port(), "GET", "/health");
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_EQ(r.body, R"({"status":"ok","pool_size":3,"available_instances":3,"active_instances":0})");
    r = http_request(h.port(), "GET", "/nope");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.body, "Not Found");
    r = http_request(h.port(), "GET", "/render");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.header("allow"), "POST");
    r = http_request(h.port(), "POST", "/health", "{}");
    EXPECT_EQ(r.status, 405);
}

TEST(RenderApi, SuccessIsFramedHtml) {
    ApiHarness h(2, 2, 2000);
    HttpReply r = http_request(
        h.port(), "POST", "/render",
        render_body("https://a.example/p?x=1", R"(,"tab_id":1,"timeout":60000000000,"include_har":true)"));
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("content-type"), "application/octet-stream");
    std::string_view meta, html;
    ASSERT_TRUE(unframe(r.body, meta, html));
    EXPECT_EQ(html,
              "<!DOCTYPE html><html><body>https://a.example/p?x=1 \xE2\x9C\x93 <b>&amp;</b></body></html>");
    simdjson::dom::parser p;
    auto doc = parse(p, std::string(meta));
    EXPECT_EQ(std::string_view(doc["request_id"]), "req-7");
    EXPECT_TRUE(bool(doc["success"]));
    EXPECT_EQ(uint64_t(doc["html_size"]), html.size());
    EXPECT_EQ(std::string_view(doc["har"]["log"]["version"]), "1.2");
    EXPECT_DOUBLE_EQ(double(doc["metrics"]["timeout"]), 2.0);  // capped at max_timeout
    h.stop();
    ASSERT_EQ(h.engine.requests.size(), 1u);
    EXPECT_EQ(h.engine.requests[0].tab_id, 1);
    EXPECT_EQ(h.engine.requests[0].timeout_ns, 2'000'000'000);
    EXPECT_TRUE(h.engine.requests[0].include_har);
    std::string m = h.metrics.registry().expose();
    EXPECT_NE(m.find("rs_renders_total{status=\"success\"} 1\n"), std::string::npos) << m;
    EXPECT_NE(m.find("rs_http_requests_total{endpoint=\"render\",status=\"200\"} 1\n"), std::string::npos)
        << m;
    EXPECT_NE(m.find("rs_render_duration_seconds_count 1\n"), std::string::npos) << m;
}

TEST(RenderApi, RedirectIsSuccessWithEmptyHtml) {
    ApiHarness h(2, 2, 2000);
    HttpReply r = http_request(h.port(), "POST", "/render", render_body("https://a.example/?redirect=1"));
    ASSERT_EQ(r.status, 200);
    std::string_view meta, html;
    ASSERT_TRUE(unframe(r.body, meta, html));
    EXPECT_TRUE(html.empty());
    simdjson::dom::parser p;
    auto doc = parse(p, std::string(meta));
    EXPECT_EQ(int64_t(doc["metrics"]["status_code"]), 301);
    EXPECT_EQ(std::string_view(doc["metrics"]["final_url"]), "https://example.com/moved");
}

TEST(RenderApi, ErrorAnswers) {
    ApiHarness h(2, 2, 2000);
    simdjson::dom::parser p;
    struct Case {
        std::string body;
        int status;
        std::string error_type;
    };
    std::vector<Case> cases = {
        {"{not json", 400, "invalid_url"},
        {R"({"url":"https://a.example/"})", 400, "invalid_url"},
        {render_body("https://a.example/", R"(,"tab_id":2)"), 400, "invalid_url"},
        {render_body("https://a.example/?fail=navigation_failed"), 200, "navigation_failed"},
        {render_body("https://a.example/?status=503"), 503, "chrome_crash"},
        {render_body("https://a.example/?status=504"), 504, "hard_timeout"},
        {render_body("https://a.example/?throw=1"), 503, "chrome_crash"},
    };
    for (const auto& c : cases) {
        HttpReply r = http_request(h.port(), "POST", "/render", c.body);
        ASSERT_TRUE(r.ok) << c.body;
        EXPECT_EQ(r.status, c.status) << c.body;
        EXPECT_EQ(r.header("content-type"), "application/json") << c.body;
        auto doc = parse(p, r.body);
        EXPECT_FALSE(bool(doc["success"])) << c.body;
        EXPECT_EQ(std::string_view(doc["error_type"]), c.error_type) << r.body;
        EXPECT_FALSE(std::string_view(doc["error"]).empty()) << r.body;
        EXPECT_FALSE(std::string_view(doc["timestamp"]).empty()) << r.body;
        if (c.body.find("req-7") != std::string::npos)
            EXPECT_EQ(std::string_view(doc["request_id"]), "req-7");
    }
    h.stop();
    std::string m = h.metrics.registry().expose();
    EXPECT_NE(m.find("rs_errors_total{type=\"invalid_url\"} 3\n"), std::string::npos) << m;
    EXPECT_NE(m.find("rs_errors_total{type=\"chrome_crash\"} 2\n"), std::string::npos) << m;
    EXPECT_NE(m.find("rs_renders_total{status=\"failed\"} 1\n"), std::string::npos) << m;
    EXPECT_NE(m.find("rs_renders_total{status=\"hard_timeout\"} 1\n"), std::string::npos) << m;
    EXPECT_NE(m.find("rs_http_requests_total{endpoint=\"render\",status=\"400\"} 3\n"), std::string::npos)
        << m;
}

TEST(RenderApi, OversizedHtmlBecomesResponseTooLarge) {
    ApiHarness h(1, 1, 5000);
    HttpReply r = http_request(h.port(), "POST", "/render",
                               render_body("https://a.example/?big=" + std::to_string(20 * 1024 * 1024 + 1)));
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.status, 200);
    simdjson::dom::parser p;
    auto doc = parse(p, r.body);
    EXPECT_FALSE(bool(doc["success"]));
    EXPECT_EQ(std::string_view(doc["error_type"]), "response_too_large");
    EXPECT_EQ(int64_t(doc["metrics"]["status_code"]), 413);
    EXPECT_EQ(uint64_t(doc["html_size"]), 0u);
}

// Capacity 2, queue 1: of four concurrent renders two run, one waits, one is refused at once.
TEST(RenderApi, BoundedQueueRefusesTheRest) {
    ApiHarness h(2, 1, 5000);
    std::vector<std::future<HttpReply>> replies;
    for (int i = 0; i < 4; ++i) {
        replies.push_back(std::async(std::launch::async, [&h] {
            return http_request(h.port(), "POST", "/render", render_body("https://a.example/?delay=300"));
        }));
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
    }
    int ok = 0, refused = 0;
    for (auto& f : replies) {
        HttpReply r = f.get();
        ASSERT_TRUE(r.ok) << r.error;
        if (r.status == 200) ++ok;
        if (r.status == 503) {
            ++refused;
            EXPECT_NE(r.body.find("\"error_type\":\"pool_unavailable\""), std::string::npos) << r.body;
            EXPECT_NE(r.body.find("render slots busy"), std::string::npos) << r.body;
        }
    }
    EXPECT_EQ(ok, 3);
    EXPECT_EQ(refused, 1);
    h.stop();
    EXPECT_EQ(h.engine.max_active, 2);
    std::string m = h.metrics.registry().expose();
    EXPECT_NE(m.find("\nrs_queue_rejections_total 1\n"), std::string::npos) << m;
    EXPECT_NE(m.find("\nrs_queue_depth 0\n"), std::string::npos) << m;
}

TEST(RenderApi, QueuedRenderGivesUpAfterMaxTimeout) {
    ApiHarness h(1, 4, 300);  // max_timeout 300 ms bounds the wait for a slot
    auto busy = std::async(std::launch::async, [&h] {
        return http_request(h.port(), "POST", "/render", render_body("https://a.example/?delay=900"));
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto t0 = std::chrono::steady_clock::now();
    HttpReply r = http_request(h.port(), "POST", "/render", render_body("https://a.example/"));
    auto waited = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(r.status, 503);
    EXPECT_NE(r.body.find("no render slot became free"), std::string::npos) << r.body;
    EXPECT_GE(waited, std::chrono::milliseconds(250));
    EXPECT_EQ(busy.get().status, 200);
}

// The engine overran its own bound: the shell cancels it at max_timeout + 2 s and answers 504.
TEST(RenderApi, BackstopAnswersHardTimeout) {
    ApiHarness h(1, 1, 100);
    HttpReply r = http_request(h.port(), "POST", "/render", render_body("https://a.example/?delay=10000"));
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.status, 504);
    EXPECT_NE(r.body.find("\"error_type\":\"hard_timeout\""), std::string::npos) << r.body;
    h.stop();
    EXPECT_EQ(h.engine.cancelled, 1);
}

TEST(RenderApi, DrainingFinishesInFlightAndRefusesNew) {
    ApiHarness h(2, 2, 5000);
    auto slow = std::async(std::launch::async, [&h] {
        return http_request(h.port(), "POST", "/render", render_body("https://a.example/?delay=400"));
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    h.on_reactor([&h] { h.api.start_draining(); });
    HttpReply r = http_request(h.port(), "POST", "/render", render_body("https://a.example/"));
    EXPECT_EQ(r.status, 503);
    EXPECT_NE(r.body.find("shutting down"), std::string::npos) << r.body;
    r = http_request(h.port(), "GET", "/health");
    EXPECT_EQ(r.status, 503);
    EXPECT_NE(r.body.find("\"status\":\"draining\""), std::string::npos) << r.body;
    HttpReply done = slow.get();
    EXPECT_EQ(done.status, 200);
    EXPECT_EQ(h.engine.renders, 1);
}

// Past the drain bound the server cancels what is left; the engine sees the cancellation.
TEST(RenderApi, DrainBoundCancelsRenders) {
    auto h = std::make_unique<ApiHarness>(1, 1, 60'000, /*drain_ms=*/200);
    auto slow = std::async(std::launch::async, [&h] {
        return http_request(h->port(), "POST", "/render", render_body("https://a.example/?delay=20000"));
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto t0 = std::chrono::steady_clock::now();
    h->stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
    EXPECT_EQ(h->engine.cancelled, 1);
    HttpReply r = slow.get();
    EXPECT_NE(r.status, 200);
}

}  // namespace
}  // namespace ec::rs
