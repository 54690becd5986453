#include "render_api.h"

#include <ctime>

#include "render_request_json.h"
#include "render_response.h"
#include "runtime/json_writer.h"
#include "runtime/reactor.h"

namespace ec::rs {
namespace {

int64_t unix_now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

constexpr std::string_view kJson = "application/json";

// A per-render cancellation source fired by any of: the connection going away at the server's drain bound,
// the service's shutdown source, or a safety deadline. Registered hooks are removed on destruction.
class RenderCancel {
  public:
    RenderCancel(rt::CancelToken conn, rt::CancelSource& shutdown, uint64_t deadline_ms)
        : _conn_hook(&RenderCancel::on_hook),
          _shutdown_hook(&RenderCancel::on_hook),
          _timer(&RenderCancel::on_timer) {
        _conn_hook.self = this;
        _shutdown_hook.self = this;
        _timer.self = this;
        if (conn.source() && !conn.source()->add(&_conn_hook)) _src.cancel();
        if (!shutdown.add(&_shutdown_hook)) _src.cancel();
        rt::Reactor::current().timers().schedule(_timer, deadline_ms);
    }
    ~RenderCancel() {
        rt::CancelSource::remove_if_registered(&_conn_hook);
        rt::CancelSource::remove_if_registered(&_shutdown_hook);
        if (_timer.armed()) rt::Reactor::current().timers().cancel(_timer);
    }
    RenderCancel(const RenderCancel&) = delete;
    RenderCancel& operator=(const RenderCancel&) = delete;

    rt::CancelSource& source() noexcept { return _src; }
    bool deadline_passed() const noexcept { return _expired; }

  private:
    struct Hook : rt::CancelCallback {
        using rt::CancelCallback::CancelCallback;
        RenderCancel* self = nullptr;
    };
    struct TimerNode : rt::Timer {
        using rt::Timer::Timer;
        RenderCancel* self = nullptr;
    };
    static void on_hook(rt::CancelCallback* cb) noexcept { static_cast<Hook*>(cb)->self->_src.cancel(); }
    static void on_timer(rt::Timer* t) noexcept {
        RenderCancel* self = static_cast<TimerNode*>(t)->self;
        self->_expired = true;
        self->_src.cancel();
    }

    rt::CancelSource _src;
    Hook _conn_hook;
    Hook _shutdown_hook;
    TimerNode _timer;
    bool _expired = false;
};

// Cancels `target` when `from` fires, for the lifetime of the object.
class CancelLink {
  public:
    CancelLink(rt::CancelToken from, rt::CancelSource& target) : _hook(&CancelLink::on), _target(target) {
        _hook.self = this;
        if (from.source() && !from.source()->add(&_hook)) target.cancel();
    }
    ~CancelLink() { rt::CancelSource::remove_if_registered(&_hook); }
    CancelLink(const CancelLink&) = delete;
    CancelLink& operator=(const CancelLink&) = delete;

  private:
    struct Hook : rt::CancelCallback {
        using rt::CancelCallback::CancelCallback;
        CancelLink* self = nullptr;
    };
    static void on(rt::CancelCallback* cb) noexcept { static_cast<Hook*>(cb)->self->_target.cancel(); }
    Hook _hook;
    rt::CancelSource& _target;
};

}  // namespace

RenderApi::RenderApi(RenderEngine& engine, Admission& admission, ServiceMetrics& metrics,
                     rt::log::Logger& log, ApiOptions opts)
    : _engine(engine), _admission(admission), _metrics(metrics), _log(log), _opts(opts) {}

void RenderApi::start_draining() noexcept {
    _draining = true;
    _stop_waiting.cancel();
}

void RenderApi::answer_json(rt::HttpResponse& res, int status, std::string body) {
    res.set_status(status);
    res.add_header("Content-Type", kJson);
    res.set_body(std::move(body));
}

bool RenderApi::try_handle(rt::HttpRequest& req, rt::HttpResponse& res) {
    std::string_view path = req.path();
    if (path == "/render") {
        if (req.method() == "POST") return false;
        res.set_status(405);
        res.add_header("Allow", "POST");
        res.add_header("Content-Type", "text/plain; charset=utf-8");
        res.set_body("Method Not Allowed");
        _metrics.http("render", 405);
        return true;
    }
    if (path == "/health") {
        if (!req.is_get_or_head()) {
            res.set_status(405);
            res.add_header("Allow", "GET, HEAD");
            res.add_header("Content-Type", "text/plain; charset=utf-8");
            res.set_body("Method Not Allowed");
            _metrics.http("health", 405);
            return true;
        }
        EngineStats s = _engine.stats();
        std::string body;
        rt::JsonWriter w(body);
        w.begin_object();
        w.key("status").value(_draining ? "draining" : "ok");
        w.key("pool_size").value(s.pool_size);
        w.key("available_instances").value(_draining ? 0 : s.available);
        w.key("active_instances").value(s.active);
        w.end_object();
        int status = _draining ? 503 : 200;
        answer_json(res, status, std::move(body));
        _metrics.http("health", status);
        return true;
    }
    res.set_status(404);
    res.add_header("Content-Type", "text/plain; charset=utf-8");
    res.set_body("Not Found");
    _metrics.http("other", 404);
    return true;
}

rt::Task<void> RenderApi::handle(rt::HttpRequest& req, rt::HttpResponse& res) {
    ++_in_flight;
    try {
        co_await render(req, res);
    } catch (const std::exception& e) {
        // Nothing a client sends may take the service down; an unexpected failure is a 503.
        _log.error("Render handler failed", {{"error", e.what()}});
        answer_json(
            res, 503,
            error_json({}, std::string("internal error: ") + e.what(), "pool_unavailable", unix_now_ns()));
        _metrics.http("render", 503);
    }
    --_in_flight;
}

rt::Task<void> RenderApi::render(rt::HttpRequest& http_req, rt::HttpResponse& res) {
    const int64_t ts = unix_now_ns();
    rt::Reactor& reactor = rt::Reactor::current();
    RenderRequest req;
    std::string why;
    RequestLimits limits{_opts.pool_size, _opts.max_timeout_ms * 1'000'000};
    if (!parse_render_request(http_req.body(), limits, req, why)) {
        _log.warn("Invalid render request", {{"request_id", req.request_id}, {"error", why}});
        _metrics.render_error("invalid_url");
        answer_json(res, 400, error_json(req.request_id, why, "invalid_url", ts));
        _metrics.http("render", 400);
        co_return;
    }
    auto refuse = [&](std::string_view error, std::string_view status_label) {
        _metrics.render_done(status_label, 0);
        _metrics.render_error("pool_unavailable");
        answer_json(res, 503, error_json(req.request_id, error, "pool_unavailable", ts));
        _metrics.http("render", 503);
    };
    if (_draining) {
        refuse("render service is shutting down", "unavailable");
        co_return;
    }

    // Wait for a slot (bounded by max_timeout; given up when the service starts draining or the
    // connection is torn down).
    const uint64_t start_ms = reactor.refresh_now();
    rt::CancelSource wait_cancel;
    Admission::Result admitted;
    {
        CancelLink by_conn(http_req.cancel_token(), wait_cancel);
        CancelLink by_drain(_stop_waiting, wait_cancel);
        admitted =
            co_await _admission.acquire(start_ms + static_cast<uint64_t>(_opts.max_timeout_ms), wait_cancel);
    }
    switch (admitted) {
        case Admission::Result::admitted:
            break;
        case Admission::Result::queue_full:
            _metrics.queue_rejected();
            _log.limited(rt::log::Level::warn, "queue_full", std::chrono::seconds(1),
                         "Render queue full, request refused",
                         {{"request_id", req.request_id},
                          {"capacity", _admission.capacity()},
                          {"queued", _admission.queued()}});
            refuse("all " + std::to_string(_admission.capacity()) + " render slots busy and " +
                       std::to_string(_admission.max_queue()) + " renders queued",
                   "unavailable");
            co_return;
        case Admission::Result::timed_out:
            _metrics.render_error("queue_timeout");
            refuse("no render slot became free within the maximum render time", "unavailable");
            co_return;
        case Admission::Result::cancelled:
            refuse("render service is shutting down", "unavailable");
            co_return;
    }

    RenderResult r;
    bool hard_timeout = false;
    {
        // The engine bounds a render by max_timeout (+1 s); this is the backstop.
        RenderCancel cancel(http_req.cancel_token(), _shutdown,
                            reactor.refresh_now() + static_cast<uint64_t>(_opts.max_timeout_ms) + 2000);
        try {
            r = co_await _engine.render(req, cancel.source());
        } catch (const std::exception& e) {
            r = RenderResult{};
            r.success = false;
            r.service_status = 503;
            r.error_type = "chrome_crash";
            r.error = std::string("render engine error: ") + e.what();
        }
        hard_timeout = cancel.deadline_passed();
    }
    _admission.release();
    const double seconds = static_cast<double>(reactor.refresh_now() - start_ms) / 1000.0;

    if (hard_timeout && !r.success) {
        r.service_status = 504;
        r.error_type = "hard_timeout";
        if (r.error.empty()) r.error = "render exceeded max_timeout";
    }
    if (r.success && r.html.size() > kMaxHtmlBytes) {
        r.success = false;
        r.error_type = "response_too_large";
        r.error = "rendered HTML is " + std::to_string(r.html.size()) + " bytes (limit 20971520)";
        r.metrics.status_code = 413;
        r.html.clear();
        r.service_status = 200;
    }
    if (r.service_status != 503 && r.service_status != 504) r.service_status = 200;

    std::string_view status = r.success                 ? "success"
                              : r.service_status == 504 ? "hard_timeout"
                              : r.service_status == 503 ? "unavailable"
                                                        : "failed";
    _metrics.render_done(status, seconds);
    if (!r.success && !r.error_type.empty()) _metrics.render_error(r.error_type);

    if (r.success) {
        _log.info("Render completed", {{"request_id", req.request_id},
                                       {"url", req.url},
                                       {"status_code", r.metrics.status_code},
                                       {"html_size", r.html.size()},
                                       {"render_ms", static_cast<int64_t>(r.render_time_ns / 1'000'000)},
                                       {"chrome_id", r.chrome_id},
                                       {"timed_out", r.metrics.timed_out}});
        res.set_status(200);
        res.add_header("Content-Type", "application/octet-stream");
        res.set_body(frame_success(r, req, ts));
        _metrics.http("render", 200);
        co_return;
    }
    _log.warn("Render failed", {{"request_id", req.request_id},
                                {"url", req.url},
                                {"error_type", r.error_type},
                                {"error", r.error},
                                {"http_status", r.service_status},
                                {"chrome_id", r.chrome_id}});
    std::string body;
    write_result_metadata(body, r, req, ts);
    answer_json(res, r.service_status, std::move(body));
    _metrics.http("render", r.service_status);
}

}  // namespace ec::rs
