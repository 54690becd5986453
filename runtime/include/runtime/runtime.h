// Runtime: one Reactor per core, each on its own thread, plus cross-core messaging.
//
// Runtime::run(fn) starts `cores` threads (optionally pinned), creates a Reactor on
// each, calls fn(core) there and runs that reactor until the returned Task finishes.
// run() returns when every core's task has finished and rethrows the first failure.
// run() sets SIGPIPE to "ignore" for the process: sockets use MSG_NOSIGNAL, but a write
// to a pipe whose reader died (a crashed child) must fail with EPIPE, not kill us.
//
// submit_to(core, fn) runs `fn` on another core and resumes the caller on its own core
// with fn's result; fn may return a plain value or a Task (which is awaited there).
#pragma once

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <vector>

#include "runtime/gate.h"
#include "runtime/reactor.h"
#include "runtime/task.h"

namespace ec::rt {

struct RuntimeOptions {
    unsigned cores = 0;  // 0 = number of online CPUs
    bool pin_threads = false;
    ReactorOptions reactor;
};

class Runtime {
  public:
    explicit Runtime(RuntimeOptions opts = {});
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    unsigned cores() const noexcept { return _cores; }
    // Valid while run() is running: every reactor exists before any core's task starts
    // and stays until every core's task has finished (safe from any thread then).
    Reactor& reactor(unsigned core) const noexcept {
        return *_reactors[core].load(std::memory_order_acquire);
    }
    // Null before start and after shutdown. The pointer may dangle as soon as run()
    // returns: callers outside the runtime must synchronise with run() themselves.
    Reactor* reactor_if_started(unsigned core) const noexcept {
        return _reactors[core].load(std::memory_order_acquire);
    }

    void run(const std::function<Task<void>(unsigned core)>& per_core);

    // Thread-safe: asks every reactor to stop its loop (used for emergency exit only;
    // graceful shutdown finishes the per-core tasks instead).
    void stop_all();

  private:
    unsigned _cores;
    bool _pin;
    ReactorOptions _ropts;
    std::unique_ptr<std::atomic<Reactor*>[]> _reactors;
};

namespace detail {

template <class R>
struct UnwrapTask {
    using type = R;
};
template <class T>
struct UnwrapTask<Task<T>> {
    using type = T;
};
template <class F>
using SubmitResult = typename UnwrapTask<std::invoke_result_t<F&>>::type;

template <class F>
class SubmitToAwaiter {
  public:
    using R = SubmitResult<F>;
    SubmitToAwaiter(Reactor& target, F fn) : _target(target), _fn(std::move(fn)) {}

    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
        _h = h;
        _origin = &Reactor::current();
        _target.post_remote([this] { run_on_target(); });
    }
    R await_resume() {
        if (_ex) std::rethrow_exception(_ex);
        if constexpr (!std::is_void_v<R>) return std::move(*_result);
    }

  private:
    void finish() {
        _origin->post_remote([h = _h] { h.resume(); });
    }
    static DetachedTask await_task(SubmitToAwaiter* self) {
        try {
            if constexpr (std::is_void_v<R>)
                co_await self->_fn();
            else
                self->_result.emplace(co_await self->_fn());
        } catch (...) {
            self->_ex = std::current_exception();
        }
        self->finish();
    }
    void run_on_target() {
        if constexpr (is_task_v<std::invoke_result_t<F&>>) {
            await_task(this);
        } else {
            try {
                if constexpr (std::is_void_v<R>)
                    _fn();
                else
                    _result.emplace(_fn());
            } catch (...) {
                _ex = std::current_exception();
            }
            finish();
        }
    }

    Reactor& _target;
    F _fn;
    Reactor* _origin = nullptr;
    std::coroutine_handle<> _h;
    std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> _result{};
    std::exception_ptr _ex;
};

}  // namespace detail

// Runs fn on `core` of the calling reactor's Runtime; the caller resumes on its own core.
template <class F>
detail::SubmitToAwaiter<std::decay_t<F>> submit_to(unsigned core, F&& fn) {
    Runtime* rt = Reactor::current().runtime();
    return detail::SubmitToAwaiter<std::decay_t<F>>(rt->reactor(core), std::forward<F>(fn));
}

}  // namespace ec::rt
