// Sleeping and deadlines on the reactor's timer wheel (1 ms resolution).
#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>

#include "runtime/cancel.h"
#include "runtime/reactor.h"
#include "runtime/timer_wheel.h"

namespace ec::rt {

using Millis = std::chrono::milliseconds;

// Awaitable: resumes after the deadline (true) or when the token is cancelled (false).
class [[nodiscard]] SleepAwaiter {
  public:
    SleepAwaiter(uint64_t deadline_ms, CancelToken tok) noexcept
        : _deadline(deadline_ms), _tok(tok), _cb(&SleepAwaiter::on_cancel) {
        _timer.set_callback(&SleepAwaiter::on_timer);
    }
    SleepAwaiter(const SleepAwaiter&) = delete;
    SleepAwaiter& operator=(const SleepAwaiter&) = delete;

    bool await_ready() const noexcept { return _tok.cancelled(); }
    void await_suspend(std::coroutine_handle<> h) noexcept {
        _h = h;
        _cb.self = this;
        _timer.self = this;
        Reactor::current().timers().schedule(_timer, _deadline);
        if (_tok.source()) _tok.source()->add(&_cb);
    }
    // true: the deadline passed; false: cancelled.
    bool await_resume() const noexcept { return !_cancelled && !_tok.cancelled(); }

  private:
    struct Hook : CancelCallback {
        using CancelCallback::CancelCallback;
        SleepAwaiter* self = nullptr;
    };
    struct TimerNode : Timer {
        using Timer::Timer;
        SleepAwaiter* self = nullptr;
    };
    static void on_timer(Timer* t) noexcept;
    static void on_cancel(CancelCallback* cb) noexcept {
        SleepAwaiter* self = static_cast<Hook*>(cb)->self;
        Reactor::current().timers().cancel(self->_timer);
        self->_cancelled = true;
        // Resume from the ready queue, not from inside cancel(): the canceller keeps running.
        Reactor::current().post(self->_h);
    }

    uint64_t _deadline;
    CancelToken _tok;
    Hook _cb;
    TimerNode _timer;
    std::coroutine_handle<> _h;
    bool _cancelled = false;
};

inline SleepAwaiter sleep_until_ms(uint64_t deadline_ms, CancelToken tok = {}) noexcept {
    return SleepAwaiter(deadline_ms, tok);
}
inline SleepAwaiter sleep_for(Millis d, CancelToken tok = {}) noexcept {
    Reactor& r = Reactor::current();
    return SleepAwaiter(r.refresh_now() + static_cast<uint64_t>(d.count()), tok);
}

// A point in monotonic time; `remaining()` feeds per-operation timeouts.
class Deadline {
  public:
    static Deadline never() noexcept { return Deadline(UINT64_MAX); }
    static Deadline after(Millis d) noexcept {
        return Deadline(Reactor::current().refresh_now() + static_cast<uint64_t>(d.count()));
    }
    explicit Deadline(uint64_t at_ms) noexcept : _at(at_ms) {}
    uint64_t at_ms() const noexcept { return _at; }
    bool is_never() const noexcept { return _at == UINT64_MAX; }
    bool expired() const noexcept { return !is_never() && Reactor::current().now_ms() >= _at; }
    // Milliseconds left (>= 0), or -1 for "no deadline" (the UringOp convention).
    int64_t remaining_ms() const noexcept {
        if (is_never()) return -1;
        uint64_t now = Reactor::current().refresh_now();
        return now >= _at ? 0 : static_cast<int64_t>(_at - now);
    }

  private:
    uint64_t _at;
};

}  // namespace ec::rt
