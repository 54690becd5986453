// Structured logs: one line per event, written with a single write(2) per sink.
//
//   log::Logger logger;                                     // stderr, JSON, level info
//   logger.info("Render completed", {{"request_id", id}, {"render_ms", 812}, {"ok", true}});
//   // {"level":"info","ts":"2026-11-21T18:27:54.123Z","msg":"Render completed","request_id":"…",…}
//
// Formats: json (the keys level, ts (ISO-8601 UTC, milliseconds), msg, then the fields in order) and text
// ("<ts>\t<LEVEL>\t<msg>\t{fields as JSON}", the layout of zap's console encoder without colours).
// Strings are escaped by the JSON writer (json_writer.h), so a field can never break a line.
//
// Sinks: stderr by default; add_file() appends to a file (O_APPEND, created 0644); reopen() reopens files
// after rotation (SIGHUP). Each sink has its own minimum level.
//
// Cost: a disabled level returns after one comparison; an enabled one formats into a thread-local buffer
// (no allocation in steady state) and issues one write per sink. log() is safe to call from several threads
// at once; configuring sinks (add_*, set_level, reopen) and limited() belong to one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ec::rt::log {

enum class Level : uint8_t { debug, info, warn, error };

// "debug", "info", "warn", "error"; zap's "dpanic", "panic", "fatal" map to error (we never panic on a
// log line). Anything else: nullopt.
std::optional<Level> parse_level(std::string_view s);
const char* level_name(Level l);  // "info"

enum class Format : uint8_t { json, text };

// One key/value of a log line. Holds views: valid for the duration of the log call only.
class Field {
  public:
    enum class Kind : uint8_t { str, i64, u64, f64, boolean };

    Field(std::string_view k, std::string_view v) noexcept : _key(k), _str(v), _kind(Kind::str) {}
    Field(std::string_view k, const char* v) noexcept : _key(k), _str(v ? v : ""), _kind(Kind::str) {}
    Field(std::string_view k, const std::string& v) noexcept : _key(k), _str(v), _kind(Kind::str) {}
    Field(std::string_view k, bool v) noexcept : _key(k), _kind(Kind::boolean) { _n.b = v; }
    Field(std::string_view k, int v) noexcept : _key(k), _kind(Kind::i64) { _n.i = v; }
    Field(std::string_view k, long v) noexcept : _key(k), _kind(Kind::i64) { _n.i = v; }       // NOLINT
    Field(std::string_view k, long long v) noexcept : _key(k), _kind(Kind::i64) { _n.i = v; }  // NOLINT
    Field(std::string_view k, unsigned v) noexcept : _key(k), _kind(Kind::u64) { _n.u = v; }
    Field(std::string_view k, unsigned long v) noexcept : _key(k), _kind(Kind::u64) { _n.u = v; }  // NOLINT
    Field(std::string_view k, unsigned long long v) noexcept : _key(k), _kind(Kind::u64) {         // NOLINT
        _n.u = v;
    }
    Field(std::string_view k, double v) noexcept : _key(k), _kind(Kind::f64) { _n.d = v; }

    std::string_view key() const noexcept { return _key; }
    Kind kind() const noexcept { return _kind; }
    std::string_view str() const noexcept { return _str; }
    int64_t i64() const noexcept { return _n.i; }
    uint64_t u64() const noexcept { return _n.u; }
    double f64() const noexcept { return _n.d; }
    bool boolean() const noexcept { return _n.b; }

  private:
    std::string_view _key;
    std::string_view _str;
    union {
        int64_t i;
        uint64_t u;
        double d;
        bool b;
    } _n{};
    Kind _kind;
};

using Fields = std::initializer_list<Field>;

class Logger {
  public:
    // One sink: stderr, JSON, info.
    Logger();
    ~Logger();
    Logger(const Logger&) = delete;
    Logger& operator=(const Logger&) = delete;

    // Drops every sink (for reconfiguration at start-up).
    void clear_sinks();
    // Writes to an fd the logger does not own (stderr: 2).
    void add_fd(int fd, Format format, Level min_level);
    // Appends to `path`; returns "" or the reason it cannot be opened.
    std::string add_file(const std::string& path, Format format, Level min_level);
    // Reopens every file sink by path (after log rotation). Returns "" or the first failure.
    std::string reopen();
    // Sets the minimum level of every sink.
    void set_level(Level l);

    bool enabled(Level l) const noexcept { return static_cast<uint8_t>(l) >= _min_rank; }

    void log(Level l, std::string_view msg, Fields fields = {}) {
        if (enabled(l)) write(l, msg, fields.begin(), fields.size(), 0);
    }
    void debug(std::string_view msg, Fields f = {}) { log(Level::debug, msg, f); }
    void info(std::string_view msg, Fields f = {}) { log(Level::info, msg, f); }
    void warn(std::string_view msg, Fields f = {}) { log(Level::warn, msg, f); }
    void error(std::string_view msg, Fields f = {}) { log(Level::error, msg, f); }

    // A line that is already a JSON object (from a component with its own encoder): JSON sinks get it with
    // "ts" added as its first key, text sinks as "<ts>\t<LEVEL>\t<object>". It must be one line.
    void raw(Level l, std::string_view json_object);

    // Rate-limited repeats: at most one line per `interval` for `key` (e.g. "redis_down"); the next line
    // that gets through carries "suppressed": <number of lines dropped meanwhile>. Returns whether it
    // logged. One thread only.
    bool limited(Level l, std::string_view key, std::chrono::milliseconds interval, std::string_view msg,
                 Fields fields = {});

    // Formats one line exactly as a sink of `format` would (tests, and callers that batch lines).
    static void format_line(std::string& out, Format format, Level l, std::string_view msg,
                            const Field* fields, size_t n, uint64_t suppressed, int64_t unix_ms);

  private:
    struct Sink {
        int fd = -1;
        bool owned = false;
        Format format = Format::json;
        Level min = Level::info;
        std::string path;  // file sinks
    };
    void write(Level l, std::string_view msg, const Field* fields, size_t n, uint64_t suppressed);
    void recompute_min();

    std::vector<Sink> _sinks;
    uint8_t _min_rank = static_cast<uint8_t>(Level::info);  // above error when there is no sink
    struct Repeat {
        std::chrono::steady_clock::time_point last;
        uint64_t suppressed = 0;
    };
    std::unordered_map<std::string, Repeat> _repeats;
};

}  // namespace ec::rt::log
