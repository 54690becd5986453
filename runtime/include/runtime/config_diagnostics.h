// Configuration errors and warnings, each naming the file and line it comes from. Loaders collect every
// problem (not only the first) so one run of `-t` lists them all.
#pragma once

#include <string>
#include <vector>

namespace ec::rt {

struct Diagnostic {
    std::string file;  // path as given (main file) or resolved (included files)
    int line = 0;      // 1-based; 0 when no single line is responsible
    std::string message;
};

// "file:line: message" ("file: message" when line is 0).
std::string format_diagnostic(const Diagnostic& d);

// The same in the `-t` listing style: "file line N: message" ("file: message").
std::string format_diagnostic_for_listing(const Diagnostic& d);

class Diagnostics {
  public:
    void error(std::string file, int line, std::string message) {
        _errors.push_back({std::move(file), line, std::move(message)});
    }
    void warning(std::string file, int line, std::string message) {
        _warnings.push_back({std::move(file), line, std::move(message)});
    }
    const std::vector<Diagnostic>& errors() const { return _errors; }
    const std::vector<Diagnostic>& warnings() const { return _warnings; }
    bool has_errors() const { return !_errors.empty(); }

  private:
    std::vector<Diagnostic> _errors;
    std::vector<Diagnostic> _warnings;
};

}  // namespace ec::rt
