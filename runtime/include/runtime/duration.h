// Durations as written in configuration files (and accepted in JSON where a string is given).
//
// Syntax: Go duration strings ("1h30m", "500ms", "-2s", units ns/us/µs/ms/s/m/h, combinable) plus the
// single-unit extended suffixes "d" (days) and "w" (weeks), decimal allowed ("30d", "1.5d").
// Pure functions: no I/O, no allocation beyond the returned strings.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ec::rt {

using Duration = std::chrono::nanoseconds;

// Parses a configuration duration. On failure returns nullopt and sets *error (if given) to a reason.
std::optional<Duration> parse_duration(std::string_view text, std::string* error = nullptr);

// Formats like Go's time.Duration.String(): "0s", "1h0m0s", "1.5s", "500ms", "2µs". Used in messages so they
// read exactly like the original's.
std::string go_duration_string(Duration d);

}  // namespace ec::rt
