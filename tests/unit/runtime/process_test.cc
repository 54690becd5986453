#include "runtime/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "runtime/reactor.h"
#include "runtime/time.h"

namespace ec::rt {
namespace {

using namespace std::chrono_literals;

// ----------------------------------------------------------------------------- helpers

// State letter from /proc/<pid>/stat ('Z' zombie), or '\0' when the process is gone.
char proc_state(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    if (!std::getline(f, stat)) return '\0';
    auto paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size()) return '\0';
    return stat[paren + 2];
}

pid_t proc_ppid(const std::string& stat) {
    auto paren = stat.rfind(')');
    if (paren == std::string::npos) return -1;
    std::istringstream rest(stat.substr(paren + 2));
    char state;
    pid_t ppid = -1;
    rest >> state >> ppid;
    return ppid;
}

// Every process whose parent is this test process (zombies included).
std::vector<std::pair<pid_t, char>> our_children() {
    std::vector<std::pair<pid_t, char>> out;
    DIR* d = opendir("/proc");
    if (!d) return out;
    const pid_t self = getpid();
    while (dirent* e = readdir(d)) {
        char* end = nullptr;
        long pid = strtol(e->d_name, &end, 10);
        if (*end != '\0' || pid <= 0) continue;
        std::ifstream f(std::string("/proc/") + e->d_name + "/stat");
        std::string stat;
        if (!std::getline(f, stat)) continue;
        if (proc_ppid(stat) == self) out.emplace_back(static_cast<pid_t>(pid), stat[stat.rfind(')') + 2]);
    }
    closedir(d);
    return out;
}

bool alive(pid_t pid) {
    char s = proc_state(pid);
    return s != '\0' && s != 'Z' && s != 'X';
}

// Polls until `pid` is gone or a zombie (reparented grandchildren are reaped by whoever
// init is here; a zombie is already dead).
bool dies_within(pid_t pid, std::chrono::milliseconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (!alive(pid)) return true;
        std::this_thread::sleep_for(5ms);
    }
    return !alive(pid);
}

Task<std::string> read_to_eof(int fd) {
    std::string out;
    char buf[4096];
    for (;;) {
        int n = co_await pipe_read(fd, buf, {}, 5000);
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    co_return out;
}

Task<std::string> read_line(int fd) {
    std::string out;
    char c;
    for (;;) {
        int n = co_await pipe_read(fd, std::span<char>(&c, 1), {}, 5000);
        if (n <= 0 || c == '\n') break;
        out += c;
    }
    co_return out;
}

SpawnOptions sh(const std::string& script) {
    SpawnOptions o;
    o.program = "/bin/sh";
    o.argv = {"sh", "-c", script};
    return o;
}

// ----------------------------------------------------------------------------- spawn and wait

TEST(Process, ExitCodeAndStdoutThroughAPipe) {
    Reactor r;
    auto o = sh("echo hello; exit 3");
    o.stdout_mode = Stdio::pipe;
    Process p = Process::spawn(o);
    EXPECT_GT(p.pid(), 0);
    EXPECT_GE(p.pidfd(), 0);
    UniqueFd out = p.take_stdout();
    ASSERT_TRUE(out.valid());
    EXPECT_EQ(r.block_on(read_to_eof(out.get())), "hello\n");
    ExitStatus st = r.block_on(p.wait());
    EXPECT_TRUE(st.exited());
    EXPECT_FALSE(st.success());
    EXPECT_EQ(st.code, 3);
    EXPECT_EQ(st.to_string(), "exit code 3");
    EXPECT_FALSE(p.running());
    EXPECT_EQ(p.kill(SIGTERM), -ESRCH) << "a reaped child cannot be signalled";
    EXPECT_EQ(p.kill_group(SIGTERM), -ESRCH);
}

TEST(Process, ExtraFdsThreeAndFourLikeChromiumPipes) {
    Reactor r;
    Pipe to_child = make_pipe();    // parent writes, child reads on fd 3
    Pipe from_child = make_pipe();  // child writes on fd 4, parent reads
    auto o = sh("echo hi >&4; read x <&3; [ \"$x\" = ping ] && exit 7; exit 1");
    o.fds = {{3, to_child.read.get()}, {4, from_child.write.get()}};
    Process p = Process::spawn(o);
    to_child.read.reset();
    from_child.write.reset();
    EXPECT_EQ(r.block_on(read_line(from_child.read.get())), "hi");
    std::string ping = "ping\n";
    EXPECT_EQ(r.block_on(pipe_write_all(to_child.write.get(), ping)), 5);
    ExitStatus st = r.block_on(p.wait());
    EXPECT_EQ(st.code, 7) << st.to_string();
    // The child's fd 4 was the only writer left: EOF now.
    EXPECT_EQ(r.block_on(read_to_eof(from_child.read.get())), "");
}

TEST(Process, CrossedMappingsDoNotClobberEachOther) {
    // The child's fd X is the parent's fd Y and vice versa: a naive dup2 loop would
    // overwrite the second source with the first.
    Reactor r;
    Pipe a = make_pipe();  // the child reads a.read
    Pipe b = make_pipe();  // the child writes b.write
    const int x = a.read.get(), y = b.write.get();
    if (x > 9 || y > 9) GTEST_SKIP() << "sh redirections take one-digit fds only";
    auto o = sh("read v <&" + std::to_string(y) + "; echo \"got $v\" >&" + std::to_string(x));
    o.fds = {{y, x}, {x, y}};  // child y <- a.read, child x <- b.write
    Process p = Process::spawn(o);
    a.read.reset();
    b.write.reset();
    std::string msg = "abc\n";
    EXPECT_EQ(r.block_on(pipe_write_all(a.write.get(), msg)), 4);
    EXPECT_EQ(r.block_on(read_line(b.read.get())), "got abc");
    EXPECT_TRUE(r.block_on(p.wait()).success());
}

TEST(Process, UnmappedDescriptorsAreClosedInTheChild) {
    int raw[2];
    ASSERT_EQ(pipe(raw), 0);
    int leak[2] = {fcntl(raw[0], F_DUPFD, 20), fcntl(raw[1], F_DUPFD, 20)};  // deliberately without CLOEXEC
    close(raw[0]);
    close(raw[1]);
    Pipe mapped = make_pipe();
    std::string script = "[ -e /proc/$$/fd/" + std::to_string(leak[0]) + " ] && exit 1; [ -e /proc/$$/fd/" +
                         std::to_string(leak[1]) + " ] && exit 2; [ -e /proc/$$/fd/3 ] || exit 3; exit 0";
    auto o = sh(script);
    o.fds = {{3, mapped.read.get()}};
    Reactor r;
    Process p = Process::spawn(o);
    ExitStatus st = r.block_on(p.wait());
    close(leak[0]);
    close(leak[1]);
    EXPECT_TRUE(st.success()) << st.to_string();
}

TEST(Process, EnvironmentInheritAddRemoveAndReplace) {
    Reactor r;
    setenv("EC_TEST_INHERITED", "yes", 1);
    setenv("EC_TEST_DROP", "x", 1);
    auto run = [&](SpawnOptions o) {
        o.stdout_mode = Stdio::pipe;
        Process p = Process::spawn(o);
        UniqueFd out = p.take_stdout();
        std::string s = r.block_on(read_to_eof(out.get()));
        EXPECT_TRUE(r.block_on(p.wait()).success());
        return s;
    };
    auto o = sh("echo \"$EC_TEST_INHERITED|${EC_TEST_DROP-unset}|$EC_TEST_ADDED\"");
    o.env = {"EC_TEST_ADDED=1"};
    o.env_remove = {"EC_TEST_DROP"};
    EXPECT_EQ(run(o), "yes|unset|1\n");

    auto over = sh("echo \"$EC_TEST_INHERITED\"");
    over.env = {"EC_TEST_INHERITED=over"};
    EXPECT_EQ(run(over), "over\n");

    auto repl = sh("echo \"${EC_TEST_INHERITED-unset}|$ONLY\"");
    repl.env_mode = EnvMode::replace;
    repl.env = {"ONLY=1"};
    EXPECT_EQ(run(repl), "unset|1\n");
    unsetenv("EC_TEST_INHERITED");
    unsetenv("EC_TEST_DROP");
}

TEST(Process, WorkingDirectoryAndPathLookup) {
    Reactor r;
    char tmpl[] = "/tmp/ec-proc-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    SpawnOptions o;
    o.program = "sh";  // looked up in PATH
    o.argv = {"sh", "-c", "pwd -P"};
    o.working_dir = tmpl;
    o.stdout_mode = Stdio::pipe;
    Process p = Process::spawn(o);
    UniqueFd out = p.take_stdout();
    std::string got = r.block_on(read_to_eof(out.get()));
    EXPECT_TRUE(r.block_on(p.wait()).success());
    char* real = realpath(tmpl, nullptr);
    EXPECT_EQ(got, std::string(real) + "\n");
    free(real);
    rmdir(tmpl);
}

TEST(Process, FailuresNameTheBinaryAndTheCause) {
    auto expect_error = [](const SpawnOptions& o, std::initializer_list<const char*> parts, int err) {
        try {
            Process p = Process::spawn(o);
            ADD_FAILURE() << "spawn of " << o.program << " succeeded";
        } catch (const SpawnError& e) {
            std::string what = e.what();
            for (const char* part : parts)
                EXPECT_NE(what.find(part), std::string::npos) << what << " lacks " << part;
            EXPECT_EQ(e.error_code(), err) << what;
        }
    };
    SpawnOptions missing;
    missing.program = "/nonexistent/edgecomet-no-such-binary";
    expect_error(missing, {"/nonexistent/edgecomet-no-such-binary", "execve", "No such file or directory"},
                 ENOENT);

    SpawnOptions not_in_path;
    not_in_path.program = "edgecomet-no-such-binary-in-path";
    expect_error(not_in_path, {"edgecomet-no-such-binary-in-path", "not found in PATH"}, ENOENT);

    char plain[] = "/tmp/ec-not-executable-XXXXXX";
    int pfd = mkstemp(plain);  // mode 0600: no execute bit, not even root may exec it
    ASSERT_GE(pfd, 0);
    close(pfd);
    SpawnOptions not_exec;
    not_exec.program = plain;
    expect_error(not_exec, {plain, "execve", "Permission denied"}, EACCES);
    unlink(plain);

    auto bad_dir = sh("exit 0");
    bad_dir.working_dir = "/nonexistent-ec-dir";
    expect_error(bad_dir, {"/bin/sh", "chdir to /nonexistent-ec-dir"}, ENOENT);

    auto bad_fd = sh("exit 0");
    bad_fd.fds = {{3, 987654}};
    expect_error(bad_fd, {"fd mapping 3 <- 987654", "Bad file descriptor"}, EBADF);

    // Every failed child was reaped.
    EXPECT_TRUE(our_children().empty());
}

// ----------------------------------------------------------------------------- signals

TEST(Process, ChildStartsWithDefaultSignalsAndAnEmptyMask) {
    Reactor r;
    // The reactor threads block SIGTERM (signalfd) and servers ignore SIGPIPE; the child
    // must get neither.
    sigset_t term, old_mask;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &term, &old_mask);
    struct sigaction ign {
    }, old_pipe{};
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old_pipe);

    Process a = Process::spawn(sh("kill -TERM $$; exit 5"));
    Process b = Process::spawn(sh("kill -PIPE $$; exit 5"));
    ExitStatus sa = r.block_on(a.wait());
    ExitStatus sb = r.block_on(b.wait());

    sigaction(SIGPIPE, &old_pipe, nullptr);
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    EXPECT_EQ(sa.signal, SIGTERM) << sa.to_string();
    EXPECT_EQ(sa.to_string(), "killed by SIGTERM");
    EXPECT_EQ(sb.signal, SIGPIPE) << sb.to_string();
}

TEST(Process, KillGroupKillsTheShellAndItsBackgroundGrandchild) {
    Reactor r;
    auto o = sh("sleep 30 & echo $!; wait");
    o.stdout_mode = Stdio::pipe;
    o.kill_group_on_exit = false;  // only kill_group() may take the grandchild down here
    Process p = Process::spawn(o);
    UniqueFd out = p.take_stdout();
    pid_t grandchild = std::stoi(r.block_on(read_line(out.get())));
    ASSERT_TRUE(alive(grandchild));
    EXPECT_EQ(getpgid(grandchild), p.pid()) << "the grandchild is in the child's group";
    EXPECT_EQ(p.kill_group(SIGKILL), 0);
    EXPECT_TRUE(dies_within(grandchild, 3000ms)) << "grandchild " << grandchild << " survived kill_group";
    ExitStatus st = r.block_on(p.wait());
    EXPECT_EQ(st.signal, SIGKILL);
    EXPECT_TRUE(st.killed());
}

TEST(Process, LeftoverDescendantsAreKilledWhenTheLeaderExits) {
    Reactor r;
    auto run = [&](bool sweep) {
        auto o = sh("sleep 30 & echo $!");  // exits at once, leaving the sleep behind
        o.stdout_mode = Stdio::pipe;
        o.kill_group_on_exit = sweep;
        Process p = Process::spawn(o);
        UniqueFd out = p.take_stdout();
        pid_t grandchild = std::stoi(r.block_on(read_line(out.get())));
        EXPECT_TRUE(r.block_on(p.wait()).success());
        return grandchild;
    };
    pid_t kept = run(false);
    EXPECT_TRUE(alive(kept)) << "without the sweep the orphan lives on";
    ::kill(kept, SIGKILL);
    pid_t swept = run(true);
    EXPECT_TRUE(dies_within(swept, 3000ms)) << "orphan " << swept << " survived its group leader";
}

TEST(Process, KillSignalsOnlyTheChild) {
    Reactor r;
    Process p = Process::spawn(sh("exec sleep 30"));
    EXPECT_EQ(p.kill(SIGTERM), 0);
    ExitStatus st = r.block_on(p.wait());
    EXPECT_EQ(st.signal, SIGTERM);
}

TEST(Process, WaitForTimesOutAndTerminateEscalatesToSigkill) {
    Reactor r;
    Process p = Process::spawn(sh("trap '' TERM; exec sleep 30"));  // ignores SIGTERM
    auto t0 = std::chrono::steady_clock::now();
    std::optional<ExitStatus> s = r.block_on(p.wait_for(50));
    EXPECT_FALSE(s.has_value());
    EXPECT_TRUE(p.running());
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 45ms);
    t0 = std::chrono::steady_clock::now();
    ExitStatus st = r.block_on(p.terminate(150));
    EXPECT_EQ(st.signal, SIGKILL) << "SIGTERM was ignored, so the grace period ends in SIGKILL";
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 140ms);

    Process q = Process::spawn(sh("exec sleep 30"));
    EXPECT_EQ(r.block_on(q.terminate(5000)).signal, SIGTERM) << "a cooperative child ends on SIGTERM";
}

TEST(Process, WaitIsCancellable) {
    Reactor r;
    Process p = Process::spawn(sh("exec sleep 30"));
    CancelSource cs;
    auto got = r.block_on([](Process& proc, CancelSource& c) -> Task<std::optional<ExitStatus>> {
        struct Canceller {
            static Task<void> run(CancelSource& c2) {
                co_await sleep_for(Millis(20));
                c2.cancel();
            }
        };
        auto t = Canceller::run(c);
        t.handle().resume();
        auto s = co_await proc.wait_for(-1, c);
        while (!t.done())
            co_await yield();
        co_return s;
    }(p, cs));
    EXPECT_FALSE(got.has_value());
    EXPECT_TRUE(p.running());
    EXPECT_EQ(p.kill(SIGKILL), 0);
    EXPECT_EQ(r.block_on(p.wait()).signal, SIGKILL);
}

TEST(Process, DestructorKillsTheGroupAndReaps) {
    Reactor r;
    pid_t leader, grandchild;
    {
        auto o = sh("sleep 30 & echo $!; wait");
        o.stdout_mode = Stdio::pipe;
        Process p = Process::spawn(o);
        leader = p.pid();
        UniqueFd out = p.take_stdout();
        grandchild = std::stoi(r.block_on(read_line(out.get())));
        ASSERT_TRUE(alive(grandchild));
    }
    EXPECT_EQ(proc_state(leader), '\0') << "the leader was reaped, not left a zombie";
    EXPECT_TRUE(dies_within(grandchild, 3000ms));
}

TEST(Process, NoZombiesAfterManySpawnKillCycles) {
    Reactor r;
    for (int i = 0; i < 60; ++i) {
        switch (i % 4) {
            case 0: {  // exits on its own, awaited
                Process p = Process::spawn(sh("exit 0"));
                EXPECT_TRUE(r.block_on(p.wait()).success());
                break;
            }
            case 1: {  // killed, awaited
                Process p = Process::spawn(sh("exec sleep 30"));
                p.kill_group(SIGKILL);
                EXPECT_TRUE(r.block_on(p.wait()).killed());
                break;
            }
            case 2: {  // dropped while running
                Process p = Process::spawn(sh("sleep 30 & wait"));
                break;
            }
            default: {  // exited but never awaited: the destructor reaps
                Process p = Process::spawn(sh("exit 0"));
                std::this_thread::sleep_for(1ms);
                break;
            }
        }
    }
    auto kids = our_children();
    for (auto [pid, state] : kids)
        ADD_FAILURE() << "child " << pid << " left behind in state " << state;
}

// PR_SET_PDEATHSIG: a helper process spawns a child through the API and is then
// SIGKILLed; the child must die with it.
TEST(Process, ChildDiesWithItsParent) {
    auto run = [](bool die_with_parent) -> pid_t {
        int report[2];
        EXPECT_EQ(pipe(report), 0);
        pid_t helper = fork();
        if (helper == 0) {
            close(report[0]);
            try {
                auto o = sh("exec sleep 30");
                o.die_with_parent = die_with_parent;
                Process p = Process::spawn(o);
                pid_t pid = p.pid();
                [[maybe_unused]] ssize_t n = write(report[1], &pid, sizeof pid);
                for (;;)
                    pause();
            } catch (...) {
                _exit(1);
            }
        }
        close(report[1]);
        pid_t child = -1;
        EXPECT_EQ(read(report[0], &child, sizeof child), static_cast<ssize_t>(sizeof child));
        close(report[0]);
        EXPECT_TRUE(alive(child));
        ::kill(helper, SIGKILL);
        waitpid(helper, nullptr, 0);
        return child;
    };
    pid_t orphan = run(false);
    std::this_thread::sleep_for(200ms);
    EXPECT_TRUE(alive(orphan)) << "without PDEATHSIG the child outlives its parent";
    ::kill(orphan, SIGKILL);

    pid_t child = run(true);
    EXPECT_TRUE(dies_within(child, 3000ms)) << "child " << child << " survived its parent";
}

// ----------------------------------------------------------------------------- pipes

TEST(Process, LargeWritesThroughStdinPipe) {
    Reactor r;
    SpawnOptions o;
    o.program = "/usr/bin/wc";
    o.argv = {"wc", "-c"};
    o.stdin_mode = Stdio::pipe;
    o.stdout_mode = Stdio::pipe;
    if (access(o.program.c_str(), X_OK) != 0) GTEST_SKIP() << "needs /usr/bin/wc";
    Process p = Process::spawn(o);
    UniqueFd in = p.take_stdin();
    UniqueFd out = p.take_stdout();
    std::string big(1 << 20, 'x');  // far beyond the 64 KiB pipe buffer: partial writes
    EXPECT_EQ(r.block_on(pipe_write_all(in.get(), big)), static_cast<int64_t>(big.size()));
    in.reset();
    std::string got = r.block_on(read_to_eof(out.get()));
    EXPECT_EQ(std::stol(got), 1L << 20);
    EXPECT_TRUE(r.block_on(p.wait()).success());
}

TEST(Process, WriteToAPipeWithoutReaderFailsWithEpipe) {
    struct sigaction ign {
    }, old{};
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old);  // as every binary writing to child pipes must
    Reactor r;
    Pipe p = make_pipe();
    p.read.reset();
    std::string data = "x";
    int res = r.block_on([](int fd, std::string& d) -> Task<int> { co_return co_await pipe_write(fd, d); }(
                                                        p.write.get(), data));
    sigaction(SIGPIPE, &old, nullptr);
    EXPECT_EQ(res, -EPIPE);
}

TEST(Process, PipeReadHonoursItsTimeout) {
    Reactor r;
    Pipe p = make_pipe();
    auto t0 = std::chrono::steady_clock::now();
    int res = r.block_on([](int fd) -> Task<int> {
        char buf[16];
        co_return co_await pipe_read(fd, buf, {}, 30);
    }(p.read.get()));
    EXPECT_EQ(res, -ECANCELED);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 25ms);
}

}  // namespace
}  // namespace ec::rt
