#include "runtime/gate.h"

#include <cstdio>
#include <exception>

namespace ec::rt {

namespace detail {

void report_unhandled(std::exception_ptr e) noexcept {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        std::fprintf(
            stderr,
            "{\"level\":\"error\",\"msg\":\"unhandled exception in spawned task\",\"error\":\"%s\"}\n",
            ex.what());
    } catch (...) {
        std::fprintf(stderr,
                     "{\"level\":\"error\",\"msg\":\"unhandled non-std exception in spawned task\"}\n");
    }
}

namespace {
DetachedTask run_in_gate(Gate& g, Task<void> t) {
    try {
        co_await std::move(t);
    } catch (...) {
        report_unhandled(std::current_exception());
    }
    g.leave();
}
}  // namespace

}  // namespace detail

bool spawn(Gate& g, Task<void> t) {
    if (!g.try_enter()) return false;
    detail::run_in_gate(g, std::move(t));
    return true;
}

}  // namespace ec::rt
