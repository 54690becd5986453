// The systemd watchdog: WATCHDOG=1 only while every reactor answers its probes.
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "runtime/reactor.h"
#include "runtime/systemd.h"

namespace ec::rt::systemd {

using Clock = std::chrono::steady_clock;

// Shared with the probes in flight: a probe queued on a reactor may run after the
// Watchdog is gone, so it holds the state by shared_ptr.
struct Watchdog::State {
    struct Slot {
        Reactor* reactor = nullptr;      // guarded by mu; null when not attached
        bool ever_attached = false;      // guarded by mu
        uint64_t probed = 0;             // guarded by mu: epoch of the last probe sent
        Clock::time_point probed_at{};   // guarded by mu
        std::atomic<uint64_t> acked{0};  // written by the reactor thread
    };
    explicit State(unsigned n) : cores(n), slots(new Slot[n]) {}

    const unsigned cores;
    std::mutex mu;
    std::unique_ptr<Slot[]> slots;
    uint64_t epoch = 0;  // guarded by mu
    std::atomic<uint64_t> sent{0};
    std::atomic<uint64_t> withheld{0};
};

namespace {

void log_to_stderr(std::string_view line) {
    std::string s(line);
    s += '\n';
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, s.data(), s.size());
}

}  // namespace

std::optional<std::chrono::microseconds> Watchdog::interval_from_environment(std::string* err) {
    const char* usec = getenv("WATCHDOG_USEC");  // NOLINT(concurrency-mt-unsafe): before threads start
    if (!usec) return std::nullopt;
    if (const char* pid = getenv("WATCHDOG_PID")) {  // NOLINT(concurrency-mt-unsafe)
        long v = 0;
        auto [p, ec] = std::from_chars(pid, pid + strlen(pid), v);
        if (ec != std::errc() || *p != '\0') {
            if (err) *err = std::string("WATCHDOG_PID=") + pid + " is not a process id";
            return std::nullopt;
        }
        if (v != getpid()) return std::nullopt;  // meant for another process (our parent)
    }
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(usec, usec + strlen(usec), v);
    if (ec != std::errc() || *p != '\0' || v == 0) {
        if (err) *err = std::string("WATCHDOG_USEC=") + usec + " is not a positive number of microseconds";
        return std::nullopt;
    }
    return std::chrono::microseconds(v);
}

Watchdog::Watchdog(const Notifier& n, unsigned cores, WatchdogOptions opts)
    : _n(n), _state(std::make_shared<State>(cores)), _log(std::move(opts.log)) {
    if (cores == 0) throw std::invalid_argument("Watchdog needs at least one core");
    if (opts.interval.count() > 0) {
        _interval = opts.interval;
    } else if (auto iv = interval_from_environment(&_error)) {
        _interval = *iv;
    }
    if (opts.unset_environment) {
        // NOLINTBEGIN(concurrency-mt-unsafe): before threads start, as documented
        unsetenv("WATCHDOG_USEC");
        unsetenv("WATCHDOG_PID");
        // NOLINTEND(concurrency-mt-unsafe)
    }
    if (!_log) _log = log_to_stderr;
}

Watchdog::~Watchdog() {
    stop();
}

void Watchdog::start() {
    if (!enabled() || _thread.joinable()) return;
    {
        std::lock_guard lk(_mu);
        _stop = false;
    }
    _thread = std::thread([this] { run(); });
}

void Watchdog::stop() {
    {
        std::lock_guard lk(_mu);
        _stop = true;
    }
    _cv.notify_all();
    if (_thread.joinable()) _thread.join();
}

uint64_t Watchdog::pings_sent() const noexcept {
    return _state->sent.load(std::memory_order_relaxed);
}
uint64_t Watchdog::pings_withheld() const noexcept {
    return _state->withheld.load(std::memory_order_relaxed);
}

Watchdog::Attachment Watchdog::attach() {
    Reactor& r = Reactor::current();
    if (r.id() >= _state->cores) {
        throw std::out_of_range("Watchdog::attach: reactor " + std::to_string(r.id()) +
                                " but the watchdog was built for " + std::to_string(_state->cores) +
                                " cores");
    }
    std::lock_guard lk(_state->mu);
    State::Slot& s = _state->slots[r.id()];
    if (s.reactor)
        throw std::logic_error("Watchdog::attach: core " + std::to_string(r.id()) + " attached twice");
    s.reactor = &r;
    s.ever_attached = true;
    // Attaching is itself proof of life: nothing outstanding.
    s.probed = s.acked.load(std::memory_order_relaxed);
    return {_state, r.id()};
}

Watchdog::Attachment& Watchdog::Attachment::operator=(Attachment&& o) noexcept {
    if (this != &o) {
        reset();
        _state = std::move(o._state);
        _core = o._core;
    }
    return *this;
}

void Watchdog::Attachment::reset() noexcept {
    if (!_state) return;
    {
        // After this, the ping thread never touches the reactor again (it may be destroyed).
        std::lock_guard lk(_state->mu);
        _state->slots[_core].reactor = nullptr;
    }
    _state.reset();
}

void Watchdog::run() noexcept {
    const auto period = std::chrono::duration_cast<Clock::duration>(_interval / 2);
    auto next = Clock::now() + period;
    std::unique_lock lk(_mu);
    while (!_stop) {
        if (_cv.wait_until(lk, next, [this] { return _stop; })) break;
        const auto now = Clock::now();
        next += period;
        if (next <= now) next = now + period;  // we were descheduled: no burst of catch-up pings
        lk.unlock();
        try {
            tick();
        } catch (...) {
            // Only allocation can throw here; skipping one tick is the safe reaction.
        }
        lk.lock();
    }
}

void Watchdog::tick() {
    State& st = *_state;
    const auto now = Clock::now();
    std::string stuck;  // JSON array body
    int64_t worst_ms = 0;
    bool complete = true;  // every core attached at least once
    bool any = false;
    std::lock_guard lk(st.mu);
    for (unsigned i = 0; i < st.cores; ++i) {
        State::Slot& s = st.slots[i];
        if (!s.ever_attached) {
            complete = false;
            continue;
        }
        if (!s.reactor) continue;  // finished serving (shutdown): no longer counts
        any = true;
        if (s.acked.load(std::memory_order_acquire) < s.probed) {
            if (!stuck.empty()) stuck += ',';
            stuck += std::to_string(i);
            worst_ms = std::max<int64_t>(
                worst_ms, std::chrono::duration_cast<std::chrono::milliseconds>(now - s.probed_at).count());
        }
    }
    if (complete && any) {
        if (stuck.empty()) {
            int r = _n.watchdog();
            if (r == 0) {
                if (_withholding) {
                    _log(
                        R"({"level":"info","msg":"systemd watchdog pings resumed: every reactor responds again"})");
                }
                _withholding = false;
                st.sent.fetch_add(1, std::memory_order_relaxed);
            } else if (!_send_failing) {
                _log(std::string(R"({"level":"error","msg":"systemd watchdog ping failed","error":")") +
                     std::generic_category().message(-r) + R"(","notify_socket":")" + _n.address() + "\"}");
            }
            _send_failing = r != 0;
        } else {
            st.withheld.fetch_add(1, std::memory_order_relaxed);
            // Log when the stall starts and then about every 5 s, not every tick.
            if (!_withholding || now - _last_withheld_log >= std::chrono::seconds(5)) {
                _log(
                    R"({"level":"error","msg":"systemd watchdog ping withheld: reactor not making progress","cores":[)" +
                    stuck + R"(],"stalled_ms":)" + std::to_string(worst_ms) + "}");
                _last_withheld_log = now;
            }
            _withholding = true;
        }
    }
    // Probe every attached core that answered the last probe. A stuck core keeps its
    // outstanding probe: re-posting would only pile messages up in its inbox.
    for (unsigned i = 0; i < st.cores; ++i) {
        State::Slot& s = st.slots[i];
        if (!s.reactor || s.acked.load(std::memory_order_acquire) < s.probed) continue;
        const uint64_t epoch = ++st.epoch;
        s.probed = epoch;
        s.probed_at = now;
        s.reactor->post_remote([state = _state, i, epoch] {
            // Monotonic: a probe left over from an earlier attachment must not move it back.
            std::atomic<uint64_t>& acked = state->slots[i].acked;
            uint64_t cur = acked.load(std::memory_order_relaxed);
            while (cur < epoch && !acked.compare_exchange_weak(cur, epoch, std::memory_order_release)) {
            }
        });
    }
}

}  // namespace ec::rt::systemd
