// Signal: an auto-reset wake-up flag for one waiting coroutine, with a deadline and a
// cancellation token. The render procedure waits on one Signal for "something changed"
// (a CDP reply, a lifecycle event, a crash) and re-checks its state after each wake-up,
// so no event is ever lost: notify() without a waiter leaves the flag set.
//
// Core affinity: one reactor thread. The waiter is resumed from the ready queue, never
// from inside notify(), so notifiers (the CDP reader) keep running undisturbed.
#pragma once

#include <cassert>
#include <coroutine>
#include <cstdint>

#include "runtime/cancel.h"
#include "runtime/reactor.h"
#include "runtime/timer_wheel.h"

namespace ec::rs {

inline constexpr uint64_t kNoDeadline = UINT64_MAX;

inline uint64_t now_ms() noexcept {
    return rt::Reactor::current().refresh_now();
}

class Signal {
  public:
    Signal() = default;
    Signal(const Signal&) = delete;
    Signal& operator=(const Signal&) = delete;
    ~Signal() { assert(!_waiter && "Signal destroyed while a coroutine waits on it"); }

    void notify() noexcept {
        _set = true;
        if (_waiter) _waiter->wake();
    }
    bool is_set() const noexcept { return _set; }

    class [[nodiscard]] Awaiter {
      public:
        Awaiter(Signal& s, uint64_t deadline_ms, rt::CancelToken tok) noexcept
            : _s(s),
              _deadline(deadline_ms),
              _tok(tok),
              _cancel(&Awaiter::on_cancel),
              _timer(&Awaiter::on_timer) {}
        Awaiter(const Awaiter&) = delete;
        Awaiter& operator=(const Awaiter&) = delete;

        bool await_ready() noexcept {
            if (_s._set || _tok.cancelled()) return true;
            return _deadline != kNoDeadline && now_ms() >= _deadline;
        }
        void await_suspend(std::coroutine_handle<> h) noexcept {
            assert(!_s._waiter && "one waiter per Signal");
            _h = h;
            _s._waiter = this;
            _cancel.self = this;
            _timer.self = this;
            if (_deadline != kNoDeadline) rt::Reactor::current().timers().schedule(_timer, _deadline);
            if (_tok.source()) _tok.source()->add(&_cancel);
        }
        // true when the signal fired (and is consumed); false on deadline or cancellation.
        bool await_resume() noexcept {
            const bool fired = _s._set;
            _s._set = false;
            return fired;
        }

      private:
        friend class Signal;
        struct CancelHook : rt::CancelCallback {
            using rt::CancelCallback::CancelCallback;
            Awaiter* self = nullptr;
        };
        struct TimerNode : rt::Timer {
            using rt::Timer::Timer;
            Awaiter* self = nullptr;
        };
        static void on_cancel(rt::CancelCallback* cb) noexcept { static_cast<CancelHook*>(cb)->self->wake(); }
        static void on_timer(rt::Timer* t) noexcept { static_cast<TimerNode*>(t)->self->wake(); }
        void wake() noexcept {
            if (_s._waiter != this) return;  // already woken
            _s._waiter = nullptr;
            if (_timer.armed()) rt::Reactor::current().timers().cancel(_timer);
            rt::CancelSource::remove_if_registered(&_cancel);
            rt::Reactor::current().post(_h);
        }

        Signal& _s;
        uint64_t _deadline;
        rt::CancelToken _tok;
        CancelHook _cancel;
        TimerNode _timer;
        std::coroutine_handle<> _h;
    };

    // Resumes when notified, at `deadline_ms` (kNoDeadline: never) or when `tok` is
    // cancelled, whichever comes first.
    Awaiter wait_until(uint64_t deadline_ms, rt::CancelToken tok = {}) noexcept {
        return Awaiter(*this, deadline_ms, tok);
    }

  private:
    Awaiter* _waiter = nullptr;
    bool _set = false;
};

}  // namespace ec::rs
