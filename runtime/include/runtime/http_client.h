// HTTP/1.1 client: per-core connection pools per origin, keep-alive, TLS (memory BIOs),
// DNS off the reactor, a whole-request deadline, a response size limit, chunked and
// close-delimited bodies. Redirects are never followed (the caller decides).
//
// SSRF: every resolved address passes `address_filter` before a connection is made
// (see ip_policy.h for the reference's private/reserved ranges and an allow-list).
//
// Core affinity: one HttpClient per reactor; its pools are not shared across cores.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runtime/cancel.h"
#include "runtime/dns.h"
#include "runtime/net.h"
#include "runtime/task.h"
#include "runtime/tls.h"

namespace ec::rt {

struct HttpClientOptions {
    uint32_t connect_timeout_ms = 10'000;
    uint32_t idle_timeout_ms = 30'000;  // pooled connections older than this are dropped
    size_t max_idle_per_origin = 16;
    TlsClientOptions tls;             // verification against the system CA store by default
    DnsResolver* resolver = nullptr;  // required for host names (IP literals work without)
    // Return false to refuse connecting to an address (SSRF protection).
    std::function<bool(const SocketAddress&)> address_filter;
};

struct HttpClientRequest {
    std::string method = "GET";
    std::string url;  // absolute http:// or https:// URL
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    uint32_t timeout_ms = 30'000;                  // whole request: DNS, connect, TLS, send, response
    size_t max_response_bytes = size_t{32} << 20;  // body limit
};

struct HttpClientResponse {
    // 0 = no response; then `error` says why ("timeout", "connection refused", ...).
    int status = 0;
    std::string error;
    std::vector<std::pair<std::string, std::string>> headers;  // in order, repeated names kept
    std::string body;
    bool reused_connection = false;

    bool ok() const noexcept { return status != 0; }
    // First header with that name (case-insensitive), or empty.
    std::string_view header(std::string_view name) const noexcept;
};

class HttpClient {
  public:
    explicit HttpClient(HttpClientOptions opts = {});
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    Task<HttpClientResponse> request(HttpClientRequest req, CancelToken tok = {});

    size_t idle_connections() const;
    uint64_t connections_opened() const noexcept { return _opened; }

  private:
    struct Conn;
    struct Url {
        bool tls = false;
        std::string host;  // without brackets
        uint16_t port = 0;
        std::string target;  // path + query
        std::string origin;  // scheme://host:port (pool key)
        std::string host_header;
    };
    static bool parse_url(std::string_view url, Url& out, std::string& err);
    Task<std::unique_ptr<Conn>> open(const Url& u, CancelToken tok, std::string& err);
    Task<int> exchange(Conn& c, const Url& u, const HttpClientRequest& req, HttpClientResponse& res,
                       CancelToken tok);
    std::unique_ptr<Conn> take_idle(const std::string& origin);
    void put_idle(const std::string& origin, std::unique_ptr<Conn> c);

    HttpClientOptions _opts;
    std::shared_ptr<TlsContext> _tls;
    std::unordered_map<std::string, std::vector<std::unique_ptr<Conn>>> _idle;
    uint64_t _opened = 0;
};

}  // namespace ec::rt
