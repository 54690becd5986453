// The contract between the render-service shell (HTTP API, registry, config) and the
// render engine (Chromium pool, CDP, render procedure).
//
// The shell parses POST /render (reference F-RS-02) into a RenderRequest, calls
// RenderEngine::render() and frames the RenderResult back to the gateway. The engine
// knows nothing about HTTP or Redis. Everything runs on the service's reactor thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/cancel.h"
#include "runtime/task.h"

namespace ec::rs {

using HeaderList = std::vector<std::pair<std::string, std::vector<std::string>>>;

struct RenderRequest {
    std::string request_id;
    std::string url;
    int tab_id = -1;  // capacity slot reserved by the gateway (-1: none)
    int viewport_width = 1920;
    int viewport_height = 1080;
    std::string user_agent;
    int64_t timeout_ns = 30'000'000'000;  // soft timeout for wait_for (capped at max_timeout)
    std::string wait_for = "networkIdle";  // DOMContentLoaded | load | networkIdle | networkAlmostIdle
    int64_t extra_wait_ns = 0;
    std::vector<std::string> blocked_patterns;        // C-04 patterns, added to the 32 built-ins
    std::vector<std::string> blocked_resource_types;  // CDP resource type names
    bool include_har = false;
    bool strip_scripts = true;
    HeaderList headers;  // forwarded client headers, injected same-origin only
};

struct ConsoleMessage {
    std::string type;  // "error" | "warning"
    std::string source_url;
    std::string source_location;  // "line:col"
    std::string message;
};

struct LifecycleEvent {
    std::string name;
    double time_s = 0;  // since navigation start
};

struct DomainStats {
    int64_t requests = 0, bytes = 0, failed = 0, blocked = 0;
    double avg_latency = 0;
};

struct RenderMetrics {
    int status_code = 0;
    std::string final_url;
    std::vector<LifecycleEvent> lifecycle_events;
    bool timed_out = false;
    std::vector<ConsoleMessage> console_messages;  // <= 5 KiB of text in total
    int64_t total_requests = 0, total_bytes = 0;
    std::vector<std::pair<std::string, int64_t>> bytes_by_type, requests_by_type;
    std::vector<std::pair<std::string, int64_t>> status_counts;  // "2xx".."5xx"
    int64_t same_origin_requests = 0, same_origin_bytes = 0;
    int64_t third_party_requests = 0, third_party_bytes = 0, third_party_domains = 0;
    int64_t blocked_count = 0, failed_count = 0;
    double time_to_first_request = 0, time_to_last_response = 0;
    std::vector<std::pair<std::string, DomainStats>> domain_stats;  // <= 100 hosts
};

struct HreflangEntry {
    std::string lang, url;
};

struct PageSeo {
    std::string title;
    int index_status = 0;  // 1 indexable, 2 non-200, 3 noindex by meta robots/googlebot, 4 non-canonical
    std::string meta_description, canonical_url, meta_robots;
    std::vector<std::string> h1s, h2s, h3s;  // <= 5 each, <= 500 chars each
    std::vector<HreflangEntry> hreflang;
    std::vector<std::string> structured_data_types;  // JSON-LD @type values
};

struct RenderResult {
    bool success = false;
    std::string error;
    std::string error_type;  // F-RS-17 vocabulary
    // HTTP status the shell answers with: 200 (success or render failure), 503 (no Chrome:
    // pool_unavailable / chrome_crash / chrome_restart_failed), 504 (hard_timeout).
    int service_status = 200;
    std::string html;  // doctype + outerHTML (after optional script stripping); empty for redirects
    RenderMetrics metrics;
    HeaderList headers;  // main document response headers (multi-value kept)
    std::optional<PageSeo> seo;
    std::string har_json;  // when include_har
    std::string chrome_id;  // "chrome-<n>"
    int64_t render_time_ns = 0;
};

struct EngineStats {
    int pool_size = 0;        // concurrent-render capacity (chrome.pool_size)
    int active = 0;           // renders in progress
    int available = 0;        // pool_size - active, 0 while not ready
    int processes = 0;        // live Chromium processes
    uint64_t renders_total = 0;
    uint64_t restarts_total = 0;
    uint64_t crashes_total = 0;
};

class RenderEngine {
public:
    virtual ~RenderEngine() = default;
    // Launches and warms up the Chromium processes. Throws with a clear message if the
    // browser cannot be started at all.
    virtual rt::Task<void> start() = 0;
    // Renders one page. Never throws for page/browser problems: failures come back as
    // RenderResult{success=false, error_type=...}. Bounded by max_timeout (+1 s at most);
    // `cancel` aborts early (service shutdown past its drain bound).
    virtual rt::Task<RenderResult> render(RenderRequest req, rt::CancelToken cancel) = 0;
    // Stops taking renders, waits for in-flight ones (bounded by the caller), kills
    // every Chromium process and reaps it. Leaves no process behind.
    virtual rt::Task<void> stop() = 0;
    virtual EngineStats stats() const = 0;
};

}  // namespace ec::rs
