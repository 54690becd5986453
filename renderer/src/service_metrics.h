// The render service's Prometheus metrics (reference F-OPS-04, subsystem rs), on one registry:
//
//   rs_chrome_pool_size                      gauge      render capacity (chrome.pool_size)
//   rs_chrome_available                      gauge      free render slots reported by the engine
//   rs_renders_total{status}                 counter    success | failed | hard_timeout | unavailable
//   rs_render_duration_seconds               histogram  0.1 s x 2^n, 10 buckets
//   rs_queue_depth                           gauge      renders waiting for a slot
//   rs_queue_rejections_total                counter    renders refused because the queue was full
//   rs_http_requests_total{endpoint,status}  counter    endpoint: render | health | other
//   rs_errors_total{type}                    counter    error_type of failed renders, plus "registry"
//                                                       (heartbeat failures) and "queue_timeout"
// plus the process_* metrics. With metrics.namespace set, every rs_* name gets "<namespace>_" in front.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "render_types.h"
#include "runtime/metrics.h"

namespace ec::rs {

class ServiceMetrics {
  public:
    // `stats` is read at scrape time (engine pool size / availability).
    ServiceMetrics(const std::string& name_space, std::function<EngineStats()> stats,
                   std::function<int()> queue_depth);

    void render_done(std::string_view status, double seconds);
    void render_error(std::string_view error_type) { _errors.with({error_type}).inc(); }
    void queue_rejected() { _rejections.get().inc(); }
    void http(std::string_view endpoint, int status);

    rt::metrics::Registry& registry() noexcept { return _reg; }
    const rt::metrics::Registry& registry() const noexcept { return _reg; }

  private:
    rt::metrics::Registry _reg;
    rt::metrics::Family<rt::metrics::Counter>& _renders;
    rt::metrics::Family<rt::metrics::Histogram>& _duration;
    rt::metrics::Family<rt::metrics::Counter>& _rejections;
    rt::metrics::Family<rt::metrics::Counter>& _http;
    rt::metrics::Family<rt::metrics::Counter>& _errors;
};

}  // namespace ec::rs
