#include "runtime/http_server.h"

#include <llhttp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "runtime/reactor.h"
#include "runtime/time.h"

namespace ec::rt {

// Pooled per-request state: the receive buffer and everything sized by the request.
// Idle connections give it back, so 10k idle connections cost only their frames.
struct HttpServer::RequestBlock {
    static constexpr size_t kInitialBytes = 16 * 1024;
    struct HeaderOffsets {
        size_t name_off, name_len, value_off, value_len;
    };

    char* buf = nullptr;
    size_t cap = 0;
    HeaderOffsets hdr[HttpRequest::kMaxHeaders];
    HttpRequest req;
    HttpResponse res;
    std::string out;        // status line + header block of the response
    std::string body_copy;  // de-chunked request body

    RequestBlock() : buf(static_cast<char*>(std::malloc(kInitialBytes))), cap(kInitialBytes) {
        if (!buf) throw std::bad_alloc();
    }
    ~RequestBlock() { std::free(buf); }
    RequestBlock(const RequestBlock&) = delete;
    RequestBlock& operator=(const RequestBlock&) = delete;

    // Returns memory grown for a large request before the block goes back to the pool.
    void trim() {
        if (cap > kInitialBytes) {
            std::free(buf);
            buf = static_cast<char*>(std::malloc(kInitialBytes));
            if (!buf) throw std::bad_alloc();
            cap = kInitialBytes;
        }
        if (body_copy.capacity() > kInitialBytes) std::string().swap(body_copy);
        body_copy.clear();
        res.reset();
    }
};

namespace {

// State shared with llhttp's callbacks. Offsets are relative to the buffer start so a
// buffer that grows (realloc) or is compacted keeps them meaningful.
struct ParseCtx {
    const char* base = nullptr;
    HttpServer::RequestBlock* blk = nullptr;  // set per request
    size_t msg_start = 0;
    size_t max_header_bytes = 0;
    size_t max_body_bytes = 0;
    size_t url_off = 0, url_len = 0;
    size_t nh = 0;
    int state = 0;  // 0 start, 1 in header field, 2 in header value
    bool headers_done = false;
    bool complete = false;
    bool expect_continue = false;
    bool sent_continue = false;
    size_t body_off = 0, body_len = 0;
    bool body_copy = false;
    int error_status = 0;  // 413 / 431 decided by a callback

    void reset(size_t start) {
        msg_start = start;
        url_off = url_len = nh = 0;
        state = 0;
        headers_done = complete = expect_continue = sent_continue = body_copy = false;
        body_off = body_len = 0;
        error_status = 0;
        if (blk) blk->body_copy.clear();
    }
    size_t off(const char* at) const { return static_cast<size_t>(at - base); }
    bool header_overflow(const char* at, size_t len) {
        if (off(at) + len - msg_start > max_header_bytes) {
            error_status = 431;
            return true;
        }
        return false;
    }
};

ParseCtx& ctx_of(llhttp_t* p) {
    return *static_cast<ParseCtx*>(p->data);
}

int cb_message_begin(llhttp_t* p) {
    ParseCtx& c = ctx_of(p);
    c.reset(c.msg_start);
    return 0;
}
int cb_url(llhttp_t* p, const char* at, size_t len) {
    ParseCtx& c = ctx_of(p);
    if (c.header_overflow(at, len)) return -1;
    if (c.url_len == 0) c.url_off = c.off(at);
    c.url_len = c.off(at) + len - c.url_off;
    return 0;
}
int cb_header_field(llhttp_t* p, const char* at, size_t len) {
    ParseCtx& c = ctx_of(p);
    if (c.header_overflow(at, len)) return -1;
    if (c.state != 1) {
        if (c.nh == HttpRequest::kMaxHeaders) {
            c.error_status = 431;
            return -1;
        }
        auto& h = c.blk->hdr[c.nh++];
        h.name_off = c.off(at);
        h.name_len = len;
        h.value_off = h.value_len = 0;
        c.state = 1;
    } else {
        auto& h = c.blk->hdr[c.nh - 1];
        h.name_len = c.off(at) + len - h.name_off;
    }
    return 0;
}
int cb_header_value(llhttp_t* p, const char* at, size_t len) {
    ParseCtx& c = ctx_of(p);
    if (c.header_overflow(at, len)) return -1;
    auto& h = c.blk->hdr[c.nh - 1];
    if (c.state != 2) {
        h.value_off = c.off(at);
        h.value_len = len;
        c.state = 2;
    } else {
        h.value_len = c.off(at) + len - h.value_off;
    }
    return 0;
}
int cb_headers_complete(llhttp_t* p) {
    ParseCtx& c = ctx_of(p);
    c.headers_done = true;
    if ((p->flags & F_CONTENT_LENGTH) && p->content_length > c.max_body_bytes) {
        c.error_status = 413;
        return -1;
    }
    for (size_t i = 0; i < c.nh; ++i) {
        const auto& h = c.blk->hdr[i];
        if (iequals(std::string_view(c.base + h.name_off, h.name_len), "expect") &&
            iequals(std::string_view(c.base + h.value_off, h.value_len), "100-continue"))
            c.expect_continue = true;
    }
    return 0;
}
int cb_body(llhttp_t* p, const char* at, size_t len) {
    ParseCtx& c = ctx_of(p);
    size_t o = c.off(at);
    size_t total = (c.body_copy ? c.blk->body_copy.size() : c.body_len) + len;
    if (total > c.max_body_bytes) {
        c.error_status = 413;
        return -1;
    }
    if (!c.body_copy) {
        if (c.body_len == 0) {
            c.body_off = o;
            c.body_len = len;
            return 0;
        }
        if (o == c.body_off + c.body_len) {
            c.body_len += len;
            return 0;
        }
        // Chunked: fragments are not adjacent; switch to a de-chunked copy.
        c.blk->body_copy.assign(c.base + c.body_off, c.body_len);
        c.body_copy = true;
    }
    c.blk->body_copy.append(at, len);
    return 0;
}
int cb_message_complete(llhttp_t* p) {
    ctx_of(p).complete = true;
    return HPE_PAUSED;  // hand the request to the server before parsing a pipelined one
}

const llhttp_settings_t& parser_settings() {
    static const llhttp_settings_t s = [] {
        llhttp_settings_t st;
        llhttp_settings_init(&st);
        st.on_message_begin = cb_message_begin;
        st.on_url = cb_url;
        st.on_header_field = cb_header_field;
        st.on_header_value = cb_header_value;
        st.on_headers_complete = cb_headers_complete;
        st.on_body = cb_body;
        st.on_message_complete = cb_message_complete;
        return st;
    }();
    return s;
}

void append_uint(std::string& out, uint64_t v) {
    char buf[24];
    char* e = buf + sizeof buf;
    char* b = e;
    do {
        *--b = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v);
    out.append(b, static_cast<size_t>(e - b));
}

}  // namespace

class HttpConnection {
  public:
    HttpConnection(HttpServer& srv, int fd) : _srv(srv), _stream(fd) {
        _timer.self = this;
        _hot_timer.self = this;
        llhttp_init(&_parser, HTTP_REQUEST, &parser_settings());
        _parser.data = &_ctx;
        _ctx.max_header_bytes = srv._opts.max_header_bytes;
        _ctx.max_body_bytes = srv._opts.max_body_bytes;
        _next = srv._conns;
        if (_next) _next->_prev = this;
        srv._conns = this;
        ++srv._stats.connections_open;
    }
    ~HttpConnection() {
        if (_blk) _srv.release_block(_blk);
        if (_prev)
            _prev->_next = _next;
        else
            _srv._conns = _next;
        if (_next) _next->_prev = _prev;
        --_srv._stats.connections_open;
    }
    HttpConnection(const HttpConnection&) = delete;
    HttpConnection& operator=(const HttpConnection&) = delete;

    Task<void> run();

    bool idle() const noexcept { return _idle; }
    void cancel() noexcept {
        _cs.cancel();
        _hot.cancel();
    }
    HttpConnection* next() const noexcept { return _next; }

  private:
    struct ConnTimer : Timer {
        ConnTimer() : Timer(&ConnTimer::fire) {}
        static void fire(Timer* t) noexcept {
            HttpConnection* c = static_cast<ConnTimer*>(t)->self;
            c->_timed_out = true;
            c->_cs.cancel();
        }
        HttpConnection* self = nullptr;
    };

    struct HotTimer : Timer {
        HotTimer() : Timer(&HotTimer::fire) {}
        static void fire(Timer* t) noexcept { static_cast<HotTimer*>(t)->self->_hot.cancel(); }
        HttpConnection* self = nullptr;
    };

    void arm(uint64_t ms) noexcept {
        Reactor& r = Reactor::current();
        r.timers().schedule(_timer, r.now_ms() + ms);
    }
    void disarm() noexcept { Reactor::current().timers().cancel(_timer); }
    bool make_room();
    void fill_request();
    void build_head(bool keep_alive);
    Task<void> send_error(int status);

    HttpServer& _srv;
    TcpStream _stream;
    CancelSource _cs;
    ConnTimer _timer;
    CancelSource _hot;  // the short post-response recv (hot window)
    HotTimer _hot_timer;
    bool _idle = false;
    bool _timed_out = false;
    HttpConnection* _prev = nullptr;
    HttpConnection* _next = nullptr;
    llhttp_t _parser{};
    ParseCtx _ctx;
    HttpServer::RequestBlock* _blk = nullptr;
    size_t _start = 0, _parsed = 0, _end = 0;
    uint64_t _msg_start_ms = 0;
};

bool HttpConnection::make_room() {
    if (_start > 0) {
        size_t shift = _start;
        std::memmove(_blk->buf, _blk->buf + _start, _end - _start);
        _end -= shift;
        _parsed -= shift;
        _start = 0;
        _ctx.msg_start -= std::min(_ctx.msg_start, shift);
        if (_ctx.url_len) _ctx.url_off -= shift;
        for (size_t i = 0; i < _ctx.nh; ++i) {
            _blk->hdr[i].name_off -= shift;
            if (_blk->hdr[i].value_len) _blk->hdr[i].value_off -= shift;
        }
        if (_ctx.body_len && !_ctx.body_copy) _ctx.body_off -= shift;
        return true;
    }
    // The buffer holds only the current message and is full.
    const auto& o = _srv._opts;
    if (!_ctx.headers_done && _blk->cap >= o.max_header_bytes) {
        _ctx.error_status = 431;
        return false;
    }
    size_t limit = o.max_header_bytes + o.max_body_bytes + 64 * 1024;  // + chunk framing
    if (_blk->cap >= limit) {
        _ctx.error_status = _ctx.headers_done ? 413 : 431;
        return false;
    }
    size_t ncap = std::min(limit, _blk->cap * 2);
    char* nb = static_cast<char*>(std::realloc(_blk->buf, ncap));
    if (!nb) {
        _ctx.error_status = 413;
        return false;
    }
    _blk->buf = nb;
    _blk->cap = ncap;
    return true;
}

void HttpConnection::fill_request() {
    HttpRequest& r = _blk->req;
    const char* b = _blk->buf;
    auto method = static_cast<llhttp_method_t>(_parser.method);
    r._method = llhttp_method_name(method);
    r._is_head = method == HTTP_HEAD;
    r._is_get = method == HTTP_GET;
    r._target = std::string_view(b + _ctx.url_off, _ctx.url_len);
    size_t q = r._target.find('?');
    r._path = r._target.substr(0, q);
    r._query = q == std::string_view::npos ? std::string_view() : r._target.substr(q + 1);
    r._vmajor = _parser.http_major;
    r._vminor = _parser.http_minor;
    r._keep_alive = llhttp_should_keep_alive(&_parser) != 0;
    r._fd = _stream.fd();
    r._cancel = _cs;
    r._header_count = _ctx.nh;
    for (size_t i = 0; i < _ctx.nh; ++i) {
        const auto& h = _blk->hdr[i];
        r._headers[i] = HttpHeader{std::string_view(b + h.name_off, h.name_len),
                                   std::string_view(b + h.value_off, h.value_len)};
    }
    r._body = _ctx.body_copy ? std::string_view(_blk->body_copy)
                             : std::string_view(b + _ctx.body_off, _ctx.body_len);
}

void HttpConnection::build_head(bool keep_alive) {
    HttpResponse& res = _blk->res;
    std::string& out = _blk->out;
    const HttpRequest& req = _blk->req;
    out.clear();
    out.append("HTTP/1.1 ");
    append_uint(out, static_cast<uint64_t>(res._status));
    out.push_back(' ');
    out.append(http_reason(res._status));
    out.append("\r\nDate: ");
    out.append(http_date_now());
    out.append("\r\n");
    bool no_body_status =
        res._status == 204 || res._status == 304 || (res._status >= 100 && res._status < 200);
    if (!no_body_status) {
        out.append("Content-Length: ");
        append_uint(out, res.body_size());
        out.append("\r\n");
    }
    if (!keep_alive)
        out.append("Connection: close\r\n");
    else if (req._vmajor == 1 && req._vminor == 0)
        out.append("Connection: keep-alive\r\n");
    out.append(res._headers);
    out.append("\r\n");
}

Task<void> HttpConnection::send_error(int status) {
    ++_srv._stats.bad_requests;
    std::string msg = "HTTP/1.1 ";
    append_uint(msg, static_cast<uint64_t>(status));
    msg.push_back(' ');
    std::string_view reason = http_reason(status);
    msg.append(reason);
    msg.append("\r\nDate: ");
    msg.append(http_date_now());
    msg.append("\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ");
    append_uint(msg, reason.size());
    msg.append("\r\nConnection: close\r\n\r\n");
    msg.append(reason);
    arm(_srv._opts.write_timeout_ms);
    // The connection's own source may already be cancelled (timeout): use a plain deadline.
    co_await _stream.send_all(msg, {}, _srv._opts.write_timeout_ms);
    disarm();
    ::shutdown(_stream.fd(), SHUT_WR);
}

Task<void> HttpConnection::run() {
    const HttpServerOptions& o = _srv._opts;
    HttpHandler& handler = _srv._handler;
    int fd = _stream.fd();
    for (;;) {
        bool have_bytes = false;
        if (_start == _end) {
            _start = _parsed = _end = 0;
            if (_srv._draining) co_return;
            if (_blk && o.hot_window_ms > 0) {
                // Hot window: a busy keep-alive client sends its next request soon; a
                // plain recv on the buffer we already hold saves a POLL round trip.
                _hot.reset();
                _idle = true;
                Reactor& r = Reactor::current();
                r.timers().schedule(_hot_timer, r.now_ms() + o.hot_window_ms);
                int n = co_await _stream.recv(std::span<char>(_blk->buf, _blk->cap), _hot);
                r.timers().cancel(_hot_timer);
                _idle = false;
                if (n > 0) {
                    _end = static_cast<size_t>(n);
                    have_bytes = true;
                    _ctx.reset(0);
                    _msg_start_ms = r.now_ms();
                    arm(o.header_timeout_ms);
                } else if (n != -ECANCELED || _cs.cancelled() || _srv._draining) {
                    co_return;  // peer closed, socket error, or drain
                }
            }
            if (!have_bytes) {
                // Nothing buffered: wait for readability without holding a buffer.
                if (_blk) {
                    _srv.release_block(_blk);
                    _blk = nullptr;
                }
                _idle = true;
                arm(o.idle_timeout_ms);
                int r = co_await uring_op(
                    [fd](io_uring_sqe* s) { io_uring_prep_poll_add(s, fd, POLLIN | POLLRDHUP); }, _cs);
                _idle = false;
                if (r < 0) co_return;  // idle timeout, drain, or socket error: close quietly
                _blk = _srv.acquire_block();
                _ctx.blk = _blk;
                _ctx.reset(0);
                _msg_start_ms = Reactor::current().now_ms();
                arm(o.header_timeout_ms);
            }
        }
        if (!have_bytes) {
            if (_end == _blk->cap && !make_room()) {
                co_await send_error(_ctx.error_status);
                co_return;
            }
            int n = co_await _stream.recv(std::span<char>(_blk->buf + _end, _blk->cap - _end), _cs);
            if (n <= 0) {
                if (_timed_out && _end > _start) co_await send_error(408);
                co_return;
            }
            _end += static_cast<size_t>(n);
        }

        while (_parsed < _end) {
            _ctx.base = _blk->buf;
            llhttp_errno_t err = llhttp_execute(&_parser, _blk->buf + _parsed, _end - _parsed);
            if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
                _parsed = static_cast<size_t>(llhttp_get_error_pos(&_parser) - _blk->buf);
                disarm();
                fill_request();
                HttpRequest& req = _blk->req;
                HttpResponse& res = _blk->res;
                res.reset();
                ++_srv._stats.requests;
                if (!handler.try_handle(req, res)) co_await handler.handle(req, res);
                bool keep = req._keep_alive && !res._close && !_srv._draining && err == HPE_PAUSED;
                build_head(keep);
                bool send_body = !req._is_head && res._status != 204 && res._status != 304;
                arm(o.write_timeout_ms);
                int64_t sent;
                if (send_body && res._file_fd >= 0) {
                    // The head goes corked (MSG_MORE) so it leaves with the file's first bytes.
                    iovec head{_blk->out.data(), _blk->out.size()};
                    sent = co_await _stream.sendv_all(&head, 1, _cs, -1, /*more=*/res._file_len > 0);
                    if (sent >= 0)
                        sent = co_await _stream.send_file(res._file_fd, res._file_off, res._file_len, _cs);
                } else {
                    iovec iov[2] = {{_blk->out.data(), _blk->out.size()},
                                    {const_cast<char*>(res._body.data()), send_body ? res._body.size() : 0}};
                    sent = co_await _stream.sendv_all(iov, iov[1].iov_len ? 2 : 1, _cs);
                }
                if (res._file_fd >= 0 && res._file_close) ::close(res._file_fd);
                res._file_fd = -1;
                res._keep.reset();
                disarm();
                if (sent < 0 || !keep) co_return;
                llhttp_resume(&_parser);
                _start = _parsed;
                _ctx.reset(_start);
                if (_start < _end) {
                    _msg_start_ms = Reactor::current().now_ms();
                    arm(o.header_timeout_ms);  // a pipelined request has started
                }
                continue;
            }
            if (err == HPE_OK) {
                _parsed = _end;
                break;
            }
            co_await send_error(_ctx.error_status ? _ctx.error_status : 400);
            co_return;
        }
        if (_start == _end) continue;  // everything answered: go idle
        if (_ctx.headers_done) {
            // Headers are in; the body is still arriving.
            if (_ctx.expect_continue && !_ctx.sent_continue) {
                _ctx.sent_continue = true;
                static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
                if (co_await _stream.send_all(kContinue, _cs) < 0) co_return;
            }
            uint64_t deadline = _msg_start_ms + o.request_timeout_ms;
            uint64_t now = Reactor::current().now_ms();
            arm(deadline > now ? deadline - now : 0);
        }
    }
}

// ----------------------------------------------------------------------------- server

HttpServer::HttpServer(HttpHandler& handler, HttpServerOptions opts) : _handler(handler), _opts(opts) {}

HttpServer::~HttpServer() {
    for (RequestBlock* b : _free_blocks)
        delete b;
}

HttpServer::RequestBlock* HttpServer::acquire_block() {
    if (!_free_blocks.empty()) {
        RequestBlock* b = _free_blocks.back();
        _free_blocks.pop_back();
        return b;
    }
    return new RequestBlock();
}

void HttpServer::release_block(RequestBlock* b) noexcept {
    // Keep a bounded pool; a burst of large requests does not pin memory forever.
    if (_free_blocks.size() >= 256) {
        delete b;
        return;
    }
    try {
        b->trim();
        _free_blocks.push_back(b);
    } catch (...) {
        delete b;
    }
}

Task<void> HttpServer::run_connection(int fd) {
    HttpConnection c(*this, fd);
    // Responses leave in as few sends as we can make them; never let Nagle hold the
    // tail of one back for a delayed ACK (keep-alive clients wait for it).
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    co_await c.run();
}

void HttpServer::serve_connection(int fd) {
    ++_stats.connections_accepted;
    if (!spawn(_gate, run_connection(fd))) ::close(fd);
}

Task<void> HttpServer::serve(TcpListener& l) {
    _listeners.push_back(&l);
    for (;;) {
        int fd = co_await l.accept();
        if (fd < 0) {
            if (fd == -ECANCELED || _draining) break;
            continue;
        }
        if (_draining) {
            ::close(fd);
            continue;
        }
        serve_connection(fd);
    }
    std::erase(_listeners, &l);
}

Task<void> HttpServer::drain(uint64_t timeout_ms) {
    _draining = true;
    std::vector<TcpListener*> ls = _listeners;
    for (TcpListener* l : ls)
        co_await l->close();
    for (HttpConnection* c = _conns; c; c = c->next())
        if (c->idle()) c->cancel();
    uint64_t deadline = Reactor::current().refresh_now() + timeout_ms;
    while (_gate.count() > 0 && Reactor::current().refresh_now() < deadline)
        co_await sleep_for(Millis(5));
    for (HttpConnection* c = _conns; c; c = c->next())
        c->cancel();
    co_await _gate.close();
}

}  // namespace ec::rt
