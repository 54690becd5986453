// Child processes: spawn with an fd plan, await exit through a pidfd, kill the whole
// process group, never leave a zombie or an orphan behind.
//
// Process::spawn() creates the child with clone3(CLONE_PIDFD) (fork + pidfd_open when
// clone3 is unavailable). Everything the child needs (argv/envp arrays, the fd plan) is
// prepared before the clone; between clone and execve the child only makes
// async-signal-safe system calls. In the child, in this order:
//   - every signal disposition that is not SIG_DFL is reset (handlers and SIG_IGN, so
//     the child gets a default SIGPIPE even though servers ignore it), the signal mask
//     is cleared (the reactor threads block SIGTERM/SIGINT/SIGHUP for their signalfd);
//   - setpgid(0, 0) when `new_process_group` (the default): the child leads its own
//     group, so kill_group() reaches every descendant that did not leave the group;
//   - PR_SET_PDEATHSIG(SIGKILL) when `die_with_parent` (the default), then getppid() is
//     re-checked so a parent that died before prctl() still takes the child with it;
//   - chdir(`working_dir`);
//   - the fd plan: every `fds` mapping and stdio redirection is applied with dup2, every
//     other descriptor >= 3 is marked close-on-exec (close_range CLOSE_RANGE_CLOEXEC),
//     so the child sees exactly fds 0-2 and the mapped ones;
//   - execve. A failure of any step is reported to the parent through a CLOEXEC pipe
//     and spawn() throws SpawnError naming the binary, the step and the errno.
//
// PR_SET_PDEATHSIG fires when the *thread* that spawned the child exits, not the
// process. Spawn from long-lived threads (a reactor thread), never from a short-lived
// helper thread, or the child is killed when that thread ends.
//
// Reaping: the parent learns of the exit through the pidfd (IORING_OP_POLL_ADD) and
// reaps with waitid(P_PIDFD). Nothing else in the process may reap our children: no
// waitpid(-1)/wait() anywhere, and SIGCHLD must not be SIG_IGN/SA_NOCLDWAIT (the kernel
// would auto-reap and the exit status would be lost; wait() then reports `unknown`).
//
// SIGPIPE: writing to a pipe whose reader has exited raises SIGPIPE in the writing
// thread (io_uring writes inline on the submitter). Binaries that write to child pipes
// must ignore SIGPIPE in main() (children get SIG_DFL back, see above); the writes then
// fail with -EPIPE.
//
// Core affinity: a Process belongs to the reactor thread that awaits it. spawn(),
// kill(), kill_group(), try_wait() and the destructor need no reactor; wait(),
// wait_for() and terminate() do.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "runtime/cancel.h"
#include "runtime/reactor.h"
#include "runtime/task.h"

namespace ec::rt {

// An owned file descriptor; closes on destruction. Move-only.
class UniqueFd {
  public:
    UniqueFd() noexcept = default;
    explicit UniqueFd(int fd) noexcept : _fd(fd) {}
    UniqueFd(UniqueFd&& o) noexcept : _fd(std::exchange(o._fd, -1)) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept {
        if (this != &o) reset(std::exchange(o._fd, -1));
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const noexcept { return _fd; }
    bool valid() const noexcept { return _fd >= 0; }
    explicit operator bool() const noexcept { return valid(); }
    int release() noexcept { return std::exchange(_fd, -1); }
    // Closes the current descriptor (if any) and takes `fd`.
    void reset(int fd = -1) noexcept;

  private:
    int _fd = -1;
};

// pipe2(O_CLOEXEC). Both ends are blocking; io_uring reads/writes on them never block a
// reactor (the ring polls instead). Throws std::system_error on failure (EMFILE...).
struct Pipe {
    UniqueFd read;
    UniqueFd write;
};
Pipe make_pipe();

// Awaitable read/write on a pipe (or any stream fd): resumes with bytes (>= 0; 0 = EOF on
// read) or -errno (-ECANCELED on cancel or timeout). The buffer must stay valid until
// resumed (await at once).
inline auto pipe_read(int fd, std::span<char> buf, CancelToken tok = {}, int64_t timeout_ms = -1) noexcept {
    return uring_op(
        [fd, buf](io_uring_sqe* s) {
            io_uring_prep_read(s, fd, buf.data(), static_cast<unsigned>(buf.size()),
                               static_cast<uint64_t>(-1));
        },
        tok, timeout_ms);
}
inline auto pipe_write(int fd, std::span<const char> buf, CancelToken tok = {},
                       int64_t timeout_ms = -1) noexcept {
    return uring_op(
        [fd, buf](io_uring_sqe* s) {
            io_uring_prep_write(s, fd, buf.data(), static_cast<unsigned>(buf.size()),
                                static_cast<uint64_t>(-1));
        },
        tok, timeout_ms);
}
// Loops over partial writes. Returns the total (== buf.size()) or -errno. `timeout_ms`
// bounds each write, not the total.
Task<int64_t> pipe_write_all(int fd, std::span<const char> buf, CancelToken tok = {},
                             int64_t timeout_ms = -1);

// How the child's fd 0, 1 or 2 is set up.
enum class Stdio {
    inherit,  // the parent's descriptor (journald for a service)
    null,     // /dev/null
    pipe,     // a new pipe; the parent's end is taken with Process::take_stdin/out/err()
};

enum class EnvMode {
    inherit,  // the parent's environment, minus `env_remove`, plus/overriding `env`
    replace,  // exactly `env`
};

// Child descriptor `child_fd` becomes a copy of the parent's `parent_fd`. The parent keeps
// (and eventually closes) its own descriptor; close the child's ends right after spawn()
// so EOF is seen when the child exits.
struct FdMapping {
    int child_fd;
    int parent_fd;
};

struct SpawnOptions {
    // The program. Without a '/', it is looked up in PATH (the child's PATH when `env`
    // sets one, else the parent's) before cloning.
    std::string program;
    // argv[0] included. Empty: { program }.
    std::vector<std::string> argv;
    EnvMode env_mode = EnvMode::inherit;
    std::vector<std::string> env;         // "NAME=value" entries
    std::vector<std::string> env_remove;  // names dropped from an inherited environment
    std::string working_dir;              // empty: the parent's
    std::vector<FdMapping> fds;           // e.g. {{3, a.read.get()}, {4, b.write.get()}}
    Stdio stdin_mode = Stdio::null;
    Stdio stdout_mode = Stdio::inherit;
    Stdio stderr_mode = Stdio::inherit;
    bool new_process_group = true;  // setpgid(0, 0): kill_group() reaches the whole tree
    bool die_with_parent = true;    // PR_SET_PDEATHSIG(SIGKILL), see the note above
    // When the group leader exits, SIGKILL the rest of its group before reaping it (the
    // leader's pid, and so the group id, is still ours until the reap). Leftover
    // descendants (a Chromium zygote whose browser crashed) never outlive it.
    // Needs new_process_group.
    bool kill_group_on_exit = true;
};

// spawn() failed. what() names the binary, the step and the reason, e.g.
// "spawn /usr/bin/chromium: execve failed: No such file or directory".
class SpawnError : public std::runtime_error {
  public:
    SpawnError(const std::string& what, int err) : std::runtime_error(what), _err(err) {}
    int error_code() const noexcept { return _err; }

  private:
    int _err;
};

struct ExitStatus {
    int code = -1;   // exit code when the process exited, else -1
    int signal = 0;  // terminating signal when it was killed, else 0
    bool core_dumped = false;
    bool unknown = false;  // someone else reaped it (see "Reaping" above)

    bool exited() const noexcept { return !unknown && signal == 0; }
    bool killed() const noexcept { return signal != 0; }
    bool success() const noexcept { return exited() && code == 0; }
    // "exit code 7", "killed by SIGKILL", "killed by SIGSEGV (core dumped)", "unknown".
    std::string to_string() const;
};

class Process {
  public:
    // Blocks the calling thread until the child has exec'd or failed (the clone plus the
    // kernel's execve, typically well under a millisecond). Throws SpawnError.
    static Process spawn(const SpawnOptions& opts);

    Process() noexcept = default;
    Process(Process&& o) noexcept;
    Process& operator=(Process&& o) noexcept;
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    // If the child has not been reaped: SIGKILL to its group (or to it alone without a
    // group of its own), then a *blocking* reap. Blocking is bounded by how long the kernel
    // takes to tear down a SIGKILLed process (a process stuck in uninterruptible sleep
    // delays it). Call wait()/terminate() first to keep reactors non-blocking.
    // No wait()/wait_for() may be in flight.
    ~Process();

    bool valid() const noexcept { return _pidfd >= 0 || _status.has_value(); }
    pid_t pid() const noexcept { return _pid; }
    int pidfd() const noexcept { return _pidfd; }
    // False once the exit status is known (the child is reaped).
    bool running() const noexcept { return _pidfd >= 0 && !_status; }
    const std::optional<ExitStatus>& status() const noexcept { return _status; }

    // Awaits the exit and reaps it. Several waits may be in flight at once (same thread).
    Task<ExitStatus> wait();
    // Like wait(), bounded: std::nullopt when `timeout_ms` passed (-1: none) or `tok` was
    // cancelled first; the child is then still running.
    Task<std::optional<ExitStatus>> wait_for(int64_t timeout_ms, CancelToken tok = {});
    // Reaps without blocking: the status if the child has exited, else std::nullopt.
    std::optional<ExitStatus> try_wait() noexcept;

    // SIGTERM to the group, up to `grace_ms` for it to exit, then SIGKILL and the reap.
    Task<ExitStatus> terminate(int64_t grace_ms);

    // pidfd_send_signal to the child alone. 0 or -errno (-ESRCH once reaped).
    int kill(int sig) noexcept;
    // kill(-pgid): the child and every descendant still in its group. Falls back to
    // kill() without a group of its own. 0 or -errno; -ESRCH once the leader is reaped
    // (its pid, and so the group id, may then belong to someone else).
    int kill_group(int sig) noexcept;

    // The parent's ends of Stdio::pipe streams (invalid otherwise, or once taken).
    UniqueFd take_stdin() noexcept { return std::move(_stdin); }
    UniqueFd take_stdout() noexcept { return std::move(_stdout); }
    UniqueFd take_stderr() noexcept { return std::move(_stderr); }

  private:
    void reap_now_blocking() noexcept;
    void sweep_group() noexcept;
    void close_all() noexcept;

    pid_t _pid = -1;
    int _pidfd = -1;
    bool _own_group = false;
    bool _kill_group_on_exit = false;
    std::optional<ExitStatus> _status;
    UniqueFd _stdin, _stdout, _stderr;
};

}  // namespace ec::rt
