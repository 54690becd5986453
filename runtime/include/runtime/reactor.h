// Reactor: one io_uring, one thread, one event loop.
//
// A Reactor is created on, and only ever used from, the thread that runs it. It owns
//  - the ring (SINGLE_ISSUER|DEFER_TASKRUN, falling back to COOP_TASKRUN, then to none),
//  - a ready queue of coroutines to resume in this loop turn,
//  - a 1 ms timer wheel; the loop sleeps in io_uring_enter with a timeout equal to the
//    next wheel deadline (EXT_ARG), so timers cost no SQE of their own,
//  - an inbox for messages from other threads (mutex + eventfd wake-up).
//
// Every SQE's user_data is the address of a Completion living in the frame of the
// coroutine that waits for it (0 means "ignore": cancel requests, linked timeouts).
#pragma once

#include <liburing.h>

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/cancel.h"
#include "runtime/task.h"
#include "runtime/timer_wheel.h"

namespace ec::rt {

class Runtime;

// Base of everything the kernel completes. `fn` is called once per CQE on the reactor
// thread, with the CQE's res and flags.
struct Completion {
    using Fn = void (*)(Completion*, int32_t res, uint32_t flags) noexcept;
    Fn fn;
};

struct ReactorOptions {
    unsigned sq_entries = 1024;
    unsigned cq_entries = 8192;
    // Test hook: start from a weaker setup mode (0 = strongest available).
    int force_setup_level = 0;
};

// Thrown when io_uring cannot be used at all; the message says why and what to do.
class IoUringUnavailable : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class Reactor {
  public:
    explicit Reactor(unsigned id = 0, const ReactorOptions& opts = {});
    ~Reactor();
    Reactor(const Reactor&) = delete;
    Reactor& operator=(const Reactor&) = delete;

    // The reactor of the calling thread; asserts there is one.
    static Reactor& current() noexcept;
    static Reactor* current_or_null() noexcept;

    unsigned id() const noexcept { return _id; }
    Runtime* runtime() const noexcept { return _runtime; }
    void set_runtime(Runtime* rt) noexcept { _runtime = rt; }
    // "single_issuer+defer_taskrun", "coop_taskrun" or "basic".
    const char* setup_mode() const noexcept { return _setup_mode; }

    // A free SQE; submits pending ones first when the SQ is full. Never null.
    io_uring_sqe* sqe() noexcept;
    // Guarantees `n` consecutive free SQEs (for linked chains).
    void reserve_sqes(unsigned n) noexcept;

    // Queues `h` to be resumed later in this loop turn (FIFO).
    void post(std::coroutine_handle<> h) { _ready.push_back(h); }
    // Thread-safe: runs `fn` on this reactor's thread soon.
    void post_remote(std::function<void()> fn);

    // Monotonic milliseconds, cached once per loop turn.
    uint64_t now_ms() const noexcept { return _now_ms; }
    uint64_t refresh_now() noexcept;
    TimerWheel& timers() noexcept { return _timers; }

    // Runs the loop until `t` completes and returns its result (rethrows its exception).
    template <class T>
    T block_on(Task<T> t);

    // Runs the loop until stop() is called (from this thread, or via post_remote).
    void run();
    void stop() noexcept { _stop = true; }
    bool stopping() const noexcept { return _stop; }

    // Progress counter, bumped every loop turn; read by the systemd watchdog from
    // another thread to detect a core that stopped turning.
    uint64_t loop_turns() const noexcept { return _turns.load(std::memory_order_relaxed); }

    // Number of CQEs dispatched so far (diagnostics/tests).
    uint64_t completions() const noexcept { return _completions; }

  private:
    void run_once(bool may_block);
    void drain_inbox();
    void arm_wakeup();
    static void on_wakeup(Completion* c, int32_t res, uint32_t flags) noexcept;

    struct Wakeup : Completion {
        Reactor* self;
    };

    unsigned _id;
    Runtime* _runtime = nullptr;
    io_uring _ring{};
    const char* _setup_mode = "basic";
    bool _stop = false;
    const bool* _until = nullptr;  // block_on's completion flag: never sleep once it is set
    uint64_t _now_ms = 0;
    uint64_t _completions = 0;
    std::atomic<uint64_t> _turns{0};
    TimerWheel _timers;
    std::vector<std::coroutine_handle<>> _ready;
    std::vector<std::coroutine_handle<>> _running;

    int _event_fd = -1;
    Wakeup _wakeup{};
    bool _wakeup_armed = false;
    std::mutex _inbox_mu;
    std::vector<std::function<void()>> _inbox;
    std::vector<std::function<void()>> _inbox_work;
    bool _inbox_signalled = false;  // guarded by _inbox_mu
};

// ---------------------------------------------------------------------------------
// Single-shot io_uring operation awaitable.
//
// `Prep` is a callable `void(io_uring_sqe*)` that fills the SQE. The awaitable resumes
// with the CQE's res (>= 0 result, or -errno). With a CancelToken, cancel() submits an
// ASYNC_CANCEL and the operation still waits for its own CQE (-ECANCELED or its result).
// With a timeout, a linked IORING_OP_LINK_TIMEOUT bounds it (-ECANCELED on expiry).
// The awaitable lives in the awaiting coroutine's frame; it must be awaited at once.
template <class Prep>
class [[nodiscard]] UringOp : Completion {
  public:
    UringOp(Prep prep, CancelToken tok = {}, int64_t timeout_ms = -1) noexcept
        : Completion{&UringOp::complete},
          _prep(std::move(prep)),
          _tok(tok),
          _timeout_ms(timeout_ms),
          _cancel_cb(&UringOp::on_cancel) {}
    UringOp(const UringOp&) = delete;
    UringOp& operator=(const UringOp&) = delete;

    bool await_ready() noexcept {
        if (_tok.cancelled()) {
            _res = -ECANCELED;
            return true;
        }
        return false;
    }
    void await_suspend(std::coroutine_handle<> h) noexcept {
        _h = h;
        Reactor& r = Reactor::current();
        _reactor = &r;
        if (_timeout_ms >= 0) {
            r.reserve_sqes(2);
            io_uring_sqe* s = r.sqe();
            _prep(s);
            io_uring_sqe_set_data(s, static_cast<Completion*>(this));
            s->flags |= IOSQE_IO_LINK;
            _ts.tv_sec = _timeout_ms / 1000;
            _ts.tv_nsec = (_timeout_ms % 1000) * 1000000;
            io_uring_sqe* t = r.sqe();
            io_uring_prep_link_timeout(t, &_ts, 0);
            io_uring_sqe_set_data64(t, 0);
        } else {
            io_uring_sqe* s = r.sqe();
            _prep(s);
            io_uring_sqe_set_data(s, static_cast<Completion*>(this));
        }
        if (_tok.source()) {
            _cancel_cb.self = this;
            _tok.source()->add(&_cancel_cb);
        }
    }
    int32_t await_resume() noexcept { return _res; }
    uint32_t cqe_flags() const noexcept { return _flags; }

  private:
    static void complete(Completion* c, int32_t res, uint32_t flags) noexcept {
        auto* self = static_cast<UringOp*>(c);
        CancelSource::remove_if_registered(&self->_cancel_cb);
        self->_res = res;
        self->_flags = flags;
        self->_h.resume();
    }
    static void on_cancel(CancelCallback* cb) noexcept;

    Prep _prep;
    CancelToken _tok;
    int64_t _timeout_ms;
    struct CancelHook : CancelCallback {
        using CancelCallback::CancelCallback;
        UringOp* self = nullptr;
    } _cancel_cb;
    std::coroutine_handle<> _h;
    Reactor* _reactor = nullptr;
    __kernel_timespec _ts{};
    int32_t _res = 0;
    uint32_t _flags = 0;
};

// Submits IORING_OP_ASYNC_CANCEL for the operation whose user_data is `target`.
void submit_cancel(Reactor& r, const Completion* target) noexcept;

template <class Prep>
void UringOp<Prep>::on_cancel(CancelCallback* cb) noexcept {
    UringOp* self = static_cast<CancelHook*>(cb)->self;
    submit_cancel(*self->_reactor, self);
}

template <class Prep>
UringOp<Prep> uring_op(Prep prep, CancelToken tok = {}, int64_t timeout_ms = -1) {
    return UringOp<Prep>(std::move(prep), tok, timeout_ms);
}

// Yields to the rest of the ready queue and to I/O completions.
struct YieldAwaiter {
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) { Reactor::current().post(h); }
    void await_resume() const noexcept {}
};
inline YieldAwaiter yield() noexcept {
    return {};
}

// ---------------------------------------------------------------------------------
namespace detail {
template <class T>
Task<void> block_on_wrapper(Task<T>& t, std::optional<T>& out, std::exception_ptr& ex, bool& done) {
    try {
        out.emplace(co_await std::move(t));
    } catch (...) {
        ex = std::current_exception();
    }
    done = true;
}
inline Task<void> block_on_wrapper_void(Task<void>& t, std::exception_ptr& ex, bool& done) {
    try {
        co_await std::move(t);
    } catch (...) {
        ex = std::current_exception();
    }
    done = true;
}
}  // namespace detail

template <class T>
T Reactor::block_on(Task<T> t) {
    std::exception_ptr ex;
    bool done = false;
    if constexpr (std::is_void_v<T>) {
        Task<void> w = detail::block_on_wrapper_void(t, ex, done);
        const bool* prev = std::exchange(_until, &done);
        w.handle().resume();
        while (!done)
            run_once(true);
        _until = prev;
        if (ex) std::rethrow_exception(ex);
    } else {
        std::optional<T> out;
        Task<void> w = detail::block_on_wrapper(t, out, ex, done);
        const bool* prev = std::exchange(_until, &done);
        w.handle().resume();
        while (!done)
            run_once(true);
        _until = prev;
        if (ex) std::rethrow_exception(ex);
        return std::move(*out);
    }
}
}  // namespace ec::rt
