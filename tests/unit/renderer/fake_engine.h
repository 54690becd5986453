// A RenderEngine for tests of the service shell: canned results steered by the URL's query.
//
//   ?delay=N        the render takes N ms (cancellable through the render's CancelToken)
//   ?fail=TYPE      render failure (200, success false, error_type TYPE)
//   ?status=503|504 the engine answers with that service status (pool_unavailable / hard_timeout)
//   ?big=N          N bytes of HTML
//   ?throw=1        render() throws
//   ?redirect=1     success with empty HTML, status 301 and final_url set
// Otherwise: success, status 200, HTML "<html>…url…</html>", one header, SEO and metrics filled.
#pragma once

#include <charconv>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "render_types.h"
#include "runtime/time.h"

namespace ec::rs::test {

inline std::string query_param(std::string_view url, std::string_view name) {
    auto q = url.find('?');
    if (q == std::string_view::npos) return {};
    std::string_view rest = url.substr(q + 1);
    while (!rest.empty()) {
        auto amp = rest.find('&');
        std::string_view kv = rest.substr(0, amp);
        auto eq = kv.find('=');
        if (kv.substr(0, eq) == name)
            return std::string(eq == std::string_view::npos ? "" : kv.substr(eq + 1));
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
    }
    return {};
}

inline int64_t query_int(std::string_view url, std::string_view name) {
    std::string v = query_param(url, name);
    int64_t n = 0;
    std::from_chars(v.data(), v.data() + v.size(), n);
    return n;
}

class FakeEngine final : public RenderEngine {
  public:
    // What a FakeEngine did, for tests that outlive it (the service destroys its engine when it stops).
    struct Counts {
        int starts = 0, stops = 0, renders = 0, cancelled = 0, max_active = 0;
    };

    explicit FakeEngine(int pool_size = 2, Counts* report = nullptr) : _pool(pool_size), _report(report) {}
    ~FakeEngine() override {
        if (_report) *_report = Counts{starts, stops, renders, cancelled, max_active};
    }
    FakeEngine(const FakeEngine&) = delete;
    FakeEngine& operator=(const FakeEngine&) = delete;

    std::string start_error;  // start() throws this when set
    int starts = 0, stops = 0, renders = 0, cancelled = 0, max_active = 0;
    std::vector<RenderRequest> requests;

    rt::Task<void> start() override {
        ++starts;
        if (!start_error.empty()) throw std::runtime_error(start_error);
        _ready = true;
        co_return;
    }

    rt::Task<RenderResult> render(RenderRequest req, rt::CancelToken cancel) override {
        ++renders;
        ++_active;
        if (_active > max_active) max_active = _active;
        requests.push_back(req);
        RenderResult r;
        r.chrome_id = "chrome-0";
        int64_t delay = query_int(req.url, "delay");
        bool ok = true;
        if (delay > 0) ok = co_await rt::sleep_for(rt::Millis(delay), cancel);
        --_active;
        if (!ok) {
            ++cancelled;
            r.service_status = 503;
            r.error_type = "pool_unavailable";
            r.error = "render cancelled";
            co_return r;
        }
        if (!query_param(req.url, "throw").empty()) throw std::runtime_error("fake engine exploded");
        if (auto st = query_int(req.url, "status"); st == 503 || st == 504) {
            r.service_status = static_cast<int>(st);
            r.error_type = st == 503 ? "chrome_crash" : "hard_timeout";
            r.error = "fake " + r.error_type;
            co_return r;
        }
        if (auto f = query_param(req.url, "fail"); !f.empty()) {
            r.error_type = f;
            r.error = "fake failure " + f;
            r.metrics.status_code = 0;
            co_return r;
        }
        r.success = true;
        r.render_time_ns = 123'000'000;
        if (!query_param(req.url, "redirect").empty()) {
            r.metrics.status_code = 301;
            r.metrics.final_url = "https://example.com/moved";
            co_return r;
        }
        if (int64_t big = query_int(req.url, "big"); big > 0) {
            r.html.assign(static_cast<size_t>(big), 'x');
        } else {
            r.html = "<!DOCTYPE html><html><body>" + req.url + " \xE2\x9C\x93 <b>&amp;</b></body></html>";
        }
        r.metrics.status_code = 200;
        r.metrics.final_url = req.url;
        r.metrics.lifecycle_events = {{"DOMContentLoaded", 0.25}, {"networkIdle", 1.5}};
        r.metrics.total_requests = 7;
        r.metrics.status_counts = {{"2xx", 7}};
        r.metrics.domain_stats = {{"example.com", DomainStats{7, 1000, 0, 1, 12.5}}};
        r.metrics.console_messages = {{"error", "", "", "boom"}};
        r.headers = {{"Content-Type", {"text/html"}}, {"Set-Cookie", {"a=1", "b=2"}}};
        PageSeo seo;
        seo.title = "Title";
        seo.index_status = 1;
        seo.h1s = {"Heading"};
        r.seo = seo;
        if (req.include_har) r.har_json = R"({"log":{"version":"1.2"}})";
        co_return r;
    }

    rt::Task<void> stop() override {
        ++stops;
        _ready = false;
        co_return;
    }

    EngineStats stats() const override {
        EngineStats s;
        s.pool_size = _pool;
        s.active = _active;
        s.available = _ready ? _pool - _active : 0;
        s.processes = _ready ? 1 : 0;
        s.renders_total = static_cast<uint64_t>(renders);
        return s;
    }

    int active() const noexcept { return _active; }

  private:
    int _pool;
    Counts* _report;
    int _active = 0;
    bool _ready = false;
};

}  // namespace ec::rs::test
