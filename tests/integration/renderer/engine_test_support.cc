#include "engine_test_support.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "chrome_process.h"

namespace ec::rs::test {

std::string chrome_binary(std::string* why) {
    const char* env = getenv("EC_CHROME_BINARY");  // NOLINT(concurrency-mt-unsafe)
    std::string bin = env && *env ? env : EngineOptions{}.chrome_binary;
    if (access(bin.c_str(), X_OK) != 0) {
        if (why) *why = bin + " is not executable (install chromium-headless-shell or set EC_CHROME_BINARY)";
        return {};
    }
    return bin;
}

TempDir::TempDir() {
    const char* t = getenv("TMPDIR");  // NOLINT(concurrency-mt-unsafe)
    std::string tmpl = std::string(t && *t ? t : "/tmp") + "/ec-engine-test-XXXXXX";
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
}

TempDir::~TempDir() {
    remove_tree(path);
}

EngineOptions test_options(const std::string& root, std::vector<std::string>* log) {
    EngineOptions o;
    o.chrome_binary = chrome_binary(nullptr);
    o.pool_size = 2;
    o.max_timeout_ms = 15'000;
    o.server_id = "rs-test";
    o.user_data_root = root;
    o.warmup_timeout_ms = 5'000;
    if (log) {
        o.log = [log](std::string_view line) { log->emplace_back(line); };
    } else {
        o.log = [](std::string_view) {};
    }
    return o;
}

RenderRequest request(const std::string& url) {
    RenderRequest r;
    r.request_id = "test";
    r.url = url;
    r.wait_for = "load";
    r.timeout_ns = 10'000'000'000;
    return r;
}

namespace {

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

}  // namespace

std::string tag_environment() {
    static int n = 0;
    const std::string value = std::to_string(getpid()) + "-" + std::to_string(++n);
    setenv("EC_ENGINE_TEST_TAG", value.c_str(), 1);  // NOLINT(concurrency-mt-unsafe): test set-up
    return "EC_ENGINE_TEST_TAG=" + value;
}

struct ChromiumWatch::State {
    std::string tag;
    mutable std::mutex mu;
    std::set<pid_t> groups;
    std::atomic<bool> stop{false};
};

namespace {

struct ProcInfo {
    pid_t pid = 0, ppid = 0, pgid = 0;
    std::string cmdline;
};

bool env_has(const std::string& env, const std::string& entry) {
    size_t at = 0;
    while (at < env.size()) {
        size_t z = env.find('\0', at);
        if (z == std::string::npos) z = env.size();
        if (env.compare(at, z - at, entry) == 0) return true;
        at = z + 1;
    }
    return false;
}

// Live processes: pid, process group, command line (with `cmdline` only when asked).
std::vector<ProcInfo> live_processes(bool with_cmdline) {
    std::vector<ProcInfo> out;
    DIR* d = opendir("/proc");
    if (!d) return out;
    while (dirent* e = readdir(d)) {
        char* end = nullptr;
        long pid = strtol(e->d_name, &end, 10);
        if (*end != '\0' || pid <= 0) continue;
        const std::string base = std::string("/proc/") + e->d_name;
        std::string stat = read_file(base + "/stat");
        auto paren = stat.rfind(')');
        if (paren == std::string::npos) continue;
        std::istringstream rest(stat.substr(paren + 2));
        char st = 0;
        long ppid = 0, pgid = 0;
        rest >> st >> ppid >> pgid;
        if (st == 'Z' || st == 'X') continue;
        ProcInfo p;
        p.pid = static_cast<pid_t>(pid);
        p.ppid = static_cast<pid_t>(ppid);
        p.pgid = static_cast<pid_t>(pgid);
        if (with_cmdline) p.cmdline = read_file(base + "/cmdline");
        out.push_back(std::move(p));
    }
    closedir(d);
    return out;
}

}  // namespace

ChromiumWatch::ChromiumWatch(std::string tag) : _s(std::make_shared<State>()) {
    _s->tag = std::move(tag);
    _t = std::thread([s = _s] {
        while (!s->stop.load()) {
            for (const ProcInfo& p : live_processes(false)) {
                if (p.pid != p.pgid) continue;  // browsers lead their group
                {
                    std::lock_guard lk(s->mu);
                    if (s->groups.contains(p.pid)) continue;
                }
                if (env_has(read_file("/proc/" + std::to_string(p.pid) + "/environ"), s->tag)) {
                    std::lock_guard lk(s->mu);
                    s->groups.insert(p.pid);
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
}

ChromiumWatch::~ChromiumWatch() {
    _s->stop = true;
    _t.join();
}

std::vector<pid_t> ChromiumWatch::live_with_arg(const std::string& arg) const {
    std::set<pid_t> groups;
    {
        std::lock_guard lk(_s->mu);
        groups = _s->groups;
    }
    std::vector<pid_t> out;
    const pid_t self = getpid();
    for (const ProcInfo& p : live_processes(true)) {
        if (p.pid == self || !groups.contains(p.pgid)) continue;
        if (arg.empty() || p.cmdline.find(arg) != std::string::npos) out.push_back(p.pid);
    }
    return out;
}

std::vector<pid_t> group_processes_with_arg(pid_t pgid, const std::string& arg) {
    std::vector<pid_t> out;
    for (const ProcInfo& p : live_processes(true))
        if (p.pgid == pgid && p.cmdline.find(arg) != std::string::npos) out.push_back(p.pid);
    return out;
}

std::vector<pid_t> child_processes_with_arg(pid_t parent, const std::string& arg) {
    std::vector<pid_t> out;
    for (const ProcInfo& p : live_processes(true))
        if (p.ppid == parent && p.cmdline.find(arg) != std::string::npos) out.push_back(p.pid);
    return out;
}

std::vector<pid_t> ChromiumWatch::live() const {
    return live_with_arg("");
}

bool ChromiumWatch::none_within(int ms) const {
    const int64_t end = mono_ms() + ms;
    while (mono_ms() < end) {
        if (live().empty()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return live().empty();
}

size_t ChromiumWatch::groups_seen() const {
    std::lock_guard lk(_s->mu);
    return _s->groups.size();
}

std::vector<std::string> list_dir(const std::string& path) {
    std::vector<std::string> out;
    DIR* d = opendir(path.c_str());
    if (!d) return out;
    while (dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(n);
    }
    closedir(d);
    return out;
}

std::vector<pid_t> zombie_children() {
    std::vector<pid_t> out;
    DIR* d = opendir("/proc");
    if (!d) return out;
    const pid_t self = getpid();
    while (dirent* e = readdir(d)) {
        char* end = nullptr;
        long pid = strtol(e->d_name, &end, 10);
        if (*end != '\0' || pid <= 0) continue;
        std::string stat = read_file(std::string("/proc/") + e->d_name + "/stat");
        auto paren = stat.rfind(')');
        if (paren == std::string::npos) continue;
        std::istringstream rest(stat.substr(paren + 2));
        char st = 0;
        long ppid = 0;
        rest >> st >> ppid;
        if (ppid == self && st == 'Z') out.push_back(static_cast<pid_t>(pid));
    }
    closedir(d);
    return out;
}

int64_t mono_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void with_engine(const EngineOptions& opts, const std::function<rt::Task<void>(ChromeEngine&)>& body) {
    rt::Reactor r;
    r.block_on(
        [](const EngineOptions& o, const std::function<rt::Task<void>(ChromeEngine&)>& b) -> rt::Task<void> {
            ChromeEngine engine(o);
            std::exception_ptr ex;
            try {
                co_await engine.start();
                co_await b(engine);
            } catch (...) {
                ex = std::current_exception();
            }
            co_await engine.stop();
            if (ex) std::rethrow_exception(ex);
        }(opts, body));
}

}  // namespace ec::rs::test
