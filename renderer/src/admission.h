// Render admission: at most `capacity` renders run at once; up to `max_queue` more wait in FIFO order for a
// slot, each until its own deadline; anything beyond is refused at once (the caller answers 503). Nothing
// ever waits without a bound.
//
//   auto r = co_await admission.acquire(deadline_ms, cancel);
//   if (r != Admission::Result::admitted) ...;   // queue_full | timed_out | cancelled
//   ... render ...;
//   admission.release();
//
// A slot freed by release() goes straight to the oldest waiter (no barging). Core affinity: one reactor;
// waiters live in their coroutine frames (intrusive list), so acquiring allocates nothing.
#pragma once

#include <coroutine>
#include <cstdint>

#include "runtime/cancel.h"
#include "runtime/timer_wheel.h"

namespace ec::rs {

class Admission {
  public:
    enum class Result : uint8_t { admitted, queue_full, timed_out, cancelled };

    Admission(int capacity, int max_queue) noexcept : _capacity(capacity), _max_queue(max_queue) {}
    ~Admission();
    Admission(const Admission&) = delete;
    Admission& operator=(const Admission&) = delete;

    class [[nodiscard]] Acquire {
      public:
        Acquire(Admission& a, uint64_t deadline_ms, rt::CancelToken tok) noexcept;
        Acquire(const Acquire&) = delete;
        Acquire& operator=(const Acquire&) = delete;
        ~Acquire();

        bool await_ready() noexcept;
        void await_suspend(std::coroutine_handle<> h) noexcept;
        Result await_resume() const noexcept { return _result; }

      private:
        friend class Admission;
        struct TimerNode : rt::Timer {
            using rt::Timer::Timer;
            Acquire* self = nullptr;
        };
        struct CancelHook : rt::CancelCallback {
            using rt::CancelCallback::CancelCallback;
            Acquire* self = nullptr;
        };
        static void on_timer(rt::Timer* t) noexcept;
        static void on_cancel(rt::CancelCallback* cb) noexcept;
        void finish(Result r) noexcept;  // unlinks, disarms, resumes via the ready queue

        Admission& _a;
        uint64_t _deadline;
        rt::CancelToken _tok;
        TimerNode _timer;
        CancelHook _cancel;
        std::coroutine_handle<> _h;
        Acquire* _prev = nullptr;
        Acquire* _next = nullptr;
        bool _queued = false;
        Result _result = Result::timed_out;
    };

    // Waits for a slot until `deadline_ms` (reactor monotonic ms) or `tok` fires.
    Acquire acquire(uint64_t deadline_ms, rt::CancelToken tok = {}) noexcept {
        return Acquire(*this, deadline_ms, tok);
    }
    // Returns a slot taken by an admitted acquire().
    void release() noexcept;

    int capacity() const noexcept { return _capacity; }
    int active() const noexcept { return _active; }
    int queued() const noexcept { return _queued; }
    int max_queue() const noexcept { return _max_queue; }

  private:
    void unlink(Acquire* w) noexcept;

    int _capacity;
    int _max_queue;
    int _active = 0;
    int _queued = 0;
    Acquire* _head = nullptr;
    Acquire* _tail = nullptr;
};

}  // namespace ec::rs
