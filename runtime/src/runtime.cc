#include "runtime/runtime.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace ec::rt {

Runtime::Runtime(RuntimeOptions opts) : _pin(opts.pin_threads), _ropts(opts.reactor) {
    unsigned n = opts.cores;
    if (n == 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        n = online > 0 ? static_cast<unsigned>(online) : 1;
    }
    _cores = n;
    _reactors = std::make_unique<std::atomic<Reactor*>[]>(n);
    for (unsigned i = 0; i < n; ++i)
        _reactors[i].store(nullptr);
}

void Runtime::stop_all() {
    for (unsigned i = 0; i < _cores; ++i)
        if (Reactor* r = _reactors[i].load(std::memory_order_acquire)) r->post_remote([r] { r->stop(); });
}

void Runtime::run(const std::function<Task<void>(unsigned core)>& per_core) {
    ::signal(SIGPIPE, SIG_IGN);
    std::mutex mu;
    std::condition_variable cv;
    unsigned arrived = 0;  // start barrier: never decremented (a fast core must not undo it)
    unsigned running = 0;  // cores whose task has not finished yet
    bool abort_start = false;
    std::vector<std::exception_ptr> errors(_cores);

    auto body = [&](unsigned core) {
        if (_pin) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(core % CPU_SETSIZE, &set);
            pthread_setaffinity_np(pthread_self(), sizeof set, &set);
        }
        std::unique_ptr<Reactor> reactor;
        try {
            reactor = std::make_unique<Reactor>(core, _ropts);
            reactor->set_runtime(this);
        } catch (...) {
            errors[core] = std::current_exception();
        }
        {
            // Every reactor exists before any core's task runs, so submit_to works at once.
            std::unique_lock lk(mu);
            _reactors[core].store(reactor.get(), std::memory_order_release);
            if (!reactor) abort_start = true;
            ++arrived;
            ++running;
            cv.notify_all();
            cv.wait(lk, [&] { return arrived == _cores; });
            if (abort_start) {
                _reactors[core].store(nullptr, std::memory_order_release);
                return;
            }
        }
        try {
            reactor->block_on(per_core(core));
        } catch (...) {
            errors[core] = std::current_exception();
        }
        // Keep serving cross-core messages until every core is done, so a late
        // submit_to from a peer still finds this reactor alive.
        {
            std::unique_lock lk(mu);
            --running;
            cv.notify_all();
        }
        Reactor* self = reactor.get();
        std::atomic<bool> all_done{false};
        std::thread waiter([&] {
            std::unique_lock lk(mu);
            cv.wait(lk, [&] { return running == 0; });
            all_done = true;
            self->post_remote([self] { self->stop(); });
        });
        self->run();
        waiter.join();
        std::unique_lock lk(mu);
        _reactors[core].store(nullptr, std::memory_order_release);
    };

    std::vector<std::thread> threads;
    threads.reserve(_cores);
    for (unsigned i = 1; i < _cores; ++i)
        threads.emplace_back(body, i);
    body(0);
    for (auto& t : threads)
        t.join();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
}

}  // namespace ec::rt
