#include "cdp_client.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "runtime/reactor.h"

namespace ec::rs {

namespace {

constexpr size_t kReadChunk = size_t{256} << 10;

// EC_CDP_TRACE=1 prints every message (truncated) to stderr: a debugging aid.
bool trace_enabled() {
    static const bool kTraceOn = [] {
        const char* v = getenv("EC_CDP_TRACE");  // NOLINT(concurrency-mt-unsafe): read once
        return v && *v == '1';
    }();
    return kTraceOn;
}
void trace(const char* dir, std::string_view msg) {
    std::fprintf(stderr, "cdp %s %.*s\n", dir, static_cast<int>(std::min<size_t>(msg.size(), 400)),
                 msg.data());
}
constexpr size_t kPad = simdjson::SIMDJSON_PADDING;

std::string copy_padded(const char* p, size_t n) {
    std::string s;
    s.reserve(n + kPad);
    s.assign(p, n);
    return s;
}

// `{"id":123,` → 123 and whether "error" follows. Chromium always writes the id first;
// anything else falls back to a full parse.
bool fast_reply_prefix(const char* p, size_t n, uint64_t& id, bool& is_error) {
    static constexpr std::string_view kId = "{\"id\":";
    if (n < kId.size() + 2 || std::memcmp(p, kId.data(), kId.size()) != 0) return false;
    size_t i = kId.size();
    uint64_t v = 0;
    size_t digits = 0;
    while (i < n && p[i] >= '0' && p[i] <= '9' && digits < 19) {
        v = v * 10 + static_cast<uint64_t>(p[i] - '0');
        ++i;
        ++digits;
    }
    if (digits == 0 || i >= n || p[i] != ',') return false;
    static constexpr std::string_view kResult = ",\"result\":";
    static constexpr std::string_view kError = ",\"error\":";
    std::string_view rest(p + i, n - i);
    if (rest.starts_with(kResult)) {
        is_error = false;
    } else if (rest.starts_with(kError)) {
        is_error = true;
    } else {
        return false;
    }
    id = v;
    return true;
}

}  // namespace

const char* to_string(CdpStatus s) noexcept {
    switch (s) {
        case CdpStatus::pending:
            return "pending";
        case CdpStatus::ok:
            return "ok";
        case CdpStatus::error:
            return "error";
        case CdpStatus::timeout:
            return "timeout";
        case CdpStatus::closed:
            return "closed";
    }
    return "?";
}

JsonView CdpResult::result(simdjson::dom::parser& p) const {
    if (raw.empty()) return {};
    simdjson::dom::element doc;
    const bool padded = raw.capacity() >= raw.size() + kPad;
    if (p.parse(raw.data(), raw.size(), !padded).get(doc) != simdjson::SUCCESS) return {};
    return JsonView(doc)["result"];
}

// ----------------------------------------------------------------------------- CdpCall

CdpCall::CdpCall(CdpClient& client, std::string_view method, std::string_view params_json,
                 std::string_view session, Signal* notify)
    : _client(&client), _notify(notify ? notify : &_own) {
    if (!client.is_open()) {
        _res.status = CdpStatus::closed;
        _res.message = "DevTools connection closed: " + client.close_reason();
        return;
    }
    _id = client.enqueue(method, params_json, session);
    client._pending.emplace(_id, this);
}

CdpCall::~CdpCall() {
    if (_res.status == CdpStatus::pending && _id != 0) _client->_pending.erase(_id);
}

void CdpCall::complete(CdpStatus st, std::string message, std::string raw) noexcept {
    _res.status = st;
    _res.message = std::move(message);
    _res.raw = std::move(raw);
    _notify->notify();
}

rt::Task<bool> CdpCall::wait(uint64_t deadline_ms, rt::CancelToken tok) {
    while (!done()) {
        co_await _notify->wait_until(deadline_ms, tok);
        if (done()) break;
        if (tok.cancelled() || (deadline_ms != kNoDeadline && now_ms() >= deadline_ms)) break;
    }
    co_return done();
}

CdpResult CdpCall::take() {
    if (_res.status == CdpStatus::pending) {
        _client->_pending.erase(_id);
        _id = 0;
        _res.status = CdpStatus::timeout;
        _res.message = "no reply from Chromium in time";
    }
    return std::move(_res);
}

// ----------------------------------------------------------------------------- CdpClient

CdpClient::CdpClient(rt::UniqueFd to_chrome, rt::UniqueFd from_chrome,
                     std::function<void(std::string_view)> on_closed, Options opts)
    : _to(std::move(to_chrome)),
      _from(std::move(from_chrome)),
      _on_closed(std::move(on_closed)),
      _opts(opts) {
    _rbuf.resize(kReadChunk + kPad);
}

CdpClient::~CdpClient() {
    if (_gate.count() != 0) {
        std::fprintf(stderr, "CdpClient destroyed with I/O in flight (close() not awaited); aborting\n");
        std::abort();
    }
    // Pending calls outlive us only in their owners' frames: detach them.
    for (auto& [id, call] : _pending) {
        call->_id = 0;
        call->complete(CdpStatus::closed, "DevTools connection destroyed", {});
    }
}

void CdpClient::start() {
    if (_started) return;
    _started = true;
    rt::spawn(_gate, read_loop());
}

rt::Task<void> CdpClient::close() {
    if (_open) {
        _open = false;
        if (_close_reason.empty()) _close_reason = "closed by the engine";
    }
    _stop.cancel();
    co_await _gate.close();
    // Anything still waiting learns the connection is gone.
    auto pending = std::move(_pending);
    _pending.clear();
    for (auto& [id, call] : pending) {
        call->_id = 0;
        call->complete(CdpStatus::closed, "DevTools connection closed: " + _close_reason, {});
    }
    auto sinks = std::move(_sinks);
    _sinks.clear();
    for (auto& [session, sink] : sinks)
        sink->on_cdp_detached(session, _close_reason);
}

void CdpClient::add_sink(std::string_view session, CdpEventSink* sink) {
    _sinks.emplace_back(std::string(session), sink);
}

void CdpClient::remove_sink(std::string_view session) noexcept {
    for (size_t i = 0; i < _sinks.size(); ++i) {
        if (_sinks[i].first == session) {
            _sinks[i] = std::move(_sinks.back());
            _sinks.pop_back();
            return;
        }
    }
}

CdpEventSink* CdpClient::find_sink(std::string_view session) const noexcept {
    for (const auto& [s, sink] : _sinks)
        if (s == session) return sink;
    return nullptr;
}

uint64_t CdpClient::enqueue(std::string_view method, std::string_view params, std::string_view session) {
    const uint64_t id = _next_id++;
    _out += "{\"id\":";
    _out += std::to_string(id);
    _out += ",\"method\":";
    json_append_string(_out, method);
    _out += ",\"params\":";
    _out += params.empty() ? std::string_view("{}") : params;
    if (!session.empty()) {
        _out += ",\"sessionId\":";
        json_append_string(_out, session);
    }
    _out += "}";
    if (trace_enabled()) trace(">>", std::string_view(_out).substr(_out.rfind("{\"id\":")));
    _out.push_back('\0');
    if (!_writer_running && _open) {
        _writer_running = true;
        if (!rt::spawn(_gate, write_loop())) _writer_running = false;
    }
    return id;
}

bool CdpClient::send(std::string_view method, std::string_view params_json, std::string_view session) {
    if (!_open) return false;
    enqueue(method, params_json, session);
    return true;
}

rt::Task<CdpResult> CdpClient::call(std::string_view method, std::string params_json, std::string session,
                                    uint64_t deadline_ms, rt::CancelToken tok) {
    CdpCall c(*this, method, params_json, session);
    co_await c.wait(deadline_ms, tok);
    co_return c.take();
}

rt::Task<void> CdpClient::write_loop() {
    // Let the rest of this loop turn queue more commands: they leave in one write.
    co_await rt::yield();
    while (_open && !_out.empty()) {
        std::swap(_out, _writing);
        const int64_t r = co_await rt::pipe_write_all(_to.get(), _writing, _stop, _opts.write_timeout_ms);
        _writing.clear();
        if (r < 0) {
            if (_open) {
                fail(r == -ECANCELED && !_stop.cancelled()
                         ? "write to Chromium made no progress for " +
                               std::to_string(_opts.write_timeout_ms) + " ms"
                         : "write to Chromium failed: " +
                               std::generic_category().message(static_cast<int>(-r)));
            }
            break;
        }
    }
    _writer_running = false;
}

rt::Task<void> CdpClient::read_loop() {
    for (;;) {
        // Keep room for a chunk plus the parser padding after the data.
        if (_rbuf.size() < _rlen + kReadChunk + kPad)
            _rbuf.resize(std::max(_rbuf.size() * 2, _rlen + kReadChunk + kPad));
        const size_t room = _rbuf.size() - _rlen - kPad;
        const int n = co_await rt::pipe_read(_from.get(), std::span<char>(_rbuf.data() + _rlen, room), _stop);
        if (n == -EINTR || n == -EAGAIN) continue;
        if (n <= 0) {
            if (_open && !_stop.cancelled())
                fail(n == 0 ? "Chromium closed the DevTools pipe"
                            : "read from Chromium failed: " + std::generic_category().message(-n));
            co_return;
        }
        _bytes_in += static_cast<uint64_t>(n);
        _rlen += static_cast<size_t>(n);
        while (_open) {
            const char* base = _rbuf.data();
            const void* z = std::memchr(base + _rscan, '\0', _rlen - _rscan);
            if (!z) break;
            const size_t end = static_cast<size_t>(static_cast<const char*>(z) - base);
            ++_messages_in;
            dispatch(base + _rstart, end - _rstart);
            _rstart = _rscan = end + 1;
        }
        if (!_open) co_return;
        _rscan = _rlen;
        if (_rlen - _rstart > _opts.max_message_bytes) {
            fail("a DevTools message exceeds " + std::to_string(_opts.max_message_bytes) + " bytes");
            co_return;
        }
        if (_rstart > 0) {
            std::memmove(_rbuf.data(), _rbuf.data() + _rstart, _rlen - _rstart);
            _rlen -= _rstart;
            _rscan -= _rstart;
            _rstart = 0;
        }
        // Give back memory after a huge message (a 20 MiB page) once it is consumed.
        if (_rlen == 0 && _rbuf.size() > 4 * (kReadChunk + kPad)) {
            _rbuf.resize(kReadChunk + kPad);
            _rbuf.shrink_to_fit();
        }
    }
}

void CdpClient::dispatch(const char* msg, size_t len) {
    if (trace_enabled()) trace("<<", std::string_view(msg, len));
    uint64_t id = 0;
    bool is_error = false;
    if (fast_reply_prefix(msg, len, id, is_error)) {
        dispatch_reply(id, msg, len, is_error);
        return;
    }
    simdjson::dom::element doc;
    if (_parser.parse(msg, len, false).get(doc) != simdjson::SUCCESS) return;  // not JSON: ignore
    JsonView m(doc);
    if (JsonView idv = m["id"]; idv.valid()) {
        dispatch_reply(static_cast<uint64_t>(idv.i64()), msg, len, m["error"].valid());
        return;
    }
    const std::string_view method = m["method"].str();
    if (method.empty()) return;
    const std::string_view session = m["sessionId"].str();
    if (!session.empty()) {
        if (CdpEventSink* sink = find_sink(session)) sink->on_cdp_event(session, method, m["params"]);
        return;
    }
    if (method == "Target.detachedFromTarget") {
        const std::string_view s = m["params"]["sessionId"].str();
        if (CdpEventSink* sink = find_sink(s)) {
            const std::string gone(s);
            remove_sink(gone);
            sink->on_cdp_detached(gone, "target detached");
        }
    }
}

void CdpClient::dispatch_reply(uint64_t id, const char* msg, size_t len, bool is_error) {
    auto it = _pending.find(id);
    if (it == _pending.end()) return;  // fire-and-forget, or its waiter gave up
    CdpCall* call = it->second;
    _pending.erase(it);
    std::string message;
    if (is_error) {
        simdjson::dom::element doc;
        if (_parser.parse(msg, len, false).get(doc) == simdjson::SUCCESS) {
            JsonView e = JsonView(doc)["error"];
            message = std::string(e["message"].str("unknown error"));
            if (std::string_view data = e["data"].str(); !data.empty()) {
                message += ": ";
                message += data;
            }
        }
    }
    call->complete(is_error ? CdpStatus::error : CdpStatus::ok, std::move(message), copy_padded(msg, len));
}

void CdpClient::fail(std::string why) {
    if (!_open) return;
    _open = false;
    _close_reason = std::move(why);
    _stop.cancel();  // the other loop unwinds too
    auto pending = std::move(_pending);
    _pending.clear();
    for (auto& [id, call] : pending) {
        call->_id = 0;
        call->complete(CdpStatus::closed, "DevTools connection closed: " + _close_reason, {});
    }
    auto sinks = std::move(_sinks);
    _sinks.clear();
    for (auto& [session, sink] : sinks)
        sink->on_cdp_detached(session, _close_reason);
    if (_on_closed) _on_closed(_close_reason);
}

}  // namespace ec::rs
