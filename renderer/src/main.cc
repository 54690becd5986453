// render-service: argument parsing, configuration, then the service (service.h) or the -t test mode.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

#include "chrome_engine.h"
#include "config_test_mode.h"
#include "log_setup.h"
#include "runtime/command_line.h"
#include "runtime/log.h"
#include "runtime/runtime.h"
#include "runtime/signals.h"
#include "runtime/systemd.h"
#include "service.h"
#include "service_config.h"

namespace {

constexpr const char* kUsage =
    "Usage: render-service [-c FILE] [-t]\n"
    "  -c FILE   configuration file (default configs/render-service.yaml)\n"
    "  -t        test the configuration and exit (0 = valid, 1 = invalid)\n"
    "  -h        show this help\n";

// A free coroutine (not a capturing lambda): its frame must not point into a closure object.
ec::rt::Task<void> run_service(ec::rs::Service& service, int& rc) {
    rc = co_await service.run();
}

}  // namespace

int main(int argc, char** argv) {
    ec::rt::CommandLine args;
    std::string error;
    if (!ec::rt::parse_command_line(argc, argv, {ec::rs::kDefaultConfigPath}, args, error)) {
        std::fprintf(stderr, "%s\n%s", error.c_str(), kUsage);
        return 2;
    }
    if (args.help) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (args.test) return ec::rs::run_config_test(args.config, std::cout, std::cerr);

    ec::rs::LoadResult loaded = ec::rs::load_service_config(args.config);
    ec::rt::print_config_report(stderr, "render-service", args.config, loaded.diagnostics,
                                loaded.config != nullptr);
    if (!loaded.config) return 1;
    ec::rs::ServiceConfig& cfg = *loaded.config;

    ec::rt::log::Logger logger;
    if (std::string why = ec::rs::configure_logger(logger, cfg.log); !why.empty()) {
        logger.error("Cannot open the log file", {{"error", why}});
        return 1;
    }
    // Chromium's pipes must not kill us when a browser dies mid-write.
    ::signal(SIGPIPE, SIG_IGN);

    // Before any thread starts: block the signals (read through a signalfd), take the systemd variables.
    ec::rt::SignalSet signals{SIGTERM, SIGINT, SIGHUP};
    auto notifier = ec::rt::systemd::Notifier::from_environment(/*unset=*/true);
    if (!notifier.error().empty()) logger.warn("sd_notify disabled", {{"error", notifier.error()}});
    std::vector<ec::rt::systemd::ListenFd> activated;
    try {
        activated = ec::rt::systemd::listen_fds(/*unset=*/true);
    } catch (const std::exception& e) {
        logger.error("Socket activation", {{"error", e.what()}});
        return 1;
    }
    ec::rt::systemd::WatchdogOptions wopts;
    wopts.unset_environment = true;
    wopts.log = [&logger](std::string_view line) { logger.raw(ec::rt::log::Level::warn, line); };
    ec::rt::systemd::Watchdog watchdog(notifier, 1, std::move(wopts));
    if (!watchdog.error().empty()) logger.warn("systemd watchdog disabled", {{"error", watchdog.error()}});
    watchdog.start();

    cfg.engine.log = [&logger](std::string_view line) { ec::rs::forward_engine_line(logger, line); };
    ec::rs::ServiceHooks hooks;
    hooks.notifier = &notifier;
    hooks.watchdog = &watchdog;
    hooks.activated = std::move(activated);
    ec::rs::Service service(
        cfg, logger, &signals,
        [](const ec::rs::EngineOptions& o) -> std::unique_ptr<ec::rs::RenderEngine> {
            return std::make_unique<ec::rs::ChromeEngine>(o);
        },
        std::move(hooks));

    int rc = 1;
    try {
        ec::rt::RuntimeOptions ropts;
        ropts.cores = 1;  // renders are Chromium's work; one reactor carries the shell and the engine
        ec::rt::Runtime runtime(ropts);
        runtime.run([&](unsigned) { return run_service(service, rc); });
    } catch (const std::exception& e) {
        logger.error("Render service failed", {{"error", e.what()}});
        rc = 1;
    }
    watchdog.stop();
    return rc;
}
