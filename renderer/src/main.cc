// render-service: argument parsing, configuration, then the service (service.h) or the -t test mode.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "chrome_engine.h"
#include "config_test_mode.h"
#include "log_setup.h"
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

struct Args {
    std::string config = ec::rs::kDefaultConfigPath;
    bool test = false;
    bool help = false;
};

// Go's flag conventions, as the gateway: -x or --x, "-c FILE" or "-c=FILE".
bool parse_args(int argc, char** argv, Args& a, std::string& error) {
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg.size() < 2 || arg[0] != '-') {
            error = "unexpected argument: " + std::string(arg);
            return false;
        }
        std::string_view name = arg.substr(arg.starts_with("--") ? 2 : 1);
        std::optional<std::string_view> value;
        if (auto eq = name.find('='); eq != std::string_view::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        if (name == "h" || name == "help") {
            a.help = true;
        } else if (name == "t") {
            a.test = true;
        } else if (name == "c") {
            if (!value) {
                if (i + 1 >= argc) {
                    error = "flag needs an argument: -c";
                    return false;
                }
                value = argv[++i];
            }
            a.config = std::string(*value);
        } else {
            error = "flag provided but not defined: " + std::string(arg);
            return false;
        }
    }
    return true;
}

// A free coroutine (not a capturing lambda): its frame must not point into a closure object.
ec::rt::Task<void> run_service(ec::rs::Service& service, int& rc) {
    rc = co_await service.run();
}

}  // namespace

int main(int argc, char** argv) {
    Args args;
    std::string error;
    if (!parse_args(argc, argv, args, error)) {
        std::fprintf(stderr, "%s\n%s", error.c_str(), kUsage);
        return 2;
    }
    if (args.help) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (args.test) return ec::rs::run_config_test(args.config, std::cout, std::cerr);

    ec::rs::LoadResult loaded = ec::rs::load_service_config(args.config);
    for (const auto& w : loaded.diagnostics.warnings()) {
        std::fprintf(stderr, "warning: %s\n", ec::rt::format_diagnostic(w).c_str());
    }
    if (!loaded.config) {
        for (const auto& e : loaded.diagnostics.errors()) {
            std::fprintf(stderr, "%s\n", ec::rt::format_diagnostic(e).c_str());
        }
        std::fprintf(stderr, "render-service: configuration %s is invalid (%zu errors)\n",
                     args.config.c_str(), loaded.diagnostics.errors().size());
        return 1;
    }
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
