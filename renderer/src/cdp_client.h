// CdpClient: the Chrome DevTools protocol over --remote-debugging-pipe.
//
// Wire: we write commands to the child's fd 3 and read replies and events from its fd 4,
// every message one JSON object terminated by '\0'. Commands carry a numeric id; the
// reply with that id completes the CdpCall waiting for it. Events of attached targets
// ("flat" sessions) carry a sessionId and go to the CdpEventSink registered for it;
// browser-level events without a session are handled here (detach notifications).
//
//  - Sending never blocks and never suspends: the message is appended to an outbound
//    buffer and one writer coroutine flushes it after the current loop turn, so all
//    commands issued back to back (a render's set-up) leave in a single write().
//  - One reader coroutine owns the only read in flight on the pipe. Replies are
//    recognised by their `{"id":N,` prefix without a full parse; events are parsed in
//    place in the read buffer with simdjson (the buffer keeps SIMDJSON_PADDING spare
//    bytes) and handed to sinks synchronously.
//  - EOF, a read/write error, a write that makes no progress for `write_timeout_ms` or
//    an oversized message closes the client: every pending call completes with
//    `closed`, every sink hears on_cdp_detached(), and the owner's on_closed runs once.
//
// Lifetime: close() must be awaited before destruction (it cancels and waits for the
// reader and writer, whose buffers the kernel may still be using). Core affinity: one
// reactor thread.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cdp_json.h"
#include "chrome_signal.h"
#include "runtime/cancel.h"
#include "runtime/gate.h"
#include "runtime/process.h"
#include "runtime/task.h"

namespace ec::rs {

enum class CdpStatus : uint8_t {
    pending,
    ok,
    error,    // Chromium answered with an error object (`message` has its text)
    timeout,  // no reply before the deadline
    closed,   // the connection went away first
};
const char* to_string(CdpStatus s) noexcept;

struct CdpResult {
    CdpStatus status = CdpStatus::pending;
    std::string message;  // error text for error/timeout/closed
    std::string raw;      // the whole reply (capacity includes SIMDJSON_PADDING)

    bool ok() const noexcept { return status == CdpStatus::ok; }
    // Parses `raw` with `p` and returns its "result" member (invalid on failure). The
    // view lives as long as `p` does not parse anything else.
    JsonView result(simdjson::dom::parser& p) const;
};

class CdpEventSink {
  public:
    virtual ~CdpEventSink() = default;
    // An event of one of this sink's sessions; `params` is valid only during the call.
    virtual void on_cdp_event(std::string_view session, std::string_view method, JsonView params) = 0;
    // That session is gone: target closed or crashed, or the connection closed. The
    // client has already dropped the registration.
    virtual void on_cdp_detached(std::string_view session, std::string_view why) = 0;
};

class CdpClient;

// One command in flight. Constructing it queues the command; the reply completes it and
// notifies `notify` (its own signal by default). Pinned: the client refers to it by
// address until it completes or is destroyed (a late reply is then dropped).
class CdpCall {
  public:
    CdpCall(CdpClient& client, std::string_view method, std::string_view params_json = "{}",
            std::string_view session = {}, Signal* notify = nullptr);
    ~CdpCall();
    CdpCall(const CdpCall&) = delete;
    CdpCall& operator=(const CdpCall&) = delete;

    bool done() const noexcept { return _res.status != CdpStatus::pending; }
    bool ok() const noexcept { return _res.status == CdpStatus::ok; }
    const CdpResult& result() const noexcept { return _res; }
    uint64_t id() const noexcept { return _id; }

    // Waits on the notify signal until done, the deadline or cancellation; returns done().
    // Only for calls whose signal has no other waiter.
    rt::Task<bool> wait(uint64_t deadline_ms, rt::CancelToken tok = {});
    // The result; a call still pending counts as timed out.
    CdpResult take();

  private:
    friend class CdpClient;
    void complete(CdpStatus st, std::string message, std::string raw) noexcept;

    CdpClient* _client;
    uint64_t _id = 0;
    CdpResult _res;
    Signal _own;
    Signal* _notify;
};

class CdpClient {
  public:
    struct Options {
        int64_t write_timeout_ms = 10'000;
        size_t max_message_bytes = size_t{512} << 20;
    };
    // Takes the parent's ends of the two pipes. `on_closed(why)` runs once, on the
    // reactor thread, when the connection fails (not when close() is called).
    CdpClient(rt::UniqueFd to_chrome, rt::UniqueFd from_chrome,
              std::function<void(std::string_view)> on_closed, Options opts);
    CdpClient(rt::UniqueFd to_chrome, rt::UniqueFd from_chrome,
              std::function<void(std::string_view)> on_closed)
        : CdpClient(std::move(to_chrome), std::move(from_chrome), std::move(on_closed), Options{}) {}
    ~CdpClient();
    CdpClient(const CdpClient&) = delete;
    CdpClient& operator=(const CdpClient&) = delete;

    // Starts the reader. Call once.
    void start();
    // Stops reading and writing, fails pending calls, waits for the I/O to unwind.
    rt::Task<void> close();
    // Closes the connection as failed (the process is known dead): like EOF.
    void abort(std::string why) { fail(std::move(why)); }
    bool is_open() const noexcept { return _open; }
    const std::string& close_reason() const noexcept { return _close_reason; }

    // Routes the events of `session` to `sink` until remove_sink().
    void add_sink(std::string_view session, CdpEventSink* sink);
    void remove_sink(std::string_view session) noexcept;

    // Fire and forget (the reply is dropped). Returns false when closed.
    bool send(std::string_view method, std::string_view params_json = "{}", std::string_view session = {});
    // One command, awaited: the result, or timeout/closed.
    rt::Task<CdpResult> call(std::string_view method, std::string params_json, std::string session,
                             uint64_t deadline_ms, rt::CancelToken tok = {});

    uint64_t messages_in() const noexcept { return _messages_in; }
    uint64_t bytes_in() const noexcept { return _bytes_in; }

  private:
    friend class CdpCall;
    uint64_t enqueue(std::string_view method, std::string_view params, std::string_view session);
    rt::Task<void> read_loop();
    rt::Task<void> write_loop();
    void dispatch(const char* msg, size_t len);
    void dispatch_reply(uint64_t id, const char* msg, size_t len, bool is_error);
    void fail(std::string why);
    CdpEventSink* find_sink(std::string_view session) const noexcept;

    rt::UniqueFd _to;
    rt::UniqueFd _from;
    std::function<void(std::string_view)> _on_closed;
    Options _opts;
    bool _open = true;
    bool _started = false;
    bool _writer_running = false;
    std::string _close_reason;
    uint64_t _next_id = 1;
    std::unordered_map<uint64_t, CdpCall*> _pending;
    std::vector<std::pair<std::string, CdpEventSink*>> _sinks;
    std::string _out;      // queued messages
    std::string _writing;  // the batch the kernel is writing
    std::vector<char> _rbuf;
    size_t _rstart = 0, _rlen = 0, _rscan = 0;
    simdjson::dom::parser _parser;
    rt::CancelSource _stop;
    rt::Gate _gate;
    uint64_t _messages_in = 0, _bytes_in = 0;
};

}  // namespace ec::rs
