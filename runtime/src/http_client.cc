#include "runtime/http_client.h"

#include <llhttp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "runtime/http_message.h"
#include "runtime/reactor.h"
#include "runtime/time.h"

namespace ec::rt {

struct HttpClient::Conn {
    TcpStream stream;
    std::unique_ptr<TlsSession> tls;
    uint64_t idle_since_ms = 0;

    Task<int> read(std::span<char> buf, CancelToken tok) {
        if (tls) co_return co_await tls->read(stream, buf, tok);
        co_return co_await stream.recv(buf, tok);
    }
    Task<int> write_all(std::span<const char> data, CancelToken tok) {
        if (tls) co_return co_await tls->write_all(stream, data, tok);
        int64_t r = co_await stream.send_all(data, tok);
        co_return r < 0 ? static_cast<int>(r) : 0;
    }
};

namespace {

struct ResponseCtx {
    HttpClientResponse* res = nullptr;
    size_t max_body = 0;
    bool head_request = false;
    bool complete = false;
    bool too_large = false;
    bool in_value = false;
    int status = 0;
};

ResponseCtx& rctx(llhttp_t* p) {
    return *static_cast<ResponseCtx*>(p->data);
}

int on_begin(llhttp_t* p) {
    ResponseCtx& c = rctx(p);
    c.res->headers.clear();
    c.res->body.clear();
    c.in_value = false;
    return 0;
}
int on_header_field(llhttp_t* p, const char* at, size_t len) {
    ResponseCtx& c = rctx(p);
    if (c.res->headers.size() > 200) return -1;
    if (c.in_value || c.res->headers.empty()) {
        c.res->headers.emplace_back();
        c.in_value = false;
    }
    c.res->headers.back().first.append(at, len);
    return c.res->headers.back().first.size() > 8192 ? -1 : 0;
}
int on_header_value(llhttp_t* p, const char* at, size_t len) {
    ResponseCtx& c = rctx(p);
    c.in_value = true;
    c.res->headers.back().second.append(at, len);
    return c.res->headers.back().second.size() > 65536 ? -1 : 0;
}
int on_headers_complete(llhttp_t* p) {
    ResponseCtx& c = rctx(p);
    c.status = p->status_code;
    // HEAD responses carry no body whatever Content-Length says.
    return c.head_request ? 1 : 0;
}
int on_body(llhttp_t* p, const char* at, size_t len) {
    ResponseCtx& c = rctx(p);
    if (c.res->body.size() + len > c.max_body) {
        c.too_large = true;
        return -1;
    }
    c.res->body.append(at, len);
    return 0;
}
int on_complete(llhttp_t* p) {
    ResponseCtx& c = rctx(p);
    if (p->status_code >= 100 && p->status_code < 200) return 0;  // interim response: keep reading
    c.complete = true;
    return HPE_PAUSED;
}

const llhttp_settings_t& response_settings() {
    static const llhttp_settings_t s = [] {
        llhttp_settings_t st;
        llhttp_settings_init(&st);
        st.on_message_begin = on_begin;
        st.on_header_field = on_header_field;
        st.on_header_value = on_header_value;
        st.on_headers_complete = on_headers_complete;
        st.on_body = on_body;
        st.on_message_complete = on_complete;
        return st;
    }();
    return s;
}

struct DeadlineTimer : Timer {
    DeadlineTimer() : Timer(&DeadlineTimer::fire) {}
    static void fire(Timer* t) noexcept {
        auto* d = static_cast<DeadlineTimer*>(t);
        d->expired = true;
        d->target->cancel();
    }
    CancelSource* target = nullptr;
    bool expired = false;
};

struct CancelBridge : CancelCallback {
    CancelBridge() : CancelCallback(&CancelBridge::fire) {}
    static void fire(CancelCallback* cb) noexcept { static_cast<CancelBridge*>(cb)->target->cancel(); }
    CancelSource* target = nullptr;
};

std::string errno_text(int e) {
    return std::strerror(e < 0 ? -e : e);
}

}  // namespace

std::string_view HttpClientResponse::header(std::string_view name) const noexcept {
    for (const auto& [k, v] : headers)
        if (iequals(k, name)) return v;
    return {};
}

HttpClient::HttpClient(HttpClientOptions opts) : _opts(std::move(opts)) {}
HttpClient::~HttpClient() = default;

size_t HttpClient::idle_connections() const {
    size_t n = 0;
    for (const auto& [k, v] : _idle)
        n += v.size();
    return n;
}

bool HttpClient::parse_url(std::string_view url, Url& u, std::string& err) {
    std::string_view rest;
    if (url.starts_with("https://")) {
        u.tls = true;
        rest = url.substr(8);
    } else if (url.starts_with("http://")) {
        rest = url.substr(7);
    } else {
        err = "unsupported URL scheme (http and https only): " + std::string(url.substr(0, 32));
        return false;
    }
    size_t end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, end);
    std::string_view tail = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    if (auto at = authority.rfind('@'); at != std::string_view::npos)
        authority.remove_prefix(at + 1);  // userinfo
    std::string_view host = authority, port;
    if (authority.starts_with('[')) {
        size_t close = authority.find(']');
        if (close == std::string_view::npos) {
            err = "invalid IPv6 host in URL";
            return false;
        }
        host = authority.substr(1, close - 1);
        if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
    } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host.empty()) {
        err = "URL has no host";
        return false;
    }
    unsigned p = u.tls ? 443 : 80;
    if (!port.empty()) {
        auto r = std::from_chars(port.data(), port.data() + port.size(), p);
        if (r.ec != std::errc() || r.ptr != port.data() + port.size() || p == 0 || p > 65535) {
            err = "invalid port in URL";
            return false;
        }
    }
    u.host = std::string(host);
    u.port = static_cast<uint16_t>(p);
    size_t hash = tail.find('#');
    u.target = std::string(tail.substr(0, hash));
    if (u.target.empty() || u.target[0] == '?') u.target.insert(0, "/");
    bool v6 = host.find(':') != std::string_view::npos;
    std::string hostport = v6 ? "[" + u.host + "]" : u.host;
    bool default_port = (u.tls && p == 443) || (!u.tls && p == 80);
    u.host_header = default_port ? hostport : hostport + ":" + std::to_string(p);
    u.origin = std::string(u.tls ? "https://" : "http://") + hostport + ":" + std::to_string(p);
    return true;
}

std::unique_ptr<HttpClient::Conn> HttpClient::take_idle(const std::string& origin) {
    auto it = _idle.find(origin);
    if (it == _idle.end()) return nullptr;
    auto& v = it->second;
    uint64_t now = Reactor::current().refresh_now();
    while (!v.empty()) {
        std::unique_ptr<Conn> c = std::move(v.back());
        v.pop_back();
        if (now - c->idle_since_ms > _opts.idle_timeout_ms) continue;
        // A pooled connection the server closed (or wrote to) must not be reused.
        char b;
        ssize_t r = ::recv(c->stream.fd(), &b, 1, MSG_PEEK | MSG_DONTWAIT);
        if (r == 0 || r > 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) continue;
        return c;
    }
    return nullptr;
}

void HttpClient::put_idle(const std::string& origin, std::unique_ptr<Conn> c) {
    auto& v = _idle[origin];
    if (v.size() >= _opts.max_idle_per_origin) return;  // closes c
    c->idle_since_ms = Reactor::current().refresh_now();
    v.push_back(std::move(c));
}

Task<std::unique_ptr<HttpClient::Conn>> HttpClient::open(const Url& u, CancelToken tok, std::string& err) {
    std::vector<SocketAddress> addrs;
    if (auto lit =
            SocketAddress::parse((u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host) + ":" +
                                 std::to_string(u.port))) {
        addrs.push_back(*lit);
    } else if (_opts.resolver) {
        DnsResult d = co_await _opts.resolver->resolve(u.host, u.port);
        if (d.error) {
            err = d.message;
            co_return nullptr;
        }
        addrs = std::move(d.addresses);
    } else {
        err = "cannot resolve " + u.host + ": no DNS resolver configured";
        co_return nullptr;
    }
    std::string last;
    for (const auto& a : addrs) {
        if (_opts.address_filter && !_opts.address_filter(a)) {
            last = "address " + a.host_string() + " of " + u.host +
                   " is not allowed (private or reserved range)";
            continue;
        }
        if (tok.cancelled()) break;
        ConnectResult cr = co_await connect(a, _opts.connect_timeout_ms, tok);
        if (cr.error) {
            last = "connect to " + a.to_string() + ": " + errno_text(cr.error);
            continue;
        }
        auto c = std::make_unique<Conn>();
        c->stream = std::move(cr.stream);
        ++_opened;
        if (u.tls) {
            try {
                if (!_tls) _tls = TlsContext::client(_opts.tls);
                c->tls = std::make_unique<TlsSession>(_tls, u.host);
            } catch (const std::exception& e) {
                err = e.what();
                co_return nullptr;
            }
            int h = co_await c->tls->handshake(c->stream, tok);
            if (h < 0) {
                err =
                    "TLS handshake with " + u.host + ": " + (h == -EPROTO ? c->tls->error() : errno_text(h));
                co_return nullptr;
            }
        }
        co_return c;
    }
    err = last.empty() ? "no address to connect to for " + u.host : last;
    co_return nullptr;
}

Task<int> HttpClient::exchange(Conn& c, const Url& u, const HttpClientRequest& req, HttpClientResponse& res,
                               CancelToken tok) {
    std::string out;
    out.reserve(256 + req.body.size());
    out.append(req.method).append(" ").append(u.target).append(" HTTP/1.1\r\n");
    bool has_host = false;
    for (const auto& [k, v] : req.headers) {
        if (iequals(k, "host")) has_host = true;
        if (iequals(k, "content-length") || iequals(k, "transfer-encoding") || iequals(k, "connection"))
            continue;
        out.append(k).append(": ").append(v).append("\r\n");
    }
    if (!has_host) out.append("Host: ").append(u.host_header).append("\r\n");
    if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH")
        out.append("Content-Length: ").append(std::to_string(req.body.size())).append("\r\n");
    out.append("\r\n").append(req.body);
    int w = co_await c.write_all(out, tok);
    if (w < 0) {
        res.error = "send: " + (w == -EPROTO && c.tls ? c.tls->error() : errno_text(w));
        co_return w;
    }

    llhttp_t parser;
    llhttp_init(&parser, HTTP_RESPONSE, &response_settings());
    ResponseCtx ctx;
    ctx.res = &res;
    ctx.max_body = req.max_response_bytes;
    ctx.head_request = req.method == "HEAD";
    parser.data = &ctx;
    char buf[16384];
    size_t total = 0;
    for (;;) {
        int n = co_await c.read(std::span<char>(buf, sizeof buf), tok);
        if (n < 0) {
            res.error = "receive: " + (n == -EPROTO && c.tls ? c.tls->error() : errno_text(n));
            co_return total == 0 ? -ECONNRESET : n;
        }
        if (n == 0) {
            // End of stream: completes a close-delimited body, otherwise it is an error.
            if (llhttp_finish(&parser) == HPE_OK && ctx.complete) break;
            if (ctx.complete) break;
            res.error = total == 0 ? "connection closed before any response byte"
                                   : "connection closed before the response was complete";
            co_return total == 0 ? -ECONNRESET : -EPIPE;
        }
        total += static_cast<size_t>(n);
        llhttp_errno_t e = llhttp_execute(&parser, buf, static_cast<size_t>(n));
        if (e == HPE_PAUSED) {
            const char* pos = llhttp_get_error_pos(&parser);
            if (pos != buf + n) c.idle_since_ms = UINT64_MAX;  // stray bytes: not reusable
            break;
        }
        if (e != HPE_OK) {
            res.error = ctx.too_large
                            ? "response body larger than " + std::to_string(req.max_response_bytes) + " bytes"
                            : std::string("malformed response: ") + llhttp_errno_name(e);
            co_return -EBADMSG;
        }
    }
    res.status = ctx.status;
    if (!llhttp_should_keep_alive(&parser)) c.idle_since_ms = UINT64_MAX;
    co_return 0;
}

Task<HttpClientResponse> HttpClient::request(HttpClientRequest req, CancelToken tok) {
    HttpClientResponse res;
    Url u;
    std::string err;
    if (!parse_url(req.url, u, err)) {
        res.error = err;
        co_return res;
    }
    CancelSource cs;
    DeadlineTimer deadline;
    deadline.target = &cs;
    Reactor& r = Reactor::current();
    r.timers().schedule(deadline, r.refresh_now() + req.timeout_ms);
    CancelBridge bridge;
    bridge.target = &cs;
    if (tok.source() && !tok.source()->add(&bridge)) cs.cancel();

    for (int attempt = 0; attempt < 2; ++attempt) {
        std::unique_ptr<Conn> c = attempt == 0 ? take_idle(u.origin) : nullptr;
        bool reused = static_cast<bool>(c);
        if (!c) {
            c = co_await open(u, cs, err);
            if (!c) {
                res.error = cs.cancelled() ? (deadline.expired
                                                  ? "timeout after " + std::to_string(req.timeout_ms) + " ms"
                                                  : "cancelled")
                                           : err;
                break;
            }
        }
        HttpClientResponse attempt_res;
        attempt_res.reused_connection = reused;
        c->idle_since_ms = 0;
        int rc = co_await exchange(*c, u, req, attempt_res, cs);
        if (rc == 0) {
            res = std::move(attempt_res);
            if (c->idle_since_ms != UINT64_MAX) put_idle(u.origin, std::move(c));
            break;
        }
        if (cs.cancelled()) {
            res.error =
                deadline.expired ? "timeout after " + std::to_string(req.timeout_ms) + " ms" : "cancelled";
            break;
        }
        // A pooled connection the server had already closed: retry once on a fresh one.
        if (reused && rc == -ECONNRESET) continue;
        res.error = attempt_res.error;
        break;
    }
    CancelSource::remove_if_registered(&bridge);
    r.timers().cancel(deadline);
    co_return res;
}

}  // namespace ec::rt
