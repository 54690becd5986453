// POST /render request parsing and validation (F-RS-02).
#include <gtest/gtest.h>

#include "render_request_json.h"

namespace ec::rs {
namespace {

const RequestLimits kLimits{4, 50'000'000'000};

std::string parse_error(std::string_view body) {
    RenderRequest r;
    std::string err;
    EXPECT_FALSE(parse_render_request(body, kLimits, r, err)) << body;
    return err;
}

TEST(RenderRequest, EveryFieldOfTheReference) {
    std::string body = R"({"request_id":"a1b2c-xyz","url":"https://shop.example/p?id=1&x=2","tab_id":3,
        "viewport_width":375,"viewport_height":812,"user_agent":"Googlebot/2.1",
        "timeout":15000000000,"wait_for":"load","extra_wait":250000000,
        "blocked_patterns":["*ads*","~*track"],"blocked_resource_types":["Image","Font"],
        "include_har":true,"strip_scripts":false,
        "headers":{"Cookie":["a=1","b=2"],"Accept-Language":"de-DE"},"unknown_future_field":{"x":[1,2]}})";
    RenderRequest r;
    std::string err;
    ASSERT_TRUE(parse_render_request(body, kLimits, r, err)) << err;
    EXPECT_EQ(r.request_id, "a1b2c-xyz");
    EXPECT_EQ(r.url, "https://shop.example/p?id=1&x=2");
    EXPECT_EQ(r.tab_id, 3);
    EXPECT_EQ(r.viewport_width, 375);
    EXPECT_EQ(r.viewport_height, 812);
    EXPECT_EQ(r.user_agent, "Googlebot/2.1");
    EXPECT_EQ(r.timeout_ns, 15'000'000'000);
    EXPECT_EQ(r.wait_for, "load");
    EXPECT_EQ(r.extra_wait_ns, 250'000'000);
    EXPECT_EQ(r.blocked_patterns, (std::vector<std::string>{"*ads*", "~*track"}));
    EXPECT_EQ(r.blocked_resource_types, (std::vector<std::string>{"Image", "Font"}));
    EXPECT_TRUE(r.include_har);
    EXPECT_FALSE(r.strip_scripts);
    ASSERT_EQ(r.headers.size(), 2u);
    EXPECT_EQ(r.headers[0].first, "Cookie");
    EXPECT_EQ(r.headers[0].second, (std::vector<std::string>{"a=1", "b=2"}));
    EXPECT_EQ(r.headers[1].second, (std::vector<std::string>{"de-DE"}));
}

TEST(RenderRequest, DefaultsAndCaps) {
    RenderRequest r;
    std::string err;
    ASSERT_TRUE(parse_render_request(R"({"request_id":"r","url":"http://a.example/"})", kLimits, r, err))
        << err;
    EXPECT_EQ(r.tab_id, -1);
    EXPECT_EQ(r.viewport_width, 1920);
    EXPECT_EQ(r.viewport_height, 1080);
    EXPECT_EQ(r.timeout_ns, 30'000'000'000);
    EXPECT_EQ(r.wait_for, "networkIdle");
    EXPECT_EQ(r.extra_wait_ns, 0);
    EXPECT_TRUE(r.strip_scripts);
    EXPECT_FALSE(r.include_har);

    RenderRequest c;
    ASSERT_TRUE(parse_render_request(
        R"({"request_id":"r","url":"HTTPS://A.example","timeout":"2m","extra_wait":"-1s","tab_id":null,"headers":null})",
        kLimits, c, err))
        << err;
    EXPECT_EQ(c.timeout_ns, 50'000'000'000);  // capped at max_timeout
    EXPECT_EQ(c.extra_wait_ns, 0);
    EXPECT_EQ(c.tab_id, -1);

    RenderRequest z;
    ASSERT_TRUE(parse_render_request(R"({"request_id":"r","url":"http://a/","timeout":0,"viewport_width":0})",
                                     kLimits, z, err));
    EXPECT_EQ(z.timeout_ns, 30'000'000'000);
    EXPECT_EQ(z.viewport_width, 1920);
    RenderRequest f;
    ASSERT_TRUE(
        parse_render_request(R"({"request_id":"r","url":"http://a/","timeout":1.5e9})", kLimits, f, err));
    EXPECT_EQ(f.timeout_ns, 1'500'000'000);
}

TEST(RenderRequest, Rejections) {
    EXPECT_EQ(parse_error("not json"), "invalid JSON: the body must be a JSON object");
    EXPECT_EQ(parse_error("[1,2]"), "invalid JSON: the body must be a JSON object");
    EXPECT_EQ(parse_error(R"({"url":"http://a/"})"), "request_id is required");
    EXPECT_EQ(parse_error(R"({"request_id":"","url":"http://a/"})"), "request_id is required");
    EXPECT_EQ(parse_error(R"({"request_id":"r"})"), "url is required");
    EXPECT_EQ(parse_error(R"({"request_id":"r","url":5})"), "url must be a string");
    EXPECT_EQ(parse_error(R"({"request_id":"r","url":"file:///etc/passwd"})"),
              "invalid url 'file:///etc/passwd': only absolute http:// and https:// URLs are rendered");
    EXPECT_NE(parse_error(R"({"request_id":"r","url":"http:///nohost"})").find("invalid url"),
              std::string::npos);
    EXPECT_NE(parse_error(R"({"request_id":"r","url":"http://a b/"})").find("invalid url"),
              std::string::npos);
    EXPECT_EQ(parse_error(R"({"request_id":"r","url":"http://a/","tab_id":4})"),
              "invalid tab_id 4 (must be between 0 and 3)");
    EXPECT_EQ(parse_error(R"({"request_id":"r","url":"http://a/","tab_id":-1})"),
              "invalid tab_id -1 (must be between 0 and 3)");
    EXPECT_EQ(parse_error(R"({"request_id":"r","url":"http://a/","tab_id":"1"})"),
              "tab_id must be an integer");
    EXPECT_EQ(parse_error(R"({"request_id":"r","url":"http://a/","wait_for":"idle"})"),
              "invalid wait_for 'idle' (DOMContentLoaded, load, networkIdle or networkAlmostIdle)");
    EXPECT_EQ(parse_error(R"({"request_id":"r","url":"http://a/","timeout":"soon"})").substr(0, 9),
              "timeout: ");
    EXPECT_EQ(parse_error(R"({"request_id":"r","url":"http://a/","timeout":true})"),
              "timeout must be integer nanoseconds or a duration string");
    EXPECT_EQ(parse_error(R"({"request_id":"r","url":"http://a/","viewport_width":20000})"),
              "viewport_width must be between 1 and 16384, got 20000");
    EXPECT_EQ(parse_error(R"({"request_id":"r","url":"http://a/","blocked_patterns":"x"})"),
              "blocked_patterns must be a list of strings");
    EXPECT_EQ(parse_error(R"({"request_id":"r","url":"http://a/","include_har":"yes"})"),
              "include_har must be true or false");
    EXPECT_EQ(parse_error(R"({"request_id":"r","url":"http://a/","headers":{"Bad Name":["x"]}})"),
              "headers: invalid header name 'Bad Name'");
    EXPECT_EQ(parse_error(R"({"request_id":"r","url":"http://a/","headers":{"X":["a\r\nInjected: 1"]}})"),
              "headers.X: value contains a line break");
    EXPECT_EQ(parse_error(R"({"request_id":"r","url":"http://a/"} trailing)").substr(0, 12), "invalid JSON");
    EXPECT_EQ(parse_error(R"({"request_id":"r","url":"http://a/"} {})").substr(0, 12), "invalid JSON");
    EXPECT_EQ(parse_error(std::string(1024 * 1024 + 1, ' ')), "request body larger than 1 MiB");
    EXPECT_EQ(parse_error(R"({"request_id":")" + std::string(300, 'x') + R"(","url":"http://a/"})"),
              "request_id longer than 256 bytes");
}

TEST(RenderRequest, RequestIdKeptForErrorAnswers) {
    RenderRequest r;
    std::string err;
    EXPECT_FALSE(parse_render_request(R"({"request_id":"keep-me","url":"ftp://x/"})", kLimits, r, err));
    EXPECT_EQ(r.request_id, "keep-me");
}

TEST(RenderRequest, TruncatedAndHostileInputNeverCrash) {
    std::string good =
        R"({"request_id":"r","url":"http://a/","headers":{"A":["b"]},"blocked_patterns":["x"]})";
    for (size_t n = 0; n < good.size(); ++n) {
        RenderRequest r;
        std::string err;
        EXPECT_FALSE(parse_render_request(good.substr(0, n), kLimits, r, err)) << n;
    }
    std::string deep(10000, '[');
    RenderRequest r;
    std::string err;
    EXPECT_FALSE(parse_render_request(R"({"request_id":"r","url":"http://a/","x":)" + deep, kLimits, r, err));
}

TEST(RenderableUrl, Forms) {
    EXPECT_TRUE(is_renderable_url("http://a"));
    EXPECT_TRUE(is_renderable_url("https://user:pw@host:8443/p?q#f"));
    EXPECT_TRUE(is_renderable_url("HtTpS://Example.com/"));
    EXPECT_FALSE(is_renderable_url("https://"));
    EXPECT_FALSE(is_renderable_url("https://:80/"));
    EXPECT_FALSE(is_renderable_url("javascript:alert(1)"));
    EXPECT_FALSE(is_renderable_url("chrome://settings"));
    EXPECT_FALSE(is_renderable_url("//example.com/"));
    EXPECT_FALSE(is_renderable_url("http://exa mple.com/"));
}

}  // namespace
}  // namespace ec::rs
