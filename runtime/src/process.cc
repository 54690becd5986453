#include "runtime/process.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string_view>
#include <system_error>
#include <unordered_set>

extern char** environ;  // NOLINT(readability-redundant-declaration): not declared by every libc header

namespace ec::rt {

// ----------------------------------------------------------------------------- fds and pipes

void UniqueFd::reset(int fd) noexcept {
    if (_fd >= 0) ::close(_fd);
    _fd = fd;
}

Pipe make_pipe() {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
    return Pipe{UniqueFd(p[0]), UniqueFd(p[1])};
}

Task<int64_t> pipe_write_all(int fd, std::span<const char> buf, CancelToken tok, int64_t timeout_ms) {
    size_t done = 0;
    while (done < buf.size()) {
        int r = co_await pipe_write(fd, buf.subspan(done), tok, timeout_ms);
        if (r == -EINTR || r == -EAGAIN) continue;
        if (r < 0) co_return r;
        if (r == 0) co_return -EIO;
        done += static_cast<size_t>(r);
    }
    co_return static_cast<int64_t>(done);
}

// ----------------------------------------------------------------------------- exit status

std::string ExitStatus::to_string() const {
    if (unknown) return "unknown (reaped elsewhere)";
    if (signal != 0) {
        const char* abbrev = sigabbrev_np(signal);
        std::string s =
            "killed by " + (abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(signal));
        if (core_dumped) s += " (core dumped)";
        return s;
    }
    return "exit code " + std::to_string(code);
}

namespace {

// Raw system calls: glibc 2.36's <sys/pidfd.h> lacks extern "C" and cannot be linked from C++.
int sys_pidfd_open(pid_t pid) noexcept {
    return static_cast<int>(syscall(SYS_pidfd_open, pid, 0U));
}
int sys_pidfd_send_signal(int pidfd, int sig) noexcept {
    return static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0U));
}

ExitStatus decode(const siginfo_t& si) noexcept {
    ExitStatus st;
    switch (si.si_code) {
        case CLD_EXITED:
            st.code = si.si_status;
            break;
        case CLD_DUMPED:
            st.core_dumped = true;
            st.signal = si.si_status;
            break;
        default:  // CLD_KILLED
            st.signal = si.si_status;
            break;
    }
    return st;
}

// ----------------------------------------------------------------------------- the child side

// Steps of the child between clone and execve; reported with errno on failure.
enum class Step : int32_t { signals, setpgid, pdeathsig, chdir, dup_fd, close_range, dup2, execve };

const char* step_name(Step s) noexcept {
    switch (s) {
        case Step::signals:
            return "resetting signals";
        case Step::setpgid:
            return "setpgid";
        case Step::pdeathsig:
            return "prctl(PR_SET_PDEATHSIG)";
        case Step::chdir:
            return "chdir";
        case Step::dup_fd:
            return "duplicating a mapped fd";
        case Step::close_range:
            return "close_range";
        case Step::dup2:
            return "dup2";
        case Step::execve:
            return "execve";
    }
    return "?";
}

struct ChildReport {
    int32_t step;
    int32_t err;
};

// Everything the child needs, prepared by the parent before the clone: the child
// itself must not allocate or take a lock (another thread may hold malloc's).
struct Plan {
    std::string path;
    std::vector<std::string> argv_storage;
    std::vector<char*> argv;
    std::vector<std::string> env_storage;
    std::vector<char*> envp;
    const char* cwd = nullptr;
    std::vector<FdMapping> maps;   // including stdio redirections
    mutable std::vector<int> tmp;  // scratch, one per mapping (written by the child's copy)
    int lowest_free = 3;           // every temporary fd is >= this (above every target)
    unsigned fd_limit = 1024;      // for the close_range fallback
    pid_t parent = -1;
    bool new_group = true;
    bool pdeathsig = true;
};

[[noreturn]] void child_fail(int report_fd, Step step, int err) noexcept {
    ChildReport r{static_cast<int32_t>(step), err};
    [[maybe_unused]] ssize_t n = ::write(report_fd, &r, sizeof r);
    _exit(127);
}

[[noreturn]] void child_main(const Plan& p, int report_fd) noexcept {
    // Handlers and SIG_IGN back to SIG_DFL, then an empty mask (exec keeps both).
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        struct sigaction sa {};
        if (sigaction(sig, nullptr, &sa) != 0) continue;  // glibc-internal signals
        if ((sa.sa_flags & SA_SIGINFO) == 0 && sa.sa_handler == SIG_DFL) continue;
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        sigaction(sig, &dfl, nullptr);
    }
    sigset_t none;
    sigemptyset(&none);
    // NOLINTNEXTLINE(concurrency-mt-unsafe): the child has exactly one thread
    if (sigprocmask(SIG_SETMASK, &none, nullptr) != 0) child_fail(report_fd, Step::signals, errno);

    if (p.new_group && setpgid(0, 0) != 0) child_fail(report_fd, Step::setpgid, errno);
    if (p.pdeathsig) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) child_fail(report_fd, Step::pdeathsig, errno);
        // The parent may have died before prctl(): then nobody would ever signal us.
        if (getppid() != p.parent) _exit(127);
    }
    if (p.cwd && chdir(p.cwd) != 0) child_fail(report_fd, Step::chdir, errno);

    // Move the report pipe and every source above all targets first, so no dup2 below
    // can clobber a source (mapping 3->4 and 4->3) or the report pipe.
    int rfd = fcntl(report_fd, F_DUPFD_CLOEXEC, p.lowest_free);
    if (rfd < 0) child_fail(report_fd, Step::dup_fd, errno);
    report_fd = rfd;
    for (size_t i = 0; i < p.maps.size(); ++i) {
        p.tmp[i] = fcntl(p.maps[i].parent_fd, F_DUPFD_CLOEXEC, p.lowest_free);
        if (p.tmp[i] < 0) child_fail(report_fd, Step::dup_fd, errno);
    }
    // Everything >= 3 closes at exec; the dup2s below then create the mapped fds without
    // CLOEXEC.
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        if (errno != ENOSYS && errno != EINVAL) child_fail(report_fd, Step::close_range, errno);
        for (unsigned fd = 3; fd < p.fd_limit; ++fd)
            fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
    }
    for (size_t i = 0; i < p.maps.size(); ++i) {
        if (dup2(p.tmp[i], p.maps[i].child_fd) < 0) child_fail(report_fd, Step::dup2, errno);
    }
    execve(p.path.c_str(), p.argv.data(), p.envp.data());
    child_fail(report_fd, Step::execve, errno);
}

// ----------------------------------------------------------------------------- the parent side

[[noreturn]] void fail(const std::string& program, const std::string& what, int err) {
    throw SpawnError("spawn " + program + ": " + what +
                         (err ? std::string(": ") + std::generic_category().message(err) : ""),
                     err);
}

std::string_view env_name(std::string_view entry) noexcept {
    return entry.substr(0, entry.find('='));
}

std::vector<std::string> build_env(const SpawnOptions& o) {
    std::vector<std::string> out;
    if (o.env_mode == EnvMode::inherit) {
        std::unordered_set<std::string_view> drop;
        for (const auto& n : o.env_remove)
            drop.insert(n);
        for (const auto& e : o.env)
            drop.insert(env_name(e));
        for (char** e = environ; e && *e; ++e) {
            if (!drop.contains(env_name(*e))) out.emplace_back(*e);
        }
    }
    for (const auto& e : o.env)
        out.push_back(e);
    return out;
}

std::string find_in_path(const SpawnOptions& o, const std::vector<std::string>& env) {
    if (o.program.find('/') != std::string::npos) return o.program;
    std::string path_var = "/usr/local/bin:/usr/bin:/bin";
    bool found_var = false;
    for (const auto& e : env) {
        if (env_name(e) == "PATH") {
            path_var = e.substr(5);
            found_var = true;
        }
    }
    if (!found_var) {
        if (const char* p = getenv("PATH")) path_var = p;  // NOLINT(concurrency-mt-unsafe): read-only
    }
    std::string_view rest = path_var;
    while (true) {
        size_t colon = rest.find(':');
        std::string_view dir = rest.substr(0, colon);
        std::string cand = std::string(dir.empty() ? "." : dir) + "/" + o.program;
        struct stat st {};
        if (::stat(cand.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(cand.c_str(), X_OK) == 0)
            return cand;
        if (colon == std::string_view::npos) break;
        rest.remove_prefix(colon + 1);
    }
    fail(o.program, "not found in PATH (" + path_var + ")", ENOENT);
}

// Kernel ABI of clone3 (struct clone_args, version 0).
struct CloneArgs {
    uint64_t flags;
    uint64_t pidfd;
    uint64_t child_tid;
    uint64_t parent_tid;
    uint64_t exit_signal;
    uint64_t stack;
    uint64_t stack_size;
    uint64_t tls;
};

// Blocks until the (already exited or SIGKILLed) child is reaped.
void reap_blocking(int pidfd, siginfo_t* si) noexcept {
    siginfo_t dummy{};
    while (waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), si ? si : &dummy, WEXITED) != 0 &&
           errno == EINTR) {
    }
}

}  // namespace

Process Process::spawn(const SpawnOptions& o) {
    if (o.program.empty()) throw SpawnError("spawn: no program given", EINVAL);
    Plan p;
    p.env_storage = build_env(o);
    p.path = find_in_path(o, p.env_storage);
    p.argv_storage = o.argv.empty() ? std::vector<std::string>{o.program} : o.argv;
    for (auto& a : p.argv_storage)
        p.argv.push_back(a.data());
    p.argv.push_back(nullptr);
    for (auto& e : p.env_storage)
        p.envp.push_back(e.data());
    p.envp.push_back(nullptr);
    if (!o.working_dir.empty()) p.cwd = o.working_dir.c_str();
    p.new_group = o.new_process_group;
    p.pdeathsig = o.die_with_parent;
    p.parent = getpid();
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        p.fd_limit = static_cast<unsigned>(std::min<rlim_t>(rl.rlim_cur, 1U << 20));
    }

    // Stdio: /dev/null or new pipes, expressed as ordinary mappings.
    Process proc;
    UniqueFd devnull;
    UniqueFd child_ends[3];
    const Stdio modes[3] = {o.stdin_mode, o.stdout_mode, o.stderr_mode};
    for (int i = 0; i < 3; ++i) {
        if (modes[i] == Stdio::null) {
            if (!devnull) {
                devnull.reset(::open("/dev/null", O_RDWR | O_CLOEXEC));
                if (!devnull) fail(o.program, "open /dev/null", errno);
            }
            p.maps.push_back({i, devnull.get()});
        } else if (modes[i] == Stdio::pipe) {
            Pipe pp;
            try {
                pp = make_pipe();
            } catch (const std::system_error& e) {
                fail(o.program, "creating a stdio pipe", e.code().value());
            }
            UniqueFd& parent_end = i == 0 ? proc._stdin : (i == 1 ? proc._stdout : proc._stderr);
            parent_end = i == 0 ? std::move(pp.write) : std::move(pp.read);
            child_ends[i] = i == 0 ? std::move(pp.read) : std::move(pp.write);
            p.maps.push_back({i, child_ends[i].get()});
        }
    }
    int max_target = 2;
    for (const FdMapping& m : o.fds) {
        if (m.child_fd < 0 || m.parent_fd < 0)
            fail(o.program,
                 "fd mapping " + std::to_string(m.child_fd) + " <- " + std::to_string(m.parent_fd) +
                     " has a negative descriptor",
                 EINVAL);
        if (m.child_fd <= 2 && modes[m.child_fd] != Stdio::inherit)
            fail(o.program,
                 "fd mapping for child fd " + std::to_string(m.child_fd) +
                     " conflicts with its stdio mode (set it to Stdio::inherit)",
                 EINVAL);
        for (const FdMapping& other : p.maps) {
            if (other.child_fd == m.child_fd)
                fail(o.program, "child fd " + std::to_string(m.child_fd) + " is mapped twice", EINVAL);
        }
        if (fcntl(m.parent_fd, F_GETFD) < 0)
            fail(o.program, "fd mapping " + std::to_string(m.child_fd) + " <- " + std::to_string(m.parent_fd),
                 errno);
        p.maps.push_back(m);
        max_target = std::max(max_target, m.child_fd);
    }
    p.lowest_free = max_target + 1;
    p.tmp.assign(p.maps.size(), -1);

    Pipe report;
    try {
        report = make_pipe();
    } catch (const std::system_error& e) {
        fail(o.program, "creating the report pipe", e.code().value());
    }

    // No signal handler may run in the child before it resets the dispositions.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int pidfd = -1;
    CloneArgs args{};
    args.flags = CLONE_PIDFD;
    args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
    args.exit_signal = SIGCHLD;
    long pid = syscall(SYS_clone3, &args, sizeof args);
    int clone_err = errno;
    if (pid < 0 && (clone_err == ENOSYS || clone_err == EPERM)) {
        // clone3 filtered (old seccomp profiles) or missing: fork, then pidfd_open. Nobody
        // else reaps our children, so the pid cannot be recycled in between.
        pid = fork();
        clone_err = errno;
        if (pid > 0) {
            pidfd = sys_pidfd_open(static_cast<pid_t>(pid));
            if (pidfd < 0) {
                int e = errno;
                ::kill(static_cast<pid_t>(pid), SIGKILL);
                while (waitpid(static_cast<pid_t>(pid), nullptr, 0) < 0 && errno == EINTR) {
                }
                pthread_sigmask(SIG_SETMASK, &old, nullptr);
                fail(o.program, "pidfd_open (Linux >= 5.3 needed)", e);
            }
        }
    }
    if (pid == 0) child_main(p, report.write.get());
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (pid < 0) fail(o.program, "clone", clone_err);

    report.write.reset();
    for (auto& c : child_ends)
        c.reset();
    devnull.reset();

    ChildReport r{};
    ssize_t n;
    do {
        n = ::read(report.read.get(), &r, sizeof r);
    } while (n < 0 && errno == EINTR);
    if (n != 0) {
        reap_blocking(pidfd, nullptr);
        ::close(pidfd);
        if (n == static_cast<ssize_t>(sizeof r)) {
            std::string what = std::string(step_name(static_cast<Step>(r.step))) + " failed";
            if (static_cast<Step>(r.step) == Step::chdir) what = "chdir to " + o.working_dir + " failed";
            if (static_cast<Step>(r.step) == Step::execve) what = "execve " + p.path + " failed";
            fail(o.program, what, r.err);
        }
        fail(o.program, "the child died before exec without saying why", EIO);
    }
    proc._pid = static_cast<pid_t>(pid);
    proc._pidfd = pidfd;
    proc._own_group = o.new_process_group;
    proc._kill_group_on_exit = o.new_process_group && o.kill_group_on_exit;
    return proc;
}

// ----------------------------------------------------------------------------- Process

Process::Process(Process&& o) noexcept
    : _pid(std::exchange(o._pid, -1)),
      _pidfd(std::exchange(o._pidfd, -1)),
      _own_group(o._own_group),
      _kill_group_on_exit(o._kill_group_on_exit),
      _status(std::exchange(o._status, std::nullopt)),
      _stdin(std::move(o._stdin)),
      _stdout(std::move(o._stdout)),
      _stderr(std::move(o._stderr)) {}

Process& Process::operator=(Process&& o) noexcept {
    if (this != &o) {
        if (running()) reap_now_blocking();
        close_all();
        _pid = std::exchange(o._pid, -1);
        _pidfd = std::exchange(o._pidfd, -1);
        _own_group = o._own_group;
        _kill_group_on_exit = o._kill_group_on_exit;
        _status = std::exchange(o._status, std::nullopt);
        _stdin = std::move(o._stdin);
        _stdout = std::move(o._stdout);
        _stderr = std::move(o._stderr);
    }
    return *this;
}

Process::~Process() {
    if (running()) reap_now_blocking();
    close_all();
}

void Process::close_all() noexcept {
    if (_pidfd >= 0) ::close(_pidfd);
    _pidfd = -1;
    _stdin.reset();
    _stdout.reset();
    _stderr.reset();
}

void Process::sweep_group() noexcept {
    // Only while the leader is unreaped: its pid keeps the group id from being recycled.
    if (_own_group) ::kill(-_pid, SIGKILL);
}

void Process::reap_now_blocking() noexcept {
    if (_own_group)
        ::kill(-_pid, SIGKILL);
    else
        sys_pidfd_send_signal(_pidfd, SIGKILL);
    siginfo_t si{};
    reap_blocking(_pidfd, &si);
    _status = si.si_pid != 0 ? decode(si) : ExitStatus{.unknown = true};
}

std::optional<ExitStatus> Process::try_wait() noexcept {
    if (_status || _pidfd < 0) return _status;
    siginfo_t si{};
    const auto id = static_cast<id_t>(_pidfd);
    int r;
    // WNOWAIT first: the group can be swept while the leader's pid still pins the group id.
    while ((r = waitid(static_cast<idtype_t>(P_PIDFD), id, &si, WEXITED | WNOHANG | WNOWAIT)) != 0 &&
           errno == EINTR) {
    }
    if (r != 0) {
        _status = ExitStatus{.unknown = true};  // ECHILD: auto-reaped or reaped elsewhere
        return _status;
    }
    if (si.si_pid == 0) return std::nullopt;
    if (_kill_group_on_exit) sweep_group();
    si = siginfo_t{};
    while ((r = waitid(static_cast<idtype_t>(P_PIDFD), id, &si, WEXITED | WNOHANG)) != 0 && errno == EINTR) {
    }
    _status = (r == 0 && si.si_pid != 0) ? decode(si) : ExitStatus{.unknown = true};
    return _status;
}

Task<ExitStatus> Process::wait() {
    auto s = co_await wait_for(-1);
    co_return *s;
}

Task<std::optional<ExitStatus>> Process::wait_for(int64_t timeout_ms, CancelToken tok) {
    if (!valid()) throw std::logic_error("Process::wait on a process that was never spawned");
    const uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : Reactor::current().refresh_now() + timeout_ms;
    for (;;) {
        if (auto s = try_wait()) co_return s;
        int64_t left = -1;
        if (deadline != UINT64_MAX) {
            uint64_t now = Reactor::current().refresh_now();
            if (now >= deadline) co_return std::nullopt;
            left = static_cast<int64_t>(deadline - now);
        }
        const int fd = _pidfd;
        // The pidfd turns readable when the process exits; the CQE is always awaited, also
        // on timeout/cancel (-ECANCELED), before this frame moves on.
        int r =
            co_await uring_op([fd](io_uring_sqe* s) { io_uring_prep_poll_add(s, fd, POLLIN); }, tok, left);
        if (r == -ECANCELED) co_return try_wait();
        if (r < 0 && r != -EINTR && r != -EAGAIN) {
            throw std::system_error(-r, std::generic_category(),
                                    "poll on the pidfd of pid " + std::to_string(_pid));
        }
    }
}

Task<ExitStatus> Process::terminate(int64_t grace_ms) {
    if (!running()) co_return co_await wait();
    kill_group(SIGTERM);
    if (auto s = co_await wait_for(grace_ms)) co_return *s;
    kill_group(SIGKILL);
    co_return co_await wait();
}

int Process::kill(int sig) noexcept {
    if (!running()) return -ESRCH;
    return sys_pidfd_send_signal(_pidfd, sig) == 0 ? 0 : -errno;
}

int Process::kill_group(int sig) noexcept {
    if (!running()) return -ESRCH;
    if (!_own_group) return kill(sig);
    return ::kill(-_pid, sig) == 0 ? 0 : -errno;
}

}  // namespace ec::rt
