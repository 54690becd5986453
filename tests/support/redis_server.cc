#include "support/redis_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "runtime/redis.h"
#include "support/blocking_socket.h"

namespace ec::test {

namespace {

std::string find_redis_server() {
    if (const char* p = std::getenv("EC_REDIS_SERVER"); p && *p) return access(p, X_OK) == 0 ? p : "";
    const char* path = std::getenv("PATH");
    std::stringstream ss(path ? path : "/usr/local/bin:/usr/bin:/bin");
    std::string dir;
    while (std::getline(ss, dir, ':')) {
        std::string cand = (dir.empty() ? "." : dir) + "/redis-server";
        if (access(cand.c_str(), X_OK) == 0) return cand;
    }
    return "";
}

uint16_t free_loopback_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        int e = errno;
        ::close(fd);
        throw std::runtime_error(std::string("finding a free port: ") + std::strerror(e));
    }
    ::close(fd);
    return ntohs(a.sin_port);
}

// Reads one reply; false on EOF, timeout or protocol error.
bool read_reply(int fd, rt::redis::ReplyParser& p, rt::redis::Reply& out) {
    char buf[4096];
    for (;;) {
        auto st = p.next(out);
        if (st == rt::redis::ReplyParser::Status::reply) return true;
        if (st == rt::redis::ReplyParser::Status::error) return false;
        ssize_t n = recv_some(fd, buf, sizeof buf);
        if (n <= 0) return false;
        p.feed(buf, static_cast<size_t>(n));
    }
}

std::string read_file(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

}  // namespace

bool RedisServer::available(std::string* why) {
    if (!find_redis_server().empty()) return true;
    if (why) *why = "redis-server not found in PATH (install redis-server, or set EC_REDIS_SERVER)";
    return false;
}

RedisServer::RedisServer(Options opts) : _opts(std::move(opts)) {
    char tmpl[] = "/tmp/ec-redis-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
    _dir = tmpl;
    _socket_path = _dir + "/redis.sock";
    // The probed port may be taken between probe and bind; try a few.
    std::string last;
    for (int attempt = 0; attempt < 5; ++attempt) {
        _port = free_loopback_port();
        try {
            start();
            return;
        } catch (const std::exception& e) {
            last = e.what();
        }
    }
    std::error_code ec;
    std::filesystem::remove_all(_dir, ec);
    throw std::runtime_error("could not start redis-server: " + last);
}

RedisServer::~RedisServer() {
    kill();
    std::error_code ec;
    std::filesystem::remove_all(_dir, ec);
}

void RedisServer::start() {
    if (gettid() != getpid())
        throw std::logic_error(
            "RedisServer must be started on the main thread (PR_SET_PDEATHSIG is per thread)");
    std::string bin = find_redis_server();
    if (bin.empty()) throw std::runtime_error("redis-server not found");
    std::vector<std::string> args = {bin,
                                     "--port",
                                     std::to_string(_port),
                                     "--bind",
                                     "127.0.0.1",
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--dir",
                                     _dir,
                                     "--unixsocket",
                                     _socket_path,
                                     "--unixsocketperm",
                                     "700",
                                     "--daemonize",
                                     "no",
                                     "--logfile",
                                     _dir + "/redis.log"};
    if (!_opts.password.empty()) {
        args.emplace_back("--requirepass");
        args.push_back(_opts.password);
    }
    for (const auto& a : _opts.extra_args)
        args.push_back(a);
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        // Only async-signal-safe calls between fork and exec.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        execv(argv[0], argv.data());
        _exit(127);
    }
    _pid = pid;
    std::string why;
    if (!wait_ready(&why)) {
        kill();
        throw std::runtime_error(why);
    }
}

bool RedisServer::wait_ready(std::string* why) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < until) {
        int status = 0;
        if (waitpid(_pid, &status, WNOHANG) == _pid) {
            _pid = -1;
            *why = "redis-server exited at start-up; log:\n" + read_file(_dir + "/redis.log");
            return false;
        }
        int fd = connect_loopback(_port, 2000);
        if (fd >= 0) {
            rt::redis::ReplyParser p;
            rt::redis::Reply r;
            bool ok = send_all(fd, "*1\r\n$4\r\nPING\r\n") && read_reply(fd, p, r);
            ::close(fd);
            // -NOAUTH also proves the server is up (it was started with a password).
            if (ok && (r.str() == "PONG" || r.error_code() == "NOAUTH")) return true;
            // -LOADING and friends: keep waiting.
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    *why = "redis-server on port " + std::to_string(_port) + " did not answer PING within 10 s; log:\n" +
           read_file(_dir + "/redis.log");
    return false;
}

void RedisServer::kill() {
    if (_pid <= 0) return;
    ::kill(_pid, SIGKILL);
    int status = 0;
    while (waitpid(_pid, &status, 0) < 0 && errno == EINTR) {
    }
    _pid = -1;
}

void RedisServer::restart() {
    kill();
    ::unlink(_socket_path.c_str());
    start();
}

std::string RedisServer::command(const std::vector<std::string>& args) const {
    int fd = connect_loopback(_port, 2000);
    if (fd < 0) throw std::runtime_error("cannot connect to redis-server on port " + std::to_string(_port));
    rt::redis::ReplyParser p;
    rt::redis::Reply r;
    std::string out;
    if (!_opts.password.empty()) {
        rt::redis::append_command(out, {"AUTH", _opts.password});
        if (!send_all(fd, out) || !read_reply(fd, p, r)) {
            ::close(fd);
            throw std::runtime_error("AUTH failed");
        }
        out.clear();
    }
    rt::redis::append_command(out, rt::redis::ArgList(args));
    bool ok = send_all(fd, out) && read_reply(fd, p, r);
    ::close(fd);
    if (!ok) throw std::runtime_error("no reply from redis-server to " + args.at(0));
    return r.to_string();
}

}  // namespace ec::test
