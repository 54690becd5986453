#include "runtime/reactor.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>

namespace ec::rt {

namespace {

thread_local Reactor* t_current = nullptr;

uint64_t monotonic_ms() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

std::string kernel_release() {
    utsname u{};
    if (uname(&u) != 0) return "unknown";
    return u.release;
}

// Opcodes the runtime relies on; checked once per ring so a too-old kernel fails at
// start-up with a message instead of misbehaving later.
struct RequiredOp {
    int op;
    const char* name;
};
constexpr RequiredOp kRequiredOps[] = {
    {IORING_OP_ACCEPT, "ACCEPT"},
    {IORING_OP_RECV, "RECV"},
    {IORING_OP_SEND, "SEND"},
    {IORING_OP_SENDMSG, "SENDMSG"},
    {IORING_OP_CONNECT, "CONNECT"},
    {IORING_OP_TIMEOUT, "TIMEOUT"},
    {IORING_OP_LINK_TIMEOUT, "LINK_TIMEOUT"},
    {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"},
    {IORING_OP_POLL_ADD, "POLL_ADD"},
    {IORING_OP_OPENAT, "OPENAT"},
    {IORING_OP_READ, "READ"},
    {IORING_OP_WRITE, "WRITE"},
    {IORING_OP_STATX, "STATX"},
    {IORING_OP_RENAMEAT, "RENAMEAT"},
    {IORING_OP_UNLINKAT, "UNLINKAT"},
    {IORING_OP_MKDIRAT, "MKDIRAT"},
    {IORING_OP_SPLICE, "SPLICE"},
    {IORING_OP_CLOSE, "CLOSE"},
};

}  // namespace

Reactor& Reactor::current() noexcept {
    assert(t_current && "no Reactor on this thread");
    return *t_current;
}
Reactor* Reactor::current_or_null() noexcept {
    return t_current;
}

Reactor::Reactor(unsigned id, const ReactorOptions& opts) : _id(id), _timers(monotonic_ms()) {
    _now_ms = _timers.current_ms();
    struct Mode {
        unsigned flags;
        const char* name;
    };
    const Mode modes[] = {
        {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, "single_issuer+defer_taskrun"},
        {IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG, "coop_taskrun"},
        {0, "basic"},
    };
    int err = 0;
    bool ok = false;
    for (int i = opts.force_setup_level; i < 3; ++i) {
        io_uring_params p{};
        p.flags = modes[i].flags | IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
        p.cq_entries = opts.cq_entries;
        err = io_uring_queue_init_params(opts.sq_entries, &_ring, &p);
        if (err == -EINVAL) {
            // Older kernels reject SUBMIT_ALL; retry the same mode without it.
            p = io_uring_params{};
            p.flags = modes[i].flags | IORING_SETUP_CQSIZE;
            p.cq_entries = opts.cq_entries;
            err = io_uring_queue_init_params(opts.sq_entries, &_ring, &p);
        }
        if (err == 0) {
            _setup_mode = modes[i].name;
            ok = true;
            break;
        }
        if (err == -ENOSYS || err == -EPERM) break;  // io_uring itself is unavailable
    }
    if (!ok) {
        throw IoUringUnavailable("io_uring is unavailable (" + std::string(strerror(-err)) + ", kernel " +
                                 kernel_release() +
                                 "). EdgeComet needs Linux >= 6.1 with io_uring enabled: check sysctl "
                                 "kernel.io_uring_disabled=0 and "
                                 "that no seccomp profile (docker/podman default, systemd SystemCallFilter) "
                                 "blocks io_uring_setup.");
    }
    if (io_uring_probe* probe = io_uring_get_probe_ring(&_ring)) {
        std::string missing;
        for (const auto& op : kRequiredOps) {
            if (!io_uring_opcode_supported(probe, op.op))
                missing += std::string(missing.empty() ? "" : ", ") + op.name;
        }
        io_uring_free_probe(probe);
        if (!missing.empty()) {
            io_uring_queue_exit(&_ring);
            throw IoUringUnavailable("io_uring on kernel " + kernel_release() +
                                     " lacks operations: " + missing + ". EdgeComet needs Linux >= 6.1.");
        }
    }
    _event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (_event_fd < 0) {
        int e = errno;
        io_uring_queue_exit(&_ring);
        throw std::runtime_error(std::string("eventfd: ") + strerror(e));
    }
    _wakeup.fn = &Reactor::on_wakeup;
    _wakeup.self = this;
    assert(!t_current && "one Reactor per thread");
    t_current = this;
    arm_wakeup();
}

Reactor::~Reactor() {
    if (t_current == this) t_current = nullptr;
    io_uring_queue_exit(&_ring);
    if (_event_fd >= 0) ::close(_event_fd);
}

uint64_t Reactor::refresh_now() noexcept {
    _now_ms = monotonic_ms();
    return _now_ms;
}

io_uring_sqe* Reactor::sqe() noexcept {
    io_uring_sqe* s = io_uring_get_sqe(&_ring);
    while (!s) {
        io_uring_submit(&_ring);
        s = io_uring_get_sqe(&_ring);
    }
    return s;
}

void Reactor::reserve_sqes(unsigned n) noexcept {
    if (io_uring_sq_space_left(&_ring) < n) io_uring_submit(&_ring);
}

void Reactor::arm_wakeup() {
    io_uring_sqe* s = sqe();
    io_uring_prep_poll_multishot(s, _event_fd, POLLIN);
    io_uring_sqe_set_data(s, static_cast<Completion*>(&_wakeup));
    _wakeup_armed = true;
}

void Reactor::on_wakeup(Completion* c, int32_t res, uint32_t flags) noexcept {
    Reactor* self = static_cast<Wakeup*>(c)->self;
    if (!(flags & IORING_CQE_F_MORE)) {
        self->_wakeup_armed = false;
        if (res != -ECANCELED) self->arm_wakeup();
    }
    uint64_t v;
    while (::read(self->_event_fd, &v, sizeof v) > 0) {
    }
    self->drain_inbox();
}

void Reactor::post_remote(std::function<void()> fn) {
    bool signal = false;
    {
        std::lock_guard lk(_inbox_mu);
        _inbox.push_back(std::move(fn));
        if (!_inbox_signalled) {
            _inbox_signalled = true;
            signal = true;
        }
    }
    if (signal) {
        uint64_t one = 1;
        [[maybe_unused]] ssize_t n = ::write(_event_fd, &one, sizeof one);
    }
}

void Reactor::drain_inbox() {
    {
        std::lock_guard lk(_inbox_mu);
        _inbox_work.swap(_inbox);
        _inbox_signalled = false;
    }
    for (auto& fn : _inbox_work)
        fn();
    _inbox_work.clear();
}

void submit_cancel(Reactor& r, const Completion* target) noexcept {
    io_uring_sqe* s = r.sqe();
    io_uring_prep_cancel(s, const_cast<Completion*>(target), 0);
    io_uring_sqe_set_data64(s, 0);
}

void Reactor::run_once(bool may_block) {
    _turns.fetch_add(1, std::memory_order_relaxed);
    refresh_now();
    _timers.advance(_now_ms);

    // Resume what is ready now; coroutines posted meanwhile run in the next turn so a
    // yielding loop cannot starve I/O.
    if (!_ready.empty()) {
        _running.swap(_ready);
        for (auto h : _running)
            h.resume();
        _running.clear();
    }

    bool block = may_block && _ready.empty() && !_stop && !(_until && *_until);
    if (block) {
        uint64_t next = _timers.next_wakeup_ms();
        refresh_now();
        io_uring_cqe* cqe = nullptr;
        if (next == UINT64_MAX) {
            io_uring_submit_and_wait(&_ring, 1);
        } else if (next <= _now_ms) {
            io_uring_submit_and_get_events(&_ring);
        } else {
            uint64_t wait = next - _now_ms;
            __kernel_timespec ts{static_cast<int64_t>(wait / 1000),
                                 static_cast<long long>((wait % 1000) * 1000000)};
            io_uring_submit_and_wait_timeout(&_ring, &cqe, 1, &ts, nullptr);
        }
    } else {
        io_uring_submit_and_get_events(&_ring);
    }

    // Copy CQEs out before dispatching: handlers may submit (and so flush) new work.
    constexpr unsigned kBatch = 256;
    struct Item {
        uint64_t ud;
        int32_t res;
        uint32_t flags;
    };
    Item batch[kBatch];
    for (;;) {
        unsigned n = 0;
        unsigned head;
        io_uring_cqe* cqe;
        io_uring_for_each_cqe(&_ring, head, cqe) {
            batch[n++] = Item{cqe->user_data, cqe->res, cqe->flags};
            if (n == kBatch) break;
        }
        if (n == 0) break;
        io_uring_cq_advance(&_ring, n);
        _completions += n;
        for (unsigned i = 0; i < n; ++i) {
            if (batch[i].ud == 0) continue;
            auto* c = reinterpret_cast<Completion*>(batch[i].ud);
            c->fn(c, batch[i].res, batch[i].flags);
        }
        if (n < kBatch) break;
    }
}

void Reactor::run() {
    _stop = false;
    while (!_stop)
        run_once(true);
}

}  // namespace ec::rt
