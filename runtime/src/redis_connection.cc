#include "redis_connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <system_error>

#include "runtime/when_all.h"

namespace ec::rt::redis {

namespace detail {

namespace {

constexpr size_t kRecvBuffer = size_t{64} << 10;
// Bytes handed to the parser at a time: hiredis compacts its buffer after every 1 KB
// consumed, moving what is left, so feeding small chunks keeps that cost linear.
constexpr size_t kFeedChunk = size_t{16} << 10;
// A send buffer that grew past this (a huge value) is released after use.
constexpr size_t kKeepBuffer = size_t{1} << 20;

std::string errno_text(int err) {
    return std::error_code(err, std::generic_category()).message();
}

void set_keepalive(int fd) noexcept {
    // Detect a peer that vanished without a FIN/RST (pulled cable, dead VM) within ~30 s,
    // so a silent subscriber connection cannot miss invalidations forever.
    int on = 1, idle = 15, intvl = 5, cnt = 3, user_timeout_ms = 30'000;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
}

}  // namespace

// ------------------------------------------------------------------------- WaitQueue

WaitQueue::Awaiter::Awaiter(WaitQueue& q, uint64_t deadline_ms, CancelToken tok) noexcept
    : _q(q),
      _deadline_ms(deadline_ms),
      _tok(tok),
      _timer([](Timer* t) noexcept { static_cast<TimerNode*>(t)->self->wake(Outcome::timeout); }),
      _cancel(
          [](CancelCallback* cb) noexcept { static_cast<CancelHook*>(cb)->self->wake(Outcome::cancelled); }) {
    _timer.self = this;
    _cancel.self = this;
}

WaitQueue::Awaiter::~Awaiter() {
    unlink();
    CancelSource::remove_if_registered(&_cancel);
}

void WaitQueue::Awaiter::await_suspend(std::coroutine_handle<> h) noexcept {
    _h = h;
    _next = _q._head;
    _prev = nullptr;
    if (_q._head) _q._head->_prev = this;
    _q._head = this;
    _linked = true;
    if (_deadline_ms != UINT64_MAX) Reactor::current().timers().schedule(_timer, _deadline_ms);
    if (_tok.source()) _tok.source()->add(&_cancel);
}

void WaitQueue::Awaiter::unlink() noexcept {
    if (!_linked) return;
    if (_prev)
        _prev->_next = _next;
    else
        _q._head = _next;
    if (_next) _next->_prev = _prev;
    _prev = _next = nullptr;
    _linked = false;
    if (_timer.armed()) Reactor::current().timers().cancel(_timer);
}

void WaitQueue::Awaiter::wake(Outcome o) noexcept {
    unlink();
    CancelSource::remove_if_registered(&_cancel);
    _outcome = o;
    // From the ready queue: the notifier (or canceller) keeps running first.
    Reactor::current().post(_h);
}

WaitQueue::~WaitQueue() {
    while (_head)
        _head->unlink();
}

void WaitQueue::notify_all() noexcept {
    while (_head)
        _head->wake(Outcome::notified);
}

// ------------------------------------------------------------------------- Connection

Connection::Connection(Options opts, std::string_view role)
    : _opts(std::move(opts)), _role(role), _reactor(&Reactor::current()) {
    std::string err;
    auto a = SocketAddress::parse(_opts.addr, &err);
    if (!a) throw std::invalid_argument("redis address '" + _opts.addr + "': " + err);
    if (a->family() != AF_UNIX && a->host_string() == "0.0.0.0")
        throw std::invalid_argument("redis address '" + _opts.addr + "': needs a host (e.g. 127.0.0.1:6379)");
    if (_opts.db < 0) throw std::invalid_argument("redis db must be >= 0, got " + std::to_string(_opts.db));
    _addr = *a;
    _addr_text = _addr.to_string();
    _ring.assign(256, nullptr);
    _rng = (reinterpret_cast<uintptr_t>(this) ^ (_reactor->refresh_now() << 20)) | 1;
}

Connection::~Connection() {
    if (_gate.count() != 0) {
        std::fprintf(stderr, "%s %s destroyed without co_await close(); aborting\n", _role.c_str(),
                     _addr_text.c_str());
        std::terminate();
    }
}

uint64_t Connection::default_deadline_ms() const noexcept {
    return _reactor->now_ms() + static_cast<uint64_t>(_opts.command_timeout.count());
}

void Connection::ensure_started() {
    if (_state != State::idle) return;
    _state = State::connecting;
    spawn(_gate, supervise());
}

void Connection::set_state(State s) noexcept {
    if (_state == State::closed) return;
    _state = s;
    _state_waiters.notify_all();
}

Error Connection::make_error(Errc code, std::string_view command) const {
    std::string m = _role + " " + _addr_text;
    switch (code) {
        case Errc::not_connected:
            m += ": not connected";
            if (!_last_error.empty()) m += " (" + _last_error + ")";
            break;
        case Errc::closed:
            m += ": client closed";
            break;
        case Errc::cancelled:
            m += ": ";
            m += command;
            m += " cancelled";
            break;
        case Errc::connection_lost:
            m += " lost: " + _last_error;
            break;
        case Errc::timeout:
            m += ": ";
            m += command;
            m += " timed out";
            break;
    }
    return Error{code, std::move(m)};
}

Error Connection::timeout_error(const Call& c) const {
    uint64_t waited = c._deadline_ms > c._issued_ms ? c._deadline_ms - c._issued_ms : 0;
    return Error{Errc::timeout, _role + " " + _addr_text + ": " + c._name + " got no reply within " +
                                    std::to_string(waited) + " ms"};
}

uint64_t Connection::push_slot(Call* c) {
    if (_tail - _head == _ring.size()) {
        std::vector<Call*> bigger(_ring.size() * 2, nullptr);
        for (uint64_t s = _head; s != _tail; ++s)
            bigger[s & (bigger.size() - 1)] = _ring[s & (_ring.size() - 1)];
        _ring.swap(bigger);
    }
    _ring[_tail & (_ring.size() - 1)] = c;
    return _tail++;
}

Call* Connection::fifo_pop() noexcept {
    Call* c = _ring[_head & (_ring.size() - 1)];
    ++_head;
    return c;
}

void Connection::issue(Call& c, std::span<const ArgList> parts) {
    assert(Reactor::current_or_null() == _reactor &&
           "a redis client is used only on the core that created it");
    ++_stats.commands;
    if (_state == State::idle) ensure_started();
    if (_state == State::closed) return c.finish(make_error(Errc::closed, c._name));
    if (_state == State::down || (_state == State::connecting && !_queue_while_connecting))
        return c.finish(make_error(Errc::not_connected, c._name));
    append_command(_out, parts);
    c._seq = push_slot(&c);
    c._conn = this;
    if (_state == State::connected) wake_writer();
}

void Connection::issue_internal(std::span<const ArgList> parts, size_t replies) {
    append_command(_out, parts);
    for (size_t i = 0; i < replies; ++i)
        push_slot(nullptr);
    if (_state == State::connected) wake_writer();
}

void Connection::abandon(Call& c) noexcept {
    if (c._seq - _head < _tail - _head) _ring[c._seq & (_ring.size() - 1)] = nullptr;
    c._conn = nullptr;
}

void Connection::complete(Call& c, Result r) noexcept {
    c.finish(std::move(r));
    if (c._h) c._h.resume();
}

void Connection::fail_pending(Errc code, const std::string& message) noexcept {
    while (_head != _tail) {
        Call* c = fifo_pop();
        if (!c) continue;
        c->finish(Error{code, message});
        if (c->_h) _reactor->post(c->_h);
    }
}

void Connection::wake_writer() noexcept {
    if (_writer_idle) _reactor->post(std::exchange(_writer_idle, {}));
}

void Connection::break_connection(std::string reason) {
    if (_state != State::connected) return;
    _last_error = std::move(reason);
    ++_stats.losses;
    set_state(State::down);
    if (_conn_cancel) _conn_cancel->cancel();
    wake_writer();
    _out.clear();
    fail_pending(Errc::connection_lost, make_error(Errc::connection_lost, {}).message);
}

uint64_t Connection::next_backoff_ms(unsigned failures) noexcept {
    auto lo = static_cast<uint64_t>(std::max<int64_t>(1, _opts.reconnect_min.count()));
    auto hi = static_cast<uint64_t>(std::max<int64_t>(1, _opts.reconnect_max.count()));
    uint64_t d = failures >= 20 ? hi : std::min(hi, lo << failures);
    // Jitter into [d/2, d] so a fleet of cores does not reconnect in lockstep.
    _rng ^= _rng << 13;
    _rng ^= _rng >> 7;
    _rng ^= _rng << 17;
    return d / 2 + _rng % (d / 2 + 1);
}

Task<void> Connection::supervise() {
    unsigned failures = 0;
    while (_state != State::closed) {
        // Only the very first attempt queues commands (see redis.h); later ones fail fast.
        _queue_while_connecting = failures == 0 && _stats.connects == 0;
        set_state(State::connecting);
        TcpStream stream;
        ReplyParser parser;
        std::string err;
        bool ok = co_await dial(stream, parser, err);
        if (_state == State::closed) break;
        if (!ok) {
            _last_error = std::move(err);
            set_state(State::down);
            _out.clear();
            fail_pending(Errc::not_connected, make_error(Errc::not_connected, {}).message);
        } else {
            failures = 0;
            ++_stats.connects;
            _last_error.clear();
            CancelSource conn;
            _conn_cancel = &conn;
            set_state(State::connected);
            on_connected();
            if (_rbuf.empty()) _rbuf.resize(kRecvBuffer);
            co_await when_all(read_loop(stream, parser, conn), write_loop(stream, conn));
            _conn_cancel = nullptr;
            stream.close();
            if (_state == State::closed) break;
        }
        uint64_t delay = next_backoff_ms(failures++);
        co_await sleep_for(Millis(static_cast<int64_t>(delay)), _closing);
    }
}

Task<bool> Connection::dial(TcpStream& out, ReplyParser& parser, std::string& err) {
    const auto budget = _opts.dial_timeout.count();
    Deadline d = Deadline::after(_opts.dial_timeout);
    auto res = co_await connect(_addr, d.remaining_ms(), _closing);
    if (res.error) {
        if (res.error == -ETIMEDOUT)
            err = "connect timed out after " + std::to_string(budget) + " ms";
        else
            err = "connect: " + errno_text(-res.error);
        co_return false;
    }
    if (_addr.family() != AF_UNIX) set_keepalive(res.stream.fd());

    std::string hello;
    std::vector<std::string> what;
    if (!_opts.password.empty()) {
        if (_opts.username.empty()) {
            append_command(hello, {"AUTH", _opts.password});
        } else {
            append_command(hello, {"AUTH", _opts.username, _opts.password});
        }
        what.emplace_back("AUTH");
    }
    if (_opts.db != 0) {
        std::string db = std::to_string(_opts.db);
        append_command(hello, {"SELECT", db});
        what.push_back("SELECT " + db);
    }
    if (what.empty()) {
        out = std::move(res.stream);
        co_return true;
    }

    auto timed_out = [&] { return !_closing.cancelled(); };
    size_t off = 0;
    while (off < hello.size()) {
        int n =
            co_await res.stream.send(std::span<const char>(hello).subspan(off), _closing, d.remaining_ms());
        if (n <= 0) {
            err = n == -ECANCELED && timed_out()
                      ? "AUTH/SELECT timed out after " + std::to_string(budget) + " ms"
                      : "send: " + errno_text(n == 0 ? EPIPE : -n);
            co_return false;
        }
        off += static_cast<size_t>(n);
    }
    char buf[4096];
    size_t got = 0;
    while (got < what.size()) {
        Reply r;
        auto st = parser.next(r);
        if (st == ReplyParser::Status::error) {
            err = "protocol error: " + parser.error();
            co_return false;
        }
        if (st == ReplyParser::Status::reply) {
            if (r.is_error()) {
                err = what[got] + " failed: " + std::string(r.str());
                if (what[got] == "AUTH") err += " (check the redis username/password)";
                co_return false;
            }
            ++got;
            continue;
        }
        int n = co_await res.stream.recv(buf, _closing, d.remaining_ms());
        if (n <= 0) {
            if (n == 0)
                err = what[got] + ": server closed the connection";
            else if (n == -ECANCELED && timed_out())
                err = "AUTH/SELECT timed out after " + std::to_string(budget) + " ms";
            else
                err = what[got] + ": " + errno_text(-n);
            co_return false;
        }
        parser.feed(buf, static_cast<size_t>(n));
    }
    out = std::move(res.stream);
    co_return true;
}

Task<void> Connection::read_loop(TcpStream& s, ReplyParser& parser, CancelSource& conn) {
    for (;;) {
        int n = co_await s.recv(_rbuf, conn);
        if (n <= 0) {
            break_connection(n == 0 ? "server closed the connection" : errno_text(-n));
            co_return;
        }
        for (size_t off = 0; off < static_cast<size_t>(n);) {
            size_t chunk = std::min(kFeedChunk, static_cast<size_t>(n) - off);
            parser.feed(_rbuf.data() + off, chunk);
            off += chunk;
            for (;;) {
                Reply r;
                auto st = parser.next(r);
                if (st == ReplyParser::Status::need_more) break;
                if (st == ReplyParser::Status::error) {
                    break_connection("protocol error: " + parser.error());
                    co_return;
                }
                ++_stats.replies;
                on_reply(std::move(r));
                // A resumed caller may have closed us, or the reply was unexpected.
                if (_state != State::connected) co_return;
            }
        }
    }
}

Task<void> Connection::write_loop(TcpStream& s, CancelSource& conn) {
    for (;;) {
        co_await WriterIdle{*this};
        if (_state != State::connected) break;
        _sending.swap(_out);
        size_t off = 0;
        while (off < _sending.size()) {
            int n = co_await s.send(std::span<const char>(_sending).subspan(off), conn);
            if (n <= 0) {
                break_connection(n == 0 ? "send wrote nothing" : "send: " + errno_text(-n));
                break;
            }
            off += static_cast<size_t>(n);
        }
        ++_stats.sends;
        if (_sending.capacity() > kKeepBuffer)
            std::string().swap(_sending);
        else
            _sending.clear();
        // Let the rest of this loop turn add to the next batch before sending again.
        if (!_out.empty() && _state == State::connected) co_await yield();
    }
    if (_sending.capacity() > kKeepBuffer) std::string().swap(_sending);
    _sending.clear();
}

Task<Expected<void>> Connection::wait_connected(Deadline d) {
    ensure_started();
    uint64_t start = _reactor->refresh_now();
    for (;;) {
        if (_state == State::connected) co_return Expected<void>();
        if (_state == State::closed) co_return make_error(Errc::closed, {});
        auto outcome = co_await _state_waiters.wait(d.at_ms());
        if (outcome == WaitQueue::Outcome::timeout && _state != State::connected) {
            std::string m = _role + " " + _addr_text + ": not connected after " +
                            std::to_string(_reactor->refresh_now() - start) + " ms";
            if (!_last_error.empty()) m += " (" + _last_error + ")";
            co_return Error{Errc::timeout, std::move(m)};
        }
    }
}

Task<void> Connection::close() {
    if (_close_started) {
        while (_gate.count() != 0)
            (void)co_await _close_waiters.wait(UINT64_MAX);
        co_return;
    }
    _close_started = true;
    _state = State::closed;
    _state_waiters.notify_all();
    _closing.cancel();
    if (_conn_cancel) _conn_cancel->cancel();
    wake_writer();
    _out.clear();
    fail_pending(Errc::closed, make_error(Errc::closed, {}).message);
    on_closed();
    co_await _gate.close();
    _close_waiters.notify_all();
}

}  // namespace detail

// ------------------------------------------------------------------------- Call

Call::Call(detail::Connection* conn, std::span<const ArgList> parts, uint64_t deadline_ms, CancelToken tok)
    : _deadline_ms(deadline_ms), _tok(tok), _timer(&Call::on_timer), _cancel(&Call::on_cancel) {
    _timer.self = this;
    _cancel.self = this;
    if (!parts.empty() && parts[0].size() > 0) {
        std::string_view n = parts[0][0];
        n = n.substr(0, sizeof _name - 1);
        std::memcpy(_name, n.data(), n.size());
    }
    _issued_ms = conn->reactor().now_ms();
    if (tok.cancelled()) {
        finish(conn->make_error(Errc::cancelled, _name));
        return;
    }
    conn->issue(*this, parts);
}

Call::~Call() {
    if (_conn) _conn->abandon(*this);
    CancelSource::remove_if_registered(&_cancel);
    // _timer's destructor disarms it.
}

void Call::finish(Result r) noexcept {
    if (_timer.armed()) Reactor::current().timers().cancel(_timer);
    CancelSource::remove_if_registered(&_cancel);
    _result = std::move(r);
    _done = true;
    _conn = nullptr;
}

bool Call::await_suspend(std::coroutine_handle<> h) noexcept {
    _h = h;
    if (_tok.source() && !_tok.source()->add(&_cancel)) {
        detail::Connection* c = _conn;
        c->abandon(*this);
        finish(c->make_error(Errc::cancelled, _name));
        return false;
    }
    if (_deadline_ms != UINT64_MAX) Reactor::current().timers().schedule(_timer, _deadline_ms);
    return true;
}

void Call::on_timer(Timer* t) noexcept {
    Call* self = static_cast<TimerNode*>(t)->self;
    detail::Connection* c = self->_conn;
    c->abandon(*self);
    self->finish(c->timeout_error(*self));
    self->_h.resume();
}

void Call::on_cancel(CancelCallback* cb) noexcept {
    Call* self = static_cast<CancelHook*>(cb)->self;
    detail::Connection* c = self->_conn;
    c->abandon(*self);
    self->finish(c->make_error(Errc::cancelled, self->_name));
    // Resume from the ready queue: the canceller keeps running first.
    Reactor::current().post(self->_h);
}

}  // namespace ec::rt::redis
