#include "service_metrics.h"

#include <cstdio>
#include <utility>

namespace ec::rs {

ServiceMetrics::ServiceMetrics(const std::string& name_space, std::function<EngineStats()> stats,
                               std::function<int()> queue_depth)
    : _reg(name_space),
      _renders(_reg.counter("rs_renders_total", "Renders by outcome.", {"status"})),
      _duration(_reg.histogram("rs_render_duration_seconds", "Time from admission to the render's answer.",
                               rt::metrics::exponential_buckets(0.1, 2, 10))),
      _rejections(
          _reg.counter("rs_queue_rejections_total", "Renders refused because the wait queue was full.")),
      _http(_reg.counter("rs_http_requests_total", "HTTP requests by endpoint and status.",
                         {"endpoint", "status"})),
      _errors(_reg.counter("rs_errors_total", "Errors by type.", {"type"})) {
    _reg.gauge_fn("rs_chrome_pool_size", "Render capacity (concurrent renders).",
                  [stats] { return static_cast<double>(stats().pool_size); });
    _reg.gauge_fn("rs_chrome_available", "Free render slots.",
                  [stats = std::move(stats)] { return static_cast<double>(stats().available); });
    _reg.gauge_fn("rs_queue_depth", "Renders waiting for a free slot.",
                  [queue_depth = std::move(queue_depth)] { return static_cast<double>(queue_depth()); });
    _reg.add_process_metrics();
}

void ServiceMetrics::render_done(std::string_view status, double seconds) {
    _renders.with({status}).inc();
    _duration.get().observe(seconds);
}

void ServiceMetrics::http(std::string_view endpoint, int status) {
    char buf[8];
    int n = std::snprintf(buf, sizeof buf, "%d", status);
    _http.with({endpoint, std::string_view(buf, static_cast<size_t>(n))}).inc();
}

}  // namespace ec::rs
