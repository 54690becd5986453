// The answer framing of POST /render (docs/render-protocol.md).
#include "render_response.h"

#include <gtest/gtest.h>
#include <simdjson.h>

namespace ec::rs {
namespace {

RenderResult sample_result() {
    RenderResult r;
    r.success = true;
    r.html = "<!DOCTYPE html><html>\xE2\x9C\x93 & <b>raw</b></html>";
    r.render_time_ns = 1'234'567'890;
    r.chrome_id = "chrome-3";
    r.metrics.status_code = 200;
    r.metrics.final_url = "https://a.example/?x=1&y=2";
    r.metrics.lifecycle_events = {{"load", 0.5}};
    r.metrics.console_messages = {{"warning", "", "", "careful"}};
    r.metrics.bytes_by_type = {{"Document", 1000}};
    r.metrics.domain_stats = {{"a.example", DomainStats{3, 300, 1, 0, 0.25}}};
    r.headers = {{"Set-Cookie", {"a=1", "b=2"}}};
    r.har_json = R"({"log":{"version":"1.2","entries":[]}})";
    PageSeo seo;
    seo.title = "T";
    seo.index_status = 1;
    seo.hreflang = {{"de", "https://a.example/de"}};
    r.seo = seo;
    return r;
}

RenderRequest sample_request() {
    RenderRequest q;
    q.request_id = "req-1";
    q.url = "https://a.example/";
    q.wait_for = "load";
    q.timeout_ns = 15'000'000'000;
    q.extra_wait_ns = 500'000'000;
    q.viewport_width = 375;
    q.viewport_height = 812;
    return q;
}

TEST(RenderResponse, Rfc3339LikeGo) {
    EXPECT_EQ(rfc3339_utc(0), "1970-01-01T00:00:00Z");
    EXPECT_EQ(rfc3339_utc(1'700'000'000'123'000'000), "2023-11-14T22:13:20.123Z");
    EXPECT_EQ(rfc3339_utc(1'700'000'000'000'000'001), "2023-11-14T22:13:20.000000001Z");
    EXPECT_EQ(rfc3339_utc(1'700'000'000'100'000'000), "2023-11-14T22:13:20.1Z");
}

TEST(RenderResponse, FrameCarriesMetadataAndRawHtml) {
    RenderResult r = sample_result();
    std::string body = frame_success(r, sample_request(), 1'700'000'000'000'000'000);
    std::string_view meta, html;
    ASSERT_TRUE(unframe(body, meta, html));
    EXPECT_EQ(html, r.html);  // byte for byte, not re-encoded
    EXPECT_EQ(static_cast<unsigned char>(body[0]), 0);
    EXPECT_EQ(
        (static_cast<size_t>(static_cast<unsigned char>(body[2])) << 8) | static_cast<unsigned char>(body[3]),
        meta.size());

    simdjson::dom::parser p;
    simdjson::dom::element doc;
    ASSERT_EQ(p.parse(std::string(meta)).get(doc), simdjson::SUCCESS) << meta;
    EXPECT_EQ(std::string_view(doc["request_id"]), "req-1");
    EXPECT_EQ(bool(doc["success"]), true);
    EXPECT_EQ(int64_t(doc["render_time"]), 1'234'567'890);
    EXPECT_EQ(uint64_t(doc["html_size"]), r.html.size());
    EXPECT_EQ(std::string_view(doc["timestamp"]), "2023-11-14T22:13:20Z");
    EXPECT_EQ(std::string_view(doc["chrome_id"]), "chrome-3");
    EXPECT_EQ(doc["error"].error(), simdjson::NO_SUCH_FIELD);  // omitted on success
    auto m = doc["metrics"];
    EXPECT_EQ(int64_t(m["status_code"]), 200);
    EXPECT_EQ(std::string_view(m["final_url"]), "https://a.example/?x=1&y=2");
    EXPECT_EQ(std::string_view(m["lifecycle_events"].at(0)["name"]), "load");
    EXPECT_EQ(std::string_view(m["console_messages"].at(0)["source_url"]), "<anonymous>");
    EXPECT_EQ(std::string_view(m["console_messages"].at(0)["source_location"]), "0:0");
    EXPECT_EQ(int64_t(m["bytes_by_type"]["Document"]), 1000);
    EXPECT_EQ(int64_t(m["domain_stats"]["a.example"]["failed"]), 1);
    EXPECT_EQ(std::string_view(m["wait_for_event"]), "load");
    EXPECT_DOUBLE_EQ(double(m["timeout"]), 15.0);
    EXPECT_DOUBLE_EQ(double(m["extra_wait"]), 0.5);
    EXPECT_EQ(int64_t(m["viewport_width"]), 375);
    EXPECT_EQ(std::string_view(doc["headers"]["Set-Cookie"].at(1)), "b=2");
    EXPECT_EQ(std::string_view(doc["har"]["log"]["version"]), "1.2");
    EXPECT_EQ(std::string_view(doc["page_seo"]["title"]), "T");
    EXPECT_EQ(int64_t(doc["page_seo"]["index_status"]), 1);
    EXPECT_EQ(std::string_view(doc["page_seo"]["hreflang"].at(0)["lang"]), "de");
    // Go escaping of '&' in the metadata.
    EXPECT_NE(meta.find(R"(x=1\u0026y=2)"), std::string_view::npos);
}

TEST(RenderResponse, FailureMetadataAndErrorJson) {
    RenderResult r;
    r.success = false;
    r.error = "net::ERR_NAME_NOT_RESOLVED";
    r.error_type = "network_error";
    r.html = "ignored";
    std::string body;
    write_result_metadata(body, r, sample_request(), 0);
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    ASSERT_EQ(p.parse(body).get(doc), simdjson::SUCCESS) << body;
    EXPECT_EQ(bool(doc["success"]), false);
    EXPECT_EQ(std::string_view(doc["error_type"]), "network_error");
    EXPECT_EQ(uint64_t(doc["html_size"]), 0u);
    EXPECT_EQ(doc["page_seo"].error(), simdjson::NO_SUCH_FIELD);
    EXPECT_EQ(doc["har"].error(), simdjson::NO_SUCH_FIELD);

    std::string e = error_json("r<1>", "bad \"thing\"", "invalid_url", 0);
    EXPECT_EQ(
        e,
        R"({"request_id":"r\u003c1\u003e","success":false,"error":"bad \"thing\"","error_type":"invalid_url",)"
        R"("render_time":0,"html_size":0,"timestamp":"1970-01-01T00:00:00Z"})");
}

TEST(RenderResponse, UnframeRejectsShortBodies) {
    std::string_view m, h;
    EXPECT_FALSE(unframe("", m, h));
    EXPECT_FALSE(unframe(std::string_view("\0\0\0\x09{}", 6), m, h));
    EXPECT_TRUE(unframe(std::string_view("\0\0\0\x02{}<p>", 9), m, h));
    EXPECT_EQ(m, "{}");
    EXPECT_EQ(h, "<p>");
}

}  // namespace
}  // namespace ec::rs
