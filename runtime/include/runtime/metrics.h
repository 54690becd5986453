// Prometheus metrics: counters, gauges and histograms with labels, exposed in the text format (0.0.4).
//
//   metrics::Registry reg("edgecomet");                  // namespace: names become edgecomet_<name>
//   auto& renders = reg.counter("rs_renders_total", "Renders by outcome.", {"status"});
//   renders.with({"success"}).inc();                      // cache the reference on hot paths
//   auto& dur = reg.histogram("rs_render_duration_seconds", "Render time.",
//                             metrics::exponential_buckets(0.1, 2, 10));
//   dur.get().observe(0.42);
//   reg.gauge_fn("rs_chrome_available", "Free render slots.", [&] { return double(engine.available()); });
//   std::string text = reg.expose();
//
// Names and label names must match [a-zA-Z_:][a-zA-Z0-9_:]* (checked at registration: std::invalid_argument).
// Label values are escaped on exposure. Families are exposed in registration order, children sorted by
// label values. References returned by with()/get() stay valid for the registry's lifetime.
//
// Core affinity: a Registry and its metrics belong to one thread (no atomics on the hot path); a multi-core
// service keeps one per core and sums them at scrape. Callback metrics run on the scraping thread.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ec::rt::metrics {

class Counter {
  public:
    void inc(double v = 1) noexcept { _v += v; }  // v >= 0
    double value() const noexcept { return _v; }

  private:
    double _v = 0;
};

class Gauge {
  public:
    void set(double v) noexcept { _v = v; }
    void inc(double v = 1) noexcept { _v += v; }
    void dec(double v = 1) noexcept { _v -= v; }
    double value() const noexcept { return _v; }

  private:
    double _v = 0;
};

class Histogram {
  public:
    // `bounds`: strictly increasing upper bounds; +Inf is implicit.
    explicit Histogram(std::vector<double> bounds);
    void observe(double v) noexcept;
    const std::vector<double>& bounds() const noexcept { return _bounds; }
    // Per-bucket (non-cumulative) counts; the last one is the +Inf bucket.
    const std::vector<uint64_t>& counts() const noexcept { return _counts; }
    uint64_t count() const noexcept { return _count; }
    double sum() const noexcept { return _sum; }

  private:
    std::vector<double> _bounds;
    std::vector<uint64_t> _counts;
    uint64_t _count = 0;
    double _sum = 0;
};

// start, start*factor, ... (`count` bounds).
std::vector<double> exponential_buckets(double start, double factor, int count);

enum class Type : uint8_t { counter, gauge, histogram };

// A metric name with its children, one per distinct set of label values.
template <class M>
class Family {
  public:
    Family(std::vector<std::string> label_names, std::function<std::unique_ptr<M>()> make)
        : _labels(std::move(label_names)), _make(std::move(make)) {}

    // The child for these label values (created on first use). The number of values must equal the number
    // of label names (std::invalid_argument otherwise).
    M& with(std::initializer_list<std::string_view> values);
    M& with(const std::vector<std::string>& values);
    // The child of a family without labels.
    M& get() { return with({}); }

    const std::vector<std::string>& label_names() const noexcept { return _labels; }
    const std::map<std::vector<std::string>, std::unique_ptr<M>>& children() const noexcept {
        return _children;
    }

  private:
    std::vector<std::string> _labels;
    std::function<std::unique_ptr<M>()> _make;
    std::map<std::vector<std::string>, std::unique_ptr<M>> _children;
};

class Registry {
  public:
    // `name_space` ("" = none) prefixes every name registered through counter/gauge/histogram/gauge_fn.
    explicit Registry(std::string name_space = {});
    ~Registry();
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    Family<Counter>& counter(std::string_view name, std::string_view help,
                             std::vector<std::string> labels = {});
    Family<Gauge>& gauge(std::string_view name, std::string_view help, std::vector<std::string> labels = {});
    Family<Histogram>& histogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                                 std::vector<std::string> labels = {});
    // A label-less gauge (or counter) computed when scraped.
    void gauge_fn(std::string_view name, std::string_view help, std::function<double()> fn);
    void counter_fn(std::string_view name, std::string_view help, std::function<double()> fn);

    // The standard process_* metrics (CPU seconds, resident and virtual memory, open and max fds, start
    // time), read from /proc at scrape, never namespaced — as Prometheus client libraries export them.
    void add_process_metrics();

    // The full name a metric registered as `name` gets ("edgecomet_rs_x").
    std::string full_name(std::string_view name) const;

    // Text exposition format 0.0.4.
    std::string expose() const;
    void expose(std::string& out) const;

  private:
    struct Entry;
    Entry& add(std::string name, std::string_view help, Type type, bool namespaced);

    std::string _ns;
    std::vector<std::unique_ptr<Entry>> _entries;
};

// Content-Type of expose()'s output.
inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

template <class M>
M& Family<M>::with(std::initializer_list<std::string_view> values) {
    std::vector<std::string> key;
    key.reserve(values.size());
    for (std::string_view v : values)
        key.emplace_back(v);
    return with(key);
}

template <class M>
M& Family<M>::with(const std::vector<std::string>& values) {
    if (values.size() != _labels.size()) throw std::invalid_argument("metrics: wrong number of label values");
    auto it = _children.find(values);
    if (it != _children.end()) return *it->second;
    return *_children.emplace(values, _make()).first->second;
}

}  // namespace ec::rt::metrics
