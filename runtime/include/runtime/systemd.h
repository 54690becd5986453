// systemd integration without libsystemd: the NOTIFY_SOCKET datagram protocol
// (sd_notify(3)), a watchdog that only pings while every reactor makes progress, and
// the adoption of listeners passed by socket activation (sd_listen_fds(3)).
//
// Typical use in a service's main():
//
//   auto notifier = systemd::Notifier::from_environment(/*unset=*/true);
//   systemd::Watchdog watchdog(notifier, runtime.cores());   // reads WATCHDOG_USEC
//   auto activated = systemd::listen_fds();                  // before any thread starts
//   systemd::Readiness ready(notifier, runtime.cores() + 1); // every core's listener + Redis
//   watchdog.start();
//   runtime.run([&](unsigned core) -> Task<void> {
//       auto member = watchdog.attach();  // this core now answers the watchdog's probes
//       ... bind/adopt the listener ...; ready.done_one();
//       ... serve until SIGTERM ...;
//       notifier.stopping();              // then drain
//   });
//
// Thread safety: Notifier::notify and Readiness are safe from any thread; a Watchdog is
// started/stopped from one thread and attached to from the reactor threads.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ec::rt {
class SocketAddress;
}

namespace ec::rt::systemd {

// ----------------------------------------------------------------------------- sd_notify

// Sends state datagrams to the service manager. Disabled (every call a no-op returning
// 0) when NOTIFY_SOCKET is unset, i.e. when not started by systemd with Type=notify.
class Notifier {
  public:
    Notifier() = default;  // disabled
    // `address`: the NOTIFY_SOCKET value, an absolute path or "@name" (abstract
    // namespace). Empty: disabled. Unsupported forms (vsock:...) disable the notifier and
    // set error().
    explicit Notifier(std::string_view address);
    // Reads NOTIFY_SOCKET. `unset` removes it (call before starting threads: unsetenv is
    // not thread-safe) so child processes do not inherit it.
    static Notifier from_environment(bool unset = false);

    Notifier(Notifier&& o) noexcept;
    Notifier& operator=(Notifier&& o) noexcept;
    Notifier(const Notifier&) = delete;
    Notifier& operator=(const Notifier&) = delete;
    ~Notifier();

    bool enabled() const noexcept { return _fd >= 0; }
    const std::string& address() const noexcept { return _address; }
    // Why the notifier is disabled despite an address (empty otherwise).
    const std::string& error() const noexcept { return _error; }

    // Sends `state` ("READY=1\nSTATUS=..." — newline-separated assignments) as one
    // datagram on a non-blocking socket: never blocks. 0, or -errno (-EAGAIN when the
    // manager's queue is full). Thread-safe.
    int notify(std::string_view state) const noexcept;

    // Convenience forms. `status` is sanitised to one line.
    int ready(std::string_view status = {}) const;
    int status(std::string_view status) const;
    int stopping(std::string_view status = {}) const;
    // RELOADING=1 with MONOTONIC_USEC (required by Type=notify-reload); send ready() when done.
    int reloading(std::string_view status = {}) const;
    int watchdog() const noexcept;
    // Asks for more start/stop time: EXTEND_TIMEOUT_USEC.
    int extend_timeout(std::chrono::microseconds usec) const;

  private:
    std::string _address;
    std::string _error;
    sockaddr_un _sa{};
    socklen_t _sa_len = 0;
    int _fd = -1;
};

// READY=1 once `pending` conditions are done (e.g. one per core's bound listener plus
// "Redis answered"). Thread-safe; the last done_one() sends READY=1 (with `status`) and
// returns true, exactly once.
class Readiness {
  public:
    Readiness(const Notifier& n, unsigned pending, std::string status = "ready");
    bool done_one();
    bool ready() const noexcept { return _pending.load(std::memory_order_acquire) == 0; }

  private:
    const Notifier& _n;
    std::atomic<unsigned> _pending;
    std::string _status;
};

// ----------------------------------------------------------------------------- watchdog

struct WatchdogOptions {
    // Watchdog interval; 0 = from the environment (WATCHDOG_USEC, honoured only when
    // WATCHDOG_PID is unset or equals getpid()). Pings are sent every interval / 2.
    std::chrono::microseconds interval{0};
    // Remove WATCHDOG_USEC/WATCHDOG_PID from the environment (before threads start).
    bool unset_environment = false;
    // Receives one JSON line (no trailing newline) per event; default: stderr.
    std::function<void(std::string_view)> log;
};

// Pings WATCHDOG=1 from a dedicated thread, at half the interval, but only if every
// reactor answered the probe sent after the previous ping. A probe is a post_remote()
// message that stamps the reactor's slot: an idle reactor sleeping in io_uring_enter is
// woken by its eventfd and answers at once; a reactor stuck in a busy loop (or blocked in
// a system call) never does, so the pings stop and systemd restarts the service after
// WatchdogSec. The withheld pings are logged naming the stuck cores.
//
// Each reactor joins with attach() (on its own thread; the Attachment lives in that
// core's task). Pings start once `cores` reactors have attached; a core whose Attachment
// is gone (its task finished during shutdown) no longer counts.
// The Notifier must outlive the Watchdog.
class Watchdog {
    struct State;

  public:
    Watchdog(const Notifier& n, unsigned cores, WatchdogOptions opts = {});
    ~Watchdog();  // stop()
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

    // WATCHDOG_USEC when set, valid and meant for this process. Sets *err when present
    // but unusable.
    static std::optional<std::chrono::microseconds> interval_from_environment(std::string* err = nullptr);

    // An interval is configured and the notifier is enabled.
    bool enabled() const noexcept { return _interval.count() > 0 && _n.enabled(); }
    std::chrono::microseconds interval() const noexcept { return _interval; }
    // Why the watchdog is disabled despite WATCHDOG_USEC (empty otherwise).
    const std::string& error() const noexcept { return _error; }

    // Starts the ping thread (a no-op when disabled). Not a reactor thread: it must keep
    // running when every reactor is stuck.
    void start();
    // Stops and joins the thread. Idempotent.
    void stop();

    class Attachment {
      public:
        Attachment() = default;
        Attachment(Attachment&& o) noexcept : _state(std::move(o._state)), _core(o._core) {}
        Attachment& operator=(Attachment&& o) noexcept;
        Attachment(const Attachment&) = delete;
        Attachment& operator=(const Attachment&) = delete;
        ~Attachment() { reset(); }
        void reset() noexcept;

      private:
        friend class Watchdog;
        Attachment(std::shared_ptr<State> s, unsigned core) : _state(std::move(s)), _core(core) {}
        std::shared_ptr<State> _state;
        unsigned _core = 0;
    };
    // Registers Reactor::current() (its id() is the core index, < cores). Call on the
    // reactor thread; keep the Attachment until that reactor stops serving.
    [[nodiscard]] Attachment attach();

    uint64_t pings_sent() const noexcept;
    uint64_t pings_withheld() const noexcept;

  private:
    void run() noexcept;
    void tick();

    const Notifier& _n;
    std::chrono::microseconds _interval{0};
    std::string _error;
    std::shared_ptr<State> _state;
    std::function<void(std::string_view)> _log;
    std::thread _thread;
    std::mutex _mu;
    std::condition_variable _cv;
    bool _stop = false;
    // Ping-thread only.
    bool _withholding = false;
    bool _send_failing = false;
    std::chrono::steady_clock::time_point _last_withheld_log{};
};

// ----------------------------------------------------------------------------- socket activation

struct ListenFd {
    int fd;
    std::string name;  // FileDescriptorName= of the socket unit; "unknown" without names
};

// The three variables of sd_listen_fds(3), as read from the environment (null = unset).
struct ListenEnv {
    const char* listen_pid = nullptr;
    const char* listen_fds = nullptr;
    const char* listen_fdnames = nullptr;
};

// Pure parser: the descriptors passed to `self` (fds 3..3+LISTEN_FDS-1, named by
// LISTEN_FDNAMES). Empty when LISTEN_PID is unset or names another process (not for
// us). Throws std::invalid_argument naming the variable on malformed values.
std::vector<ListenFd> parse_listen_fds(const ListenEnv& env, pid_t self);

// Reads the environment, checks each descriptor is open, sets FD_CLOEXEC on it (so
// spawned children do not inherit listeners) and, with `unset`, removes the variables
// (call before threads start). Throws std::runtime_error on malformed variables or a
// descriptor that is not open.
std::vector<ListenFd> listen_fds(bool unset = true);

// The activated descriptor named `name`, if any.
std::optional<int> find_listen_fd(const std::vector<ListenFd>& fds, std::string_view name);
// The activated listening stream socket bound to `want` (getsockname). A wildcard `want`
// (0.0.0.0 or ::) matches a wildcard socket of either family on the same port, since
// systemd's ListenStream=PORT binds [::]:PORT dual-stack.
std::optional<int> find_listen_fd(const std::vector<ListenFd>& fds, const SocketAddress& want);
// True when `fd` is a listening SOCK_STREAM socket bound to `want` (rules above).
bool listen_fd_matches(int fd, const SocketAddress& want) noexcept;

// Multi-core use: an activated socket cannot join a SO_REUSEPORT group, so every core
// adopts its own dup() of the one socket (TcpListener::adopt(::dup(fd)), F_DUPFD_CLOEXEC)
// and the kernel hands each connection to one of the cores' multishot accepts.

}  // namespace ec::rt::systemd
