// HTTP/1.1 server on llhttp, one instance per core.
//
//  - keep-alive and pipelining (requests on a connection are answered in order);
//  - limits with the right answers: 431 for oversized request headers (or too many),
//    413 for an oversized body, 400 for malformed input, 408 when a started request
//    does not arrive within header_timeout/request_timeout; an idle keep-alive
//    connection is closed silently after idle_timeout;
//  - HEAD answered without a body; HTTP/1.0 closes unless it asked for keep-alive;
//    Expect: 100-continue honoured;
//  - header + body leave in one vectored send; file bodies go out with splice;
//  - idle connections hold no receive buffer (they wait with POLL_ADD); a pooled
//    request block is taken only while a request is in progress;
//  - drain(): stop accepting, close idle connections, let in-flight requests finish
//    within a bound, then cancel what is left.
//
// Core affinity: an HttpServer and its connections live on one reactor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/cancel.h"
#include "runtime/gate.h"
#include "runtime/http_message.h"
#include "runtime/net.h"
#include "runtime/task.h"
#include "runtime/timer_wheel.h"

namespace ec::rt {

class HttpHandler {
  public:
    virtual ~HttpHandler() = default;
    // Synchronous fast path (no coroutine frame): fill `res` and return true, or return
    // false to take the asynchronous path.
    virtual bool try_handle(HttpRequest& req, HttpResponse& res) {
        (void)req;
        (void)res;
        return false;
    }
    virtual Task<void> handle(HttpRequest& req, HttpResponse& res) = 0;
};

struct HttpServerOptions {
    size_t max_header_bytes = 16 * 1024;  // request line + headers
    size_t max_body_bytes = 1024 * 1024;
    uint32_t header_timeout_ms = 10'000;   // first byte of a request -> end of its headers
    uint32_t request_timeout_ms = 30'000;  // first byte -> end of body
    uint32_t idle_timeout_ms = 60'000;     // keep-alive wait between requests
    uint32_t write_timeout_ms = 30'000;    // one response must leave within this
    // After a response, keep the request buffer and wait for the next request with a
    // plain recv for this long (busy keep-alive connections skip a POLL round trip);
    // then give the buffer back and wait with POLL_ADD. 0 = always poll.
    uint32_t hot_window_ms = 50;
};

struct HttpServerStats {
    uint64_t connections_accepted = 0;
    uint64_t connections_open = 0;
    uint64_t requests = 0;
    uint64_t bad_requests = 0;  // 400/408/413/431 answered by the server itself
};

class HttpConnection;

class HttpServer {
  public:
    HttpServer(HttpHandler& handler, HttpServerOptions opts = {});
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Accepts connections from `l` until it is closed (drain() closes it). The listener
    // must outlive the returned task.
    Task<void> serve(TcpListener& l);

    // Serves one already-connected socket (tests, socket activation with Accept=yes).
    void serve_connection(int fd);

    // Graceful drain: closes the listeners being served, closes idle connections,
    // waits up to `timeout_ms` for in-flight requests (their responses carry
    // "Connection: close"), then cancels the rest and waits for them to unwind.
    Task<void> drain(uint64_t timeout_ms);

    bool draining() const noexcept { return _draining; }
    const HttpServerStats& stats() const noexcept { return _stats; }
    const HttpServerOptions& options() const noexcept { return _opts; }

    struct RequestBlock;  // pooled per-request buffers (defined in http_server.cc)

  private:
    friend class HttpConnection;
    RequestBlock* acquire_block();
    void release_block(RequestBlock* b) noexcept;
    Task<void> run_connection(int fd);

    HttpHandler& _handler;
    HttpServerOptions _opts;
    HttpServerStats _stats;
    bool _draining = false;
    Gate _gate;
    std::vector<TcpListener*> _listeners;
    HttpConnection* _conns = nullptr;  // intrusive list of live connections
    std::vector<RequestBlock*> _free_blocks;
};

}  // namespace ec::rt
