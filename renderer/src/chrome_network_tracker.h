// Network counters of one render (F-RS-02 `metrics`, F-RS-14) from the Network domain's
// events: requests by type and domain, bytes on the wire (encodedDataLength), status
// classes, same-origin vs third-party (subdomains of the target host count as same
// origin, as in the original), blocked and failed requests, per-domain latency.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cdp_json.h"
#include "render_types.h"

namespace ec::rs {

// Parts of an absolute URL that the engine compares. Lower-case scheme and host as
// Chromium writes them; port defaults from the scheme.
struct UrlOrigin {
    std::string scheme, host;
    int port = 0;
    bool valid() const noexcept { return !scheme.empty() && !host.empty(); }
    bool operator==(const UrlOrigin&) const = default;
    // "https://example.com", "http://127.0.0.1:8080" (default port omitted).
    std::string to_string() const;
};
UrlOrigin parse_origin(std::string_view url);
// Host of an absolute URL ("" for data:, blob:, about:...).
std::string_view url_host(std::string_view url);

class NetworkTracker {
  public:
    static constexpr size_t kMaxDomains = 100;
    static constexpr size_t kMaxTracked = 20000;  // per-request records kept

    NetworkTracker(std::string target_host, uint64_t start_ms)
        : _target_host(std::move(target_host)), _start_ms(start_ms) {}

    void on_request(JsonView p, uint64_t now_ms);   // Network.requestWillBeSent
    void on_response(JsonView p, uint64_t now_ms);  // Network.responseReceived
    void on_finished(JsonView p, uint64_t now_ms);  // Network.loadingFinished
    void on_failed(JsonView p, uint64_t now_ms);    // Network.loadingFailed

    // Resource type Network reported for a request id ("" when unknown).
    std::string_view type_of(std::string_view request_id) const;

    void fill(RenderMetrics& m) const;

  private:
    struct Domain {
        std::string host;
        DomainStats s;
        double latency_sum = 0;
        int64_t latency_n = 0;
    };
    struct Req {
        std::string type;
        int domain = -1;  // index in _domains, -1 when untracked
        bool same_origin = false;
        bool has_host = false;
        double sent_ts = 0;  // CDP monotonic seconds
    };
    int domain_index(std::string_view host);
    bool is_same_origin(std::string_view host) const noexcept;
    void count_status(int status);
    void add_type(std::vector<std::pair<std::string, int64_t>>& v, std::string_view type, int64_t n);

    std::string _target_host;
    uint64_t _start_ms;
    std::unordered_map<std::string, Req> _reqs;
    std::vector<Domain> _domains;
    std::unordered_map<std::string, int> _domain_idx;
    std::vector<std::string> _third_party_hosts;
    RenderMetrics _m;  // only the network fields are used
    uint64_t _first_request_ms = 0, _last_response_ms = 0;
};

}  // namespace ec::rs
