// Task<T>: a lazy, move-only coroutine with symmetric transfer.
//
// Contract:
//  - A Task does nothing until it is awaited (or handed to spawn()/block_on()).
//  - Awaiting a Task transfers control to it directly (symmetric transfer); when it
//    finishes, control transfers straight back to the awaiter. Neither direction grows
//    the machine stack, so arbitrarily long chains of awaits are safe.
//  - An exception thrown inside the Task is rethrown at the co_await site.
//  - The Task object owns the coroutine frame; destroying an unstarted or finished Task
//    frees it. Destroying a Task while it is suspended mid-flight is a bug (the frame
//    would be resumed later by an I/O completion) and is never done by this library.
//  - Core affinity: a Task runs on the reactor thread that resumes it; every operation in
//    this library resumes on the reactor that issued it.
#pragma once

#include <cassert>
#include <coroutine>
#include <exception>
#include <new>
#include <type_traits>
#include <utility>

namespace ec::rt {

template <class T = void>
class Task;

namespace detail {

struct PromiseBase {
    std::coroutine_handle<> continuation{std::noop_coroutine()};
    std::exception_ptr exception;

    struct FinalAwaiter {
        bool await_ready() const noexcept { return false; }
        template <class P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
            return h.promise().continuation;
        }
        void await_resume() const noexcept {}
    };

    std::suspend_always initial_suspend() const noexcept { return {}; }
    FinalAwaiter final_suspend() const noexcept { return {}; }
    void unhandled_exception() noexcept { exception = std::current_exception(); }
};

template <class T>
struct Promise final : PromiseBase {
    alignas(T) unsigned char storage[sizeof(T)];
    bool has_value = false;

    Promise() noexcept {}
    ~Promise() {
        if (has_value) std::launder(reinterpret_cast<T*>(storage))->~T();
    }
    Task<T> get_return_object() noexcept;

    template <class U>
    requires std::is_constructible_v<T, U&&>
    void return_value(U&& v) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
        ::new (static_cast<void*>(storage)) T(std::forward<U>(v));
        has_value = true;
    }
    T take() {
        if (exception) std::rethrow_exception(exception);
        assert(has_value);
        return std::move(*std::launder(reinterpret_cast<T*>(storage)));
    }
};

template <>
struct Promise<void> final : PromiseBase {
    Task<void> get_return_object() noexcept;
    void return_void() noexcept {}
    void take() {
        if (exception) std::rethrow_exception(exception);
    }
};

}  // namespace detail

template <class T>
class [[nodiscard]] Task {
  public:
    using promise_type = detail::Promise<T>;
    using value_type = T;
    using Handle = std::coroutine_handle<promise_type>;

    Task() noexcept = default;
    explicit Task(Handle h) noexcept : _h(h) {}
    Task(Task&& o) noexcept : _h(std::exchange(o._h, {})) {}
    Task& operator=(Task&& o) noexcept {
        if (this != &o) {
            destroy();
            _h = std::exchange(o._h, {});
        }
        return *this;
    }
    Task(const Task&) = delete;
    Task& operator=(const Task&) = delete;
    ~Task() { destroy(); }

    bool valid() const noexcept { return static_cast<bool>(_h); }
    bool done() const noexcept { return _h && _h.done(); }

    struct Awaiter {
        Handle h;
        bool await_ready() const noexcept { return !h || h.done(); }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<> cont) noexcept {
            h.promise().continuation = cont;
            return h;
        }
        T await_resume() { return h.promise().take(); }
    };
    Awaiter operator co_await() && noexcept { return Awaiter{_h}; }

    // Used by runtime internals (spawn, block_on, when_all) that drive a task by hand.
    Handle handle() const noexcept { return _h; }
    Handle release() noexcept { return std::exchange(_h, {}); }

  private:
    void destroy() noexcept {
        if (_h) {
            _h.destroy();
            _h = {};
        }
    }
    Handle _h{};
};

namespace detail {
template <class T>
inline Task<T> Promise<T>::get_return_object() noexcept {
    return Task<T>{std::coroutine_handle<Promise<T>>::from_promise(*this)};
}
inline Task<void> Promise<void>::get_return_object() noexcept {
    return Task<void>{std::coroutine_handle<Promise<void>>::from_promise(*this)};
}
}  // namespace detail

template <class T>
struct IsTask : std::false_type {};
template <class T>
struct IsTask<Task<T>> : std::true_type {};
template <class T>
inline constexpr bool is_task_v = IsTask<std::remove_cvref_t<T>>::value;

}  // namespace ec::rt
