// runtime/log.h: line formats, levels, sinks, rate limiting, raw JSON lines.
#include "runtime/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace ec::rt::log {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

struct TempFile {
    std::string path;
    TempFile() {
        char tmpl[] = "/tmp/ec_log_testXXXXXX";
        int fd = ::mkstemp(tmpl);
        ::close(fd);
        path = tmpl;
    }
    ~TempFile() { std::remove(path.c_str()); }
};

TEST(Log, JsonLineLayout) {
    std::string out;
    Field f[] = {
        {"request_id", "r-1"}, {"n", 42}, {"ok", true}, {"ratio", 0.5}, {"big", 18446744073709551615ull}};
    Logger::format_line(out, Format::json, Level::warn, "Render \"done\"\n", f, 5, 0, 1'700'000'000'123);
    EXPECT_EQ(
        out,
        R"({"level":"warn","ts":"2023-11-14T22:13:20.123Z","msg":"Render \"done\"\n","request_id":"r-1",)"
        R"("n":42,"ok":true,"ratio":0.5,"big":18446744073709551615})"
        "\n");
}

TEST(Log, TextLineLayout) {
    std::string out;
    Field f[] = {{"k", "v"}};
    Logger::format_line(out, Format::text, Level::info, "two\nlines", f, 1, 3, 0);
    EXPECT_EQ(out, "1970-01-01T00:00:00.000Z\tINFO\ttwo lines\t{\"k\":\"v\",\"suppressed\":3}\n");
    out.clear();
    Logger::format_line(out, Format::text, Level::error, "bare", nullptr, 0, 0, 0);
    EXPECT_EQ(out, "1970-01-01T00:00:00.000Z\tERROR\tbare\n");
}

TEST(Log, ParseLevel) {
    EXPECT_EQ(parse_level("debug"), Level::debug);
    EXPECT_EQ(parse_level("warn"), Level::warn);
    EXPECT_EQ(parse_level("fatal"), Level::error);
    EXPECT_EQ(parse_level("dpanic"), Level::error);
    EXPECT_FALSE(parse_level("verbose"));
    EXPECT_FALSE(parse_level("INFO"));
}

TEST(Log, FileSinkLevelsAndReopen) {
    TempFile tf;
    Logger lg;
    lg.clear_sinks();
    EXPECT_FALSE(lg.enabled(Level::error));  // no sink: nothing is enabled
    ASSERT_EQ(lg.add_file(tf.path, Format::json, Level::warn), "");
    EXPECT_FALSE(lg.enabled(Level::info));
    lg.info("dropped");
    lg.warn("kept", {{"x", 1}});
    std::string s = read_file(tf.path);
    EXPECT_EQ(s.find("dropped"), std::string::npos);
    EXPECT_NE(s.find(R"("msg":"kept","x":1})"), std::string::npos);
    // Rotation: the file is moved away; reopen() starts a fresh one at the path.
    std::string rotated = tf.path + ".1";
    ASSERT_EQ(std::rename(tf.path.c_str(), rotated.c_str()), 0);
    EXPECT_EQ(lg.reopen(), "");
    lg.error("after");
    EXPECT_NE(read_file(tf.path).find("after"), std::string::npos);
    EXPECT_EQ(read_file(rotated).find("after"), std::string::npos);
    std::remove(rotated.c_str());
    lg.set_level(Level::debug);
    EXPECT_TRUE(lg.enabled(Level::debug));
}

TEST(Log, AddFileReportsTheReason) {
    Logger lg;
    std::string why = lg.add_file("/nonexistent-dir/x.log", Format::text, Level::info);
    EXPECT_NE(why.find("/nonexistent-dir/x.log"), std::string::npos);
}

TEST(Log, LimitedRepeatsCountSuppressed) {
    TempFile tf;
    Logger lg;
    lg.clear_sinks();
    ASSERT_EQ(lg.add_file(tf.path, Format::json, Level::info), "");
    EXPECT_TRUE(lg.limited(Level::warn, "k", std::chrono::milliseconds(50), "redis down"));
    EXPECT_FALSE(lg.limited(Level::warn, "k", std::chrono::milliseconds(50), "redis down"));
    EXPECT_FALSE(lg.limited(Level::warn, "k", std::chrono::milliseconds(50), "redis down"));
    EXPECT_TRUE(lg.limited(Level::warn, "other", std::chrono::milliseconds(50), "other key"));
    ::usleep(60'000);
    EXPECT_TRUE(lg.limited(Level::warn, "k", std::chrono::milliseconds(50), "redis down"));
    std::string s = read_file(tf.path);
    EXPECT_NE(s.find(R"("suppressed":2)"), std::string::npos) << s;
    EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 3);
}

TEST(Log, RawJsonLines) {
    TempFile tf, tt;
    Logger lg;
    lg.clear_sinks();
    ASSERT_EQ(lg.add_file(tf.path, Format::json, Level::info), "");
    ASSERT_EQ(lg.add_file(tt.path, Format::text, Level::info), "");
    lg.raw(Level::warn, R"({"level":"warn","msg":"engine"})");
    lg.raw(Level::info, "{}");
    lg.raw(Level::debug, R"({"level":"debug"})");  // below the sinks' level
    lg.raw(Level::info, "not json");               // ignored
    std::string j = read_file(tf.path);
    EXPECT_EQ(j.substr(0, 7), R"({"ts":")");
    EXPECT_NE(j.find(R"(Z","level":"warn","msg":"engine"})"
                     "\n"),
              std::string::npos)
        << j;
    EXPECT_NE(j.find(R"(Z"})"
                     "\n"),
              std::string::npos)
        << j;
    EXPECT_EQ(std::count(j.begin(), j.end(), '\n'), 2);
    std::string t = read_file(tt.path);
    EXPECT_NE(t.find("\tWARN\t{\"level\":\"warn\",\"msg\":\"engine\"}\n"), std::string::npos) << t;
}

}  // namespace
}  // namespace ec::rt::log
