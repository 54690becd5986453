// HarRecorder: a HAR 1.2 log of one render (F-RS-15, include_har) from the Network
// domain's events, plus the `_metadata` object of the original (F-GW-31): blocked and
// failed requests, lifecycle events, console errors, render metrics, request config.
// Only allocated for renders that ask for it; entries are capped (then `truncated`).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cdp_json.h"
#include "render_types.h"

namespace ec::rs {

class HarRecorder {
  public:
    static constexpr size_t kMaxEntries = 2000;

    void on_request(JsonView p);   // Network.requestWillBeSent (also closes a redirected hop)
    void on_response(JsonView p);  // Network.responseReceived
    void on_finished(JsonView p);  // Network.loadingFinished
    void on_failed(JsonView p);    // Network.loadingFailed

    struct Context {
        const RenderRequest* req = nullptr;
        const RenderResult* result = nullptr;
        std::string browser_version;  // "HeadlessChrome/156.0..."
        std::string service_id;
        double duration_s = 0;
    };
    std::string to_json(const Context& c) const;

  private:
    struct Entry {
        std::string method, url, type, http_version, status_text, mime_type, redirect_url, error;
        std::vector<std::pair<std::string, std::string>> req_headers, resp_headers;
        double wall_start = 0;                                        // seconds since the epoch
        double ts_start = 0, ts_end = 0;                              // CDP monotonic seconds
        double dns = -1, connect = -1, ssl = -1, send = 0, wait = 0;  // ms, from response.timing
        int status = 0;
        int64_t bytes = 0;
        bool done = false, blocked = false, failed = false;
        std::string blocked_reason;
    };
    Entry* current(std::string_view request_id);
    static void headers_of(JsonView h, std::vector<std::pair<std::string, std::string>>& out);
    void take_response(Entry& e, JsonView resp, double ts);

    std::vector<Entry> _entries;
    std::unordered_map<std::string, size_t> _open;  // requestId → index of its latest hop
    bool _truncated = false;
};

}  // namespace ec::rs
