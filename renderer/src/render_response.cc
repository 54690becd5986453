#include "render_response.h"

#include <ctime>

#include "runtime/json_writer.h"

namespace ec::rs {
namespace {

void write_metrics(rt::JsonWriter& w, const RenderMetrics& m, const RenderRequest& req) {
    w.begin_object();
    w.key("status_code").value(m.status_code);
    w.key("final_url").value(m.final_url);
    w.key("lifecycle_events").begin_array();
    for (const auto& e : m.lifecycle_events) {
        w.begin_object().key("name").value(e.name).key("time").value(e.time_s).end_object();
    }
    w.end_array();
    w.key("timed_out").value(m.timed_out);
    w.key("console_messages").begin_array();
    for (const auto& c : m.console_messages) {
        w.begin_object();
        w.key("type").value(c.type);
        w.key("source_url").value(c.source_url.empty() ? std::string_view("<anonymous>") : c.source_url);
        w.key("source_location")
            .value(c.source_location.empty() ? std::string_view("0:0") : c.source_location);
        w.key("message").value(c.message);
        w.end_object();
    }
    w.end_array();
    w.key("total_requests").value(m.total_requests);
    w.key("total_bytes").value(m.total_bytes);
    auto counts = [&](std::string_view name, const std::vector<std::pair<std::string, int64_t>>& v) {
        w.key(name).begin_object();
        for (const auto& [k, n] : v)
            w.key(k).value(n);
        w.end_object();
    };
    counts("bytes_by_type", m.bytes_by_type);
    counts("requests_by_type", m.requests_by_type);
    counts("status_counts", m.status_counts);
    w.key("same_origin_requests").value(m.same_origin_requests);
    w.key("same_origin_bytes").value(m.same_origin_bytes);
    w.key("third_party_requests").value(m.third_party_requests);
    w.key("third_party_bytes").value(m.third_party_bytes);
    w.key("third_party_domains").value(m.third_party_domains);
    w.key("blocked_count").value(m.blocked_count);
    w.key("failed_count").value(m.failed_count);
    w.key("time_to_first_request").value(m.time_to_first_request);
    w.key("time_to_last_response").value(m.time_to_last_response);
    w.key("domain_stats").begin_object();
    for (const auto& [host, d] : m.domain_stats) {
        w.key(host).begin_object();
        w.key("requests").value(d.requests);
        w.key("bytes").value(d.bytes);
        w.key("failed").value(d.failed);
        w.key("blocked").value(d.blocked);
        w.key("avg_latency").value(d.avg_latency);
        w.end_object();
    }
    w.end_object();
    // Echo of the request as the service applied it (seconds, as the original).
    w.key("wait_for_event").value(req.wait_for);
    w.key("extra_wait").value(static_cast<double>(req.extra_wait_ns) / 1e9);
    w.key("timeout").value(static_cast<double>(req.timeout_ns) / 1e9);
    w.key("viewport_width").value(req.viewport_width);
    w.key("viewport_height").value(req.viewport_height);
    w.end_object();
}

void write_strings(rt::JsonWriter& w, std::string_view name, const std::vector<std::string>& v) {
    w.key(name).begin_array();
    for (const auto& s : v)
        w.value(s);
    w.end_array();
}

void write_seo(rt::JsonWriter& w, const PageSeo& s) {
    w.begin_object();
    w.key("title").value(s.title);
    w.key("index_status").value(s.index_status);
    w.key("meta_description").value(s.meta_description);
    w.key("canonical_url").value(s.canonical_url);
    w.key("meta_robots").value(s.meta_robots);
    write_strings(w, "h1s", s.h1s);
    write_strings(w, "h2s", s.h2s);
    write_strings(w, "h3s", s.h3s);
    w.key("hreflang").begin_array();
    for (const auto& h : s.hreflang)
        w.begin_object().key("lang").value(h.lang).key("url").value(h.url).end_object();
    w.end_array();
    write_strings(w, "structured_data_types", s.structured_data_types);
    w.end_object();
}

}  // namespace

std::string rfc3339_utc(int64_t unix_ns) {
    int64_t secs = unix_ns / 1'000'000'000;
    int64_t frac = unix_ns % 1'000'000'000;
    if (frac < 0) {
        frac += 1'000'000'000;
        --secs;
    }
    time_t t = static_cast<time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string out(buf, n);
    if (frac != 0) {
        char f[10];
        for (int i = 8; i >= 0; --i) {
            f[i] = static_cast<char>('0' + frac % 10);
            frac /= 10;
        }
        int len = 9;
        while (len > 0 && f[len - 1] == '0')
            --len;
        out += '.';
        out.append(f, static_cast<size_t>(len));
    }
    out += 'Z';
    return out;
}

void write_result_metadata(std::string& out, const RenderResult& r, const RenderRequest& req,
                           int64_t timestamp_ns) {
    rt::JsonWriter w(out);
    w.begin_object();
    w.key("request_id").value(req.request_id);
    w.key("success").value(r.success);
    if (!r.error.empty()) w.key("error").value(r.error);
    if (!r.error_type.empty()) w.key("error_type").value(r.error_type);
    w.key("render_time").value(r.render_time_ns);
    w.key("html_size").value(r.success ? r.html.size() : size_t{0});
    w.key("timestamp").value(rfc3339_utc(timestamp_ns));
    w.key("chrome_id").value(r.chrome_id);
    w.key("metrics");
    write_metrics(w, r.metrics, req);
    if (!r.headers.empty()) {
        w.key("headers").begin_object();
        for (const auto& [name, values] : r.headers) {
            w.key(name).begin_array();
            for (const auto& v : values)
                w.value(v);
            w.end_array();
        }
        w.end_object();
    }
    if (!r.har_json.empty()) w.key("har").raw(r.har_json);
    if (r.seo) {
        w.key("page_seo");
        write_seo(w, *r.seo);
    }
    w.end_object();
}

std::string frame_success(const RenderResult& r, const RenderRequest& req, int64_t timestamp_ns) {
    std::string meta;
    meta.reserve(2048);
    write_result_metadata(meta, r, req, timestamp_ns);
    std::string out;
    out.reserve(4 + meta.size() + r.html.size());
    auto n = static_cast<uint32_t>(meta.size());
    out.push_back(static_cast<char>(n >> 24));
    out.push_back(static_cast<char>(n >> 16));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n));
    out += meta;
    out += r.html;
    return out;
}

std::string error_json(std::string_view request_id, std::string_view error, std::string_view error_type,
                       int64_t timestamp_ns) {
    std::string out;
    rt::JsonWriter w(out);
    w.begin_object();
    w.key("request_id").value(request_id);
    w.key("success").value(false);
    w.key("error").value(error);
    w.key("error_type").value(error_type);
    w.key("render_time").value(0);
    w.key("html_size").value(0);
    w.key("timestamp").value(rfc3339_utc(timestamp_ns));
    w.end_object();
    return out;
}

bool unframe(std::string_view body, std::string_view& metadata, std::string_view& html) {
    if (body.size() < 4) return false;
    auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(body[i])); };
    uint32_t n = (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
    if (body.size() - 4 < n) return false;
    metadata = body.substr(4, n);
    html = body.substr(4 + n);
    return true;
}

}  // namespace ec::rs
