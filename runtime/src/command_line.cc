#include "runtime/command_line.h"

namespace ec::rt {

bool parse_command_line(int argc, char** argv, const CommandLineSpec& spec, CommandLine& out,
                        std::string& error) {
    out = CommandLine{};
    out.config = std::string(spec.default_config);
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
            out.help = true;
        } else if (name == "t") {
            out.test = true;
        } else if (name == "c") {
            if (!value) {
                if (i + 1 >= argc) {
                    error = "flag needs an argument: -c";
                    return false;
                }
                value = argv[++i];
            }
            out.config = std::string(*value);
        } else {
            error = "flag provided but not defined: " + std::string(arg);
            return false;
        }
    }
    if (i < argc && out.test && spec.test_takes_operand) out.operand = argv[i++];
    if (i < argc) {
        error = "unexpected argument: " + std::string(argv[i]);
        return false;
    }
    return true;
}

void print_config_report(std::FILE* out, std::string_view binary, std::string_view path,
                         const Diagnostics& diagnostics, bool valid) {
    for (const auto& w : diagnostics.warnings())
        std::fprintf(out, "warning: %s\n", format_diagnostic(w).c_str());
    if (valid) return;
    for (const auto& e : diagnostics.errors())
        std::fprintf(out, "%s\n", format_diagnostic(e).c_str());
    std::fprintf(out, "%.*s: configuration %.*s is invalid (%zu errors)\n", static_cast<int>(binary.size()),
                 binary.data(), static_cast<int>(path.size()), path.data(), diagnostics.errors().size());
}

}  // namespace ec::rt
