// Helpers for the render-engine tests: finding Chromium, temporary user-data roots,
// scanning /proc for browser processes, running an engine on the test thread's reactor.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "chrome_engine.h"
#include "engine_options.h"
#include "render_types.h"
#include "runtime/reactor.h"
#include "runtime/task.h"

namespace ec::rs::test {

// The Chromium binary for tests ($EC_CHROME_BINARY or the engine default); "" and the
// reason when it cannot be executed.
std::string chrome_binary(std::string* why);

#define EC_REQUIRE_CHROMIUM()                                           \
    do {                                                                \
        std::string ec_chrome_why_;                                     \
        if (::ec::rs::test::chrome_binary(&ec_chrome_why_).empty())     \
            GTEST_SKIP() << "Chromium unavailable: " << ec_chrome_why_; \
    } while (0)

// A private directory under $TMPDIR, removed (recursively) on destruction.
struct TempDir {
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string path;
};

// Options for a test engine: the test binary, `root` for user-data dirs, small pool,
// max_timeout 15 s, server id "rs-test", log lines collected in `log` when given.
EngineOptions test_options(const std::string& root, std::vector<std::string>* log = nullptr);

// A request with wait_for=load, a 10 s soft timeout and a desktop viewport.
RenderRequest request(const std::string& url);

// Sets a fresh EC_ENGINE_TEST_TAG in this process's environment and returns the entry
// ("EC_ENGINE_TEST_TAG=<pid>-<n>"). Every browser process started afterwards inherits it.
std::string tag_environment();

// Finds every Chromium process a test started, also after they were orphaned. Only the
// browser inherits the tag (Chromium gives its children a clean environment), but its
// zygotes, renderers and utility processes stay in its process group, which the engine
// makes the browser lead. A thread samples /proc every 20 ms and remembers the groups
// of tagged group leaders; live() is every live process in one of them (or tagged).
class ChromiumWatch {
  public:
    explicit ChromiumWatch(std::string tag);
    ~ChromiumWatch();
    ChromiumWatch(const ChromiumWatch&) = delete;
    ChromiumWatch& operator=(const ChromiumWatch&) = delete;

    std::vector<pid_t> live() const;
    // live() processes whose command line contains `arg` (e.g. "--type=renderer").
    std::vector<pid_t> live_with_arg(const std::string& arg) const;
    // Polls until live() is empty, up to `ms`.
    bool none_within(int ms) const;
    size_t groups_seen() const;

  private:
    struct State;
    std::shared_ptr<State> _s;
    std::thread _t;
};

// Live processes in process group `pgid` whose command line contains `arg`.
std::vector<pid_t> group_processes_with_arg(pid_t pgid, const std::string& arg);
// Live children of `parent` whose command line contains `arg` (a renderer the zygote has just forked
// still carries the zygote's command line for a moment: only the browser's children are zygotes).
std::vector<pid_t> child_processes_with_arg(pid_t parent, const std::string& arg);
// Children of this process that are zombies.
std::vector<pid_t> zombie_children();
// Entries of a directory (names), excluding "." and "..".
std::vector<std::string> list_dir(const std::string& path);

// Milliseconds since an arbitrary monotonic origin.
int64_t mono_ms();

// Runs `body` on a fresh reactor with a started engine and always stops the engine.
void with_engine(const EngineOptions& opts, const std::function<rt::Task<void>(ChromeEngine&)>& body);

}  // namespace ec::rs::test
