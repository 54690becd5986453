#include "service_config.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include "runtime/config_setting.h"
#include "runtime/yaml_strict.h"

namespace ec::rs {
namespace {

using namespace std::chrono_literals;
using rt::Duration;
using rt::Setting;
using rt::yaml::MapReader;
using StringList = std::vector<std::string>;

// ------------------------------------------------------------------ the file as written

struct RawLogOutput {
    int line = 0;
    Setting<bool> enabled;
    Setting<std::string> format;
    Setting<std::string> level;
    Setting<std::string> path;  // file only
    struct Rotation {
        int line = 0;
        Setting<std::int64_t> max_size, max_age, max_backups;
        Setting<bool> compress;
    } rotation;
};

struct Raw {
    std::string file;
    struct {
        int line = 0;
        Setting<std::string> id, listen, advertise;
    } server;
    struct {
        int line = 0;
        Setting<std::string> addr, password;
        Setting<std::int64_t> db;
    } redis;
    struct {
        int line = 0;
        Setting<std::string> pool_size;  // scalar text: "auto" or an integer
        Setting<std::string> binary;
        Setting<StringList> extra_flags;
        Setting<std::int64_t> processes;
        struct {
            int line = 0;
            Setting<std::string> url;
            Setting<Duration> timeout;
        } warmup;
        struct {
            int line = 0;
            Setting<std::int64_t> after_count;
            Setting<Duration> after_time;
            Setting<std::string> max_rss;
        } restart;
        struct {
            int line = 0;
            Setting<Duration> max_timeout;
            Setting<std::int64_t> queue_size;
        } render;
    } chrome;
    struct {
        int line = 0;
        Setting<std::string> level;
        RawLogOutput console, file;
    } log;
    struct {
        int line = 0;
        Setting<bool> enabled;
        Setting<std::string> listen, path, namespace_;
    } metrics;
};

void read_log_output(MapReader& parent, std::string_view key, RawLogOutput& out, bool is_file) {
    YAML::Node n;
    int line = 0;
    if (!parent.section(key, n, line)) return;
    out.line = line;
    MapReader r(n, parent.key_path(key), parent.ctx());
    r.boolean("enabled", out.enabled);
    if (is_file) r.str("path", out.path);
    r.str("format", out.format);
    r.str("level", out.level);
    if (is_file) {
        YAML::Node rn;
        int rline = 0;
        if (r.section("rotation", rn, rline)) {
            out.rotation.line = rline;
            MapReader rr(rn, r.key_path("rotation"), r.ctx());
            rr.integer("max_size", out.rotation.max_size);
            rr.integer("max_age", out.rotation.max_age);
            rr.integer("max_backups", out.rotation.max_backups);
            rr.boolean("compress", out.rotation.compress);
            rr.finish();
        }
    }
    r.finish();
}

// chrome.pool_size is "auto" or a positive integer, written as a number or a string.
void read_pool_size(MapReader& r, Setting<std::string>& out) {
    int key_line = 0;
    YAML::Node v = r.take("pool_size", &key_line);
    if (!v.IsDefined() || v.IsNull()) return;
    out.line = rt::yaml::line_of(v, key_line);
    if (!v.IsScalar()) {
        r.type_error(v, "pool_size", "\"auto\" or a positive integer");
        out.invalid = true;
        return;
    }
    out.value = v.Scalar();
}

bool parse(const std::string& path, Raw& raw, rt::yaml::ReadContext& ctx) {
    YAML::Node root;
    if (!rt::yaml::load_file(path, root, ctx)) return false;
    raw.file = path;
    MapReader top(root, "", ctx);
    if (!top.ok()) return false;
    YAML::Node n;
    int line = 0;
    if (top.section("server", n, line)) {
        raw.server.line = line;
        MapReader s(n, "server", ctx);
        s.str("id", raw.server.id);
        s.str("listen", raw.server.listen);
        s.str("advertise", raw.server.advertise);
        s.finish();
    }
    if (top.section("redis", n, line)) {
        raw.redis.line = line;
        MapReader s(n, "redis", ctx);
        s.str("addr", raw.redis.addr);
        s.str("password", raw.redis.password, true);
        s.integer("db", raw.redis.db);
        s.finish();
    }
    if (top.section("chrome", n, line)) {
        raw.chrome.line = line;
        MapReader c(n, "chrome", ctx);
        read_pool_size(c, raw.chrome.pool_size);
        c.str("binary", raw.chrome.binary);
        c.str_list("extra_flags", raw.chrome.extra_flags);
        c.integer("processes", raw.chrome.processes);
        YAML::Node s;
        int sline = 0;
        if (c.section("warmup", s, sline)) {
            raw.chrome.warmup.line = sline;
            MapReader w(s, "chrome.warmup", ctx);
            w.str("url", raw.chrome.warmup.url);
            w.duration("timeout", raw.chrome.warmup.timeout);
            w.finish();
        }
        if (c.section("restart", s, sline)) {
            raw.chrome.restart.line = sline;
            MapReader w(s, "chrome.restart", ctx);
            w.integer("after_count", raw.chrome.restart.after_count);
            w.duration("after_time", raw.chrome.restart.after_time);
            w.str("max_rss", raw.chrome.restart.max_rss);
            w.finish();
        }
        if (c.section("render", s, sline)) {
            raw.chrome.render.line = sline;
            MapReader w(s, "chrome.render", ctx);
            w.duration("max_timeout", raw.chrome.render.max_timeout);
            w.integer("queue_size", raw.chrome.render.queue_size);
            w.finish();
        }
        c.finish();
    }
    if (top.section("log", n, line)) {
        raw.log.line = line;
        MapReader l(n, "log", ctx);
        l.str("level", raw.log.level);
        read_log_output(l, "console", raw.log.console, false);
        read_log_output(l, "file", raw.log.file, true);
        l.finish();
    }
    if (top.section("metrics", n, line)) {
        raw.metrics.line = line;
        MapReader m(n, "metrics", ctx);
        m.boolean("enabled", raw.metrics.enabled);
        m.str("listen", raw.metrics.listen);
        m.str("path", raw.metrics.path);
        m.str("namespace", raw.metrics.namespace_);
        m.finish();
    }
    top.finish();
    return true;
}

// ------------------------------------------------------------------ validation

bool valid_level(std::string_view l) {
    return l == "debug" || l == "info" || l == "warn" || l == "error" || l == "dpanic" || l == "panic" ||
           l == "fatal";
}

bool is_wildcard_host(std::string_view h) {
    return h.empty() || h == "0.0.0.0" || h == "::" || h == "[::]";
}

bool starts_with_http(std::string_view u) {
    auto lower_prefix = [&](std::string_view p) {
        if (u.size() <= p.size()) return false;
        for (size_t i = 0; i < p.size(); ++i)
            if (static_cast<char>(std::tolower(static_cast<unsigned char>(u[i]))) != p[i]) return false;
        return true;
    };
    return lower_prefix("http://") || lower_prefix("https://");
}

class Validator {
  public:
    Validator(const Raw& raw, rt::Diagnostics& d, const LoadOptions& opts, ServiceConfig& out)
        : _raw(raw), _d(d), _opts(opts), _out(out) {}

    void run() {
        server();
        redis();
        chrome();
        log();
        metrics();
    }

  private:
    void err(int line, std::string msg) { _d.error(_raw.file, line, std::move(msg)); }
    void warn(int line, std::string msg) { _d.warning(_raw.file, line, std::move(msg)); }
    static std::string ds(Duration d) { return rt::go_duration_string(d); }

    // A required duration that must be positive; returns it (0 when missing/invalid).
    Duration positive(const Setting<Duration>& s, int section_line, const std::string& name, bool required,
                      Duration fallback) {
        if (!s.has()) {
            if (required && !s.invalid) err(section_line, name + " is required");
            return fallback;
        }
        if (s->count() <= 0) {
            err(s.line, name + " must be positive, got " + ds(*s));
            return fallback;
        }
        if (*s < 1ms) {
            warn(s.line, name + " value " + ds(*s) +
                             " is suspiciously small. Did you forget the unit suffix (s, ms, m, h)?");
        }
        return *s;
    }

    void server() {
        const auto& s = _raw.server;
        if (!s.id.has() || s.id->empty()) {
            if (!s.id.invalid) err(s.id.has() ? s.id.line : s.line, "server.id is required");
        } else {
            const std::string& id = *s.id;
            bool ok = id.size() <= 128 && std::none_of(id.begin(), id.end(), [](char c) {
                          return static_cast<unsigned char>(c) < 0x21 || c == 0x7f;
                      });
            if (!ok) {
                err(s.id.line,
                    "invalid server.id '" + id +
                        "': it names the service in Redis and in the X-Edge-Render header, so it must be "
                        "1-128 printable characters without spaces");
            }
            _out.server_id = id;
            _out.engine.server_id = id;
        }
        if (!s.listen.has()) {
            if (!s.listen.invalid) err(s.line, "server.listen is required");
        } else {
            std::string why;
            auto a = rt::parse_listen_address(*s.listen, &why);
            if (!a) {
                err(s.listen.line, "invalid server.listen: " + why);
            } else {
                _out.listen = *a;
                _out.listen_text = *s.listen;
                _out.advertise_host = is_wildcard_host(a->host) ? "0.0.0.0" : a->host;
                _out.advertise_port = a->port;
            }
        }
        if (s.advertise.has()) {
            const std::string& adv = *s.advertise;
            std::string host = adv;
            int port = _out.advertise_port;
            // "host", "host:port", "[v6]", "[v6]:port"
            bool bracketed = !adv.empty() && adv.front() == '[';
            auto colon = adv.rfind(':');
            bool has_port =
                colon != std::string::npos && (bracketed ? adv.find(']') < colon : adv.find(':') == colon);
            if (has_port) {
                std::string why;
                auto a = rt::parse_listen_address(adv, &why);
                if (!a || a->host.empty()) {
                    err(s.advertise.line, "invalid server.advertise '" + adv +
                                              "': " + (a ? std::string("a host is required") : why));
                    host.clear();
                } else {
                    host = a->host;
                    port = a->port;
                }
            } else if (bracketed) {
                host = adv.size() > 2 && adv.back() == ']' ? adv.substr(1, adv.size() - 2) : std::string();
                if (host.empty()) err(s.advertise.line, "invalid server.advertise '" + adv + "'");
            }
            if (adv.empty()) err(s.advertise.line, "server.advertise must not be empty");
            if (!host.empty()) {
                _out.advertise_host = host;
                _out.advertise_port = port;
                if (host == "0.0.0.0" || host == "::") {
                    warn(s.advertise.line,
                         "server.advertise is " + host +
                             ": gateways on other machines cannot reach this service; advertise "
                             "an address they can dial");
                }
            }
        } else if (_out.advertise_host == "0.0.0.0") {
            warn(s.listen.line,
                 "server.listen '" + _out.listen_text +
                     "' has no specific host, so the service registers as 0.0.0.0, which only gateways on "
                     "this machine can reach; set server.advertise to an address gateways can dial");
        }
    }

    void redis() {
        const auto& r = _raw.redis;
        if (!r.addr.has() || r.addr->empty()) {
            if (!r.addr.invalid) err(r.addr.line ? r.addr.line : r.line, "redis.addr is required");
        } else {
            _out.redis.addr = *r.addr;
            if (!r.addr->starts_with("unix:")) {
                std::string why;
                auto a = rt::parse_listen_address(*r.addr, &why);
                if (!a || a->host.empty() || r.addr->find(':') == std::string::npos) {
                    err(r.addr.line,
                        "invalid redis.addr '" + *r.addr + "' (expected host:port or unix:/path)");
                }
            }
        }
        _out.redis.password = r.password.value_or("");
        if (r.db.has()) {
            if (*r.db < 0)
                err(r.db.line, "redis.db must be >= 0, got " + std::to_string(*r.db));
            else
                _out.redis.db = static_cast<int>(*r.db);
        }
    }

    void chrome() {
        const auto& c = _raw.chrome;
        EngineOptions& e = _out.engine;
        // pool_size
        if (!c.pool_size.has()) {
            if (!c.pool_size.invalid)
                err(c.line, "chrome.pool_size is required (\"auto\" or a positive integer)");
        } else if (*c.pool_size == "auto") {
            _out.pool_auto = true;
            uint64_t mem = _opts.total_memory ? _opts.total_memory() : detect_memory_bytes();
            e.pool_size = auto_pool_size(mem);
        } else {
            std::int64_t v = 0;
            const std::string& t = *c.pool_size;
            auto r = std::from_chars(t.data(), t.data() + t.size(), v);
            if (r.ec != std::errc() || r.ptr != t.data() + t.size()) {
                err(c.pool_size.line,
                    "chrome.pool_size must be \"auto\" or a positive integer, got '" + t + "'");
            } else if (v <= 0) {
                err(c.pool_size.line, "chrome.pool_size must be positive, got " + std::to_string(v));
            } else if (v > 1000) {
                err(c.pool_size.line,
                    "chrome.pool_size " + std::to_string(v) + " is too large (at most 1000)");
            } else {
                e.pool_size = static_cast<int>(v);
            }
        }
        // binary (extension)
        if (c.binary.has()) {
            if (c.binary->empty()) {
                err(c.binary.line, "chrome.binary must not be empty");
            } else {
                e.chrome_binary = *c.binary;
                if (::access(c.binary->c_str(), X_OK) != 0) {
                    err(c.binary.line, "chrome.binary '" + *c.binary + "' is not an executable file");
                }
            }
        } else if (::access(e.chrome_binary.c_str(), X_OK) != 0) {
            warn(c.line, "Chromium not found at " + e.chrome_binary +
                             " (install the chromium-headless-shell package or set chrome.binary)");
        }
        if (c.extra_flags.has()) {
            for (const auto& f : *c.extra_flags) {
                if (!f.starts_with("--") || f.size() < 3) {
                    err(c.extra_flags.line, "chrome.extra_flags: '" + f + "' is not a --flag");
                }
            }
            e.extra_flags = *c.extra_flags;
        }
        if (c.processes.has()) {
            if (*c.processes < 0) {
                err(c.processes.line, "chrome.processes must be >= 0, got " + std::to_string(*c.processes));
            } else if (*c.processes > std::max(e.pool_size, 1)) {
                err(c.processes.line, "chrome.processes (" + std::to_string(*c.processes) +
                                          ") cannot exceed chrome.pool_size (" + std::to_string(e.pool_size) +
                                          ")");
            } else {
                e.processes = static_cast<int>(*c.processes);
            }
        }
        // warmup
        const auto& w = c.warmup;
        if (!w.url.has()) {
            if (!w.url.invalid) err(w.line ? w.line : c.line, "chrome.warmup.url is required");
        } else if (!w.url->empty() && !starts_with_http(*w.url)) {
            err(w.url.line,
                "invalid chrome.warmup.url '" + *w.url + "' (must be an http:// or https:// URL)");
        } else {
            e.warmup_url = *w.url;
        }
        Duration wt = positive(w.timeout, w.line ? w.line : c.line, "chrome.warmup.timeout", true, 10s);
        e.warmup_timeout_ms = std::chrono::duration_cast<std::chrono::milliseconds>(wt).count();
        // restart
        const auto& r = c.restart;
        if (r.after_count.has()) {
            if (*r.after_count <= 0) {
                err(r.after_count.line,
                    "chrome.restart.after_count must be positive, got " + std::to_string(*r.after_count));
            } else {
                e.restart_after_count =
                    static_cast<int>(std::min<std::int64_t>(*r.after_count, 1'000'000'000));
            }
        }
        Duration at = positive(r.after_time, r.line, "chrome.restart.after_time", false, 60min);
        e.restart_after_time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(at).count();
        if (r.max_rss.has()) {
            auto b = parse_byte_size(*r.max_rss);
            if (!b) {
                err(r.max_rss.line, "invalid chrome.restart.max_rss '" + *r.max_rss +
                                        "' (a size such as 1500MB or 2GiB; 0 turns it off)");
            } else {
                if (*b > 0 && *b < 64ull * 1024 * 1024) {
                    warn(r.max_rss.line,
                         "chrome.restart.max_rss " + *r.max_rss +
                             " is below 64 MiB: Chromium would restart after nearly every render");
                }
                e.restart_max_rss_bytes = *b;
            }
        }
        // render
        const auto& rd = c.render;
        Duration mt =
            positive(rd.max_timeout, rd.line ? rd.line : c.line, "chrome.render.max_timeout", true, 60s);
        e.max_timeout_ms = std::chrono::duration_cast<std::chrono::milliseconds>(mt).count();
        _out.queue_size = e.pool_size;
        if (rd.queue_size.has()) {
            if (*rd.queue_size < 0) {
                err(rd.queue_size.line,
                    "chrome.render.queue_size must be >= 0, got " + std::to_string(*rd.queue_size));
            } else {
                _out.queue_size = static_cast<int>(std::min<std::int64_t>(*rd.queue_size, 100'000));
            }
        }
    }

    void log() {
        const auto& l = _raw.log;
        auto level = [&](const Setting<std::string>& s, const char* name) {
            if (s.has() && !s->empty() && !valid_level(*s)) {
                err(s.line, std::string("invalid ") + name + " '" + *s +
                                "' (must be debug, info, warn, error, dpanic, panic, or fatal)");
                return false;
            }
            return true;
        };
        if (!l.level.has() || l.level->empty()) {
            if (!l.level.invalid) err(l.level.has() ? l.level.line : l.line, "log.level is required");
        } else if (level(l.level, "log.level")) {
            _out.log.level = *l.level;
        }
        if (level(l.console.level, "log.console.level"))
            _out.log.console.level = l.console.level.value_or("");
        if (level(l.file.level, "log.file.level")) _out.log.file.level = l.file.level.value_or("");

        _out.log.file.enabled = l.file.enabled.value_or(false);
        // The console is on unless explicitly off; with no output at all it is switched back on.
        _out.log.console.enabled = l.console.enabled.value_or(true) || !_out.log.file.enabled;
        if (l.console.format.has() && !l.console.format->empty()) {
            if (*l.console.format != "json" && *l.console.format != "console") {
                err(l.console.format.line,
                    "invalid log.console.format '" + *l.console.format + "' (must be json or console)");
            } else {
                _out.log.console.format = *l.console.format;
            }
        }
        if (_out.log.file.enabled) {
            if (!l.file.path.has() || l.file.path->empty()) {
                err(l.file.line, "log.file.path must be specified when file logging is enabled");
            } else {
                _out.log.file.path = *l.file.path;
            }
        }
        if (l.file.format.has() && !l.file.format->empty()) {
            if (*l.file.format != "json" && *l.file.format != "text") {
                err(l.file.format.line,
                    "invalid log.file.format '" + *l.file.format + "' (must be json or text)");
            } else {
                _out.log.file.format = *l.file.format;
            }
        }
        auto nonneg = [&](const Setting<std::int64_t>& v, const char* name) {
            if (v.has() && *v < 0) {
                err(v.line,
                    std::string("log.file.rotation.") + name + " must be >= 0, got " + std::to_string(*v));
            }
        };
        nonneg(l.file.rotation.max_size, "max_size");
        nonneg(l.file.rotation.max_age, "max_age");
        nonneg(l.file.rotation.max_backups, "max_backups");
    }

    void metrics() {
        const auto& m = _raw.metrics;
        auto& out = _out.metrics;
        out.enabled = m.enabled.value_or(false);
        if (m.listen.has()) {
            std::string why;
            auto a = rt::parse_listen_address(*m.listen, &why);
            if (!a) {
                err(m.listen.line, "invalid metrics.listen: " + why);
            } else {
                out.listen = *a;
                out.listen_text = *m.listen;
                if (out.enabled && !_out.listen_text.empty() && a->port == _out.listen.port) {
                    err(m.listen.line, "metrics.listen port (" + std::to_string(a->port) +
                                           ") must differ from server.listen port (" +
                                           std::to_string(_out.listen.port) +
                                           ") when metrics enabled - metrics always run on separate port");
                }
            }
        } else if (out.enabled && !m.listen.invalid) {
            err(m.line, "metrics.listen is required when metrics enabled");
        }
        if (m.path.has()) {
            if (!m.path->starts_with("/")) {
                err(m.path.line, "invalid metrics.path '" + *m.path + "' (must start with /)");
            } else {
                out.path = *m.path;
            }
        }
        if (m.namespace_.has() && !m.namespace_->empty()) {
            const std::string& ns = *m.namespace_;
            bool ok = !(ns[0] >= '0' && ns[0] <= '9') && std::all_of(ns.begin(), ns.end(), [](char c) {
                return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            });
            if (!ok) {
                err(m.namespace_.line,
                    "invalid metrics.namespace '" + ns + "' (must match [a-zA-Z_][a-zA-Z0-9_]*)");
            } else {
                out.namespace_ = ns;
            }
        }
    }

    const Raw& _raw;
    rt::Diagnostics& _d;
    const LoadOptions& _opts;
    ServiceConfig& _out;
};

uint64_t read_u64_file(const char* path) {
    std::ifstream f(path);
    std::string s;
    if (!(f >> s)) return 0;
    uint64_t v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() ? v : 0;  // "max" (no limit) reads as 0
}

}  // namespace

int auto_pool_size(uint64_t total_memory_bytes) {
    constexpr uint64_t kMiB = 1024ull * 1024;
    if (total_memory_bytes == 0) total_memory_bytes = 8ull * 1024 * kMiB;
    uint64_t reserve = 2ull * 1024 * kMiB;
    uint64_t n = total_memory_bytes > reserve ? (total_memory_bytes - reserve) / (500ull * kMiB) : 0;
    return static_cast<int>(std::clamp<uint64_t>(n, 2, 50));
}

uint64_t detect_memory_bytes() {
    uint64_t total = 0;
    {
        std::ifstream f("/proc/meminfo");
        std::string key;
        uint64_t kb = 0;
        std::string unit;
        while (f >> key >> kb >> unit) {
            if (key == "MemTotal:") {
                total = kb * 1024;
                break;
            }
        }
    }
    // A container's limit is what the pool really has (cgroup v2, then v1; absurd v1 "no limit" values
    // are larger than the machine and ignored by min()).
    for (const char* p : {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
        uint64_t lim = read_u64_file(p);
        if (lim > 0 && (total == 0 || lim < total)) total = lim;
    }
    return total;
}

std::optional<uint64_t> parse_byte_size(std::string_view text) {
    std::string_view s = text;
    while (!s.empty() && s.back() == ' ')
        s.remove_suffix(1);
    size_t i = 0;
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
        ++i;
    if (i == 0) return std::nullopt;
    double v = 0;
    auto r = std::from_chars(s.data(), s.data() + i,
                             v);  // NOLINT(bugprone-suspicious-stringview-data-usage): bounded by i
    if (r.ec != std::errc() || r.ptr != s.data() + i || v < 0) return std::nullopt;
    std::string unit(s.substr(i));
    while (!unit.empty() && unit.front() == ' ')
        unit.erase(0, 1);
    for (auto& ch : unit)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    double mult = 0;
    if (unit.empty() || unit == "b")
        mult = 1;
    else if (unit == "k" || unit == "kb")
        mult = 1e3;
    else if (unit == "m" || unit == "mb")
        mult = 1e6;
    else if (unit == "g" || unit == "gb")
        mult = 1e9;
    else if (unit == "kib")
        mult = 1024.0;
    else if (unit == "kMiB")
        mult = 1024.0 * 1024;
    else if (unit == "gib")
        mult = 1024.0 * 1024 * 1024;
    else
        return std::nullopt;
    if (unit.empty() && s.substr(0, i).find('.') != std::string_view::npos) return std::nullopt;
    double bytes = v * mult;
    if (bytes > 1e18) return std::nullopt;
    return static_cast<uint64_t>(bytes);
}

LoadResult load_service_config(const std::string& path, const LoadOptions& options) {
    LoadResult result;
    rt::yaml::EnvLookup env =
        options.env ? rt::yaml::EnvLookup(options.env) : rt::yaml::EnvLookup(rt::yaml::process_env);
    rt::yaml::ReadContext ctx{path, &result.diagnostics, &env};
    Raw raw;
    if (!parse(path, raw, ctx)) return result;
    auto cfg = std::make_unique<ServiceConfig>();
    cfg->path = path;
    Validator(raw, result.diagnostics, options, *cfg).run();
    if (result.diagnostics.has_errors()) return result;
    result.config = std::move(cfg);
    return result;
}

}  // namespace ec::rs
