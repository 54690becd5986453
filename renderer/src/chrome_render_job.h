// RenderJob: the render procedure (F-RS-08 … F-RS-18) for one request on one browser.
//
//   1. Target.createBrowserContext → createTarget(about:blank) → attachToTarget (flat):
//      three dependent round trips, then this job is the session's event sink. With a
//      spare page (chrome_spares.h) all of that and the base set-up are done already.
//   2. Set-up in ONE write, the replies awaited together (the renderer applies them;
//      navigating earlier races the first sub-requests), then Page.navigate: Page and
//      lifecycle events, Network (no body buffering), Runtime (console, exceptions),
//      X-Edge-Render via setExtraHTTPHeaders, setBlockedURLs, Fetch.enable only with the
//      patterns that need it (anchored/regex URL patterns, resource types, the target's
//      origin when client headers are injected), worker auto-attach (they get the same rules),
//      no service workers, user agent, viewport (mobile < 768 px).
//      Listeners exist before the navigation starts: no early event can be missed.
//   3. Wait for `wait_for` on the main frame's current loader (follows JS navigations;
//      networkIdle/networkAlmostIdle also from our own detector, chrome_idle.h),
//      a main-document HTTP redirect (→ 3xx result at once), a crash, the soft timeout
//      (→ capture anyway, timed_out) or the hard deadline (→ 504).
//   4. extra_wait (skipped after a soft timeout; cancellable).
//   5. Capture: one Runtime.evaluate of chrome_page_script. If the page's own JS holds
//      the renderer (while(true)), Runtime.terminateExecution interrupts it after
//      1.5 s and the capture runs.
//   6. Status (network event → navigation entry → prerender-status-code meta), headers,
//      SEO, 20 MiB limit, metrics.
//
// The browser context is disposed by the engine afterwards (context_id()), so the reply
// does not wait for Chromium's teardown.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cdp_client.h"
#include "chrome_blocklist.h"
#include "chrome_har.h"
#include "chrome_idle.h"
#include "chrome_log.h"
#include "chrome_network_tracker.h"
#include "chrome_process.h"
#include "chrome_signal.h"
#include "chrome_spares.h"
#include "engine_options.h"
#include "render_types.h"
#include "runtime/cancel.h"
#include "runtime/task.h"

namespace ec::rs {

// F-RS-17 error types used by the engine.
namespace error_type {
inline constexpr const char* kHardTimeout = "hard_timeout";
inline constexpr const char* kChromeCrash = "chrome_crash";
inline constexpr const char* kChromeRestartFailed = "chrome_restart_failed";
inline constexpr const char* kPoolUnavailable = "pool_unavailable";
inline constexpr const char* kSoftTimeout = "soft_timeout";
inline constexpr const char* kNavigationFailed = "navigation_failed";
inline constexpr const char* kNetworkError = "network_error";
inline constexpr const char* kHtmlExtractionFailed = "html_extraction_failed";
inline constexpr const char* kStatusCaptureFailed = "status_capture_failed";
inline constexpr const char* kInvalidUrl = "invalid_url";
inline constexpr const char* kResponseTooLarge = "response_too_large";
}  // namespace error_type

// index_status of F-RS-13 from the captured facts.
int compute_index_status(int status, std::string_view robots, std::string_view googlebot,
                         std::string_view canonical, std::string_view final_url);

// Splits Chromium's header object (multi-value headers joined with '\n') into a list.
HeaderList split_headers(JsonView headers);

class RenderJob final : public CdpEventSink {
  public:
    RenderJob(ChromeProcess& proc, const RenderRequest& req, std::shared_ptr<const Blocklist> blocklist,
              const EngineOptions& opts, const EngineLog& log, uint64_t start_ms, uint64_t hard_deadline_ms,
              rt::CancelToken cancel, const PreparedPage* prepared = nullptr);
    ~RenderJob() override;
    RenderJob(const RenderJob&) = delete;
    RenderJob& operator=(const RenderJob&) = delete;

    rt::Task<RenderResult> run();

    // The browser context to dispose ("" when none was created).
    const std::string& context_id() const noexcept { return _context_id; }
    // A browser-level command (not the page's) went unanswered: the browser is suspect.
    bool browser_unresponsive() const noexcept { return _browser_unresponsive; }

    void on_cdp_event(std::string_view session, std::string_view method, JsonView params) override;
    void on_cdp_detached(std::string_view session, std::string_view why) override;

  private:
    enum class Stop : uint8_t { none, crash, renderer_crash, redirect, hard, cancelled };

    enum class SetUp : uint8_t { ok, failed, spare_lost };

    rt::Task<RenderResult> run_procedure();
    // Steps 1–2: the page (spare or new), its session and set-up. On `failed`, `r` holds
    // the failure; `spare_lost`: the spare page was dead, abandon_spare() and retry.
    rt::Task<SetUp> set_up_page(RenderResult& r);
    void abandon_spare();
    // A page-creation command failed: the stop reason, a crash, or navigation_failed.
    void browser_call_failed(RenderResult& r, const CdpResult& res, std::string_view what);
    rt::Task<bool> browser_call(CdpResult& out, std::string_view method, std::string params);
    Stop stop_reason() const noexcept;
    void finish_failure(RenderResult& r, Stop s);
    RenderResult fail(std::string_view type, std::string message, int service_status = 200);
    void on_request_paused(std::string_view session, JsonView p);
    void on_attached(JsonView p);
    void on_lifecycle(JsonView p);
    void on_console(JsonView p);
    void on_exception(JsonView p);
    void add_console(std::string_view type, std::string_view url, int64_t line, int64_t col, std::string msg);
    // True once `wait_for` was reached on the current loader: Chrome's lifecycle event, or
    // for networkIdle/networkAlmostIdle the detector's window (recorded as that event).
    bool reached_wait_event();
    // The render passed its start (set-up, navigation, DOMContentLoaded): the engine's
    // housekeeping on this browser may run (ChromeProcess::starting).
    void end_start_phase() noexcept;
    // When the detector's window for `wait_for` completes (0 when it cannot tell yet).
    uint64_t idle_due() const noexcept;
    void fill_metrics(RenderResult& r);
    HeaderList raw_headers_for(int status, HeaderList fallback);

    ChromeProcess& _proc;
    CdpClient& _cdp;
    const RenderRequest& _req;
    std::shared_ptr<const Blocklist> _bl;
    const EngineOptions& _opts;
    const EngineLog& _log;
    uint64_t _start_ms, _hard_ms;
    rt::CancelToken _cancel;
    Signal _sig;
    simdjson::dom::parser _parser;

    UrlOrigin _origin;
    std::string _wait_for;
    std::optional<PreparedPage> _prepared;
    std::string _context_id, _target_id, _session;
    bool _sink_added = false;
    bool _start_phase = true;
    bool _browser_unresponsive = false;
    std::string _fetch_patterns_json;    // Fetch.enable patterns ("" = no interception)
    std::vector<std::string> _children;  // auto-attached worker sessions
    std::vector<std::pair<std::string, std::string>> _inject;

    // Navigation state (filled by events).
    std::string _nav_request;           // requestId (== loaderId) of the main document
    std::vector<std::string> _loaders;  // main-frame loaders followed (navigation, then JS navigations)
    struct Lifecycle {
        std::string loader, name;
        uint64_t at_ms;
    };
    std::vector<Lifecycle> _lifecycle;
    bool _committed = false;
    int _main_status = 0;
    HeaderList _main_headers;
    std::vector<std::pair<int, HeaderList>> _raw_headers;  // responseReceivedExtraInfo: status, headers
    bool _redirected = false;
    int _redirect_status = 0;
    std::string _redirect_url;
    HeaderList _redirect_headers;
    bool _detached = false, _renderer_crashed = false;
    std::string _detach_reason;
    std::string _main_error;  // loadingFailed errorText of the main document

    NetworkTracker _net;
    NetworkIdleDetector _idle;
    std::unique_ptr<HarRecorder> _har;  // only with include_har
    std::vector<ConsoleMessage> _console;
    size_t _console_bytes = 0;
    std::vector<std::unique_ptr<CdpCall>> _setup;
};

}  // namespace ec::rs
