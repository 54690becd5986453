// Redis client on the reactor: one pipelined connection per core, typed replies.
//
// hiredis is used only as the RESP reply parser (redisReader); sockets, timeouts and
// reconnection are ours, on the ring.
//
//  - Client: one connection shared by every coroutine of one core. A command is encoded
//    into the connection's write buffer the moment it is issued; all commands issued
//    during one loop turn leave in one send, and replies are matched to commands in
//    order (FIFO). Every command has a deadline: when it passes, the caller gets
//    Errc::timeout at once and the late reply is discarded in its turn, so the stream
//    never desynchronises.
//  - Connection loss: every pending command fails at once with Errc::connection_lost
//    ("redis 127.0.0.1:6379 lost: <reason>"), then the client reconnects with
//    exponential backoff and jitter (Options::reconnect_min doubling up to
//    reconnect_max) and redoes AUTH/SELECT. Commands issued while the very first
//    connection attempt is in flight are queued and sent once it is up (still bounded
//    by their deadline). Otherwise, whenever there is no connection (after a loss,
//    during backoff, while retrying), commands fail at once with Errc::not_connected
//    naming the last error, so callers fall back (bypass) instead of stalling on a dead
//    server. reconnect_max (500 ms by default) bounds how long a restarted server stays
//    unused.
//  - Scripts: Script holds a Lua source and its SHA1 (computed locally); eval() calls
//    EVALSHA and, on NOSCRIPT, pipelines SCRIPT LOAD + EVALSHA once.
//  - Subscriber: a separate connection for pub/sub; subscriptions survive reconnects.
//
// Core affinity: a Client or Subscriber is created, used and closed on one reactor
// thread; each core creates its own. Lifetime: `co_await close()` before destroying one
// that was used (its internal coroutines hold pointers to it until close() returns).
// Never issue KEYS (it blocks the server); use SCAN.
#pragma once

#include <coroutine>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "runtime/cancel.h"
#include "runtime/task.h"
#include "runtime/time.h"
#include "runtime/timer_wheel.h"

namespace ec::rt::redis {

// ------------------------------------------------------------------------- options

struct Options {
    // "host:port" (IP literal or "localhost") or "unix:/path/to/redis.sock".
    std::string addr = "127.0.0.1:6379";
    std::string username;          // ACL user for AUTH; empty: AUTH <password> (legacy form)
    std::string password;          // empty: no AUTH
    int db = 0;                    // SELECT after connecting when non-zero
    Millis dial_timeout{5000};     // TCP/Unix connect + AUTH + SELECT
    Millis command_timeout{3000};  // deadline of a command issued without one
    Millis reconnect_min{50};      // first backoff after a failure; doubles per failure
    Millis reconnect_max{500};     // backoff cap (jittered down to half)
};

// ------------------------------------------------------------------------- errors

enum class Errc : uint8_t {
    timeout,          // no reply before the command's deadline
    connection_lost,  // the connection died while the command was pending
    not_connected,    // issued while there was no connection (or the attempt failed)
    cancelled,        // the caller's CancelToken fired
    closed,           // the client was closed
};
const char* errc_name(Errc e) noexcept;

// A transport-level failure. Error replies from the server are not Errors: they are
// Replies of type error (a pipelined EXEC may contain them next to good replies).
struct Error {
    Errc code;
    std::string message;  // names the server address and the cause
};

// Value-or-Error, for results that may fail without a reply.
template <class T>
class [[nodiscard]] Expected {
  public:
    Expected() = default;
    Expected(T v) : _v(std::in_place_index<0>, std::move(v)) {}      // NOLINT(google-explicit-constructor)
    Expected(Error e) : _v(std::in_place_index<1>, std::move(e)) {}  // NOLINT(google-explicit-constructor)

    bool has_value() const noexcept { return _v.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }
    T& value() & { return std::get<0>(_v); }
    const T& value() const& { return std::get<0>(_v); }
    T&& value() && { return std::get<0>(std::move(_v)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const { return std::get<1>(_v); }

  private:
    std::variant<T, Error> _v;
};

template <>
class [[nodiscard]] Expected<void> {
  public:
    Expected() = default;
    Expected(Error e) : _err(std::move(e)), _ok(false) {}  // NOLINT(google-explicit-constructor)
    bool has_value() const noexcept { return _ok; }
    explicit operator bool() const noexcept { return _ok; }
    const Error& error() const { return _err; }

  private:
    Error _err{};
    bool _ok = true;
};

// ------------------------------------------------------------------------- replies

// A RESP2 reply. Strings (status, error, bulk) are held by value; arrays own their
// elements.
class Reply {
  public:
    enum class Type : uint8_t { nil, status, error, integer, string, array };

    Reply() = default;  // nil
    static Reply status(std::string_view s) { return Reply(Type::status, s); }
    static Reply error(std::string_view s) { return Reply(Type::error, s); }
    static Reply string(std::string_view s) { return Reply(Type::string, s); }
    static Reply integer(int64_t v) {
        Reply r;
        r._type = Type::integer;
        r._int = v;
        return r;
    }
    static Reply array(std::vector<Reply> elems) {
        Reply r;
        r._type = Type::array;
        r._elems = std::move(elems);
        return r;
    }

    Type type() const noexcept { return _type; }
    bool is_nil() const noexcept { return _type == Type::nil; }
    bool is_status() const noexcept { return _type == Type::status; }
    bool is_error() const noexcept { return _type == Type::error; }
    bool is_integer() const noexcept { return _type == Type::integer; }
    bool is_string() const noexcept { return _type == Type::string; }
    bool is_array() const noexcept { return _type == Type::array; }
    // Status "OK".
    bool is_ok() const noexcept { return _type == Type::status && _str == "OK"; }

    // Text of a status, error or bulk string; empty for other types.
    std::string_view str() const noexcept { return _str; }
    // Moves the text out (the reply keeps its type, with empty text).
    std::string take_str() noexcept { return std::move(_str); }
    // Value of an integer reply; 0 for other types.
    int64_t integer() const noexcept { return _int; }
    // Elements of an array reply; empty for other types.
    std::span<const Reply> elements() const noexcept { return _elems; }
    std::vector<Reply>& elements_mut() noexcept { return _elems; }
    // First word of an error reply ("NOSCRIPT", "WRONGTYPE", "ERR"); empty otherwise.
    std::string_view error_code() const noexcept;

    // Human-readable rendering in redis-cli style, for logs and tests.
    std::string to_string() const;

    bool operator==(const Reply& o) const = default;

  private:
    Reply(Type t, std::string_view s) : _str(s), _type(t) {}

    std::string _str;
    std::vector<Reply> _elems;
    int64_t _int = 0;
    Type _type = Type::nil;
};

using Result = Expected<Reply>;

// ------------------------------------------------------------------------- wire format

// Command arguments: a braced list of string_views, or a span/vector of strings. Only
// read while the command is being issued (the bytes are copied into the write buffer).
class ArgList {
  public:
    ArgList(std::initializer_list<std::string_view> l) noexcept : _views(l.begin()), _n(l.size()) {}
    ArgList(std::span<const std::string_view> s) noexcept : _views(s.data()), _n(s.size()) {}
    ArgList(std::span<const std::string> s) noexcept : _strings(s.data()), _n(s.size()) {}
    ArgList(const std::vector<std::string_view>& v) noexcept : _views(v.data()), _n(v.size()) {}
    ArgList(const std::vector<std::string>& v) noexcept : _strings(v.data()), _n(v.size()) {}

    size_t size() const noexcept { return _n; }
    std::string_view operator[](size_t i) const noexcept {
        return _views ? _views[i] : std::string_view(_strings[i]);
    }

  private:
    const std::string_view* _views = nullptr;
    const std::string* _strings = nullptr;
    size_t _n = 0;
};

// Appends one command (a RESP array of bulk strings) made of the concatenation of
// `parts` to `out`. Byte-for-byte what hiredis' redisFormatCommandArgv produces, without
// its allocation.
void append_command(std::string& out, std::span<const ArgList> parts);
inline void append_command(std::string& out, ArgList args) {
    append_command(out, std::span<const ArgList>(&args, 1));
}

// Incremental RESP2 reply parser (hiredis redisReader building Replies directly).
class ReplyParser {
  public:
    ReplyParser();
    ~ReplyParser();
    ReplyParser(const ReplyParser&) = delete;
    ReplyParser& operator=(const ReplyParser&) = delete;

    enum class Status : uint8_t { reply, need_more, error };
    void feed(const char* data, size_t n);
    // Extracts the next complete reply into `out`.
    Status next(Reply& out);
    // Why the stream is unusable (after Status::error).
    std::string error() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> _impl;
};

// ------------------------------------------------------------------------- scripts

// A Lua script and its SHA1 (hex), computed locally; no server round trip until used.
class Script {
  public:
    explicit Script(std::string source);
    const std::string& source() const noexcept { return _source; }
    const std::string& sha1() const noexcept { return _sha1; }

  private:
    std::string _source;
    std::string _sha1;
};

// ------------------------------------------------------------------------- commands

namespace detail {
class Connection;
}

// The awaitable returned by every command. The command is queued when the Call is
// created; awaiting it yields the Result. Destroying a Call before its reply abandons it
// (the reply is discarded in its turn). Not movable: await it where it was created.
class [[nodiscard]] Call {
  public:
    ~Call();
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;

    bool await_ready() const noexcept { return _done; }
    bool await_suspend(std::coroutine_handle<> h) noexcept;
    Result await_resume() noexcept { return std::move(_result); }

  private:
    friend class detail::Connection;
    friend class Client;
    friend class Subscriber;
    Call(detail::Connection* conn, std::span<const ArgList> parts, uint64_t deadline_ms, CancelToken tok);

    void finish(Result r) noexcept;  // completes without resuming
    static void on_timer(Timer* t) noexcept;
    static void on_cancel(CancelCallback* cb) noexcept;

    struct TimerNode : Timer {
        using Timer::Timer;
        Call* self = nullptr;
    };
    struct CancelHook : CancelCallback {
        using CancelCallback::CancelCallback;
        Call* self = nullptr;
    };

    detail::Connection* _conn = nullptr;  // non-null while queued on the connection
    uint64_t _seq = 0;
    uint64_t _deadline_ms;
    uint64_t _issued_ms = 0;
    CancelToken _tok;
    std::coroutine_handle<> _h;
    TimerNode _timer;
    CancelHook _cancel;
    Result _result;
    bool _done = false;
    char _name[24] = {};  // command name, for error messages
};

// Counters of one connection (diagnostics and tests).
struct Stats {
    uint64_t commands = 0;   // commands issued
    uint64_t sends = 0;      // send batches written (commands / sends = pipelining factor)
    uint64_t replies = 0;    // replies received
    uint64_t discarded = 0;  // late replies of timed-out or abandoned commands
    uint64_t connects = 0;   // successful connections (including AUTH/SELECT)
    uint64_t losses = 0;     // established connections that died
};

class Client {
  public:
    // Throws std::invalid_argument when opts.addr does not parse. No I/O until
    // connect() or the first command.
    explicit Client(Options opts);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Starts the connection (if not started) and waits until it is up, AUTH/SELECT
    // done. On timeout the error names the last failure; the client keeps retrying in
    // the background either way.
    Task<Expected<void>> connect(Deadline d);

    // Issues a command with the default deadline (Options::command_timeout).
    Call command(ArgList args);
    Call command(ArgList args, Deadline d, CancelToken tok = {});

    Call get(std::string_view key) { return command({"GET", key}); }
    Call set(std::string_view key, std::string_view value) { return command({"SET", key, value}); }
    // SET key value PX ttl
    Call set(std::string_view key, std::string_view value, Millis ttl);
    Call del(std::string_view key) { return command({"DEL", key}); }
    Call publish(std::string_view channel, std::string_view message) {
        return command({"PUBLISH", channel, message});
    }
    Call ping() { return command({"PING"}); }

    // EVALSHA; on NOSCRIPT (flushed cache, restarted server) SCRIPT LOAD + EVALSHA are
    // pipelined once. The deadline covers the whole exchange. keys/args are copied at
    // the call; `s` must outlive the Task (scripts are usually long-lived constants).
    Task<Result> eval(const Script& s, ArgList keys, ArgList args);
    Task<Result> eval(const Script& s, ArgList keys, ArgList args, Deadline d);
    // SCRIPT LOAD, checking that the server computed the same SHA1.
    Task<Result> load(const Script& s);

    // Fails every pending command (Errc::closed), stops reconnecting and waits for the
    // internal coroutines. Idempotent.
    Task<void> close();

    bool connected() const noexcept;
    const std::string& address() const noexcept;
    // The reason of the last connection failure or loss ("" while healthy).
    const std::string& last_error() const noexcept;
    const Stats& stats() const noexcept;

  private:
    static Task<Result> eval_owned(detail::Connection& conn, const Script& s, std::vector<std::string> argv,
                                   uint64_t deadline);
    std::unique_ptr<detail::Connection> _conn;
};

// ------------------------------------------------------------------------- pub/sub

struct Message {
    enum class Kind : uint8_t {
        message,      // a published message
        reconnected,  // the subscription was re-established after a connection loss:
                      // messages published meanwhile were lost (caches should resync)
    };
    Kind kind = Kind::message;
    std::string channel;
    std::string pattern;  // the matching pattern for pattern subscriptions, else empty
    std::string payload;
};

// Called on the subscriber's core, inline while replies are parsed: must not block. It
// may subscribe or unsubscribe (itself included).
using MessageHandler = std::function<void(const Message&)>;

class Subscriber {
  public:
    // max_queued bounds the queue read by next(); when full the oldest message is
    // dropped (counted in dropped()).
    explicit Subscriber(Options opts, size_t max_queued = 100'000);
    ~Subscriber();
    Subscriber(const Subscriber&) = delete;
    Subscriber& operator=(const Subscriber&) = delete;

    Task<Expected<void>> connect(Deadline d);

    // Registers the subscription (kept across reconnects) and resolves with the server's
    // confirmation (["subscribe", channel, count]). Messages go to `handler` when given,
    // else to the queue read by next(). While disconnected the Call fails with
    // not_connected, but the subscription stays registered and is made on reconnect.
    Call subscribe(std::string_view channel, MessageHandler handler = {});
    Call psubscribe(std::string_view pattern, MessageHandler handler = {});
    // Forgets the subscription; messages still in flight for it are dropped.
    Call unsubscribe(std::string_view channel);
    Call punsubscribe(std::string_view pattern);

    // The next queued message (or reconnected event).
    Task<Expected<Message>> next(Deadline d = Deadline::never(), CancelToken tok = {});
    size_t queued() const noexcept;
    uint64_t dropped() const noexcept;

    Task<void> close();
    bool connected() const noexcept;
    const Stats& stats() const noexcept;

  private:
    class Impl;
    std::unique_ptr<Impl> _impl;
};

}  // namespace ec::rt::redis
