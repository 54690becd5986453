// edge-gateway: argument parsing, configuration loading, then the gateway (serve.h) or the -t test mode.
#include <cstdio>
#include <iostream>
#include <string>

#include "gateway/config.h"
#include "gateway/config_test_mode.h"
#include "runtime/command_line.h"
#include "serve.h"

namespace {

constexpr const char* k_usage =
    "Usage: edge-gateway [-c FILE] [-t [URL]]\n"
    "  -c FILE   configuration file (default configs/edge-gateway.yaml)\n"
    "  -t        test the configuration and exit (0 = valid, 1 = invalid)\n"
    "  -t URL    also report how URL would be handled (absolute URL: its host; path: every host)\n"
    "  -h        show this help\n";

}  // namespace

int main(int argc, char** argv) {
    ec::rt::CommandLine args;
    std::string error;
    if (!ec::rt::parse_command_line(argc, argv, {"configs/edge-gateway.yaml", /*test_takes_operand=*/true},
                                    args, error)) {
        std::fprintf(stderr, "%s\n%s", error.c_str(), k_usage);
        return 2;
    }
    if (args.help) {
        std::fputs(k_usage, stdout);
        return 0;
    }
    if (args.test) return ec::gw::run_config_test(args.config, args.operand, std::cout, std::cerr);

    ec::gw::LoadResult loaded = ec::gw::load_config(args.config);
    ec::rt::print_config_report(stderr, "edge-gateway", args.config, loaded.diagnostics,
                                loaded.config != nullptr);
    if (!loaded.config) return 1;
    return ec::gw::run_gateway(*loaded.config);
}
