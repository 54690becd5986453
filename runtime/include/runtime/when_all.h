// when_all / when_any over Tasks, structured: neither returns before every child has
// finished, so no child outlives the state it writes to.
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "runtime/cancel.h"
#include "runtime/gate.h"
#include "runtime/reactor.h"
#include "runtime/task.h"

namespace ec::rt {

namespace detail {

template <class T>
using VoidToMono = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

struct JoinCounter {
    size_t remaining = 0;
    std::coroutine_handle<> parent;
    void arrive() noexcept {
        if (--remaining == 0) Reactor::current().post(parent);
    }
};

template <class T>
DetachedTask join_one(Task<T> t, std::optional<VoidToMono<T>>& out, std::exception_ptr& ex, JoinCounter& c) {
    try {
        if constexpr (std::is_void_v<T>) {
            co_await std::move(t);
            out.emplace();
        } else {
            out.emplace(co_await std::move(t));
        }
    } catch (...) {
        ex = std::current_exception();
    }
    c.arrive();
}

template <class F>
struct StartAll {
    JoinCounter& c;
    F start;
    bool await_ready() const noexcept { return c.remaining == 0; }
    void await_suspend(std::coroutine_handle<> h) {
        c.parent = h;
        start();
    }
    void await_resume() const noexcept {}
};
template <class F>
StartAll(JoinCounter&, F) -> StartAll<F>;

}  // namespace detail

// Runs all tasks concurrently; returns their results (void -> std::monostate).
// The first exception (in argument order) is rethrown after all have finished.
template <class... Ts>
Task<std::tuple<detail::VoidToMono<Ts>...>> when_all(Task<Ts>... tasks) {
    std::tuple<std::optional<detail::VoidToMono<Ts>>...> results;
    std::exception_ptr errors[sizeof...(Ts)] = {};
    detail::JoinCounter c{sizeof...(Ts), {}};
    co_await detail::StartAll{c, [&] {
                                  [&]<size_t... I>(std::index_sequence<I...>) {
                                      (detail::join_one(std::move(tasks), std::get<I>(results), errors[I], c),
                                       ...);
                                  }
                                  (std::index_sequence_for<Ts...>{});
                              }};
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
    co_return std::apply([](auto&... o) { return std::tuple<detail::VoidToMono<Ts>...>(std::move(*o)...); },
                         results);
}

template <class T>
Task<std::vector<detail::VoidToMono<T>>> when_all(std::vector<Task<T>> tasks) {
    std::vector<std::optional<detail::VoidToMono<T>>> results(tasks.size());
    std::vector<std::exception_ptr> errors(tasks.size());
    detail::JoinCounter c{tasks.size(), {}};
    co_await detail::StartAll{c, [&] {
                                  for (size_t i = 0; i < tasks.size(); ++i)
                                      detail::join_one(std::move(tasks[i]), results[i], errors[i], c);
                              }};
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
    std::vector<detail::VoidToMono<T>> out;
    out.reserve(results.size());
    for (auto& r : results)
        out.push_back(std::move(*r));
    co_return out;
}

// Runs all tasks; when the first finishes, cancels `losers` (which the tasks should
// observe through their CancelTokens) and waits for the rest. Returns the index of the
// first finisher and its result; rethrows if the first finisher threw.
template <class T>
Task<std::pair<size_t, detail::VoidToMono<T>>> when_any(std::vector<Task<T>> tasks, CancelSource& losers) {
    std::vector<std::optional<detail::VoidToMono<T>>> results(tasks.size());
    std::vector<std::exception_ptr> errors(tasks.size());
    size_t first = SIZE_MAX;
    detail::JoinCounter c{tasks.size(), {}};
    auto watch = [&](size_t i) -> detail::DetachedTask {
        try {
            if constexpr (std::is_void_v<T>) {
                co_await std::move(tasks[i]);
                results[i].emplace();
            } else {
                results[i].emplace(co_await std::move(tasks[i]));
            }
        } catch (...) {
            errors[i] = std::current_exception();
        }
        if (first == SIZE_MAX) {
            first = i;
            losers.cancel();
        }
        c.arrive();
    };
    co_await detail::StartAll{c, [&] {
                                  for (size_t i = 0; i < tasks.size(); ++i)
                                      watch(i);
                              }};
    if (errors[first]) std::rethrow_exception(errors[first]);
    co_return std::pair<size_t, detail::VoidToMono<T>>(first, std::move(*results[first]));
}

}  // namespace ec::rt
