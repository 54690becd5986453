// A stand-in for the render service in the "kill -9 of the service" test: starts a render
// engine, keeps a render in flight on `url` (so renderer processes exist), prints
// "READY <browser pids>" on stdout and then runs until it is killed.
//
//   renderer_engine_driver <chromium binary> <user-data root> <url>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "chrome_engine.h"
#include "runtime/gate.h"
#include "runtime/reactor.h"
#include "runtime/time.h"

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s <chromium binary> <user-data root> <url>\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    ec::rs::EngineOptions o;
    o.chrome_binary = argv[1];
    o.user_data_root = argv[2];
    o.pool_size = 2;
    o.max_timeout_ms = 600'000;
    o.log = [](std::string_view) {};
    const std::string url = argv[3];
    ec::rt::Reactor r;
    r.block_on([](ec::rs::EngineOptions opts, std::string u) -> ec::rt::Task<void> {
        ec::rs::ChromeEngine engine(opts);
        co_await engine.start();
        ec::rt::Gate g;
        ec::rs::RenderRequest req;
        req.url = u;
        req.wait_for = "networkIdle";
        req.timeout_ns = 600'000'000'000;
        ec::rt::spawn(g, [](ec::rs::ChromeEngine& e, ec::rs::RenderRequest q) -> ec::rt::Task<void> {
            co_await e.render(std::move(q), {});
        }(engine, req));
        co_await ec::rt::sleep_for(ec::rt::Millis(1500));
        std::string line = "READY";
        for (pid_t p : engine.browser_pids())
            line += " " + std::to_string(p);
        line += "\n";
        [[maybe_unused]] ssize_t n = write(1, line.data(), line.size());
        for (;;)
            co_await ec::rt::sleep_for(ec::rt::Millis(60'000));
    }(o, url));
    return 0;
}
