// NetworkIdleDetector: `networkIdle` / `networkAlmostIdle` with Chrome's definitions
// (after DOMContentLoaded, at most 0 resp. 2 requests in flight for 500 ms), computed from
// the Network domain's events the render already receives.
//
// Why not only Chrome's own lifecycle events: Blink's IdlenessDetector notices the quiet
// period from its task-time observer and a watchdog timer, so on a page that has gone
// quiet the event arrives anywhere between 0.5 s and ~1.1 s after the last request
// (measured here: median ~1 s after DOMContentLoaded for a page with no requests at
// all). This detector reports the moment the 500 ms window is complete. The render waits
// for whichever comes first, so a request this detector never sees finish (a long poll,
// a beacon) still ends at Chrome's event, as before.
//
// It counts more than Blink does (requests of iframes and workers too: every session of
// the render feeds it), so it is never earlier than the definition. Requests are keyed by
// session and request id; a redirect hop reuses its id and is one request. I/O-free.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

namespace ec::rs {

class NetworkIdleDetector {
  public:
    static constexpr uint64_t kQuietWindowMs = 500;  // Chrome's network quiet window
    static constexpr int kAlmostIdleRequests = 2;    // networkAlmostIdle: ≤ 2 in flight
    static constexpr size_t kMaxInFlight = 20000;    // beyond: stop judging (Chrome decides)

    // Network.requestWillBeSent (also for each redirect hop, same id).
    void on_request(std::string_view session, std::string_view request_id, uint64_t now_ms) {
        if (_overflow) return;
        if (_in_flight.size() >= kMaxInFlight) {
            _overflow = true;
            return;
        }
        if (!_in_flight.insert(key(session, request_id)).second) return;  // a redirect hop
        note_count(now_ms);
    }
    // Network.loadingFinished / Network.loadingFailed.
    void on_done(std::string_view session, std::string_view request_id, uint64_t now_ms) {
        if (_in_flight.erase(key(session, request_id)) == 0) return;
        note_count(now_ms);
    }
    // A session went away (a worker ended): its requests will report nothing more.
    void forget_session(std::string_view session, uint64_t now_ms) {
        const std::string prefix = std::string(session) + '\n';
        bool removed = false;
        for (auto it = _in_flight.begin(); it != _in_flight.end();) {
            if (std::string_view(*it).starts_with(prefix)) {
                it = _in_flight.erase(it);
                removed = true;
            } else {
                ++it;
            }
        }
        if (removed) note_count(now_ms);
    }
    // DOMContentLoaded of the main frame's current document: the quiet window may start
    // from here (again, after a JS navigation).
    void on_dom_content_loaded(uint64_t now_ms) {
        _dcl_ms = now_ms;
        _started = true;
    }
    // The main frame committed another document: wait for its DOMContentLoaded.
    void on_new_document() noexcept { _started = false; }

    // When the page is (or will be, if nothing changes) idle for the given threshold:
    // max(DOMContentLoaded, the moment the count last dropped to ≤ threshold) + 500 ms.
    // nullopt while not started, over the threshold, or after an overflow.
    std::optional<uint64_t> idle_at(int max_in_flight) const {
        if (!_started || _overflow) return std::nullopt;
        if (static_cast<int64_t>(_in_flight.size()) > max_in_flight) return std::nullopt;
        const uint64_t since = max_in_flight == 0 ? _quiet0_since : _quiet2_since;
        return std::max(since, _dcl_ms) + kQuietWindowMs;
    }
    // idle_at() for a lifecycle name ("networkIdle", "networkAlmostIdle"); nullopt for others.
    std::optional<uint64_t> idle_at(std::string_view lifecycle_name) const {
        if (lifecycle_name == "networkIdle") return idle_at(0);
        if (lifecycle_name == "networkAlmostIdle") return idle_at(kAlmostIdleRequests);
        return std::nullopt;
    }

    size_t in_flight() const noexcept { return _in_flight.size(); }

  private:
    static std::string key(std::string_view session, std::string_view id) {
        std::string k;
        k.reserve(session.size() + 1 + id.size());
        k.append(session).push_back('\n');
        k.append(id);
        return k;
    }
    // Called after every change of the count: a quiet period starts when the count comes
    // down to (or under) the threshold; changes that stay under it do not restart it.
    void note_count(uint64_t now_ms) {
        const size_t n = _in_flight.size();
        if (n == 0 && !_was_zero) _quiet0_since = now_ms;
        if (n <= static_cast<size_t>(kAlmostIdleRequests) && !_was_almost) _quiet2_since = now_ms;
        _was_zero = n == 0;
        _was_almost = n <= static_cast<size_t>(kAlmostIdleRequests);
    }

    std::unordered_set<std::string> _in_flight;
    uint64_t _quiet0_since = 0, _quiet2_since = 0, _dcl_ms = 0;
    bool _was_zero = true, _was_almost = true;
    bool _started = false, _overflow = false;
};

}  // namespace ec::rs
