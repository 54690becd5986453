// HTTP/1.1 request and response objects used by HttpServer.
//
// HttpRequest is a set of views into the connection's receive buffer; it is valid only
// while the handler runs (copy what you keep). HttpResponse accumulates the status, the
// header block and a body; its storage is reused across requests of a connection, so a
// steady-state request allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "runtime/cancel.h"

namespace ec::rt {

struct HttpHeader {
    std::string_view name;
    std::string_view value;
};

// ASCII case-insensitive comparison (header names, tokens).
bool iequals(std::string_view a, std::string_view b) noexcept;

class HttpRequest {
  public:
    static constexpr size_t kMaxHeaders = 100;

    std::string_view method() const noexcept { return _method; }
    bool is_head() const noexcept { return _is_head; }
    bool is_get_or_head() const noexcept { return _is_get || _is_head; }
    // Raw request-target as sent ("/render?url=...").
    std::string_view target() const noexcept { return _target; }
    std::string_view path() const noexcept { return _path; }
    // Raw query without '?', empty when absent.
    std::string_view query() const noexcept { return _query; }
    int version_major() const noexcept { return _vmajor; }
    int version_minor() const noexcept { return _vminor; }
    bool keep_alive() const noexcept { return _keep_alive; }

    // First header with that name (case-insensitive), or empty.
    std::string_view header(std::string_view name) const noexcept;
    bool has_header(std::string_view name) const noexcept;
    std::span<const HttpHeader> headers() const noexcept { return {_headers, _header_count}; }
    std::string_view body() const noexcept { return _body; }

    // Socket of the connection (for getpeername-style lookups by the caller).
    int connection_fd() const noexcept { return _fd; }
    // Peer IP as text ("127.0.0.1", "::1"); computed on demand.
    std::string peer_ip() const;
    // Cancelled when the connection is torn down (drain bound, server shutdown):
    // asynchronous handlers pass it to their waits so they unwind promptly.
    CancelToken cancel_token() const noexcept { return _cancel; }

  private:
    friend class HttpConnection;
    std::string_view _method, _target, _path, _query, _body;
    int _vmajor = 1, _vminor = 1;
    bool _keep_alive = true, _is_head = false, _is_get = false;
    int _fd = -1;
    CancelToken _cancel;
    size_t _header_count = 0;
    HttpHeader _headers[kMaxHeaders];
};

class HttpResponse {
  public:
    HttpResponse() = default;

    void set_status(int code) noexcept { _status = code; }
    int status() const noexcept { return _status; }

    // Appends a header line. Name and value are copied; CR/LF in either are dropped
    // (response-splitting protection).
    void add_header(std::string_view name, std::string_view value);
    void add_header(std::string_view name, uint64_t value);
    // Raw header block "Name: value\r\n..." accumulated so far.
    std::string_view header_block() const noexcept { return _headers; }
    // Value of a header already added (case-insensitive), or empty.
    std::string_view find_header(std::string_view name) const noexcept;

    // Body owned by the response.
    void set_body(std::string body) {
        _owned = std::move(body);
        _body = _owned;
        _keep.reset();
        _file_fd = -1;
    }
    // Body kept alive by `owner` (e.g. a cached blob shared between requests).
    void set_body_view(std::string_view body, std::shared_ptr<const void> owner) {
        _body = body;
        _keep = std::move(owner);
        _file_fd = -1;
    }
    // Body sent from a file descriptor with splice; the server closes `fd` when
    // `close_fd` is true.
    void set_body_file(int fd, uint64_t offset, size_t len, bool close_fd) {
        _file_fd = fd;
        _file_off = offset;
        _file_len = len;
        _file_close = close_fd;
        _body = {};
    }
    std::string_view body() const noexcept { return _body; }
    bool has_file_body() const noexcept { return _file_fd >= 0; }
    size_t body_size() const noexcept { return _file_fd >= 0 ? _file_len : _body.size(); }

    // Forces "Connection: close" and closes the connection after this response.
    void set_close() noexcept { _close = true; }
    bool close_requested() const noexcept { return _close; }

    // Clears everything but keeps capacity.
    void reset() noexcept;

  private:
    friend class HttpConnection;
    int _status = 200;
    bool _close = false;
    std::string _headers;
    std::string _owned;
    std::string_view _body;
    std::shared_ptr<const void> _keep;
    int _file_fd = -1;
    bool _file_close = false;
    uint64_t _file_off = 0;
    size_t _file_len = 0;
};

// Reason phrase of a status code ("Not Found"), or "Unknown".
std::string_view http_reason(int status) noexcept;

// "Sat, 21 Nov 2026 18:27:54 GMT" for the current second; recomputed at most once per
// second per thread.
std::string_view http_date_now() noexcept;

}  // namespace ec::rt
