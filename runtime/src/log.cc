#include "runtime/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <system_error>

#include "runtime/json_writer.h"

namespace ec::rt::log {
namespace {

void append_ts(std::string& out, int64_t unix_ms) {
    time_t secs = static_cast<time_t>(unix_ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    int ms = static_cast<int>(unix_ms % 1000);
    buf[n++] = '.';
    buf[n++] = static_cast<char>('0' + ms / 100);
    buf[n++] = static_cast<char>('0' + ms / 10 % 10);
    buf[n++] = static_cast<char>('0' + ms % 10);
    buf[n++] = 'Z';
    out.append(buf, n);
}

void append_field_value(JsonWriter& w, const Field& f) {
    switch (f.kind()) {
        case Field::Kind::str:
            w.value(f.str());
            break;
        case Field::Kind::i64:
            w.value(static_cast<long long>(f.i64()));
            break;  // NOLINT
        case Field::Kind::u64:
            w.value(static_cast<unsigned long long>(f.u64()));
            break;  // NOLINT
        case Field::Kind::f64:
            w.value(f.f64());
            break;
        case Field::Kind::boolean:
            w.value(f.boolean());
            break;
    }
}

const char* upper_name(Level l) {
    switch (l) {
        case Level::debug:
            return "DEBUG";
        case Level::info:
            return "INFO";
        case Level::warn:
            return "WARN";
        case Level::error:
            return "ERROR";
    }
    return "INFO";
}

int64_t unix_now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void write_all(int fd, const std::string& s) {
    const char* p = s.data();
    size_t left = s.size();
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;  // nowhere left to report a failing log sink
        }
        p += n;
        left -= static_cast<size_t>(n);
    }
}

}  // namespace

std::optional<Level> parse_level(std::string_view s) {
    if (s == "debug") return Level::debug;
    if (s == "info") return Level::info;
    if (s == "warn") return Level::warn;
    if (s == "error" || s == "dpanic" || s == "panic" || s == "fatal") return Level::error;
    return std::nullopt;
}

const char* level_name(Level l) {
    switch (l) {
        case Level::debug:
            return "debug";
        case Level::info:
            return "info";
        case Level::warn:
            return "warn";
        case Level::error:
            return "error";
    }
    return "info";
}

Logger::Logger() {
    add_fd(2, Format::json, Level::info);
}

Logger::~Logger() {
    clear_sinks();
}

void Logger::clear_sinks() {
    for (Sink& s : _sinks)
        if (s.owned && s.fd >= 0) ::close(s.fd);
    _sinks.clear();
    recompute_min();
}

void Logger::add_fd(int fd, Format format, Level min_level) {
    _sinks.push_back(Sink{fd, false, format, min_level, {}});
    recompute_min();
}

std::string Logger::add_file(const std::string& path, Format format, Level min_level) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return "cannot open log file " + path + ": " + std::generic_category().message(errno);
    _sinks.push_back(Sink{fd, true, format, min_level, path});
    recompute_min();
    return {};
}

std::string Logger::reopen() {
    std::string first_error;
    for (Sink& s : _sinks) {
        if (!s.owned || s.path.empty()) continue;
        int fd = ::open(s.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) {
            if (first_error.empty())
                first_error =
                    "cannot reopen log file " + s.path + ": " + std::generic_category().message(errno);
            continue;  // keep writing to the old descriptor
        }
        ::close(s.fd);
        s.fd = fd;
    }
    return first_error;
}

void Logger::set_level(Level l) {
    for (Sink& s : _sinks)
        s.min = l;
    recompute_min();
}

void Logger::recompute_min() {
    Level m = Level::error;
    bool any = false;
    for (const Sink& s : _sinks) {
        m = any ? std::min(m, s.min) : s.min;
        any = true;
    }
    // No sink: nothing is enabled (one past error).
    _min_rank = static_cast<uint8_t>(static_cast<uint8_t>(m) + (any ? 0 : 1));
}

void Logger::format_line(std::string& out, Format format, Level l, std::string_view msg, const Field* fields,
                         size_t n, uint64_t suppressed, int64_t unix_ms) {
    if (format == Format::json) {
        JsonWriter w(out);
        w.begin_object();
        w.key("level").value(level_name(l));
        out += ",\"ts\":\"";
        append_ts(out, unix_ms);
        out += '"';
        w.key("msg").value(msg);
        for (size_t i = 0; i < n; ++i) {
            w.key(fields[i].key());
            append_field_value(w, fields[i]);
        }
        if (suppressed) w.key("suppressed").value(static_cast<unsigned long long>(suppressed));  // NOLINT
        w.end_object();
    } else {
        append_ts(out, unix_ms);
        out += '\t';
        out += upper_name(l);
        out += '\t';
        // The message stays readable but cannot break the line.
        for (char c : msg)
            out += (c == '\n' || c == '\r') ? ' ' : c;
        if (n > 0 || suppressed) {
            out += '\t';
            JsonWriter w(out);
            w.begin_object();
            for (size_t i = 0; i < n; ++i) {
                w.key(fields[i].key());
                append_field_value(w, fields[i]);
            }
            if (suppressed) w.key("suppressed").value(static_cast<unsigned long long>(suppressed));  // NOLINT
            w.end_object();
        }
    }
    out += '\n';
}

void Logger::write(Level l, std::string_view msg, const Field* fields, size_t n, uint64_t suppressed) {
    thread_local std::string json_buf;
    thread_local std::string text_buf;
    int64_t now = unix_now_ms();
    bool have_json = false;
    bool have_text = false;
    for (const Sink& s : _sinks) {
        if (l < s.min || s.fd < 0) continue;
        std::string& buf = s.format == Format::json ? json_buf : text_buf;
        bool& have = s.format == Format::json ? have_json : have_text;
        if (!have) {
            buf.clear();
            format_line(buf, s.format, l, msg, fields, n, suppressed, now);
            have = true;
        }
        write_all(s.fd, buf);
    }
}

void Logger::raw(Level l, std::string_view json_object) {
    if (!enabled(l)) return;
    while (!json_object.empty() && (json_object.back() == '\n' || json_object.back() == '\r')) {
        json_object.remove_suffix(1);
    }
    if (json_object.size() < 2 || json_object.front() != '{') return;
    thread_local std::string json_buf;
    thread_local std::string text_buf;
    int64_t now = unix_now_ms();
    bool have_json = false;
    bool have_text = false;
    for (const Sink& s : _sinks) {
        if (l < s.min || s.fd < 0) continue;
        std::string& buf = s.format == Format::json ? json_buf : text_buf;
        bool& have = s.format == Format::json ? have_json : have_text;
        if (!have) {
            buf.clear();
            if (s.format == Format::json) {
                buf += "{\"ts\":\"";
                append_ts(buf, now);
                buf += '"';
                std::string_view rest = json_object.substr(1);
                size_t first = rest.find_first_not_of(" \t");
                if (first != std::string_view::npos && rest[first] != '}') buf += ',';  // not an empty object
                buf += rest;
            } else {
                append_ts(buf, now);
                buf += '\t';
                buf += upper_name(l);
                buf += '\t';
                buf += json_object;
            }
            buf += '\n';
            have = true;
        }
        write_all(s.fd, buf);
    }
}

bool Logger::limited(Level l, std::string_view key, std::chrono::milliseconds interval, std::string_view msg,
                     Fields fields) {
    if (!enabled(l)) return false;
    auto now = std::chrono::steady_clock::now();
    auto [it, inserted] = _repeats.try_emplace(std::string(key));
    Repeat& r = it->second;
    if (!inserted && now - r.last < interval) {
        ++r.suppressed;
        return false;
    }
    uint64_t suppressed = r.suppressed;
    r.suppressed = 0;
    r.last = now;
    write(l, msg, fields.begin(), fields.size(), suppressed);
    return true;
}

}  // namespace ec::rt::log
