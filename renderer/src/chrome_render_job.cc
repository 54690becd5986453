#include "chrome_render_job.h"

#include <algorithm>
#include <cstdlib>

#include "chrome_page_script.h"

namespace ec::rs {

namespace {

constexpr size_t kConsoleCap = size_t{5} << 10;      // F-RS-14: 5 KiB of message text
constexpr uint64_t kCaptureStallMs = 1500;           // then interrupt the page's own JS
constexpr int64_t kCaptureScriptTimeoutMs = 10'000;  // bound on our own script
constexpr uint64_t kBrowserSilenceMs = 5000;         // unanswered browser command: suspect
constexpr uint64_t kPageSetupMs = 8000;              // a new page's set-up normally takes ms

char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
bool iequal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}
std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

// Canonical lifecycle names (case-insensitive input); "" for an unknown name.
std::string canonical_wait_for(std::string_view w) {
    for (std::string_view n : {"DOMContentLoaded", "load", "networkIdle", "networkAlmostIdle"})
        if (iequal(w, n)) return std::string(n);
    return {};
}

// Tokens of a robots meta ("noindex, nofollow") that block indexing.
bool robots_blocks(std::string_view content) {
    size_t i = 0;
    while (i < content.size()) {
        size_t j = content.find_first_of(", ", i);
        if (j == std::string_view::npos) j = content.size();
        std::string_view tok = content.substr(i, j - i);
        if (iequal(tok, "noindex") || iequal(tok, "none")) return true;
        i = j + 1;
    }
    return false;
}

std::string_view strip_fragment(std::string_view u) {
    return u.substr(0, u.find('#'));
}

// Headers a client may never have injected (F-GW-24), re-checked here, plus User-Agent:
// the dimension's render UA stays in charge of every request.
bool never_inject(std::string_view name) {
    for (std::string_view n : {"host", "content-length", "transfer-encoding", "connection", "upgrade",
                               "keep-alive", "te", "trailer", "user-agent"})
        if (iequal(name, n)) return true;
    return name.size() >= 6 && iequal(name.substr(0, 6), "proxy-");
}

}  // namespace

int compute_index_status(int status, std::string_view robots, std::string_view googlebot,
                         std::string_view canonical, std::string_view final_url) {
    if (status != 200) return 2;
    if (robots_blocks(!trim(googlebot).empty() ? googlebot : robots)) return 3;
    if (!canonical.empty() && strip_fragment(canonical) != strip_fragment(final_url)) return 4;
    return 1;
}

HeaderList split_headers(JsonView headers) {
    HeaderList out;
    headers.each_field([&](std::string_view name, JsonView v) {
        std::vector<std::string> values;
        std::string_view s = v.str();
        size_t i = 0;
        while (true) {
            size_t j = s.find('\n', i);
            values.emplace_back(s.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
            if (j == std::string_view::npos) break;
            i = j + 1;
        }
        out.emplace_back(std::string(name), std::move(values));
    });
    return out;
}

RenderJob::RenderJob(ChromeProcess& proc, const RenderRequest& req,
                     std::shared_ptr<const Blocklist> blocklist, const EngineOptions& opts,
                     const EngineLog& log, uint64_t start_ms, uint64_t hard_deadline_ms,
                     rt::CancelToken cancel, const PreparedPage* prepared)
    : _proc(proc),
      _cdp(proc.cdp()),
      _req(req),
      _bl(std::move(blocklist)),
      _opts(opts),
      _log(log),
      _start_ms(start_ms),
      _hard_ms(hard_deadline_ms),
      _cancel(cancel),
      _origin(parse_origin(req.url)),
      _net(_origin.host, start_ms) {
    ++_proc.starting;
    if (prepared) _prepared = *prepared;
    if (req.include_har) _har = std::make_unique<HarRecorder>();
    _wait_for = canonical_wait_for(req.wait_for);
    if (_wait_for.empty()) _wait_for = "networkIdle";
    for (const auto& [name, values] : req.headers) {
        if (values.empty() || never_inject(name)) continue;
        std::string joined;
        const char* sep = iequal(name, "cookie") ? "; " : ", ";
        for (size_t i = 0; i < values.size(); ++i) {
            if (i) joined += sep;
            joined += values[i];
        }
        _inject.emplace_back(name, std::move(joined));
    }
}

RenderJob::~RenderJob() {
    end_start_phase();
    if (_sink_added) _cdp.remove_sink(_session);
    for (const auto& child : _children)
        _cdp.remove_sink(child);
}

RenderResult RenderJob::fail(std::string_view type, std::string message, int service_status) {
    RenderResult r;
    r.success = false;
    r.error_type = std::string(type);
    r.error = std::move(message);
    r.service_status = service_status;
    r.chrome_id = _proc.id();
    fill_metrics(r);
    return r;
}

RenderJob::Stop RenderJob::stop_reason() const noexcept {
    // The browser gone (pipe closed) is the service's problem; only the page gone is the page's.
    if (_detached && !_cdp.is_open()) return Stop::crash;
    if (_renderer_crashed || _detached) return Stop::renderer_crash;
    if (_redirected) return Stop::redirect;
    if (_cancel.cancelled()) return Stop::cancelled;
    if (now_ms() >= _hard_ms) return Stop::hard;
    return Stop::none;
}

void RenderJob::finish_failure(RenderResult& r, Stop s) {
    switch (s) {
        case Stop::crash:
            r = fail(error_type::kChromeCrash,
                     "Chromium went away during the render: " +
                         (_detach_reason.empty() ? _cdp.close_reason() : _detach_reason),
                     503);
            break;
        case Stop::renderer_crash:
            r = fail(error_type::kChromeCrash,
                     _renderer_crashed ? std::string("the page's renderer process crashed")
                                       : "the page went away during the render: " + _detach_reason,
                     200);
            break;
        case Stop::cancelled:
            r = fail(error_type::kPoolUnavailable, "render cancelled: the service is shutting down", 503);
            break;
        case Stop::hard:
            r = fail(error_type::kHardTimeout,
                     "render exceeded max_timeout (" + std::to_string(_opts.max_timeout_ms) + " ms)", 504);
            break;
        case Stop::redirect:
        case Stop::none:
            break;
    }
}

// A command to the browser itself: bounded by the hard deadline and watched for crashes.
rt::Task<bool> RenderJob::browser_call(CdpResult& out, std::string_view method, std::string params) {
    const uint64_t sent = now_ms();
    CdpCall c(_cdp, method, params, {}, &_sig);
    while (!c.done() && stop_reason() == Stop::none)
        co_await _sig.wait_until(_hard_ms, _cancel);
    out = c.take();
    // Only a long silence says something about the browser (not a render that simply
    // ran out of time while queued).
    if (out.status == CdpStatus::timeout && !_cancel.cancelled() && now_ms() - sent >= kBrowserSilenceMs)
        _browser_unresponsive = true;
    co_return out.ok();
}

rt::Task<RenderResult> RenderJob::run() {
    RenderResult r = co_await run_procedure();
    if (_har) {
        HarRecorder::Context c;
        c.req = &_req;
        c.result = &r;
        c.browser_version = _proc.version();
        c.service_id = _opts.server_id;
        c.duration_s = static_cast<double>(now_ms() - _start_ms) / 1000.0;
        r.har_json = _har->to_json(c);
    }
    co_return r;
}

rt::Task<RenderJob::SetUp> RenderJob::set_up_page(RenderResult& r) {
    // 1. Context, page, flat session (a spare page has them already).
    CdpResult res;
    if (_prepared) {
        _context_id = _prepared->context_id;
        _target_id = _prepared->target_id;
        _session = _prepared->session;
    } else {
        if (!co_await browser_call(res, "Target.createBrowserContext", "{\"disposeOnDetach\":true}")) {
            browser_call_failed(r, res, "Target.createBrowserContext");
            co_return SetUp::failed;
        }
        _context_id = std::string(res.result(_parser)["browserContextId"].str());
        if (!co_await browser_call(
                res, "Target.createTarget",
                JsonObject().str("url", "about:blank").str("browserContextId", _context_id).take())) {
            browser_call_failed(r, res, "Target.createTarget");
            co_return SetUp::failed;
        }
        _target_id = std::string(res.result(_parser)["targetId"].str());
        if (!co_await browser_call(
                res, "Target.attachToTarget",
                JsonObject().str("targetId", _target_id).boolean("flatten", true).take())) {
            browser_call_failed(r, res, "Target.attachToTarget");
            co_return SetUp::failed;
        }
        _session = std::string(res.result(_parser)["sessionId"].str());
    }
    _cdp.add_sink(_session, this);
    _sink_added = true;

    // 2. Set-up in one batch, replies awaited together, then the navigation.
    auto setup = [&](std::string_view method, const std::string& params) {
        _setup.push_back(std::make_unique<CdpCall>(_cdp, method, params, _session, &_sig));
    };
    if (!_prepared)
        for (const auto& [method, params] : base_page_setup(_opts))
            setup(method, params);
    setup("Network.setBlockedURLs", JsonObject().raw("urls", _bl->blocked_urls_json()).take());
    std::vector<std::string> patterns = _bl->fetch_patterns();
    if (!_inject.empty() && !_bl->intercepts_everything())
        patterns.push_back(fetch_pattern_for_origin(_origin.to_string()));
    if (!patterns.empty()) {
        _fetch_patterns_json = "[";
        for (size_t i = 0; i < patterns.size(); ++i) {
            if (i) _fetch_patterns_json.push_back(',');
            _fetch_patterns_json += patterns[i];
        }
        _fetch_patterns_json.push_back(']');
        setup("Fetch.enable", JsonObject().raw("patterns", _fetch_patterns_json).take());
    }
    if (!_req.user_agent.empty())
        setup("Emulation.setUserAgentOverride", JsonObject().str("userAgent", _req.user_agent).take());
    const int width = _req.viewport_width > 0 ? _req.viewport_width : 1920;
    const int height = _req.viewport_height > 0 ? _req.viewport_height : 1080;
    setup("Emulation.setDeviceMetricsOverride", JsonObject()
                                                    .num("width", width)
                                                    .num("height", height)
                                                    .num("deviceScaleFactor", 1)
                                                    .boolean("mobile", width < 768)
                                                    .take());
    // The set-up is applied by the page's renderer while Page.navigate is handled by the
    // browser at once: navigating before the replies are in lets the first sub-requests
    // go out without the extra header and the blocklist (seen here). One round trip.
    // A fresh page that cannot even enable its domains has no renderer: Chromium lost its
    // zygote (seen after a kill) and would hang every render; the engine replaces it.
    const uint64_t setup_deadline = std::min(now_ms() + kPageSetupMs, _hard_ms);
    for (;;) {
        if (std::ranges::all_of(_setup, [](const auto& c) { return c->done(); })) break;
        if (Stop s = stop_reason(); s != Stop::none) {
            if (s == Stop::renderer_crash && _prepared) co_return SetUp::spare_lost;
            finish_failure(r, s == Stop::redirect ? Stop::crash : s);
            co_return SetUp::failed;
        }
        if (now_ms() >= setup_deadline) {
            _browser_unresponsive = true;
            r = fail(error_type::kChromeCrash,
                     "Chromium did not set up a page within " + std::to_string(kPageSetupMs) +
                         " ms (no renderer process); the browser is replaced",
                     503);
            co_return SetUp::failed;
        }
        co_await _sig.wait_until(setup_deadline, _cancel);
    }
    for (const auto& c : _setup) {
        if (c->result().status == CdpStatus::closed) {
            finish_failure(r, Stop::crash);
            co_return SetUp::failed;
        }
        if (!c->ok() && _prepared) co_return SetUp::spare_lost;  // e.g. "Session ... not found"
        if (!c->ok())
            _log.warn("render set-up command failed",
                      {{"chrome_id", _proc.id()}, {"url", _req.url}, {"error", c->result().message}});
    }
    co_return SetUp::ok;
}

void RenderJob::browser_call_failed(RenderResult& r, const CdpResult& res, std::string_view what) {
    if (Stop s = stop_reason(); s != Stop::none)
        finish_failure(r, s);
    else if (res.status == CdpStatus::closed)
        finish_failure(r, Stop::crash);
    else
        r = fail(error_type::kNavigationFailed, std::string(what) + ": " + res.message, 503);
}

void RenderJob::abandon_spare() {
    if (_sink_added) _cdp.remove_sink(_session);
    _sink_added = false;
    if (!_context_id.empty())
        _cdp.send("Target.disposeBrowserContext", JsonObject().str("browserContextId", _context_id).take());
    _setup.clear();
    _prepared.reset();
    _context_id.clear();
    _target_id.clear();
    _session.clear();
    _fetch_patterns_json.clear();
    _renderer_crashed = _detached = false;
    _detach_reason.clear();
}

rt::Task<RenderResult> RenderJob::run_procedure() {
    RenderResult r;
    if (!_origin.valid() || (_origin.scheme != "http" && _origin.scheme != "https")) {
        co_return fail(error_type::kInvalidUrl, "not an absolute http(s) URL: " + _req.url);
    }

    // 1.–2. A page ready for the navigation. A spare page that died before it was used
    // (its renderer killed while it waited) is replaced by a fresh one, once.
    SetUp st = co_await set_up_page(r);
    if (st == SetUp::spare_lost) {
        abandon_spare();
        st = co_await set_up_page(r);
    }
    if (st != SetUp::ok) co_return r;
    const uint64_t nav_sent = now_ms();
    CdpCall nav(_cdp, "Page.navigate", JsonObject().str("url", _req.url).take(), _session, &_sig);

    // 3. Wait for the lifecycle event, a redirect, a crash or a timeout.
    // No (or a non-positive) soft timeout: max_timeout bounds the wait alone.
    const int64_t timeout_ms = _req.timeout_ns > 0 ? _req.timeout_ns / 1'000'000 : _opts.max_timeout_ms;
    const uint64_t soft_ms =
        std::min(nav_sent + static_cast<uint64_t>(std::min(timeout_ms, _opts.max_timeout_ms)), _hard_ms);
    bool timed_out = false;
    bool nav_checked = false;
    for (;;) {
        Stop s = stop_reason();
        if (s == Stop::redirect) break;
        if (s != Stop::none) {
            finish_failure(r, s);
            co_return r;
        }
        if (nav.done() && !nav_checked) {
            nav_checked = true;
            if (nav.result().status == CdpStatus::closed) {
                finish_failure(r, Stop::crash);
                co_return r;
            }
            if (!nav.ok()) {
                r = fail(error_type::kNavigationFailed, "Page.navigate: " + nav.result().message);
                co_return r;
            }
            JsonView nr = nav.result().result(_parser);
            if (std::string_view err = nr["errorText"].str(); !err.empty()) {
                if (_redirected) break;  // the navigation was cut short after its redirect
                const bool net = err.starts_with("net::") && err != "net::ERR_ABORTED" &&
                                 err != "net::ERR_BLOCKED_BY_CLIENT" && err != "net::ERR_BLOCKED_BY_RESPONSE";
                r = fail(net ? error_type::kNetworkError : error_type::kNavigationFailed,
                         std::string(err) + " while loading " + _req.url);
                co_return r;
            }
            if (std::string_view loader = nr["loaderId"].str(); !loader.empty()) {
                if (_loaders.empty()) _loaders.emplace_back(loader);
            }
            if (nr["isDownload"].boolean()) {
                r = fail(error_type::kNavigationFailed, "the URL is a download, not a page: " + _req.url);
                co_return r;
            }
        }
        if (nav_checked && reached_wait_event()) break;
        if (now_ms() >= soft_ms) {
            timed_out = true;
            break;
        }
        const uint64_t idle = nav_checked ? idle_due() : 0;
        co_await _sig.wait_until(idle != 0 ? std::min(idle, soft_ms) : soft_ms, _cancel);
    }

    end_start_phase();
    if (_redirected) {
        // F-RS-11: the main document answered 3xx: success, no HTML, the target as final_url.
        r.success = true;
        r.chrome_id = _proc.id();
        r.headers = raw_headers_for(_redirect_status, std::move(_redirect_headers));
        fill_metrics(r);
        r.metrics.status_code = _redirect_status;
        r.metrics.final_url = _redirect_url;
        co_return r;
    }
    if (timed_out && !_committed) {
        r = fail(error_type::kSoftTimeout, "no response for " + _req.url + " within the timeout (" +
                                               std::to_string(timeout_ms) + " ms)");
        r.metrics.timed_out = true;
        co_return r;
    }

    // 4. extra_wait (not after a soft timeout).
    if (!timed_out && _req.extra_wait_ns > 0) {
        const uint64_t until =
            std::min(now_ms() + static_cast<uint64_t>(_req.extra_wait_ns / 1'000'000), _hard_ms);
        while (now_ms() < until) {
            Stop s = stop_reason();
            if (s == Stop::redirect) break;
            if (s != Stop::none) {
                finish_failure(r, s);
                co_return r;
            }
            co_await _sig.wait_until(until, _cancel);
        }
    }

    // 5. Capture, one evaluation.
    const std::string expr = page_capture_expression(_req.strip_scripts);
    const std::string eval_params = JsonObject()
                                        .str("expression", expr)
                                        .boolean("returnByValue", true)
                                        .boolean("silent", true)
                                        .num("timeout", kCaptureScriptTimeoutMs)
                                        .take();
    JsonView value;
    std::string capture_error;
    for (int attempt = 0; attempt < 2 && !value.valid(); ++attempt) {
        CdpCall cap(_cdp, "Runtime.evaluate", eval_params, _session, &_sig);
        const uint64_t stall = attempt == 0 ? std::min(now_ms() + kCaptureStallMs, _hard_ms) : _hard_ms;
        bool interrupted = false;
        while (!cap.done()) {
            Stop s = stop_reason();
            if (s != Stop::none && s != Stop::redirect) {
                finish_failure(r, s);
                co_return r;
            }
            if (!interrupted && now_ms() >= stall) {
                // The renderer is busy with the page's own JS: stop it so ours can run.
                _cdp.send("Runtime.terminateExecution", "{}", _session);
                interrupted = true;
            }
            co_await _sig.wait_until(interrupted ? _hard_ms : stall, _cancel);
        }
        if (cap.result().status == CdpStatus::closed) {
            finish_failure(r, Stop::crash);
            co_return r;
        }
        if (!cap.ok()) {
            capture_error = cap.result().message;
            continue;
        }
        // The reply is kept in `cap`; copy what we need before it goes out of scope.
        JsonView er = cap.result().result(_parser);
        if (er["exceptionDetails"].valid()) {
            capture_error = std::string(er["exceptionDetails"]["exception"]["description"].str(
                er["exceptionDetails"]["text"].str("the capture script threw")));
            continue;
        }
        value = er["result"]["value"];
        if (!value.is_object()) {
            capture_error = "the capture script returned no object";
            value = {};
            continue;
        }
        // 6. Assemble the result from the capture (inside the scope that owns the reply).
        const int meta_status = std::atoi(std::string(value["status_meta"].str()).c_str());
        int status = _main_status;
        if (status == 0) status = static_cast<int>(value["nav_status"].i64());
        r.chrome_id = _proc.id();
        r.headers = raw_headers_for(_main_status, std::move(_main_headers));
        fill_metrics(r);
        r.metrics.timed_out = timed_out;
        r.metrics.final_url = std::string(value["url"].str(_req.url));

        // DECISIONS A-20: <meta name="prerender-status-code"> and prerender-header.
        std::string meta_location;
        if (meta_status >= 100 && meta_status <= 599) {
            value["header_metas"].each([&](JsonView h) {
                std::string_view line = h.str();
                const size_t colon = line.find(':');
                if (colon == std::string_view::npos) return;
                std::string name(trim(line.substr(0, colon)));
                std::string val(trim(line.substr(colon + 1)));
                if (name.empty()) return;
                if (iequal(name, "location")) meta_location = val;
                auto it =
                    std::ranges::find_if(r.headers, [&](const auto& kv) { return iequal(kv.first, name); });
                if (it != r.headers.end()) {
                    it->second = {val};
                } else {
                    r.headers.emplace_back(name, std::vector<std::string>{val});
                }
            });
            if (meta_status >= 300 && meta_status < 400) {
                if (!meta_location.empty()) {
                    r.success = true;
                    r.metrics.status_code = meta_status;
                    // Resolve a relative Location against the page.
                    if (meta_location.find("://") == std::string::npos) {
                        UrlOrigin o = parse_origin(r.metrics.final_url);
                        meta_location =
                            o.to_string() + (meta_location.starts_with("/") ? "" : "/") + meta_location;
                    }
                    r.metrics.final_url = meta_location;
                    co_return r;
                }
                // A 3xx without a Location cannot be served as a redirect: ignore the tag.
            } else {
                status = meta_status;
            }
        }
        if (status == 0) {
            r = fail(error_type::kStatusCaptureFailed, "no HTTP status was captured for " + _req.url);
            r.metrics.timed_out = timed_out;
            co_return r;
        }
        r.metrics.status_code = status;

        if (value["too_large"].boolean()) {
            r = fail(error_type::kResponseTooLarge,
                     "rendered HTML is " + std::to_string(value["html_length"].i64()) +
                         " characters, over the " + std::to_string(kMaxHtmlBytes) + " byte limit");
            r.metrics.status_code = 413;
            co_return r;
        }
        std::string_view html = value["html"].str();
        if (html.size() > kMaxHtmlBytes) {
            r = fail(error_type::kResponseTooLarge, "rendered HTML is " + std::to_string(html.size()) +
                                                        " bytes, over the " + std::to_string(kMaxHtmlBytes) +
                                                        " byte limit");
            r.metrics.status_code = 413;
            co_return r;
        }
        r.html.assign(html);

        PageSeo seo;
        JsonView s = value["seo"];
        seo.title = std::string(s["title"].str());
        seo.meta_description = std::string(s["description"].str());
        seo.canonical_url = std::string(s["canonical"].str());
        seo.meta_robots = std::string(s["robots"].str());
        auto list = [](JsonView v, std::vector<std::string>& out) {
            v.each([&](JsonView x) { out.emplace_back(x.str()); });
        };
        list(s["h1"], seo.h1s);
        list(s["h2"], seo.h2s);
        list(s["h3"], seo.h3s);
        list(s["ld_types"], seo.structured_data_types);
        s["hreflang"].each([&](JsonView pair) {
            HreflangEntry e;
            int i = 0;
            pair.each([&](JsonView x) { (i++ == 0 ? e.lang : e.url) = std::string(x.str()); });
            seo.hreflang.push_back(std::move(e));
        });
        seo.index_status = compute_index_status(status, seo.meta_robots, s["googlebot"].str(),
                                                seo.canonical_url, r.metrics.final_url);
        r.seo = std::move(seo);
        r.success = true;
        co_return r;
    }
    r = fail(error_type::kHtmlExtractionFailed, "capturing the page failed: " + capture_error);
    r.metrics.timed_out = timed_out;
    co_return r;
}

HeaderList RenderJob::raw_headers_for(int status, HeaderList fallback) {
    for (auto& [code, h] : _raw_headers)
        if (code == status) return std::move(h);
    return fallback;
}

void RenderJob::end_start_phase() noexcept {
    if (!_start_phase) return;
    _start_phase = false;
    --_proc.starting;
}

bool RenderJob::reached_wait_event() {
    if (_loaders.empty()) return false;
    const std::string& current = _loaders.back();
    for (const Lifecycle& e : _lifecycle)
        if (e.loader == current && e.name == _wait_for) return true;
    const uint64_t due = idle_due();
    if (due == 0 || now_ms() < due) return false;
    if (_lifecycle.size() < 256) _lifecycle.push_back(Lifecycle{current, _wait_for, now_ms()});
    return true;
}

uint64_t RenderJob::idle_due() const noexcept {
    const std::optional<uint64_t> at = _idle.idle_at(_wait_for);
    return at ? std::max<uint64_t>(*at, 1) : 0;
}

void RenderJob::fill_metrics(RenderResult& r) {
    RenderMetrics& m = r.metrics;
    _net.fill(m);
    m.final_url = _req.url;
    m.status_code = _main_status;
    m.console_messages = _console;
    m.lifecycle_events.clear();
    for (const Lifecycle& e : _lifecycle) {
        if (std::ranges::find(_loaders, e.loader) == _loaders.end()) continue;
        m.lifecycle_events.push_back(
            LifecycleEvent{e.name, static_cast<double>(e.at_ms - std::min(e.at_ms, _start_ms)) / 1000.0});
    }
}

// ----------------------------------------------------------------------------- events

void RenderJob::on_cdp_event(std::string_view session, std::string_view method, JsonView p) {
    const uint64_t now = rt::Reactor::current().now_ms();
    if (method == "Fetch.requestPaused") {
        on_request_paused(session, p);
        return;
    }
    if (method.starts_with("Network.")) {
        std::string_view ev = method.substr(8);
        if (ev == "requestWillBeSent") {
            _net.on_request(p, now);
            _idle.on_request(session, p["requestId"].str(), now);
            if (_har) _har->on_request(p);
            if (p["type"].str() == "Document" && p["frameId"].str() == _target_id) {
                const std::string_view id = p["requestId"].str();
                if (_nav_request.empty()) {
                    _nav_request = std::string(id);
                    if (_loaders.empty()) _loaders.emplace_back(p["loaderId"].str(id));
                }
                if (id == _nav_request && !_redirected && p["redirectResponse"].valid()) {
                    JsonView rr = p["redirectResponse"];
                    _redirected = true;
                    _redirect_status = static_cast<int>(rr["status"].i64());
                    _redirect_url = std::string(p["request"]["url"].str());
                    _redirect_headers = split_headers(rr["headers"]);
                    _sig.notify();
                }
            }
        } else if (ev == "responseReceived") {
            _net.on_response(p, now);
            if (_har) _har->on_response(p);
            if (!_nav_request.empty() && p["requestId"].str() == _nav_request && _main_status == 0) {
                JsonView resp = p["response"];
                _main_status = static_cast<int>(resp["status"].i64());
                _main_headers = split_headers(resp["headers"]);
                _sig.notify();
            }
        } else if (ev == "responseReceivedExtraInfo") {
            // The raw headers of a hop of the main document, Set-Cookie included (the
            // responseReceived copy omits it); they may come before or after it.
            if (!_nav_request.empty() && p["requestId"].str() == _nav_request && _raw_headers.size() < 8)
                _raw_headers.emplace_back(static_cast<int>(p["statusCode"].i64()),
                                          split_headers(p["headers"]));
        } else if (ev == "loadingFinished") {
            _net.on_finished(p, now);
            _idle.on_done(session, p["requestId"].str(), now);
            _sig.notify();
            if (_har) _har->on_finished(p);
        } else if (ev == "loadingFailed") {
            _net.on_failed(p, now);
            _idle.on_done(session, p["requestId"].str(), now);
            _sig.notify();
            if (_har) _har->on_failed(p);
            if (!_nav_request.empty() && p["requestId"].str() == _nav_request)
                _main_error = std::string(p["errorText"].str());
        }
        return;
    }
    if (session != _session) return;  // a worker: only its network traffic matters
    if (method == "Target.attachedToTarget") {
        on_attached(p);
    } else if (method == "Target.detachedFromTarget") {
        const std::string_view child = p["sessionId"].str();
        _idle.forget_session(child, now);
        if (auto it = std::ranges::find(_children, child); it != _children.end()) {
            _cdp.remove_sink(child);
            _children.erase(it);
        }
    } else if (method == "Page.lifecycleEvent") {
        on_lifecycle(p);
    } else if (method == "Page.frameNavigated") {
        JsonView f = p["frame"];
        if (f["parentId"].valid() || f["id"].str() != _target_id) return;
        if (f["url"].str() != "about:blank") _committed = true;
        const std::string_view loader = f["loaderId"].str();
        if (!loader.empty() && (_loaders.empty() || _loaders.back() != loader) && _loaders.size() < 16) {
            // The first commit is the navigation's; later ones are JS navigations, followed.
            if (_loaders.empty() || std::ranges::find(_loaders, loader) == _loaders.end()) {
                // A new document (a JS navigation): its quiet window starts at its own
                // DOMContentLoaded.
                if (!_loaders.empty()) _idle.on_new_document();
                _loaders.emplace_back(loader);
            }
        }
        _sig.notify();
    } else if (method == "Page.javascriptDialogOpening") {
        // alert/confirm/prompt/beforeunload block the page's JS until answered: accept,
        // with the prompt's default text, as a user clicking OK would.
        _cdp.send("Page.handleJavaScriptDialog",
                  JsonObject().boolean("accept", true).str("promptText", p["defaultPrompt"].str()).take(),
                  _session);
    } else if (method == "Runtime.consoleAPICalled") {
        on_console(p);
    } else if (method == "Runtime.exceptionThrown") {
        on_exception(p);
    } else if (method == "Inspector.targetCrashed") {
        _renderer_crashed = true;
        _sig.notify();
    } else if (method == "Inspector.detached") {
        _detached = true;
        _detach_reason = "inspector detached: " + std::string(p["reason"].str());
        _sig.notify();
    }
}

void RenderJob::on_attached(JsonView p) {
    const std::string child(p["sessionId"].str());
    if (child.empty()) return;
    if (_children.size() < 16) {
        _cdp.add_sink(child, this);
        _children.push_back(child);
        _cdp.send("Network.enable", R"({"maxTotalBufferSize":0,"maxResourceBufferSize":0})", child);
        if (!_opts.server_id.empty())
            _cdp.send(
                "Network.setExtraHTTPHeaders",
                JsonObject().raw("headers", JsonObject().str("X-Edge-Render", _opts.server_id).take()).take(),
                child);
        _cdp.send("Network.setBlockedURLs", JsonObject().raw("urls", _bl->blocked_urls_json()).take(), child);
        if (!_fetch_patterns_json.empty())
            _cdp.send("Fetch.enable", JsonObject().raw("patterns", _fetch_patterns_json).take(), child);
    }
    // Commands of a session run in order: the worker starts with its settings applied.
    _cdp.send("Runtime.runIfWaitingForDebugger", "{}", child);
}

void RenderJob::on_cdp_detached(std::string_view session, std::string_view why) {
    if (session != _session) {
        _idle.forget_session(session, rt::Reactor::current().now_ms());
        if (auto it = std::ranges::find(_children, session); it != _children.end()) _children.erase(it);
        return;
    }
    _sink_added = false;  // the client has dropped us already
    _detached = true;
    if (_detach_reason.empty()) _detach_reason = std::string(why);
    _sig.notify();
}

void RenderJob::on_lifecycle(JsonView p) {
    if (p["frameId"].str() != _target_id || _lifecycle.size() >= 256) return;
    const std::string_view loader = p["loaderId"].str();
    const std::string_view name = p["name"].str();
    const uint64_t now = rt::Reactor::current().now_ms();
    // The detector's window starts at the DOMContentLoaded of the document being waited
    // for (not the initial about:blank's, which may be replayed when events are enabled).
    if (name == "DOMContentLoaded" && !_loaders.empty() && loader == _loaders.back()) {
        _idle.on_dom_content_loaded(now);
        end_start_phase();
    }
    // Already recorded from the detector: one entry per loader.
    if (name.starts_with("network") && std::ranges::any_of(_lifecycle, [&](const Lifecycle& e) {
            return e.loader == loader && e.name == name;
        }))
        return;
    _lifecycle.push_back(Lifecycle{std::string(loader), std::string(name), now});
    _sig.notify();
}

void RenderJob::on_request_paused(std::string_view session, JsonView p) {
    const std::string_view id = p["requestId"].str();
    const std::string_view url = p["request"]["url"].str();
    const std::string_view paused_type = p["resourceType"].str();
    const bool main_document = paused_type == "Document" && p["frameId"].str() == _target_id;
    std::string_view type = _net.type_of(p["networkId"].str());
    if (type.empty()) type = paused_type;
    if (!main_document && (_bl->blocks_type(type) || _bl->blocks_url(url))) {
        _cdp.send("Fetch.failRequest",
                  JsonObject().str("requestId", id).str("errorReason", "BlockedByClient").take(), session);
        return;
    }
    if (!_inject.empty() && parse_origin(url) == _origin) {
        // Same scheme, host and port as the target (F-RS-16): request headers + injected
        // ones, the injected names replacing Chromium's (case-insensitive).
        std::string arr = "[";
        bool first = true;
        auto add = [&](std::string_view n, std::string_view v) {
            if (!first) arr.push_back(',');
            first = false;
            arr += JsonObject().str("name", n).str("value", v).take();
        };
        p["request"]["headers"].each_field([&](std::string_view n, JsonView v) {
            for (const auto& [in, iv] : _inject)
                if (iequal(in, n)) return;
            add(n, v.str());
        });
        for (const auto& [n, v] : _inject)
            add(n, v);
        arr.push_back(']');
        _cdp.send("Fetch.continueRequest", JsonObject().str("requestId", id).raw("headers", arr).take(),
                  session);
        return;
    }
    _cdp.send("Fetch.continueRequest", JsonObject().str("requestId", id).take(), session);
}

void RenderJob::add_console(std::string_view type, std::string_view url, int64_t line, int64_t col,
                            std::string msg) {
    if (_console_bytes >= kConsoleCap) return;
    if (_console_bytes + msg.size() > kConsoleCap) msg.resize(kConsoleCap - _console_bytes);
    _console_bytes += msg.size();
    ConsoleMessage m;
    m.type = std::string(type);
    m.source_url = url.empty() ? "<anonymous>" : std::string(url);
    m.source_location = std::to_string(line) + ":" + std::to_string(col);
    m.message = std::move(msg);
    _console.push_back(std::move(m));
}

void RenderJob::on_console(JsonView p) {
    std::string_view type = p["type"].str();
    if (type == "assert") type = "error";
    if (type != "error" && type != "warning") return;
    if (_console_bytes >= kConsoleCap) return;
    std::string msg;
    p["args"].each([&](JsonView a) {
        if (!msg.empty()) msg.push_back(' ');
        if (a["value"].is_string()) {
            msg += a["value"].str();
        } else {
            // Primitives and objects carry a printable description; undefined/null only a type.
            msg += a["description"].str(a["unserializableValue"].str(a["subtype"].str(a["type"].str())));
        }
    });
    std::string_view url;
    int64_t line = 0, col = 0;
    bool found = false;
    p["stackTrace"]["callFrames"].each([&](JsonView f) {
        if (found) return;
        found = true;
        url = f["url"].str();
        line = f["lineNumber"].i64() + 1;
        col = f["columnNumber"].i64() + 1;
    });
    add_console(type, url, line, col, std::move(msg));
}

void RenderJob::on_exception(JsonView p) {
    JsonView d = p["exceptionDetails"];
    std::string msg(d["exception"]["description"].str(d["text"].str("Uncaught exception")));
    if (const size_t nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);  // drop the stack
    std::string_view url = d["url"].str();
    int64_t line = d["lineNumber"].i64() + 1, col = d["columnNumber"].i64() + 1;
    if (url.empty()) {
        bool found = false;
        d["stackTrace"]["callFrames"].each([&](JsonView f) {
            if (found) return;
            found = true;
            url = f["url"].str();
        });
    }
    add_console("error", url, line, col, std::move(msg));
}

}  // namespace ec::rs
