// runtime/metrics.h and metrics_handler.h: registration rules and the text exposition format.
#include "runtime/metrics.h"

#include <gtest/gtest.h>

#include "runtime/metrics_handler.h"

namespace ec::rt::metrics {
namespace {

TEST(Metrics, ExpositionFormat) {
    Registry reg;
    auto& c = reg.counter("rs_renders_total", "Renders by outcome.", {"status"});
    c.with({"success"}).inc();
    c.with({"success"}).inc(2);
    c.with({"failed"}).inc();
    auto& g = reg.gauge("rs_queue_depth", "Waiting.");
    g.get().set(3);
    reg.gauge_fn("rs_chrome_available", "Free slots.", [] { return 4.0; });
    std::string text = reg.expose();
    EXPECT_EQ(text,
              "# HELP rs_renders_total Renders by outcome.\n"
              "# TYPE rs_renders_total counter\n"
              "rs_renders_total{status=\"failed\"} 1\n"
              "rs_renders_total{status=\"success\"} 3\n"
              "# HELP rs_queue_depth Waiting.\n"
              "# TYPE rs_queue_depth gauge\n"
              "rs_queue_depth 3\n"
              "# HELP rs_chrome_available Free slots.\n"
              "# TYPE rs_chrome_available gauge\n"
              "rs_chrome_available 4\n");
}

TEST(Metrics, HistogramIsCumulativeWithInf) {
    Registry reg("edgecomet");
    auto& h = reg.histogram("rs_render_duration_seconds", "Render time.", exponential_buckets(0.1, 2, 3));
    h.get().observe(0.05);
    h.get().observe(0.1);  // on the bound: counted in le="0.1"
    h.get().observe(0.3);
    h.get().observe(100);
    std::string text = reg.expose();
    EXPECT_NE(text.find("# TYPE edgecomet_rs_render_duration_seconds histogram\n"), std::string::npos);
    EXPECT_NE(text.find("edgecomet_rs_render_duration_seconds_bucket{le=\"0.1\"} 2\n"
                        "edgecomet_rs_render_duration_seconds_bucket{le=\"0.2\"} 2\n"
                        "edgecomet_rs_render_duration_seconds_bucket{le=\"0.4\"} 3\n"
                        "edgecomet_rs_render_duration_seconds_bucket{le=\"+Inf\"} 4\n"
                        "edgecomet_rs_render_duration_seconds_sum "),
              std::string::npos)
        << text;
    auto sum = text.find("_sum ");
    EXPECT_NEAR(std::stod(text.substr(sum + 5)), 100.45, 1e-9);
    EXPECT_NE(text.find("\nedgecomet_rs_render_duration_seconds_count 4\n"), std::string::npos);
}

TEST(Metrics, BucketsOfTheReference) {
    auto b = exponential_buckets(0.1, 2, 10);
    ASSERT_EQ(b.size(), 10u);
    EXPECT_DOUBLE_EQ(b.front(), 0.1);
    EXPECT_DOUBLE_EQ(b.back(), 51.2);
}

TEST(Metrics, LabelValuesEscapedAndLabelledHistograms) {
    Registry reg;
    auto& c = reg.counter("x_total", "Help with \\ and\nnewline.", {"a", "b"});
    c.with({"q\"uote", "back\\slash\nnl"}).inc();
    auto& h = reg.histogram("lat_seconds", "L.", {1.0}, {"ep"});
    h.with({"render"}).observe(2);
    std::string text = reg.expose();
    EXPECT_NE(text.find("# HELP x_total Help with \\\\ and\\nnewline.\n"), std::string::npos) << text;
    EXPECT_NE(text.find("x_total{a=\"q\\\"uote\",b=\"back\\\\slash\\nnl\"} 1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("lat_seconds_bucket{ep=\"render\",le=\"1\"} 0\n"), std::string::npos) << text;
    EXPECT_NE(text.find("lat_seconds_bucket{ep=\"render\",le=\"+Inf\"} 1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("lat_seconds_count{ep=\"render\"} 1\n"), std::string::npos) << text;
}

TEST(Metrics, RegistrationRules) {
    Registry reg;
    reg.counter("ok_total", "h");
    EXPECT_THROW(reg.counter("ok_total", "dup"), std::invalid_argument);
    EXPECT_THROW(reg.counter("1bad", "h"), std::invalid_argument);
    EXPECT_THROW(reg.counter("bad-name", "h"), std::invalid_argument);
    EXPECT_THROW(reg.counter("c_total", "h", {"le"}), std::invalid_argument);
    EXPECT_THROW(reg.histogram("h", "h", {2.0, 1.0}), std::invalid_argument);
    auto& f = reg.counter("l_total", "h", {"a"});
    EXPECT_THROW(f.with({"x", "y"}), std::invalid_argument);
    // Children are stable: the reference stays valid as more are added.
    Counter& first = f.with({"1"});
    for (int i = 0; i < 100; ++i)
        f.with({std::to_string(i + 2)});
    first.inc();
    EXPECT_EQ(f.with({"1"}).value(), 1);
}

TEST(Metrics, LabelFreeMetricsStartAtZero) {
    Registry reg;
    reg.counter("rs_queue_rejections_total", "Refused.");
    EXPECT_NE(reg.expose().find("\nrs_queue_rejections_total 0\n"), std::string::npos);
}

TEST(Metrics, ProcessMetrics) {
    Registry reg("ns");
    reg.add_process_metrics();
    std::string text = reg.expose();
    for (const char* name :
         {"process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_open_fds ",
          "process_max_fds ", "process_start_time_seconds ", "process_virtual_memory_bytes "}) {
        EXPECT_NE(text.find(std::string("\n") + name), std::string::npos) << name;
    }
    EXPECT_EQ(text.find("ns_process"), std::string::npos);  // never namespaced
    auto rss = text.find("\nprocess_resident_memory_bytes ");
    EXPECT_GT(std::stod(text.substr(rss + 31)), 1024.0 * 1024);
}

}  // namespace
}  // namespace ec::rt::metrics
