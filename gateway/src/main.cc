// edge-gateway: argument parsing, configuration loading, then the gateway (serve.h) or the -t test mode.
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/config.h"
#include "gateway/config_test_mode.h"
#include "serve.h"

namespace {

constexpr const char* k_usage =
    "Usage: edge-gateway [-c FILE] [-t [URL]]\n"
    "  -c FILE   configuration file (default configs/edge-gateway.yaml)\n"
    "  -t        test the configuration and exit (0 = valid, 1 = invalid)\n"
    "  -t URL    also report how URL would be handled (absolute URL: its host; path: every host)\n"
    "  -h        show this help\n";

struct Args {
    std::string config = "configs/edge-gateway.yaml";
    bool test = false;
    std::optional<std::string> url;
    bool help = false;
};

// Go's flag package conventions: -x or --x, "-c FILE" or "-c=FILE"; flags stop at the first positional.
bool parse_args(int argc, char** argv, Args& a, std::string& error) {
    int i = 1;
    for (; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (arg.size() < 2 || arg[0] != '-') break;
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
    if (i < argc) {
        if (!a.test) {
            error = "unexpected argument: " + std::string(argv[i]);
            return false;
        }
        a.url = argv[i++];
    }
    if (i < argc) {
        error = "unexpected argument: " + std::string(argv[i]);
        return false;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    Args args;
    std::string error;
    if (!parse_args(argc, argv, args, error)) {
        std::fprintf(stderr, "%s\n%s", error.c_str(), k_usage);
        return 2;
    }
    if (args.help) {
        std::fputs(k_usage, stdout);
        return 0;
    }
    if (args.test) return ec::gw::run_config_test(args.config, args.url, std::cout, std::cerr);

    ec::gw::LoadResult loaded = ec::gw::load_config(args.config);
    for (const auto& w : loaded.diagnostics.warnings()) {
        std::fprintf(stderr, "warning: %s\n", ec::gw::format_diagnostic(w).c_str());
    }
    if (!loaded.config) {
        for (const auto& e : loaded.diagnostics.errors()) {
            std::fprintf(stderr, "%s\n", ec::gw::format_diagnostic(e).c_str());
        }
        std::fprintf(stderr, "edge-gateway: configuration %s is invalid (%zu errors)\n", args.config.c_str(),
                     loaded.diagnostics.errors().size());
        return 1;
    }
    return ec::gw::run_gateway(*loaded.config);
}
