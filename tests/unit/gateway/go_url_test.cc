#include "gateway/go_url.h"

#include <gtest/gtest.h>

namespace ec::gw::gourl {
namespace {

std::string esc(std::string_view s, Mode m) {
    std::string out;
    escape_append(s, m, out);
    return out;
}

TEST(GoUrl, QueryEscape) {
    EXPECT_EQ(esc("a b/c?d=e&f", Mode::query_component), "a+b%2Fc%3Fd%3De%26f");
    EXPECT_EQ(esc("-_.~AZaz09", Mode::query_component), "-_.~AZaz09");
    EXPECT_EQ(esc("\xCE\xB1", Mode::query_component), "%CE%B1");
}

TEST(GoUrl, PathEscapeKeepsReservedExceptQuestionMark) {
    EXPECT_EQ(esc("/a b/c?d;e,f:g@h&i=j+k$", Mode::path), "/a%20b/c%3Fd;e,f:g@h&i=j+k$");
}

TEST(GoUrl, Unescape) {
    std::string out;
    EXPECT_TRUE(unescape_append("a+b%41", Mode::query_component, out));
    EXPECT_EQ(out, "a bA");
    out.clear();
    EXPECT_TRUE(unescape_append("a+b", Mode::path, out));
    EXPECT_EQ(out, "a+b");
    out.clear();
    EXPECT_FALSE(unescape_append("%4", Mode::path, out));
    out.clear();
    EXPECT_FALSE(unescape_append("%g1", Mode::path, out));
    out.clear();
    EXPECT_FALSE(unescape_append("a b", Mode::host, out));  // space not allowed in a host
    EXPECT_FALSE(unescape_append("%41", Mode::host, out));  // only non-ASCII may be escaped in a host
    out.clear();
    EXPECT_TRUE(unescape_append("%C3%A9", Mode::host, out));
}

TEST(GoUrl, ParseComponents) {
    UrlBuffers b;
    Url u;
    ASSERT_EQ(parse("HTTP://u:p@Ex.com:8080/a%2Fb?x=1#frag", b, u), "");
    EXPECT_EQ(u.scheme, "http");
    EXPECT_TRUE(u.has_user);
    EXPECT_EQ(u.user, "u");
    EXPECT_EQ(u.password, "p");
    EXPECT_EQ(u.host, "Ex.com:8080");
    EXPECT_EQ(u.hostname(), "Ex.com");
    EXPECT_EQ(u.port(), "8080");
    EXPECT_EQ(u.path, "/a/b");
    EXPECT_EQ(u.raw_path, "/a%2Fb");
    EXPECT_EQ(u.raw_query, "x=1");
    EXPECT_EQ(u.fragment, "frag");
}

TEST(GoUrl, ParseErrors) {
    UrlBuffers b;
    Url u;
    EXPECT_EQ(parse(":foo", b, u), "missing protocol scheme");
    EXPECT_EQ(parse("a:b/c:d", b, u), "");  // opaque
    EXPECT_TRUE(u.opaque);
    EXPECT_EQ(parse("foo/b:c", b, u), "");
    EXPECT_EQ(parse("b:c/d", b, u), "");
    EXPECT_EQ(parse("//host:port/x", b, u), "invalid port after host");
    EXPECT_EQ(parse("http://[::1/x", b, u), "missing ']' in host");
    EXPECT_EQ(parse("http://a b.com/", b, u), "invalid character or escape in host name");
    EXPECT_EQ(parse("http://us er@a.com/", b, u), "net/url: invalid userinfo");
    EXPECT_EQ(parse("http://[::1]:80/x", b, u), "");
    EXPECT_EQ(u.hostname(), "::1");
}

TEST(GoUrl, ForceQuery) {
    UrlBuffers b;
    Url u;
    ASSERT_EQ(parse("https://a.com/p?", b, u), "");
    EXPECT_TRUE(u.force_query);
    EXPECT_EQ(u.raw_query, "");
    ASSERT_EQ(parse("https://a.com/p??", b, u), "");
    EXPECT_FALSE(u.force_query);
    EXPECT_EQ(u.raw_query, "?");
}

TEST(GoUrl, QueryPairsLikeParseQuery) {
    std::string scratch;
    std::vector<std::pair<std::string, std::string>> got;
    bool ok = for_each_query_pair("a=1&&b&c=x+y&d=%zz&e;f=2&g=%41", scratch,
                                  [&](auto k, auto v) { got.emplace_back(std::string(k), std::string(v)); });
    EXPECT_FALSE(ok);
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got[0], (std::pair<std::string, std::string>{"a", "1"}));
    EXPECT_EQ(got[1], (std::pair<std::string, std::string>{"b", ""}));
    EXPECT_EQ(got[2], (std::pair<std::string, std::string>{"c", "x y"}));
    EXPECT_EQ(got[3], (std::pair<std::string, std::string>{"g", "A"}));
    std::string value;
    EXPECT_TRUE(query_first_value("q=1&q=2", "q", scratch, value));
    EXPECT_EQ(value, "1");
    EXPECT_FALSE(query_first_value("Q=1", "q", scratch, value));       // keys are case-sensitive
    EXPECT_TRUE(query_first_value("q=%zz&q=2", "q", scratch, value));  // a bad pair is skipped
    EXPECT_EQ(value, "2");
}

}  // namespace
}  // namespace ec::gw::gourl
