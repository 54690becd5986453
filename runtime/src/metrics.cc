#include "runtime/metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <variant>

namespace ec::rt::metrics {

Histogram::Histogram(std::vector<double> bounds)
    : _bounds(std::move(bounds)), _counts(_bounds.size() + 1, 0) {
    for (size_t i = 1; i < _bounds.size(); ++i)
        if (!(_bounds[i] > _bounds[i - 1]))
            throw std::invalid_argument("metrics: histogram bounds must increase");
}

void Histogram::observe(double v) noexcept {
    size_t i = static_cast<size_t>(std::lower_bound(_bounds.begin(), _bounds.end(), v) - _bounds.begin());
    ++_counts[i];
    ++_count;
    _sum += v;
}

std::vector<double> exponential_buckets(double start, double factor, int count) {
    std::vector<double> out;
    out.reserve(static_cast<size_t>(std::max(count, 0)));
    double v = start;
    for (int i = 0; i < count; ++i) {
        out.push_back(v);
        v *= factor;
    }
    return out;
}

namespace {

bool valid_name(std::string_view n) {
    if (n.empty()) return false;
    for (size_t i = 0; i < n.size(); ++i) {
        char c = n[i];
        bool ok = c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (i > 0 && c >= '0' && c <= '9');
        if (!ok) return false;
    }
    return true;
}

void append_number(std::string& out, double v) {
    if (std::isnan(v)) {
        out += "NaN";
    } else if (std::isinf(v)) {
        out += v > 0 ? "+Inf" : "-Inf";
    } else {
        char buf[64];
        auto r = std::to_chars(buf, buf + sizeof buf, v);
        out.append(buf, static_cast<size_t>(r.ptr - buf));
    }
}

void append_u64(std::string& out, uint64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, static_cast<size_t>(r.ptr - buf));
}

void append_escaped(std::string& out, std::string_view s, bool quote) {
    for (char c : s) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (quote && c == '"')
            out += "\\\"";
        else
            out += c;
    }
}

// name{a="x",b="y"[,extra_name="extra_value"]}
void append_series(std::string& out, const std::string& name, std::string_view suffix,
                   const std::vector<std::string>& labels, const std::vector<std::string>& values,
                   std::string_view extra_name = {}, std::string_view extra_value = {}) {
    out += name;
    out += suffix;
    if (labels.empty() && extra_name.empty()) return;
    out += '{';
    bool first = true;
    for (size_t i = 0; i < labels.size(); ++i) {
        if (!first) out += ',';
        first = false;
        out += labels[i];
        out += "=\"";
        append_escaped(out, values[i], true);
        out += '"';
    }
    if (!extra_name.empty()) {
        if (!first) out += ',';
        out += extra_name;
        out += "=\"";
        out += extra_value;
        out += '"';
    }
    out += '}';
}

const char* type_name(Type t) {
    switch (t) {
        case Type::counter:
            return "counter";
        case Type::gauge:
            return "gauge";
        case Type::histogram:
            return "histogram";
    }
    return "untyped";
}

// /proc/self/stat fields after the command name: state is field 3; utime 14, stime 15, starttime 22,
// vsize 23, rss 24 (pages).
struct ProcStat {
    double utime_ticks = 0, stime_ticks = 0, start_ticks = 0, vsize = 0, rss_pages = 0;
    bool ok = false;
};

ProcStat read_proc_stat() {
    ProcStat st;
    std::ifstream f("/proc/self/stat");
    std::string line;
    if (!std::getline(f, line)) return st;
    auto close = line.rfind(')');
    if (close == std::string::npos) return st;
    std::istringstream in(line.substr(close + 2));
    std::vector<std::string> fld;
    std::string tok;
    while (in >> tok)
        fld.push_back(tok);
    // fld[0] is field 3 (state).
    auto at = [&](int field) { return std::strtod(fld[static_cast<size_t>(field - 3)].c_str(), nullptr); };
    if (fld.size() < 22) return st;
    st.utime_ticks = at(14);
    st.stime_ticks = at(15);
    st.start_ticks = at(22);
    st.vsize = at(23);
    st.rss_pages = at(24);
    st.ok = true;
    return st;
}

double boot_time_seconds() {
    std::ifstream f("/proc/stat");
    std::string key;
    double v = 0;
    while (f >> key) {
        if (key == "btime") {
            f >> v;
            return v;
        }
        f.ignore(1 << 20, '\n');
    }
    return 0;
}

}  // namespace

struct Registry::Entry {
    std::string name;  // full name
    std::string help;
    Type type = Type::counter;
    std::variant<std::monostate, Family<Counter>, Family<Gauge>, Family<Histogram>, std::function<double()>>
        m;
};

Registry::Registry(std::string name_space) : _ns(std::move(name_space)) {}
Registry::~Registry() = default;

std::string Registry::full_name(std::string_view name) const {
    if (_ns.empty()) return std::string(name);
    return _ns + "_" + std::string(name);
}

Registry::Entry& Registry::add(std::string name, std::string_view help, Type type, bool namespaced) {
    if (namespaced) name = full_name(name);
    if (!valid_name(name)) throw std::invalid_argument("metrics: invalid metric name '" + name + "'");
    for (const auto& e : _entries)
        if (e->name == name) throw std::invalid_argument("metrics: duplicate metric '" + name + "'");
    auto e = std::make_unique<Entry>();
    e->name = std::move(name);
    e->help = std::string(help);
    e->type = type;
    _entries.push_back(std::move(e));
    return *_entries.back();
}

namespace {
void check_labels(const std::vector<std::string>& labels) {
    for (const auto& l : labels)
        if (!valid_name(l) || l.find(':') != std::string::npos || l == "le")
            throw std::invalid_argument("metrics: invalid label name '" + l + "'");
}
}  // namespace

Family<Counter>& Registry::counter(std::string_view name, std::string_view help,
                                   std::vector<std::string> labels) {
    check_labels(labels);
    Entry& e = add(std::string(name), help, Type::counter, true);
    e.m.emplace<Family<Counter>>(std::move(labels), [] { return std::make_unique<Counter>(); });
    auto& fam = std::get<Family<Counter>>(e.m);
    if (fam.label_names().empty()) fam.get();  // a label-less metric is exposed (as 0) from the start
    return fam;
}

Family<Gauge>& Registry::gauge(std::string_view name, std::string_view help,
                               std::vector<std::string> labels) {
    check_labels(labels);
    Entry& e = add(std::string(name), help, Type::gauge, true);
    e.m.emplace<Family<Gauge>>(std::move(labels), [] { return std::make_unique<Gauge>(); });
    auto& fam = std::get<Family<Gauge>>(e.m);
    if (fam.label_names().empty()) fam.get();  // a label-less metric is exposed (as 0) from the start
    return fam;
}

Family<Histogram>& Registry::histogram(std::string_view name, std::string_view help,
                                       std::vector<double> bounds, std::vector<std::string> labels) {
    check_labels(labels);
    Histogram probe(bounds);  // validates the bounds now rather than at first use
    Entry& e = add(std::string(name), help, Type::histogram, true);
    e.m.emplace<Family<Histogram>>(std::move(labels),
                                   [b = std::move(bounds)] { return std::make_unique<Histogram>(b); });
    auto& fam = std::get<Family<Histogram>>(e.m);
    if (fam.label_names().empty()) fam.get();  // a label-less metric is exposed (as 0) from the start
    return fam;
}

void Registry::gauge_fn(std::string_view name, std::string_view help, std::function<double()> fn) {
    add(std::string(name), help, Type::gauge, true).m = std::move(fn);
}

void Registry::counter_fn(std::string_view name, std::string_view help, std::function<double()> fn) {
    add(std::string(name), help, Type::counter, true).m = std::move(fn);
}

void Registry::add_process_metrics() {
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
    add("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", Type::counter, false)
        .m = std::function<double()>([ticks] {
        ProcStat s = read_proc_stat();
        return s.ok ? (s.utime_ticks + s.stime_ticks) / ticks : 0.0;
    });
    add("process_resident_memory_bytes", "Resident memory size in bytes.", Type::gauge, false).m =
        std::function<double()>([page] {
            ProcStat s = read_proc_stat();
            return s.ok ? s.rss_pages * page : 0.0;
        });
    add("process_virtual_memory_bytes", "Virtual memory size in bytes.", Type::gauge, false).m =
        std::function<double()>([] {
            ProcStat s = read_proc_stat();
            return s.ok ? s.vsize : 0.0;
        });
    add("process_open_fds", "Number of open file descriptors.", Type::gauge, false).m =
        std::function<double()>([] {
            double n = 0;
            if (DIR* d = ::opendir("/proc/self/fd")) {
                while (dirent* e = ::readdir(d))  // NOLINT(concurrency-mt-unsafe): a DIR of our own
                    if (e->d_name[0] != '.') ++n;
                ::closedir(d);
                n -= 1;  // the descriptor of the listing itself
            }
            return n;
        });
    add("process_max_fds", "Maximum number of open file descriptors.", Type::gauge, false).m =
        std::function<double()>([] {
            rlimit rl{};
            ::getrlimit(RLIMIT_NOFILE, &rl);
            return static_cast<double>(rl.rlim_cur);
        });
    const double start = [&] {
        ProcStat s = read_proc_stat();
        return s.ok ? boot_time_seconds() + s.start_ticks / ticks : 0.0;
    }();
    add("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", Type::gauge,
        false)
        .m = std::function<double()>([start] { return start; });
}

std::string Registry::expose() const {
    std::string out;
    expose(out);
    return out;
}

void Registry::expose(std::string& out) const {
    for (const auto& ep : _entries) {
        const Entry& e = *ep;
        out += "# HELP ";
        out += e.name;
        out += ' ';
        append_escaped(out, e.help, false);
        out += "\n# TYPE ";
        out += e.name;
        out += ' ';
        out += type_name(e.type);
        out += '\n';
        if (auto* fn = std::get_if<std::function<double()>>(&e.m)) {
            out += e.name;
            out += ' ';
            append_number(out, (*fn)());
            out += '\n';
        } else if (auto* c = std::get_if<Family<Counter>>(&e.m)) {
            for (const auto& [values, m] : c->children()) {
                append_series(out, e.name, {}, c->label_names(), values);
                out += ' ';
                append_number(out, m->value());
                out += '\n';
            }
        } else if (auto* g = std::get_if<Family<Gauge>>(&e.m)) {
            for (const auto& [values, m] : g->children()) {
                append_series(out, e.name, {}, g->label_names(), values);
                out += ' ';
                append_number(out, m->value());
                out += '\n';
            }
        } else if (auto* h = std::get_if<Family<Histogram>>(&e.m)) {
            for (const auto& [values, m] : h->children()) {
                uint64_t cum = 0;
                std::string le;
                for (size_t i = 0; i <= m->bounds().size(); ++i) {
                    cum += m->counts()[i];
                    le.clear();
                    if (i < m->bounds().size())
                        append_number(le, m->bounds()[i]);
                    else
                        le = "+Inf";
                    append_series(out, e.name, "_bucket", h->label_names(), values, "le", le);
                    out += ' ';
                    append_u64(out, cum);
                    out += '\n';
                }
                append_series(out, e.name, "_sum", h->label_names(), values);
                out += ' ';
                append_number(out, m->sum());
                out += '\n';
                append_series(out, e.name, "_count", h->label_names(), values);
                out += ' ';
                append_u64(out, m->count());
                out += '\n';
            }
        }
    }
}

}  // namespace ec::rt::metrics
