// Hierarchical timer wheel with 1 ms ticks (4 levels x 64 slots, ~4.6 h span; later
// deadlines are parked in the last level and re-filed when they come into range).
//
// O(1) schedule and cancel (intrusive lists), so per-connection idle and request
// deadlines cost nothing measurable. One wheel per reactor; not thread-safe.
#pragma once

#include <cstdint>

namespace ec::rt {

class TimerWheel;

// Intrusive timer node. The owner keeps it alive while armed (cancel before destroying).
class Timer {
  public:
    using Fn = void (*)(Timer*) noexcept;
    explicit Timer(Fn fn = nullptr) noexcept : _fn(fn) {}
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;
    ~Timer();

    void set_callback(Fn fn) noexcept { _fn = fn; }
    bool armed() const noexcept { return _wheel != nullptr; }
    uint64_t expiry_ms() const noexcept { return _expiry; }

  private:
    friend class TimerWheel;
    Fn _fn;
    Timer* _prev = nullptr;
    Timer* _next = nullptr;
    TimerWheel* _wheel = nullptr;
    void* _list = nullptr;  // TimerWheel::List the node is on
    uint64_t _expiry = 0;
};

class TimerWheel {
  public:
    static constexpr int kLevels = 4;
    static constexpr int kBits = 6;
    static constexpr int kSlots = 1 << kBits;

    explicit TimerWheel(uint64_t now_ms) noexcept : _cur(now_ms) {}
    TimerWheel(const TimerWheel&) = delete;
    TimerWheel& operator=(const TimerWheel&) = delete;
    ~TimerWheel();

    // Arms (or re-arms) `t` to fire at `expiry_ms`; a past expiry fires on the next advance().
    void schedule(Timer& t, uint64_t expiry_ms) noexcept;
    void cancel(Timer& t) noexcept;

    // Fires every timer whose expiry is <= now_ms. Callbacks may schedule/cancel timers.
    // Returns the number fired.
    unsigned advance(uint64_t now_ms) noexcept;

    // Earliest time at which advance() may have work: a lower bound on the next expiry.
    // UINT64_MAX when no timer is armed.
    uint64_t next_wakeup_ms() const noexcept;

    bool empty() const noexcept { return _count == 0; }
    uint64_t count() const noexcept { return _count; }
    uint64_t current_ms() const noexcept { return _cur; }

  private:
    struct List {
        Timer* head = nullptr;
    };
    void link(Timer& t) noexcept;
    void unlink(Timer& t) noexcept;
    void push(List& l, Timer& t) noexcept;
    void cascade(int level, unsigned slot) noexcept;
    void fire_list(List& l) noexcept;

    List _slots[kLevels][kSlots];
    uint64_t _bits[kLevels] = {};  // non-empty slot bitmap per level
    List _due;                     // expiry already <= _cur when scheduled
    uint64_t _cur;                 // last tick processed
    uint64_t _count = 0;
};

}  // namespace ec::rt
