#include "chrome_spares.h"

#include <simdjson.h>

#include <algorithm>
#include <memory>

#include "chrome_signal.h"
#include "runtime/reactor.h"

namespace ec::rs {

std::vector<std::pair<std::string, std::string>> base_page_setup(const EngineOptions& opts) {
    std::vector<std::pair<std::string, std::string>> v;
    v.emplace_back("Page.enable", "{}");
    v.emplace_back("Page.setLifecycleEventsEnabled", R"({"enabled":true})");
    v.emplace_back("Network.enable", R"({"maxTotalBufferSize":0,"maxResourceBufferSize":0})");
    v.emplace_back("Runtime.enable", "{}");
    if (!opts.server_id.empty())
        v.emplace_back(
            "Network.setExtraHTTPHeaders",
            JsonObject().raw("headers", JsonObject().str("X-Edge-Render", opts.server_id).take()).take());
    // Dedicated workers are targets of their own: attach to them paused, give them the same
    // header, blocklist and interception, then let them run (RenderJob::on_attached).
    v.emplace_back("Target.setAutoAttach",
                   R"({"autoAttach":true,"waitForDebuggerOnStart":true,"flatten":true})");
    // Service workers would run outside the page's session (no X-Edge-Render, no blocklist)
    // and only cost time in a one-shot render: pages see no navigator.serviceWorker.
    v.emplace_back(
        "Page.addScriptToEvaluateOnNewDocument",
        JsonObject().str("source", "try { delete Navigator.prototype.serviceWorker; } catch (e) {}").take());
    return v;
}

SparePages::~SparePages() {
    for (const auto& p : _ready)
        _cdp.remove_sink(p.session);
    for (const auto& s : _preparing)
        _cdp.remove_sink(s);
}

std::optional<PreparedPage> SparePages::take() {
    if (_ready.empty()) return std::nullopt;
    PreparedPage p = std::move(_ready.front());
    _ready.pop_front();
    _cdp.remove_sink(p.session);
    return p;
}

void SparePages::top_up(rt::Gate& gate, size_t target) {
    while (!_stopped && _cdp.is_open() && _ready.size() + _pending < target) {
        ++_pending;
        if (!rt::spawn(gate, prepare())) {
            --_pending;
            return;
        }
    }
}

void SparePages::stop() {
    _stopped = true;
    while (!_ready.empty()) {
        PreparedPage p = std::move(_ready.front());
        _ready.pop_front();
        _cdp.remove_sink(p.session);
        dispose(p);
    }
}

void SparePages::dispose(const PreparedPage& p) {
    if (!p.context_id.empty() && _cdp.is_open())
        _cdp.send("Target.disposeBrowserContext", JsonObject().str("browserContextId", p.context_id).take());
}

void SparePages::drop_session(std::string_view session) {
    if (auto it = std::ranges::find(_ready, session, &PreparedPage::session); it != _ready.end()) {
        PreparedPage p = std::move(*it);
        _ready.erase(it);
        _cdp.remove_sink(p.session);
        dispose(p);
    }
    if (auto it = std::ranges::find(_preparing, session); it != _preparing.end()) *it = std::string();
}

void SparePages::on_cdp_event(std::string_view session, std::string_view method, JsonView) {
    // Everything an about:blank page says is ignored, except that it is gone.
    if (method == "Inspector.targetCrashed" || method == "Inspector.detached") drop_session(session);
}

void SparePages::on_cdp_detached(std::string_view session, std::string_view) {
    // The client dropped the registration already.
    if (auto it = std::ranges::find(_ready, session, &PreparedPage::session); it != _ready.end())
        _ready.erase(it);
    if (auto it = std::ranges::find(_preparing, session); it != _preparing.end()) *it = std::string();
}

rt::Task<void> SparePages::prepare() {
    struct Pending {
        size_t& n;
        ~Pending() { --n; }
    } pending{_pending};
    const uint64_t deadline = now_ms() + kPrepareTimeoutMs;
    simdjson::dom::parser parser;
    PreparedPage page;
    std::string failed;

    CdpResult r =
        co_await _cdp.call("Target.createBrowserContext", R"({"disposeOnDetach":true})", "", deadline);
    if (r.ok()) {
        page.context_id = std::string(r.result(parser)["browserContextId"].str());
        r = co_await _cdp.call(
            "Target.createTarget",
            JsonObject().str("url", "about:blank").str("browserContextId", page.context_id).take(), "",
            deadline);
    }
    if (r.ok()) {
        page.target_id = std::string(r.result(parser)["targetId"].str());
        r = co_await _cdp.call("Target.attachToTarget",
                               JsonObject().str("targetId", page.target_id).boolean("flatten", true).take(),
                               "", deadline);
    }
    if (r.ok()) page.session = std::string(r.result(parser)["sessionId"].str());
    if (!r.ok() || page.session.empty()) {
        failed = r.message.empty() ? std::string("no session") : r.message;
    } else {
        _cdp.add_sink(page.session, this);
        _preparing.push_back(page.session);
        Signal sig;
        std::vector<std::unique_ptr<CdpCall>> calls;
        for (const auto& [method, params] : base_page_setup(_opts))
            calls.push_back(std::make_unique<CdpCall>(_cdp, method, params, page.session, &sig));
        auto all_done = [&] { return std::ranges::all_of(calls, [](const auto& c) { return c->done(); }); };
        while (!all_done() && now_ms() < deadline)
            co_await sig.wait_until(deadline);
        for (const auto& c : calls)
            if (!c->ok()) {
                failed = c->done() ? c->result().message : std::string("timed out");
                break;
            }
        auto it = std::ranges::find(_preparing, page.session);
        const bool gone = it == _preparing.end() || it->empty();
        if (it != _preparing.end()) _preparing.erase(it);
        if (gone && failed.empty()) failed = "the page went away";
        if (!gone && (!failed.empty() || _stopped)) _cdp.remove_sink(page.session);
    }
    if (!failed.empty() || _stopped || !_cdp.is_open()) {
        dispose(page);
        if (!failed.empty() && _cdp.is_open() && !_logged_failure) {
            _logged_failure = true;  // once per process: the render path reports its own errors
            _log.warn("preparing a spare page failed", {{"chrome_id", _chrome_id}, {"error", failed}});
        }
        co_return;
    }
    ++_prepared_total;
    _ready.push_back(std::move(page));
}

}  // namespace ec::rs
