// Gate and spawn(): detached tasks that shutdown can still wait for.
//
// spawn(gate, task) starts `task` at once (it runs until its first suspension before
// spawn returns) and keeps the gate entered until it finishes. `co_await gate.close()`
// refuses new entries and resumes when every spawned task has finished. An exception
// escaping a spawned task is reported on stderr and swallowed (the task is detached).
// Core affinity: a Gate belongs to one reactor.
#pragma once

#include <cassert>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <vector>

#include "runtime/reactor.h"
#include "runtime/task.h"

namespace ec::rt {

class Gate {
  public:
    Gate() = default;
    Gate(const Gate&) = delete;
    Gate& operator=(const Gate&) = delete;
    ~Gate() { assert(_count == 0 && "Gate destroyed with tasks still inside"); }

    bool try_enter() noexcept {
        if (_closed) return false;
        ++_count;
        return true;
    }
    void leave() noexcept {
        assert(_count > 0);
        if (--_count == 0 && !_waiters.empty()) {
            for (auto h : _waiters) Reactor::current().post(h);
            _waiters.clear();
        }
    }
    bool closed() const noexcept { return _closed; }
    size_t count() const noexcept { return _count; }

    struct CloseAwaiter {
        Gate& g;
        bool await_ready() noexcept {
            g._closed = true;
            return g._count == 0;
        }
        void await_suspend(std::coroutine_handle<> h) { g._waiters.push_back(h); }
        void await_resume() const noexcept {}
    };
    // Stops new entries and waits for all current holders to leave. Any number of
    // coroutines may wait; all resume when the last holder leaves.
    CloseAwaiter close() noexcept { return CloseAwaiter{*this}; }

  private:
    size_t _count = 0;
    bool _closed = false;
    std::vector<std::coroutine_handle<>> _waiters;
};

namespace detail {

// Eagerly started, self-destroying coroutine used to run detached work.
struct DetachedTask {
    struct promise_type {
        DetachedTask get_return_object() const noexcept { return {}; }
        std::suspend_never initial_suspend() const noexcept { return {}; }
        std::suspend_never final_suspend() const noexcept { return {}; }
        void return_void() const noexcept {}
        void unhandled_exception() const noexcept { std::terminate(); }
    };
};

void report_unhandled(std::exception_ptr e) noexcept;

}  // namespace detail

// Starts `t` detached, inside `g`. Returns false (and does not start it) when the gate
// is closed.
bool spawn(Gate& g, Task<void> t);

}  // namespace ec::rt
