// runtime/json_writer.h: structure, Go encoding/json escaping, number formatting.
#include "runtime/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace ec::rt {
namespace {

std::string str(std::string_view s) {
    std::string out;
    json_append_string(out, s);
    return out;
}

std::string num(double d) {
    std::string out;
    json_append_double(out, d);
    return out;
}

TEST(JsonWriter, NestingAndCommas) {
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    w.key("a").value(1);
    w.key("b").begin_array().value("x").value(true).null().begin_object().end_object().end_array();
    w.key("c").begin_object().key("d").value(-5L).end_object();
    w.key("e").raw(R"({"k":[1,2]})");
    w.key("f").raw("");
    w.key("g").value(static_cast<unsigned long long>(18446744073709551615ull));
    w.end_object();
    EXPECT_EQ(
        out,
        R"({"a":1,"b":["x",true,null,{}],"c":{"d":-5},"e":{"k":[1,2]},"f":null,"g":18446744073709551615})");
    EXPECT_EQ(w.depth(), 0);
}

TEST(JsonWriter, TopLevelArray) {
    std::string out;
    JsonWriter w(out);
    w.begin_array().value(1).value(2).end_array();
    EXPECT_EQ(out, "[1,2]");
}

TEST(JsonWriter, EscapesLikeGo) {
    EXPECT_EQ(str("plain"), "\"plain\"");
    EXPECT_EQ(str("q\"b\\"), R"("q\"b\\")");
    EXPECT_EQ(str("\n\r\t\b\f"), R"("\n\r\t\b\f")");
    EXPECT_EQ(str(std::string_view("\x01\x1f\x00", 3)), R"("\u0001\u001f\u0000")");
    // HTML-significant characters, as Go escapes them (ZSET members must match byte for byte).
    EXPECT_EQ(str("https://x/?a=2&z=<1>"), R"("https://x/?a=2\u0026z=\u003c1\u003e")");
    EXPECT_EQ(str("\x7f"), "\"\x7f\"");  // DEL is not escaped by Go
}

TEST(JsonWriter, Utf8KeptInvalidReplaced) {
    EXPECT_EQ(str("caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80"),
              "\"caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80\"");
    EXPECT_EQ(str("\xE2\x80\xA8|\xE2\x80\xA9"), R"("\u2028|\u2029")");
    EXPECT_EQ(str("a\xFFz"), R"("a\ufffdz")");                            // stray byte
    EXPECT_EQ(str("\xC3"), R"("\ufffd")");                                // truncated sequence
    EXPECT_EQ(str("\xC0\xAF"), R"("\ufffd\ufffd")");                      // overlong '/'
    EXPECT_EQ(str("\xED\xA0\x80"), R"("\ufffd\ufffd\ufffd")");            // surrogate half
    EXPECT_EQ(str("\xF4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // above U+10FFFF
}

TEST(JsonWriter, NumbersLikeGo) {
    EXPECT_EQ(num(0), "0");
    EXPECT_EQ(num(1.5), "1.5");
    EXPECT_EQ(num(0.1), "0.1");
    EXPECT_EQ(num(100), "100");
    EXPECT_EQ(num(-2.25), "-2.25");
    EXPECT_EQ(num(1e20), "100000000000000000000");
    EXPECT_EQ(num(1e21), "1e+21");
    EXPECT_EQ(num(1e-7), "1e-7");
    EXPECT_EQ(num(0.000001), "0.000001");
    EXPECT_EQ(num(std::nan("")), "null");
    EXPECT_EQ(num(std::numeric_limits<double>::infinity()), "null");
}

}  // namespace
}  // namespace ec::rt
