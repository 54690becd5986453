// The render service's HTTP API (reference F-RS-02/03; wire format in docs/render-protocol.md):
//
//   POST /render   JSON request -> framed HTML (200 octet-stream) or JSON (200 render failure, 400, 503, 504)
//   GET  /health   {"status":"ok","pool_size":N,"available_instances":N,"active_instances":N}
//                  (503 with "status":"draining" once shutdown began)
//   anything else  404 "Not Found" (405 for a wrong method on a known path)
//
// At most pool_size renders run at once; up to queue_size more wait (each at most max_timeout) and the rest
// are refused with 503 pool_unavailable (rs_queue_rejections_total). Every render is additionally bounded by
// max_timeout + 2 s here, in case the engine overran its own bound (then 504 hard_timeout).
//
// Core affinity: one reactor (the engine's). The engine, admission, metrics and logger outlive the API.
#pragma once

#include <cstdint>
#include <string>

#include "admission.h"
#include "render_types.h"
#include "runtime/cancel.h"
#include "runtime/http_server.h"
#include "runtime/log.h"
#include "service_metrics.h"

namespace ec::rs {

struct ApiOptions {
    int pool_size = 0;
    int64_t max_timeout_ms = 0;
};

class RenderApi final : public rt::HttpHandler {
  public:
    RenderApi(RenderEngine& engine, Admission& admission, ServiceMetrics& metrics, rt::log::Logger& log,
              ApiOptions opts);

    bool try_handle(rt::HttpRequest& req, rt::HttpResponse& res) override;
    rt::Task<void> handle(rt::HttpRequest& req, rt::HttpResponse& res) override;

    // Stops taking renders: new /render calls get 503 pool_unavailable, waiting ones are refused, /health
    // answers 503 "draining". Renders already running continue.
    void start_draining() noexcept;
    bool draining() const noexcept { return _draining; }
    // Cancels every running render (the drain bound has passed).
    void cancel_renders() noexcept { _shutdown.cancel(); }
    // Renders running or waiting for a slot.
    int in_flight() const noexcept { return _in_flight; }

  private:
    rt::Task<void> render(rt::HttpRequest& req, rt::HttpResponse& res);
    void answer_json(rt::HttpResponse& res, int status, std::string body);

    RenderEngine& _engine;
    Admission& _admission;
    ServiceMetrics& _metrics;
    rt::log::Logger& _log;
    ApiOptions _opts;
    bool _draining = false;
    rt::CancelSource _shutdown;      // cancelled at the drain bound
    rt::CancelSource _stop_waiting;  // cancelled when draining starts: queued renders give up
    int _in_flight = 0;
};

}  // namespace ec::rs
