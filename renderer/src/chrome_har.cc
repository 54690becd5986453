#include "chrome_har.h"

#include <ctime>

#include "runtime/json_writer.h"

namespace ec::rs {

namespace {

// "2026-11-21T18:27:54.123Z"
std::string iso8601(double epoch_s) {
    if (epoch_s <= 0) epoch_s = 0;
    const auto secs = static_cast<time_t>(epoch_s);
    const int ms = static_cast<int>((epoch_s - static_cast<double>(secs)) * 1000.0);
    tm t{};
    gmtime_r(&secs, &t);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900, t.tm_mon + 1,
                  t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ms);
    return buf;
}

std::string http_version_of(std::string_view protocol) {
    if (protocol == "h2") return "HTTP/2.0";
    if (protocol == "h3") return "HTTP/3.0";
    if (protocol.starts_with("http/")) {
        std::string v = "HTTP/";
        v += protocol.substr(5);
        return v;
    }
    return protocol.empty() ? std::string("HTTP/1.1") : std::string(protocol);
}

void write_headers(rt::JsonWriter& w, const std::vector<std::pair<std::string, std::string>>& h) {
    w.begin_array();
    for (const auto& [n, v] : h)
        w.begin_object().key("name").value(n).key("value").value(v).end_object();
    w.end_array();
}

void write_query(rt::JsonWriter& w, std::string_view url) {
    w.begin_array();
    size_t q = url.find('?');
    if (q != std::string_view::npos) {
        std::string_view query = url.substr(q + 1);
        query = query.substr(0, query.find('#'));
        while (!query.empty()) {
            size_t amp = query.find('&');
            std::string_view pair = query.substr(0, amp);
            size_t eq = pair.find('=');
            w.begin_object()
                .key("name")
                .value(pair.substr(0, eq))
                .key("value")
                .value(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1))
                .end_object();
            if (amp == std::string_view::npos) break;
            query.remove_prefix(amp + 1);
        }
    }
    w.end_array();
}

}  // namespace

void HarRecorder::headers_of(JsonView h, std::vector<std::pair<std::string, std::string>>& out) {
    out.clear();
    h.each_field([&](std::string_view name, JsonView v) {
        // Chromium joins repeated headers with '\n'; HAR lists them one by one.
        std::string_view s = v.str();
        size_t i = 0;
        while (true) {
            size_t j = s.find('\n', i);
            out.emplace_back(std::string(name),
                             std::string(s.substr(i, j == std::string_view::npos ? j : j - i)));
            if (j == std::string_view::npos) break;
            i = j + 1;
        }
    });
}

HarRecorder::Entry* HarRecorder::current(std::string_view request_id) {
    auto it = _open.find(std::string(request_id));
    return it == _open.end() ? nullptr : &_entries[it->second];
}

void HarRecorder::take_response(Entry& e, JsonView resp, double ts) {
    e.status = static_cast<int>(resp["status"].i64());
    e.status_text = std::string(resp["statusText"].str());
    e.http_version = http_version_of(resp["protocol"].str());
    e.mime_type = std::string(resp["mimeType"].str());
    headers_of(resp["headers"], e.resp_headers);
    if (JsonView t = resp["timing"]; t.is_object()) {
        auto span = [&](const char* a, const char* b) {
            const double s = t[a].num(-1), f = t[b].num(-1);
            return s >= 0 && f >= s ? f - s : -1.0;
        };
        e.dns = span("dnsStart", "dnsEnd");
        e.connect = span("connectStart", "connectEnd");
        e.ssl = span("sslStart", "sslEnd");
        e.send = std::max(0.0, span("sendStart", "sendEnd"));
        const double send_end = t["sendEnd"].num(0), headers_end = t["receiveHeadersEnd"].num(0);
        e.wait = headers_end > send_end ? headers_end - send_end : 0;
    }
    if (ts > 0) e.ts_end = ts;
}

void HarRecorder::on_request(JsonView p) {
    const std::string id(p["requestId"].str());
    const double ts = p["timestamp"].num();
    if (JsonView rr = p["redirectResponse"]; rr.valid()) {
        if (Entry* prev = current(id)) {
            take_response(*prev, rr, ts);
            prev->redirect_url = std::string(p["request"]["url"].str());
            prev->done = true;
        }
    }
    if (_entries.size() >= kMaxEntries) {
        _truncated = true;
        _open.erase(id);
        return;
    }
    Entry e;
    JsonView rq = p["request"];
    e.method = std::string(rq["method"].str("GET"));
    e.url = std::string(rq["url"].str());
    e.type = std::string(p["type"].str("Other"));
    e.wall_start = p["wallTime"].num();
    e.ts_start = e.ts_end = ts;
    headers_of(rq["headers"], e.req_headers);
    _open[id] = _entries.size();
    _entries.push_back(std::move(e));
}

void HarRecorder::on_response(JsonView p) {
    if (Entry* e = current(p["requestId"].str())) take_response(*e, p["response"], p["timestamp"].num());
}

void HarRecorder::on_finished(JsonView p) {
    if (Entry* e = current(p["requestId"].str())) {
        e->bytes = p["encodedDataLength"].i64();
        e->ts_end = p["timestamp"].num(e->ts_end);
        e->done = true;
    }
}

void HarRecorder::on_failed(JsonView p) {
    if (Entry* e = current(p["requestId"].str())) {
        e->ts_end = p["timestamp"].num(e->ts_end);
        e->done = true;
        e->blocked_reason = std::string(p["blockedReason"].str());
        e->blocked = !e->blocked_reason.empty();
        e->failed = !e->blocked;
        e->error = std::string(p["errorText"].str());
    }
}

std::string HarRecorder::to_json(const Context& c) const {
    std::string out;
    rt::JsonWriter w(out);
    const RenderRequest& req = *c.req;
    const RenderResult& res = *c.result;
    const double page_start = _entries.empty() ? 0 : _entries.front().wall_start;
    const double mono_start = _entries.empty() ? 0 : _entries.front().ts_start;
    std::string_view product = c.browser_version;
    const size_t slash = product.find('/');

    w.begin_object().key("log").begin_object();
    w.key("version").value("1.2");
    w.key("creator").begin_object().key("name").value("EdgeComet").key("version").value("1.0").end_object();
    w.key("browser")
        .begin_object()
        .key("name")
        .value(product.substr(0, slash))
        .key("version")
        .value(slash == std::string_view::npos ? std::string_view() : product.substr(slash + 1))
        .end_object();
    auto event_ms = [&](std::string_view name) {
        for (const auto& e : res.metrics.lifecycle_events)
            if (e.name == name) return e.time_s * 1000.0;
        return -1.0;
    };
    w.key("pages").begin_array().begin_object();
    w.key("startedDateTime").value(iso8601(page_start));
    w.key("id").value("page_1");
    w.key("title").value(res.seo ? std::string_view(res.seo->title) : std::string_view(req.url));
    w.key("pageTimings")
        .begin_object()
        .key("onContentLoad")
        .value(event_ms("DOMContentLoaded"))
        .key("onLoad")
        .value(event_ms("load"))
        .end_object();
    w.end_object().end_array();

    w.key("entries").begin_array();
    for (const Entry& e : _entries) {
        const double total_ms = e.ts_end > e.ts_start ? (e.ts_end - e.ts_start) * 1000.0 : 0;
        const double wall = e.wall_start > 0 ? e.wall_start : page_start + (e.ts_start - mono_start);
        w.begin_object();
        w.key("pageref").value("page_1");
        w.key("startedDateTime").value(iso8601(wall));
        w.key("time").value(total_ms);
        w.key("request").begin_object();
        w.key("method")
            .value(e.method)
            .key("url")
            .value(e.url)
            .key("httpVersion")
            .value(e.http_version.empty() ? "HTTP/1.1" : e.http_version);
        w.key("cookies").begin_array().end_array();
        w.key("headers");
        write_headers(w, e.req_headers);
        w.key("queryString");
        write_query(w, e.url);
        w.key("headersSize").value(-1).key("bodySize").value(0);
        w.end_object();
        w.key("response").begin_object();
        w.key("status").value(e.status).key("statusText").value(e.status_text);
        w.key("httpVersion").value(e.http_version.empty() ? "HTTP/1.1" : e.http_version);
        w.key("cookies").begin_array().end_array();
        w.key("headers");
        write_headers(w, e.resp_headers);
        w.key("content")
            .begin_object()
            .key("size")
            .value(e.bytes)
            .key("mimeType")
            .value(e.mime_type)
            .end_object();
        w.key("redirectURL").value(e.redirect_url);
        w.key("headersSize").value(-1).key("bodySize").value(e.bytes);
        if (!e.error.empty()) w.key("_error").value(e.error);
        w.end_object();
        w.key("cache").begin_object().end_object();
        const double known = std::max(0.0, e.dns) + std::max(0.0, e.connect) + e.send + e.wait;
        w.key("timings")
            .begin_object()
            .key("blocked")
            .value(-1)
            .key("dns")
            .value(e.dns)
            .key("connect")
            .value(e.connect)
            .key("send")
            .value(e.send)
            .key("wait")
            .value(e.wait)
            .key("receive")
            .value(std::max(0.0, total_ms - known))
            .key("ssl")
            .value(e.ssl)
            .end_object();
        w.key("_resourceType").value(e.type);
        w.end_object();
    }
    w.end_array();
    w.end_object();  // log

    w.key("_metadata").begin_object();
    w.key("blockedRequests").begin_array();
    for (const Entry& e : _entries)
        if (e.blocked)
            w.begin_object()
                .key("url")
                .value(e.url)
                .key("reason")
                .value(e.blocked_reason)
                .key("resourceType")
                .value(e.type)
                .end_object();
    w.end_array();
    w.key("failedRequests").begin_array();
    for (const Entry& e : _entries)
        if (e.failed)
            w.begin_object()
                .key("url")
                .value(e.url)
                .key("error")
                .value(e.error)
                .key("resourceType")
                .value(e.type)
                .end_object();
    w.end_array();
    w.key("lifecycleEvents").begin_array();
    for (const auto& e : res.metrics.lifecycle_events)
        w.begin_object().key("name").value(e.name).key("timestamp").value(e.time_s).end_object();
    w.end_array();
    w.key("consoleErrors").begin_array();
    for (const auto& m : res.metrics.console_messages)
        if (m.type == "error") w.value(m.message);
    w.end_array();
    w.key("renderMetrics")
        .begin_object()
        .key("duration")
        .value(c.duration_s)
        .key("timedOut")
        .value(res.metrics.timed_out)
        .key("serviceId")
        .value(c.service_id)
        .end_object();
    w.key("requestConfig").begin_object();
    w.key("waitFor").value(req.wait_for);
    w.key("blockedPatterns").begin_array();
    for (const auto& s : req.blocked_patterns)
        w.value(s);
    w.end_array();
    w.key("blockedResourceTypes").begin_array();
    for (const auto& s : req.blocked_resource_types)
        w.value(s);
    w.end_array();
    w.key("viewportWidth").value(req.viewport_width).key("viewportHeight").value(req.viewport_height);
    w.key("userAgent").value(req.user_agent);
    w.key("timeout").value(req.timeout_ns / 1'000'000).key("extraWait").value(req.extra_wait_ns / 1'000'000);
    w.end_object();
    w.key("truncated").value(_truncated);
    w.end_object();  // _metadata
    w.end_object();
    return out;
}

}  // namespace ec::rs
