// Private: the connection machinery shared by redis::Client and redis::Subscriber.
//
// One Connection owns one socket at a time and three coroutines, all inside `_gate`:
//  - supervise(): dial (connect + AUTH + SELECT), run the two loops below until the
//    connection dies, back off, repeat until close();
//  - write_loop(): sends the whole write buffer in one send whenever woken; it is woken
//    by posting it, so every command issued during one loop turn leaves together;
//  - read_loop(): feeds received bytes to the RESP parser and hands each reply to
//    on_reply(), which for the Client completes the oldest pending Call (FIFO).
// The pending FIFO is a ring of Call pointers indexed by sequence number; a Call that
// times out or is destroyed nulls its slot, so its late reply is consumed and dropped.
#pragma once

#include <coroutine>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/gate.h"
#include "runtime/net.h"
#include "runtime/reactor.h"
#include "runtime/redis.h"

namespace ec::rt::redis::detail {

// Coroutines waiting for a condition, each with an optional deadline and cancel token.
class WaitQueue {
  public:
    enum class Outcome : uint8_t { notified, timeout, cancelled };

    class [[nodiscard]] Awaiter {
      public:
        Awaiter(WaitQueue& q, uint64_t deadline_ms, CancelToken tok) noexcept;
        ~Awaiter();
        Awaiter(const Awaiter&) = delete;
        Awaiter& operator=(const Awaiter&) = delete;
        bool await_ready() const noexcept { return _tok.cancelled(); }
        void await_suspend(std::coroutine_handle<> h) noexcept;
        Outcome await_resume() const noexcept { return _outcome; }

      private:
        friend class WaitQueue;
        void unlink() noexcept;
        void wake(Outcome o) noexcept;
        struct TimerNode : Timer {
            using Timer::Timer;
            Awaiter* self = nullptr;
        };
        struct CancelHook : CancelCallback {
            using CancelCallback::CancelCallback;
            Awaiter* self = nullptr;
        };
        WaitQueue& _q;
        uint64_t _deadline_ms;
        CancelToken _tok;
        std::coroutine_handle<> _h;
        Awaiter* _prev = nullptr;
        Awaiter* _next = nullptr;
        bool _linked = false;
        Outcome _outcome = Outcome::cancelled;
        TimerNode _timer;
        CancelHook _cancel;
    };

    WaitQueue() = default;
    WaitQueue(const WaitQueue&) = delete;
    WaitQueue& operator=(const WaitQueue&) = delete;
    ~WaitQueue();

    // UINT64_MAX: no deadline.
    Awaiter wait(uint64_t deadline_ms, CancelToken tok = {}) noexcept {
        return Awaiter(*this, deadline_ms, tok);
    }
    // Resumes every waiter (from the ready queue).
    void notify_all() noexcept;

  private:
    Awaiter* _head = nullptr;
};

class Connection {
  public:
    enum class State : uint8_t { idle, connecting, connected, down, closed };

    // `role` names the connection in errors ("redis", "redis subscriber").
    Connection(Options opts, std::string_view role);
    virtual ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    const Options& options() const noexcept { return _opts; }
    const std::string& address() const noexcept { return _addr_text; }
    const std::string& last_error() const noexcept { return _last_error; }
    const Stats& stats() const noexcept { return _stats; }
    State state() const noexcept { return _state; }
    Reactor& reactor() const noexcept { return *_reactor; }
    uint64_t default_deadline_ms() const noexcept;

    void ensure_started();
    Task<Expected<void>> wait_connected(Deadline d);
    Task<void> close();

    // Call plumbing (used by Call's constructor, timer and destructor).
    void issue(Call& c, std::span<const ArgList> parts);
    void abandon(Call& c) noexcept;
    Error make_error(Errc code, std::string_view command) const;
    Error timeout_error(const Call& c) const;

  protected:
    // Each complete reply, in order.
    virtual void on_reply(Reply&& r) = 0;
    // The connection is up (AUTH/SELECT done); runs before anything is sent.
    virtual void on_connected() {}
    // close() was called (pending calls already failed).
    virtual void on_closed() {}

    // The oldest pending slot: its Call, or nullptr for an abandoned or internal slot.
    bool fifo_empty() const noexcept { return _head == _tail; }
    Call* fifo_pop() noexcept;
    // Queues a command whose `replies` replies are consumed internally (null slots).
    void issue_internal(std::span<const ArgList> parts, size_t replies);
    // Completes `c` with `r` and resumes its awaiter inline.
    void complete(Call& c, Result r) noexcept;
    // Declares the current connection dead: fails everything pending, wakes the loops.
    void break_connection(std::string reason);

    Stats _stats;

  private:
    Task<void> supervise();
    Task<bool> dial(TcpStream& out, ReplyParser& parser, std::string& err);
    Task<void> read_loop(TcpStream& s, ReplyParser& parser, CancelSource& conn);
    Task<void> write_loop(TcpStream& s, CancelSource& conn);
    void fail_pending(Errc code, const std::string& message) noexcept;
    void set_state(State s) noexcept;
    void wake_writer() noexcept;
    uint64_t next_backoff_ms(unsigned failures) noexcept;
    uint64_t push_slot(Call* c);

    struct WriterIdle {
        Connection& c;
        bool await_ready() const noexcept { return !c._out.empty() || c._state != State::connected; }
        void await_suspend(std::coroutine_handle<> h) noexcept { c._writer_idle = h; }
        void await_resume() const noexcept {}
    };

    Options _opts;
    SocketAddress _addr;
    std::string _addr_text;  // "127.0.0.1:6379" / "unix:/path"
    std::string _role;
    Reactor* _reactor;
    State _state = State::idle;
    bool _queue_while_connecting = true;  // false after a failed attempt: fail fast
    bool _close_started = false;
    std::string _last_error;

    Gate _gate;
    CancelSource _closing;                 // interrupts dial and backoff
    CancelSource* _conn_cancel = nullptr;  // interrupts the current connection's loops
    WaitQueue _state_waiters;
    WaitQueue _close_waiters;

    std::string _out;      // commands not yet handed to the kernel
    std::string _sending;  // the batch being sent (untouched until its CQE)
    std::coroutine_handle<> _writer_idle;
    std::vector<char> _rbuf;

    std::vector<Call*> _ring;  // pending replies; index = sequence & (size - 1)
    uint64_t _head = 0;        // sequence of the oldest pending reply
    uint64_t _tail = 0;        // next sequence
    uint64_t _rng;
};

}  // namespace ec::rt::redis::detail
