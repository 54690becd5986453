// The command line every EdgeComet binary takes, in Go's flag conventions (the original's):
// -x or --x, "-c FILE" or "-c=FILE", flags end at "--" or at the first argument that is not one.
//
//   -c FILE   configuration file
//   -t        test the configuration and exit
//   -h        help
//   [operand] one argument after the flags, only with -t and only where the binary takes one
//             (edge-gateway -t URL)
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/config_diagnostics.h"

namespace ec::rt {

struct CommandLine {
    std::string config;
    bool test = false;
    bool help = false;
    std::optional<std::string> operand;
};

struct CommandLineSpec {
    std::string_view default_config;
    bool test_takes_operand = false;
};

// False with `error` ("flag provided but not defined: -x", "flag needs an argument: -c",
// "unexpected argument: x") on a command line the binary does not take.
bool parse_command_line(int argc, char** argv, const CommandLineSpec& spec, CommandLine& out,
                        std::string& error);

// Start-up report of a loaded configuration on `out`: every warning, and when it is invalid
// every error and "<binary>: configuration <path> is invalid (N errors)".
void print_config_report(std::FILE* out, std::string_view binary, std::string_view path,
                         const Diagnostics& diagnostics, bool valid);

}  // namespace ec::rt
